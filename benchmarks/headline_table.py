"""Print the README's headline table for one group of a published suite, from its report.json alone.

One row per configuration: BLEU mean ± std on two test sets, ΔBLEU from the
baseline with its 95% interval and the Holm call, the smallest difference the
design detects with 80% power, the best validation perplexity, the epochs to
the baseline's best loss, and the target-word F difference on rare words (one
frequency bucket). The README's figures are pasted from this output, so they
are the report's figures.

    python benchmarks/headline_table.py benchmarks/results/converged-en-fr [--size 10000] [--bucket 5-9]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _ms(stat: dict) -> str:
    if stat.get("mean") is None:
        return "–"
    if stat.get("std") is None:
        return f"{stat['mean']:.2f} (1 seed)" if stat.get("n") == 1 else f"{stat['mean']:.2f}"
    return f"{stat['mean']:.2f} ± {stat['std']:.2f}"


def _delta(c: dict | None) -> str:
    if not c or c.get("delta") is None:
        return "–"
    return f"{c['delta']:+.2f} [{c['ci_low']:+.2f}, {c['ci_high']:+.2f}]".replace("-", "−")


def _call(c: dict | None) -> str:
    if not c or c.get("delta") is None:
        return "–"
    if not c.get("significant"):
        return f"no (p {c['p_holm']:.3f})"
    return "**yes**" + (" (worse)" if c["delta"] < 0 else "")


def table(report: dict, size: int | None, bucket: str) -> str:
    groups = [g for g in report["groups"] if size is None or g["train_size"] == size]
    if len(groups) != 1:
        sizes = [g["train_size"] for g in report["groups"]]
        raise SystemExit(f"choose one group with --size: the report has training sizes {sizes}")
    group = groups[0]
    tests = list(group["test_sets"])
    first, second = tests[0], tests[-1]
    rows = {name: {r["config"]: r for r in group["test_sets"][name]["configs"]} for name in tests}
    training = {r["config"]: r for r in group["training"]}
    rare = group["rare_words"].get(first) or {}
    b = rare.get("buckets", []).index(bucket) if bucket in rare.get("buckets", []) else None
    rare_rows = {r["config"]: r for r in rare.get("configs", [])}
    one = first == second  # one test set: its columns once
    columns = ["configuration", f"BLEU {first}", *([] if one else [f"BLEU {second}"]), f"ΔBLEU {first} [95% CI]",
               "significant (Holm)", "detects (80% power)", *([] if one else [f"ΔBLEU {second} [95% CI]"]),
               "best valid ppl", "epochs to baseline loss", f"ΔF words seen {bucket}×"]
    head = "| " + " | ".join(columns) + " |"
    lines = [head, "| --- " + "| ---: " * (7 if one else 9) + "|"]
    for name, row in rows[first].items():
        if not row["n"]:  # a configuration of this size with no finished run yet
            lines.append(f"| {name} | " + " | ".join(["no finished run yet"] + ["–"] * (len(columns) - 2)) + " |")
            continue
        other = rows[second][name]
        t = training[name]
        reach = t.get("epochs_to_baseline_loss") or {}
        reached = (f"{reach['mean']:.1f} ({reach['reached']}/{reach['n']})" if reach.get("reached")
                   else "not reached") if not row["baseline"] else f"its best at {t['best_epoch']['mean']:.1f}"
        power = row.get("power_bleu") or {}
        detects = f"{power['mde']:.2f}" if power.get("mde") else "–"
        rare_delta = "–"
        if b is not None and not row["baseline"] and rare_rows.get(name, {}).get("vs_baseline"):
            c = rare_rows[name]["vs_baseline"][b]
            rare_delta = "–" if c.get("delta") is None else f"{c['delta']:+.3f} [{c['ci_low']:+.3f}, {c['ci_high']:+.3f}]".replace("-", "−")
        label = f"{name} (baseline)" if row["baseline"] else name
        second_bleu = "" if one else f" {_ms(other['bleu'])} |"
        tested = (other.get("vs_baseline_bleu") or {}).get("delta") is not None
        second_call = f" {_call(other['vs_baseline_bleu'])}" if tested and not other["baseline"] else ""
        second_delta = "" if one else f" {_delta(other.get('vs_baseline_bleu'))}{second_call} |"
        lines.append(f"| {label} | {_ms(row['bleu'])} |{second_bleu} {_delta(row.get('vs_baseline_bleu'))} "
                     f"| {_call(row.get('vs_baseline_bleu'))} | {detects} |{second_delta} "
                     f"{_ms(t['best_valid_ppl'])} | {reached} | {rare_delta} |")
    conv = group["convergence"]
    lines.append("")
    lines.append(f"{group['train_pairs']:,} training pairs; {conv['still_improving']} of {conv['runs']} runs still "
                 f"improving at their last epoch (budget {conv['epoch_budget']}).")
    waiting = [name for name, row in rows[first].items() if not row["n"]]
    if waiting:
        lines[-1] += f" Not run yet at this size: {', '.join(waiting)}."
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", type=Path, help="a published results folder, e.g. benchmarks/results/converged-en-fr")
    ap.add_argument("--size", type=int, help="the group's training size, when the suite has several")
    ap.add_argument("--bucket", default="5-9", help="the rare-word frequency bucket of the last column (default 5-9)")
    args = ap.parse_args(argv)
    path = args.results / "report.json"
    if not path.is_file():
        raise SystemExit(f"{path} is missing: write the report first (s2s-embed benchmark SUITE --out DIR --report-only)")
    print(table(json.loads(path.read_text(encoding="utf-8")), args.size, args.bucket))
    return 0


if __name__ == "__main__":
    sys.exit(main())
