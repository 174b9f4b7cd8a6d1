"""Length-bucketed, shuffled batches of id sequences, deterministic under a seed."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from s2s_embed.data.vocab import EOS_ID, PAD_ID, SOS_ID

Pair = tuple[list[int], list[int]]  # source ids, target ids (no specials)
POOL = 50  # a bucket is sorted within POOL batches' worth of shuffled pairs


@dataclass
class Batch:
    src: torch.Tensor  # (B, S) source ids, padded
    src_lens: torch.Tensor  # (B,)
    trg_in: torch.Tensor  # (B, T) <sos> y1 .. yn, padded
    trg_out: torch.Tensor  # (B, T) y1 .. yn <eos>, padded
    index: list[int]  # positions of these pairs in the list they came from

    @property
    def n_tokens(self) -> int:
        """Target tokens to predict (each sentence's words and its <eos>)."""
        return int((self.trg_out != PAD_ID).sum())

    def to(self, device: torch.device | str) -> Batch:
        move = lambda t: t.to(device, non_blocking=True)  # noqa: E731
        return Batch(move(self.src), self.src_lens, move(self.trg_in), move(self.trg_out), self.index)


def batch_order(lengths: Sequence[int], batch_size: int, seed: int | None, bucket: bool = True) -> list[list[int]]:
    """Group indices into batches. With `bucket`, similar lengths share a batch (little padding).

    seed=None keeps the corpus order (for validation and translation); otherwise
    the pairs are shuffled, sorted by length within pools of POOL batches, cut
    into batches, and the batches shuffled, all from `seed`.
    """
    idx = np.arange(len(lengths))
    if seed is None:
        if bucket:
            idx = idx[np.argsort(np.asarray(lengths), kind="stable")]
        return [idx[i:i + batch_size].tolist() for i in range(0, len(idx), batch_size)]
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(lengths))
    if bucket:
        lens = np.asarray(lengths)
        pool = batch_size * POOL
        idx = np.concatenate([chunk[np.argsort(lens[chunk], kind="stable")]
                              for chunk in np.array_split(idx, max(1, -(-len(idx) // pool)))])
    batches = [idx[i:i + batch_size].tolist() for i in range(0, len(idx), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def make_batches(pairs: Sequence[Pair], batch_size: int, seed: int | None, bucket: bool = True) -> list[Batch]:
    lengths = [len(s) * 1000 + len(t) for s, t in pairs]  # sort by source length, then target length
    return [collate([pairs[i] for i in group], group) for group in batch_order(lengths, batch_size, seed, bucket)]


def collate(pairs: Sequence[Pair], index: list[int]) -> Batch:
    src = pad([s for s, _ in pairs])
    src_lens = torch.tensor([max(1, len(s)) for s, _ in pairs])
    return Batch(src, src_lens, pad([[SOS_ID, *t] for _, t in pairs]), pad([[*t, EOS_ID] for _, t in pairs]), index)


def pad(seqs: Sequence[Sequence[int]]) -> torch.Tensor:
    out = torch.full((len(seqs), max(1, max(len(s) for s in seqs))), PAD_ID, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return out
