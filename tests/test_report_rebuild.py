"""A results folder rebuilds its report from what git keeps: no test sets, no model folders, data known by content."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_benchmark import FILES_SUITE, _own_cache, _rows, _started  # noqa: F401 (_own_cache: a fixture)
from report_figures import assert_same_figures

from s2s_embed import stats
from s2s_embed.benchmark import run_suite, sentence_stats, write_report
from s2s_embed.errors import ConfigError


def _report_json(out: Path) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def _as_in_git(src: Path, dst: Path, keep=("hyps.", "stats.")) -> Path:
    """A copy of a results folder as a clean clone has it: no testsets/, and of runs/ only the kept files."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("testsets"))
    for folder in (dst / "runs").iterdir():
        for path in folder.iterdir():
            if not path.name.startswith(keep):
                path.unlink() if path.is_file() else shutil.rmtree(path)
    return dst


# ---------------------------------------------------------------- the smoke suite


@pytest.mark.slow
def test_every_cell_keeps_the_sentence_statistics_of_its_translations(smoke):
    for row in _rows(smoke["out"]):
        folder = smoke["out"] / row["model_folder"]
        header, counts = sentence_stats.read(sentence_stats.stats_path(folder, "synthetic"))
        assert header["test_digest"] == row["test"]["synthetic"]["digest"]
        assert counts["bleu"].shape == (100, 10) and counts["chrf"].shape == (100, 18)
        for metric in ("bleu", "chrf"):  # the counts give back the cell's corpus scores
            assert stats.corpus_scores(counts[metric].sum(axis=0), metric) == pytest.approx(
                row["test"]["synthetic"][metric], abs=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("keep", [("hyps.", "stats."), ("stats.",)], ids=["clean clone", "statistics only"])
def test_a_copy_without_test_sets_or_models_rewrites_the_same_report(smoke, tmp_path, keep):
    out = _as_in_git(smoke["out"], tmp_path / "results", keep)
    lines = []
    write_report(out, echo=lines.append)
    rebuilt = _report_json(out)
    assert rebuilt["not_computed"] == [] and not any(line.startswith("WARNING") for line in lines)
    assert_same_figures(_report_json(smoke["out"]), rebuilt, tolerance=0)
    assert "Incomplete report" not in (out / "report.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_deleting_the_test_sets_still_rebuilds_the_same_report_through_the_cli(smoke, tmp_path):
    from s2s_embed.cli import main

    out = tmp_path / "results"
    shutil.copytree(smoke["out"], out)
    shutil.rmtree(out / "testsets")
    assert main(["benchmark", "smoke", "--out", str(out), "--report-only"]) in (0, None)
    assert_same_figures(_report_json(smoke["out"]), _report_json(out), tolerance=0)


@pytest.mark.slow
def test_a_report_that_cannot_compute_a_comparison_says_so_at_the_top(smoke, tmp_path):
    out = _as_in_git(smoke["out"], tmp_path / "results", keep=())  # like quick's published folder: no translations
    lines = []
    write_report(out, echo=lines.append)
    text = (out / "report.md").read_text(encoding="utf-8")
    assert text.index("Incomplete report") < text.index("- Suite:")  # above everything but the title
    assert "no stats.synthetic.npz" in text and "its translations and the references" in text
    assert any(line.startswith("WARNING:") and "not computed" in line for line in lines)
    assert _report_json(out)["not_computed"]


@pytest.mark.slow
def test_statistics_of_other_translations_are_not_used(smoke, tmp_path):
    out = _as_in_git(smoke["out"], tmp_path / "results")
    row = _rows(out)[0]
    hyps = out / row["model_folder"] / "hyps.synthetic.txt"
    hyps.write_text("changed\n" * 100, encoding="utf-8")  # the stats file no longer belongs to the translations
    write_report(out, echo=lambda *a: None)
    reasons = [m["reason"] for m in _report_json(out)["not_computed"]]
    assert any("does not belong to hyps.synthetic.txt" in r for r in reasons)


# ---------------------------------------------------------------- the same numbers from counts as from sentences


def test_the_tests_on_counts_equal_the_tests_on_sentences():
    rng = np.random.default_rng(0)
    words = "a cat sat on the mat with one red dog".split()
    refs = [" ".join(rng.choice(words, 6)) for _ in range(60)]
    runs = [[" ".join(rng.choice(words, 6)) if rng.random() < 0.6 else r for r in refs] for _ in range(5)]
    for metric in ("bleu", "chrf"):
        counts = [sentence_stats.compute(run, refs)[metric] for run in runs]
        assert stats.seed_bootstrap_stats(np.stack(counts[:2]), np.stack(counts[2:]), metric, n=200) == \
            stats.seed_bootstrap(runs[:2], runs[2:], refs, metric, n=200)
        assert stats.paired_bootstrap_stats(counts[0], counts[1], metric, n=200) == \
            stats.paired_bootstrap(runs[0], runs[1], refs, metric, n=200)


def test_the_statistics_file_is_the_same_bytes_for_the_same_counts(tmp_path):
    refs, hyps = ["a cat sat", "on the mat"], ["a cat sat", "on a mat"]
    first = sentence_stats.write(tmp_path, "t", "abc", hyps, refs).read_bytes()
    assert sentence_stats.write(tmp_path, "t", "abc", hyps, refs).read_bytes() == first  # no timestamps: clean diffs
    header, counts = sentence_stats.read(tmp_path / "stats.t.npz")
    assert header["sentences"] == 2 and header["signatures"]["bleu"].startswith("nrefs:1")
    assert counts["bleu"].dtype == np.float64 and counts["bleu"][0, 0] == 3  # hyp_len of "a cat sat"


# ---------------------------------------------------------------- data known by its content, not its path


def test_where_the_data_lies_is_not_part_of_a_cell(tmp_path):
    from s2s_embed import config
    from s2s_embed.config import comparable

    now = config.load(None).to_dict()
    moved = json.loads(json.dumps(now))
    moved["data"].update(multi30k_root="/elsewhere/multi30k", train_src="/elsewhere/train.en")
    assert comparable(moved) == comparable(now)


def test_an_interrupted_cell_whose_data_moved_resumes_by_the_same_rule(tmp_path):
    from s2s_embed import config
    from s2s_embed import model_folder as mf
    from s2s_embed.benchmark.cell import _can_resume

    now = config.load(None).to_dict()
    moved = json.loads(json.dumps(now))
    moved["data"].update(multi30k_root="/elsewhere/multi30k", train_src="/elsewhere/train.en")
    (tmp_path / mf.CHECKPOINT).write_bytes(b"")
    (tmp_path / mf.CONFIG).write_text(json.dumps({"format": mf.FORMAT, "config": moved}), encoding="utf-8")
    assert _can_resume(tmp_path, now)
    now["model"]["hidden_size"] = 7
    assert not _can_resume(tmp_path, now)


@pytest.mark.slow
def test_moved_data_is_accepted_and_changed_data_refused(tmp_path, tiny_task):
    def suite_at(folder: Path) -> Path:
        files = {}
        for split in ("train", "valid", "test"):
            files[split] = tuple(shutil.copy(p, folder / Path(p).name) for p in tiny_task[split])
        path = folder / "sizes.toml"
        path.write_text(FILES_SUITE.format(**files), encoding="utf-8")
        return path

    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    out = tmp_path / "results"
    run_suite(suite_at(first), out, echo=lambda *a: None, overrides=["suite.train_sizes=[500]"])
    digests = {json.dumps(r["data_digest"], sort_keys=True) for r in _rows(out)}
    assert len(digests) == 1 and set(json.loads(digests.pop())) == {"train", "valid"}

    moved = suite_at(second)
    shutil.rmtree(first)
    lines = []
    run_suite(moved, out, echo=lines.append, overrides=["suite.train_sizes=[500]"])
    assert _started(lines) == [] and "0 to run" in lines[0]  # the same data elsewhere: nothing to redo

    train_fr = second / Path(tiny_task["train"][1]).name
    train_fr.write_text(train_fr.read_text(encoding="utf-8").replace("chat", "chatte"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"trained on other data than the suite now reads .*digest train "):
        run_suite(moved, out, echo=lambda *a: None, overrides=["suite.train_sizes=[500]"])
