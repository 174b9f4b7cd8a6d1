"""From the results folder to numbers: per configuration, per test set, against the baseline.

Cells are grouped by (dataset, variant, train size); inside a group every
configuration is compared with the baseline on each test set:

* primary: `stats.seed_bootstrap_stats` on the per-sentence statistics of all
  seeds (seed spread + paired sentence bootstrap), Holm-adjusted across the
  configurations; the statistics are each cell's saved stats.<test set>.npz,
  else computed from its hypotheses and the folder's references
  (sentence_stats.py); a comparison that has neither is listed in
  `not_computed`, which the report shows at its top;
* secondary: `stats.paired_bootstrap` for each seed i of the configuration
  against seed i of the baseline (test-set sampling only, uncorrected);
* beside BLEU: best validation perplexity (Welch t over seeds, Holm-adjusted)
  and the epoch at which a configuration first reaches the baseline's best
  validation loss (the mean over its seeds).
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from s2s_embed import stats
from s2s_embed.benchmark import sentence_stats
from s2s_embed.benchmark.records import FAILED, Comparison, Power, Row, Scores, TestRow, holm
from s2s_embed.benchmark.store import Rows, plain
from s2s_embed.benchmark.testsets import read_refs, ref_path
from s2s_embed.errors import S2SError

METRICS = ("bleu", "chrf")
SCORES = ("bleu", "chrf", "bleu_tok_lc")


def analyse(out: Path, suite: Mapping[str, Any], found: Rows) -> dict[str, Any]:
    """Everything the report shows, as plain JSON-able data."""
    latest = {cell_id: Row.from_json(row) for cell_id, row in found.latest().items()}
    cells = suite["cells"]
    ok = {c["id"]: latest[c["id"]] for c in cells if c["id"] in latest and latest[c["id"]].ok}
    failed = [latest[c["id"]] for c in cells if c["id"] in latest and latest[c["id"]].status == FAILED]
    groups, waiting = [], []
    for key in _group_keys(cells):
        members = [c for c in cells if (c["dataset"], c["variant"], c["train_size"]) == key]
        runs = {cfg["name"]: sorted((ok[c["id"]] for c in members if c["config"] == cfg["name"] and c["id"] in ok),
                                    key=lambda r: r.seed) for cfg in suite["configs"]
                if any(c["config"] == cfg["name"] for c in members)}  # a config may run at some sizes only
        if any(runs.values()):
            groups.append(_group(out, suite, key, runs))
        else:  # nothing finished yet: named in the header, no empty tables
            waiting.append({"dataset": key[0], "variant": key[1], "train_size": key[2], "cells": len(members)})
    first = next(iter(ok.values()), None)
    return plain({
        "suite": {k: v for k, v in suite.items() if k != "cells"},
        "provenance": {"commit": first.commit, "dirty": first.dirty, "machine": first.machine,
                       "commits": _commits(ok.values()),
                       "backfilled": _backfilled(ok.values()),
                       "decode": first.config["decode"]} if first else {},
        "counts": {"cells": len(cells), "ok": len(ok), "failed": len(failed),
                   "not_run": sum(1 for c in cells if c["id"] not in latest)},
        "groups": groups,
        "waiting": waiting,
        "failed": [{"cell_id": row.cell_id, "error": row.error or ""} for row in failed],
        "ignored_lines": found.ignored,
        "not_computed": _not_computed(groups),
    })


def _not_computed(groups: list[dict]) -> list[dict[str, Any]]:
    """Every comparison whose data was missing or unreadable, by reason: the report must say so at its top."""
    found: dict[str, list[str]] = {}
    for group in groups:
        for test, result in group["test_sets"].items():
            for row in map(TestRow.from_json, result["configs"]):
                for key, comparison in row.columns():
                    if comparison.not_computed:
                        found.setdefault(comparison.note, []).append(f"{_group_name(group)} {test} {row.config} {key}")
    return [{"reason": reason, "columns": columns} for reason, columns in found.items()]


def _group_name(group: Mapping[str, Any]) -> str:
    return f"{group['dataset']}/{group['variant']}/n={group['train_size'] or 'all'}"


def _commits(rows) -> list[dict[str, Any]]:
    """Each commit the finished cells ran at, with its dirty flag and how many cells, in the order first seen."""
    seen: dict[tuple, int] = {}
    for row in rows:
        key = (row.commit, bool(row.dirty))
        seen[key] = seen.get(key, 0) + 1
    return [{"commit": commit, "dirty": dirty, "cells": n} for (commit, dirty), n in seen.items()]


def _backfilled(rows) -> list[dict[str, Any]]:
    """What scripts changed in the finished rows after their cells ran (`Row.backfilled`), by kind in the order
    first seen: how many rows, by which scripts, what (where the record says), and where the record keeps each
    test set's BLEU before and after, the change over those rows (mean, min, max)."""
    kinds: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        for kind, record in (row.backfilled or {}).items():
            kinds.setdefault(kind, []).append(record)
    found = []
    for kind, records in kinds.items():
        changes: dict[str, list[float]] = {}
        for record in records:
            for test, bleu in (record.get("bleu") or {}).items():
                changes.setdefault(test, []).append(bleu["after"] - bleu["before"])
        found.append({"kind": kind, "rows": len(records), "by": list(dict.fromkeys(r.get("by") for r in records)),
                      "what": next((r["what"] for r in records if r.get("what")), None),
                      "bleu_change": {test: {"mean": float(np.mean(d)), "min": min(d), "max": max(d), "n": len(d)}
                                      for test, d in changes.items()}})
    return found


def _group_keys(cells: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, int]]:
    keys: list[tuple[str, str, int]] = []
    for c in cells:
        key = (c["dataset"], c["variant"], c["train_size"])
        if key not in keys:
            keys.append(key)
    return keys


def _group(out: Path, suite: Mapping[str, Any], key: tuple[str, str, int], runs: dict[str, list[Row]]) -> dict:
    dataset, variant, size = key
    baseline = suite["baseline"]
    test_names = next(d["test_sets"] for d in suite["datasets"] if d["name"] == dataset)
    tests = {}
    for name in test_names:
        kept = ref_path(out, dataset, name).is_file()
        refs = read_refs(out, dataset, name) if kept else None  # None: the saved statistics stand in
        tests[name] = {"n_sentences": len(refs) if refs is not None else _n_sentences(runs, name),
                       "configs": _test_rows(out, runs, baseline, name, refs, suite)}
    pairs = [r.data["train_pairs"] for rs in runs.values() for r in rs if r.data]
    training = _training_rows(runs, baseline, suite["alpha"])
    improving = sum(r["convergence"]["still_improving"] for r in training)
    budgets = [r["convergence"]["epoch_budget"] for r in training if r["convergence"]["epoch_budget"]]
    return {"dataset": dataset, "variant": variant, "train_size": size, "baseline": baseline,
            "train_pairs": max(pairs) if pairs else None,
            "convergence": {"still_improving": improving, "runs": sum(r["n"] for r in training),
                            "epoch_budget": max(budgets) if budgets else None},
            "test_sets": tests, "training": training,
            "coverage": [_coverage_row(name, rs) for name, rs in runs.items() if rs],
            "rare_words": _rare_words(runs, baseline, test_names)}


# ---------------------------------------------------------------- scores on one test set


def _test_rows(out: Path, runs: dict[str, list[Row]], baseline: str, test: str, refs: list[str] | None,
               suite: Mapping[str, Any]) -> list[dict]:
    """Each configuration's TestRow on `test`, as JSON; the others' comparisons Holm-adjusted per metric."""
    base_runs = runs.get(baseline, [])
    n, alpha = suite["bootstrap_samples"], suite["alpha"]
    tested = [name for name, rs in runs.items() if name != baseline and rs]
    vs: dict[str, dict[str, Comparison]] = {name: {} for name in tested}
    power: dict[str, dict[str, Power]] = {name: {} for name in tested}
    per_seed: dict[str, dict[str, dict[str, Comparison]]] = {name: {} for name in tested}
    for metric in METRICS:
        results = holm([_seed_test(out, base_runs, runs[name], test, refs, metric, n) for name in tested], alpha)
        for name, result in zip(tested, results):
            vs[name][metric], power[name][metric] = result, _power(result, alpha)
            per_seed[name][metric] = _per_seed(out, base_runs, runs[name], test, refs, metric, n)
    rows = []
    for name, rs in runs.items():
        scores = [s for s in (r.scores_on(test) for r in rs) if s is not None]
        first = rs[0].scores_on(test) if rs else None
        rows.append(TestRow(
            config=name, baseline=name == baseline, n=len(rs), seeds=[r.seed for r in rs],
            scores={score: _mean_std([s.score(score) for s in scores]) for score in SCORES},
            signatures={"bleu": first.bleu_signature_str, "chrf": first.chrf_signature_str} if first else {},
            vs_baseline=vs.get(name, {}), power=power.get(name, {}), per_seed=per_seed.get(name, {})).to_json())
    return rows


def _power(result: Comparison, alpha: float) -> Power:
    """What the design could have seen: the difference it detects with 80% power, and the seeds for 1 point."""
    if result.parts is None:
        return Power(note=result.note or "not tested")
    return Power.from_json(stats.power_of({"parts": result.parts}, effect=1.0, alpha=alpha))


def _n_sentences(runs: dict[str, list[Row]], test: str) -> int | None:
    """The test set's size as the rows scored it (for a folder without its references)."""
    sizes = {s.n_sentences for rs in runs.values() for s in (r.scores_on(test) for r in rs) if s is not None}
    return max((s for s in sizes if s is not None), default=None)


def _seed_test(out: Path, base_runs: list[Row], sys_runs: list[Row], test: str, refs: list[str] | None,
               metric: str, n: int) -> Comparison:
    if len(base_runs) < 2 or len(sys_runs) < 2:
        return Comparison.skipped(f"needs at least 2 seeds of both (has {len(sys_runs)} and baseline {len(base_runs)})")
    try:
        return Comparison.from_json(stats.seed_bootstrap_stats(_run_stats(out, base_runs, test, refs, metric),
                                                               _run_stats(out, sys_runs, test, refs, metric),
                                                               metric, n=n))
    except S2SError as exc:
        return Comparison.skipped(str(exc), not_computed=True)


def _run_stats(out: Path, rows: list[Row], test: str, refs: list[str] | None, metric: str) -> np.ndarray:
    """Each run's per-sentence statistics, (runs, sentences, K): saved, or from its hypotheses and `refs`."""
    return np.stack([sentence_stats.for_run(out, r, test, refs, metric) for r in rows])


def _per_seed(out: Path, base_runs: list[Row], sys_runs: list[Row], test: str, refs: list[str] | None,
              metric: str, n: int) -> dict[str, Comparison]:
    """Secondary: sacreBLEU's paired bootstrap of seed i against the baseline's seed i."""
    base = {r.seed: r for r in base_runs}
    found = {}
    for r in sys_runs:
        if r.seed in base:
            try:
                result = Comparison.from_json(stats.paired_bootstrap_stats(
                    sentence_stats.for_run(out, base[r.seed], test, refs, metric),
                    sentence_stats.for_run(out, r, test, refs, metric), metric, n=n))
            except S2SError as exc:
                result = Comparison.skipped(str(exc), not_computed=True)
            found[str(r.seed)] = result
    return found


# ---------------------------------------------------------------- training and coverage


def _training_rows(runs: dict[str, list[Row]], baseline: str, alpha: float) -> list[dict]:
    base_runs = runs.get(baseline, [])
    target = sum(r.best_valid_loss for r in base_runs) / len(base_runs) if base_runs else None
    rows = []
    for name, rs in runs.items():
        reached = [_first_epoch_below(r.valid_losses, target) for r in rs] if target is not None else []
        hits = [e for e in reached if e is not None]
        rows.append({
            "config": name, "baseline": name == baseline, "n": len(rs),
            "best_valid_ppl": _mean_std([r.best_valid_ppl for r in rs]),
            "epochs_to_baseline_loss": {"mean": sum(hits) / len(hits) if hits else None, "reached": len(hits),
                                        "n": len(rs), "target_loss": target},
            "best_epoch": _mean_std([r.best_epoch for r in rs]),
            "convergence": _convergence(rs),
            "train_seconds": _mean_std([r.train_seconds for r in rs]),
            "cell_seconds": _mean_std([r.cell_seconds for r in rs]),
            "tokens_per_s": _mean_std([r.tokens_per_s for r in rs if r.tokens_per_s]),
            "parameters": rs[0].parameters if rs else None,
            "valid_loss_curve": _curve([r.valid_losses for r in rs]),
        })
    others = [r for r in rows if not r["baseline"] and r["n"]]
    tested = holm([_ppl_test(base_runs, runs[r["config"]]) for r in others], alpha)
    for row, result in zip(others, tested):
        row["vs_baseline_ppl"] = result.to_json()
    return rows


def _convergence(rs: list[Row]) -> dict[str, Any]:
    """How many runs had their best validation loss at their last epoch (still improving when they stopped)."""
    improving = [r for r in rs if r.improving]
    budgets = sorted({r.config["train"]["epochs"] for r in rs})
    return {"still_improving": len(improving), "n": len(rs), "epoch_budget": budgets[-1] if budgets else None,
            "epochs_run": _mean_std([r.epochs_run for r in rs]),
            "seeds_still_improving": [r.seed for r in improving]}


def _ppl_test(base_runs: list[Row], sys_runs: list[Row]) -> Comparison:
    if len(base_runs) < 2 or len(sys_runs) < 2:
        return Comparison.skipped(f"needs at least 2 seeds of both (has {len(sys_runs)} and baseline {len(base_runs)})")
    return Comparison.from_json(stats.seed_level_test([r.best_valid_ppl for r in base_runs],
                                                      [r.best_valid_ppl for r in sys_runs]))


def _first_epoch_below(losses: Sequence[float], target: float) -> int | None:
    for epoch, loss in enumerate(losses, start=1):
        if loss is not None and loss <= target + 1e-12:
            return epoch
    return None


def _curve(series: list[list[float]]) -> dict[str, list]:
    """Mean and std per epoch over the seeds that ran that epoch (early stopping makes them uneven)."""
    longest = max((len(s) for s in series), default=0)
    means, stds = [], []
    for i in range(longest):
        mean, std = stats.mean_std([s[i] for s in series if len(s) > i])
        means.append(mean)
        stds.append(std)
    return {"epoch": list(range(1, longest + 1)), "mean": means, "std": stds}


def _coverage_row(name: str, rs: list[Row]) -> dict:
    row: dict[str, Any] = {"config": name}
    for side in ("source", "target"):
        report = (rs[0].coverage or {}).get(side)
        plugin = (rs[0].embeddings or {}).get(side, {})
        row[side] = {"plugin": plugin.get("name"), "package": plugin.get("package"), "version": plugin.get("version"),
                     "types": report["types"]["ratio"] if report else None,
                     "tokens": report["tokens"]["ratio"] if report else None,
                     "source": report.get("source") if report else None}
    return row


def _rare_words(runs: dict[str, list[Row]], baseline: str, test_names: Sequence[str]) -> dict[str, dict]:
    """Per test set: target-word F by training-frequency bucket, mean ± std over seeds, ΔF from the baseline per
    bucket (Welch t over the seeds' F, uncorrected), and the test sources' <unk> and pretrained shares.

    Rows recorded before these counts existed are listed under "lacking" by seed, never counted as 0.
    """
    from s2s_embed.benchmark.rare_words import BUCKETS, BucketCounts

    found = {}
    for test in test_names:
        facts = {name: [s for s in (r.scores_on(test) for r in rs) if s is not None and s.rare_words is not None]
                 for name, rs in runs.items()}
        f = {name: [BucketCounts.from_json(t.rare_words).f_measures() for t in ts] for name, ts in facts.items()}

        def vs_baseline(name: str, b: int) -> dict[str, Any]:
            base = [s[b] for s in f.get(baseline, []) if s[b] is not None]
            system = [s[b] for s in f[name] if s[b] is not None]
            if len(base) < 2 or len(system) < 2:
                return Comparison.skipped(f"needs F from at least 2 seeds of both (has {len(system)} and baseline "
                                          f"{len(base)})").to_json()
            return Comparison.from_json(stats.seed_level_test(base, system)).to_json()

        configs = []
        for name, rs in runs.items():
            shares = [t.source_tokens for t in facts[name] if t.source_tokens is not None]
            entry = {"config": name, "baseline": name == baseline, "n": len(f[name]),
                     "lacking": [r.seed for r in rs if (r.scores_on(test) or Scores()).rare_words is None],
                     "f": [_mean_std([s[b] for s in f[name]]) for b in range(len(BUCKETS))],
                     "source_tokens": {k: _mean_std([s.get(k) for s in shares])
                                       for k in ("tokens", "unk", "pretrained")}}
            if name != baseline and f[name]:
                entry["vs_baseline"] = [vs_baseline(name, b) for b in range(len(BUCKETS))]
            configs.append(entry)
        first = next((ts[0].rare_words for ts in facts.values() if ts), None)
        found[test] = {"buckets": list(BUCKETS), "ref_words": first["ref"] if first else None, "configs": configs}
    return found


def _mean_std(values: Sequence[float]) -> dict[str, Any]:
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not values:
        return {"mean": None, "std": None, "n": 0}
    mean, std = stats.mean_std(values)
    return {"mean": mean, "std": std, "n": len(values)}


def load_suite_info(out: Path) -> dict[str, Any]:
    from s2s_embed.errors import ConfigError

    path = Path(out) / "suite.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{out} holds no benchmark results ({path.name} is missing). Run `s2s-embed benchmark SUITE "
                          f"--out {out}` first.") from None
    except ValueError as exc:
        raise ConfigError(f"{path} is corrupt ({exc}); rerun the suite into {out} to rewrite it.") from None
