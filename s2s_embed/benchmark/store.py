"""The results store: `OUT/results.jsonl`, one JSON row per finished cell.

A row is one `write` to a file opened for appending, then flushed to disk
(fsync), so a finished cell is on disk before the next one starts. A run
killed in the middle of a write can leave a partial last line (no newline at
the end): `read_rows(repair=True)` detects it, cuts it off and says so, and
that cell runs again. Only the runner's main process writes here.
"""
from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from s2s_embed.errors import ConfigError

RESULTS = "results.jsonl"


class ResultsFolderError(ConfigError):
    """The results folder cannot be written (read-only, full, or not a folder)."""


@dataclass
class Rows:
    rows: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # what was skipped, for people

    def finished(self) -> dict[str, dict[str, Any]]:
        """The last "ok" row of each cell id."""
        return {r["cell_id"]: r for r in self.rows if r.get("status") == "ok"}

    def latest(self) -> dict[str, dict[str, Any]]:
        """Each cell's last "ok" row, else its last row (a failure)."""
        out = {r["cell_id"]: r for r in self.rows}
        return {**out, **self.finished()}


def check_writable(out: Path) -> None:
    """Create `out` if needed and prove that a file can be written and synced there."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        _probe(out / f".write-test-{os.getpid()}")
    except OSError as exc:
        raise ResultsFolderError(f"Cannot write the results folder {out}: {_reason(exc)}. Choose another --out, "
                                 f"a folder you may write to on a disk with free space.") from None


def _probe(path: Path) -> None:  # a seam for tests: root may write even where chmod says no
    with open(path, "wb") as fh:
        fh.write(b"ok\n")
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()


def read_rows(out: Path, repair: bool = False) -> Rows:
    """The rows of `out/results.jsonl` (none if absent); with `repair`, a partial last line is cut off."""
    path = Path(out) / RESULTS
    if not path.exists():
        return Rows()
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1  # the end of the last complete line
    found = Rows()
    for number, line in enumerate(data[:end].splitlines(), start=1):
        if line.strip():
            _parse(line, f"{path} line {number}", found)
    if data[end:].strip():
        cell = re.search(rb'"cell_id":\s*"([^"]+)"', data[end:])
        who = f"cell {cell.group(1).decode(errors='replace')}" if cell else "its cell"
        found.ignored.append(f"{path} ends in a partial line ({len(data) - end} bytes, from a run stopped while "
                             f"writing): ignored{', and cut off' if repair else ''}; {who} runs again.")
        if repair:
            _truncate(path, end)
    return found


def append_row(out: Path, row: Mapping[str, Any]) -> None:
    """Append one row as a single line and sync it to disk."""
    path = Path(out) / RESULTS
    data = (json.dumps(plain(row), ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = 0
            while written < len(data):
                written += _write(fd, data[written:])
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ResultsFolderError(f"Cannot append a result to {path}: {_reason(exc)}. The folder {Path(out)} is "
                                 f"read-only or full: free some space (or choose another --out), then run the same "
                                 f"command again to resume.") from None


def _write(fd: int, data: bytes) -> int:  # a seam for tests that simulate a full disk
    return os.write(fd, data)


def plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars become Python numbers, NaN and infinities None, paths strings."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item) and getattr(value, "shape", None) == ():
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _parse(line: bytes, where: str, found: Rows) -> None:
    try:
        row = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        found.ignored.append(f"{where} is not valid JSON: ignored; its cell runs again.")
        return
    if not isinstance(row, dict) or not isinstance(row.get("cell_id"), str):
        found.ignored.append(f"{where} is not a result row (no cell_id): ignored.")
        return
    found.rows.append(row)


def _truncate(path: Path, size: int) -> None:
    try:
        os.truncate(path, size)
    except OSError as exc:
        raise ResultsFolderError(f"Cannot cut the partial last line off {path}: {_reason(exc)}.") from None


def _reason(exc: OSError) -> str:
    return f"{exc.strerror or type(exc).__name__} ({exc.filename})" if exc.filename else (exc.strerror or str(exc))
