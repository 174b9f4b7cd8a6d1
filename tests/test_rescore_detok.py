"""benchmarks/rescore_detok.py --write: kept translations detokenised again, their rows re-scored as a cell scores
them and marked under "backfilled", the rest of each row as it was, twice the same as once; the report says so."""
import copy
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from s2s_embed import stats
from s2s_embed.benchmark import rare_words, sentence_stats, testsets, write_report
from s2s_embed.config import DataConfig
from s2s_embed.evaluate import score

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "rescore_detok.py"
REFS = ["Quelles leçons?", "Un chien court.", "Un chat dort sur le lit.", "Apprendra-t-il?"]
HYPS = {  # as the old detokenizer wrote them: spaces before "?" and "." and around split-off hyphens
    ("random", 1): ["Quelles leçons ?", "Un chien court .", "Un chat dort sur le lit.", "Apprendra -t -il ?"],
    ("random", 2): ["Quelles leçons ?", "Un chien court.", "Un chat dort .", "Apprendra-t-il?"],
    ("other", 1): ["Quelles leçons?", "Un chien court .", "Un chat dort sur le lit .", "Apprendra-t-il ?"],
    ("other", 2): ["Quelles <unk> ?", "Un chien court.", "Un chat dort sur l'<unk> .", "Apprendra-t-il?"],
}


@pytest.fixture(scope="module")
def rescore():
    spec = importlib.util.spec_from_file_location("rescore_detok", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _data(folder: Path) -> dict:
    for name, lines in {"train.en": ["which lessons?", "a dog runs.", "a cat sleeps on the bed."],
                        "train.fr": ["Quelles leçons ?", "Un chien court.", "Un chat dort sur le lit."]}.items():
        (folder / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return {"corpus": "files", "src_lang": "en", "trg_lang": "fr", "lowercase": True, "min_freq": 1,
            "train_src": str(folder / "train.en"), "train_trg": str(folder / "train.fr"),
            "valid_src": str(folder / "train.en"), "valid_trg": str(folder / "train.fr")}


def _row(config: str, seed: int, data: dict, test: testsets.TestSet, hyps: list[str]) -> dict:
    """A finished row as a cell writes it, scored on the old hypotheses."""
    data_config = DataConfig(**data)
    seen = rare_words.training_words(data_config).target
    cell_id = f"tiny.base.full.{config}.s{seed}"
    return {"suite": "tiny", "commit": "abc", "dirty": False, "cell_id": cell_id, "config_name": config,
            "dataset": "tiny", "variant": "base", "train_size": 0, "seed": seed,
            "config": {"data": data, "train": {"epochs": 3}, "decode": {"beam_size": 1, "max_len": 20}},
            "best_epoch": 3, "epochs_run": 3, "best_valid_loss": 1.0 + seed / 10 + (config == "other") / 5,
            "best_valid_ppl": 2.7 + seed / 10 + (config == "other") / 5, "valid_losses": [2.0, 1.5, 1.0 + seed / 10],
            "train_seconds": 1.0, "parameters": 100,
            "test": {"t": {**score(hyps, list(test.ref)), "bleu_tok_lc": 12.5,
                           "decode": {"beam_size": 1, "max_len": 20}, "digest": test.digest,
                           "rare_words": rare_words.test_set_counts(hyps, list(test.ref), data_config, seen).to_json(),
                           "source_tokens": {"tokens": 20, "unk": 0.1, "pretrained": 0.0}}},
            "status": "ok", "model_folder": f"runs/{cell_id}", "machine": {"cpu_count": 2},
            "backfilled": {"rare_words": {"by": "benchmarks/backfill_rare_words.py", "at": "2026-01-01"}}}


@pytest.fixture
def results(tmp_path) -> Path:
    """A results folder of two configurations × two seeds on one small test set, kept translations and all."""
    out = tmp_path / "results"
    (out / "testsets").mkdir(parents=True)
    data = _data(tmp_path)
    test = testsets.TestSet("tiny", "t", tuple(f"source {i}" for i in range(len(REFS))), tuple(REFS))
    (out / "testsets" / "tiny.t.src.txt").write_text("".join(s + "\n" for s in test.src), encoding="utf-8")
    (out / "testsets" / "tiny.t.ref.txt").write_text("".join(r + "\n" for r in REFS), encoding="utf-8")
    rows = []
    for (config, seed), hyps in HYPS.items():
        row = _row(config, seed, data, test, hyps)
        folder = out / row["model_folder"]
        folder.mkdir(parents=True)
        (folder / "hyps.t.txt").write_text("".join(h + "\n" for h in hyps), encoding="utf-8")
        sentence_stats.write(folder, "t", test.digest, hyps, REFS)
        rows.append(row)
    cells = [{"id": r["cell_id"], "dataset": "tiny", "variant": "base", "train_size": 0, "config": r["config_name"],
              "seed": r["seed"]} for r in rows]
    suite = {"name": "tiny", "source": "tiny.toml", "baseline": "random", "seeds": [1, 2], "train_sizes": [0],
             "alpha": 0.05, "bootstrap_samples": 50, "test_size": 0,
             "configs": [{"name": "random"}, {"name": "other"}],
             "datasets": [{"name": "tiny", "test_sets": ["t"]}], "variants": ["base"], "cells": cells}
    (out / "suite.json").write_text(json.dumps(suite), encoding="utf-8")
    (out / "results.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                       encoding="utf-8")
    return out


def _rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted((out / "runs").rglob("*")) if p.is_file()}


def test_without_write_nothing_changes(rescore, results):
    before = (results / "results.jsonl").read_bytes(), _files(results)
    assert rescore.main([str(results)]) == 0
    assert ((results / "results.jsonl").read_bytes(), _files(results)) == before


def test_write_rescores_the_new_lines_as_a_cell_does_and_keeps_the_rest(rescore, results):
    old_rows = _rows(results)
    assert rescore.main([str(results), "--write"]) == 0
    folder = results / "runs" / "tiny.base.full.random.s1"
    hyps = (folder / "hyps.t.txt").read_text(encoding="utf-8").splitlines()
    assert hyps == ["Quelles leçons?", "Un chien court.", "Un chat dort sur le lit.", "Apprendra-t-il?"]
    other = (results / "runs" / "tiny.base.full.other.s2" / "hyps.t.txt").read_text(encoding="utf-8")
    assert other.splitlines()[:3] == ["Quelles <unk>?", "Un chien court.", "Un chat dort sur l'<unk>."]  # one token

    for old, new in zip(old_rows, _rows(results)):
        hyps = (results / new["model_folder"] / "hyps.t.txt").read_text(encoding="utf-8").splitlines()
        expected = score(hyps, REFS)
        scores = new["test"]["t"]
        assert {k: scores[k] for k in expected} == expected
        assert scores["bleu_tok_lc"] == 12.5 and scores["source_tokens"] == old["test"]["t"]["source_tokens"]
        assert scores["digest"] == old["test"]["t"]["digest"] and scores["decode"] == old["test"]["t"]["decode"]
        data = DataConfig(**new["config"]["data"])
        counts = rare_words.test_set_counts(hyps, REFS, data, rare_words.training_words(data).target).to_json()
        assert scores["rare_words"] == counts
        record = new["backfilled"]["detokenize"]
        assert record["by"] == "benchmarks/rescore_detok.py" and record["at"] and "commit" in record
        assert record["bleu"]["t"] == {"before": old["test"]["t"]["bleu"], "after": scores["bleu"]}
        assert new["backfilled"]["rare_words"] == old["backfilled"]["rare_words"]
        assert list(new) == list(old)  # every field where it was
        assert {k: v for k, v in new.items() if k not in ("test", "backfilled")} == \
            {k: v for k, v in old.items() if k not in ("test", "backfilled")}

        header, counts = sentence_stats.read(sentence_stats.stats_path(results / new["model_folder"], "t"))
        assert header["hyps_sha256"] == sentence_stats.hyps_digest(hyps)
        assert stats.corpus_scores(counts["bleu"].sum(axis=0), "bleu") == pytest.approx(scores["bleu"], abs=1e-9)
    first = _rows(results)[0]["backfilled"]["detokenize"]["bleu"]["t"]
    assert first["before"] < first["after"] == pytest.approx(100)  # sacreBLEU's 13a splits "?", not "-t"


def test_write_twice_changes_nothing_the_second_time(rescore, results):
    rescore.main([str(results), "--write"])
    once = (results / "results.jsonl").read_bytes(), _files(results)
    rescore.main([str(results), "--write"])
    assert ((results / "results.jsonl").read_bytes(), _files(results)) == once
    redone, _ = rescore.rescore_suite(results, results)  # and detokenising again is a fixed point
    assert all(r.numbers.lines_changed == 0 and r.numbers.delta == 0 for r in redone)


def test_a_row_of_an_earlier_run_and_other_lines_stay_byte_for_byte(rescore, results):
    lines = (results / "results.jsonl").read_text(encoding="utf-8").splitlines()
    earlier = copy.deepcopy(json.loads(lines[0]))
    earlier["finished_at"] = "earlier"
    text = json.dumps(earlier) + "\n" + "".join(line + "\n" for line in lines)  # ensure_ascii: other bytes
    (results / "results.jsonl").write_text(text, encoding="utf-8")
    rescore.main([str(results), "--write"])
    after = (results / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert after[0] == json.dumps(earlier)  # not the cell's last row: its files belong to the later one
    assert "detokenize" in json.loads(after[1])["backfilled"]


def test_the_report_header_says_which_rows_were_rescored_and_how_bleu_moved(rescore, results):
    rescore.main([str(results), "--write"])
    write_report(results, echo=lambda *a: None)
    rows = _rows(results)
    change = [r["backfilled"]["detokenize"]["bleu"]["t"] for r in rows]
    mean = sum(c["after"] - c["before"] for c in change) / len(change)
    header = (results / "report.md").read_text(encoding="utf-8").split("## Summary")[0]
    line = next(x for x in header.splitlines() if "`benchmarks/rescore_detok.py`" in x)
    assert line.startswith("- Backfilled by `benchmarks/rescore_detok.py` in 4 rows: ")
    assert "detokenised again with a later detokenizer" in line and f"mean BLEU change t {mean:+.2f}" in line
    assert "- Backfilled by `benchmarks/backfill_rare_words.py` in 4 rows: `rare_words`." in header
    backfilled = json.loads((results / "report.json").read_text(encoding="utf-8"))["provenance"]["backfilled"]
    assert [b["kind"] for b in backfilled] == ["rare_words", "detokenize"]
    assert backfilled[1]["bleu_change"]["t"]["mean"] == pytest.approx(mean)
