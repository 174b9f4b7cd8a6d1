"""The benchmark suite machinery: the smoke suite end to end, resume, failures, bad suites, unwritable folders."""
import errno
import importlib
import json
import re
import shutil
from pathlib import Path

import pytest

from s2s_embed.benchmark import builtin_suites, load_suite, run_suite, store, write_report
from s2s_embed.benchmark.records import Comparison, TestRow
from s2s_embed.embeddings import register, unregister
from s2s_embed.errors import ConfigError, S2SError


def _rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def _started(lines: list[str]) -> list[str]:
    """The cell ids the runner started, from its 'cell k/n <id> ...' progress lines."""
    return [line.split()[2] for line in lines if line.startswith("cell ") and line.endswith(" ...")]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("S2S_EMBED_CACHE", str(tmp_path / "cache"))  # trained word2vec vectors stay in the test


# ---------------------------------------------------------------- the smoke suite end to end


@pytest.mark.slow
def test_smoke_suite_records_one_row_per_cell(smoke):
    rows = _rows(smoke["out"])
    suite = load_suite("smoke")
    assert sorted(r["cell_id"] for r in rows) == sorted(c.id for c in suite.cells())
    for row in rows:
        assert row["status"] == "ok"
        scores = row["test"]["synthetic"]
        assert 0 <= scores["bleu"] <= 100 and 0 <= scores["chrf"] <= 100
        assert scores["bleu_signature"]["metric"] == "BLEU" and "version" in scores["bleu_signature"]
        assert scores["n_sentences"] == 100
        assert row["config"]["train"]["seed"] == row["seed"]
        assert row["embeddings"]["source"]["name"] == row["config_name"]  # plugin name, package, version
        assert row["embeddings"]["source"]["version"]
        assert len(row["valid_losses"]) == row["epochs_run"] == 3
        assert row["parameters"] > 0 and row["train_seconds"] > 0 and row["tokens_per_s"] > 0
        assert "commit" in row and "dirty" in row and row["machine"]["cpu_count"]
        folder = smoke["out"] / row["model_folder"]
        assert (folder / "model.pt").is_file() and not (folder / "last.pt").exists()
        assert len((folder / "hyps.synthetic.txt").read_text(encoding="utf-8").splitlines()) == 100
    w2v = next(r for r in rows if r["config_name"] == "word2vec")
    assert w2v["coverage"]["source"]["types"]["ratio"] == 1.0  # vectors trained on the corpus cover it all
    assert next(r for r in rows if r["config_name"] == "random")["coverage"]["source"] is None


@pytest.mark.slow
def test_smoke_report_shows_means_differences_tests_and_coverage(smoke):
    text = smoke["report"].read_text(encoding="utf-8")
    assert smoke["report"] == smoke["out"] / "report.md"
    assert "Primary test: seed spread + paired sentence bootstrap" in text  # the test used, and why
    assert "Holm-Bonferroni adjusted across the configurations" in text  # the correction
    assert "- Suite: built-in `smoke`" in text and "- Code: commit `" in text
    assert "| word2vec | word2vec (s2s-embed" in text and "100.0%" in text  # coverage
    assert "epochs to baseline loss" in text and "best valid ppl" in text
    assert list(smoke["out"].glob("*.png"))
    data = json.loads((smoke["out"] / "report.json").read_text(encoding="utf-8"))
    group = data["groups"][0]
    w2v = TestRow.from_json(next(r for r in group["test_sets"]["synthetic"]["configs"] if r["config"] == "word2vec"))
    assert w2v.n == 2 and all(w2v.scores[s]["std"] is not None for s in ("bleu", "chrf"))  # mean ± std over 2 seeds
    for metric in ("bleu", "chrf"):
        result = w2v.vs_baseline[metric]
        assert result.ran and result.ci_low <= result.delta <= result.ci_high
        assert result.p_value <= result.p_holm <= 1  # Holm-adjusted
        assert result.significant == (result.excludes_zero and result.p_holm < 0.05)
    power = w2v.power["bleu"]
    assert power.known and power.mde > 0 and (power.seeds_for_effect is None or power.seeds_for_effect >= 2)
    assert set(w2v.per_seed["bleu"]) == {"1", "2"} and all(c.ran for c in w2v.per_seed["bleu"].values())
    bleu = w2v.vs_baseline["bleu"]  # report.md shows the record's numbers
    assert f"{bleu.delta:+.2f} [{bleu.ci_low:+.2f}, {bleu.ci_high:+.2f}]" in text
    training = next(r for r in group["training"] if r["config"] == "word2vec")
    ppl = Comparison.from_json(training["vs_baseline_ppl"])  # perplexity differences get the same call as BLEU's
    assert ppl.ran and ppl.significant == (ppl.excludes_zero and ppl.p_holm < 0.05)
    header = (smoke["out"] / "report.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "delta_bleu_ci_low" in header and "p_bleu_holm" in header and "significant_ppl" in header
    assert "source_types_covered" in header


@pytest.mark.slow
def test_smoke_report_states_convergence_power_and_a_summary(smoke):
    data = json.loads((smoke["out"] / "report.json").read_text(encoding="utf-8"))
    group = data["groups"][0]
    rows = _rows(smoke["out"])
    improving = sum(r["best_epoch"] == r["epochs_run"] for r in rows)
    assert all(r["still_improving"] == (r["best_epoch"] == r["epochs_run"]) for r in rows)  # the row records it
    assert group["convergence"] == {"still_improving": improving, "runs": 4, "epoch_budget": 3}
    w2v = next(r for r in group["test_sets"]["synthetic"]["configs"] if r["config"] == "word2vec")
    power = w2v["power_bleu"]
    assert power["mde"] > 0 and power["power"] == 0.8 and power["effect"] == 1.0
    assert power["seeds_for_effect"] is None or power["seeds_for_effect"] >= 2
    text = smoke["report"].read_text(encoding="utf-8")
    summary = text.split("## Summary")[1].split("## How differences are tested")[0]
    assert "**word2vec** vs random: ΔBLEU synthetic:" in summary and "detects" in summary and "valid ppl" in summary
    if improving:  # no group is compared mid-training silently
        assert f"{improving} of 4 runs still improving at their last epoch" in text
        assert "not final quality" in text
    assert (smoke["out"] / "forest.png").is_file()
    header = (smoke["out"] / "report.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "mde_bleu" in header and "still_improving" in header


@pytest.mark.slow
def test_progress_counts_cells_with_an_eta(smoke):
    done = [line for line in smoke["lines"] if line.startswith("cell ") and ": ok" in line]
    assert len(done) == 4 and "cell 1/4" in done[0] and "ETA" in done[0] and "all done" in done[-1]


# ---------------------------------------------------------------- resume


@pytest.mark.slow
def test_rerun_skips_finished_cells_and_reruns_a_deleted_or_partial_row(smoke, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(smoke["out"], out)
    rows = _rows(out)
    deleted, partial = rows[1], rows[3]
    kept = [r for r in rows if r not in (deleted, partial)]
    text = "".join(json.dumps(r) + "\n" for r in kept) + json.dumps(partial)[:150]  # killed mid-write
    (out / "results.jsonl").write_text(text, encoding="utf-8")
    lines: list[str] = []
    run_suite("smoke", out, echo=lines.append)
    assert sorted(_started(lines)) == sorted([deleted["cell_id"], partial["cell_id"]])
    assert any("partial line" in line and partial["cell_id"] in line for line in lines)
    after = _rows(out)  # every line parses again
    assert [r["finished_at"] for r in after[:2]] == [r["finished_at"] for r in kept]
    assert sorted(r["cell_id"] for r in after) == sorted(r["cell_id"] for r in rows)

    lines.clear()
    run_suite("smoke", out, echo=lines.append)
    assert _started(lines) == [] and "0 to run" in lines[0]


@pytest.mark.slow
def test_rerun_with_another_config_is_refused(smoke, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(smoke["out"], out)
    with pytest.raises(ConfigError, match=r"was run with another config \(model.hidden_size: 64 -> 48"):
        run_suite("smoke", out, overrides=["base.model.hidden_size=48"])
    with pytest.raises(ConfigError, match=r"was scored on other sentences of synthetic"):
        run_suite("smoke", out, overrides=["suite.test_size=50"])


# ---------------------------------------------------------------- held-out test sets, kept or re-created models


def _held_out(tmp_path: Path) -> list[str]:
    """A test set of files the suite never saw, added through --set as a held-out set would be."""
    from s2s_embed.benchmark.testsets import synthetic_test_set
    from s2s_embed.benchmark.suite import load_suite

    data = next(iter(load_suite("smoke").data_configs().values()))
    text = synthetic_test_set(data, 160)
    (tmp_path / "held.en").write_text("".join(s + "\n" for s in text.src[100:]), encoding="utf-8")
    (tmp_path / "held.fr").write_text("".join(s + "\n" for s in text.trg[100:]), encoding="utf-8")
    src, ref = tmp_path / "held.en", tmp_path / "held.fr"
    return [f'suite.test_sets=["synthetic", {{name = "held", src = "{src}", ref = "{ref}"}}]']


@pytest.mark.slow
def test_a_new_test_set_is_scored_by_the_kept_models_without_training(smoke, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(smoke["out"], out)
    before = {r["cell_id"]: r for r in _rows(out)}
    lines: list[str] = []
    run_suite("smoke", out, echo=lines.append, overrides=_held_out(tmp_path))
    assert "0 to run" in lines[0] and "4 kept model(s) to score on new test sets" in lines[0]
    assert sum(": ok, BLEU" in line and "on held (" in line for line in lines) == 4  # each shows the new score
    rows = _rows(out)[len(before):]
    assert sorted(r["cell_id"] for r in rows) == sorted(before)
    for row in rows:
        first = before[row["cell_id"]]
        assert row["test"]["synthetic"] == first["test"]["synthetic"]  # not re-scored, not re-trained
        assert row["valid_losses"] == first["valid_losses"] and row["finished_at"] == first["finished_at"]
        assert row["test"]["held"]["n_sentences"] == 60 and row["tests_added"]["held"]["seconds"] >= 0
        assert (out / row["model_folder"] / "hyps.held.txt").is_file()
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "### Test set `held` (60 sentences)" in report and "### Test set `synthetic`" in report
    assert "- Run with: `--set suite.test_sets=" in report  # the overrides are part of the record
    lines.clear()
    run_suite("smoke", out, echo=lines.append, overrides=_held_out(tmp_path))
    assert "0 to run." in lines[0] and "Also" not in lines[0]  # nothing left to do


@pytest.mark.slow
def test_a_gone_model_folder_is_re_created_with_the_same_curve(smoke, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(smoke["out"], out)
    first = _rows(out)[0]
    shutil.rmtree(out / first["model_folder"])  # as on a clean clone: runs/ is not in git
    lines: list[str] = []
    run_suite("smoke", out, echo=lines.append)
    assert _started(lines) == []  # a gone model alone does not re-train without asking
    run_suite("smoke", out, echo=lines.append, recreate=True)
    assert _started(lines) == [first["cell_id"]]
    again = _rows(out)[-1]
    assert again["cell_id"] == first["cell_id"] and (out / again["model_folder"] / "model.pt").is_file()
    assert again["recreated"]["same_curve"] and again["recreated"]["valid_losses_max_abs_diff"] <= 1e-6
    assert again["test"]["synthetic"]["bleu"] == first["test"]["synthetic"]["bleu"]
    assert again["recreated"]["first_finished_at"] == first["finished_at"]


# ---------------------------------------------------------------- a crashing cell


SUITE = """
[suite]
name = "tiny"
baseline = "random"
seeds = [1]
test_sets = ["synthetic"]
test_size = 20
bootstrap_samples = 100
[base.data]
corpus = "synthetic"
synthetic_size = 200
min_freq = 1
[base.model]
hidden_size = 16
num_layers = 1
[base.train]
epochs = 1
batch_size = 32
device = "cpu"
[base.decode]
max_len = 10
[[configs]]
name = "random"
source = {name = "random", dim = 16}
target = {name = "random", dim = 16}
"""


def _tiny(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(SUITE + extra, encoding="utf-8")
    return path


def boom(ctx, size: int = 16):
    """Raises when it builds: a plugin that crashes its cell."""
    raise RuntimeError("boom: this plugin always fails")


def works(ctx, size: int = 16):
    """Random vectors for every word: the same plugin, repaired."""
    import numpy as np

    keys = list(ctx.vocab.tokens)
    return keys, np.random.default_rng(0).normal(size=(len(keys), size)).astype("float32")


@pytest.mark.slow
def test_crashing_cell_is_recorded_and_the_suite_goes_on_then_reruns(tmp_path):
    suite = _tiny(tmp_path, '[[configs]]\nname = "boom"\nsource = {name = "boom", dim = 16}\n'
                            'target = {name = "random", dim = 16}\n')
    out = tmp_path / "results"
    register("boom", boom, replace=True)
    try:
        lines: list[str] = []
        report = run_suite(suite, out, echo=lines.append)
        rows = {r["config_name"]: r for r in _rows(out)}
        assert rows["random"]["status"] == "ok"
        assert rows["boom"]["status"] == "failed" and "boom: this plugin always fails" in rows["boom"]["error"]
        assert "RuntimeError" in rows["boom"]["traceback"]
        assert any("FAILED" in line for line in lines)
        assert "## Failed cells" in report.read_text(encoding="utf-8")

        register("boom", works, replace=True)
        lines.clear()
        run_suite(suite, out, echo=lines.append)
        assert _started(lines) == [rows["boom"]["cell_id"]]  # failed cells run again, finished ones do not
        assert [r["status"] for r in _rows(out)] == ["ok", "failed", "ok"]
        assert "## Failed cells" not in (out / "report.md").read_text(encoding="utf-8")
    finally:
        unregister("boom")


@pytest.mark.slow
def test_a_training_interrupted_midway_continues_from_its_last_epoch(tmp_path, monkeypatch):
    training = importlib.import_module("s2s_embed.train")  # `s2s_embed.train` is the function

    suite = _tiny(tmp_path).read_text(encoding="utf-8").replace("epochs = 1", "epochs = 2")
    path = tmp_path / "two_epochs.toml"
    path.write_text(suite, encoding="utf-8")
    out = tmp_path / "results"
    real, calls = training.evaluate_loss, []

    def stop_in_epoch_two(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C after epoch 1 was saved
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "evaluate_loss", stop_in_epoch_two)
    with pytest.raises(KeyboardInterrupt):
        run_suite(path, out, echo=lambda *a: None)
    folder = out / "runs" / "synthetic-en-fr.base.full.random.s1"
    first_epoch = (folder / "metrics.jsonl").read_text(encoding="utf-8")
    assert not (out / "results.jsonl").exists() and len(first_epoch.splitlines()) == 1

    monkeypatch.setattr(training, "evaluate_loss", real)
    run_suite(path, out, echo=lambda *a: None)
    assert [r["status"] for r in _rows(out)] == ["ok"] and _rows(out)[0]["epochs_run"] == 2
    assert (folder / "metrics.jsonl").read_text(encoding="utf-8").startswith(first_epoch)
    assert "resuming the interrupted training" in (out / "logs" / f"{folder.name}.log").read_text(encoding="utf-8")


# ---------------------------------------------------------------- bad suites, rejected before training


@pytest.mark.parametrize("extra, message", [
    ('[[configs]]\nname = "g"\nsource = {name = "glve", dim = 16}\ntarget = {name = "random", dim = 16}\n',
     r"Unknown embedding 'glve'. Available: .*glove.*random.*Did you mean 'glove'"),
    ('[[configs]]\nname = "r"\nsource = {name = "random", dim = 16, int = "normal"}\ntarget = {name = "random"}\n',
     r"source.int is not an option of embedding 'random'.*Its options: init, scale"),
    ('[[datasets]]\nname = "other"\ncorpus = "synthetc"\n',
     r"data.corpus = 'synthetc' is not valid. Choose one of: synthetic, multi30k, files, tsv"),
    ('[[datasets]]\nname = "m30k"\ncorpus = "multi30k"\ntest_sets = ["test_2018"]\n',
     r"'test_2018' is not a test set of corpus 'multi30k'. Available: val, test_2016_flickr, test_2017_flickr"),
    ('[[datasets]]\nname = "m30k"\ncorpus = "multi30k"\nlanguage = "de"\n', r"Unknown key 'language' in .*\[\[datasets\]\].*src_lang"),
    ('[[variants]]\nname = "big"\nmodel = {hiden_size = 64}\n', r"Unknown key 'hiden_size'.*Did you mean 'hidden_size'"),
])
def test_bad_suites_are_rejected_before_training_with_the_valid_values(tmp_path, extra, message):
    out = tmp_path / "results"
    with pytest.raises(ConfigError, match=message):
        run_suite(_tiny(tmp_path, extra), out)
    assert not (out / "runs").exists() and not (out / "results.jsonl").exists()


@pytest.mark.parametrize("edit, message", [
    (("seeds = [1]", "seeds = [1]\nrepeats = 3"), r"Unknown key 'repeats' in .*\[suite\]. Valid keys: name, baseline, seeds"),
    (('baseline = "random"', 'baseline = "rand"'), r"Unknown configuration 'rand'. Available: random"),
    (("hidden_size = 16", "hidden_size = 16\nsize = 3"), r"Unknown key 'size' in \[model\]. Valid keys: hidden_size"),
    (("seeds = [1]", "seeds = []"), r"seeds is empty"),
    (("seeds = [1]", "seeds = [-1]"), r"seeds: -1 must be a whole number >= 0"),
    (('device = "cpu"', 'device = "cpu"\nseed = 4'), r"seed: each cell's seed comes from \[suite\] seeds"),
])
def test_bad_suite_settings_are_named(tmp_path, edit, message):
    path = tmp_path / "bad.toml"
    path.write_text(SUITE.replace(*edit), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_suite(path)


SIZED = SUITE.replace("seeds = [1]", "seeds = [1]\ntrain_sizes = [100, 200]") + """[[configs]]
name = "uniform"
train_sizes = [200]
source = {name = "random", dim = 16, init = "uniform"}
target = {name = "random", dim = 16, init = "uniform"}
"""


def test_a_config_may_run_at_some_of_the_suites_train_sizes_and_the_report_leaves_it_out_elsewhere(tmp_path):
    path = tmp_path / "sized.toml"
    path.write_text(SIZED, encoding="utf-8")
    assert [c.id for c in load_suite(path).cells()] == [
        "synthetic-en-fr.base.n100.random.s1", "synthetic-en-fr.base.n200.random.s1", "synthetic-en-fr.base.n200.uniform.s1"]
    out = tmp_path / "results"
    out.mkdir()
    for name in ("forest.png", "notes.png"):  # an earlier one-size report's plot, and the user's own file
        (out / name).write_bytes(b"png")
    run_suite(path, out, echo=lambda *a: None)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    configs = {g["train_size"]: [r["config"] for r in g["test_sets"]["synthetic"]["configs"]] for g in report["groups"]}
    assert configs == {100: ["random"], 200: ["random", "uniform"]}
    assert report["counts"] == {"cells": 3, "ok": 3, "failed": 0, "not_run": 0}
    assert not (out / "forest.png").exists() and (out / "notes.png").is_file()
    assert (out / "bleu_synthetic-en-fr_base_n200.png").is_file() and (out / "learning_curve.png").is_file()

    rows = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    (out / "results.jsonl").write_text("".join(r + "\n" for r in rows if '"train_size": 100' in r), encoding="utf-8")
    write_report(out, echo=lambda *a: None)
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "synthetic-en-fr, base, 200 training pairs: none of its 2 cells has finished yet" in text
    assert "## synthetic-en-fr, base, 200 training pairs" not in text
    assert (out / "bleu.png").is_file() and not (out / "bleu_synthetic-en-fr_base_n200.png").exists()


@pytest.mark.parametrize("edit, message", [
    (("train_sizes = [200]", "train_sizes = [300]"),
     r"'uniform' train_sizes \[300\]: not in \[suite\] train_sizes \[100, 200\]"),
    (("train_sizes = [200]", "train_sizes = []"), r"'uniform' train_sizes is empty"),
    (("train_sizes = [200]", "train_sizes = 200"), r"'uniform' train_sizes"),
    (("train_sizes = [100, 200]\n", ""), r"'uniform' train_sizes: the \[suite\] table sets no train_sizes"),
    (('name = "random"\n', 'name = "random"\ntrain_sizes = [100]\n'),
     r"'random' train_sizes: the baseline is compared with every configuration, so it runs at every"),
])
def test_a_configs_train_sizes_must_be_some_of_the_suites(tmp_path, edit, message):
    path = tmp_path / "bad.toml"
    path.write_text(SIZED.replace(*edit, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_suite(path)


@pytest.mark.parametrize("extra, override, reason", [
    ("", "base.embeddings.source.windw=2", r"every \[\[configs\]\] entry sets its own \[configs.source\] table"),
    ('[[datasets]]\nname = "a"\nsynthetic_size = 100\n[[datasets]]\nname = "b"\nsynthetic_size = 300\n',
     "base.data.synthetic_size=50", r"every \[\[datasets\]\] entry sets data key 'synthetic_size'"),
    ('[[variants]]\nname = "a"\ntrain = {lr = 0.1}\n[[variants]]\nname = "b"\ntrain = {lr = 0.01}\n',
     "base.train.lr=0.5", r"every \[\[variants\]\] entry sets train.lr"),
])
def test_an_override_that_applies_to_no_cell_is_named(tmp_path, extra, override, reason):
    with pytest.raises(ConfigError, match=rf"--set {re.escape(override)} applies to no cell: {reason}"):
        load_suite(_tiny(tmp_path, extra), [override])
    with pytest.raises(ConfigError, match=r"--set base.embeddings.source.name=ppmi applies to no cell"):
        run_suite("smoke", tmp_path / "out", overrides=["base.embeddings.source.name=ppmi",
                                                         "base.embeddings.source.windw=2"])
    assert not (tmp_path / "out").exists()


def test_an_override_that_some_cell_uses_is_applied(tmp_path):
    extra = '[[configs]]\nname = "own"\nsource = {name = "random", dim = 8}\n'  # target from [base.embeddings]
    suite = load_suite(_tiny(tmp_path, extra), ["base.embeddings.target.init=\"uniform\"", "base.train.lr=0.5"])
    own = [c for c in suite.cells() if c.config == "own"][0]
    assert own.cfg.embeddings.target.options == {"init": "uniform"} and own.cfg.train.lr == 0.5


def test_unknown_suite_lists_the_built_ins():
    assert {"smoke", "quick", "multi30k-en-fr", "low-resource"} <= set(builtin_suites())
    with pytest.raises(ConfigError, match=r"Suite 'smok' is neither a built-in suite nor a file. Built-in suites: "
                                          r"converged-en-fr, low-resource, multi30k-en-fr, quick, smoke.*Did you mean 'smoke'"):
        run_suite("smok", "unused")


def test_every_built_in_suite_is_valid():
    for name in builtin_suites():
        suite = load_suite(name)
        cells = suite.cells()
        assert len({c.id for c in cells}) == len(cells)
        assert suite.settings.baseline in {c.config for c in cells}
    assert len(load_suite("quick").cells()) == 18 and len(load_suite("low-resource").cells()) == 24
    multi30k = load_suite("multi30k-en-fr")
    assert [t.name for t in multi30k.datasets[0].test_sets] == ["test_2016_flickr", "test_2017_flickr"]
    assert {(c.cfg.embeddings.source.dim, c.cfg.embeddings.target.dim) for c in multi30k.cells()} == {(50, 300)}


# ---------------------------------------------------------------- folders that cannot be written


def test_results_folder_under_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    out = tmp_path / "file" / "results"
    with pytest.raises(store.ResultsFolderError, match=rf"Cannot write the results folder {out}.*another --out"):
        run_suite(_tiny(tmp_path), out)


def test_read_only_results_folder_is_a_clear_error(tmp_path, monkeypatch):
    def read_only(path):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(store, "_probe", read_only)  # chmod does not stop root, so simulate the file system
    out = tmp_path / "results"
    with pytest.raises(store.ResultsFolderError, match=rf"Cannot write the results folder {out}: Read-only file system"):
        run_suite(_tiny(tmp_path), out)
    assert not (out / "runs").exists()


def test_full_disk_while_appending_names_the_folder(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "_write", full)
    out = tmp_path / "results"
    with pytest.raises(store.ResultsFolderError, match=rf"No space left on device.*{out} is read-only or full.*resume"):
        run_suite(_tiny(tmp_path), out)


def test_a_second_runner_on_one_results_folder_is_refused_at_once(tmp_path):
    import os

    from s2s_embed.lock import FolderLockedError, folder_lock

    out = tmp_path / "results"
    with folder_lock(out, "--out"):  # as a first `s2s-embed benchmark` would hold it
        with pytest.raises(FolderLockedError, match=rf"--out = .*results.* in use by another s2s-embed run "
                                                    rf"\(host .* pid {os.getpid()}\)"):
            run_suite(_tiny(tmp_path), out, echo=lambda *a: None)
        assert not (out / "results.jsonl").exists() and not (out / "runs").exists()


def test_a_suite_left_locked_by_a_killed_runner_is_taken_over_and_said(tmp_path):
    from s2s_embed.lock import LOCK_NAME

    out = tmp_path / "results"
    out.mkdir()
    (out / LOCK_NAME).write_text("host=gone pid=4194301\n")
    lines: list[str] = []
    run_suite(_tiny(tmp_path), out, echo=lines.append)
    assert lines[0] == f"Took over the lock on {out} left by host gone pid 4194301: that process is gone."
    assert [r["status"] for r in _rows(out)] == ["ok"] and not (out / LOCK_NAME).exists()


def test_report_only_needs_a_results_folder(tmp_path):
    with pytest.raises(ConfigError, match="holds no benchmark results"):
        write_report(tmp_path)


def test_report_only_is_refused_while_a_runner_holds_the_folder(tmp_path, smoke, capsys):
    import os

    from s2s_embed.cli import main
    from s2s_embed.lock import folder_lock

    out = tmp_path / "results"
    shutil.copytree(smoke["out"], out)
    before = (out / "report.md").read_bytes()
    with folder_lock(out, "--out"):  # a suite still running into it
        assert main(["benchmark", "smoke", "--out", str(out), "--report-only"]) not in (0, None)
    assert re.search(rf"in use by another s2s-embed run \(host .* pid {os.getpid()}\)", capsys.readouterr().err)
    assert (out / "report.md").read_bytes() == before
    assert main(["benchmark", "smoke", "--out", str(out), "--report-only"]) in (0, None)  # and once it is free


# ---------------------------------------------------------------- a grid over training sizes, in a process pool


FILES_SUITE = """
[suite]
baseline = "random"
seeds = [1]
train_sizes = [500, 1000]
test_sets = [{{name = "tiny", src = "{test[0]}", ref = "{test[1]}"}}]
bootstrap_samples = 100
[base.data]
corpus = "files"
train_src = "{train[0]}"
train_trg = "{train[1]}"
valid_src = "{valid[0]}"
valid_trg = "{valid[1]}"
min_freq = 1
[base.model]
hidden_size = 16
num_layers = 1
[base.train]
epochs = 1
batch_size = 32
device = "cpu"
[[configs]]
name = "random"
source = {{name = "random", dim = 16}}
target = {{name = "random", dim = 16}}
[[configs]]
name = "uniform"
source = {{name = "random", dim = 16, init = "uniform"}}
target = {{name = "random", dim = 16, init = "uniform"}}
"""


@pytest.mark.slow
def test_train_sizes_in_a_process_pool_give_a_learning_curve(tmp_path, tiny_task):
    path = tmp_path / "sizes.toml"
    path.write_text(FILES_SUITE.format(**tiny_task), encoding="utf-8")
    out = tmp_path / "results"
    run_suite(path, out, workers=2, echo=lambda *a: None)
    rows = _rows(out)
    assert sorted((r["train_size"], r["config_name"], r["status"]) for r in rows) == [
        (500, "random", "ok"), (500, "uniform", "ok"), (1000, "random", "ok"), (1000, "uniform", "ok")]
    assert all(r["data"]["train_pairs"] == r["train_size"] for r in rows)
    assert all(r["machine"]["torch_threads"] == 1 for r in rows)  # one thread per worker
    assert all(r["test"]["tiny"]["n_sentences"] == len(tiny_task["test_pairs"]) for r in rows)
    assert (out / "learning_curve.png").is_file()
    assert {p.name for p in out.glob("bleu_*.png")} == {"bleu_files-en-fr_base_n500.png",
                                                         "bleu_files-en-fr_base_n1000.png"}
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "## files-en-fr, base, 500 training pairs" in text and "## files-en-fr, base, 1,000 training pairs" in text
    assert "n/a (needs at least 2 seeds of both" in text  # one seed: no test that counts seeds, and it says so


def test_a_missing_corpus_file_stops_the_suite_before_training(tmp_path, tiny_task):
    path = tmp_path / "files.toml"
    path.write_text(FILES_SUITE.format(**{**tiny_task, "valid": (tmp_path / "nope.en", tmp_path / "nope.fr")}),
                    encoding="utf-8")
    out = tmp_path / "results"
    with pytest.raises(S2SError, match="nope.en"):
        run_suite(path, out)
    assert not (out / "runs").exists()


def test_a_row_written_before_a_new_config_key_still_counts():
    from s2s_embed import config
    from s2s_embed.config import comparable

    now = config.load(None).to_dict()
    older = json.loads(json.dumps(now))
    del older["model"]["init_range"]  # a key added after the row was written, at its default
    assert comparable(older) == comparable(now)
    older["model"]["hidden_size"] = 7
    assert comparable(older) != comparable(now)
