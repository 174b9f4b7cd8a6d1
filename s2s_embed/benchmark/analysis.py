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
from s2s_embed.benchmark.cell import hyps_path
from s2s_embed.benchmark.store import Rows, plain
from s2s_embed.benchmark.testsets import read_refs, ref_path
from s2s_embed.data.corpus import read_lines
from s2s_embed.errors import S2SError

METRICS = ("bleu", "chrf")
SCORES = ("bleu", "chrf", "bleu_tok_lc")


def analyse(out: Path, suite: Mapping[str, Any], found: Rows) -> dict[str, Any]:
    """Everything the report shows, as plain JSON-able data."""
    latest = found.latest()
    cells = suite["cells"]
    ok = {c["id"]: latest[c["id"]] for c in cells if latest.get(c["id"], {}).get("status") == "ok"}
    groups = []
    for key in _group_keys(cells):
        members = [c for c in cells if (c["dataset"], c["variant"], c["train_size"]) == key]
        runs = {cfg["name"]: sorted((ok[c["id"]] for c in members if c["config"] == cfg["name"] and c["id"] in ok),
                                    key=lambda r: r["seed"]) for cfg in suite["configs"]}
        groups.append(_group(out, suite, key, runs))
    first = next(iter(ok.values()), None)
    return plain({
        "suite": {k: v for k, v in suite.items() if k != "cells"},
        "provenance": {"commit": first.get("commit"), "dirty": first.get("dirty"), "machine": first.get("machine"),
                       "commits": _commits(ok.values()),
                       "decode": first["config"]["decode"]} if first else {},
        "counts": {"cells": len(cells), "ok": len(ok),
                   "failed": sum(1 for c in cells if latest.get(c["id"], {}).get("status") == "failed"),
                   "not_run": sum(1 for c in cells if c["id"] not in latest)},
        "groups": groups,
        "failed": [{"cell_id": c["id"], "error": latest[c["id"]].get("error", "")} for c in cells
                   if latest.get(c["id"], {}).get("status") == "failed"],
        "ignored_lines": found.ignored,
        "not_computed": _not_computed(groups),
    })


def _not_computed(groups: list[dict]) -> list[dict[str, Any]]:
    """Every comparison whose data was missing or unreadable, by reason: the report must say so at its top."""
    found: dict[str, list[str]] = {}
    for group in groups:
        for test, result in group["test_sets"].items():
            for row in result["configs"]:
                for key in (f"{kind}_{m}" for kind in ("vs_baseline", "per_seed") for m in METRICS):
                    results = row.get(key, {}).values() if key.startswith("per_seed") else [row.get(key, {})]
                    for r in results:
                        if r.get("not_computed"):
                            found.setdefault(r["note"], []).append(f"{_group_name(group)} {test} {row['config']} {key}")
    return [{"reason": reason, "columns": columns} for reason, columns in found.items()]


def _group_name(group: Mapping[str, Any]) -> str:
    return f"{group['dataset']}/{group['variant']}/n={group['train_size'] or 'all'}"


def _commits(rows) -> list[dict[str, Any]]:
    """Each commit the finished cells ran at, with its dirty flag and how many cells, in the order first seen."""
    seen: dict[tuple, int] = {}
    for row in rows:
        key = (row.get("commit"), bool(row.get("dirty")))
        seen[key] = seen.get(key, 0) + 1
    return [{"commit": commit, "dirty": dirty, "cells": n} for (commit, dirty), n in seen.items()]


def _group_keys(cells: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, int]]:
    keys: list[tuple[str, str, int]] = []
    for c in cells:
        key = (c["dataset"], c["variant"], c["train_size"])
        if key not in keys:
            keys.append(key)
    return keys


def _group(out: Path, suite: Mapping[str, Any], key: tuple[str, str, int], runs: dict[str, list[dict]]) -> dict:
    dataset, variant, size = key
    baseline = suite["baseline"]
    test_names = next(d["test_sets"] for d in suite["datasets"] if d["name"] == dataset)
    tests = {}
    for name in test_names:
        kept = ref_path(out, dataset, name).is_file()
        refs = read_refs(out, dataset, name) if kept else None  # None: the saved statistics stand in
        tests[name] = {"n_sentences": len(refs) if refs is not None else _n_sentences(runs, name),
                       "configs": _test_rows(out, runs, baseline, name, refs, suite)}
    pairs = [r["data"]["train_pairs"] for rs in runs.values() for r in rs if r.get("data")]
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


def _test_rows(out: Path, runs: dict[str, list[dict]], baseline: str, test: str, refs: list[str] | None,
               suite: Mapping[str, Any]) -> list[dict]:
    rows = []
    for name, rs in runs.items():
        row: dict[str, Any] = {"config": name, "baseline": name == baseline, "n": len(rs), "seeds": [r["seed"] for r in rs]}
        for score in SCORES:
            row[score] = _mean_std([r["test"][test][score] for r in rs if score in r["test"].get(test, {})])
        row["signatures"] = {m: rs[0]["test"][test].get(f"{m}_signature_str") for m in METRICS} if rs else {}
        rows.append(row)
    base_runs = runs.get(baseline, [])
    n, alpha = suite["bootstrap_samples"], suite["alpha"]
    for metric in METRICS:
        others = [r for r in rows if not r["baseline"] and r["n"]]
        tested = [(r, _seed_test(out, base_runs, runs[r["config"]], test, refs, metric, n)) for r in others]
        _holm_into(tested, f"vs_baseline_{metric}", alpha)
        for r, result in tested:
            r[f"power_{metric}"] = _power(result, alpha)
        for r, _ in tested:
            r[f"per_seed_{metric}"] = _per_seed(out, base_runs, runs[r["config"]], test, refs, metric, n)
    return rows


def _power(result: Mapping[str, Any], alpha: float) -> dict[str, Any]:
    """What the design could have seen: the difference it detects with 80% power, and the seeds for 1 point."""
    if "parts" not in result:
        return {"note": result.get("note", "not tested")}
    return stats.power_of(dict(result), effect=1.0, alpha=alpha)


def _n_sentences(runs: dict[str, list[dict]], test: str) -> int | None:
    """The test set's size as the rows scored it (for a folder without its references)."""
    sizes = {r["test"][test].get("n_sentences") for rs in runs.values() for r in rs if test in r.get("test", {})}
    return max((s for s in sizes if s is not None), default=None)


def _seed_test(out: Path, base_runs: list[dict], sys_runs: list[dict], test: str, refs: list[str] | None,
               metric: str, n: int) -> dict:
    if len(base_runs) < 2 or len(sys_runs) < 2:
        return {"note": f"needs at least 2 seeds of both (has {len(sys_runs)} and baseline {len(base_runs)})"}
    try:
        return stats.seed_bootstrap_stats(_run_stats(out, base_runs, test, refs, metric),
                                          _run_stats(out, sys_runs, test, refs, metric), metric, n=n)
    except S2SError as exc:
        return {"note": str(exc), "not_computed": True}


def _run_stats(out: Path, rows: list[dict], test: str, refs: list[str] | None, metric: str) -> np.ndarray:
    """Each run's per-sentence statistics, (runs, sentences, K): saved, or from its hypotheses and `refs`."""
    return np.stack([sentence_stats.for_run(out, r, test, refs, metric) for r in rows])


def _per_seed(out: Path, base_runs: list[dict], sys_runs: list[dict], test: str, refs: list[str] | None,
              metric: str, n: int) -> dict[str, dict]:
    """Secondary: sacreBLEU's paired bootstrap of seed i against the baseline's seed i."""
    base = {r["seed"]: r for r in base_runs}
    found = {}
    for r in sys_runs:
        if r["seed"] in base:
            try:
                result = stats.paired_bootstrap_stats(sentence_stats.for_run(out, base[r["seed"]], test, refs, metric),
                                                      sentence_stats.for_run(out, r, test, refs, metric), metric, n=n)
            except S2SError as exc:
                result = {"note": str(exc), "not_computed": True}
            found[str(r["seed"])] = result
    return found


def _hyps(out: Path, row: Mapping[str, Any], test: str) -> list[str]:
    return read_lines(hyps_path(Path(out) / row["model_folder"], test))


def _holm_into(tested: list[tuple[dict, dict]], key: str, alpha: float) -> None:
    """Store each test result under `key`, with Holm-adjusted p and the significance call where it ran."""
    ran = [(row, result) for row, result in tested if "p_value" in result]
    decided = stats.decide([result for _, result in ran], alpha) if ran else []
    for (row, _), result in zip(ran, decided):
        row[key] = result
    for row, result in tested:
        row.setdefault(key, result)


# ---------------------------------------------------------------- training and coverage


def _training_rows(runs: dict[str, list[dict]], baseline: str, alpha: float) -> list[dict]:
    base_runs = runs.get(baseline, [])
    target = sum(r["best_valid_loss"] for r in base_runs) / len(base_runs) if base_runs else None
    rows = []
    for name, rs in runs.items():
        reached = [_first_epoch_below(r["valid_losses"], target) for r in rs] if target is not None else []
        hits = [e for e in reached if e is not None]
        rows.append({
            "config": name, "baseline": name == baseline, "n": len(rs),
            "best_valid_ppl": _mean_std([r["best_valid_ppl"] for r in rs]),
            "epochs_to_baseline_loss": {"mean": sum(hits) / len(hits) if hits else None, "reached": len(hits),
                                        "n": len(rs), "target_loss": target},
            "best_epoch": _mean_std([r["best_epoch"] for r in rs]),
            "convergence": _convergence(rs),
            "train_seconds": _mean_std([r["train_seconds"] for r in rs]),
            "cell_seconds": _mean_std([r["cell_seconds"] for r in rs]),
            "tokens_per_s": _mean_std([r["tokens_per_s"] for r in rs if r.get("tokens_per_s")]),
            "parameters": rs[0]["parameters"] if rs else None,
            "valid_loss_curve": _curve([r["valid_losses"] for r in rs]),
        })
    others = [r for r in rows if not r["baseline"] and r["n"]]
    tested = [(r, _ppl_test(runs[baseline] if baseline in runs else [], runs[r["config"]])) for r in others]
    _holm_into(tested, "vs_baseline_ppl", alpha)
    return rows


def _convergence(rs: list[dict]) -> dict[str, Any]:
    """How many runs had their best validation loss at their last epoch (still improving when they stopped)."""
    improving = [r for r in rs if r.get("still_improving", r["best_epoch"] == r["epochs_run"])]
    budgets = sorted({r["config"]["train"]["epochs"] for r in rs})
    return {"still_improving": len(improving), "n": len(rs), "epoch_budget": budgets[-1] if budgets else None,
            "epochs_run": _mean_std([r["epochs_run"] for r in rs]),
            "seeds_still_improving": [r["seed"] for r in improving]}


def _ppl_test(base_runs: list[dict], sys_runs: list[dict]) -> dict:
    if len(base_runs) < 2 or len(sys_runs) < 2:
        return {"note": f"needs at least 2 seeds of both (has {len(sys_runs)} and baseline {len(base_runs)})"}
    return stats.seed_level_test([r["best_valid_ppl"] for r in base_runs], [r["best_valid_ppl"] for r in sys_runs])


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


def _coverage_row(name: str, rs: list[dict]) -> dict:
    row: dict[str, Any] = {"config": name}
    for side in ("source", "target"):
        report = (rs[0].get("coverage") or {}).get(side)
        plugin = rs[0].get("embeddings", {}).get(side, {})
        row[side] = {"plugin": plugin.get("name"), "package": plugin.get("package"), "version": plugin.get("version"),
                     "types": report["types"]["ratio"] if report else None,
                     "tokens": report["tokens"]["ratio"] if report else None,
                     "source": report.get("source") if report else None}
    return row


def _rare_words(runs: dict[str, list[dict]], baseline: str, test_names: Sequence[str]) -> dict[str, dict]:
    """Per test set: target-word F by training-frequency bucket, mean ± std over seeds, ΔF from the baseline per
    bucket (Welch t over the seeds' F, uncorrected), and the test sources' <unk> and pretrained shares.

    Rows recorded before these counts existed are listed under "lacking" by seed, never counted as 0.
    """
    from s2s_embed.benchmark.rare_words import BUCKETS, BucketCounts

    found = {}
    for test in test_names:
        facts = {name: [r["test"][test] for r in rs if "rare_words" in r["test"].get(test, {})]
                 for name, rs in runs.items()}
        f = {name: [BucketCounts.from_json(t["rare_words"]).f_measures() for t in ts] for name, ts in facts.items()}

        def vs_baseline(name: str, b: int) -> dict[str, Any]:
            base = [s[b] for s in f.get(baseline, []) if s[b] is not None]
            system = [s[b] for s in f[name] if s[b] is not None]
            if len(base) < 2 or len(system) < 2:
                return {"note": f"needs F from at least 2 seeds of both (has {len(system)} and baseline {len(base)})"}
            return stats.seed_level_test(base, system)

        configs = []
        for name, rs in runs.items():
            shares = [t["source_tokens"] for t in facts[name] if "source_tokens" in t]
            entry = {"config": name, "baseline": name == baseline, "n": len(f[name]),
                     "lacking": [r["seed"] for r in rs if "rare_words" not in r["test"].get(test, {})],
                     "f": [_mean_std([s[b] for s in f[name]]) for b in range(len(BUCKETS))],
                     "source_tokens": {k: _mean_std([s.get(k) for s in shares])
                                       for k in ("tokens", "unk", "pretrained")}}
            if name != baseline and f[name]:
                entry["vs_baseline"] = [vs_baseline(name, b) for b in range(len(BUCKETS))]
            configs.append(entry)
        first = next((ts[0]["rare_words"] for ts in facts.values() if ts), None)
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
