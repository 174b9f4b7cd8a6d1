"""Build a spec's embedding layer through its plugin, or rebuild a saved one: check the options, call, check the result.

The options of a `LoadedPlugin` (its signature, read once by `load`) are checked
before the factory is called: an unknown or missing option, or a value of the
wrong type, is a ConfigError that lists the valid options. A factory returns
vectors as data (the core builds the layer and the coverage report) or its own
layer, which is called once on a tiny batch and adapted to the spec's dim and freeze.
"""
from __future__ import annotations

import math
import types
import typing
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from s2s_embed.embeddings.registry.discovery import (
    LoadedPlugin,
    PluginEntry,
    PluginUnavailable,
    _normalise,
    _type_hints,
    find,
    load,
)
from s2s_embed.embeddings.spec import CORE_KEYS, BuildContext, BuiltEmbedding, EmbeddingSpec
from s2s_embed.errors import ConfigError, ModelFolderError, PluginError, S2SError, did_you_mean

# ---------------------------------------------------------------- option checks


def _check_options(plugin: LoadedPlugin, options: Mapping[str, Any], where: str) -> None:
    entry, named, open_ended = plugin.entry, plugin.options, plugin.open_ended
    valid = sorted(named)
    shown = ", ".join(valid) or "none"
    for key in options:
        if key not in named and not open_ended:
            raise ConfigError(f"{where}.{key} is not an option of embedding '{entry.name}' ({entry.package}). "
                              f"Its options: {shown}; every embedding also takes {', '.join(CORE_KEYS)}."
                              f"{did_you_mean(key, [*valid, *CORE_KEYS])}")
    missing = [n for n, p in named.items() if p.default is p.empty and n not in options]
    if missing:
        raise ConfigError(f"{where}: embedding '{entry.name}' needs option{'s' if len(missing) > 1 else ''} "
                          f"{', '.join(missing)}: add {' and '.join(f'{m} = ...' for m in missing)} to the table. "
                          f"Its options: {shown}.")
    hints = plugin.hints
    for key, value in options.items():
        if key in hints and not _matches(value, hints[key]):
            raise ConfigError(f"{where}.{key} = {value!r} must be {_describe(hints[key])} "
                              f"for embedding '{entry.name}'.")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{where}.{key} = {value} is not a finite number; give embedding '{entry.name}' a "
                              f"real value.")


_SIMPLE = (str, int, float, bool, type(None))


def _simple_types(hint: Any) -> tuple[type, ...] | None:
    """The plain types a TOML value may have for `hint`, or None when the hint is not that simple."""
    args = typing.get_args(hint) if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union else (hint,)
    return tuple(args) if all(a in _SIMPLE for a in args) else None


def _matches(value: Any, hint: Any) -> bool:
    allowed = _simple_types(hint)
    if allowed is None:
        return True
    if isinstance(value, bool):
        return bool in allowed
    if isinstance(value, int) and float in allowed:
        return True
    return isinstance(value, tuple(t for t in allowed if t is not bool))


def _describe(hint: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", type(None): "left out"}
    return " or ".join(names[t] for t in _simple_types(hint) or ())


def check_spec(spec: EmbeddingSpec, where: str) -> None:
    """Validate a spec's plugin name and options without building anything (import only, no heavy deps)."""
    plugin = load(find(spec.name, where))
    _check_options(plugin, spec.options, where)
    hint = plugin.install_hint()
    if hint:
        raise PluginUnavailable(f"{where}: embedding plugin {plugin.label} is not available here: {hint}")


# ---------------------------------------------------------------- building


def build_embedding(spec: EmbeddingSpec, ctx: BuildContext, *, where: str | None = None) -> BuiltEmbedding:
    """Find, load, validate and call the plugin named by `spec`; return the layer, its coverage and manifest."""
    where = where or f"embeddings.{ctx.side}"
    plugin = load(find(spec.name, where))
    entry = plugin.entry
    _check_options(plugin, spec.options, where)
    made = _call(plugin, dict(spec.options), ctx, where)
    origin = {"name": entry.name, "package": entry.package, "version": entry.version}
    if isinstance(made, nn.Module):
        module = _adapt(_checked_module(made, entry, ctx), spec, entry, where)
        manifest = {"kind": "plugin", "name": entry.name, "options": _bound_options(plugin, spec.options),
                    "package": entry.package, "version": entry.version}
        return BuiltEmbedding(module, origin, None, manifest)
    from s2s_embed.embeddings.vectors import build_layer

    module, coverage = build_layer(_as_vectors(made, entry), ctx, spec, entry.name)
    return BuiltEmbedding(module, origin, coverage, {"kind": "vectors", "layer": module.manifest()})


def restore_embedding(manifest: Mapping[str, Any], spec: EmbeddingSpec, ctx: BuildContext, *,
                      saved: Mapping[str, torch.Tensor] | None = None, where: str | None = None) -> nn.Module:
    """Rebuild a saved embedding module with the same state-dict keys, without its source files.

    A "vectors" manifest holds the whole layer's shape; its table comes back
    from the weights. A "plugin" manifest is rebuilt by calling the plugin
    again, and only a plugin that builds its own layer (its factory returns an
    nn.Module subclass, or sets `builds_layer = True`) with the options the
    model's config gave it: a model folder never makes a vector plugin read a
    file. `saved`, the side's tensors from the weights, must fit the manifest.
    """
    where = where or "embeddings.json"
    kind = manifest.get("kind") if isinstance(manifest, Mapping) else None
    if kind == "vectors":
        from s2s_embed.embeddings.layer import VectorEmbedding

        if not isinstance(manifest.get("layer"), Mapping):
            raise ModelFolderError(f"The {ctx.side} embedding manifest has no 'layer' table; the model folder is corrupt.")
        layer = manifest["layer"]
        if layer.get("num_embeddings") != len(ctx.vocab):
            raise ModelFolderError(f"{where}: the {ctx.side} layer has {layer.get('num_embeddings')!r} rows but the "
                                   f"{ctx.side} vocabulary has {len(ctx.vocab)} words; the folder's files do not belong "
                                   f"together.")
        module = VectorEmbedding.from_manifest(layer)
        _check_saved(module, saved, ctx, where)
        return module
    if kind != "plugin":
        raise ModelFolderError(f"Embedding manifest for {ctx.side} has kind {kind!r}; expected 'vectors' or 'plugin'. "
                               f"The model folder is corrupt or from an incompatible version.")
    name, options = manifest.get("name"), manifest.get("options", {})
    if not isinstance(name, str) or not isinstance(options, Mapping):
        raise ModelFolderError(f"{where}: the {ctx.side} plugin manifest needs a plugin name and an options table.")
    if name != spec.name.split(":")[-1] or any(options.get(k, _MISSING) != v for k, v in spec.options.items()):
        raise ModelFolderError(f"{where}: the {ctx.side} manifest (plugin {name!r}, options {dict(options)}) does not "
                               f"match the config the model was trained with (plugin {spec.name!r}, options "
                               f"{dict(spec.options)}). The folder was edited or its files do not belong together; "
                               f"it is not loaded.")
    if saved is not None and "pretrained" in saved and "embedding.weight" in saved:
        raise ModelFolderError(f"{where}: the {ctx.side} manifest says plugin '{name}' rebuilds the layer, but the "
                               f"weights hold a vector table (saved whole). The manifest does not match what was "
                               f"saved; the model is not loaded.")
    side_where = f"embeddings.{ctx.side}"
    package = manifest.get("package")
    try:
        entry = find(f"{package}:{name}" if isinstance(package, str) and package else name, side_where)
    except ConfigError as exc:
        raise PluginError(f"This model's {ctx.side} embedding was built by plugin '{name}' from "
                          f"{manifest.get('package')} {manifest.get('version', '')}, which is not installed here: "
                          f"install {manifest.get('package')} to load it. ({exc})") from None
    if _normalise(entry.package) != _normalise(str(manifest.get("package", entry.package))):
        raise PluginError(f"This model's {ctx.side} embedding was built by '{entry.name}' from {manifest.get('package')}, "
                          f"but '{entry.name}' now comes from {entry.package}. Install {manifest.get('package')} to load it.")
    plugin = load(entry)
    if not _declares_layer(plugin.factory, plugin.hints):
        raise ModelFolderError(f"{where}: the {ctx.side} manifest asks plugin {entry.label} to rebuild the layer, but "
                               f"that plugin returns vectors, whose table is saved with the weights; a model folder "
                               f"never makes s2s-embed read files through a plugin. The folder was edited or is not "
                               f"from s2s-embed; it is not loaded. (A plugin that builds its own layer declares it: "
                               f"its factory's return annotation is an nn.Module subclass, or factory.builds_layer = True.)")
    if manifest.get("version") and entry.version and manifest["version"] != entry.version:
        warnings.warn(f"{side_where}: the model was built with {entry.package} {manifest['version']}; "
                      f"{entry.version} is installed. The layer is rebuilt with the installed version.", stacklevel=2)
    options = dict(options)
    _check_options(plugin, options, side_where)
    made = _call(plugin, options, ctx, side_where)
    if not isinstance(made, nn.Module):
        raise PluginError(f"Embedding plugin {entry.label} built its own layer when this model was saved, "
                          f"but now returns {type(made).__name__}. Install the version the model was built with "
                          f"({manifest.get('version')}).")
    module = _adapt(_checked_module(made, entry, ctx), spec, entry, side_where)
    _check_saved(module, saved, ctx, where)
    return module


_MISSING = object()


def builds_own_layer(factory: Callable) -> bool:
    """Whether a plugin declares that it returns its own layer (not vectors): by annotation or attribute."""
    return _declares_layer(factory, _type_hints(factory))


def _declares_layer(factory: Callable, hints: Mapping[str, Any]) -> bool:
    if getattr(factory, "builds_layer", False) is True:
        return True
    returned = hints.get("return")
    return isinstance(returned, type) and issubclass(returned, nn.Module)


def _check_saved(module: nn.Module, saved: Mapping[str, torch.Tensor] | None, ctx: BuildContext, where: str) -> None:
    """The rebuilt layer's state-dict keys and shapes are exactly the saved ones."""
    if saved is None:
        return
    want = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in saved.items()}
    if want != got:
        diff = sorted(set(want.items()) ^ set(got.items()))[:4]
        raise ModelFolderError(f"{where}: the {ctx.side} manifest does not match the saved weights "
                               f"(differences in key and shape: {diff}); the model is not loaded.")


def _bound_options(plugin: LoadedPlugin, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options the factory was called with, its defaults filled in, so a rebuild does not depend on defaults
    that a later version of the plugin may change. A default that no config could give (not JSON, or not of the
    option's declared type, such as a sentinel) is left to the factory."""
    bound = plugin.signature.bind_partial(None, **options)
    bound.apply_defaults()
    named, hints = plugin.options, plugin.hints
    out = {}
    for key, value in bound.arguments.items():
        plain = key in named and _plain_json(value) and (key not in hints or _matches(value, hints[key]))
        if key in options or plain:
            out[key] = value
    out.update((k, v) for k, v in options.items() if k not in named)  # what a **options factory took
    return out


def _plain_json(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_plain_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_json(v) for k, v in value.items())
    if isinstance(value, float):
        return math.isfinite(value)  # a config could not give inf or nan back
    return value is None or isinstance(value, (str, int, bool))


def _call(plugin: LoadedPlugin, options: dict[str, Any], ctx: BuildContext, where: str) -> Any:
    factory, entry = plugin.factory, plugin.entry
    hint = plugin.install_hint()
    if hint:
        raise PluginUnavailable(f"{where}: embedding plugin {entry.label} is not available here: {hint}")
    try:
        return factory(ctx, **options)
    except S2SError as exc:  # the plugin's own, already worded error: say where it came from
        message = f"{where} (plugin {entry.label}): {exc}"
        try:
            reworded = type(exc)(message)
        except Exception:  # a plugin's own exception type with another constructor
            reworded = PluginError(message)
        raise reworded from exc
    except Exception as exc:
        raise PluginError(f"{where}: embedding plugin {entry.label} failed: {type(exc).__name__}: {exc}. "
                          f"This is a bug in {entry.package} or in its input; report it with this message.") from exc


def _as_vectors(made: Any, entry: PluginEntry):
    """Vectors, gensim KeyedVectors or a (keys, matrix) tuple, as Vectors."""
    from s2s_embed.embeddings.vectors import Vectors

    if isinstance(made, Vectors):
        return made
    if hasattr(made, "index_to_key") and hasattr(made, "vectors"):  # gensim KeyedVectors, without importing gensim
        return Vectors.from_keyed_vectors(made)
    if isinstance(made, tuple) and len(made) == 2:
        keys, matrix = made
        shape = getattr(matrix, "shape", None)
        if shape is None or len(shape) != 2 or shape[0] != len(keys):
            raise PluginError(f"Embedding plugin {entry.label} returned (keys, matrix) with {len(keys)} keys and a "
                              f"matrix of shape {shape}; the matrix must be 2-D with one row per key.")
        return Vectors(list(keys), matrix, source=f"plugin {entry.name}")
    raise PluginError(f"Embedding plugin {entry.label} returned {type(made).__name__}; a factory must return Vectors, "
                      f"gensim KeyedVectors, a (keys, matrix) tuple, or an nn.Module with embedding_dim.")


def _checked_module(module: nn.Module, entry: PluginEntry, ctx: BuildContext) -> nn.Module:
    """Reject a plugin layer without an int embedding_dim or whose output is not (batch, time, embedding_dim)."""
    dim = getattr(module, "embedding_dim", None)
    if not isinstance(dim, int) or isinstance(dim, bool) or dim <= 0:
        raise PluginError(f"Embedding plugin {entry.label} returned a {type(module).__name__} without a positive int "
                          f"embedding_dim (got {dim!r}). Fix {entry.package}: set module.embedding_dim.")
    size = len(ctx.vocab)
    rows = getattr(module, "num_embeddings", None)
    if isinstance(rows, int) and not isinstance(rows, bool) and rows < size:
        raise PluginError(f"Embedding plugin {entry.label} returned a layer of {rows} rows for a vocabulary of {size} "
                          f"ids (0 to {size - 1}). Fix {entry.package}: size the layer by len(ctx.vocab).")
    ids = torch.arange(6).remainder(size).view(2, 3)  # (batch=2, time=3)
    ids[-1, -1] = size - 1  # the largest id: a layer too small for the vocabulary fails on it
    try:
        with torch.no_grad():
            out = module(ids)
    except Exception as exc:
        raise PluginError(f"Embedding plugin {entry.label}: its layer fails on a (2, 3) batch of ids up to {size - 1}, "
                          f"the largest id of a vocabulary of {size}: {type(exc).__name__}: {exc}. Every id from 0 to "
                          f"{size - 1} must map to a vector. Fix {entry.package}: size the layer by "
                          f"len(ctx.vocab).") from exc
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (2, 3, dim) or not out.is_floating_point():
        got = f"a float tensor of shape {tuple(out.shape)}" if isinstance(out, torch.Tensor) else type(out).__name__
        raise PluginError(f"Embedding plugin {entry.label}: its layer maps ids (2, 3) to {got}; expected "
                          f"(2, 3, {dim}) floats (batch, time, embedding_dim). Fix {entry.package}.")
    return module


class _Projected(nn.Module):
    """A plugin layer followed by a linear map to the dim the model asked for."""

    def __init__(self, inner: nn.Module, dim: int):
        super().__init__()
        self.inner = inner
        self.proj = nn.Linear(inner.embedding_dim, dim, bias=False)
        self.embedding_dim = dim

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.proj(self.inner(ids))  # (batch, time, inner dim) -> (batch, time, dim)


def _adapt(module: nn.Module, spec: EmbeddingSpec, entry: PluginEntry, where: str) -> nn.Module:
    """Apply the spec's core keys to a plugin layer: dim (with project) and freeze.

    A plugin layer has no pretrained rows, so freeze = "pretrained" leaves it
    trainable, and "all" freezes the plugin layer but not the projection.
    """
    if spec.transforms_vectors:
        set_ = [k for k, default in (("normalize", False), ("center", False), ("remove_top", 0), ("rescale", "none"))
                if getattr(spec, k) != default]
        raise ConfigError(f"{where}: {', '.join(f'{k} = {getattr(spec, k)!r}' for k in set_)} transforms pretrained "
                          f"vectors, but embedding '{entry.name}' builds its own layer and has none. Remove "
                          f"{'it' if len(set_) == 1 else 'them'}, or use a vector plugin (glove, spacy, word2vec, ...).")
    if spec.freeze == "all":
        module.requires_grad_(False)
    if spec.dim is None or spec.dim == module.embedding_dim:
        return module
    if not spec.project:
        raise ConfigError(f"{where}.dim = {spec.dim}, but embedding '{entry.name}' gives {module.embedding_dim}-d "
                          f"vectors. Set dim = {module.embedding_dim}, or project = true to add a linear projection.")
    return _Projected(module, spec.dim)
