"""Vocabulary and bucketed batches."""
import json

import pytest

from s2s_embed.data.batching import make_batches
from s2s_embed.data.tokenize import Tokenizer, detokenize
from s2s_embed.data.vocab import EOS_ID, PAD_ID, SOS_ID, SPECIALS, UNK_ID, Vocab
from s2s_embed.errors import ModelFolderError


def test_vocab_specials_min_freq_and_max_size():
    v = Vocab.build([["a", "b", "a"], ["c", "a", "b"]], min_freq=2)
    assert v.itos[:4] == list(SPECIALS) and v.tokens == ["a", "b"]
    assert v.encode(["a", "zzz"], add_sos=True, add_eos=True) == [SOS_ID, 4, UNK_ID, EOS_ID]
    assert v.decode([4, 5, EOS_ID, 4]) == ["a", "b"]
    assert Vocab.build([["a", "b", "a"]], max_size=1).tokens == ["a"]
    assert v.counts["a"] == 3


def test_vocab_json_round_trip_and_corrupt_file(tmp_path):
    v = Vocab.build([["é", "b"]])
    v.save(tmp_path / "v.json")
    assert json.loads((tmp_path / "v.json").read_text())["itos"][4] == "é"
    assert Vocab.load(tmp_path / "v.json") == v
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ModelFolderError, match="bad.json"):
        Vocab.load(tmp_path / "bad.json")
    with pytest.raises(ModelFolderError, match="missing"):
        Vocab.load(tmp_path / "none.json")


def test_tokenizer_lowercases_and_splits_punctuation():
    tok = Tokenizer("en", lowercase=True)
    assert tok("A man's dog, running.") == ["a", "man", "'s", "dog", ",", "running", "."]
    assert Tokenizer("fr", lowercase=False)("L'homme court.") == ["L'", "homme", "court", "."]
    assert detokenize(["a", "man", "'s", "dog", ",", "running", "."], "en") == "a man's dog, running."
    assert detokenize(["l'", "homme", "court", "."], "fr") == "l'homme court."


def _pairs(n):
    return [([4] * (1 + i % 17), [5] * (1 + (i * 7) % 13)) for i in range(n)]


def test_batches_cover_every_pair_once_and_are_deterministic():
    pairs = _pairs(1000)
    a, b = make_batches(pairs, 32, seed=3), make_batches(pairs, 32, seed=3)
    assert [x.index for x in a] == [x.index for x in b]
    assert sorted(i for x in a for i in x.index) == list(range(1000))
    assert [x.index for x in make_batches(pairs, 32, seed=4)] != [x.index for x in a]


def test_bucketing_reduces_padding():
    pairs = _pairs(2000)
    def padding(batches):
        return sum(int((x.src == PAD_ID).sum()) for x in batches)
    assert padding(make_batches(pairs, 32, seed=0, bucket=True)) < 0.2 * padding(make_batches(pairs, 32, seed=0, bucket=False))


def test_batch_layout():
    (batch,) = make_batches([([4, 5], [6]), ([7], [8, 9])], 8, seed=None, bucket=False)
    assert batch.src.tolist() == [[4, 5], [7, PAD_ID]]
    assert batch.trg_in.tolist() == [[SOS_ID, 6, PAD_ID], [SOS_ID, 8, 9]]
    assert batch.trg_out.tolist() == [[6, EOS_ID, PAD_ID], [8, 9, EOS_ID]]
    assert batch.n_tokens == 5 and batch.src_lens.tolist() == [2, 1]
