"""The report of a results folder: report.md (for people), report.csv and report.json (for tools), PNG plots.

It reads only the folder (suite.json, results.jsonl, each cell's saved per-sentence
statistics, else its hypotheses and the test sets), so it can be rewritten at any
time, also while a suite is running, and from a clean clone without the corpus.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from s2s_embed import atomic
from s2s_embed.benchmark.analysis import analyse, load_suite_info
from s2s_embed.benchmark.plots import group_label, write_plots
from s2s_embed.benchmark.records import Comparison, Power, TestRow
from s2s_embed.benchmark.store import ResultsFolderError, read_rows

METHOD = """\
**Primary test: seed spread + paired sentence bootstrap, Welch-Satterthwaite t (it counts seeds).** Each configuration is compared with the baseline `{baseline}` on every test set by
the difference of its mean corpus score over seeds from the baseline's, with a 95% interval and a p-value from
`s2s_embed.stats.seed_bootstrap`: the standard error adds the spread between training seeds of both configurations
(sample variance / number of seeds) to the test-set sampling part, taken from a paired bootstrap over sentences
({n} resamples, one draw shared by every run); the interval and p use Student's t with Welch-Satterthwaite degrees
of freedom, since 2-5 seeds give heavy tails. *Why:* differences between embeddings are often about as large as the
spread between seeds of one configuration. A paired bootstrap on one seed's output measures test-set sampling only,
so it can call seed luck an effect, and the same pair of configurations can come out "significant" either way
depending on the seed.

**Correction for several configurations.** p-values are Holm-Bonferroni adjusted across the configurations compared
with the baseline, separately for each metric, test set and group (dataset, variant, training size). A difference is
called **significant** only when its 95% interval excludes 0 and its Holm-adjusted p < {alpha}. The intervals
themselves are per comparison (not adjusted).

**Secondary, labelled "per-seed paired bootstrap".** sacreBLEU's paired bootstrap (Koehn 2004) of seed i of a
configuration against seed i of the baseline: test-set sampling only, uncorrected, shown for reference; it decides
nothing. **Perplexity** differences use Welch's t over the per-seed best validation perplexities (Holm-adjusted the
same way). **Epochs to baseline loss** is the first epoch at which a run's validation loss reaches the baseline's best
validation loss (the mean over its seeds), averaged over the seeds that reach it (x/n = how many did).
"""


POWER_METHOD = """
**Power.** For each comparison, "detects" is the smallest true difference that this design (these seeds, this
seed spread, this test set) would call different from 0 with 80% probability at a two-sided 5% level before the Holm
adjustment, from the observed seed variances and test-set sampling variance; "seeds for 1 point" is how many seeds
per configuration the same test would need to detect a 1-point difference with 80% probability ("more than 50": the
test set's sampling alone is too large). A difference that is not significant is only evidence of no effect when
the design could have detected one of that size.

**Convergence.** A run is "still improving" when its best validation loss was at its last epoch. Where any run of a
group was, its heading says so: that group compares how much each configuration learnt within its epoch budget, not
the quality it would end at.
"""


def write_report(out_dir: str | Path, echo=print) -> Path:
    """Analyse `out_dir` and write report.md, report.csv, report.json and the plots; returns report.md's path."""
    out = Path(out_dir)
    suite = load_suite_info(out)
    found = read_rows(out)
    analysis = analyse(out, suite, found)
    try:
        plots = write_plots(analysis, out)
    except ImportError:
        echo("matplotlib is not installed, so the report has no plots: pip install 's2s-embed[plots]'.")
        plots = {}
    except OSError as exc:
        raise ResultsFolderError(f"Cannot write the plots into {out}: {exc.strerror or exc}. Free some space or "
                                 f"make the folder writable, then run the report again.") from None
    analysis["plots"] = plots
    _write(out / "report.json", json.dumps(analysis, indent=2, ensure_ascii=False) + "\n")
    _write(out / "report.csv", _csv(analysis))
    path = out / "report.md"
    _write(path, markdown(analysis, plots))
    echo(f"Report: {path} (and report.csv, report.json, {sum(len(v) for v in plots.values())} plots)")
    for missing in analysis.get("not_computed") or []:
        echo(f"WARNING: {len(missing['columns'])} comparison(s) not computed: {missing['reason']}")
    return path


# ---------------------------------------------------------------- Markdown


def markdown(a: Mapping[str, Any], plots: Mapping[str, list[str]]) -> str:
    suite = a["suite"]
    lines = [f"# Benchmark `{suite['name']}`", ""]
    if suite.get("description"):
        lines += [suite["description"].strip(), ""]
    lines += _not_computed_notice(a)
    lines += _header(a) + _summary(a) + ["## How differences are tested", "",
                                        METHOD.format(baseline=suite["baseline"], n=suite["bootstrap_samples"],
                                                      alpha=suite["alpha"]) + POWER_METHOD]
    for group in a["groups"]:
        lines += _group_section(group, plots.get(group_label(group), []))
    for name in plots.get("learning_curve", []):
        lines += ["## Learning curve", "", f"![BLEU against training pairs]({name})", ""]
    if a["failed"]:
        lines += ["## Failed cells", "", "Rerun the same command to retry them.", "", "| cell | error |", "| --- | --- |"]
        lines += [f"| {f['cell_id']} | {_cell_text(f['error'])} |" for f in a["failed"]] + [""]
    if a["ignored_lines"]:
        lines += ["## Ignored lines of results.jsonl", ""] + [f"- {note}" for note in a["ignored_lines"]] + [""]
    return "\n".join(lines).rstrip() + "\n"


def _not_computed_notice(a: Mapping[str, Any]) -> list[str]:
    """Above everything else: the comparisons this folder could not compute, and why (their cells say n/a)."""
    missing = a.get("not_computed") or []
    if not missing:
        return []
    total = sum(len(m["columns"]) for m in missing)
    lines = [f"> **Incomplete report: {total} comparison(s) could not be computed** and show n/a below. Each needs "
             "every run's `runs/<cell>/stats.<test set>.npz`, or its `hyps.<test set>.txt` and the folder's "
             "`testsets/`; rerun the suite into this folder to restore them.", ">"]
    for m in missing:
        example = m["columns"][0]
        more = ", …" if len(m["columns"]) > 1 else ""
        lines.append(f"> - {_cell_text(m['reason'])} ({len(m['columns'])}: {example}{more})")
    return lines + [""]


def _header(a: Mapping[str, Any]) -> list[str]:
    suite, prov, counts = a["suite"], a["provenance"], a["counts"]
    machine = prov.get("machine") or {}
    decode = prov.get("decode") or {}
    beam = decode.get("beam_size", 1)
    lines = [f"- Suite: {_suite_source(suite['source'])}; baseline **{suite['baseline']}**; "
             f"seeds {', '.join(map(str, suite['seeds']))}.",
             f"- Cells: {counts['cells']} ({counts['ok']} ok, {counts['failed']} failed, {counts['not_run']} not run).",
             f"- Decoding: {'greedy' if beam == 1 else f'beam {beam}'}, at most {decode.get('max_len', '?')} tokens."]
    if suite.get("overrides"):
        lines.append(f"- Run with: {', '.join(f'`--set {o}`' for o in suite['overrides'])}.")
    if prov:
        commits = prov.get("commits") or [{"commit": prov.get("commit"), "dirty": prov.get("dirty"), "cells": 0}]
        lines += [f"- Code: {_commits_text(commits)}; s2s-embed {machine.get('s2s_embed')}, "
                  f"torch {machine.get('torch')}, sacreBLEU {machine.get('sacrebleu')}.",
                  f"- Machine: {machine.get('cpu_model') or machine.get('machine')}, {machine.get('cpu_count')} CPUs, "
                  f"{machine.get('memory_gb')} GB, {machine.get('platform')}"
                  f"{', GPU ' + machine['cuda'] if machine.get('cuda') else ''}."]
    signature = _first_signatures(a)
    if signature:
        lines.append(f"- Scores: sacreBLEU `{signature.get('bleu')}` and `{signature.get('chrf')}`; "
                     "\"tok. lc BLEU\" is the PyTorch tutorials' tokenised lowercased BLEU, not comparable with sacreBLEU.")
    return lines + [""]


def _commits_text(commits: list[Mapping[str, Any]]) -> str:
    """`commit abc` or, for a suite finished over several sessions, `commits abc (5 cells), def (13 cells)`."""
    def one(c: Mapping[str, Any]) -> str:
        dirty = " with uncommitted changes" if c.get("dirty") else ""
        count = f"{c['cells']} cell{'s' if c['cells'] != 1 else ''}" if len(commits) > 1 else ""
        detail = ", ".join(x for x in (count, dirty.strip()) if x)
        return f"`{c.get('commit') or 'unknown'}`" + (f" ({detail})" if detail else "")

    return f"commit{'s' if len(commits) > 1 else ''} " + ", ".join(one(c) for c in commits)


def _suite_source(source: str) -> str:
    """A built-in suite by its name, a suite file by its path."""
    path = Path(source)
    if path.parts[-4:-1] == ("s2s_embed", "benchmark", "suites"):  # also where the checkout has moved since
        return f"built-in `{path.stem}` (s2s_embed/benchmark/suites/{path.name})"
    return f"`{source}`"


def _first_signatures(a: Mapping[str, Any]) -> dict | None:
    for group in a["groups"]:
        for test in group["test_sets"].values():
            for row in test["configs"]:
                if row["n"]:
                    return row["signatures"]
    return None


def _convergence_note(group: Mapping[str, Any]) -> str:
    c = group.get("convergence") or {}
    if not c.get("runs"):
        return ""
    if c["still_improving"]:
        return (f" — {c['still_improving']} of {c['runs']} runs still improving at their last epoch: this compares "
                f"learning within {c['epoch_budget']} epochs, not final quality")
    return f" — all {c['runs']} runs stopped improving before their last epoch"


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


def _seeds_text(power: Power) -> str:
    k = power.seeds_for_effect
    return f"more than {power.max_seeds or 50} seeds" if k is None else f"{k} seeds"


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


# ---------------------------------------------------------------- CSV


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


def _write(path: Path, text: str) -> None:
    try:
        atomic.write_text(path, text)
    except OSError as exc:
        raise ResultsFolderError(f"Cannot write {path}: {exc.strerror or exc}. Free some space or make "
                                 f"{path.parent} writable, then run the report again.") from None
