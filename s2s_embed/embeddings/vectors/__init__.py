"""Vectors as data, and the one builder that turns them into a vocabulary's embedding layer.

A vector plugin returns `Vectors` (or a gensim KeyedVectors, converted with
`Vectors.from_keyed_vectors`); `build_layer` aligns them with the vocabulary
(exact, then lowercase, then title case, then fastText subwords), fills the
rows without a vector, and reports the coverage.

Plugins read their files through `cached_vectors`, so a second load with the
same files, reader options and vocabulary reads a small `.npy` + JSON copy of
the wanted rows instead of the source:

    vectors = cached_vectors(ctx, [path], {"reader": "text", "header": header},
                             lambda wanted: read_text(path, header=header, wanted=wanted))
    module, coverage = build_layer(vectors, ctx, spec, "glove")

The parts: `data` (the `Vectors` type), `cache` (`cached_vectors`), `build`
(`build_layer` and the transforms of the pretrained rows) and `coverage`.
"""
from __future__ import annotations

from s2s_embed.embeddings.layer import VectorEmbedding
from s2s_embed.embeddings.vectors.build import build_layer
from s2s_embed.embeddings.vectors.cache import cached_vectors
from s2s_embed.embeddings.vectors.coverage import CoverageWarning, format_coverage
from s2s_embed.embeddings.vectors.data import Vectors

__all__ = ["CoverageWarning", "Vectors", "VectorEmbedding", "build_layer", "cached_vectors", "format_coverage"]
