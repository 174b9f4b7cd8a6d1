"""Target words by training frequency: compare-mt's buckets and F-measure, the source shares, the report's section."""
import json
import shutil

import pytest

from s2s_embed.benchmark import write_report
from s2s_embed.benchmark.rare_words import (BUCKETS, BucketCounts, bucket_of, count_words, f_measure, source_shares,
                                            training_words, words)
from s2s_embed.config import DataConfig
from s2s_embed.data.tokenize import Tokenizer
from s2s_embed.data.vocab import Vocab
from s2s_embed.errors import DataError


def test_buckets_are_compare_mts():
    assert BUCKETS == ("unseen", "1", "2", "3", "4", "5-9", "10-99", "100-999", "1000+")
    edges = {0: "unseen", 1: "1", 2: "2", 3: "3", 4: "4", 5: "5-9", 9: "5-9", 10: "10-99", 99: "10-99",
             100: "100-999", 999: "100-999", 1000: "1000+", 123456: "1000+"}
    assert {count: BUCKETS[bucket_of(count)] for count in edges} == edges


def test_f_measure_per_bucket_sums_over_the_test_set_before_dividing():
    train = {"le": 1500, "chat": 12, "noir": 1, "dort": 3, "mange": 150}  # "chien" never seen
    hyps = [["le", "chat", "chat", "dort"], ["le", "chien", "chat"]]
    refs = [["le", "chat", "noir", "dort"], ["le", "chien", "mange"]]
    counts = count_words(hyps, refs, train)
    assert counts.hyp == (1, 0, 0, 1, 0, 0, 3, 0, 2)
    assert counts.ref == (1, 1, 0, 1, 0, 0, 1, 1, 2)
    assert counts.matched == (1, 0, 0, 1, 0, 0, 1, 0, 2)  # "chat" twice in sentence 1 matches once (clipped)
    f = counts.f_measures()
    # 10-99: P = 1/3, R = 1, F = 0.5 (the mean of the sentences' F would be 2/3 and 0)
    assert f == [1.0, 0.0, None, 1.0, None, None, pytest.approx(0.5), 0.0, 1.0]
    assert f_measure(0, 4, 0) == 0.0 and f_measure(0, 0, 0) is None


def test_counts_round_trip_and_refuse_other_buckets():
    counts = BucketCounts((1,) * 9, (2,) * 9, (0,) * 9)
    assert BucketCounts.from_json(json.loads(json.dumps(counts.to_json()))) == counts
    with pytest.raises(DataError, match="backfill_rare_words"):
        BucketCounts.from_json({**counts.to_json(), "buckets": ["rare", "common"]})
    with pytest.raises(DataError, match="9 buckets"):
        BucketCounts((1, 2), (1, 2), (0, 0))


def test_words_keep_the_models_unk_whole_and_lowercase_as_the_model_sees_it():
    assert words(Tokenizer("fr", lowercase=True), ["Un <unk> mange une <unk>."]) == [
        ["un", "<unk>", "mange", "une", "<unk>", "."]]


def test_training_counts_keep_the_words_under_min_freq(tmp_path):
    (tmp_path / "train.en").write_text("a red cat\na red dog\n", encoding="utf-8")
    (tmp_path / "train.fr").write_text("un chat rouge\nun chien rouge\n", encoding="utf-8")
    data = DataConfig(corpus="files", min_freq=2, train_src=str(tmp_path / "train.en"),
                      train_trg=str(tmp_path / "train.fr"), valid_src=str(tmp_path / "train.en"),
                      valid_trg=str(tmp_path / "train.fr"))
    seen = training_words(data)
    assert seen.target["chat"] == 1 and seen.target["rouge"] == 2  # "chat" is <unk> to the model, but seen once
    assert "red" in seen.src_vocab and "cat" not in seen.src_vocab


def test_source_shares_count_unk_and_pretrained_rows_and_say_when_unknown():
    vocab = Vocab.build([["a", "red", "cat"]])
    flags = [False] * len(vocab)
    flags[vocab.stoi["cat"]] = True
    data = DataConfig(src_lang="en")
    shares = source_shares(["A red cat", "a zebra"], data, vocab, flags)
    assert shares == {"tokens": 5, "unk": 0.2, "pretrained": 0.2}
    assert source_shares(["a zebra"], data, vocab, None)["pretrained"] is None


@pytest.mark.slow
def test_smoke_report_has_the_rare_words_section_and_plot(smoke):
    row = json.loads((smoke["out"] / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    facts = row["test"]["synthetic"]
    assert facts["rare_words"]["buckets"] == list(BUCKETS)
    counts = BucketCounts.from_json(facts["rare_words"])
    assert all(m <= min(h, r) for m, h, r in zip(counts.matched, counts.hyp, counts.ref)) and sum(counts.ref) > 0
    assert facts["source_tokens"]["tokens"] > 0 and 0 <= facts["source_tokens"]["unk"] <= 1
    text = smoke["report"].read_text(encoding="utf-8")
    section = text.split("### Rare words")[1]
    assert "| training count | ref words | random F (baseline) | word2vec ΔF [95% CI] |" in section
    assert "| 1000+ |" in section and "`<unk>` to the model" in section
    assert (smoke["out"] / "rare_words.png").is_file() and "![rare_words.png](rare_words.png)" in text
    data = json.loads((smoke["out"] / "report.json").read_text(encoding="utf-8"))
    w2v = next(r for r in data["groups"][0]["rare_words"]["synthetic"]["configs"] if r["config"] == "word2vec")
    assert len(w2v["f"]) == len(w2v["vs_baseline"]) == len(BUCKETS)


@pytest.mark.slow
def test_rows_without_the_counts_are_said_to_lack_them(smoke, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(smoke["out"], out)
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row["config_name"] == "word2vec":  # as published before the counts existed
            del row["test"]["synthetic"]["rare_words"], row["test"]["synthetic"]["source_tokens"]
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    section = write_report(out, echo=lambda *_: None).read_text(encoding="utf-8").split("### Rare words")[1]
    assert "- word2vec: the rows of seeds 1, 2 lack rare-word counts" in section
    assert "| word2vec | not recorded | – | not recorded |" in section
    unseen = next(line for line in section.splitlines() if line.startswith("| unseen |"))
    assert unseen.endswith("| not recorded |")  # its ΔF column: never a 0
