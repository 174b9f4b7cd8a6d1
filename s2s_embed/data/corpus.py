"""Parallel corpora read from files: two aligned files, or one TSV file.

A corpus is kept as raw, untokenised sentences (`ParallelText`). Files are
UTF-8, plain or gzip (recognised by its magic bytes, whatever the suffix).
Lines are split on "\\n" only, so a stray form feed or U+2028 inside a
sentence cannot shift the alignment; a trailing "\\r" and a leading BOM are
dropped, and each sentence is stripped of surrounding whitespace.

Empty-line policy: a pair where either side is empty or whitespace-only is
skipped, counted in `ParallelText.skipped_empty`, and reported by one logging
warning naming the file(s). A corpus left with no pair at all is a DataError.
"""
from __future__ import annotations

import dataclasses
import gzip
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path

from s2s_embed.errors import ConfigError, DataError

log = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class ParallelText:
    """Aligned source and target sentences: `src[i]` translates as `trg[i]`."""

    src: list[str]
    trg: list[str]
    name: str
    skipped_empty: int = 0

    def __post_init__(self):
        if len(self.src) != len(self.trg):
            raise DataError(f"Corpus '{self.name}' has {len(self.src)} source but {len(self.trg)} target sentences.")

    def __len__(self) -> int:
        return len(self.src)

    def head(self, n: int) -> ParallelText:
        """The first `n` pairs (all of them if there are fewer)."""
        if n < 0:
            raise ConfigError(f"Cannot take the first {n} pairs of corpus '{self.name}': give a count >= 0.")
        return dataclasses.replace(self, src=self.src[:n], trg=self.trg[:n])


def read_lines(path: str | Path) -> list[str]:
    """The lines of a UTF-8 text file, plain or gzip, without line endings."""
    path = Path(path)
    data, gzipped = _read_bytes(path)
    return decode_lines(data, str(path), "of the decompressed text" if gzipped else "of the file")


def decode_lines(data: bytes, source: str, where: str = "of the input") -> list[str]:
    """UTF-8 `data` (a file's bytes, or stdin's) as lines without line endings; `source` names it in errors."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{source}, line {line}: byte {data[exc.start]:#04x} at offset {exc.start} ({where}) is not UTF-8. "
            "Re-encode the text as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)."
        ) from None
    lines = text.removeprefix("\ufeff").split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return [line.removesuffix("\r") for line in lines]


def read_parallel_files(src_path: str | Path, trg_path: str | Path, name: str | None = None) -> ParallelText:
    """Two aligned files: line i of `src_path` translates as line i of `trg_path`."""
    src_path, trg_path = Path(src_path), Path(trg_path)
    src, trg = read_lines(src_path), read_lines(trg_path)
    if len(src) != len(trg):
        raise DataError(
            f"The aligned files differ in length: {src_path} has {len(src)} lines, {trg_path} has {len(trg)}. "
            "Line i of one must translate line i of the other."
        )
    return _keep_non_empty(src, trg, name or f"{src_path.name}+{trg_path.name}", f"{src_path} and {trg_path}")


def read_tsv(path: str | Path, src_col: int = 0, trg_col: int = 1, name: str | None = None) -> ParallelText:
    """`source TAB target` per line; further columns (e.g. Tatoeba attributions) are ignored.

    A whitespace-only line counts as an empty pair (skipped); a line with text
    but too few columns is an error.
    """
    path = Path(path)
    if src_col < 0 or trg_col < 0 or src_col == trg_col:
        raise ConfigError(f"TSV columns src_col={src_col}, trg_col={trg_col}: give two different column numbers >= 0.")
    needed = max(src_col, trg_col) + 1
    src, trg = [], []
    for number, line in enumerate(read_lines(path), start=1):
        cols = line.split("\t")
        if line.strip() and len(cols) < needed:
            raise DataError(
                f"{path}, line {number}: {len(cols)} tab-separated column(s), need at least {needed} "
                f"(source in column {src_col}, target in column {trg_col}, counting from 0)."
            )
        src.append(cols[src_col] if len(cols) >= needed else "")
        trg.append(cols[trg_col] if len(cols) >= needed else "")
    return _keep_non_empty(src, trg, name or path.name, str(path))


def _read_bytes(path: Path) -> tuple[bytes, bool]:
    """The file's bytes, decompressed if it starts with the gzip magic; and whether it did."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"Corpus file not found: {path}") from None
    except OSError as exc:
        raise DataError(f"Cannot read corpus file {path}: {exc.strerror or exc}") from None
    if not data.startswith(GZIP_MAGIC):
        return data, False
    try:
        return gzip.decompress(data), True
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path} starts like a gzip file but cannot be decompressed ({exc}): it is truncated or corrupt.") from None


def _keep_non_empty(src: list[str], trg: list[str], name: str, files: str) -> ParallelText:
    pairs = [(s.strip(), t.strip()) for s, t in zip(src, trg)]
    kept = [(s, t) for s, t in pairs if s and t]
    skipped = len(pairs) - len(kept)
    if skipped:
        log.warning("Skipped %d of %d sentence pairs with an empty side in %s.", skipped, len(pairs), files)
    if not kept:
        raise DataError(f"No sentence pairs in {files}: every line is empty on at least one side ({len(pairs)} lines).")
    return ParallelText([s for s, _ in kept], [t for _, t in kept], name, skipped)
