"""Atomic writes: the old content or the new, never half, and no temporary file left behind."""
import os

import pytest

from s2s_embed import atomic


def test_a_write_replaces_the_file_and_leaves_nothing_else(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old", encoding="utf-8")
    atomic.write_text(path, "new é")
    assert path.read_text(encoding="utf-8") == "new é"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_failed_write_keeps_the_last_content_removes_its_temporary_file_and_raises(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"good")

    def half_then_full_disk(tmp):
        tmp.write_bytes(b"ha")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic.replace_with(path, half_then_full_disk)
    assert path.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_a_shared_file_is_written_through_a_temporary_file_of_this_process(tmp_path):
    seen = []
    atomic.replace_with(tmp_path / "cache.npy", lambda tmp: (seen.append(tmp.name), tmp.write_bytes(b"x")), shared=True)
    assert seen == [f".cache.npy.{os.getpid()}.tmp"]
    assert (tmp_path / "cache.npy").read_bytes() == b"x"
