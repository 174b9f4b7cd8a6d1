"""The decoder: target embedding -> LSTM -> dense, started from the encoder's context vector.

Shapes: B batch, T target steps, S source steps, E embedding dim, H the state
size (the encoder's, so the context vector starts the decoder as it is),
M the encoder output size, F the size of the features fed to the dense layer.
The softmax lives in the loss and in the search, over `generator` logits.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from s2s_embed.errors import ConfigError, unknown
from s2s_embed.model.attention import KINDS

State = tuple[torch.Tensor, torch.Tensor]  # (h, c), each (L, B, H)


@dataclass
class Memory:
    """What the decoder may attend to: encoder outputs, their attention keys, and the source mask."""

    outputs: torch.Tensor  # (B, S, M)
    keys: torch.Tensor | None  # (B, S, A), or None without attention
    mask: torch.Tensor  # (B, S), True at real tokens

    def index_select(self, index: torch.Tensor) -> Memory:
        pick = lambda t: None if t is None else t.index_select(0, index)  # noqa: E731
        return Memory(pick(self.outputs), pick(self.keys), pick(self.mask))


class Decoder(nn.Module):
    def __init__(self, embed: nn.Module, vocab_size: int, state_size: int, memory_size: int,
                 num_layers: int, dropout: float, attention: str = "none"):
        super().__init__()
        if attention not in KINDS:
            raise ConfigError(f"model.attention: {unknown('attention', attention, KINDS)}")
        self.embed = embed
        self.kind = KINDS[attention]  # what the decoder asks: sizes, modules, what happens around the LSTM
        self.dropout = nn.Dropout(dropout)
        E, H, M = embed.embedding_dim, state_size, memory_size
        rnn_input, features = self.kind.sizes(E, H, M)
        self.attention: nn.Module | None
        self.combine: nn.Module | None
        self.attention, self.combine = self.kind.modules(H, M)
        self.rnn = nn.LSTM(rnn_input, H, num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0.0)
        self.generator = nn.Linear(features, vocab_size)  # the dense layer before the softmax
        self.feature_size = features

    def memory(self, outputs: torch.Tensor, mask: torch.Tensor) -> Memory:
        keys = self.attention.precompute_keys(outputs) if self.attention is not None else None
        return Memory(outputs, keys, mask)

    def forward(self, trg_in: torch.Tensor, state: State, memory: Memory, teacher_forcing: float = 1.0) -> torch.Tensor:
        """Features for every step of `trg_in` (B, T): (B, T, F).

        Step t reads the gold token trg_in[:, t] with probability `teacher_forcing`
        (drawn per step for the whole batch, from torch's seeded generator),
        otherwise the model's own previous prediction. Steps that read gold tokens
        one after another run as one LSTM call; predictions are taken without
        autograd, and the caller projects all features to logits in one matmul.
        """
        B, T = trg_in.shape
        if self.kind.stepwise:
            return self._run_stepwise(trg_in, state, memory, teacher_forcing)
        gold = torch.rand(T) < teacher_forcing  # gold[t]: step t reads the gold token
        gold[0] = True  # the first input is always <sos>
        feats, inp = [], trg_in[:, :1]
        for start, end in _gold_runs(gold.tolist()):
            if start > 0 and not gold[start]:
                inp = torch.cat([self._predict(feats[-1][:, -1]).unsqueeze(1), trg_in[:, start + 1:end]], dim=1)
            else:
                inp = trg_in[:, start:end]
            out, state = self._run(inp, state, memory)
            feats.append(out)
        return torch.cat(feats, dim=1)

    def step(self, prev: torch.Tensor, state: State, memory: Memory) -> tuple[torch.Tensor, State]:
        """One step for search: previous tokens (B,) -> features (B, F) and the new state."""
        out, state = self._run(prev.unsqueeze(1), state, memory)
        return out.squeeze(1), state

    def _run(self, inp: torch.Tensor, state: State, memory: Memory) -> tuple[torch.Tensor, State]:
        """Run the LSTM over (B, t) gold-or-predicted inputs at once (t = 1 for a stepwise kind): features (B, t, F)."""
        x = self.dropout(self.embed(inp))  # (B, t, E)
        x, context = self.kind.before_rnn(self, x, state, memory)
        out, state = self.rnn(x, state)  # (B, t, H)
        return self.kind.after_rnn(self, out, context, memory), state

    def _run_stepwise(self, trg_in: torch.Tensor, state: State, memory: Memory, teacher_forcing: float) -> torch.Tensor:
        B, T = trg_in.shape
        gold = torch.rand(T) < teacher_forcing
        feats, inp = [], trg_in[:, 0]
        for t in range(T):
            if t > 0:
                inp = trg_in[:, t] if gold[t] else self._predict(feats[-1])
            feat, state = self.step(inp, state, memory)
            feats.append(feat)
        return torch.stack(feats, dim=1)  # (B, T, F)

    @torch.no_grad()
    def _predict(self, features: torch.Tensor) -> torch.Tensor:
        return self.generator(features).argmax(-1)


def _gold_runs(gold: list[bool]) -> list[tuple[int, int]]:
    """Split steps into runs [start, end) in which every step after the first reads a gold token."""
    runs, start = [], 0
    for t in range(1, len(gold)):
        if not gold[t]:
            runs.append((start, t))
            start = t
    runs.append((start, len(gold)))
    return runs
