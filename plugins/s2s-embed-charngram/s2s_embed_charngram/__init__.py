"""Hashed character n-gram embeddings: an example of an s2s-embed plugin that builds its own layer.

A word's vector is the mean of the vectors of its character n-grams, fastText
style: `cat` is read as `<cat>`, whose 3- to 5-grams are `<ca cat at> <cat
cat> <cat>`, plus the whole `<cat>` itself. Each n-gram is hashed (FNV-1a,
stable across runs and machines, unlike Python's `hash`) into one of
`buckets` rows of a table learnt from scratch. Words that share pieces share
parameters, so rare words and inflections borrow from frequent ones.
"""
from __future__ import annotations

import torch
from torch import nn

from s2s_embed.data.vocab import PAD_ID, SPECIALS
from s2s_embed.embeddings.spec import BuildContext
from s2s_embed.errors import ConfigError

__version__ = "0.1.0"
DEFAULT_DIM = 256


def fnv1a(text: str) -> int:
    """32-bit FNV-1a of the UTF-8 bytes."""
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """The whole `<word>` and its character n-grams, min_n <= n <= max_n, each once."""
    marked = f"<{word}>"
    grams = {marked}
    for n in range(min_n, max_n + 1):
        grams.update(marked[i:i + n] for i in range(len(marked) - n + 1))
    return sorted(grams)


class CharNgramEmbedding(nn.Module):
    """ids (batch, time) -> mean of each word's n-gram rows (batch, time, embedding_dim).

    The n-grams of every vocabulary word are hashed once into `ngram_rows`
    (vocab, max_ngrams), padded with row 0 and weighted by `ngram_weights`
    (1/count for a real n-gram, 0 for padding). Both are rebuilt from the
    vocabulary, so they are not saved: the state dict holds only `table.weight`.
    `<pad>` has no n-grams, so its vector is zero; `<unk> <sos> <eos>` have one
    feature each, their own string.
    """

    def __init__(self, itos: list[str], dim: int, buckets: int, min_n: int, max_n: int, seed: int = 0):
        super().__init__()
        self.embedding_dim = dim
        self.buckets, self.min_n, self.max_n = buckets, min_n, max_n
        features = [[] if i == PAD_ID else [w] if w in SPECIALS else ngrams(w, min_n, max_n) for i, w in enumerate(itos)]
        width = max(1, max(len(f) for f in features))
        hashed: dict[str, int] = {}  # n-grams repeat across words: hash each once
        rows = torch.tensor([[hashed[g] if g in hashed else hashed.setdefault(g, fnv1a(g) % buckets) for g in grams]
                             + [0] * (width - len(grams)) for grams in features], dtype=torch.long)
        weights = torch.tensor([[1.0 / max(1, len(grams))] * len(grams) + [0.0] * (width - len(grams)) for grams in features])
        self.register_buffer("ngram_rows", rows, persistent=False)  # (vocab, max_ngrams)
        self.register_buffer("ngram_weights", weights, persistent=False)  # (vocab, max_ngrams)
        generator = torch.Generator().manual_seed(seed)
        self.table = nn.EmbeddingBag(buckets, dim, mode="sum", _weight=torch.randn(buckets, dim, generator=generator))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        batch, time = ids.shape
        flat = ids.reshape(-1)  # (batch * time)
        out = self.table(self.ngram_rows[flat], per_sample_weights=self.ngram_weights[flat])  # (batch * time, dim)
        return out.view(batch, time, self.embedding_dim)

    def extra_repr(self) -> str:
        return f"n={self.min_n}..{self.max_n}, buckets={self.buckets}, dim={self.embedding_dim}"


def factory(ctx: BuildContext, min_n: int = 3, max_n: int = 5, buckets: int = 32768) -> CharNgramEmbedding:
    """Hashed character n-gram vectors learnt from scratch (fastText-style subwords; dim from the spec, 256 by default)."""
    if min_n < 1 or max_n < min_n:
        raise ConfigError(f"min_n = {min_n}, max_n = {max_n}: need 1 <= min_n <= max_n.")
    if buckets < 1:
        raise ConfigError(f"buckets = {buckets} must be a positive integer.")
    return CharNgramEmbedding(list(ctx.vocab.itos), ctx.dim or DEFAULT_DIM, buckets, min_n, max_n, seed=ctx.seed)

