"""What the core hands to the embedding registry, and what it gets back.

This is the seam between the model and wherever its embeddings come from. The
model only needs an `nn.Module` that maps ids (batch, time) to vectors
(batch, time, dim) and declares `embedding_dim`.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from s2s_embed.cache import CACHE_ENV, default_cache_dir  # noqa: F401  (part of this module's interface)
from s2s_embed.data.vocab import Vocab
from s2s_embed.errors import ConfigError

FREEZE_MODES = ("none", "all", "pretrained")
OOV_MODES = ("random", "zero", "mean", "subword")
CORE_KEYS = ("name", "dim", "project", "freeze", "oov", "normalize", "center", "remove_top", "rescale")
RESCALE_MODES = ("none", "init")
INIT_KEYS = ("normalize", "center", "remove_top", "rescale")  # how pretrained rows are transformed; vector plugins only


@dataclass(frozen=True)
class EmbeddingSpec:
    """One side's `[embeddings.source]` / `[embeddings.target]` table.

    The core keys are read here; every other key is an option of the plugin
    named by `name`, checked against the plugin factory's signature.
    """

    name: str = "random"
    dim: int | None = None  # the dim the model wants; None = the plugin's own
    project: bool = False  # add a linear projection when the plugin's dim differs from `dim`
    freeze: str = "none"  # none | all | pretrained (pretrained rows fixed, OOV rows learn)
    oov: str = "random"  # random | zero | mean | subword: how rows without a vector start
    normalize: bool = False  # scale every pretrained vector to unit length
    center: bool = False  # subtract the mean pretrained vector
    remove_top: int = 0  # remove the top D principal components of the pretrained rows ("all-but-the-top")
    rescale: str | float = "none"  # "none" | "init" (the random plugin's std for this dim) | a number: that std
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_table(cls, table: Mapping[str, Any], where: str) -> EmbeddingSpec:
        table = dict(table)
        core = {k: table.pop(k) for k in CORE_KEYS if k in table}
        spec = cls(**core, options=table)
        spec.check(where)
        return spec

    def check(self, where: str) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"{where}.name must be a plugin name such as 'random' or 'glove'.")
        if self.freeze not in FREEZE_MODES:
            raise ConfigError(f"{where}.freeze = {self.freeze!r} is not valid. Choose one of: {', '.join(FREEZE_MODES)}.")
        if self.oov not in OOV_MODES:
            raise ConfigError(f"{where}.oov = {self.oov!r} is not valid. Choose one of: {', '.join(OOV_MODES)}.")
        if self.dim is not None and (not isinstance(self.dim, int) or isinstance(self.dim, bool) or self.dim <= 0):
            raise ConfigError(f"{where}.dim = {self.dim!r} must be a positive integer.")
        for key in ("project", "normalize", "center"):
            if not isinstance(getattr(self, key), bool):
                raise ConfigError(f"{where}.{key} = {getattr(self, key)!r} must be true or false.")
        if not isinstance(self.remove_top, int) or isinstance(self.remove_top, bool) or self.remove_top < 0:
            raise ConfigError(f"{where}.remove_top = {self.remove_top!r} must be a whole number >= 0 "
                              f"(how many top principal components to remove; 0 = none).")
        rescale = self.rescale
        if isinstance(rescale, bool) or not (
                rescale in RESCALE_MODES or (isinstance(rescale, (int, float)) and math.isfinite(rescale) and rescale > 0)):
            raise ConfigError(f"{where}.rescale = {rescale!r} is not valid. Choose \"none\" (keep the vectors' own "
                              f"scale), \"init\" (the std the random plugin draws) or a positive number (that std).")

    @property
    def transforms_vectors(self) -> bool:
        """Whether any initialisation option beyond the defaults is set."""
        return bool(self.normalize or self.center or self.remove_top or self.rescale != "none")

    def to_table(self) -> dict[str, Any]:
        return {"name": self.name, "dim": self.dim, "project": self.project, "freeze": self.freeze,
                "oov": self.oov, "normalize": self.normalize, "center": self.center, "remove_top": self.remove_top,
                "rescale": self.rescale, **self.options}


@dataclass
class BuildContext:
    """What a plugin may use to build one side's embedding."""

    vocab: Vocab
    lang: str
    side: str  # "source" or "target"
    dim: int | None = None  # the spec's dim
    seed: int = 0
    lowercase: bool = True  # whether the corpus was lowercased
    cache_dir: Path = field(default_factory=lambda: default_cache_dir())
    train_sentences: Sequence[Sequence[str]] = ()  # the tokenised training side, for plugins that train vectors

    @property
    def wanted(self) -> set[str]:
        """Every key a vector file may hold for this vocabulary: each token, lowercased and title-cased."""
        words = set(self.vocab.tokens)
        return words | {w.lower() for w in words} | {w.title() for w in words}


@dataclass
class BuiltEmbedding:
    """A ready embedding layer, what it covered, and how to build it again without its source files."""

    module: nn.Module  # has .embedding_dim
    plugin: dict[str, str]  # name, package, version
    coverage: dict[str, Any] | None = None  # None for embeddings with no pretrained vectors
    manifest: dict[str, Any] = field(default_factory=dict)  # JSON; `restore` rebuilds `module` from it
