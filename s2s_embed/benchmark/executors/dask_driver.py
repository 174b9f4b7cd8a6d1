"""The Dask executor on the driver: connect or start a cluster, check its workers, submit the cells, collect rows."""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from s2s_embed.benchmark import executors as _pkg  # the timeouts and limits, read from there when used
from s2s_embed.benchmark.cell import CellTask
from s2s_embed.benchmark.executors import ClusterError, lost_row
from s2s_embed.benchmark.executors.dask_checks import _check_resources, _check_workers, _needs_gpu, fingerprint
from s2s_embed.benchmark.executors.dask_worker import _run_on_worker
from s2s_embed.errors import ConfigError

if TYPE_CHECKING:
    from s2s_embed.benchmark.runner import Progress


def run_dask(tasks: list[CellTask], workers: int, progress: Progress,
             scheduler: str | None = None) -> Iterator[tuple[CellTask, dict]]:
    """As they finish on the workers of `scheduler`, or of a local cluster of `workers` processes."""
    remote = [_absolute(t) for t in tasks]  # a worker's working folder is not the driver's
    with _client(scheduler, workers) as client:
        where = scheduler or client.scheduler.address
        driver = fingerprint()
        _check_workers(client, where, driver, remote[0].folder.parents[1])  # OUT, from OUT/runs/<cell id>
        _check_resources(client, where, remote)
        yield from _run(client, tasks, remote, driver, progress)


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int):
    """A client of the scheduler at `scheduler`, or of a local cluster on 127.0.0.1 closed after."""
    distributed = _distributed()
    if not scheduler:
        import torch

        resources = {"GPU": 1} if torch.cuda.is_available() else {}
        with distributed.LocalCluster(host="127.0.0.1", n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None, resources=resources, silence_logs=logging.ERROR,
                                      scheduler_kwargs={"allowed_failures": _pkg.RERUNS}) as cluster, \
                distributed.Client(cluster, set_as_default=False) as client:
            yield client
        return
    try:
        client = distributed.Client(scheduler, timeout=_pkg.CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"Cannot reach the Dask scheduler at --scheduler {scheduler} within {_pkg.CONNECT_TIMEOUT} s "
                           f"({type(exc).__name__}: {' '.join(str(exc).split())[:300]}). Start it (`dask scheduler`), "
                           f"check the address and port (tcp://HOST:8786) and that this machine may connect there, "
                           f"or leave --scheduler out to run a local cluster.") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=_pkg.WORKERS_TIMEOUT)
        except (TimeoutError, OSError):
            raise ClusterError(f"The Dask scheduler at {scheduler} has had no worker for {_pkg.WORKERS_TIMEOUT} s. Start "
                               f"some: `dask worker {scheduler} --nthreads 1` on each machine with s2s-embed "
                               f"installed.") from None
        yield client


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ConfigError("--executor dask needs Dask's distributed scheduler: pip install 's2s-embed[cluster]' "
                          "(on the driver and on every worker).") from None
    return distributed


def _absolute(task: CellTask) -> CellTask:
    return dataclasses.replace(task, folder=task.folder.resolve(), log=task.log.resolve())


def _run(client, tasks: list[CellTask], remote: list[CellTask], driver: dict[str, Any],
         progress: Progress) -> Iterator[tuple[CellTask, dict]]:
    """Submit every cell, then yield each (task, row) as it ends; cancel what is left when stopped early."""
    topic = f"s2s-embed-{secrets.token_hex(6)}"
    inbox: queue.SimpleQueue = queue.SimpleQueue()  # ("started", event) and ("done", future), from Dask's threads
    client.subscribe_topic(topic, lambda event: inbox.put(("started", event[1])))
    futures = {}
    for task, far in zip(tasks, remote):
        future = client.submit(_run_on_worker, far, driver, topic, key=f"{topic}-{task.cell.id}", pure=False,
                               resources={"GPU": 1} if _needs_gpu(task) else None)
        future.add_done_callback(lambda f: inbox.put(("done", f)))
        futures[future.key] = (future, task)
    starts: dict[str, list[str]] = {}  # cell id -> the workers it started on
    try:
        while futures:
            kind, item = inbox.get()
            if kind == "started":
                ended = _started(item, starts, futures, progress)
                if ended is not None:
                    yield ended
            elif item.key in futures:
                _, task = futures.pop(item.key)
                yield task, _row_of(item, task, starts.get(task.cell.id, []))
    finally:
        client.cancel([f for f, _ in futures.values()], force=True)
        client.unsubscribe_topic(topic)


def _started(event: dict[str, str], starts: dict[str, list[str]], futures: dict,
             progress: Progress) -> tuple[CellTask, dict] | None:
    """Show where a cell started; a cell whose workers died more than RERUNS times is stopped and recorded failed."""
    key = event["key"]
    if key not in futures:
        return None
    future, task = futures[key]
    where = starts.setdefault(task.cell.id, [])
    where.append(event["worker"])
    if len(where) <= 1 + _pkg.RERUNS:
        progress.starting(task.cell, event["worker"])
        return None
    future.cancel(force=True)
    del futures[key]
    return task, lost_row(task, _died(where[:-1]), worker=where[-2])


def _row_of(future, task: CellTask, where: list[str]) -> dict[str, Any]:
    """The task's row, or a failed row that says what happened to it."""
    try:
        return future.result()
    except Exception as exc:
        last = getattr(getattr(exc, "last_worker", None), "address", None)
        if last:  # KilledWorker: the scheduler's own limit on reruns
            where = [*where[:-1], last] if where else [last]
            return lost_row(task, _died(where), worker=last)
        return lost_row(task, f"the cell's Dask task failed on {where[-1] if where else 'a worker'}: "
                              f"{type(exc).__name__}: {exc}", worker=where[-1] if where else None)


def _died(workers: list[str]) -> str:
    return (f"the Dask worker(s) running this cell died mid-cell ({', '.join(workers)}): killed, out of memory, or the "
            f"machine went away. The cell ran {len(workers)} time(s); run the same command again to retry it.")
