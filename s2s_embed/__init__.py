"""s2s-embed: compare word embeddings in a common LSTM encoder-decoder.

The public Python API (docs/python-api.md):

    load_config(path, overrides)   a checked Config from a TOML file (None: the defaults) and key=value items
    train(cfg)                     train a model into cfg.train.out_dir; returns a TrainResult
    Translator.from_folder(path)   a trained model folder, ready to .translate(sentences)
    run_suite(suite, out_dir)      run or resume a benchmark suite; returns the report's path
    register(name, factory)        add an embedding plugin in this process (notebooks, tests)

Each name is imported on first use, so `import s2s_embed` stays cheap.
"""
from __future__ import annotations

import sys
import types
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

try:
    __version__ = version("s2s-embed")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from s2s_embed.benchmark import run_suite
    from s2s_embed.config import load as load_config
    from s2s_embed.embeddings import register
    from s2s_embed.train import train
    from s2s_embed.translate import Translator

_PUBLIC = {  # name: (module, attribute)
    "load_config": ("s2s_embed.config", "load"),
    "train": ("s2s_embed.train", "train"),
    "Translator": ("s2s_embed.translate", "Translator"),
    "run_suite": ("s2s_embed.benchmark", "run_suite"),
    "register": ("s2s_embed.embeddings", "register"),
}
__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 's2s_embed' has no attribute '{name}'")
    module, attribute = _PUBLIC[name]
    return getattr(import_module(module), attribute)


class _Package(types.ModuleType):
    """Keeps `s2s_embed.train` the function: importing the submodule of that name binds it here, and is ignored.

    (The submodule stays reachable as `from s2s_embed.train import ...` and `importlib.import_module`.)
    """

    @property
    def train(self):
        return import_module("s2s_embed.train").train

    @train.setter
    def train(self, _submodule) -> None:
        pass


sys.modules[__name__].__class__ = _Package
