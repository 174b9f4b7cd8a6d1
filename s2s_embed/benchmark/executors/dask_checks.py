"""What runs on the driver and on every worker alike: the fingerprint that must match, and the checks on it."""
from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import Any

from s2s_embed.benchmark import executors as _pkg  # _s2s_version, read from there when used
from s2s_embed.benchmark.cell import CellTask
from s2s_embed.benchmark.executors import ClusterError


def _needs_gpu(task: CellTask) -> bool:
    return task.cell.cfg.train.device == "cuda"


def fingerprint(results: str | None = None, token: str | None = None) -> dict[str, Any]:
    """What must match between driver and workers: s2s-embed's version and commit, and the embedding plugins.

    With `results` and `token`, also whether this process sees the driver's
    results folder: the file results/.s2s-embed-cluster-<token> holding token.
    """
    from s2s_embed.provenance import commit
    from s2s_embed.embeddings.registry import discover

    found = {"s2s-embed": _pkg._s2s_version(), "commit": commit()["commit"], "host": socket.gethostname(),
             "plugins": sorted([e.name, e.package, e.version] for e in discover())}
    if results is not None:
        probe = Path(results) / f".s2s-embed-cluster-{token}"
        try:
            found["sees_results"] = probe.read_text(encoding="utf-8") == token and os.access(results, os.W_OK)
        except OSError:
            found["sees_results"] = False
    return found


def _s2s_version() -> str:
    import s2s_embed

    return s2s_embed.__version__


def differences(worker: str, mine: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """What differs between the driver's fingerprint and a worker's, each naming the worker and the package."""
    found = []
    if theirs["s2s-embed"] != mine["s2s-embed"]:
        found.append(f"worker {worker} has s2s-embed {theirs['s2s-embed']}, this driver {mine['s2s-embed']}")
    elif mine["commit"] and theirs["commit"] and mine["commit"] != theirs["commit"]:
        found.append(f"worker {worker} runs s2s-embed at commit {theirs['commit'][:12]}, this driver at "
                     f"{mine['commit'][:12]}")
    ours = {name: (package, version) for name, package, version in mine["plugins"]}
    its = {name: (package, version) for name, package, version in theirs["plugins"]}
    for name in sorted(set(ours) | set(its)):
        if ours.get(name) == its.get(name):
            continue
        if name not in its:
            found.append(f"worker {worker} lacks embedding plugin '{name}' from {_package(ours[name])}")
        elif name not in ours:
            found.append(f"worker {worker} has embedding plugin '{name}' from {_package(its[name])}, which this "
                         f"driver lacks")
        else:
            found.append(f"worker {worker} has embedding plugin '{name}' from {_package(its[name])}, this driver "
                         f"from {_package(ours[name])}")
    return found


def _package(entry: tuple[str, str]) -> str:
    return f"{entry[0]} {entry[1]}".strip()


def _check_workers(client, where: str, driver: dict[str, Any], results: Path) -> None:
    """Every worker runs the driver's code and plugins and sees the results folder; else nothing trains."""
    token = secrets.token_hex(8)
    probe = results / f".s2s-embed-cluster-{token}"
    probe.write_text(token, encoding="utf-8")
    try:
        answers = client.run(fingerprint, str(results), token, on_error="return")
    finally:
        probe.unlink(missing_ok=True)
    problems = []
    for worker, theirs in sorted(answers.items()):
        if isinstance(theirs, BaseException):
            problems.append(f"worker {worker} cannot run s2s-embed ({type(theirs).__name__}: {theirs}); install it "
                            f"there")
            continue
        problems += differences(worker, driver, theirs)
        if not theirs.get("sees_results"):
            problems.append(f"worker {worker} (host {theirs['host']}) cannot read and write the results folder "
                            f"{results}: --out must be on a filesystem every worker mounts at the same path "
                            f"(docs/cluster.md)")
    if problems:
        raise ClusterError(f"The workers of {where} do not match this driver, so no cell was started: "
                           f"{'; '.join(problems[:10])}{'; ...' if len(problems) > 10 else ''}. Install the same "
                           f"s2s-embed and embedding packages (pip install -c constraints.txt ...) on every worker, "
                           f"or leave the odd workers out.")


def _check_resources(client, where: str, tasks: list[CellTask]) -> None:
    """A cell on train.device = "cuda" needs a worker with a GPU resource, or it would wait for ever."""
    gpu_cells = [t.cell.id for t in tasks if _needs_gpu(t)]
    if not gpu_cells:
        return
    workers = client.scheduler_info(n_workers=-1)["workers"]
    if not any(info.get("resources", {}).get("GPU", 0) >= 1 for info in workers.values()):
        raise ClusterError(f"{len(gpu_cells)} cell(s) ({gpu_cells[0]}, ...) train on train.device = 'cuda', but no "
                           f"worker of {where} has a GPU resource. Start GPU workers with `dask worker {where} "
                           f"--nthreads 1 --resources GPU=1`, or set base.train.device = 'auto' to use CUDA where "
                           f"a worker has it.")
