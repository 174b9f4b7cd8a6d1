"""Vectors as data, the vectors -> layer builder, and the vector cache (the layer itself: test_layer.py)."""
import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from s2s_embed.data.vocab import EOS_ID, PAD_ID, SOS_ID, SPECIALS, UNK_ID, Vocab
from s2s_embed.embeddings.layer import VectorEmbedding
from s2s_embed.embeddings.spec import BuildContext, EmbeddingSpec
from s2s_embed.embeddings.vectors import CoverageWarning, Vectors, build_layer, cached_vectors, format_coverage
from s2s_embed.errors import ConfigError, DataError


def make_vocab(counts: dict[str, int]) -> Vocab:
    return Vocab([*SPECIALS, *counts], counts)


def make_ctx(vocab: Vocab, tmp_path=None, side="source", seed=0) -> BuildContext:
    return BuildContext(vocab=vocab, lang="en", side=side, seed=seed, cache_dir=Path(tmp_path or ".") / "cache")


def build(vectors, vocab, tmp_path=None, **spec):
    return build_layer(vectors, make_ctx(vocab, tmp_path), EmbeddingSpec(**spec), "test-plugin")


def rows(module: VectorEmbedding) -> np.ndarray:
    return module.embedding.weight.detach().numpy()


KEYS = ["cat", "Paris", "dog", "the"]
VECS = np.arange(16, dtype=np.float32).reshape(4, 4) + 1.0
VOCAB = make_vocab({"the": 50, "cat": 10, "CAT": 5, "paris": 4, "Dog": 3, "zebra": 2, "gnu": 1})


# --- Vectors ---------------------------------------------------------------------------------------------

def test_vectors_behave_like_keyed_vectors():
    v = Vectors(["a", "b", "a"], np.array([[1, 2], [3, 4], [5, 6]], dtype=np.float64))
    assert v.vectors.dtype == np.float32 and v.dim == 2 and len(v) == 3
    assert "a" in v and "z" not in v
    assert v["a"].tolist() == [1, 2]  # a repeated key: its first row
    with pytest.raises(KeyError):
        v["z"]
    sub = v.select({"b", "a", "z"})
    assert sub.keys == ["a", "b"] and sub.vectors.tolist() == [[1, 2], [3, 4]]
    assert sub.duplicates == 1 and sub.source_size == 3


def test_vectors_subword_gives_unseen_words_a_vector():
    v = Vectors(["a"], np.ones((1, 3)), subword=lambda w: np.full(3, len(w), np.float32))
    assert v["abcd"].tolist() == [4, 4, 4]


@pytest.mark.parametrize("keys, matrix, message", [
    (["a", "b"], np.ones((3, 2)), "2 keys but 3 vector rows"),
    (["a"], np.ones(2), "2-D"),
    (["a"], np.array([["x", "y"]]), "numbers"),
    ([1], np.ones((1, 2)), "string"),
])
def test_vectors_reject_inconsistent_data(keys, matrix, message):
    with pytest.raises(DataError, match=message) as err:
        Vectors(keys, matrix, source="my.vec")
    assert "my.vec" in str(err.value)


def test_from_keyed_vectors_plain_and_fasttext():
    from gensim.models import FastText, KeyedVectors

    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(["x", "y"], np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32))
    v = Vectors.from_keyed_vectors(kv, source="mem")
    assert v.keys == ["x", "y"] and v["y"].tolist() == [4, 5, 6] and v.subword is None

    ft = FastText(sentences=[["hello", "world", "helping"]] * 5, vector_size=4, min_count=1, bucket=500, epochs=1, seed=1)
    fv = Vectors.from_keyed_vectors(ft.wv)
    assert fv.subword is not None and "helper" not in fv
    np.testing.assert_array_equal(fv["helper"], ft.wv["helper"])


# --- build_layer: lookup and coverage --------------------------------------------------------------------

def test_lookup_exact_then_lower_then_title_counted_separately():
    module, report = build(Vectors(KEYS, VECS), VOCAB, oov="zero")
    w, ids = rows(module), VOCAB.stoi
    np.testing.assert_array_equal(w[ids["cat"]], VECS[0])  # exact
    np.testing.assert_array_equal(w[ids["CAT"]], VECS[0])  # lowercase
    np.testing.assert_array_equal(w[ids["paris"]], VECS[1])  # title case
    np.testing.assert_array_equal(w[ids["Dog"]], VECS[2])  # lowercase
    assert report["kinds"] == {"exact": 2, "lower": 2, "title": 1, "subword": 0, "oov": 2}
    assert report["types"] == {"covered": 5, "total": 7, "ratio": round(5 / 7, 6)}  # specials not counted
    assert report["tokens"] == {"covered": 72, "total": 75, "ratio": 0.96}  # weighted by corpus counts
    assert report["top_oov"] == [{"word": "zebra", "count": 2}, {"word": "gnu", "count": 1}]
    assert report["plugin"] == "test-plugin" and report["source_dim"] == 4 and report["source_size"] == 4
    json.dumps(report)  # JSON-able


def test_top_oov_lists_the_20_most_frequent():
    vocab = make_vocab({"known": 100, **{f"w{i}": i + 1 for i in range(30)}})
    _, report = build(Vectors(["known"], np.ones((1, 2))), vocab)
    assert [o["count"] for o in report["top_oov"]] == list(range(30, 10, -1))


def test_report_counts_duplicates_and_format_names_the_numbers():
    _, report = build(Vectors(KEYS, VECS, source="vecs.txt", duplicates=3, source_size=10), VOCAB)
    assert report["duplicates_dropped"] == 3 and report["source_size"] == 10
    text = format_coverage(report)
    assert "5/7 words (71.4%)" in text and "72/75 corpus tokens (96.0%)" in text and "zebra (2)" in text
    assert "vecs.txt" in text and "3 duplicates dropped" in text


def test_zero_coverage_warns_naming_side_plugin_and_source():
    vectors = Vectors(["chat", "chien"], np.ones((2, 4)), source="cc.fr.300.vec")
    with pytest.warns(CoverageWarning, match=r"target.*cc\.fr\.300\.vec.*plugin 'fasttext'.*language 'en'.*lowercase"):
        build_layer(vectors, make_ctx(VOCAB, side="target"), EmbeddingSpec(), "fasttext")


def test_some_coverage_does_not_warn(recwarn):
    build(Vectors(KEYS, VECS), VOCAB)
    assert not [w for w in recwarn if issubclass(w.category, CoverageWarning)]


# --- build_layer: rows without a vector ------------------------------------------------------------------

OOV_IDS = [UNK_ID, SOS_ID, EOS_ID, VOCAB.stoi["zebra"], VOCAB.stoi["gnu"]]


@pytest.mark.parametrize("oov", ["random", "zero", "mean", "subword"])
def test_padding_row_is_zero(oov):
    module, _ = build(Vectors(KEYS, VECS), VOCAB, oov=oov)
    assert not rows(module)[PAD_ID].any()
    assert not module(torch.tensor([[PAD_ID]])).any()


def test_oov_zero_rows_are_zero():
    module, report = build(Vectors(KEYS, VECS), VOCAB, oov="zero")
    assert not rows(module)[OOV_IDS].any() and report["oov_init"] == "zero"


def test_oov_mean_rows_equal_the_mean_of_the_pretrained_rows():
    module, _ = build(Vectors(KEYS, VECS), VOCAB, oov="mean")
    w = rows(module)
    pretrained = w[[VOCAB.stoi[t] for t in ("the", "cat", "CAT", "paris", "Dog")]]
    for i in OOV_IDS:
        np.testing.assert_allclose(w[i], pretrained.mean(axis=0), rtol=1e-6)


def test_oov_random_rows_have_the_spread_of_the_pretrained_rows_and_follow_the_seed():
    rng = np.random.default_rng(1)
    vectors = Vectors([f"k{i}" for i in range(200)], rng.normal(0, 3.0, (200, 50)))
    vocab = make_vocab({**{f"k{i}": 1 for i in range(200)}, **{f"new{i}": 1 for i in range(400)}})
    module, _ = build(vectors, vocab)
    w = rows(module)
    new = w[[vocab.stoi[f"new{i}"] for i in range(400)]]
    assert new.std() == pytest.approx(vectors.vectors.std(), rel=0.05)
    again, _ = build(vectors, vocab)
    other, _ = build_layer(vectors, make_ctx(vocab, seed=1), EmbeddingSpec(), "p")
    assert np.array_equal(rows(again), w) and not np.array_equal(rows(other), w)


def test_oov_subword_uses_the_subword_function_and_counts_it():
    vectors = Vectors(KEYS, VECS, subword=lambda w: np.full(4, 7.0 if w == "zebra" else 0.0, np.float32))
    module, report = build(vectors, VOCAB, oov="subword")
    assert rows(module)[VOCAB.stoi["zebra"]].tolist() == [7.0] * 4
    assert report["kinds"]["subword"] == 1 and report["kinds"]["oov"] == 1  # gnu: zero vector = no n-gram known
    assert bool(module.pretrained[VOCAB.stoi["zebra"]]) and not bool(module.pretrained[VOCAB.stoi["gnu"]])


def test_oov_subword_without_a_subword_function_falls_back_to_random_and_says_so():
    module, report = build(Vectors(KEYS, VECS, source="glove.txt"), VOCAB, oov="subword")
    assert report["oov_init"] == "random" and report["kinds"]["subword"] == 0
    assert "no subword vectors" in report["notes"][0] and "glove.txt" in report["notes"][0]
    assert rows(module)[VOCAB.stoi["zebra"]].any()


def test_non_finite_pretrained_vectors_are_a_data_error():
    bad = VECS.copy()
    bad[0, 1] = np.nan
    with pytest.raises(DataError, match="NaN.*'cat'"):
        build(Vectors(KEYS, bad, source="v.txt"), VOCAB)


# --- build_layer: normalisation, dimension, projection ---------------------------------------------------

def test_normalize_makes_pretrained_rows_unit_length():
    module, _ = build(Vectors(KEYS, VECS), VOCAB, normalize=True)
    w = rows(module)
    norms = np.linalg.norm(w[[VOCAB.stoi[t] for t in ("the", "cat", "CAT", "paris", "Dog")]], axis=1)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-6)
    np.testing.assert_allclose(w[VOCAB.stoi["cat"]], VECS[0] / np.linalg.norm(VECS[0]), rtol=1e-6)


def test_dim_mismatch_without_projection_names_both_dims_side_and_fix():
    with pytest.raises(ConfigError) as err:
        build_layer(Vectors(KEYS, VECS), make_ctx(VOCAB, side="target"), EmbeddingSpec(dim=8), "glove")
    message = str(err.value)
    assert "dim = 8" in message and "4-dimensional" in message and "[embeddings.target]" in message
    assert "project = true" in message and "glove" in message


def test_projection_maps_to_the_wanted_dim_and_keeps_padding_zero():
    module, report = build(Vectors(KEYS, VECS), VOCAB, dim=8, project=True)
    out = module(torch.tensor([[VOCAB.stoi["cat"], PAD_ID]]))
    assert out.shape == (1, 2, 8) and module.embedding_dim == 8 and report["projection"]
    assert out[0, 0].any() and not out[0, 1].any()


def test_same_dim_needs_no_projection():
    module, _ = build(Vectors(KEYS, VECS), VOCAB, dim=4)
    assert module.projection is None and module.embedding_dim == 4


# --- the cache -------------------------------------------------------------------------------------------

class CountingLoader:
    def __init__(self, vectors):
        self.vectors, self.calls, self.wanted = vectors, 0, None

    def __call__(self, wanted):
        self.calls += 1
        self.wanted = wanted
        return self.vectors.select(wanted)


def test_second_load_with_same_source_vocab_and_options_hits_the_cache(tmp_path):
    src = tmp_path / "vecs.txt"
    src.write_text("dummy source")
    ctx = make_ctx(VOCAB, tmp_path)
    load = CountingLoader(Vectors([*KEYS, "unwanted"], np.vstack([VECS, np.ones((1, 4))]), source=str(src)))
    first = cached_vectors(ctx, [src], {"reader": "text"}, load)
    second = cached_vectors(ctx, [src], {"reader": "text"}, load)
    assert load.calls == 1 and "Cat" in load.wanted and "paris" in load.wanted
    assert not first.from_cache and second.from_cache
    assert second.keys == first.keys == KEYS and np.array_equal(second.vectors, first.vectors)
    assert second.source == str(src)
    assert {p.suffix for p in (tmp_path / "cache" / "vectors").iterdir()} == {".npy", ".json"}
    _, report = build_layer(second, ctx, EmbeddingSpec(), "p")
    assert report["from_cache"]


def test_cache_misses_when_file_options_or_vocabulary_change(tmp_path):
    src = tmp_path / "vecs.txt"
    src.write_text("one")
    load = CountingLoader(Vectors(KEYS, VECS))
    ctx = make_ctx(VOCAB, tmp_path)
    cached_vectors(ctx, [src], {"header": None}, load)
    cached_vectors(ctx, [src], {"header": True}, load)  # other options
    cached_vectors(make_ctx(make_vocab({"cat": 1}), tmp_path), [src], {"header": None}, load)  # other vocabulary
    src.write_text("a longer file")
    os.utime(src, ns=(1, 1))
    cached_vectors(ctx, [src], {"header": None}, load)  # the file changed
    assert load.calls == 4
    cached_vectors(ctx, [src], {"header": None}, load)
    assert load.calls == 4


def test_subword_vectors_are_not_cached_and_a_corrupt_cache_is_rebuilt(tmp_path, caplog):
    src = tmp_path / "m.bin"
    src.write_text("x")
    ctx = make_ctx(VOCAB, tmp_path)
    sub = CountingLoader(Vectors(KEYS, VECS, subword=lambda w: np.ones(4, np.float32)))
    cached_vectors(ctx, [src], {}, sub)
    assert cached_vectors(ctx, [src], {}, sub).subword is not None and sub.calls == 2

    plain = CountingLoader(Vectors(KEYS, VECS))
    cached_vectors(ctx, [src], {"plain": 1}, plain)
    for f in (tmp_path / "cache" / "vectors").glob("*.npy"):
        f.write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING):
        again = cached_vectors(ctx, [src], {"plain": 1}, plain)
    assert plain.calls == 2 and not again.from_cache and "unreadable vector cache" in caplog.text


# --- initialisation that can be matched: center, remove_top, rescale -------------------------------------

def _big_vectors(n=400, dim=20, seed=3):
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 1, dim) * 4  # a shared direction, as pretrained vectors have
    matrix = rng.normal(0, 1.7, (n, dim)) + common + rng.normal(0, 3, (n, 1)) * rng.normal(0, 1, dim)
    keys = [f"w{i}" for i in range(n)]
    vocab = make_vocab({k: n - i for i, k in enumerate(keys[: n - 50])} | {"unseen1": 1, "unseen2": 1})
    return Vectors(keys, matrix), vocab


def _kept(module, report_vocab=None):
    mask = module.pretrained.numpy()
    return rows(module)[mask].astype(np.float64)


def test_rescale_init_gives_pretrained_rows_the_random_plugins_std():
    from s2s_embed.embeddings.builtins.random import draw_std

    vectors, vocab = _big_vectors()
    module, report = build(vectors, vocab, rescale="init")
    kept = _kept(module)
    assert abs(kept.std() / draw_std() - 1) < 0.02
    assert report["rescale"] == "init" and report["init"]["target_std"] == draw_std()
    assert report["init"]["before"]["std"] > 2 and abs(report["init"]["after"]["std"] - 1.0) < 0.02
    oov = rows(module)[~module.pretrained.numpy()][1:]  # not <pad>
    assert 0.7 < oov.std() < 1.3  # the OOV rows are drawn from the same, rescaled statistics


def test_rescale_number_sets_that_std_and_center_zeroes_the_mean():
    vectors, vocab = _big_vectors()
    module, report = build(vectors, vocab, center=True, rescale=0.25)
    kept = _kept(module)
    assert abs(kept.std() / 0.25 - 1) < 0.02
    assert np.linalg.norm(kept.mean(axis=0)) < 1e-4
    assert report["init"]["before"]["mean_norm"] > 1


def test_remove_top_leaves_no_projection_on_the_removed_components():
    vectors, vocab = _big_vectors()
    ids = [vocab.stoi[k] for k in vectors.keys if k in vocab.stoi]
    original = vectors.vectors[[vectors.key_to_index[vocab.itos[i]] for i in ids]].astype(np.float64)
    centred = original - original.mean(axis=0)
    top = np.linalg.svd(centred, full_matrices=False)[2][:2]
    module, report = build(vectors, vocab, center=True, remove_top=2)
    kept = _kept(module)
    assert np.abs(kept @ top.T).max() < 1e-3
    assert np.linalg.norm(kept.mean(axis=0)) < 1e-3
    assert 0 < report["init"]["removed_variance"] < 1
    assert report["remove_top"] == 2 and report["center"] is True


def test_default_init_keeps_the_vectors_as_they_are():
    module, report = build(Vectors(KEYS, VECS), VOCAB)
    assert rows(module)[VOCAB.stoi["the"]].tolist() == VECS[3].tolist()
    assert report["init"]["target_std"] is None and report["rescale"] == "none"


@pytest.mark.parametrize("key, value, message", [
    ("rescale", "big", "rescale = 'big' is not valid"),
    ("rescale", -1.0, "rescale = -1.0 is not valid"),
    ("rescale", float("nan"), "is not valid"),
    ("remove_top", -2, "remove_top = -2 must be"),
    ("remove_top", 1.5, "remove_top = 1.5 must be"),
    ("center", "yes", "center = 'yes' must be true or false"),
])
def test_bad_init_options_name_the_option(key, value, message):
    with pytest.raises(ConfigError, match=message):
        EmbeddingSpec.from_table({"name": "glove", key: value}, "embeddings.source")


def test_init_options_on_an_own_layer_plugin_are_refused():
    from s2s_embed.embeddings.registry import build_embedding

    spec = EmbeddingSpec.from_table({"name": "random", "dim": 8, "rescale": "init"}, "embeddings.source")
    with pytest.raises(ConfigError, match="rescale = 'init' transforms pretrained vectors"):
        build_embedding(spec, make_ctx(VOCAB))


def test_init_options_are_recorded_in_the_config_table():
    table = EmbeddingSpec.from_table({"name": "glove", "center": True, "remove_top": 3, "rescale": "init"},
                                     "embeddings.source").to_table()
    assert (table["center"], table["remove_top"], table["rescale"]) == (True, 3, "init")
