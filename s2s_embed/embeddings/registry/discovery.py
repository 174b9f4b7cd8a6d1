"""Phase 1 and 2 of a plugin: find it in package metadata (or an in-process registration), then import it guarded.

Discovery reads package metadata only and is redone on every call, so a
package installed after import is found. Two packages that claim one name are
an error naming both; a third-party package never silently shadows a built-in.
A config picks one of them by package: ``name = "s2s-embed:glove"``.

`load` imports one factory inside its own error handler and reads its
signature once, into a `LoadedPlugin` that the builder checks options against.
`list_plugins` gives every plugin's status; one broken plugin never hides the others.
"""
from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from s2s_embed.embeddings.spec import CORE_KEYS
from s2s_embed.errors import ConfigError, PluginError, did_you_mean, unknown

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


@dataclass(frozen=True)
class LoadedPlugin:
    """Phase 2: an imported factory with its signature read once.

    options: the keyword options (all parameters but the first, the BuildContext);
    open_ended: whether it takes **options; hints: its type hints ({} when they
    cannot be resolved).
    """

    entry: PluginEntry
    factory: Callable = field(repr=False)
    signature: inspect.Signature = field(repr=False)
    options: Mapping[str, inspect.Parameter]
    open_ended: bool
    hints: Mapping[str, Any] = field(repr=False)

    @property
    def label(self) -> str:
        return self.entry.label

    def install_hint(self) -> str | None:
        """The hint from the factory module's optional `available()`, or None when the plugin is usable."""
        module = inspect.getmodule(self.factory)
        probe = getattr(module, "available", None)
        return probe() if callable(probe) else None


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
    packages = " or ".join(f"name = \"{e.package}:{name}\"" for e in entries)
    return (f"Embedding plugin name '{name}' is claimed by more than one package: {claims}. "
            f"s2s-embed will not pick one: name the package in the config ({packages}), {fix}, or choose one "
            f"in-process with s2s_embed.embeddings.register('{name}', factory, replace=True).")


def find(name: str, where: str = "embeddings") -> PluginEntry:
    """The one plugin called `name`, or `package:name`: ConfigError if none, PluginError if several claim it."""
    package, _, plain = name.rpartition(":")
    plugins = _by_name()
    if plain not in plugins:
        raise ConfigError(f"{where}.name: {unknown('embedding', plain, plugins)}")
    entries = plugins[plain]
    if package:
        chosen = [e for e in entries if _normalise(e.package) == _normalise(package)]
        if not chosen:
            raise ConfigError(f"{where}.name = '{name}': no package '{package}' provides embedding '{plain}'. It comes "
                              f"from {', '.join(e.package for e in entries)}: name one of those, as "
                              f"'{entries[0].package}:{plain}'.{did_you_mean(package, [e.package for e in entries])}")
        entries = chosen
    if len(entries) > 1:
        raise PluginError(_conflict(plain, entries))
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
    _signature(factory, f"register('{name}', {_target_of(factory)})")
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


def load(entry: PluginEntry) -> LoadedPlugin:
    """Phase 2: import one plugin's factory and read its signature; any failure becomes a PluginError naming the
    plugin and its package."""
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
    signature = _signature(factory, f"Embedding plugin {entry.label} ({entry.target})")
    params = list(signature.parameters.values())[1:]
    options = {p.name: p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    shadowed = sorted(set(options) & set(CORE_KEYS))
    if shadowed:
        raise PluginError(f"Embedding plugin {entry.label} ({entry.target}) has option(s) {', '.join(shadowed)}, "
                          f"which the core keys of the table take first, so they could never be set. Fix "
                          f"{entry.package}: read ctx.dim (the spec's dim) instead, or rename the option.")
    return LoadedPlugin(entry, factory, signature, options, any(p.kind is p.VAR_KEYWORD for p in params),
                        _type_hints(factory))


def _same_package(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _load_failed(entry: PluginEntry, exc: BaseException) -> str:
    return (f"Embedding plugin {entry.label} failed to load ({entry.target}): {type(exc).__name__}: {exc}. "
            f"Reinstall or upgrade {entry.package}, or uninstall it.")


def _signature(factory: Callable, who: str) -> inspect.Signature:
    """The factory's signature; PluginError unless its first parameter can take the BuildContext positionally."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError) as exc:
        raise PluginError(f"{who}: cannot read the factory's signature ({exc}).") from None
    params = list(signature.parameters.values())
    if not params or params[0].kind not in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
        raise PluginError(f"{who}: a factory must take the BuildContext as its first positional argument: factory(ctx, **options).")
    return signature


def _type_hints(factory: Callable) -> dict[str, Any]:
    try:
        return typing.get_type_hints(factory)
    except Exception:  # unresolvable annotations: skip type checks, never fail a plugin for them
        return {}


def description(factory: Callable) -> str:
    doc = inspect.getdoc(factory) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _status(entry: PluginEntry, entries: list[PluginEntry]) -> tuple[str, str]:
    """(status, description) of one plugin; never raises."""
    if len(entries) > 1:
        others = ", ".join(f"{e.package} {e.version}".strip() for e in entries if e is not entry)
        return f"conflict: '{entry.name}' is also provided by {others}", ""
    try:
        plugin = load(entry)
    except PluginUnavailable as exc:
        return f"unavailable: {exc}", ""
    except PluginError as exc:
        return f"error: {exc.__cause__!r}" if exc.__cause__ else f"error: {exc}", ""
    try:
        hint = plugin.install_hint()
    except Exception as exc:  # a broken probe is that plugin's error only
        return f"error: available() raised {exc!r}", description(plugin.factory)
    return (f"unavailable: {hint}" if hint else "ok"), description(plugin.factory)


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
