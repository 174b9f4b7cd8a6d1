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

Discovery reads package metadata only and is redone on every call, so a
package installed after import is found. Two packages that claim one name are
an error naming both; a third-party package never silently shadows a built-in.
"""
from __future__ import annotations

import inspect
import re
import types
import typing
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import torch
from torch import nn

from s2s_embed.embeddings.spec import CORE_KEYS, BuildContext, BuiltEmbedding, EmbeddingSpec
from s2s_embed.errors import ConfigError, ModelFolderError, PluginError, S2SError, did_you_mean, unknown

GROUP = "s2s_embed.embeddings"
BUILTIN_PACKAGE = "s2s-embed"
IN_PROCESS = "<in-process>"


class PluginUnavailable(PluginError):
    """Raised by a factory whose optional dependency is missing; the message says what to install."""


@dataclass(frozen=True)
class PluginEntry:
    """Phase 1: what package metadata says about one plugin, before any import."""

    name: str
    package: str
    version: str
    target: str  # "module:attr"
    loader: Callable[[], Callable] = field(repr=False, compare=False)

    @property
    def builtin(self) -> bool:
        return _normalise(self.package) == BUILTIN_PACKAGE

    @property
    def label(self) -> str:
        version = f" {self.version}" if self.version else ""
        return f"'{self.name}' from {self.package}{version}"


@dataclass(frozen=True)
class PluginInfo:
    """One row of `s2s-embed embeddings list`."""

    name: str
    package: str
    version: str
    status: str  # ok | unavailable: <install hint> | error: <exception> | conflict: <other packages>
    description: str


_registered: dict[str, PluginEntry] = {}


# ---------------------------------------------------------------- discovery


def _normalise(package: str) -> str:
    return re.sub(r"[-_.]+", "-", package).lower()


def _target_of(func: Callable) -> str:
    return f"{getattr(func, '__module__', '?')}:{getattr(func, '__qualname__', repr(func))}"


def discover() -> list[PluginEntry]:
    """Every plugin that package metadata and `register` know of, sorted by name, imported by none.

    A name registered in-process replaces the entry points of that name (see `register`).
    """
    found = []
    for ep in entry_points(group=GROUP):
        if ep.name in _registered:
            continue
        dist = ep.dist
        found.append(PluginEntry(ep.name, dist.name if dist else "?", dist.version if dist else "", ep.value, ep.load))
    found.extend(_registered.values())
    return sorted(found, key=lambda e: (e.name, not e.builtin, _normalise(e.package)))


def _by_name() -> dict[str, list[PluginEntry]]:
    out: dict[str, list[PluginEntry]] = {}
    for entry in discover():
        out.setdefault(entry.name, []).append(entry)
    return out


def _conflict(name: str, entries: list[PluginEntry]) -> str:
    claims = ", ".join(f"{e.package} {e.version} ({e.target})" if e.version else f"{e.package} ({e.target})" for e in entries)
    third_party = sorted({e.package for e in entries if not e.builtin})
    fix = (f"pip uninstall {' '.join(third_party)} to use the built-in" if len(third_party) < len(entries)
           else f"uninstall all but one of {', '.join(third_party)}")
    return (f"Embedding plugin name '{name}' is claimed by more than one package: {claims}. "
            f"s2s-embed will not pick one: {fix}, or choose one in-process with "
            f"s2s_embed.embeddings.register('{name}', factory, replace=True).")


def find(name: str, where: str = "embeddings") -> PluginEntry:
    """The one plugin called `name`: ConfigError if none, PluginError if several packages claim it."""
    plugins = _by_name()
    if name not in plugins:
        raise ConfigError(f"{where}.name: {unknown('embedding', name, plugins)}")
    entries = plugins[name]
    if len(entries) > 1:
        raise PluginError(_conflict(name, entries))
    return entries[0]


# ---------------------------------------------------------------- in-process registration


def register(name: str, factory: Callable, *, package: str = IN_PROCESS, version: str = "", replace: bool = False) -> None:
    """Make `factory` available as `name` in this process (notebooks, tests).

    A name already bound to a different function (registered or installed) is
    an error that shows both, unless `replace=True`.
    """
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise PluginError(f"A plugin name must be a non-empty string without spaces; got {name!r}.")
    if not callable(factory):
        raise PluginError(f"register('{name}', ...) needs a callable factory(ctx, **options); got {factory!r}.")
    _first_parameter(factory, f"register('{name}', {_target_of(factory)})")
    target = _target_of(factory)
    if not replace:
        bound = [e for e in discover() if e.name == name and e.target != target]
        if bound:
            shown = "; ".join(f"{e.target} from {e.package}" for e in bound)
            raise PluginError(f"Embedding plugin name '{name}' is already bound to {shown}; "
                              f"cannot bind it to {target}. Pass replace=True to replace it, or pick another name.")
    _registered[name] = PluginEntry(name, package, version, target, lambda: factory)


def unregister(name: str) -> None:
    """Forget an in-process registration; installed plugins of that name come back."""
    if name not in _registered:
        raise PluginError(f"No plugin '{name}' was registered in-process. Registered: {', '.join(sorted(_registered)) or 'none'}.")
    del _registered[name]


# ---------------------------------------------------------------- guarded loading


def load(entry: PluginEntry) -> Callable:
    """Phase 2: import one plugin's factory; any failure becomes a PluginError naming the plugin and its package."""
    try:
        factory = entry.loader()
    except ModuleNotFoundError as exc:
        own = entry.target.split(":")[0]
        if exc.name and not _same_package(own, exc.name):
            raise PluginUnavailable(f"Embedding plugin {entry.label} needs module '{exc.name}', which is not installed "
                                    f"(install the package that provides it).") from exc
        raise PluginError(_load_failed(entry, exc)) from exc
    except Exception as exc:  # a plugin may raise anything on import; it must not take the others down
        raise PluginError(_load_failed(entry, exc)) from exc
    if not callable(factory):
        raise PluginError(f"Embedding plugin {entry.label}: entry point {entry.target} is {type(factory).__name__}, "
                          f"not a factory function. Fix the entry point in {entry.package}'s packaging metadata.")
    _first_parameter(factory, f"Embedding plugin {entry.label} ({entry.target})")
    shadowed = sorted(set(_options_of(factory)[0]) & set(CORE_KEYS))
    if shadowed:
        raise PluginError(f"Embedding plugin {entry.label} ({entry.target}) has option(s) {', '.join(shadowed)}, "
                          f"which the core keys of the table take first, so they could never be set. Fix "
                          f"{entry.package}: read ctx.dim (the spec's dim) instead, or rename the option.")
    return factory


def _same_package(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _load_failed(entry: PluginEntry, exc: BaseException) -> str:
    return (f"Embedding plugin {entry.label} failed to load ({entry.target}): {type(exc).__name__}: {exc}. "
            f"Reinstall or upgrade {entry.package}, or uninstall it.")


def _first_parameter(factory: Callable, who: str) -> None:
    try:
        params = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError) as exc:
        raise PluginError(f"{who}: cannot read the factory's signature ({exc}).") from None
    if not params or params[0].kind not in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
        raise PluginError(f"{who}: a factory must take the BuildContext as its first positional argument: factory(ctx, **options).")


def _install_hint(factory: Callable) -> str | None:
    """The hint from the factory module's optional `available()`, or None when the plugin is usable."""
    module = inspect.getmodule(factory)
    probe = getattr(module, "available", None)
    return probe() if callable(probe) else None


def description(factory: Callable) -> str:
    doc = inspect.getdoc(factory) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _status(entry: PluginEntry, entries: list[PluginEntry]) -> tuple[str, str]:
    """(status, description) of one plugin; never raises."""
    if len(entries) > 1:
        others = ", ".join(f"{e.package} {e.version}".strip() for e in entries if e is not entry)
        return f"conflict: '{entry.name}' is also provided by {others}", ""
    try:
        factory = load(entry)
    except PluginUnavailable as exc:
        return f"unavailable: {exc}", ""
    except PluginError as exc:
        return f"error: {exc.__cause__!r}" if exc.__cause__ else f"error: {exc}", ""
    try:
        hint = _install_hint(factory)
    except Exception as exc:  # a broken probe is that plugin's error only
        return f"error: available() raised {exc!r}", description(factory)
    return (f"unavailable: {hint}" if hint else "ok"), description(factory)


def list_plugins() -> list[PluginInfo]:
    """Every discovered plugin with its status; one broken plugin never hides the others."""
    plugins = _by_name()
    rows = []
    for entries in plugins.values():
        for entry in entries:
            status, desc = _status(entry, entries)
            rows.append(PluginInfo(entry.name, entry.package, entry.version, " ".join(status.split()), desc))
    return rows


def format_plugin_table(infos: list[PluginInfo]) -> str:
    """A plain-text table for `s2s-embed embeddings list`."""
    header = ("name", "package", "version", "status", "description")
    rows = [header, *((i.name, i.package, i.version, i.status, i.description) for i in infos)]
    widths = [max(len(r[c]) for r in rows) for c in range(len(header) - 1)]
    lines = ["  ".join([*(cell.ljust(w) for cell, w in zip(r, widths)), r[-1]]).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in [*widths, len(header[-1])]))
    return "\n".join(lines)


# ---------------------------------------------------------------- option checks


def _options_of(factory: Callable) -> tuple[dict[str, inspect.Parameter], bool]:
    """The factory's keyword options (all but the first parameter), and whether it takes **options."""
    params = list(inspect.signature(factory).parameters.values())[1:]
    named = {p.name: p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return named, any(p.kind is p.VAR_KEYWORD for p in params)


def _check_options(factory: Callable, options: Mapping[str, Any], where: str, entry: PluginEntry) -> None:
    named, open_ended = _options_of(factory)
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
    hints = _type_hints(factory)
    for key, value in options.items():
        if key in hints and not _matches(value, hints[key]):
            raise ConfigError(f"{where}.{key} = {value!r} must be {_describe(hints[key])} "
                              f"for embedding '{entry.name}'.")


def _type_hints(factory: Callable) -> dict[str, Any]:
    try:
        return typing.get_type_hints(factory)
    except Exception:  # unresolvable annotations: skip type checks, never fail a plugin for them
        return {}


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
    entry = find(spec.name, where)
    factory = load(entry)
    _check_options(factory, spec.options, where, entry)
    hint = _install_hint(factory)
    if hint:
        raise PluginUnavailable(f"{where}: embedding plugin {entry.label} is not available here: {hint}")


# ---------------------------------------------------------------- building


def build_embedding(spec: EmbeddingSpec, ctx: BuildContext, *, where: str | None = None) -> BuiltEmbedding:
    """Find, load, validate and call the plugin named by `spec`; return the layer, its coverage and manifest."""
    where = where or f"embeddings.{ctx.side}"
    entry = find(spec.name, where)
    factory = load(entry)
    _check_options(factory, spec.options, where, entry)
    made = _call(factory, entry, dict(spec.options), ctx, where)
    plugin = {"name": entry.name, "package": entry.package, "version": entry.version}
    if isinstance(made, nn.Module):
        module = _adapt(_checked_module(made, entry, ctx), spec, entry, where)
        manifest = {"kind": "plugin", "name": entry.name, "options": dict(spec.options),
                    "package": entry.package, "version": entry.version}
        return BuiltEmbedding(module, plugin, None, manifest)
    from s2s_embed.embeddings.vectors import build_layer

    module, coverage = build_layer(_as_vectors(made, entry), ctx, spec, entry.name)
    return BuiltEmbedding(module, plugin, coverage, {"kind": "vectors", "layer": module.manifest()})


def restore_embedding(manifest: Mapping[str, Any], spec: EmbeddingSpec, ctx: BuildContext) -> nn.Module:
    """Rebuild a saved embedding module with the same state-dict keys, without its source files.

    A "vectors" manifest holds the whole layer; a "plugin" manifest is rebuilt
    by calling the plugin again with the saved options and the vocabulary.
    """
    kind = manifest.get("kind") if isinstance(manifest, Mapping) else None
    if kind == "vectors":
        from s2s_embed.embeddings.layer import VectorEmbedding

        if not isinstance(manifest.get("layer"), Mapping):
            raise ModelFolderError(f"The {ctx.side} embedding manifest has no 'layer' table; the model folder is corrupt.")
        return VectorEmbedding.from_manifest(manifest["layer"])
    if kind != "plugin":
        raise ModelFolderError(f"Embedding manifest for {ctx.side} has kind {kind!r}; expected 'vectors' or 'plugin'. "
                               f"The model folder is corrupt or from an incompatible version.")
    where = f"embeddings.{ctx.side}"
    try:
        entry = find(manifest["name"], where)
    except ConfigError as exc:
        raise PluginError(f"This model's {ctx.side} embedding was built by plugin '{manifest['name']}' from "
                          f"{manifest.get('package')} {manifest.get('version', '')}, which is not installed here: "
                          f"install {manifest.get('package')} to load it. ({exc})") from None
    if _normalise(entry.package) != _normalise(str(manifest.get("package", entry.package))):
        raise PluginError(f"This model's {ctx.side} embedding was built by '{entry.name}' from {manifest.get('package')}, "
                          f"but '{entry.name}' now comes from {entry.package}. Install {manifest.get('package')} to load it.")
    if manifest.get("version") and entry.version and manifest["version"] != entry.version:
        warnings.warn(f"{where}: the model was built with {entry.package} {manifest['version']}; "
                      f"{entry.version} is installed. The layer is rebuilt with the installed version.", stacklevel=2)
    factory = load(entry)
    options = dict(manifest.get("options", {}))
    _check_options(factory, options, where, entry)
    made = _call(factory, entry, options, ctx, where)
    if not isinstance(made, nn.Module):
        raise PluginError(f"Embedding plugin {entry.label} built its own layer when this model was saved, "
                          f"but now returns {type(made).__name__}. Install the version the model was built with "
                          f"({manifest.get('version')}).")
    return _adapt(_checked_module(made, entry, ctx), spec, entry, where)


def _call(factory: Callable, entry: PluginEntry, options: dict[str, Any], ctx: BuildContext, where: str) -> Any:
    hint = _install_hint(factory)
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
    ids = torch.arange(6).remainder(len(ctx.vocab)).view(2, 3)  # (batch=2, time=3)
    try:
        with torch.no_grad():
            out = module(ids)
    except Exception as exc:
        raise PluginError(f"Embedding plugin {entry.label}: its layer fails on a (2, 3) batch of ids for a vocabulary "
                          f"of {len(ctx.vocab)}: {type(exc).__name__}: {exc}. Fix {entry.package}.") from exc
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


__all__ = [
    "GROUP", "PluginEntry", "PluginInfo", "PluginUnavailable", "build_embedding", "check_spec", "discover",
    "find", "format_plugin_table", "list_plugins", "load", "register", "restore_embedding", "unregister",
]
