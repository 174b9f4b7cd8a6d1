"""Batches of one source length: the encoder runs them unpacked with the packed path's results, and
`train.exact_lengths` makes them where the corpus allows."""
import importlib
import random
from collections import Counter

import pytest
import torch
from torch import nn

from conftest import tiny_overrides
from s2s_embed import config
from s2s_embed.data.batching import make_batches, pad
from s2s_embed.data.dataset import prepare
from s2s_embed.data.vocab import PAD_ID, SOS_ID
from s2s_embed.errors import ConfigError
from s2s_embed.model import build_model
from s2s_embed.model import encoder as encoder_mod
from s2s_embed.model.encoder import Encoder

train_mod = importlib.import_module("s2s_embed.train")  # the module: s2s_embed.train is also the function
SHAPES = [(1, False), (2, False), (2, True)]  # (layers, bidirectional)


def _encoder(layers, bidirectional, vocab=13):
    torch.manual_seed(0)
    enc = Encoder(nn.Embedding(vocab, 8, padding_idx=PAD_ID), hidden_size=10, num_layers=layers, dropout=0.3,
                  bidirectional=bidirectional)
    return enc.eval()  # no dropout: the two runs must see the same inputs


@pytest.fixture
def packings(monkeypatch):
    """Counts the encoder's calls of pack_padded_sequence."""
    calls = []
    real = encoder_mod.pack_padded_sequence
    monkeypatch.setattr(encoder_mod, "pack_padded_sequence", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


@pytest.mark.parametrize("layers,bidirectional", SHAPES)
def test_equal_lengths_run_unpacked_with_the_packed_results(layers, bidirectional, packings):
    enc = _encoder(layers, bidirectional)
    src = torch.randint(3, 13, (6, 5))  # (B, S), no padding
    lens = torch.full((6,), 5)
    with torch.no_grad():
        out, (h, c) = enc(src, lens)
        assert not packings
        enc.always_pack = True
        packed_out, (packed_h, packed_c) = enc(src, lens)
        assert packings == [1]
    assert out.shape == (6, 5, enc.output_size) and h.shape == c.shape == (layers, 6, enc.state_size)
    assert torch.allclose(out, packed_out, atol=1e-6)
    assert torch.allclose(h, packed_h, atol=1e-6) and torch.allclose(c, packed_c, atol=1e-6)


@pytest.mark.parametrize("layers,bidirectional", SHAPES)
def test_mixed_lengths_give_each_sentence_its_own_final_state(layers, bidirectional, packings):
    enc = _encoder(layers, bidirectional)
    sentences = [[4, 5, 6, 7, 8], [9, 10], [11, 12, 4, 5], [6]]
    with torch.no_grad():
        out, (h, c) = enc(pad(sentences), torch.tensor([len(s) for s in sentences]))
        assert packings == [1]
        for i, s in enumerate(sentences):
            alone_out, (alone_h, alone_c) = enc(torch.tensor([s]), torch.tensor([len(s)]))  # unpacked
            assert torch.allclose(h[:, i], alone_h[:, 0], atol=1e-6)
            assert torch.allclose(c[:, i], alone_c[:, 0], atol=1e-6)
            assert torch.allclose(out[i, :len(s)], alone_out[0], atol=1e-6)
            assert not out[i, len(s):].any()  # padded steps stay zero (attention masks them)


@pytest.mark.parametrize("attention", ["none", "bahdanau", "luong"])
def test_decoder_features_do_not_depend_on_the_path(attention):
    torch.manual_seed(0)
    cfg = config.ModelConfig(hidden_size=12, num_layers=2, dropout=0.0, attention=attention)
    embed = lambda: nn.Embedding(13, 8, padding_idx=PAD_ID)  # noqa: E731
    model = build_model(cfg, embed(), embed(), 13).eval()
    src, lens = torch.randint(3, 13, (4, 6)), torch.full((4,), 6)
    trg_in = torch.cat([torch.full((4, 1), SOS_ID), torch.randint(3, 13, (4, 5))], dim=1)
    with torch.no_grad():
        fast = model(src, lens, trg_in)
        model.encoder.always_pack = True
        packed = model(src, lens, trg_in)
    assert torch.allclose(fast, packed, atol=1e-6)


def _pairs(n, seed=0):
    """Source lengths 1..12, skewed so that some lengths fill many batches and some none."""
    rng = random.Random(seed)
    return [([4] * min(12, 1 + int(rng.expovariate(0.25))), [5] * rng.randint(1, 9)) for _ in range(n)]


@pytest.mark.parametrize("bucket", [True, False])
def test_exact_batches_have_one_source_length_where_the_corpus_allows(bucket):
    pairs, B = _pairs(1500), 32
    batches = make_batches(pairs, B, seed=5, bucket=bucket, exact=True)
    per_length = Counter(len(s) for s, _ in pairs)
    exact = [b for b in batches if len({len(pairs[i][0]) for i in b.index}) == 1 and len(b.index) == B]
    assert len(exact) >= sum(n // B for n in per_length.values())
    left = sum(n % B for n in per_length.values())
    assert len(batches) - len(exact) <= -(-left // B)  # the rest, fewer than a batch per length, make mixed batches
    assert sorted(len(b.index) for b in batches)[1:] == [B] * (len(batches) - 1)  # one short batch at most
    assert all(bool((b.src != PAD_ID).all()) for b in exact)  # no source padding to pack


def test_exact_batches_cover_every_pair_once_and_are_deterministic():
    pairs = _pairs(1000)
    a, b = make_batches(pairs, 32, seed=3, exact=True), make_batches(pairs, 32, seed=3, exact=True)
    assert [x.index for x in a] == [x.index for x in b]
    assert sorted(i for x in a for i in x.index) == list(range(1000))
    assert [x.index for x in make_batches(pairs, 32, seed=4, exact=True)] != [x.index for x in a]
    assert make_batches([], 32, seed=3, exact=True) == []


def test_exact_batches_are_for_training_only():
    with pytest.raises(ValueError, match="seed"):
        make_batches(_pairs(10), 4, seed=None, exact=True)


def test_exact_lengths_is_checked_and_listed():
    assert config.load(None, []).train.exact_lengths is False
    with pytest.raises(ConfigError, match="train.exact_lengths"):
        config.load(None, ["train.exact_lengths=1"])
    with pytest.raises(ConfigError, match="exact_lengths"):
        config.load(None, ["train.exact_length=true"])


@pytest.mark.parametrize("bucket", [True, False])
def test_training_uses_exact_batches_when_asked_with_bucket(tiny_task, tmp_path, monkeypatch, bucket):
    seen = []
    real = train_mod.train_epoch
    monkeypatch.setattr(train_mod, "train_epoch", lambda model, opt, batches, *a, **k: seen.append(batches) or
                        real(model, opt, batches, *a, **k))
    for on in (False, True):
        cfg = config.load(None, tiny_overrides(tiny_task, tmp_path / str(on), "data.train_size=600", "train.epochs=1",
                                               f"train.bucket={str(bucket).lower()}",
                                               f"train.exact_lengths={str(on).lower()}"))
        train_mod.train(cfg, progress=False, echo=lambda *a: None)
    pairs = prepare(cfg.data).train
    epoch_1 = cfg.train.seed * 100_003 + 1
    want = [make_batches(pairs, 32, epoch_1, bucket, exact=bucket and on) for on in (False, True)]
    assert [[b.index for b in batches] for batches in seen] == [[b.index for b in batches] for batches in want]
    assert bucket is (want[0][0].index != want[1][0].index)  # without bucket, exact_lengths changes nothing
