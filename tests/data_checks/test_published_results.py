"""Data checks: the published reports in benchmarks/results/ give every comparison an interval, a corrected p
and a call, call nothing seed luck, and rebuild from what git keeps with the same figures.

These check committed data, not code (the `data` marker): run with the rest, or alone with `pytest -m data`.
"""
import json
import math
from pathlib import Path

import pytest
from report_figures import assert_same_figures

pytestmark = pytest.mark.data

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
PUBLISHED = ["multi30k-en-fr", "low-resource", "converged-en-fr", "quick"]


def _published(name, filename):
    path = RESULTS / name / filename
    if not path.is_file():
        pytest.skip(f"{path} is not in this checkout")
    return path.read_text(encoding="utf-8")


def _report(name):
    return json.loads(_published(name, "report.json"))


def _comparisons(report):
    """(where, baseline's mean/std, system's mean/std, test result) for every score and perplexity comparison."""
    for group in report["groups"]:
        where = f"{group['dataset']} n={group['train_size']}"
        for test_name, test in group["test_sets"].items():
            base = next(r for r in test["configs"] if r["baseline"])
            if base["n"] < 2:
                continue  # one seed: no test that counts seeds, which the report says
            for row in (r for r in test["configs"] if not r["baseline"] and r["n"] >= 2):
                for metric in ("bleu", "chrf"):
                    label = f"{where} {test_name} {row['config']} {metric}"
                    yield label, base[metric], row[metric], row[f"vs_baseline_{metric}"]
        base = next(r for r in group["training"] if r["baseline"])
        if base["n"] < 2:
            continue
        for row in (r for r in group["training"] if not r["baseline"] and r["n"] >= 2):
            yield f"{where} {row['config']} ppl", base["best_valid_ppl"], row["best_valid_ppl"], row["vs_baseline_ppl"]


@pytest.mark.parametrize("name", PUBLISHED)
def test_every_comparison_has_an_interval_a_corrected_p_and_a_call(name):
    comparisons = list(_comparisons(_report(name)))
    assert comparisons
    for where, _, _, result in comparisons:
        assert result["ci_low"] <= result["delta"] <= result["ci_high"], where
        assert 0 <= result["p_value"] <= result["p_holm"] <= 1, where
        excludes_zero = result["ci_low"] > 0 or result["ci_high"] < 0
        assert result["significant"] == (excludes_zero and result["p_holm"] < 0.05), where


@pytest.mark.parametrize("name", PUBLISHED)
def test_no_difference_the_seed_spread_covers_is_called_significant(name):
    for where, base, system, result in _comparisons(_report(name)):
        if result["significant"]:
            spread = math.hypot(base["std"], system["std"])  # the seeds' spread of a difference of two runs
            message = f"{where}: {result['delta']:+.2f} within the seeds' spread {spread:.2f}"
            assert abs(result["delta"]) > spread, message


@pytest.mark.parametrize("name", PUBLISHED)
def test_the_report_names_its_test_correction_and_speed_columns(name):
    text = _published(name, "report.md")
    assert "Primary test: seed spread + paired sentence bootstrap" in text
    assert "Holm-Bonferroni adjusted" in text
    assert "| ΔBLEU [95% CI] | p (Holm) | significant |" in text
    assert "| best valid ppl | Δppl [95% CI] | p (Holm) | significant | epochs to baseline loss |" in text
    assert " ± " in text


# ---------------------------------------------------------------- the figures rebuild from git alone


@pytest.mark.slow
@pytest.mark.parametrize("name", PUBLISHED)
def test_the_published_report_rebuilds_from_git_alone_with_the_same_figures(name, tmp_path):
    """As on a clean clone: no testsets/ (Multi30K never enters git), no model folders, only what git keeps."""
    import shutil

    from s2s_embed.benchmark import write_report

    committed = _report(name)
    out = tmp_path / name
    shutil.copytree(RESULTS / name, out, ignore=shutil.ignore_patterns("testsets", "*.png"))
    for folder in (out / "runs").iterdir():
        for path in folder.iterdir():
            if not path.name.startswith(("hyps.", "stats.")):  # what .gitignore keeps of runs/
                path.unlink() if path.is_file() else shutil.rmtree(path)
    assert not (out / "testsets").exists()
    lines = []
    write_report(out, echo=lines.append)
    rebuilt = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rebuilt["not_computed"] == [] and not any(line.startswith("WARNING") for line in lines)
    assert_same_figures(committed, rebuilt)
