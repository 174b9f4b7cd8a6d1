"""The benchmark's records: rows, scores, comparisons and power read what is published and write it back unchanged."""
import copy
import json
from pathlib import Path

import pytest

from s2s_embed import stats
from s2s_embed.benchmark import executors, load_suite
from s2s_embed.benchmark.cell import CellTask
from s2s_embed.benchmark.records import FAILED, Comparison, Power, Row, Scores, TestRow, holm
from s2s_embed.errors import DataError

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
PUBLISHED = ["multi30k-en-fr", "low-resource"]


def _published_rows(name: str) -> list[dict]:
    path = RESULTS / name / "results.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is not in this checkout")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _published_report(name: str) -> dict:
    path = RESULTS / name / "report.json"
    if not path.is_file():
        pytest.skip(f"{path} is not in this checkout")
    return json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- rows


@pytest.mark.parametrize("name", PUBLISHED)
def test_every_published_row_reads_and_writes_back_unchanged(name):
    rows = _published_rows(name)
    assert rows
    for data in rows:
        row = Row.from_json(data)
        assert row.ok and row.test and all(isinstance(s, Scores) for s in row.test.values())
        assert row.extra == {} and all(s.extra == {} for s in row.test.values())  # every key has its field
        assert row.to_json() == data
        assert list(row.to_json()) == list(data)  # in the order it was written
        assert json.dumps(row.to_json()) == json.dumps(data)


def test_a_row_missing_newer_fields_takes_defaults_and_invents_nothing():
    data = copy.deepcopy(_published_rows("multi30k-en-fr")[0])
    for key in ("backfilled", "still_improving", "data_digest", "tokens_per_s"):
        data.pop(key, None)
    for scores in data["test"].values():
        scores.pop("rare_words")
        scores.pop("source_tokens")
    row = Row.from_json(data)
    assert row.still_improving is None and row.data_digest is None and row.tokens_per_s is None
    assert row.improving == (row.best_epoch == row.epochs_run)  # older rows: from best and last epoch
    scores = next(iter(row.test.values()))
    assert scores.rare_words is None and scores.source_tokens is None and scores.truncated is None
    assert row.to_json() == data  # nothing added that the row did not say


def test_unknown_keys_are_kept_through_a_rewrite():
    data = copy.deepcopy(_published_rows("low-resource")[0])
    data["from_a_newer_version"] = {"any": [1, 2]}
    test = next(iter(data["test"]))
    data["test"][test]["a_new_score"] = 12.5
    row = Row.from_json(data)
    assert row.extra == {"from_a_newer_version": {"any": [1, 2]}}
    assert row.test[test].extra == {"a_new_score": 12.5}
    assert row.to_json() == data


def test_a_row_without_its_cell_names_what_it_lacks():
    data = {k: v for k, v in _published_rows("low-resource")[0].items() if k not in ("variant", "seed")}
    with pytest.raises(DataError, match="lacks variant, seed"):
        Row.from_json(data)


def test_a_renamed_field_is_a_type_error():
    with pytest.raises(TypeError):
        Comparison(delta=1.0, pvalue=0.01)  # p_value
    with pytest.raises(TypeError):
        Row.for_cell(load_suite("smoke").cells()[0], {}, {}, best_ppl=3.0)  # best_valid_ppl


def _task(tmp_path) -> CellTask:
    cell = load_suite("smoke").cells()[0]
    return CellTask(cell, tmp_path / "runs" / cell.id, tmp_path / "logs" / f"{cell.id}.log", (),
                    {"suite": "smoke", "commit": "abc", "dirty": False})


def test_a_failed_row_has_its_error_and_no_scores(tmp_path):
    task = _task(tmp_path)
    data = executors.lost_row(task, "the worker died", worker="tcp://127.0.0.1:1")
    row = Row.from_json(data)
    assert row.status == FAILED and not row.ok
    assert row.error == "the worker died" and row.traceback == "" and row.worker == "tcp://127.0.0.1:1"
    assert row.test is None and row.best_valid_ppl is None and "test" not in data
    assert (row.cell_id, row.seed, row.config_name) == (task.cell.id, task.cell.seed, task.cell.config)
    assert row.model_folder == f"runs/{task.cell.id}" and row.config["train"]["seed"] == task.cell.seed
    assert list(data)[:4] == ["suite", "commit", "dirty", "cell_id"]  # the run's context first, as always
    assert row.to_json() == data


def test_a_row_for_a_cell_is_built_in_one_place(tmp_path):
    """The failed row of a lost cell and a new row of the same cell agree on everything that names the cell."""
    task = _task(tmp_path)
    lost = executors.lost_row(task, "gone")
    fresh = Row.for_cell(task.cell, task.cell.with_out_dir(task.folder).to_dict(), task.context).to_json()
    names = ("suite", "commit", "dirty", "cell_id", "config_name", "dataset", "variant", "train_size", "seed",
             "config", "model_folder")
    assert {k: lost[k] for k in names} == {k: fresh[k] for k in names}


# ---------------------------------------------------------------- comparisons and power


def _result(delta, half, p):
    return {"delta": delta, "ci_low": delta - half, "ci_high": delta + half, "p_value": p, "se": half / 2,
            "df": 4.0, "test": "synthetic"}


def test_significant_needs_an_interval_without_zero_and_a_holm_p_below_alpha():
    results = [_result(2.0, 1.0, 0.001),  # clear: significant after Holm (3 x 0.001)
               _result(1.0, 0.9, 0.03),  # excludes 0 and p < 0.05, but Holm's p is max(2 x 0.028, 0.03) = 0.056
               _result(0.5, 1.0, 0.028)]  # the interval holds 0 (an inconsistent p, to test the rule's two parts)
    skipped = Comparison.skipped("needs at least 2 seeds of both (has 1 and baseline 3)")
    called = holm([*map(Comparison.from_json, results), skipped], alpha=0.05)
    assert [c.significant for c in called] == [True, False, False, None]
    assert [c.p_holm for c in called[:3]] == pytest.approx([0.003, 0.056, 0.056])
    assert called[3] == skipped and not called[3].ran
    expected = stats.decide(results, alpha=0.05)  # the same calls as the plain-dict function gives
    assert [c.to_json() for c in called[:3]] == expected
    assert list(called[0].to_json()) == ["delta", "ci_low", "ci_high", "p_value", "se", "df", "test", "p_holm",
                                         "significant"]


def test_a_comparison_that_could_not_run_keeps_only_its_note():
    missing = Comparison.skipped("no stats.synthetic.npz", not_computed=True)
    assert missing.to_json() == {"note": "no stats.synthetic.npz", "not_computed": True}
    assert Comparison.skipped("too few seeds").to_json() == {"note": "too few seeds"}
    assert Comparison.from_json(missing.to_json()) == missing


def test_power_writes_more_than_max_seeds_as_null():
    known = Power(mde=2.1, power=0.8, alpha=0.05, effect=1.0, rate_at_effect=0.3, seeds_for_effect=None, max_seeds=50)
    assert known.to_json()["seeds_for_effect"] is None and Power.from_json(known.to_json()) == known
    assert Power(note="not tested").to_json() == {"note": "not tested"}


@pytest.mark.parametrize("name", PUBLISHED)
def test_every_published_test_row_reads_as_a_record(name):
    report = _published_report(name)
    seen = 0
    for group in report["groups"]:
        for test in group["test_sets"].values():
            for data in test["configs"]:
                row = TestRow.from_json(data)
                assert row.to_json() == data and list(row.to_json()) == list(data) and row.extra == {}
                if row.baseline:
                    assert not row.vs_baseline and not row.comparison("bleu").ran
                    continue
                seen += 1
                bleu, power = row.vs_baseline["bleu"], row.power["bleu"]
                assert bleu.ran and bleu.significant == (bleu.excludes_zero and bleu.p_holm < 0.05)
                assert power.known and power.mde > 0
                assert set(row.per_seed["bleu"]) == {str(s) for s in row.seeds}
    assert seen
