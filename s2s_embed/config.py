"""Configuration: one frozen dataclass per TOML section, defaults beside their meaning.

Loading rejects unknown keys (listing the valid ones) and values of the wrong
type or outside their choices, naming the key. `--set section.key=value`
overrides are applied to the raw tables before validation, so they are
checked the same way.
"""
from __future__ import annotations

import dataclasses
import json
import math
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from s2s_embed.devices import DEVICES
from s2s_embed.embeddings.spec import EmbeddingSpec
from s2s_embed.errors import ConfigError, did_you_mean
from s2s_embed.model.attention import KINDS

ATTENTIONS = tuple(KINDS)  # none, bahdanau, luong: each kind is a class in model/attention.py, listed in KINDS


@dataclass(frozen=True)
class DataConfig:
    corpus: str = "synthetic"  # synthetic | multi30k | files | tsv
    src_lang: str = "en"
    trg_lang: str = "fr"
    lowercase: bool = True  # lowercase tokens on both sides (the tutorials do)
    min_freq: int = 2  # a token needs this many training occurrences to enter the vocabulary
    max_vocab_size: int = 0  # 0 = no limit
    max_len: int = 50  # drop training pairs with more tokens than this on either side
    train_size: int = 0  # use only the first N training pairs; 0 = all
    # corpus = "synthetic": the project's own generated English/French corpus
    synthetic_size: int = 12000
    synthetic_seed: int = 0
    # corpus = "multi30k": a folder with {split}.{lang}.gz; empty = $S2S_EMBED_MULTI30K or download to the cache
    multi30k_root: str = ""
    # corpus = "files": aligned text files (plain or .gz)
    train_src: str = ""
    train_trg: str = ""
    valid_src: str = ""
    valid_trg: str = ""
    # corpus = "tsv": source<TAB>target[<TAB>ignored...]; validation split off the end when valid_tsv is empty
    train_tsv: str = ""
    valid_tsv: str = ""
    valid_fraction: float = 0.05

    def check(self) -> None:
        from s2s_embed.data.corpora import CORPORA

        _choice("data.corpus", self.corpus, tuple(CORPORA))
        _positive("data.min_freq", self.min_freq)
        _positive("data.max_len", self.max_len)
        _at_least("data.max_vocab_size", self.max_vocab_size, 0)
        _at_least("data.train_size", self.train_size, 0)
        if not 0 < self.valid_fraction < 1:
            raise ConfigError(f"data.valid_fraction = {self.valid_fraction} must be between 0 and 1.")
        needs = {"files": ("train_src", "train_trg", "valid_src", "valid_trg"), "tsv": ("train_tsv",)}
        for key in needs.get(self.corpus, ()):
            if not getattr(self, key):
                raise ConfigError(f"data.{key} must name a file when data.corpus = '{self.corpus}'.")


@dataclass(frozen=True)
class ModelConfig:
    hidden_size: int = 512
    num_layers: int = 2
    dropout: float = 0.5
    bidirectional: bool = False  # bidirectional encoder; the decoder's state is then twice hidden_size
    attention: str = "none"  # none (the encoder's final state is the only context) | bahdanau | luong
    init_range: float = 0.0  # > 0: LSTM, attention and dense weights from U(-r, r) (Sutskever: 0.08); 0 = torch's

    def check(self) -> None:
        _at_least("model.init_range", self.init_range, 0)
        _positive("model.hidden_size", self.hidden_size)
        _positive("model.num_layers", self.num_layers)
        _probability("model.dropout", self.dropout)
        _choice("model.attention", self.attention, tuple(KINDS))


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128
    lr: float = 0.001  # Adam
    clip: float = 1.0  # gradient norm clipping
    teacher_forcing: float = 0.5  # chance, per decoder step, of feeding the gold previous token
    patience: int = 3  # stop after this many epochs without a better validation loss; 0 = never
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    bucket: bool = True  # batch sentences of similar length together
    exact_lengths: bool = False  # with bucket: batches of one source length where the corpus allows
    out_dir: str = "runs/example"

    def check(self) -> None:
        _positive("train.epochs", self.epochs)
        _positive("train.batch_size", self.batch_size)
        if self.lr <= 0:
            raise ConfigError(f"train.lr = {self.lr} must be positive.")
        if self.clip <= 0:
            raise ConfigError(f"train.clip = {self.clip} must be positive.")
        _probability("train.teacher_forcing", self.teacher_forcing)
        _at_least("train.patience", self.patience, 0)
        if not 0 <= self.seed < 2**32:
            raise ConfigError(f"train.seed = {self.seed} must be a whole number from 0 to {2**32 - 1} "
                              f"(numpy's and torch's generators take no negative seed).")
        _choice("train.device", self.device, DEVICES)


@dataclass(frozen=True)
class DecodeConfig:
    beam_size: int = 1  # 1 = greedy
    max_len: int = 50  # longest output, in tokens
    length_penalty: float = 1.0  # beam scores are divided by length ** length_penalty
    batch_size: int = 64

    def check(self) -> None:
        _positive("decode.beam_size", self.beam_size)
        _positive("decode.max_len", self.max_len)
        _positive("decode.batch_size", self.batch_size)
        _at_least("decode.length_penalty", self.length_penalty, 0)


@dataclass(frozen=True)
class EmbeddingsConfig:
    source: EmbeddingSpec = field(default_factory=lambda: EmbeddingSpec(dim=256))
    target: EmbeddingSpec = field(default_factory=lambda: EmbeddingSpec(dim=256))


@dataclass(frozen=True)
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    decode: DecodeConfig = field(default_factory=DecodeConfig)
    embeddings: EmbeddingsConfig = field(default_factory=EmbeddingsConfig)

    def to_dict(self) -> dict[str, Any]:
        out = {s: dataclasses.asdict(getattr(self, s)) for s in ("data", "model", "train", "decode")}
        out["embeddings"] = {"source": self.embeddings.source.to_table(), "target": self.embeddings.target.to_table()}
        return out

    def replace(self, **sections: Any) -> Config:
        return dataclasses.replace(self, **sections)


SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig, "decode": DecodeConfig}
# Where a run's files lie. A moved model folder or data file is the same run: the benchmark knows data by its
# digest, and a resumed training checks that the data gives the vocabularies it was trained with.
LOCATIONS = ("train.out_dir", "data.multi30k_root", "data.train_src", "data.train_trg", "data.valid_src",
             "data.valid_trg", "data.train_tsv", "data.valid_tsv")


def from_dict(raw: Mapping[str, Any], where: str = "config") -> Config:
    """Build and check a Config from nested tables; every key is checked."""
    reject_unknown(raw, [*SECTIONS, "embeddings"], where)
    sections = {name: _section(cls, raw.get(name, {}), name) for name, cls in SECTIONS.items()}
    sides = raw.get("embeddings", {})
    if not isinstance(sides, Mapping):
        raise ConfigError(f"[embeddings] in {where} must be a table with [embeddings.source] and [embeddings.target].")
    reject_unknown(sides, ["source", "target"], f"{where} [embeddings]")
    default = EmbeddingsConfig()
    specs = {}
    for side in ("source", "target"):
        table = sides.get(side)
        if table is None:
            specs[side] = getattr(default, side)
        elif not isinstance(table, Mapping):
            raise ConfigError(f"embeddings.{side} in {where} must be a table.")
        else:
            specs[side] = EmbeddingSpec.from_table(table, f"embeddings.{side}")
    return Config(**sections, embeddings=EmbeddingsConfig(**specs))


def load(path: str | Path | None, overrides: Sequence[str] = ()) -> Config:
    """Read a TOML file (or start from defaults when path is None) and apply `key=value` overrides."""
    raw: dict[str, Any] = {}
    where = "defaults"
    if path is not None:
        path = Path(path)
        where = str(path)
        if path.is_dir():
            raise ConfigError(f"Config file {path} is a folder, not a TOML file. Give the config file itself "
                              f"(e.g. {path / 'config.toml'}), or no path for the defaults.")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Config file {path} does not exist.") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Config file {path} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"Config file {path} cannot be read: {exc.strerror or exc}.") from None
    for item in overrides:
        apply_override(raw, item)
    return from_dict(raw, where)


def apply_override(raw: dict[str, Any], item: str) -> None:
    """Apply one `a.b.c=value` override; the value is read as TOML, else taken as a string."""
    key, sep, text = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {item!r} must look like section.key=value, e.g. train.epochs=5.")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    *parents, leaf = key.strip().split(".")
    table = raw
    for part in parents:
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            raise ConfigError(f"--set {item!r}: '{part}' is a value, not a section.")
    table[leaf] = value


def comparable(table: Mapping[str, Any], ignore: Sequence[str] = LOCATIONS) -> dict[str, Any]:
    """A config's tables, resolved (a key added to s2s-embed since they were saved takes its default), without
    the `ignore`d keys ("section.key")."""
    try:
        out = from_dict(table).to_dict()
    except ConfigError:
        out = json.loads(json.dumps(table))
    for dotted in ignore:
        section, _, key = dotted.partition(".")
        if isinstance(out.get(section), dict):
            out[section].pop(key, None)
    return out


def diff(saved: Mapping[str, Any], wanted: Mapping[str, Any], ignore: Sequence[str] = LOCATIONS) -> str:
    """"section.key: saved -> wanted; ..." for the settings two configs differ in, the `ignore`d keys aside
    (the first five, sorted); "" when they describe the same run."""
    a, b = comparable(saved, ignore), comparable(wanted, ignore)
    changes = []
    for section in sorted(set(a) | set(b)):
        old_table, new_table = a.get(section, {}), b.get(section, {})
        if not (isinstance(old_table, dict) and isinstance(new_table, dict)):
            if old_table != new_table:
                changes.append(f"{section}: {old_table!r} -> {new_table!r}")
            continue
        for key in sorted(set(old_table) | set(new_table)):
            old, new = old_table.get(key), new_table.get(key)
            if old != new:
                changes.append(f"{section}.{key}: {old!r} -> {new!r}")
    return "; ".join(changes[:5])


def _section(cls: type, table: Any, name: str) -> Any:
    if not isinstance(table, Mapping):
        raise ConfigError(f"[{name}] must be a table of keys.")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    reject_unknown(table, list(fields), f"[{name}]")
    hints = typing.get_type_hints(cls)
    for key, value in table.items():
        check_type(f"{name}.{key}", value, hints[key])
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{name}.{key} = {value} is not a finite number; give a real value "
                              f"(the default is {fields[key].default!r}).")
    section = cls(**{k: float(v) if hints[k] is float else v for k, v in table.items()})
    section.check()
    return section


def check_type(key: str, value: Any, hint: Any) -> None:
    """`value` is of the type `hint` (a class, a union, or tuple[...] for a TOML array); an int passes as a float,
    a bool never as a number."""
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    allowed = tuple(list if typing.get_origin(t) is tuple else t for t in allowed)
    ok = any(
        (t is float and isinstance(value, (int, float)) and not isinstance(value, bool))
        or (t is int and isinstance(value, int) and not isinstance(value, bool))
        or (t not in (int, float) and isinstance(value, t))
        for t in allowed
    )
    if not ok:
        names = " or ".join(getattr(t, "__name__", str(t)) for t in allowed)
        raise ConfigError(f"{key} = {value!r} has the wrong type: expected {names}.")


def reject_unknown(table: Mapping[str, Any], valid: Sequence[str], where: str) -> None:
    """Each key of `table` is one of `valid`; the error lists them and the nearest."""
    for key in table:
        if key not in valid:
            raise ConfigError(f"Unknown key '{key}' in {where}. Valid keys: {', '.join(valid)}."
                              f"{did_you_mean(key, list(valid))}")


def _choice(key: str, value: str, options: Sequence[str]) -> None:
    if value not in options:
        raise ConfigError(f"{key} = {value!r} is not valid. Choose one of: {', '.join(options)}.{did_you_mean(value, options)}")


def _positive(key: str, value: int) -> None:
    _at_least(key, value, 1)


def _at_least(key: str, value: float, low: float) -> None:
    if value < low:
        raise ConfigError(f"{key} = {value} must be at least {low}.")


def _probability(key: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{key} = {value} must be between 0 and 1.")
