"""Embeddings: plugins found by entry point, vectors as data, one layer builder.

Plugin authors need `BuildContext` (what a factory receives), `Vectors` (what
it usually returns) and `PluginUnavailable`; see `registry` for the contract.
"""
from __future__ import annotations

from s2s_embed.embeddings.registry import (
    PluginEntry,
    PluginInfo,
    PluginUnavailable,
    build_embedding,
    check_spec,
    discover,
    format_plugin_table,
    list_plugins,
    register,
    restore_embedding,
    unregister,
)
from s2s_embed.embeddings.spec import BuildContext, BuiltEmbedding, EmbeddingSpec


def __getattr__(name: str):
    if name == "Vectors":  # imported on first use: the vectors package pulls in numpy and the layer code
        from s2s_embed.embeddings.vectors import Vectors

        return Vectors
    raise AttributeError(f"module 's2s_embed.embeddings' has no attribute '{name}'")


__all__ = [
    "BuildContext", "BuiltEmbedding", "EmbeddingSpec", "PluginEntry", "PluginInfo", "PluginUnavailable", "Vectors",
    "build_embedding", "check_spec", "discover", "format_plugin_table", "list_plugins", "register",
    "restore_embedding", "unregister",
]
