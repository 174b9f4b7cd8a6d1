"""Atomic file writes: a reader sees a file's last good content or its new content, never half of it.

Each write goes to a temporary file beside its target, is synced to disk and
renamed over the target. On any failure the temporary file is removed and the
error is raised as it came (an OSError for a full disk or a read-only folder),
so each caller words it for its own reader.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path


def write_text(path: Path, text: str, *, shared: bool = False) -> None:
    """Write `text` as UTF-8; see `replace_with`."""
    write_bytes(path, text.encode("utf-8"), shared=shared)


def write_bytes(path: Path, data: bytes, *, shared: bool = False) -> None:
    """Write `data`; see `replace_with`."""
    replace_with(path, lambda tmp: _write_file(tmp, data), shared=shared)


def replace_with(path: Path, write: Callable[[Path], None], *, shared: bool = False) -> None:
    """Call `write(tmp)` on a temporary file beside `path`, sync it, then rename it over `path`.

    `shared`: other processes may write the same file at the same time (a
    cache), so the temporary file carries this process's id and two writers
    never write into one file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp" if shared else f"{path.name}.tmp")
    try:
        write(tmp)
        _sync(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _write_file(path: Path, data: bytes) -> None:  # a seam for tests that simulate a full disk
    with open(path, "wb") as fh:
        fh.write(data)


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
