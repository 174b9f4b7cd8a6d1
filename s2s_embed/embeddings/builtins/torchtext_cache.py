"""The `torchtext-cache` plugin: vectors from a torchtext `Vectors` cache file (.pt), without torchtext."""
from __future__ import annotations

from s2s_embed.embeddings.builtins import existing_file
from s2s_embed.embeddings.spec import BuildContext


def factory(ctx: BuildContext, path: str):
    """Vectors from a torchtext cache (.pt, e.g. .vector_cache/glove.6B.100d.txt.pt), read without torchtext."""
    from s2s_embed.embeddings.readers import read_torchtext_cache
    from s2s_embed.embeddings.vectors import cached_vectors

    file = existing_file("path", path)
    return cached_vectors(ctx, [file], {"reader": "torchtext"}, lambda wanted: read_torchtext_cache(file, wanted=wanted))
