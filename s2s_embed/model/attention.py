"""Attention over the encoder outputs: Bahdanau (additive) and Luong (general), and the kinds the decoder asks."""
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


# ---------------------------------------------------------------- kinds: how each joins the decoder


class NoAttention:
    """The encoder's final state is the only context: embedding -> LSTM -> features (B, t, H)."""

    stepwise = False  # True: it reads the state before each LSTM step, so gold steps cannot run as one call

    def sizes(self, E: int, H: int, M: int) -> tuple[int, int]:
        """(LSTM input size, feature size) for embedding dim E, state size H and memory size M."""
        return E, H

    def modules(self, H: int, M: int) -> tuple[nn.Module | None, nn.Module | None]:
        """The decoder's `attention` and `combine` modules (their state-dict keys), None where there is none."""
        return None, None

    def before_rnn(self, decoder, x: torch.Tensor, state, memory) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The LSTM input for embedded inputs x (B, t, E), and any context the features need after it."""
        return x, None

    def after_rnn(self, decoder, out: torch.Tensor, context: torch.Tensor | None, memory) -> torch.Tensor:
        """Features (B, t, F) from the LSTM outputs (B, t, H)."""
        return out


class Bahdanau(NoAttention):
    """Attend with the previous top state before each step; feed and output the context with the LSTM's."""

    stepwise = True

    def sizes(self, E: int, H: int, M: int) -> tuple[int, int]:
        return E + M, H + M

    def modules(self, H: int, M: int) -> tuple[nn.Module | None, nn.Module | None]:
        return BahdanauAttention(H, M, H), None

    def before_rnn(self, decoder, x, state, memory):
        h, _ = state
        context, _ = decoder.attention(h[-1], memory.keys, memory.outputs, memory.mask)  # (B, M); x is (B, 1, E)
        return torch.cat([x, context.unsqueeze(1)], dim=2), context  # (B, 1, E + M)

    def after_rnn(self, decoder, out, context, memory):
        return torch.cat([out, context.unsqueeze(1)], dim=2)  # (B, 1, H + M)


class Luong(NoAttention):
    """Attend with the LSTM outputs after the step, every step at once; combine them into the attentional state."""

    def modules(self, H: int, M: int) -> tuple[nn.Module | None, nn.Module | None]:
        return LuongAttention(H, M), nn.Linear(H + M, H)  # attentional hidden state: tanh(W [h; context])

    def after_rnn(self, decoder, out, context, memory):
        context, _ = decoder.attention(out, memory.keys, memory.outputs, memory.mask)  # (B, t, M)
        return torch.tanh(decoder.combine(torch.cat([out, context], dim=2)))  # (B, t, H)


KINDS = {"none": NoAttention(), "bahdanau": Bahdanau(), "luong": Luong()}  # model.attention -> its kind
