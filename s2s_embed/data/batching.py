"""Length-bucketed, shuffled batches of id sequences, deterministic under a seed.

Training batches may also be of one exact source length where the corpus allows
(`exact_length_order`): such a batch holds no source padding, and the encoder
runs it without packing.
"""
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
    batches = _cut(rng.permutation(len(lengths)), np.asarray(lengths), batch_size, bucket)
    return [batches[i] for i in rng.permutation(len(batches))]


def exact_length_order(src_lengths: Sequence[int], lengths: Sequence[int], batch_size: int, seed: int,
                       bucket: bool = True) -> list[list[int]]:
    """Training batches of one source length where the corpus allows, shuffled from `seed`.

    The pairs are shuffled and grouped by source length. Each group fills as
    many whole batches as it can (with `bucket`, sorted by `lengths` within
    pools of POOL batches, so that similar targets share a batch); the fewer
    than `batch_size` pairs left of each length, drawn by the shuffle, make the
    mixed batches, cut as `batch_order` cuts them. So every batch but the last
    mixed one holds `batch_size` pairs, and every pair appears once.
    """
    rng = np.random.default_rng(seed)
    src, lens = np.asarray(src_lengths), np.asarray(lengths)
    idx = rng.permutation(len(src))
    idx = idx[np.argsort(src[idx], kind="stable")]  # by source length, shuffled within each length
    pool = batch_size * POOL
    batches, rest = [], []
    for group in np.split(idx, np.flatnonzero(np.diff(src[idx])) + 1):
        whole = len(group) - len(group) % batch_size
        for start in range(0, whole, pool):  # pools of whole batches, so that no batch takes two lengths
            batches += _cut(group[start:min(start + pool, whole)], lens, batch_size, bucket)
        rest.append(group[whole:])
    rest = np.concatenate(rest)
    batches += _cut(rest[rng.permutation(len(rest))], lens, batch_size, bucket)
    return [batches[i] for i in rng.permutation(len(batches))]


def _cut(idx: np.ndarray, lens: np.ndarray, batch_size: int, bucket: bool) -> list[list[int]]:
    """Shuffled indices -> batches in order; with `bucket`, sorted by length within pools of POOL batches first."""
    if bucket:
        pool = batch_size * POOL
        idx = np.concatenate([chunk[np.argsort(lens[chunk], kind="stable")]
                              for chunk in np.array_split(idx, max(1, -(-len(idx) // pool)))])
    return [idx[i:i + batch_size].tolist() for i in range(0, len(idx), batch_size)]


def make_batches(pairs: Sequence[Pair], batch_size: int, seed: int | None, bucket: bool = True,
                 exact: bool = False) -> list[Batch]:
    """Padded batches of `pairs`; with `exact`, training batches of one source length (`exact_length_order`)."""
    lengths = [len(s) * 1000 + len(t) for s, t in pairs]  # sort by source length, then target length
    if not exact:
        order = batch_order(lengths, batch_size, seed, bucket)
    elif seed is None:
        raise ValueError("Exact-length batches are shuffled training batches: give a seed.")
    else:
        order = exact_length_order([len(s) for s, _ in pairs], lengths, batch_size, seed, bucket)
    return [collate([pairs[i] for i in group], group) for group in order]


def collate(pairs: Sequence[Pair], index: list[int]) -> Batch:
    src = pad([s for s, _ in pairs])
    src_lens = torch.tensor([max(1, len(s)) for s, _ in pairs])
    return Batch(src, src_lens, pad([[SOS_ID, *t] for _, t in pairs]), pad([[*t, EOS_ID] for _, t in pairs]), index)


def pad(seqs: Sequence[Sequence[int]]) -> torch.Tensor:
    out = torch.full((len(seqs), max(1, max(len(s) for s in seqs))), PAD_ID, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return out
