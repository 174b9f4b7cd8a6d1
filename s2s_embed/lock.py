"""One runner per folder: an exclusive lock on a results folder or a model folder.

The lock is `fcntl.flock` on FOLDER/.s2s-embed.lock, held while the runner
works. The kernel drops it when the process ends, however it ends, so a lock
whose process is gone is free to take. The file names the holder's host and
pid, so a second runner can say who holds it; a file that still names someone
when the lock is free was left by a process that died, and taking it over is
said. The lock file is removed on release, and a folder the lock created is
removed too if nothing was put in it.

A process holds the lock until it leaves the `with` block, so a driver that
farms work out to other processes or machines takes it once, around the whole
run.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

from s2s_embed.errors import ConfigError

LOCK_NAME = ".s2s-embed.lock"


class FolderLockedError(ConfigError):
    """Another runner holds the folder's lock."""


@contextlib.contextmanager
def folder_lock(folder: str | Path, option: str, echo: Callable[[str], None] = print) -> Iterator[Path]:
    """Hold an exclusive lock on `folder` (created if missing) for the `with` block.

    `option` names where the folder came from (e.g. "--out", "train.out_dir") in
    the errors. Raises FolderLockedError at once if another runner holds it.
    """
    folder = Path(folder)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{option} = {str(folder)!r}: cannot create the folder ({exc.strerror or exc}). Choose "
                          f"a folder you may write to.") from None
    path = folder / LOCK_NAME
    fd = _acquire(path, option)
    try:
        left = os.read(fd, 4096).decode("utf-8", "replace").strip()
        if left:
            echo(f"Took over the lock on {folder} left by {_describe(left)}: that process is gone.")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"host={socket.gethostname()} pid={os.getpid()}\n".encode(), 0)
        os.fsync(fd)
        yield folder
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)  # closing drops the lock
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty


def holder(folder: str | Path) -> str | None:
    """Who holds `folder`'s lock ('host H pid P'), or None if nobody does."""
    path = Path(folder) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _describe(os.read(fd, 4096).decode("utf-8", "replace").strip())
        return None
    finally:
        os.close(fd)


def _acquire(path: Path, option: str) -> int:
    """An open descriptor of `path` holding its flock; the file at `path` is the one locked."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ConfigError(f"{option}: cannot create the lock file {path} ({exc.strerror or exc}). Choose a "
                              f"folder you may write to.") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = _describe(os.read(fd, 4096).decode("utf-8", "replace").strip())
            os.close(fd)
            raise FolderLockedError(f"{option} = {str(path.parent)!r} is in use by another s2s-embed run "
                                    f"({who}). Wait for it to finish, stop it, or choose another folder.") from None
        # A holder that released in the meantime removed the file it locked: lock the one now at `path`.
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def _describe(content: str) -> str:
    fields = dict(item.split("=", 1) for item in content.split() if "=" in item)
    if "host" in fields and "pid" in fields:
        return f"host {fields['host']} pid {fields['pid']}"
    return f"an unreadable lock file ({content[:80]!r})" if content else "a runner that has not written its name yet"
