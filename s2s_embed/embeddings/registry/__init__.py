"""Find embedding plugins, load each one guarded, check what they return.

The plugin contract
-------------------
* A plugin is an entry point in the group ``s2s_embed.embeddings`` that names a
  factory ``factory(ctx: BuildContext, **options)``. The built-ins are registered
  the same way, by the ``s2s-embed`` distribution.
* The options are the extra keys of the ``[embeddings.source]`` /
  ``[embeddings.target]`` table (``EmbeddingSpec.options``). They are checked
  against the factory's signature *before* it is called: an unknown or missing
  option, or a value of the wrong type, is a ConfigError that lists the valid
  options. ``check_spec`` runs the same checks without building anything.
* The factory returns, in the common case, vectors as data: a ``Vectors``, a
  gensim ``KeyedVectors`` or a ``(keys, matrix)`` tuple; the core then builds the
  layer and the coverage report (``vectors.build_layer``). In the rare case it
  returns its own ``nn.Module`` with an int ``embedding_dim`` that maps ids
  (batch, time) to (batch, time, embedding_dim) for ``len(ctx.vocab)`` ids; the
  registry calls it once on a tiny batch and rejects anything else.
* A factory says "not available here" by raising
  ``PluginUnavailable("pip install gensim")``, typically around an optional
  import. Its module may also define ``available() -> str | None`` that returns
  that install hint without building anything; ``embeddings list`` uses it.
* The first line of the factory's docstring is its description in the list.

Discovery and guarded loading live in `discovery`, building and restoring in
`building`; this module is the one place plugins and the core import from.
"""
from __future__ import annotations

from s2s_embed.embeddings.registry.building import build_embedding, builds_own_layer, check_spec, restore_embedding
from s2s_embed.embeddings.registry.discovery import (
    GROUP,
    LoadedPlugin,
    PluginEntry,
    PluginInfo,
    PluginUnavailable,
    discover,
    find,
    format_plugin_table,
    list_plugins,
    load,
    register,
    unregister,
)

__all__ = [
    "GROUP", "LoadedPlugin", "PluginEntry", "PluginInfo", "PluginUnavailable", "build_embedding", "check_spec",
    "discover", "builds_own_layer", "find", "format_plugin_table", "list_plugins", "load", "register",
    "restore_embedding", "unregister",
]
