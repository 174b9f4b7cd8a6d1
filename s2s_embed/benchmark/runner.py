"""Run a suite: check it all, skip the finished cells, run the others, record each one the moment it ends.

    OUT/suite.json           the grid and its settings, for the report
    OUT/results.jsonl        one row per finished cell, ok or failed (store.py)
    OUT/runs/<cell id>/      each cell's model folder (kept, to evaluate later), hyps.<test set>.txt and
                             stats.<test set>.npz (the report's per-sentence counts, sentence_stats.py)
    OUT/logs/<cell id>.log   what its training printed
    OUT/testsets/            the test sets' sources and references
    OUT/.s2s-embed.lock      while a runner works: a second runner on OUT is refused (lock.py)

Rerunning the same command resumes: cells with an "ok" row are skipped; failed
cells, cells cut off by a partial last line, and cells never finished run
again (an interrupted training continues from its last epoch).

Test sets may be added to a finished suite (e.g. a held-out set, with `--set
suite.test_sets=[...]`): the kept models of the finished cells are scored on
the new ones, and a cell whose model folder is gone (runs/ is not in git) is
re-created first from its row's config and seed, its validation curve checked
against the row's. `recreate=True` re-creates the missing model folders even
without a new test set. Either way the cell gets a new row; the last one counts.
"""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from s2s_embed import config as config_mod
from s2s_embed import model_folder as mf
from s2s_embed.benchmark import executors, store
from s2s_embed.benchmark.cell import CellTask, has_model
from s2s_embed.benchmark.report import write_report
from s2s_embed.benchmark.suite import Cell, Suite, load_suite
from s2s_embed.benchmark.testsets import TestSet, check_corpora, load_test_sets, write_test_sets
from s2s_embed.errors import ConfigError
from s2s_embed.lock import folder_lock
from s2s_embed.provenance import commit


def run_suite(suite: str | Path, out_dir: str | Path, workers: int = 1, echo=print,
              overrides: Sequence[str] = (), recreate: bool = False, executor: str = "local",
              scheduler: str | None = None) -> Path:
    """Run (or resume) `suite`, a built-in name or a TOML file, into `out_dir`; returns the report's path.

    `overrides` are `key=value` items applied to the suite file before it is
    checked, e.g. "base.train.epochs=2" or "suite.seeds=[1]". `recreate`
    re-trains the finished cells whose model folder is gone. `executor` is
    "local" (a process pool of `workers`) or "dask" (the cluster of the
    scheduler at `scheduler`, else a local one of `workers` processes; see
    the executors package).
    """
    executors.check(executor, scheduler)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers = {workers!r} must be a whole number >= 1.")
    spec = load_suite(suite, overrides)
    out = Path(out_dir)
    store.check_writable(out)
    with folder_lock(out, "--out", echo):  # one runner per results folder, for the whole run
        return _run_locked(spec, out, workers, echo, overrides, recreate, executor, scheduler)


def _run_locked(spec: Suite, out: Path, workers: int, echo, overrides: Sequence[str], recreate: bool,
                executor: str = "local", scheduler: str | None = None) -> Path:
    found = store.read_rows(out, repair=True)
    for note in found.ignored:
        echo(note)
    cells = spec.cells()
    finished = found.finished()
    data_digests = check_corpora(spec)
    _check_same_configs(cells, finished, out, data_digests)
    tests = load_test_sets(spec)
    new_tests = _new_test_sets(cells, finished, tests, out)
    try:
        write_test_sets(tests, out)
        mf.write_json(out / "suite.json", {**spec.to_dict(), "overrides": list(overrides)})
    except OSError as exc:
        raise store.ResultsFolderError(f"Cannot write into the results folder {out}: {exc}. Free some space or "
                                       f"choose another --out.") from None
    todo = [c for c in cells if c.id not in finished]
    context = {"suite": spec.name, **commit()}
    tasks = [CellTask(c, out / "runs" / c.id, out / "logs" / f"{c.id}.log", tests[c.dataset], context) for c in todo]
    again = _finished_tasks(cells, finished, new_tests, tests, out, context, recreate)
    echo(f"Suite '{spec.name}': {len(cells)} cells, {len(cells) - len(todo)} already finished in {out}, "
         f"{len(todo)} to run{_where(executor, scheduler, workers) if todo else ''}.{_again_note(again)}")
    tasks += again
    progress = Progress(len(tasks), echo)
    outcomes = {"ok": 0, "failed": 0}
    for task, row in _execute(tasks, workers, progress, executor, scheduler):
        if task.previous is None or "recreated" in row:  # trained now: on the data read above
            row["data_digest"] = data_digests[task.cell.dataset]
        store.append_row(out, row)
        if row["status"] == "ok" and not spec.settings.keep_checkpoints:
            (task.folder / mf.CHECKPOINT).unlink(missing_ok=True)
        outcomes[row["status"]] += 1
        progress.finished(row)
    if outcomes["failed"]:
        echo(f"{outcomes['failed']} cell(s) failed (errors in {out / store.RESULTS} and the report); "
             f"run the same command again to retry them.")
    return write_report(out, echo)


def _execute(tasks: list[CellTask], workers: int, progress: Progress, executor: str = "local",
             scheduler: str | None = None) -> Iterator[tuple[CellTask, dict]]:
    """Each task with its row as its cell ends, on the executor of that name (the executors package)."""
    return executors.execute(executor, tasks, workers, progress, scheduler)


def _where(executor: str, scheduler: str | None, workers: int) -> str:
    if executor == "dask":
        return f" on the Dask cluster at {scheduler}" if scheduler else f" on a local Dask cluster of {workers} workers"
    return f" on {workers} workers" if workers > 1 else ""


def _check_same_configs(cells: list[Cell], finished: dict[str, dict], out: Path,
                        data_digests: dict[str, dict[str, str]] | None = None) -> None:
    """A finished cell counts only if it ran the config the suite now gives it, on the same data.

    Data is compared by content (the row's `data_digest`, where it has one), not by where its files lie.
    """
    for cell in cells:
        row = finished.get(cell.id)
        if row is None:
            continue
        diff = config_mod.diff(row.get("config", {}), cell.cfg.to_dict())
        if diff:
            raise ConfigError(f"Cell {cell.id} in {out / store.RESULTS} was run with another config "
                              f"({diff}). Run the suite as it was, use another --out, or delete "
                              f"that cell's rows from {store.RESULTS} to run it again.")
        now, then = (data_digests or {}).get(cell.dataset) or {}, row.get("data_digest") or {}
        changed = [f"{split} {then[split]} -> {now[split]}" for split in sorted(set(now) & set(then))
                   if now[split] != then[split]]
        if changed:
            raise ConfigError(f"Cell {cell.id} in {out / store.RESULTS} was trained on other data than the suite now "
                              f"reads for {cell.dataset} (digest {'; '.join(changed)}). Point the suite at the data "
                              f"it ran on, use another --out, or delete that cell's rows from {store.RESULTS} to run "
                              f"it again.")


def _new_test_sets(cells: list[Cell], finished: dict[str, dict], tests: dict[str, tuple[TestSet, ...]],
                   out: Path) -> dict[str, tuple[TestSet, ...]]:
    """Per finished cell, the suite's test sets it was not scored on yet.

    A test set it was scored on must hold the same sentences now (test_size
    included); sets it was scored on that the suite no longer lists are left
    out of the report.
    """
    new: dict[str, tuple[TestSet, ...]] = {}
    for cell in cells:
        row = finished.get(cell.id)
        if row is None:
            continue
        saved = {name: scores.get("digest") for name, scores in row.get("test", {}).items()}
        changed = [t.name for t in tests[cell.dataset] if t.name in saved and saved[t.name] != t.digest]
        if changed:
            raise ConfigError(f"Cell {cell.id} in {out / store.RESULTS} was scored on other sentences of "
                              f"{', '.join(changed)} than the suite now gives (another test_size or other files). "
                              f"Run the suite as it was, give the new sentences another test set name, or use "
                              f"another --out.")
        missing = tuple(t for t in tests[cell.dataset] if t.name not in saved)
        if missing:
            new[cell.id] = missing
    return new


def _finished_tasks(cells: list[Cell], finished: dict[str, dict], new_tests: dict[str, tuple[TestSet, ...]],
                    tests: dict[str, tuple[TestSet, ...]], out: Path, context: dict, recreate: bool) -> list[CellTask]:
    """Finished cells with work left: scoring on new test sets, re-created first if their model folder is gone."""
    tasks = []
    for cell in cells:
        row = finished.get(cell.id)
        if row is None:
            continue
        folder = out / "runs" / cell.id
        kept = has_model(folder)
        if cell.id in new_tests or (recreate and not kept):
            sets = new_tests[cell.id] if kept else tests[cell.dataset]  # a re-created cell is scored on all
            tasks.append(CellTask(cell, folder, out / "logs" / f"{cell.id}.log", sets, context, previous=row))
    return tasks


def _again_note(tasks: list[CellTask]) -> str:
    scored = sum(1 for t in tasks if has_model(t.folder))
    parts = []
    if scored:
        parts.append(f"{scored} kept model(s) to score on new test sets")
    if len(tasks) - scored:
        parts.append(f"{len(tasks) - scored} finished cell(s) whose model folder is gone to re-create from their "
                     f"config and seed")
    return f" Also {' and '.join(parts)}." if parts else ""


class Progress:
    """'cell k/n <id> [on WORKER] ...' lines with an ETA from the mean time per finished cell.

    k counts the cells started; a cell started again (its worker died) keeps its number.
    """

    def __init__(self, total: int, echo):
        self.total, self.echo = total, echo
        self.started, self.count = time.perf_counter(), 0
        self.numbers: dict[str, int] = {}

    def starting(self, cell: Cell, worker: str | None = None) -> None:
        again = " again" if cell.id in self.numbers else ""
        number = self.numbers.setdefault(cell.id, len(self.numbers) + 1)
        self.echo(f"cell {number}/{self.total} {cell.id}{f' on {worker}' if worker else ''}{again} ...")

    def finished(self, row: dict[str, Any]) -> None:
        self.count += 1
        elapsed = time.perf_counter() - self.started
        left = self.total - self.count
        eta = f"ETA {_duration(elapsed / self.count * left)}" if left else f"all done in {_duration(elapsed)}"
        last_added = list(row.get("tests_added", {}))[-1:]  # a kept model scored on a new test set: show that one
        if row["status"] == "ok":
            first = (last_added[0], row["test"][last_added[0]]) if last_added else next(iter(row["test"].items()), None)
            what = f"ok, BLEU {first[1]['bleu']:.2f} on {first[0]}" if first else "ok"
        else:
            what = f"FAILED: {' '.join(row['error'].split())[:200]}"
        seconds = row["tests_added"][last_added[0]].get("seconds", 0) if last_added else row.get("cell_seconds", 0)
        where = f" on {row['worker']}" if row.get("worker") else ""
        self.echo(f"cell {self.count}/{self.total} {row['cell_id']}: {what} ({_duration(seconds)}{where}); {eta}")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
