"""The few exception types s2s-embed raises on purpose.

Every message names what is at fault (a file and line, a config key, a plugin)
and, where there is one, the fix. The CLI prints these without a traceback.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable


class S2SError(Exception):
    """Base of every error that s2s-embed raises about its input."""


class ConfigError(S2SError):
    """A config file, key or value is wrong."""


class DataError(S2SError):
    """A corpus or vocabulary file is wrong: the message names the file and line."""


class PluginError(S2SError):
    """An embedding plugin is missing, broken, or returned something unusable."""


class ModelFolderError(S2SError):
    """A saved model folder is missing a file, or a file is corrupt or incompatible."""


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """' Did you mean 'x'?' for the closest option, or ''."""
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.5)
    return f" Did you mean '{close[0]}'?" if close else ""


def unknown(what: str, name: str, options: Iterable[str]) -> str:
    """The message for an unknown name: the options, and the closest one."""
    options = sorted(options)
    return f"Unknown {what} '{name}'. Available: {', '.join(options)}.{did_you_mean(name, options)}"
