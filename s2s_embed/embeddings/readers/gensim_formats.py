"""Formats read through gensim (imported only when needed): binary word2vec, gensim KeyedVectors, fastText `.bin`."""
from __future__ import annotations

import pickle
from collections.abc import Iterable
from pathlib import Path

from s2s_embed.embeddings import readers as _sizes  # BLOCK_BYTES, read when a file is read
from s2s_embed.embeddings.readers import _require_file
from s2s_embed.embeddings.readers.text import _open_binary, _show, _text_encoding
from s2s_embed.embeddings.vectors import Vectors
from s2s_embed.errors import DataError, PluginError


def _gensim(what: str):
    try:
        from gensim.models import KeyedVectors
    except ImportError:
        raise PluginError(f"Reading {what} needs gensim: pip install gensim") from None
    return KeyedVectors


def read_word2vec_binary(path: str | Path, *, wanted: Iterable[str] | None = None, limit: int | None = None,
                         encoding: str = "utf-8") -> Vectors:
    """A binary word2vec file (GoogleNews-vectors-negative300.bin); `limit` reads only its first words.

    A text file is refused (read as binary it would give keys like '0.1327'),
    and so is a header whose count differs from the number of rows.
    """
    path = _require_file(path, "word2vec file")
    encoding = _text_encoding(encoding)
    declared, dim = _binary_header(path)
    if not is_binary_word2vec(path):
        raise DataError(f"{path} is a text vector file (its first row is a word and numbers), not binary word2vec. "
                        f"Set format = \"text\" (or give it a .txt or .vec name).")
    KeyedVectors = _gensim("a binary word2vec file")
    try:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=True, limit=limit, encoding=encoding)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: a word is not valid {encoding} text ({exc.reason}). Give the file's encoding in the "
                        f"embedding table, e.g. encoding = \"latin-1\".") from None
    except (ValueError, EOFError, OSError) as exc:
        rows = _binary_rows(path, dim)
        if rows != declared:
            raise _binary_count_mismatch(path, declared, rows) from None
        raise DataError(f"{path} is not a binary word2vec file ({type(exc).__name__}: {exc}). "
                        f"For a text file set format = \"text\".") from None
    if limit is None:
        rows = _binary_rows(path, dim)
        if rows != declared:
            raise _binary_count_mismatch(path, declared, rows)
    return Vectors.from_keyed_vectors(kv, source=str(path)).select(wanted)


def is_binary_word2vec(path: str | Path) -> bool:
    """Whether a (possibly gzipped) word2vec file stores its vectors as raw floats rather than text.

    The first row after the `count dim` header decides: in a text file its word is followed by numbers only.
    """
    with _open_binary(Path(path)) as f:
        f.readline()  # "count dim" header
        row = f.readline(1 << 16)
    values = row.partition(b" ")[2].split()
    try:
        [float(v) for v in values]
    except ValueError:  # raw float bytes are not decimal numbers
        return True
    return not values


def _binary_header(path: Path) -> tuple[int, int]:
    with _open_binary(path) as f:
        line = f.readline(256).split()
    if len(line) != 2 or not all(part.isdigit() for part in line):
        raise DataError(f"{path}, line 1: expected a word2vec header 'count dim' (two integers), found "
                        f"{_show(b' '.join(line))}. Is this a word2vec file?")
    return int(line[0]), int(line[1])


def _binary_rows(path: Path, dim: int) -> int:
    """How many whole `word<space><dim float32s>` rows follow the header of a binary word2vec file."""
    width = 4 * dim
    rows, buf, pos = 0, b"", 0
    with _open_binary(path) as f:
        f.readline()
        while chunk := f.read(_sizes.BLOCK_BYTES):
            buf, pos = buf[pos:] + chunk, 0
            while (space := buf.find(b" ", pos)) >= 0 and space + 1 + width <= len(buf):
                pos = space + 1 + width  # a row's newline, if any, starts the next word and is stripped with it
                rows += 1
    return rows


def _binary_count_mismatch(path: Path, declared: int, rows: int) -> DataError:
    return DataError(f"{path}, line 1: the header says {declared} words, but the file has {rows} rows of vectors. "
                     f"The file is truncated or its header is wrong: download it again, or set the header's count "
                     f"to {rows}.")


def read_gensim_kv(path: str | Path, *, wanted: Iterable[str] | None = None, trust_pickle: bool = False) -> Vectors:
    """A file saved by gensim `KeyedVectors.save`, memory-mapped.

    gensim's format is a pickle, which loads Python objects and so can run any
    code: it is read only with `trust_pickle=True`, and only for files you made.
    """
    path = _require_file(path, "gensim KeyedVectors file")
    if not trust_pickle:
        raise DataError(f"{path} is a gensim .kv file, a Python pickle that can run any code when loaded; it is read "
                        f"only with trust_pickle = true (only for files you made).")
    KeyedVectors = _gensim("a gensim KeyedVectors file")
    try:
        kv = KeyedVectors.load(str(path), mmap="r")
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, OSError) as exc:
        raise DataError(f"{path} is not a file saved with gensim KeyedVectors.save ({type(exc).__name__}: {exc}).") from None
    if not isinstance(kv, KeyedVectors):
        raise DataError(f"{path} holds a {type(kv).__name__}, not KeyedVectors. Save `model.wv`, not the model.")
    return Vectors.from_keyed_vectors(kv, source=str(path)).select(wanted)


def read_fasttext_bin(path: str | Path, *, wanted: Iterable[str] | None = None) -> Vectors:
    """A Facebook fastText `.bin` model: word vectors plus the n-gram vectors that make `subword` work."""
    path = _require_file(path, "fastText model")
    _gensim("a fastText .bin model")
    from gensim.models.fasttext import load_facebook_vectors

    try:
        kv = load_facebook_vectors(str(path))
    except (ValueError, EOFError, UnicodeDecodeError, OSError, AssertionError, NotImplementedError) as exc:
        raise DataError(f"{path} is not a fastText .bin model ({type(exc).__name__}: {exc}). "
                        f"A .vec file is text: use the text reader.") from None
    return Vectors.from_keyed_vectors(kv, source=str(path)).select(wanted)
