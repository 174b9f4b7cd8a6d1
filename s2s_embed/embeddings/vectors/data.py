"""Vectors as data: words and their vectors, with the protocols of a gensim KeyedVectors."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from s2s_embed.errors import DataError


@dataclass(frozen=True)
class Vectors:
    """Words and their vectors, like a gensim KeyedVectors: `v[word]`, `word in v`, `len(v)`.

    keys: the words, row order. vectors: float32 (len(keys), dim), possibly a
    read-only np.memmap. subword: a vector for any word (fastText n-grams), or
    None. source: where they came from, for people. duplicates: repeated keys
    the reader dropped (the first kept). source_size: how many words the
    source held before filtering (None: len(keys)). from_cache: read from the
    `cached_vectors` cache.
    """

    keys: list[str]
    vectors: np.ndarray
    subword: Callable[[str], np.ndarray] | None = None
    source: str = ""
    duplicates: int = 0
    source_size: int | None = None
    from_cache: bool = False

    def __post_init__(self):
        where = f" ({self.source})" if self.source else ""
        keys = list(self.keys)
        if not all(isinstance(k, str) for k in keys):
            bad = next(k for k in keys if not isinstance(k, str))
            raise DataError(f"Vectors{where}: every key must be a string; found {bad!r} ({type(bad).__name__}).")
        matrix = self.vectors if isinstance(self.vectors, np.memmap) else np.asarray(self.vectors)
        if matrix.ndim != 2:
            raise DataError(f"Vectors{where}: the vectors must be a 2-D array (words, dim); got shape {matrix.shape}.")
        if not (np.issubdtype(matrix.dtype, np.floating) or np.issubdtype(matrix.dtype, np.integer)):
            raise DataError(f"Vectors{where}: the vectors must be numbers; got dtype {matrix.dtype}.")
        if matrix.dtype != np.float32:
            matrix = matrix.astype(np.float32)
        if len(keys) != matrix.shape[0]:
            raise DataError(f"Vectors{where}: {len(keys)} keys but {matrix.shape[0]} vector rows; they must match one to one.")
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "vectors", matrix)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: str) -> bool:
        return key in self.key_to_index

    def __getitem__(self, key: str) -> np.ndarray:
        """The vector of `key`; for a word without a row, its subword vector if there is a subword function."""
        if key in self.key_to_index:
            return np.asarray(self.vectors[self.key_to_index[key]], dtype=np.float32)
        if self.subword is not None:
            return np.asarray(self.subword(key), dtype=np.float32)
        raise KeyError(key)

    @cached_property
    def key_to_index(self) -> dict[str, int]:
        """word -> row; for a repeated key, its first row."""
        index: dict[str, int] = {}
        for i, key in enumerate(self.keys):
            index.setdefault(key, i)
        return index

    def select(self, wanted: Iterable[str] | None) -> Vectors:
        """Only the rows whose key is in `wanted` (all of them for None), copied out of any memmap."""
        if wanted is None:
            return self
        wanted = set(wanted)
        rows = [i for key, i in self.key_to_index.items() if key in wanted]
        rows.sort()
        return replace(self, keys=[self.keys[i] for i in rows], vectors=np.asarray(self.vectors[rows], dtype=np.float32),
                       duplicates=self.duplicates + len(self.keys) - len(self.key_to_index),
                       source_size=self.source_size if self.source_size is not None else len(self.keys))

    @classmethod
    def from_keyed_vectors(cls, kv: Any, source: str = "") -> Vectors:
        """A gensim KeyedVectors as Vectors; a FastTextKeyedVectors keeps its n-gram vectors as `subword`."""
        subword = None
        if type(kv).__name__ == "FastTextKeyedVectors" and getattr(kv, "bucket", 0):
            subword = kv.get_vector  # builds a vector from character n-grams for unseen words
        return cls(list(kv.index_to_key), kv.vectors, subword=subword, source=source or type(kv).__name__)
