"""report.csv: one row per group, test set and configuration, in the columns CSV_COLUMNS."""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from s2s_embed.benchmark.records import Comparison, Power, TestRow


CSV_COLUMNS = [
    "dataset", "variant", "train_size", "train_pairs", "test_set", "config", "baseline", "n_seeds", "seeds",
    "bleu_mean", "bleu_std", "chrf_mean", "chrf_std", "bleu_tok_lc_mean", "bleu_tok_lc_std",
    "delta_bleu", "delta_bleu_ci_low", "delta_bleu_ci_high", "p_bleu", "p_bleu_holm", "significant_bleu", "mde_bleu", "seeds_for_1_bleu",
    "delta_chrf", "delta_chrf_ci_low", "delta_chrf_ci_high", "p_chrf", "p_chrf_holm", "significant_chrf",
    "per_seed_p_bleu", "per_seed_p_chrf", "best_valid_ppl_mean", "best_valid_ppl_std", "delta_ppl",
    "delta_ppl_ci_low", "delta_ppl_ci_high", "p_ppl_holm", "significant_ppl", "epochs_to_baseline_loss",
    "reached_baseline_loss",
    "best_epoch_mean", "epochs_run_mean", "still_improving", "epoch_budget", "train_seconds_mean", "tokens_per_s_mean", "parameters",
    "source_plugin", "source_types_covered", "source_tokens_covered",
    "target_plugin", "target_types_covered", "target_tokens_covered",
]


def _csv(a: Mapping[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for group in a["groups"]:
        training = {r["config"]: r for r in group["training"]}
        coverage = {r["config"]: r for r in group["coverage"]}
        for test, result in group["test_sets"].items():
            for row in result["configs"]:
                writer.writerow(_csv_row(group, test, TestRow.from_json(row), training[row["config"]],
                                         coverage.get(row["config"])))
    return buffer.getvalue()


def _csv_row(group, test, row: TestRow, train, cover) -> dict[str, Any]:
    out: dict[str, Any] = {"dataset": group["dataset"], "variant": group["variant"], "train_size": group["train_size"],
                           "train_pairs": group["train_pairs"], "test_set": test, "config": row.config,
                           "baseline": row.baseline, "n_seeds": row.n, "seeds": " ".join(map(str, row.seeds))}
    for score in ("bleu", "chrf", "bleu_tok_lc"):
        out[f"{score}_mean"], out[f"{score}_std"] = row.scores[score]["mean"], row.scores[score]["std"]
    for metric in ("bleu", "chrf"):
        result = row.vs_baseline.get(metric, Comparison())
        out[f"delta_{metric}"], out[f"p_{metric}"] = result.delta, result.p_value
        out[f"delta_{metric}_ci_low"], out[f"delta_{metric}_ci_high"] = result.ci_low, result.ci_high
        out[f"p_{metric}_holm"], out[f"significant_{metric}"] = result.p_holm, result.significant
        out[f"per_seed_p_{metric}"] = " ".join(f"{s}:{r.p_value:.4g}" for s, r in row.per_seed.get(metric, {}).items()
                                               if r.ran)
    power = row.power.get("bleu", Power())
    out["mde_bleu"], out["seeds_for_1_bleu"] = power.mde, power.seeds_for_effect
    conv = train.get("convergence") or {}
    out["epochs_run_mean"] = (conv.get("epochs_run") or {}).get("mean")
    out["still_improving"] = f"{conv['still_improving']}/{conv['n']}" if conv.get("n") else None
    out["epoch_budget"] = conv.get("epoch_budget")
    ppl = train.get("vs_baseline_ppl", {})
    out.update(best_valid_ppl_mean=train["best_valid_ppl"]["mean"], best_valid_ppl_std=train["best_valid_ppl"]["std"],
               delta_ppl=ppl.get("delta"), delta_ppl_ci_low=ppl.get("ci_low"), delta_ppl_ci_high=ppl.get("ci_high"),
               p_ppl_holm=ppl.get("p_holm"), significant_ppl=ppl.get("significant"),
               epochs_to_baseline_loss=train["epochs_to_baseline_loss"]["mean"],
               reached_baseline_loss=f"{train['epochs_to_baseline_loss']['reached']}/{train['n']}",
               best_epoch_mean=train["best_epoch"]["mean"], train_seconds_mean=train["train_seconds"]["mean"],
               tokens_per_s_mean=train["tokens_per_s"]["mean"], parameters=train["parameters"])
    for side in ("source", "target"):
        s = (cover or {}).get(side, {})
        out[f"{side}_plugin"] = s.get("plugin")
        out[f"{side}_types_covered"], out[f"{side}_tokens_covered"] = s.get("types"), s.get("tokens")
    return out
