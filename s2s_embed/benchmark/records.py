"""The benchmark's records: a cell's result row, its scores on one test set, a comparison and its power.

Each is a frozen dataclass with `to_json` and `from_json`. Reading is
tolerant, so the rows already published stay readable as s2s-embed grows:

* a field missing from the JSON takes its default (None: not recorded);
* a key no field knows is kept in `extra` and written back, so rewriting a
  row loses nothing;
* a field that is None is not written (a failed row has no scores, a
  comparison that did not run has only its note), except where None is itself
  the value (`Power.seeds_for_effect`: "more than max_seeds").

So `Row.from_json(d).to_json() == d` for every published row.

The report's JSON keeps the keys it has always had (`vs_baseline_bleu`,
`power_bleu`, `per_seed_bleu`, ...): they are spelt once, here, in
`TestRow.to_json` and `TestRow.from_json`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from s2s_embed import stats
from s2s_embed.errors import DataError

OK, FAILED = "ok", "failed"


class _Record:
    """to_json/from_json for a flat frozen dataclass whose last field is `extra` (the keys no field knows)."""

    ALWAYS: ClassVar[tuple[str, ...]] = ()  # fields written even when None

    @classmethod
    def _names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if f.name != "extra"]

    @classmethod
    def _split(cls, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        names = set(cls._names())
        return ({k: v for k, v in data.items() if k in names}, {k: v for k, v in data.items() if k not in names})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]):
        known, extra = cls._split(data)
        return cls(**known, extra=extra)

    def _value(self, name: str) -> Any:
        return getattr(self, name)

    def to_json(self) -> dict[str, Any]:
        out = {}
        for name in self._names():
            value = self._value(name)
            if value is not None or name in self.ALWAYS:
                out[name] = value
        return {**out, **{k: v for k, v in self.extra.items() if k not in out}}


# ---------------------------------------------------------------- a cell's row


@dataclass(frozen=True)
class Scores(_Record):
    """A cell's scores on one test set (translate.evaluate_translator, plus the test set's digest and word facts)."""

    n_sentences: int | None = None
    bleu: float | None = None
    chrf: float | None = None
    bleu_details: dict[str, Any] | None = None
    bleu_signature: dict[str, Any] | None = None
    chrf_signature: dict[str, Any] | None = None
    bleu_signature_str: str | None = None
    chrf_signature_str: str | None = None
    bleu_tok_lc: float | None = None
    decode: dict[str, Any] | None = None
    truncated: int | None = None  # translations cut at max_len
    digest: str | None = None  # of the test set's sentences
    rare_words: dict[str, Any] | None = None  # rare_words.BucketCounts.to_json()
    source_tokens: dict[str, Any] | None = None  # the test sources' <unk> and pretrained shares
    extra: dict[str, Any] = field(default_factory=dict)

    def score(self, name: str) -> float | None:
        """The score called `name` ("bleu", "chrf" or "bleu_tok_lc"); None where not recorded."""
        if name not in SCORE_NAMES:
            raise KeyError(f"No score {name!r}; the scores are {', '.join(SCORE_NAMES)}.")
        return getattr(self, name)


SCORE_NAMES = ("bleu", "chrf", "bleu_tok_lc")


@dataclass(frozen=True, kw_only=True)
class Row(_Record):
    """One line of results.jsonl: a cell (its identity and config), how it ran, and its scores per test set."""

    ALWAYS = ("cell_id", "config_name", "dataset", "variant", "train_size", "seed", "config", "status")

    suite: str | None = None  # the run's context: the same for every cell of a run
    commit: str | None = None
    dirty: bool | None = None
    cell_id: str
    config_name: str
    dataset: str
    variant: str
    train_size: int | None
    seed: int
    config: dict[str, Any]
    # what training left in the model folder (cell._training_facts), for an ok row
    embeddings: dict[str, Any] | None = None
    coverage: dict[str, Any] | None = None
    best_epoch: int | None = None
    epochs_run: int | None = None
    still_improving: bool | None = None  # best validation loss at the last epoch (None: see `improving`)
    best_valid_loss: float | None = None
    best_valid_ppl: float | None = None
    valid_losses: list[float] | None = None
    train_losses: list[float] | None = None
    train_seconds: float | None = None
    tokens_per_s: float | None = None
    parameters: int | None = None
    data: dict[str, Any] | None = None
    device: str | None = None
    test: dict[str, Scores] | None = None  # by test set name
    status: str = FAILED  # OK or FAILED
    error: str | None = None  # a failed row: what went wrong
    traceback: str | None = None
    model_folder: str | None = None  # relative to the results folder
    machine: dict[str, Any] | None = None
    started_at: str | None = None
    finished_at: str | None = None
    cell_seconds: float | None = None
    recreated: dict[str, Any] | None = None  # a re-created cell against its first run
    tests_added: dict[str, Any] | None = None  # test sets scored later by the kept model
    data_digest: dict[str, str] | None = None  # of the data it trained on, by split
    worker: str | None = None  # the Dask worker that ran it
    backfilled: dict[str, Any] | None = None  # what a script added to the row later, and when
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_cell(cls, cell, config: Mapping[str, Any], context: Mapping[str, Any], **fields: Any) -> Row:
        """A new row for `cell` (a suite.Cell) of the run `context` (suite, commit, dirty), with `fields`."""
        known, extra = cls._split(context)
        return cls(cell_id=cell.id, config_name=cell.config, dataset=cell.dataset, variant=cell.variant,
                   train_size=cell.train_size, seed=cell.seed, config=dict(config), model_folder=f"runs/{cell.id}",
                   **{**known, **fields}, extra=extra)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Row:
        known, extra = cls._split(data)
        missing = [name for name in cls.ALWAYS if name not in known and name != "status"]
        if missing:
            raise DataError(f"The result row of {data.get('cell_id', 'a cell')} lacks {', '.join(missing)}: it is "
                            f"not a row s2s-embed wrote. Delete it from results.jsonl and run the suite again.")
        if known.get("test") is not None:
            known["test"] = {name: s if isinstance(s, Scores) else Scores.from_json(s)
                             for name, s in known["test"].items()}
        return cls(**known, extra=extra)

    def _value(self, name: str) -> Any:
        if name == "test" and self.test is not None:
            return {name: s.to_json() for name, s in self.test.items()}
        return getattr(self, name)

    @property
    def ok(self) -> bool:
        return self.status == OK

    def scores_on(self, test_set: str) -> Scores | None:
        return (self.test or {}).get(test_set)

    @property
    def improving(self) -> bool:
        """Still improving at its last epoch: as recorded, or from best and last epoch for older rows."""
        if self.still_improving is not None:
            return self.still_improving
        return self.best_epoch == self.epochs_run

    def replace(self, **changes: Any) -> Row:
        return dataclasses.replace(self, **changes)


# ---------------------------------------------------------------- comparisons


@dataclass(frozen=True)
class Comparison(_Record):
    """A test of a configuration against the baseline (stats.seed_bootstrap_stats, seed_level_test or
    paired_bootstrap_stats), with Holm's adjustment and the call where it was made; or the note that says why
    it did not run (`not_computed`: its data was missing, which the report shows at its top)."""

    delta: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    se: float | None = None
    df: float | None = None  # inf (JSON null) when nothing varied
    test: str | None = None  # which test
    parts: dict[str, Any] | None = None  # the design (seed variances and counts, test-set variance): for power
    p_holm: float | None = None
    significant: bool | None = None
    note: str | None = None
    not_computed: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def skipped(cls, note: str, not_computed: bool = False) -> Comparison:
        return cls(note=note, not_computed=not_computed or None)

    @property
    def ran(self) -> bool:
        return self.p_value is not None

    @property
    def excludes_zero(self) -> bool:
        return self.ran and (self.ci_low > 0 or self.ci_high < 0)

    def adjusted(self, p_holm: float, alpha: float) -> Comparison:
        """With its Holm-adjusted p and the call: significant when the interval excludes 0 and p_holm < alpha."""
        return dataclasses.replace(self, p_holm=p_holm,
                                   significant=stats.significant(self.ci_low, self.ci_high, p_holm, alpha))


def holm(comparisons: Sequence[Comparison], alpha: float) -> list[Comparison]:
    """The comparisons that ran, Holm-adjusted together and called; the others as they were."""
    adjusted = iter(stats.holm([c.p_value for c in comparisons if c.ran]))
    return [c.adjusted(next(adjusted), alpha) if c.ran else c for c in comparisons]


@dataclass(frozen=True)
class Power(_Record):
    """What a comparison's design could have seen (stats.power_of): the difference it detects with `power`, the
    rate at which it detects `effect`, and the seeds per configuration that would detect `effect` (None: more
    than `max_seeds`); or the note that says why there is none."""

    mde: float | None = None
    power: float | None = None
    alpha: float | None = None
    effect: float | None = None
    rate_at_effect: float | None = None
    seeds_for_effect: int | None = None
    max_seeds: int | None = None
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        return self.mde is not None

    def to_json(self) -> dict[str, Any]:
        if not self.known:
            return {**({"note": self.note} if self.note is not None else {}), **self.extra}
        out = {name: getattr(self, name) for name in self._names() if name != "note"}
        return {**out, **({"note": self.note} if self.note is not None else {}), **self.extra}


# ---------------------------------------------------------------- the analysis of one test set


def _key(kind: str, metric: str) -> str:
    """The report.json key of a test row's comparisons, power and per-seed tests on `metric`."""
    return f"{kind}_{metric}"


@dataclass(frozen=True)
class TestRow:
    """One configuration on one test set of a group: mean ± std of its scores over seeds and, for a
    configuration other than the baseline, its comparisons by metric ("bleu", "chrf")."""

    __test__ = False  # not a pytest class

    config: str
    baseline: bool
    n: int
    seeds: list[int]
    scores: dict[str, dict[str, Any]]  # by score name: {"mean", "std", "n"}
    signatures: dict[str, Any]
    vs_baseline: dict[str, Comparison] = field(default_factory=dict)  # primary, Holm-adjusted
    power: dict[str, Power] = field(default_factory=dict)
    per_seed: dict[str, dict[str, Comparison]] = field(default_factory=dict)  # secondary: by metric, then seed
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"config": self.config, "baseline": self.baseline, "n": self.n, "seeds": self.seeds,
                               **self.scores, "signatures": self.signatures}
        for metric in dict.fromkeys([*self.vs_baseline, *self.power, *self.per_seed]):
            if metric in self.vs_baseline:
                out[_key("vs_baseline", metric)] = self.vs_baseline[metric].to_json()
            if metric in self.power:
                out[_key("power", metric)] = self.power[metric].to_json()
            if metric in self.per_seed:
                out[_key("per_seed", metric)] = {seed: c.to_json() for seed, c in self.per_seed[metric].items()}
        return {**out, **self.extra}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TestRow:
        rest = dict(data)
        head = {k: rest.pop(k) for k in ("config", "baseline", "n", "seeds")}
        scores = {name: rest.pop(name) for name in SCORE_NAMES if name in rest}
        signatures = rest.pop("signatures", {})
        typed: dict[str, dict] = {"vs_baseline": {}, "power": {}, "per_seed": {}}
        for key in list(rest):
            kind = next((k for k in typed if key.startswith(_key(k, ""))), None)
            if kind is None:
                continue
            metric, value = key[len(_key(kind, "")):], rest.pop(key)
            if kind == "vs_baseline":
                typed[kind][metric] = Comparison.from_json(value)
            elif kind == "power":
                typed[kind][metric] = Power.from_json(value)
            else:
                typed[kind][metric] = {seed: Comparison.from_json(c) for seed, c in value.items()}
        return cls(**head, scores=scores, signatures=signatures, **typed, extra=rest)

    def columns(self) -> list[tuple[str, Comparison]]:
        """Every comparison with the report.json key it stands under: primary ones first, then per seed."""
        primary = [(_key("vs_baseline", m), c) for m, c in self.vs_baseline.items()]
        return primary + [(_key("per_seed", m), c) for m, seeds in self.per_seed.items() for c in seeds.values()]

    def comparison(self, metric: str) -> Comparison:
        """The primary comparison on `metric`; one that says "not tested" where there is none (the baseline)."""
        return self.vs_baseline.get(metric) or Comparison.skipped("not tested")

    def power_of(self, metric: str) -> Power:
        return self.power.get(metric) or Power(note="not tested")
