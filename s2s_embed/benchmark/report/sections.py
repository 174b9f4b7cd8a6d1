"""Each group's section of report.md (scores, training, coverage, rare words) and the formatting of its cells."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from s2s_embed.benchmark.plots import group_label
from s2s_embed.benchmark.records import Comparison, Power, TestRow


def _convergence_note(group: Mapping[str, Any]) -> str:
    c = group.get("convergence") or {}
    if not c.get("runs"):
        return ""
    if c["still_improving"]:
        return (f" — {c['still_improving']} of {c['runs']} runs still improving at their last epoch: this compares "
                f"learning within {c['epoch_budget']} epochs, not final quality")
    if c["runs"] == 1:
        return " — its one run stopped improving before its last epoch"
    return f" — all {c['runs']} runs stopped improving before their last epoch"


def _group_section(group: Mapping[str, Any], plots: list[str]) -> list[str]:
    lines = [f"## {group_label(group)}{_convergence_note(group)}", ""]
    for name, test in group["test_sets"].items():
        lines += [f"### Test set `{name}` ({test['n_sentences']:,} sentences)", "",
                  "| configuration | seeds | BLEU | chrF | tok. lc BLEU | ΔBLEU [95% CI] | p (Holm) | significant "
                  "| detects (80%) | seeds for 1 BLEU "
                  "| ΔchrF [95% CI] | p (Holm) | significant | per-seed paired bootstrap p, BLEU (secondary, uncorrected) |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: | ---: | ---: | :---: | --- |"]
        lines += [_score_row(TestRow.from_json(r)) for r in test["configs"]] + [""]
    lines += ["### Training", "",
              "| configuration | best valid ppl | Δppl [95% CI] | p (Holm) | significant | epochs to baseline loss "
              "| best epoch | epochs run | still improving | train time (s) | tokens/s | parameters |",
              "| --- | ---: | ---: | ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += [_training_row(r) for r in group["training"]] + [""]
    lines += ["### Coverage of the vocabulary by pretrained vectors", "",
              "| configuration | source embedding | source types | source tokens | target embedding | target types "
              "| target tokens |", "| --- | --- | ---: | ---: | --- | ---: | ---: |"]
    lines += [_coverage_row(r) for r in group["coverage"]] + [""]
    lines += _rare_words_section(group)
    lines += [f"![{name}]({name})" for name in plots]
    return lines + [""]


def _rare_words_section(group: Mapping[str, Any]) -> list[str]:
    """Target-word F by training-frequency bucket with each configuration's ΔF, and the source-side shares."""
    found = group.get("rare_words") or {}
    lines = ["### Rare words", "",
             "Target-word F-measure (compare-mt) by how often the word occurs on the target side of the training "
             "data, over the reference and hypothesis words of the test set (0-1). ΔF is a configuration's F minus "
             "the baseline's, with a 95% interval from Welch's t over seeds (uncorrected); bold: the interval "
             "excludes 0. Below each table: the share of the test set's source tokens that are `<unk>` to the model "
             "and the share whose embedding row came from pretrained vectors.", ""]
    for test, result in found.items():
        configs = [r for r in result["configs"] if r["n"] or r["lacking"]]
        base = next((r for r in configs if r["baseline"]), None)
        others = [r for r in configs if not r["baseline"]]
        lines += [f"#### `{test}`", ""]
        if result["ref_words"] is None:
            lines += ["No row of this group records rare-word counts (recorded before they were kept); "
                      "`benchmarks/backfill_rare_words.py` adds them from the saved hypotheses.", ""]
            continue
        columns = [f"{group['baseline']} F (baseline)"] * bool(base) + [f"{r['config']} ΔF [95% CI]" for r in others]
        lines += ["| training count | ref words | " + " | ".join(columns) + " |",
                  "| --- | ---: |" + " ---: |" * len(columns)]
        for b, bucket in enumerate(result["buckets"]):
            cells = [bucket, f"{result['ref_words'][b]:,}"]
            cells += [_ms(base["f"][b], 3) if base["n"] else "not recorded"] if base else []
            cells += [_delta_f(r, b) for r in others]
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", "| configuration | source tokens | `<unk>` to the model | with a pretrained vector |",
                  "| --- | ---: | ---: | ---: |"]
        for r in configs:
            shares = r["source_tokens"]
            tokens = f"{shares['tokens']['mean']:,.0f}" if shares["tokens"]["mean"] is not None else "not recorded"
            lines.append(f"| {r['config']} | {tokens} | {_pct(shares['unk']['mean'])} | "
                         f"{_pct(shares['pretrained']['mean']) if shares['pretrained']['n'] else 'not recorded'} |")
        lines += [""] + [f"- {r['config']}: the rows of seed{'s' if len(r['lacking']) > 1 else ''} "
                         f"{', '.join(map(str, r['lacking']))} lack rare-word counts (left out above)."
                         for r in configs if r["lacking"]] + [""]
    return lines if found else []


def _delta_f(r: Mapping[str, Any], b: int) -> str:
    if not r["n"]:
        return "not recorded"
    if r["f"][b]["mean"] is None:
        return "–"  # no hypothesis or reference word in this bucket
    result = Comparison.from_json((r.get("vs_baseline") or [{}] * (b + 1))[b])
    if not result.ran:
        return f"n/a ({_cell_text(result.note or 'not tested')[:60]})"
    if result.se == 0.0 and not r["f"][b]["mean"] and result.delta == 0.0:
        return "0 (F = 0 in every run)"
    text = f"{result.delta:+.3f} [{result.ci_low:+.3f}, {result.ci_high:+.3f}]"
    return f"**{text}**" if result.excludes_zero else text


def _score_row(r: TestRow) -> str:
    name = f"**{r.config}** (baseline)" if r.baseline else r.config
    cells = [name, str(r.n), _ms(r.scores.get("bleu")), _ms(r.scores.get("chrf")), _ms(r.scores.get("bleu_tok_lc"))]
    if r.baseline or not r.n:
        cells += ["–"] * 8 + ["–"]
    else:
        power = r.power_of("bleu")
        cells += _test_cells(r.comparison("bleu"))
        cells += [f"{power.mde:.2f}", _seeds_text(power).replace(" seeds", "")] if power.known else ["–", "–"]
        cells += _test_cells(r.comparison("chrf"))
        per_seed = r.per_seed.get("bleu", {})
        cells.append(", ".join(f"s{seed}: {_p(res.p_value)} ({res.delta:+.2f})" if res.ran else f"s{seed}: n/a"
                               for seed, res in per_seed.items()) or "–")
    return "| " + " | ".join(cells) + " |"


def _training_row(r: Mapping[str, Any]) -> str:
    name = f"**{r['config']}** (baseline)" if r["baseline"] else r["config"]
    reach = r["epochs_to_baseline_loss"]
    if not r["n"] or reach["target_loss"] is None:
        speed = "–"
    elif reach["reached"]:
        speed = f"{reach['mean']:.1f} ({reach['reached']}/{reach['n']})"
    else:
        speed = f"not reached (0/{reach['n']})"
    test = [] if r["baseline"] or not r["n"] else _test_cells(Comparison.from_json(r.get("vs_baseline_ppl", {})))
    params = f"{r['parameters']:,}" if r["parameters"] else "–"
    conv = r.get("convergence") or {}
    still = f"{conv['still_improving']}/{conv['n']}" if conv.get("n") else "–"
    return "| " + " | ".join([name, _ms(r["best_valid_ppl"]), *(test or ["–", "–", "–"]), speed, _ms(r["best_epoch"], 1),
                              _ms(conv.get("epochs_run"), 1), still,
                              _ms(r["train_seconds"], 1), _ms(r["tokens_per_s"], 0), params]) + " |"


def _coverage_row(r: Mapping[str, Any]) -> str:
    cells = [r["config"]]
    for side in ("source", "target"):
        s = r[side]
        cells += [f"{s['plugin']} ({s['package']} {s['version']})".replace(" )", ")"), _pct(s["types"]), _pct(s["tokens"])]
    return "| " + " | ".join(cells) + " |"


def _test_cells(result: Comparison) -> list[str]:
    if not result.ran:
        return [f"n/a ({_cell_text(result.note or 'not tested')[:80]})", "–", "–"]
    p = result.p_holm if result.p_holm is not None else result.p_value
    return [f"{result.delta:+.2f} [{result.ci_low:+.2f}, {result.ci_high:+.2f}]", _p(p),
            "**yes**" if result.significant else "no"]


def _seeds_text(power: Power) -> str:
    k = power.seeds_for_effect
    return f"more than {power.max_seeds or 50} seeds" if k is None else f"{k} seeds"


def _ms(d: Mapping[str, Any] | None, digits: int = 2) -> str:
    if not d or d.get("mean") is None:
        return "–"
    if d.get("std") is None:
        return f"{d['mean']:.{digits}f} (1 seed)"
    return f"{d['mean']:.{digits}f} ± {d['std']:.{digits}f}"


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _pct(ratio: float | None) -> str:
    return "–" if ratio is None else f"{100 * ratio:.1f}%"


def _cell_text(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")
