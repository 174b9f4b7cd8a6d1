"""The folder lock: one runner per folder, refused at once with the holder's name; a dead holder's lock is taken over."""
import os
import socket
import subprocess
import sys

import pytest

from s2s_embed.errors import ConfigError
from s2s_embed.lock import LOCK_NAME, FolderLockedError, folder_lock, holder

HOLD = """
import sys
from s2s_embed.lock import folder_lock
with folder_lock(sys.argv[1], "--out"):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_a_second_lock_is_refused_naming_the_host_and_pid(tmp_path):
    with folder_lock(tmp_path / "out", "--out"):
        assert holder(tmp_path / "out") == f"host {socket.gethostname()} pid {os.getpid()}"
        with pytest.raises(FolderLockedError, match=rf"--out = .*out.* in use .*host {socket.gethostname()} "
                                                    rf"pid {os.getpid()}\)"):
            with folder_lock(tmp_path / "out", "--out"):
                pass
    assert holder(tmp_path / "out") is None


def test_a_lock_held_by_another_process_is_refused_until_it_ends(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(FolderLockedError, match=rf"pid {proc.pid}\)"):
            with folder_lock(out, "train.out_dir"):
                pass
    finally:
        proc.communicate("done\n", timeout=60)
    with folder_lock(out, "train.out_dir"):
        pass


def test_a_stale_lock_is_taken_over_and_that_is_said(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text("host=elsewhere pid=4194301\n")  # its process was killed: no flock on the file
    said = []
    with folder_lock(out, "--out", echo=said.append):
        assert f"pid={os.getpid()}" in (out / LOCK_NAME).read_text()
    assert said == [f"Took over the lock on {out} left by host elsewhere pid 4194301: that process is gone."]


def test_release_removes_the_lock_file_and_a_folder_left_empty(tmp_path):
    with folder_lock(tmp_path / "new", "--out"):
        assert (tmp_path / "new" / LOCK_NAME).is_file()
    assert not (tmp_path / "new").exists()
    (tmp_path / "kept").mkdir()
    with folder_lock(tmp_path / "kept", "--out") as folder:
        (folder / "results.jsonl").write_text("")
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["results.jsonl"]


def test_a_folder_under_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match=r"train.out_dir = .*file/m.*cannot create the folder"):
        with folder_lock(tmp_path / "file" / "m", "train.out_dir"):
            pass
