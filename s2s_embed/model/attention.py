"""Attention over the encoder outputs: Bahdanau (additive) and Luong (general)."""
from __future__ import annotations

import torch
from torch import nn


class BahdanauAttention(nn.Module):
    """score(q, k) = v . tanh(W_q q + W_k k); the query is the decoder's previous top hidden state."""

    def __init__(self, query_size: int, memory_size: int, attn_size: int):
        super().__init__()
        self.key_layer = nn.Linear(memory_size, attn_size, bias=False)
        self.query_layer = nn.Linear(query_size, attn_size, bias=False)
        self.energy = nn.Linear(attn_size, 1, bias=False)

    def precompute_keys(self, memory: torch.Tensor) -> torch.Tensor:
        return self.key_layer(memory)  # (B, S, A)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor):
        # query (B, Q); keys (B, S, A); memory (B, S, M); mask (B, S) True at real tokens
        scores = self.energy(torch.tanh(self.query_layer(query).unsqueeze(1) + keys)).squeeze(2)  # (B, S)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        return torch.bmm(weights.unsqueeze(1), memory).squeeze(1), weights  # (B, M), (B, S)


class LuongAttention(nn.Module):
    """score(h, k) = h . W k ("general"); applied after the LSTM step, to every step at once if need be."""

    def __init__(self, query_size: int, memory_size: int):
        super().__init__()
        self.key_layer = nn.Linear(memory_size, query_size, bias=False)

    def precompute_keys(self, memory: torch.Tensor) -> torch.Tensor:
        return self.key_layer(memory)  # (B, S, Q)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor):
        # query (B, T, Q) for T decoder steps; keys (B, S, Q); memory (B, S, M)
        scores = torch.bmm(query, keys.transpose(1, 2))  # (B, T, S)
        weights = torch.softmax(scores.masked_fill(~mask.unsqueeze(1), float("-inf")), dim=2)
        return torch.bmm(weights, memory), weights  # (B, T, M), (B, T, S)
