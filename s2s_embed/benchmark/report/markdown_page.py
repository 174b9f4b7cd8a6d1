"""report.md as a whole: the title, the run's header, the summary, how differences are tested, each group, failures."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from s2s_embed.benchmark.plots import group_label
from s2s_embed.benchmark.report.sections import _cell_text, _group_section
from s2s_embed.benchmark.report.summary import _summary

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
    for w in a.get("waiting") or []:
        lines.append(f"- {group_label(w)}: none of its {w['cells']} cells has finished yet, so it has no section below.")
    if suite.get("overrides"):
        lines.append(f"- Run with: {', '.join(f'`--set {o}`' for o in suite['overrides'])}.")
    if prov:
        commits = prov.get("commits") or [{"commit": prov.get("commit"), "dirty": prov.get("dirty"), "cells": 0}]
        lines += [f"- Code: {_commits_text(commits)}; s2s-embed {machine.get('s2s_embed')}, "
                  f"torch {machine.get('torch')}, sacreBLEU {machine.get('sacrebleu')}.",
                  f"- Machine: {machine.get('cpu_model') or machine.get('machine')}, {machine.get('cpu_count')} CPUs, "
                  f"{machine.get('memory_gb')} GB, {machine.get('platform')}"
                  f"{', GPU ' + machine['cuda'] if machine.get('cuda') else ''}."]
        lines += [_backfilled_text(b) for b in prov.get("backfilled") or []]
    signature = _first_signatures(a)
    if signature:
        lines.append(f"- Scores: sacreBLEU `{signature.get('bleu')}` and `{signature.get('chrf')}`; "
                     "\"tok. lc BLEU\" is the PyTorch tutorials' tokenised lowercased BLEU, not comparable with sacreBLEU.")
    return lines + [""]


def _backfilled_text(b: Mapping[str, Any]) -> str:
    """One line for rows a script changed after their cells ran (results.jsonl `backfilled`): how many, by which
    script, what it did, and the mean BLEU change per test set where it re-scored them."""
    rows = f"{b['rows']} row{'s' if b['rows'] != 1 else ''}"
    what = b["what"] or f"`{b['kind']}`"
    line = f"- Backfilled by {', '.join(f'`{by}`' for by in b['by'])} in {rows}: {what}"
    if b["bleu_change"]:
        line += "; mean BLEU change " + ", ".join(f"{test} {c['mean']:+.2f} (min {c['min']:+.2f}, max {c['max']:+.2f})"
                                                  for test, c in b["bleu_change"].items())
    return line + "."


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
