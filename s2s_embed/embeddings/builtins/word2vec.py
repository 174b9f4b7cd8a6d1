"""The `word2vec` plugin: word2vec vectors from a file, from gensim-data, or trained on the corpus with gensim."""
from __future__ import annotations

from pathlib import Path

from s2s_embed.embeddings.builtins import (
    cached,
    corpus_key,
    existing_file,
    gensim_hint,
    one_source,
    only_when,
    read_gensim_data,
    training_sentences,
    training_settings,
)
from s2s_embed.embeddings.spec import BuildContext
from s2s_embed.errors import ConfigError

FORMATS = ("auto", "bin", "text", "kv")
SUFFIXES = {".bin": "bin", ".txt": "text", ".vec": "text", ".kv": "kv"}


def available() -> str | None:
    return gensim_hint()  # binary, .kv and training need gensim; only text files would not


def factory(ctx: BuildContext, path: str | None = None, format: str = "auto", gensim_name: str | None = None,
            train: bool = False, corpus: str | None = None, vector_size: int | None = None,
            window: int | None = None, min_count: int | None = None, epochs: int | None = None,
            sg: int | None = None, encoding: str = "utf-8", trust_pickle: bool = False):
    """word2vec vectors: a .bin/.txt/.vec/.kv file, a gensim-data name, or trained on the corpus (train = true).

    Training (gensim Word2Vec, workers=1 and seeded by ctx.seed, so a run is
    reproducible) uses the training side, or `corpus`, a UTF-8 text file with
    one sentence a line tokenised like the training side; giving `corpus`
    implies training. Defaults: vector_size = the spec's dim (else 100),
    window 5, min_count 1, epochs 10, sg 0 (CBOW; 1 = skip-gram). The vectors
    are cached under ctx.cache_dir/word2vec by a hash of the sentences and
    settings, so the next run with the same data reuses them. `encoding` is
    the text encoding of the words in a .bin or text `path` (UTF-8 unless you
    say otherwise). A gensim `.kv` file is a pickle: it loads Python objects,
    so it is read only with `trust_pickle = true`, and only for files you made.
    """
    source = one_source({"path": path, "gensim_name": gensim_name, "train": train or corpus is not None})
    training = {"vector_size": vector_size, "window": window, "min_count": min_count, "epochs": epochs, "sg": sg}
    if source != "train":
        only_when("train = true", training)
    if source != "path" and format != "auto":
        raise ConfigError(f"format = {format!r} applies to path only; remove it.")
    if source != "path" and encoding != "utf-8":
        raise ConfigError(f"encoding = {encoding!r} applies to path only; remove it.")
    if trust_pickle and source != "path":
        raise ConfigError("trust_pickle = true applies to a gensim .kv path only; remove it.")
    if source == "path":
        return read_file(existing_file("path", path), format, ctx, encoding, trust_pickle)
    if source == "gensim_name":
        return read_gensim_data(gensim_name, ctx)
    return _trained(ctx, corpus, training)


def read_file(path: Path, format: str, ctx: BuildContext, encoding: str = "utf-8", trust_pickle: bool = False):
    """The vocabulary's rows of a word2vec file; `format` auto picks by suffix (.bin, .txt/.vec, .kv)."""
    from s2s_embed.embeddings.readers import read_gensim_kv, read_text, read_word2vec_binary
    from s2s_embed.embeddings.vectors import cached_vectors

    if format not in FORMATS:
        raise ConfigError(f"format = {format!r} is not valid. Choose one of: {', '.join(FORMATS)}.")
    if format == "auto":
        suffix = Path(path.name.removesuffix(".gz")).suffix
        if suffix not in SUFFIXES:
            raise ConfigError(f"path = '{path}': cannot tell the format from the suffix '{suffix}'. "
                              f"Set format = \"bin\", \"text\" (with a 'count dim' header) or \"kv\" (gensim).")
        format = SUFFIXES[suffix]
    if format == "kv" and encoding != "utf-8":
        raise ConfigError(f"encoding = {encoding!r} applies to .bin and text files; a gensim .kv file keeps its own "
                          f"strings. Remove it.")
    if format == "kv" and not trust_pickle:
        raise ConfigError(f"path = '{path}' is a gensim .kv file, which is a Python pickle: loading it runs whatever "
                          f"Python objects it holds. s2s-embed reads it only with trust_pickle = true, and only for "
                          f"files you made. Or save the vectors as word2vec binary instead: "
                          f"kv.save_word2vec_format(path, binary=True).")
    readers = {"bin": lambda wanted: read_word2vec_binary(path, wanted=wanted, encoding=encoding),
               "text": lambda wanted: read_text(path, header=True, wanted=wanted, encoding=encoding),
               "kv": lambda wanted: read_gensim_kv(path, wanted=wanted, trust_pickle=True)}
    return cached_vectors(ctx, [path], {"reader": "word2vec", "format": format, "encoding": encoding},
                          readers[format])


def _trained(ctx: BuildContext, corpus: str | None, training: dict):
    from s2s_embed.embeddings.readers import read_word2vec_binary
    from s2s_embed.embeddings.registry import PluginUnavailable

    try:
        import gensim
        from gensim.models import Word2Vec
    except ImportError:
        raise PluginUnavailable("training word2vec needs gensim: pip install gensim") from None
    settings = training_settings(training, {"vector_size": ctx.dim or 100, "window": 5, "min_count": 1,
                                            "epochs": 10, "sg": 0})
    sentences = training_sentences(ctx, corpus)
    key = corpus_key(sentences, {"plugin": "word2vec", "seed": ctx.seed, "gensim": gensim.__version__, **settings})

    def train(tmp: Path) -> None:
        model = Word2Vec(sentences, workers=1, seed=ctx.seed, **settings)
        model.wv.save_word2vec_format(str(tmp), binary=True)

    path = cached(Path(ctx.cache_dir) / "word2vec" / f"{key}.bin", train)
    return read_word2vec_binary(path, wanted=ctx.wanted)
