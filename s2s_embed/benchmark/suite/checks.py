"""Small checks shared by the grid and the reader: names, tables, entries, integer lists, layered configs."""
from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from s2s_embed.errors import ConfigError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+-]*")


def _layer(base: Mapping[str, Any], sections: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A deep copy of `base` with each section's keys replaced by those of `sections`."""
    raw = copy.deepcopy(dict(base))
    for name, table in sections.items():
        raw[name] = {**raw.get(name, {}), **copy.deepcopy(dict(table))}
    return raw


def _checked(build, where: str):
    """Run a config check, naming the suite part in its error."""
    try:
        return build()
    except ConfigError as exc:
        text = str(exc)
        raise ConfigError(text if text.startswith(where) else f"{where}: {text}") from None


def _entries(value: Any, key: str, source: str, required: bool) -> list[Mapping[str, Any]]:
    if value is None:
        if required:
            raise ConfigError(f"{source} has no [[{key}]] entries: add at least one, each with a name and "
                              f"[{key}.source] / [{key}.target] embedding tables.")
        return []
    if not isinstance(value, list) or not all(isinstance(t, Mapping) for t in value):
        raise ConfigError(f"{source}: '{key}' must be an array of tables, written [[{key}]].")
    return value


def _entry_name(table: Mapping[str, Any], where: str, taken: list[str]) -> str:
    if "name" not in table:
        raise ConfigError(f"{where} needs a name.")
    name = table["name"]
    _check_name(f"{where} name", name)
    if name in taken:
        raise ConfigError(f"{where}: the name '{name}' is used twice; names must be unique.")
    return name


def _check_name(where: str, name: Any) -> None:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ConfigError(f"{where} = {name!r}: use letters, digits, '-', '_' or '+' (no dots or spaces), "
                          f"since it becomes part of folder and file names.")


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        raise ConfigError(f"{where} is missing.")
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a table of keys, not {value!r}.")
    return value


def _int_list(key: str, values: list, low: int | None, empty_ok: bool) -> None:
    if not values and not empty_ok:
        raise ConfigError(f"{key} is empty: give at least one value.")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or (low is not None and v < low):
            raise ConfigError(f"{key}: {v!r} must be a whole number" + (f" >= {low}." if low is not None else "."))
    if len(set(values)) != len(values):
        raise ConfigError(f"{key} = {values} lists a value twice.")

