"""Where a suite's cells run: a local process pool (the default) or a Dask cluster.

Both kinds take the cells' tasks and yield each task with its row as the cell
ends; the runner's driver alone appends the rows to results.jsonl. A kind is
one entry of EXECUTORS.

The Dask executor (`--executor dask`, the `cluster` extra):

* `--scheduler ADDRESS` connects to a running scheduler (a clear error within
  CONNECT_TIMEOUT seconds when nothing answers there); without one, a local
  cluster of `--workers` worker processes is started, bound to 127.0.0.1.
* Each cell is one task. On its worker the task runs the cell in a fresh
  Python process with one torch thread, so a cell's memory, threads and CUDA
  state end with it. A cell whose `train.device` is "cuda" asks for the worker
  resource GPU=1: only workers started with `--resources GPU=1` take it. A cell
  on "auto" runs on any worker and uses CUDA where that worker has it.
* Model folders are written straight into `--out`, which must be on a
  filesystem that every worker mounts at the same path. This is checked
  before the first cell (each worker reads a token file the driver wrote
  there), and a worker that does not see it is an error naming it. Archiving
  folders back to the driver was the other choice; it was not taken because a
  cell killed mid-training resumes from its last epoch's checkpoint on
  whichever worker runs it next, which needs the checkpoint where that worker
  can read it, and because a model folder (weights, checkpoint, vector
  tables) runs to hundreds of MB, more than a scheduler's messages should carry.
* Before the first cell every worker must have the driver's s2s-embed
  version, its commit where both know one, and the same embedding plugins
  (name, package, version); a mismatch is an error naming the worker and the
  package, and nothing trains. A worker that joins later is checked by each
  task it runs: its cells fail with the same message.
* A worker that dies mid-cell: the scheduler runs the cell again on another
  worker, RERUNS times at most (the driver counts the starts, whatever the
  scheduler's own `allowed-failures`); after that the cell's row is "failed"
  and names the workers. A task whose driver has gone (killed, interrupted)
  stops its cell's process, so a rerun driver does not race a lost one.
* Each row records the worker that ran it ("worker": its address).
The local pool lives in `local`; the Dask executor in `dask_driver` (the
driver's side), `dask_checks` (what runs on driver and workers alike: the
fingerprint and its comparison) and `dask_worker` (the task on a worker). The
timeouts and limits below are read from this module when they are used.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from s2s_embed.benchmark.cell import CellTask
from s2s_embed.benchmark.records import FAILED, Row
from s2s_embed.errors import ConfigError, unknown

if TYPE_CHECKING:
    from s2s_embed.benchmark.runner import Progress

CONNECT_TIMEOUT = 10  # seconds to reach a scheduler before saying it is unreachable
WORKERS_TIMEOUT = 60  # seconds to wait for a scheduler's first worker
RERUNS = 1  # a cell whose worker died runs again this many times, then is recorded failed
POLL = 0.5  # seconds between a cell process's checks that its task and its parent are still there
TAIL = 2000  # characters of a dead cell process's stderr kept in its row


class ClusterError(ConfigError):
    """The cluster cannot run the suite: scheduler unreachable, no workers, or workers unlike the driver."""


def check(executor: str, scheduler: str | None) -> None:
    """Reject a bad `--executor`/`--scheduler` pair before anything is read or written."""
    if executor not in EXECUTORS:
        raise ConfigError(f"--executor: {unknown('executor', executor, EXECUTORS)}")
    if scheduler and executor != "dask":
        raise ConfigError(f"--scheduler {scheduler} needs --executor dask (the local pool has no scheduler).")
    if executor == "dask":
        _distributed()


def execute(executor: str, tasks: list[CellTask], workers: int, progress: Progress,
            scheduler: str | None = None) -> Iterator[tuple[CellTask, dict]]:
    """Each task with its row, as the cells end, on the executor of that name."""
    check(executor, scheduler)
    if not tasks:
        return iter(())
    return EXECUTORS[executor](tasks, workers, progress, scheduler)


def lost_row(task: CellTask, error: str, **extra: Any) -> dict[str, Any]:
    """The "failed" row of a cell that gave no row of its own (its process died, or its worker)."""
    fields = {"traceback": "", **extra}
    return Row.for_cell(task.cell, task.cell.with_out_dir(task.folder).to_dict(), task.context, status=FAILED,
                        error=error, **fields).to_json()



from s2s_embed.benchmark.executors.dask_checks import _s2s_version, differences, fingerprint  # noqa: E402, F401  (_s2s_version: a test seam)
from s2s_embed.benchmark.executors.dask_driver import _distributed, _started, run_dask  # noqa: E402, F401
from s2s_embed.benchmark.executors.dask_worker import cell_process  # noqa: E402
from s2s_embed.benchmark.executors.local import run_local  # noqa: E402

EXECUTORS: dict[str, Callable[..., Iterator[tuple[CellTask, dict]]]] = {"local": run_local, "dask": run_dask}

__all__ = [
    "CONNECT_TIMEOUT", "EXECUTORS", "POLL", "RERUNS", "TAIL", "WORKERS_TIMEOUT", "ClusterError", "cell_process", "check",
    "differences", "execute", "fingerprint", "lost_row", "run_dask", "run_local",
]
