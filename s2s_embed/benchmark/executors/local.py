"""The local executor: cells in this process, or in a pool of worker processes."""
from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TYPE_CHECKING

from s2s_embed.benchmark.cell import CellTask, cell_threads, init_worker, run_cell
from s2s_embed.benchmark.executors import lost_row

if TYPE_CHECKING:
    from s2s_embed.benchmark.runner import Progress


def run_local(tasks: list[CellTask], workers: int, progress: Progress,
              scheduler: str | None = None) -> Iterator[tuple[CellTask, dict]]:
    """In order in this process, or as they finish in a pool of `workers` processes."""
    if workers == 1 or len(tasks) <= 1:
        for task in tasks:
            progress.starting(task.cell)
            with cell_threads():
                row = run_cell(task)
            yield task, row
        return
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=multiprocessing.get_context("spawn"),
                               initializer=init_worker)
    try:
        futures = {pool.submit(run_cell, task): task for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                row = future.result()
            except Exception as exc:  # the worker process died (killed, out of memory): record it, go on
                row = lost_row(task, f"the worker process running this cell died: {type(exc).__name__}: {exc} (out "
                                     f"of memory? killed? A script that calls run_suite with workers > 1 needs "
                                     f"`if __name__ == '__main__':`.)")
            yield task, row
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
