"""The encoder: source embeddings -> LSTM. Its final state is the context vector."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class Encoder(nn.Module):
    """Reads (batch, time) source ids; returns every step's output and the final (h, c).

    With a bidirectional LSTM the two directions' final states are concatenated
    per layer, so `state_size` is twice `hidden_size` and the decoder sizes
    itself from it.

    A batch whose sentences all have the same length holds no padding: its last
    step is every sentence's own, so the LSTM runs on the plain tensor and the
    cost of packing is skipped. A batch of mixed lengths is packed, so that each
    sentence's final (h, c), in every layer and both directions, is the state at
    its own last token (the top layer's outputs alone could be read at each
    end, but not the other layers' states nor the cells).
    """

    always_pack = False  # True packs every batch, equal lengths too (to compare the two paths)

    def __init__(self, embed: nn.Module, hidden_size: int, num_layers: int, dropout: float, bidirectional: bool):
        super().__init__()
        self.embed = embed
        self.dropout = nn.Dropout(dropout)
        self.rnn = nn.LSTM(embed.embedding_dim, hidden_size, num_layers, batch_first=True,
                           dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional)
        self.num_layers = num_layers
        self.directions = 2 if bidirectional else 1
        self.state_size = hidden_size * self.directions  # size of the context vector, per layer
        self.output_size = self.state_size  # size of each step's output (the attention memory)

    def forward(self, src: torch.Tensor, src_lens: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        B, S = src.shape
        x = self.dropout(self.embed(src))  # (B, S, E)
        if self.always_pack or not bool((src_lens == S).all()):
            packed = pack_padded_sequence(x, src_lens.cpu(), batch_first=True, enforce_sorted=False)
            out, (h, c) = self.rnn(packed)  # h, c: (L * dirs, B, H)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=S)  # (B, S, H * dirs), 0 past each end
        else:  # no padding: the packed run's results, without packing
            out, (h, c) = self.rnn(x)  # (B, S, H * dirs); h, c: (L * dirs, B, H)
        return out, (self._merge(h), self._merge(c))

    def _merge(self, state: torch.Tensor) -> torch.Tensor:
        """(L * dirs, B, H) -> (L, B, H * dirs): both directions' final states side by side."""
        if self.directions == 1:
            return state
        L2, B, H = state.shape
        return state.view(self.num_layers, 2, B, H).transpose(1, 2).reshape(self.num_layers, B, 2 * H)
