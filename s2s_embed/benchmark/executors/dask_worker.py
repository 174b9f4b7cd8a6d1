"""The Dask task on a worker: check this worker's code, then run the cell in a fresh Python process."""
from __future__ import annotations

import json
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from s2s_embed import atomic
from s2s_embed.benchmark import executors as _pkg  # the timeouts and limits, read from there when used
from s2s_embed.benchmark import store
from s2s_embed.benchmark.cell import CellTask, init_worker, run_cell
from s2s_embed.benchmark.executors import lost_row
from s2s_embed.benchmark.executors.dask_checks import differences, fingerprint


def _run_on_worker(task: CellTask, driver: dict[str, Any], topic: str) -> dict[str, Any]:
    """The task: say where it runs, check this worker's code, run the cell in a fresh process, add the worker."""
    from distributed import get_worker

    worker = get_worker()
    key = worker.get_current_task()
    worker.log_event(topic, {"key": str(key), "cell": task.cell.id, "worker": worker.address})
    problems = differences(worker.address, driver, fingerprint())
    if problems:
        return lost_row(task, f"this worker does not match the driver: {'; '.join(problems)}. Install the same "
                              f"s2s-embed and embedding packages here.", worker=worker.address)
    return {**_in_fresh_process(task, lambda: _abandoned(worker, key)), "worker": worker.address}


def _abandoned(worker, key) -> bool:
    """The scheduler no longer wants this task (its driver went away, or it was cancelled)."""
    ts = worker.state.tasks.get(key)
    return ts is None or ts.state in ("cancelled", "released", "forgotten")


def _in_fresh_process(task: CellTask, abandoned: Callable[[], bool]) -> dict[str, Any]:
    """run_cell(task) in a new Python process; stopped if `abandoned()` turns true."""
    with tempfile.TemporaryDirectory(prefix="s2s-embed-cell-") as tmp:
        job, result, errors = Path(tmp) / "task.pickle", Path(tmp) / "row.json", Path(tmp) / "stderr.txt"
        job.write_bytes(pickle.dumps(task))
        code = (f"from s2s_embed.benchmark.executors import cell_process; "
                f"cell_process({str(job)!r}, {str(result)!r}, {os.getpid()})")
        with open(errors, "wb") as err:
            process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=err,
                                       env={**os.environ, "OMP_NUM_THREADS": "1"})
            try:
                while process.poll() is None:
                    if abandoned():
                        process.kill()
                        return lost_row(task, "stopped: the driver no longer wants this cell")
                    time.sleep(_pkg.POLL)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
        if process.returncode == 0 and result.is_file():
            return json.loads(result.read_text(encoding="utf-8"))
        tail = errors.read_text(encoding="utf-8", errors="replace")[-_pkg.TAIL:]
        return lost_row(task, f"the cell's process on {socket.gethostname()} ended with exit code "
                              f"{process.returncode} (out of memory? killed?)", traceback=tail)


def cell_process(job: str, result: str, parent: int) -> None:
    """The fresh process: one torch thread, run the cell, write its row; end if the worker that started it dies."""
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    init_worker()
    task = pickle.loads(Path(job).read_bytes())
    row = run_cell(task)
    atomic.write_text(Path(result), json.dumps(store.plain(row), ensure_ascii=False))


def _exit_with_parent(parent: int) -> None:
    """A worker killed mid-cell leaves no cell process behind to write into a folder a rerun now uses."""
    while os.getppid() == parent:
        time.sleep(_pkg.POLL)
    os._exit(3)
