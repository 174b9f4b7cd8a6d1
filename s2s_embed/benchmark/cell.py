"""One cell of the grid: train, translate every test set, score, and describe it all in one row.

`run_cell` never raises for a failing cell (only for an interrupt): the error
and the end of its traceback go into a row with status "failed", and the
suite goes on. It runs in the main process or in a pool worker alike, so it
takes and returns plain data only.
"""
from __future__ import annotations

import contextlib
import datetime
import functools
import json
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s2s_embed import atomic
from s2s_embed.benchmark import sentence_stats
from s2s_embed.benchmark.records import FAILED, OK, Row, Scores
from s2s_embed.benchmark.suite import Cell
from s2s_embed.benchmark.testsets import TestSet

TRACEBACK_LINES = 25
THREADS = 1  # torch threads per cell


@dataclass(frozen=True)
class CellTask:
    cell: Cell
    folder: Path  # OUT/runs/<cell id>: the model folder, kept
    log: Path  # OUT/logs/<cell id>.log: what training printed
    test_sets: tuple[TestSet, ...]
    context: dict[str, Any]  # suite name, commit and dirty flag: the same for every cell of a run
    previous: dict[str, Any] | None = None  # the row of a finished cell: score its kept model, or re-create it


def has_model(folder: Path) -> bool:
    """The folder holds a finished training: config, best weights and the summary written at the end."""
    from s2s_embed import model_folder as mf

    return all((Path(folder) / name).is_file() for name in (mf.CONFIG, mf.WEIGHTS, mf.SUMMARY))


def hyps_path(folder: Path, test_set: str) -> Path:
    return Path(folder) / f"hyps.{test_set}.txt"


def init_worker() -> None:
    """Pool worker setup: one torch thread each, so parallel cells share the cores instead of fighting for them."""
    import torch

    torch.set_num_threads(THREADS)


@contextlib.contextmanager
def cell_threads():
    """Run cells in this process with THREADS torch threads, as pool workers do; restore the setting after.

    Small models run fastest on one thread, and torch's default (one per core)
    slows to a crawl when another process busies a core: a smoke cell went
    from 2 s to minutes on a loaded 2-core machine. More cores are used by
    running cells in parallel (workers).
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_cell(task: CellTask) -> dict[str, Any]:
    """Train, translate and score one cell; the JSON of its Row, status "ok", or "failed" with the error.

    For a finished cell (`task.previous`) with its model kept, only the new
    test sets are scored and added to a copy of its row; one whose model is
    gone trains again, and its row says how its curve compares with the first.
    """
    if task.previous is not None and has_model(task.folder):
        return _score_kept(task).to_json()
    started, clock = _now(), time.perf_counter()
    cell = task.cell
    facts: dict[str, Any] = {}
    tests: dict[str, Scores] | None = None
    failure: dict[str, str] = {}
    try:
        task.log.parent.mkdir(parents=True, exist_ok=True)
        with open(task.log, "a", encoding="utf-8") as log:
            echo = functools.partial(print, file=log, flush=True)
            echo(f"=== {cell.id} started {started}")
            _train(task, echo)
            facts = _training_facts(task.folder)
            tests = {t.name: _scores(task, t, echo) for t in task.test_sets}
    except Exception as exc:  # a failing cell is recorded; the suite goes on
        failure = _failure(f"{type(exc).__name__}: {exc}")
    row = Row.for_cell(cell, cell.with_out_dir(task.folder).to_dict(), task.context, **facts, test=tests,
                       status=FAILED if failure else OK, **failure, machine=_machine(), started_at=started,
                       finished_at=_now(), cell_seconds=round(time.perf_counter() - clock, 2))
    if task.previous is not None and row.ok:
        row = row.replace(recreated=_recreation(task.previous, row.to_json()))
    return row.to_json()


def _failure(error: str) -> dict[str, str]:
    """A failed row's error and the end of the traceback being handled."""
    return {"error": error, "traceback": "".join(traceback.format_exc().splitlines(keepends=True)[-TRACEBACK_LINES:])}


def _scores(task: CellTask, test: TestSet, echo) -> Scores:
    return Scores.from_json({**_evaluate(task, test, echo), "digest": test.digest})


def _score_kept(task: CellTask) -> Row:
    """The finished cell's row with the new test sets scored by its kept model (the rest unchanged)."""
    previous = Row.from_json(task.previous)
    tests, added = dict(previous.test or {}), dict(previous.tests_added or {})
    try:
        with open(task.log, "a", encoding="utf-8") as log:
            echo = functools.partial(print, file=log, flush=True)
            echo(f"=== {task.cell.id}: scoring the kept model on {', '.join(t.name for t in task.test_sets)}")
            for test in task.test_sets:
                clock = time.perf_counter()
                tests[test.name] = _scores(task, test, echo)
                added[test.name] = {"finished_at": _now(), "seconds": round(time.perf_counter() - clock, 2),
                                    "commit": task.context.get("commit"), "dirty": task.context.get("dirty"),
                                    "machine": _machine()}
    except Exception as exc:  # the finished row stays as it was; the failure is shown and the cell tried again
        return previous.replace(status=FAILED,
                                **_failure(f"scoring the kept model failed: {type(exc).__name__}: {exc}"))
    return previous.replace(test=tests, tests_added=added)


def _recreation(previous: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """How a re-created cell compares with its first run: the same seed on the same machine gives the same curve."""
    old, new = previous.get("valid_losses") or [], row.get("valid_losses") or []
    diffs = [abs(a - b) for a, b in zip(old, new)]
    return {"first_finished_at": previous.get("finished_at"), "first_commit": previous.get("commit"),
            "first_machine": previous.get("machine"),
            "first_test": {name: {k: s.get(k) for k in ("bleu", "chrf", "bleu_tok_lc")}
                           for name, s in previous.get("test", {}).items()},
            "valid_losses_max_abs_diff": max(diffs) if diffs else None,
            "same_curve": len(old) == len(new) and all(d <= 1e-6 for d in diffs)}


def _train(task: CellTask, echo) -> None:
    from s2s_embed.train import train

    cfg = task.cell.with_out_dir(task.folder)
    resume = _can_resume(task.folder, cfg.to_dict())
    if resume:
        echo(f"resuming the interrupted training in {task.folder}")
    train(cfg, resume=resume, overwrite=not resume, progress=False, echo=echo)


def _can_resume(folder: Path, wanted: dict[str, Any]) -> bool:
    """An interrupted run of this config left a checkpoint to continue from.

    "This config" is the runner's rule, config.diff: where the folder and the data lie does not count.
    """
    from s2s_embed import config as config_mod
    from s2s_embed import model_folder as mf

    if not (folder / mf.CHECKPOINT).is_file():
        return False
    try:
        saved = json.loads((folder / mf.CONFIG).read_text(encoding="utf-8"))["config"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return isinstance(saved, dict) and not config_mod.diff(saved, wanted)


def _evaluate(task: CellTask, test: TestSet, echo) -> dict[str, Any]:
    from s2s_embed.translate import Translator, evaluate_translator

    translator = Translator.from_folder(task.folder, task.cell.cfg.train.device)
    scores, hyps = evaluate_translator(translator, list(test.src), list(test.ref))
    atomic.write_text(hyps_path(task.folder, test.name), "".join(h + "\n" for h in hyps))
    sentence_stats.write(task.folder, test.name, test.digest, hyps, list(test.ref))  # the report needs no refs then
    cut = f", {scores['truncated']} cut at max_len {translator.max_len}" if scores["truncated"] else ""
    echo(f"{test.name}: BLEU {scores['bleu']:.2f}, chrF {scores['chrf']:.2f} ({len(hyps)} sentences{cut})")
    return {**scores, **_word_facts(translator, test, hyps)}


def _word_facts(translator, test: TestSet, hyps: list[str]) -> dict[str, Any]:
    """Target words by training frequency, and the test sources' <unk> and pretrained shares (see rare_words)."""
    from s2s_embed.benchmark import rare_words

    loaded = translator.loaded
    data = loaded.cfg.data
    seen = rare_words.training_words(data)
    return {"rare_words": rare_words.test_set_counts(hyps, test.ref, data, seen.target).to_json(),
            "source_tokens": rare_words.source_shares(test.src, data, loaded.src_vocab, _pretrained_rows(loaded))}


def _pretrained_rows(loaded) -> list[bool] | None:
    """Per source vocabulary id, whether its row came from pretrained vectors; None where the layer does not say."""
    import torch

    from s2s_embed import model_folder as mf

    flags = getattr(loaded.model.encoder.embed, "pretrained", None)  # the vector plugins' layer keeps a mask
    if isinstance(flags, torch.Tensor) and flags.dtype == torch.bool:
        return flags.tolist()
    if (mf.read_json(loaded.folder / mf.COVERAGE) or {}).get("source") is None:
        return [False] * len(loaded.src_vocab)  # no pretrained vectors at all (random, own-layer plugins without)
    return None


def _training_facts(folder: Path) -> dict[str, Any]:
    """What the model folder says about its training: plugins, coverage, losses, time, size."""
    from s2s_embed import model_folder as mf

    summary = mf.read_json(folder / mf.SUMMARY)
    plugins = mf.read_json(folder / mf.EMBEDDINGS)
    epochs = [json.loads(line) for line in (folder / mf.METRICS).read_text(encoding="utf-8").splitlines() if line.strip()]
    speeds = [e["tokens_per_s"] for e in epochs if e.get("tokens_per_s")]
    return {"embeddings": {side: plugins[side]["plugin"] for side in ("source", "target")},
            "coverage": mf.read_json(folder / mf.COVERAGE),
            "best_epoch": summary["best_epoch"], "epochs_run": summary["epochs_run"],
            "still_improving": summary["best_epoch"] == summary["epochs_run"],  # best loss at the last epoch
            "best_valid_loss": summary["best_valid_loss"], "best_valid_ppl": summary["best_valid_ppl"],
            "valid_losses": [e["valid_loss"] for e in epochs], "train_losses": [e["train_loss"] for e in epochs],
            "train_seconds": summary["train_seconds"],
            "tokens_per_s": round(sum(speeds) / len(speeds), 1) if speeds else None,
            "parameters": summary["parameters"], "data": summary["data"], "device": summary.get("device")}


@functools.lru_cache(maxsize=1)
def _machine() -> dict[str, Any]:
    from s2s_embed.provenance import machine

    return machine()


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
