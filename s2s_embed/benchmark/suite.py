"""A benchmark suite: a TOML grid of embedding configurations, read and checked before anything trains.

    [suite]       name, description, baseline (a [[configs]] name), seeds, train_sizes, test_sets, ...
    [base]        a normal config: [base.data], [base.model], [base.train], [base.decode]
    [[configs]]   name, [configs.source] and [configs.target] embedding tables: what is compared
    [[datasets]]  optional: name, any [data] key (corpus, src_lang, trg_lang, ...), test_sets
    [[variants]]  optional: name, [variants.model] / [variants.train] / [variants.decode] settings

The grid is datasets x variants x train_sizes x seeds x configs. A cell's id is
built from names alone, `dataset.variant.size.config.sSEED` (e.g.
`multi30k-en-fr.base.n3000.glove.s2`), so a rerun recognises the cells it has
finished. Every part is checked here, plugin names and options included, so a
typo stops the suite before the first cell trains.
"""
from __future__ import annotations

import copy
import dataclasses
import re
import tomllib
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from s2s_embed import config as config_mod
from s2s_embed.config import Config, check_type, reject_unknown
from s2s_embed.data.corpora import CORPORA, SYNTHETIC_TEST_SIZE  # noqa: F401 (the size a test_size of 0 gives)
from s2s_embed.errors import ConfigError, did_you_mean, unknown

BUILTIN_DIR = Path(__file__).with_name("suites")
TOP_KEYS = ("suite", "base", "configs", "datasets", "variants")
CONFIG_KEYS = ("name", "description", "source", "target")
VARIANT_SECTIONS = ("model", "train", "decode")
DATASET_EXTRA_KEYS = ("name", "test_sets")
TEST_FILE_KEYS = ("name", "src", "ref")
# built-in test sets per corpus; other corpora name their test files as {name, src, ref} tables
# Multi30K's held-out test sets (test_2017_mscoco, test_2018_flickr) are read from data.multi30k_root only.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+-]*")


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
                for s in self.settings.seeds for c in self.configs]

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


# ---------------------------------------------------------------- finding and reading a suite


def builtin_suites() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def suite_path(suite: str | Path) -> Path:
    """A built-in suite's file, or the TOML file `suite` names."""
    path = Path(suite)
    if path.is_file():
        return path
    if str(suite) in builtin_suites():
        return BUILTIN_DIR / f"{suite}.toml"
    raise ConfigError(f"Suite '{suite}' is neither a built-in suite nor a file. "
                      f"Built-in suites: {', '.join(builtin_suites())}; or give the path of a suite .toml file."
                      f"{did_you_mean(str(suite), builtin_suites())}")


def load_suite(suite: str | Path, overrides: Sequence[str] = ()) -> Suite:
    """Read and check a suite; `overrides` are `key=value` items on the suite's tables, e.g. base.train.epochs=2."""
    path = suite_path(suite)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Suite file {path} is not valid TOML: {exc}") from None
    for item in overrides:
        config_mod.apply_override(raw, item)
    suite = from_dict(raw, str(path))
    for item in overrides:
        _check_override_used(item, raw)
    return suite


def _check_override_used(item: str, raw: Mapping[str, Any]) -> None:
    """An override of a [base] value that every cell replaces changes nothing, so it is an error, typos included.

    [base.embeddings.SIDE] is used only by [[configs]] entries without their own SIDE table, [base.data] keys
    only by [[datasets]] entries that do not set them, and [base.model/train/decode] keys only by
    [[variants]] entries that do not set them.
    """
    parts = item.partition("=")[0].strip().split(".")
    if len(parts) < 3 or parts[0] != "base":
        return  # [suite] keys are checked by name; other tables cannot be reached by --set
    section, key = parts[1], parts[2]
    if section == "embeddings":
        owner, entries = "[[configs]]", raw.get("configs") or []
        shadowed = all(key in table for table in entries)
        what = f"its own [configs.{key}] table, which replaces [base.embeddings.{key}] whole"
    elif section == "data":
        owner, entries = "[[datasets]]", raw.get("datasets") or []
        shadowed = bool(entries) and all(key in table for table in entries)
        what = f"data key '{key}'"
    else:
        owner, entries = "[[variants]]", raw.get("variants") or []
        shadowed = bool(entries) and all(key in table.get(section, {}) for table in entries)
        what = f"{section}.{key}"
    if shadowed:
        raise ConfigError(f"--set {item} applies to no cell: every {owner} entry sets {what}, so the [base] value "
                          f"is never used. Set it in the {owner} entries (edit the suite file), or remove the "
                          f"override; check the key's spelling too.")


def from_dict(raw: Mapping[str, Any], source: str) -> Suite:
    reject_unknown(raw, TOP_KEYS, f"suite file {source}")
    base = _table(raw.get("base", {}), f"{source} [base]")
    settings = _settings(_table(raw.get("suite"), f"{source} [suite]"), source)
    _check_base(base, settings, source)
    _checked(lambda: config_mod.from_dict(base, f"{source} [base]"), f"{source} [base]")
    configs = _configs(raw.get("configs"), base, source)
    if settings.baseline not in [c.name for c in configs]:
        raise ConfigError(f"{source} [suite] baseline: {unknown('configuration', settings.baseline, [c.name for c in configs])} "
                          f"The baseline must be the name of one [[configs]] entry.")
    datasets = _datasets(raw.get("datasets"), base, settings, source)
    variants = _variants(raw.get("variants"), base, source)
    suite = Suite(settings, source, configs, datasets, variants, base)
    suite.cells()  # every cell's config resolves
    return suite


# ---------------------------------------------------------------- the parts


def _settings(table: Mapping[str, Any], source: str) -> Settings:
    where = f"{source} [suite]"
    types = typing.get_type_hints(Settings)
    reject_unknown(table, list(types), where)
    values = {"name": re.sub(r"[^A-Za-z0-9_+-]", "-", Path(source).stem).strip("-_+") or "suite", **table}
    for key in ("baseline", "seeds"):
        if key not in values:
            raise ConfigError(f"{where} needs '{key}': " + ("the name of the [[configs]] entry the others are compared with."
                                                           if key == "baseline" else "a list of training seeds, e.g. seeds = [1, 2, 3]."))
    for key, value in values.items():
        check_type(f"{where} {key}", value, types[key])
    seeds, sizes = values["seeds"], values.get("train_sizes", [])
    _int_list(f"{where} seeds", seeds, low=0, empty_ok=False)
    _int_list(f"{where} train_sizes", sizes, low=1, empty_ok=True)
    if values.get("bootstrap_samples", 1000) < 100:
        raise ConfigError(f"{where} bootstrap_samples = {values['bootstrap_samples']} is too few; use at least 100 (1000 is usual).")
    if not 0 < values.get("alpha", 0.05) < 1:
        raise ConfigError(f"{where} alpha = {values['alpha']} must be between 0 and 1, e.g. 0.05.")
    if values.get("test_size", 0) < 0:
        raise ConfigError(f"{where} test_size = {values['test_size']} must be 0 (whole test sets) or more.")
    _check_name(f"{where} name", values["name"])
    return Settings(**{**values, "seeds": tuple(seeds), "train_sizes": tuple(sizes),
                       "test_sets": tuple(values.get("test_sets", ())), "alpha": float(values.get("alpha", 0.05))})


def _check_base(base: Mapping[str, Any], settings: Settings, source: str) -> None:
    train, data = base.get("train", {}), base.get("data", {})
    if isinstance(train, Mapping) and "seed" in train:
        raise ConfigError(f"{source} [base.train] seed: each cell's seed comes from [suite] seeds; remove it here.")
    if isinstance(train, Mapping) and "out_dir" in train:
        raise ConfigError(f"{source} [base.train] out_dir: each cell trains in OUT/runs/<cell id>; remove it here.")
    if isinstance(data, Mapping) and "train_size" in data and settings.train_sizes:
        raise ConfigError(f"{source}: [base.data] train_size and [suite] train_sizes both set the training size; keep one.")


def _configs(entries: Any, base: Mapping[str, Any], source: str) -> tuple[EmbeddingConfig, ...]:
    from s2s_embed.embeddings.registry import check_spec

    out = []
    for i, table in enumerate(_entries(entries, "configs", source, required=True)):
        where = f"{source} [[configs]] #{i + 1}"
        reject_unknown(table, CONFIG_KEYS, where)
        name = _entry_name(table, where, [c.name for c in out])
        where = f"{source} [[configs]] '{name}'"
        default = base.get("embeddings", {}) if isinstance(base.get("embeddings", {}), Mapping) else {}
        sides = {side: _table(table.get(side, default.get(side, {"name": "random"})), f"{where} {side}")
                 for side in ("source", "target")}
        cfg = _checked(lambda: config_mod.from_dict({**base, "embeddings": sides}, where), where)
        for side in ("source", "target"):
            check_spec(getattr(cfg.embeddings, side), f"{where} {side}")
        description = table.get("description", "")
        check_type(f"{where} description", description, str)
        out.append(EmbeddingConfig(name, sides["source"], sides["target"], description))
    return tuple(out)


def _datasets(entries: Any, base: Mapping[str, Any], settings: Settings, source: str) -> tuple[Dataset, ...]:
    tables = _entries(entries, "datasets", source, required=False) or [{}]
    data_keys = [f.name for f in dataclasses.fields(config_mod.DataConfig) if f.name != "train_size"]
    out = []
    for i, table in enumerate(tables):
        where = f"{source} [[datasets]] #{i + 1}" if entries else f"{source} [base.data]"
        reject_unknown(table, [*DATASET_EXTRA_KEYS, *data_keys], where)
        data = {k: v for k, v in table.items() if k not in DATASET_EXTRA_KEYS}
        cfg = _checked(lambda: config_mod.from_dict(_layer(base, {"data": data}), where), where).data
        name = table.get("name", f"{cfg.corpus}-{cfg.src_lang}-{cfg.trg_lang}")
        if name in [d.name for d in out]:
            raise ConfigError(f"{where}: dataset name '{name}' is used twice; give each [[datasets]] entry its own name.")
        _check_name(f"{where} name", name)
        where = f"{source} [[datasets]] '{name}'" if entries else where
        specs = table.get("test_sets", settings.test_sets)
        out.append(Dataset(name, data, _test_sets(specs, cfg, where, source)))
    return tuple(out)


def _test_sets(specs: Any, data: config_mod.DataConfig, where: str, source: str) -> tuple[TestSetSpec, ...]:
    builtin = CORPORA[data.corpus].test_sets if data.corpus in CORPORA else ()
    options = ", ".join(builtin) if builtin else "none built in"
    if not isinstance(specs, (list, tuple)) or not specs:
        raise ConfigError(f"{where}: no test sets. Set test_sets in [suite] (or in the dataset), e.g. test_sets = "
                          f"[\"{builtin[0] if builtin else 'mine'}\"]; test sets of corpus '{data.corpus}': {options}, "
                          f"or files as {{name = ..., src = ..., ref = ...}}.")
    out: list[TestSetSpec] = []
    for spec in specs:
        if isinstance(spec, str):
            if spec not in builtin:
                raise ConfigError(f"{where} test_sets: '{spec}' is not a test set of corpus '{data.corpus}'. "
                                  f"Available: {options}; or give files as {{name = ..., src = ..., ref = ...}}."
                                  f"{did_you_mean(spec, builtin)}")
            item = TestSetSpec(spec)
        elif isinstance(spec, Mapping):
            reject_unknown(spec, TEST_FILE_KEYS, f"{where} test_sets entry")
            missing = [k for k in TEST_FILE_KEYS if not isinstance(spec.get(k), str) or not spec.get(k)]
            if missing:
                raise ConfigError(f"{where} test_sets entry {dict(spec)}: needs {', '.join(missing)} (strings): "
                                  f"a name and the source and reference files.")
            item = TestSetSpec(spec["name"], spec["src"], spec["ref"])
        else:
            raise ConfigError(f"{where} test_sets: {spec!r} must be a test set name or a {{name, src, ref}} table.")
        _check_name(f"{where} test set name", item.name)
        if item.name in [t.name for t in out]:
            raise ConfigError(f"{where} test_sets: '{item.name}' is listed twice.")
        out.append(item)
    return tuple(out)


def _variants(entries: Any, base: Mapping[str, Any], source: str) -> tuple[Variant, ...]:
    tables = _entries(entries, "variants", source, required=False)
    if not tables:
        return (Variant("base", {}),)
    out = []
    for i, table in enumerate(tables):
        where = f"{source} [[variants]] #{i + 1}"
        reject_unknown(table, ["name", *VARIANT_SECTIONS], where)
        name = _entry_name(table, where, [v.name for v in out])
        where = f"{source} [[variants]] '{name}'"
        sections = {k: _table(v, f"{where} {k}") for k, v in table.items() if k != "name"}
        for key in ("seed", "out_dir"):
            if key in sections.get("train", {}):
                raise ConfigError(f"{where} train.{key} is set by the runner for each cell; remove it here.")
        _checked(lambda: config_mod.from_dict(_layer(base, sections), where), where)
        out.append(Variant(name, sections))
    return tuple(out)


# ---------------------------------------------------------------- helpers


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

