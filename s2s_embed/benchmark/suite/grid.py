"""The suite's grid as frozen dataclasses: its settings, configurations, datasets, variants and cells."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from s2s_embed import config as config_mod
from s2s_embed.benchmark.suite.checks import _checked, _layer
from s2s_embed.config import Config



@dataclass(frozen=True)
class Settings:
    """The [suite] table. `test_size` 0 = whole test sets (the synthetic one: SYNTHETIC_TEST_SIZE)."""

    name: str
    baseline: str
    seeds: tuple[int, ...]
    description: str = ""
    train_sizes: tuple[int, ...] = ()  # empty = the base config's data.train_size only
    test_sets: tuple[Any, ...] = ()  # names or {name, src, ref} tables; datasets may set their own
    test_size: int = 0
    bootstrap_samples: int = 1000
    alpha: float = 0.05
    keep_checkpoints: bool = False  # keep last.pt of finished cells (model.pt is always kept)


@dataclass(frozen=True)
class TestSetSpec:
    name: str
    src: str = ""  # files, for a {name, src, ref} table; empty for a built-in test set
    ref: str = ""


@dataclass(frozen=True)
class EmbeddingConfig:
    """One [[configs]] entry: the embedding tables of both sides."""

    name: str
    source: Mapping[str, Any]
    target: Mapping[str, Any]
    description: str = ""
    train_sizes: tuple[int, ...] = ()  # the [suite] train_sizes it runs at; empty = all

    def runs_at(self, size: int) -> bool:
        return not self.train_sizes or size in self.train_sizes


@dataclass(frozen=True)
class Dataset:
    name: str
    data: Mapping[str, Any]  # keys of [data] laid over [base.data]
    test_sets: tuple[TestSetSpec, ...]


@dataclass(frozen=True)
class Variant:
    name: str
    sections: Mapping[str, Mapping[str, Any]]  # model / train / decode keys laid over [base]


@dataclass(frozen=True)
class Cell:
    """One training run of the grid, with its fully resolved config."""

    id: str
    dataset: str
    variant: str
    train_size: int  # 0 = all training pairs
    config: str
    seed: int
    cfg: Config

    def with_out_dir(self, folder: Path) -> Config:
        return replace(self.cfg, train=replace(self.cfg.train, out_dir=str(folder)))


@dataclass(frozen=True)
class Suite:
    settings: Settings
    source: str  # the file it was read from
    configs: tuple[EmbeddingConfig, ...]
    datasets: tuple[Dataset, ...]
    variants: tuple[Variant, ...]
    base: Mapping[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        return self.settings.name

    def train_sizes(self) -> tuple[int, ...]:
        return self.settings.train_sizes or (self.base.get("data", {}).get("train_size", 0),)

    def cells(self) -> list[Cell]:
        """The grid, seeds outside configs: an interrupted suite has every config for its first seeds."""
        return [self._cell(d, v, n, c, s) for d in self.datasets for v in self.variants for n in self.train_sizes()
                for s in self.settings.seeds for c in self.configs if c.runs_at(n)]

    def _cell(self, dataset: Dataset, variant: Variant, size: int, emb: EmbeddingConfig, seed: int) -> Cell:
        cell_id = ".".join([dataset.name, variant.name, f"n{size}" if size else "full", emb.name, f"s{seed}"])
        raw = _layer(self.base, {"data": dataset.data, **variant.sections})
        raw["embeddings"] = {**raw.get("embeddings", {}), "source": dict(emb.source), "target": dict(emb.target)}
        raw.setdefault("train", {}).update(seed=seed, out_dir=f"runs/{cell_id}")
        raw.setdefault("data", {})["train_size"] = size
        cfg = _checked(lambda: config_mod.from_dict(raw, f"{self.source} cell {cell_id}"), f"{self.source}, cell {cell_id}")
        return Cell(cell_id, dataset.name, variant.name, size, emb.name, seed, cfg)

    def data_configs(self) -> dict[str, config_mod.DataConfig]:
        """Each dataset's resolved [data] section (the training size aside)."""
        return {cell.dataset: cell.cfg.data for cell in self.cells()}

    def to_dict(self) -> dict[str, Any]:
        """What the report needs to read the results folder on its own."""
        s = self.settings
        return {"name": s.name, "description": s.description, "source": self.source, "baseline": s.baseline,
                "seeds": list(s.seeds), "train_sizes": list(self.train_sizes()), "alpha": s.alpha,
                "bootstrap_samples": s.bootstrap_samples, "test_size": s.test_size,
                "configs": [{"name": c.name, "description": c.description} for c in self.configs],
                "datasets": [{"name": d.name, "test_sets": [t.name for t in d.test_sets]} for d in self.datasets],
                "variants": [v.name for v in self.variants],
                "cells": [{"id": c.id, "dataset": c.dataset, "variant": c.variant, "train_size": c.train_size,
                           "config": c.config, "seed": c.seed} for c in self.cells()]}
