"""Finding a suite file (built-in or a path), reading it, and checking each of its parts into a `Suite`."""
from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from s2s_embed import config as config_mod
from s2s_embed.benchmark.suite.checks import _check_name, _checked, _entries, _entry_name, _int_list, _layer, _table
from s2s_embed.benchmark.suite.grid import Dataset, EmbeddingConfig, Settings, Suite, TestSetSpec, Variant
from s2s_embed.config import check_type, reject_unknown
from s2s_embed.data.corpora import CORPORA
from s2s_embed.errors import ConfigError, did_you_mean, unknown

BUILTIN_DIR = Path(__file__).parents[1] / "suites"
TOP_KEYS = ("suite", "base", "configs", "datasets", "variants")
CONFIG_KEYS = ("name", "description", "source", "target", "train_sizes")
VARIANT_SECTIONS = ("model", "train", "decode")
DATASET_EXTRA_KEYS = ("name", "test_sets")
TEST_FILE_KEYS = ("name", "src", "ref")
# built-in test sets per corpus; other corpora name their test files as {name, src, ref} tables
# Multi30K's held-out test sets (test_2017_mscoco, test_2018_flickr) are read from data.multi30k_root only.


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
    configs = _configs(raw.get("configs"), base, settings, source)
    if settings.baseline not in [c.name for c in configs]:
        raise ConfigError(f"{source} [suite] baseline: {unknown('configuration', settings.baseline, [c.name for c in configs])} "
                          f"The baseline must be the name of one [[configs]] entry.")
    baseline = next(c for c in configs if c.name == settings.baseline)
    if baseline.train_sizes and set(baseline.train_sizes) != set(settings.train_sizes):
        raise ConfigError(f"{source} [[configs]] '{baseline.name}' train_sizes: the baseline is compared with every "
                          f"configuration, so it runs at every [suite] train_sizes {list(settings.train_sizes)}; "
                          f"remove train_sizes from it.")
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


def _configs(entries: Any, base: Mapping[str, Any], settings: Settings, source: str) -> tuple[EmbeddingConfig, ...]:
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
        out.append(EmbeddingConfig(name, sides["source"], sides["target"], description,
                                   _config_sizes(table, settings, where)))
    return tuple(out)


def _config_sizes(table: Mapping[str, Any], settings: Settings, where: str) -> tuple[int, ...]:
    """A config's own `train_sizes`: some of the [suite] train_sizes (empty = all of them)."""
    if "train_sizes" not in table:
        return ()
    sizes = table["train_sizes"]
    check_type(f"{where} train_sizes", sizes, list)
    _int_list(f"{where} train_sizes", sizes, low=1, empty_ok=False)
    if not settings.train_sizes:
        raise ConfigError(f"{where} train_sizes: the [suite] table sets no train_sizes to choose from; "
                          f"set [suite] train_sizes, e.g. train_sizes = {list(sizes)}.")
    extra = [n for n in sizes if n not in settings.train_sizes]
    if extra:
        raise ConfigError(f"{where} train_sizes {extra}: not in [suite] train_sizes {list(settings.train_sizes)}; "
                          f"a configuration runs at some of the suite's sizes.")
    return tuple(sizes)


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
