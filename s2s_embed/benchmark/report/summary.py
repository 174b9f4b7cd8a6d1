"""The summary of report.md: per configuration and group, the effect, its call, what the design could see, training."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from s2s_embed.benchmark.plots import group_label
from s2s_embed.benchmark.records import Comparison, Power, TestRow
from s2s_embed.benchmark.report.sections import _cell_text, _convergence_note, _seeds_text


def _summary(a: Mapping[str, Any]) -> list[str]:
    """One line per configuration and group: the effect, its interval, the call, what the design could see,
    perplexity and learning speed."""
    lines = ["## Summary", ""]
    for group in a["groups"]:
        lines += [f"**{group_label(group)}**{_convergence_note(group)}.", ""]
        training = {r["config"]: r for r in group["training"]}
        base = training.get(group["baseline"])
        for name in (r["config"] for r in group["training"] if not r["baseline"] and r["n"]):
            parts = []
            for test, result in group["test_sets"].items():
                row = next(TestRow.from_json(r) for r in result["configs"] if r["config"] == name)
                parts.append(f"{test}: {_effect_text(row.comparison('bleu'), row.power_of('bleu'))}")
            lines.append(f"- **{name}** vs {group['baseline']}: ΔBLEU " + "; ".join(parts) + "; "
                         + _training_text(training[name], base) + ".")
        lines.append("")
    return lines


def _effect_text(result: Comparison, power: Power) -> str:
    if not result.ran:
        return f"not tested ({_cell_text(result.note or 'no runs')[:80]})"
    call = "**significant**" if result.significant else "not significant"
    text = f"{result.delta:+.2f} [{result.ci_low:+.2f}, {result.ci_high:+.2f}], {call}"
    if power.known:
        text += f" (detects {power.mde:.2f}; {_seeds_text(power)} for 1 BLEU)"
    return text


def _training_text(row: Mapping[str, Any], base: Mapping[str, Any] | None) -> str:
    ppl = Comparison.from_json(row.get("vs_baseline_ppl", {}))
    base_ppl = (base or {}).get("best_valid_ppl", {}).get("mean")
    mean = row["best_valid_ppl"]["mean"]
    text = f"valid ppl {base_ppl:.2f} → {mean:.2f}" if base_ppl is not None else f"valid ppl {mean:.2f}"
    if ppl.ran:
        text += f" ({'**significant**' if ppl.significant else 'not significant'})"
    reach = row["epochs_to_baseline_loss"]
    if reach.get("target_loss") is not None:
        text += (f"; reaches the baseline's best loss at epoch {reach['mean']:.1f} ({reach['reached']}/{reach['n']})"
                 if reach["reached"] else f"; never reaches the baseline's best loss (0/{reach['n']})")
        if base and base.get("best_epoch", {}).get("mean") is not None:
            text += f", the baseline at {base['best_epoch']['mean']:.1f}"
    return text
