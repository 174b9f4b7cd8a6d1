"""Word2vec / GloVe / fastText text vectors (`.gz` too): `read_text` and the byte-level helpers it shares."""
from __future__ import annotations

import gzip
import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from s2s_embed.embeddings import readers as _sizes  # PARSE_BATCH, read when a file is read
from s2s_embed.embeddings.readers import _require_file
from s2s_embed.embeddings.vectors import Vectors
from s2s_embed.errors import ConfigError, DataError

log = logging.getLogger("s2s_embed.embeddings.readers")  # one logger for every reader, as before


def read_text(path: str | Path, *, header: bool | None = None, wanted: Iterable[str] | None = None,
              encoding: str = "utf-8") -> Vectors:
    """Read `word v1 ... vdim` lines; a first line `count dim` is a header (auto-detected when header is None).

    Duplicate words (among the wanted ones): the first line wins; the rest are counted and logged.
    Lines whose word is not wanted are checked for their number of values but
    not parsed, so a non-numeric value there goes unnoticed. Every word must
    decode in `encoding` (an ASCII-compatible codec such as "latin-1"); the
    lines whose word does not are a DataError listing their numbers. A header
    whose count differs from the number of vector lines is a DataError.
    """
    path = _require_file(path, "vector file")
    encoding = _text_encoding(encoding)
    keep = None if wanted is None else _encoded(wanted, encoding)
    undecodable: list[int] = []  # lines whose word is not valid in `encoding`
    keys: list[str] = []
    blocks: list[np.ndarray] = []  # parsed rows, PARSE_BATCH lines at a time
    pending: list[bytes] = []  # the numbers of kept lines not parsed yet, single-spaced
    pending_lines: list[int] = []
    first_seen: dict[bytes, int] = {}
    duplicates, repeat = 0, None
    dim = declared = None
    rows = 0
    with _open_binary(path) as f:
        for lineno, raw in _numbered_lines(path, f):
            if b"\x00" in raw:
                raise _binary_file(path, lineno)
            line = raw.rstrip()
            if not line:
                continue
            if lineno == 1 and header is not False:
                parts = line.split()
                if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
                    declared, dim = int(parts[0]), int(parts[1])
                    continue
                if header:
                    raise DataError(f"{path}, line 1: expected a header 'count dim' (two integers), found "
                                    f"{_show(line)}. Set header = false for a file without one (GloVe).")
            if dim is None:
                dim = _first_row_dim(path, lineno, line, encoding)
            word, _, rest = line.partition(b" ")
            if line.count(b" ") != dim:  # extra spaces or tabs, or the wrong number of values
                parts = line.split()
                if len(parts) - 1 != dim:
                    raise DataError(f"{path}, line {lineno}: expected a word and {dim} values, found {len(parts) - 1} "
                                    f"values. Every line must have as many values as {'the header says' if declared is not None else 'the first'} "
                                    f"(a word containing a space is not supported).")
                word, rest = parts[0], b" ".join(parts[1:])
            rows += 1
            if not word.isascii() and not _decodes(word, encoding):
                undecodable.append(lineno)
                continue
            if keep is not None and word not in keep:
                continue
            if word in first_seen:
                duplicates += 1
                repeat = repeat or (word, lineno, first_seen[word])
                continue
            first_seen[word] = lineno
            keys.append(word.decode(encoding))
            pending.append(rest)
            pending_lines.append(lineno)
            if len(pending) == _sizes.PARSE_BATCH:
                blocks.append(_parse_values(path, pending, pending_lines, dim))
                pending, pending_lines = [], []
    if dim is None:
        raise DataError(f"{path} holds no vectors. Expected lines 'word v1 v2 ...'.")
    if undecodable:
        raise _not_in_encoding(path, undecodable, encoding)
    blocks.append(_parse_values(path, pending, pending_lines, dim))
    if declared is not None and declared != rows:
        raise DataError(f"{path}, line 1: the header says {declared} words, but the file has {rows} lines of vectors. "
                        f"The file is truncated or its header is wrong: download it again, or set the header's "
                        f"count to {rows}.")
    if duplicates:
        word, lineno, first = repeat
        log.warning("%s: %d repeated word(s) skipped, the first line of each kept (e.g. %r on line %d, first on line %d).",
                    path, duplicates, word.decode("utf-8", "replace"), lineno, first)
    matrix = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    return Vectors(keys, matrix, source=str(path), duplicates=duplicates, source_size=rows)


def _numbered_lines(path: Path, f):
    """(line number, bytes) pairs; a damaged gzip stream or a read failure is a DataError naming the line."""
    lineno = 0
    try:
        for lineno, raw in enumerate(f, 1):
            yield lineno, raw
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}, after line {lineno}: the file cannot be read further ({exc}). "
                        f"It is probably truncated or a damaged .gz; download it again.") from None


def _open_binary(path: Path):
    try:
        with open(path, "rb") as f:
            magic = f.read(2)
        if magic == b"\x1f\x8b":
            return gzip.open(path, "rb")
        return open(path, "rb", buffering=1 << 20)
    except OSError as exc:
        raise DataError(f"Cannot read the vector file {path}: {exc}") from None


def _first_row_dim(path: Path, lineno: int, line: bytes, encoding: str) -> int:
    """The number of values on the first vector line, after checking its word decodes and the rest is numbers."""
    parts = line.split()
    if not b" ".join(parts[1:]).isascii():  # numbers are ASCII in any text encoding: raw floats are not
        raise _binary_file(path, lineno)
    if parts and not _decodes(parts[0], encoding):
        raise _not_in_encoding(path, [lineno], encoding)
    if len(parts) < 2:
        raise DataError(f"{path}, line {lineno}: expected a word followed by numbers, found {_show(line)}.")
    _parse_values(path, [b" ".join(parts[1:])], [lineno], len(parts) - 1)
    return len(parts) - 1


def _text_encoding(encoding: str) -> str:
    """The codec's canonical name; ConfigError unless it is known and ASCII-compatible (lines split on b"\\n")."""
    import codecs

    try:
        name = codecs.lookup(encoding).name
    except (LookupError, TypeError):
        raise ConfigError(f"encoding = {encoding!r} is not a text encoding Python knows. Use e.g. \"utf-8\", "
                          f"\"latin-1\" or \"cp1252\".") from None
    if "a 1.5\n".encode(name) != b"a 1.5\n":
        raise ConfigError(f"encoding = {encoding!r} is not ASCII-compatible, so its lines and numbers cannot be "
                          f"read as bytes. Convert the file to UTF-8 (e.g. iconv -f {encoding} -t utf-8).")
    return name


def _encoded(words: Iterable[str], encoding: str) -> set[bytes]:
    """The words as the file would spell them; a word the encoding cannot write cannot be in the file."""
    out = set()
    for w in words:
        try:
            out.add(w.encode(encoding))
        except UnicodeEncodeError:
            pass
    return out


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _not_in_encoding(path: Path, linenos: list[int], encoding: str) -> DataError:
    shown = ", ".join(map(str, linenos[:10])) + (f" and {len(linenos) - 10} more" if len(linenos) > 10 else "")
    return DataError(f"{path}, line{'s' if len(linenos) > 1 else ''} {shown}: the word is not valid {encoding} text, "
                     f"so {'these rows' if len(linenos) > 1 else 'this row'} would get no vector. Give the file's "
                     f"encoding in the embedding table (e.g. encoding = \"latin-1\"), or convert it to UTF-8 "
                     f"(iconv -f latin1 -t utf-8).")


def _binary_file(path: Path, lineno: int) -> DataError:
    return DataError(f"{path}, line {lineno}: this looks like a binary file (NUL bytes, or raw bytes where numbers "
                     f"belong), not text vectors. A binary word2vec file needs the word2vec plugin with format = 'bin' (or a .bin path); a fastText .bin "
                     f"model needs the fasttext plugin.")


def _parse_values(path: Path, values: list[bytes], linenos: list[int], dim: int) -> np.ndarray:
    """Parse every kept line's numbers in one pass, (rows, dim) float32; on failure, find the line at fault."""
    if not values:
        return np.zeros((0, dim), np.float32)
    try:
        flat = np.fromstring(b" ".join(values).decode("ascii"), dtype=np.float32, sep=" ")
    except (ValueError, UnicodeDecodeError):
        flat = None
    if flat is None or flat.size != len(values) * dim:
        for lineno, rest in zip(linenos, values):
            for token in rest.split():
                try:
                    float(token)
                except ValueError:
                    raise DataError(f"{path}, line {lineno}: {_show(token)} is not a number. Each value after the "
                                    f"word must be a decimal number such as 0.123 or -1e-3.") from None
        raise DataError(f"{path}: the values could not be read as {dim} numbers per line.")
    return flat.reshape(len(values), dim)


def _show(raw: bytes, limit: int = 60) -> str:
    text = raw.decode("utf-8", "replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")
