"""The `fasttext` plugin: fastText vectors from a file (.bin keeps subwords for unseen words) or trained with gensim."""
from __future__ import annotations

from pathlib import Path

from s2s_embed.embeddings.builtins import (
    cached,
    corpus_key,
    existing_file,
    gensim_hint,
    one_source,
    only_when,
    training_sentences,
    training_settings,
)
from s2s_embed.embeddings.spec import BuildContext
from s2s_embed.errors import ConfigError


def available() -> str | None:
    return gensim_hint()


def factory(ctx: BuildContext, path: str | None = None, train: bool = False, corpus: str | None = None,
            vector_size: int | None = None, window: int | None = None, min_count: int | None = None,
            epochs: int | None = None, sg: int | None = None, min_n: int | None = None, max_n: int | None = None,
            bucket: int | None = None, encoding: str = "utf-8"):
    """fastText vectors: a Facebook .bin (subword vectors for unseen words), a .vec text file, or train = true.

    Training (gensim FastText, workers=1, seeded by ctx.seed) uses the training
    side or `corpus` (a UTF-8 text file, one sentence a line; giving it implies
    training). Defaults: vector_size = the spec's dim (else 100), window 5,
    min_count 1, epochs 10, sg 0, min_n 3, max_n 6, bucket 50000 (gensim's
    2000000 would make a 100-d model 800 MB). The model is cached under
    ctx.cache_dir/fasttext as a Facebook .bin, so it keeps its subwords.
    `encoding` is the text encoding of the words in a .vec `path` (UTF-8
    unless you say otherwise).
    """
    source = one_source({"path": path, "train": train or corpus is not None})
    training = {"vector_size": vector_size, "window": window, "min_count": min_count, "epochs": epochs, "sg": sg,
                "min_n": min_n, "max_n": max_n, "bucket": bucket}
    if source != "path" and encoding != "utf-8":
        raise ConfigError(f"encoding = {encoding!r} applies to path only; remove it.")
    from s2s_embed.embeddings import readers

    if source == "path":
        only_when("train = true", training)
        file = existing_file("path", path)
        suffix = Path(file.name.removesuffix(".gz")).suffix
        if suffix not in (".vec", ".txt") and encoding != "utf-8":
            raise ConfigError(f"encoding = {encoding!r} applies to a .vec text path only; remove it.")
        if suffix == ".bin":
            return readers.read_fasttext_bin(file, wanted=ctx.wanted)
        if suffix in (".vec", ".txt"):
            from s2s_embed.embeddings.vectors import cached_vectors

            return cached_vectors(ctx, [file], {"reader": "fasttext-text", "encoding": encoding},
                                  lambda wanted: readers.read_text(file, header=True, wanted=wanted, encoding=encoding))
        raise ConfigError(f"path = '{path}': fasttext reads a Facebook .bin model or a .vec text file; "
                          f"got suffix '{suffix}'.")
    return readers.read_fasttext_bin(_trained(ctx, corpus, training), wanted=ctx.wanted)


def _trained(ctx: BuildContext, corpus: str | None, training: dict) -> Path:
    from s2s_embed.embeddings.registry import PluginUnavailable

    try:
        import gensim
        from gensim.models import FastText
        from gensim.models.fasttext import save_facebook_model
    except ImportError:
        raise PluginUnavailable("training fastText needs gensim: pip install gensim") from None
    settings = training_settings(training, {"vector_size": ctx.dim or 100, "window": 5, "min_count": 1, "epochs": 10,
                                            "sg": 0, "min_n": 3, "max_n": 6, "bucket": 50_000})
    if settings["max_n"] < settings["min_n"]:
        raise ConfigError(f"max_n = {settings['max_n']} must be at least min_n = {settings['min_n']}.")
    sentences = training_sentences(ctx, corpus)
    key = corpus_key(sentences, {"plugin": "fasttext", "seed": ctx.seed, "gensim": gensim.__version__, **settings})

    def train(tmp: Path) -> None:
        model = FastText(sentences, workers=1, seed=ctx.seed, **settings)
        save_facebook_model(model, str(tmp))

    return cached(Path(ctx.cache_dir) / "fasttext" / f"{key}.bin", train)
