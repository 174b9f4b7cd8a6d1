"""The sentences every cell is scored on: a built-in test set (synthetic, Multi30K) or files.

Test sets are read once per dataset before any training, so a missing file
stops the suite before the first cell, and are written to
`OUT/testsets/<dataset>.<name>.{src,ref}.txt` (kept out of git), so the
report can score saved hypotheses that have no saved statistics yet.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from s2s_embed import atomic
from s2s_embed.benchmark.suite import Suite, TestSetSpec
from s2s_embed.config import DataConfig
from s2s_embed.data.corpora import CORPORA, synthetic_test_set  # noqa: F401 (synthetic_test_set: re-exported)
from s2s_embed.data.corpus import ParallelText, read_lines, read_parallel_files
from s2s_embed.errors import DataError

FOLDER = "testsets"


@dataclass(frozen=True)
class TestSet:
    dataset: str
    name: str
    src: tuple[str, ...]
    ref: tuple[str, ...]

    @property
    def digest(self) -> str:
        """Identifies the sentences: a finished cell counts only if it was scored on these."""
        return pairs_digest(self.src, self.ref)


def pairs_digest(src: Sequence[str], trg: Sequence[str]) -> str:
    """A short SHA-256 of aligned sentences: data is known by its content, wherever its files lie."""
    return hashlib.sha256("\n".join((*src, "\t", *trg)).encode("utf-8")).hexdigest()[:16]


def load_test_sets(suite: Suite) -> dict[str, tuple[TestSet, ...]]:
    """Every dataset's test sets, by dataset name."""
    found: dict[str, tuple[TestSet, ...]] = {}
    data_of = suite.data_configs()
    for dataset in suite.datasets:
        sets = []
        for spec in dataset.test_sets:
            text = _read(spec, data_of[dataset.name], suite.settings.test_size)
            sets.append(TestSet(dataset.name, spec.name, tuple(text.src), tuple(text.trg)))
        found[dataset.name] = tuple(sets)
    return found


def check_corpora(suite: Suite) -> dict[str, dict[str, str]]:
    """Read every dataset's training and validation pairs once, so a missing corpus stops the suite before training.

    Returns each dataset's digest of them, {"train": ..., "valid": ...} (all training pairs, before any
    train_size cut), by dataset name.
    """
    from s2s_embed.data.dataset import load_corpus

    digests = {}
    for name, data in suite.data_configs().items():
        texts = {split: load_corpus(data, split) for split in ("train", "valid")}
        digests[name] = {split: pairs_digest(text.src, text.trg) for split, text in texts.items()}
    return digests


def write_test_sets(found: dict[str, tuple[TestSet, ...]], out: Path) -> None:
    """Sources and references under OUT/testsets/, for the report."""
    for sets in found.values():
        for test in sets:
            _write_lines(src_path(out, test.dataset, test.name), test.src)
            _write_lines(ref_path(out, test.dataset, test.name), test.ref)


def src_path(out: Path, dataset: str, name: str) -> Path:
    return Path(out) / FOLDER / f"{dataset}.{name}.src.txt"


def ref_path(out: Path, dataset: str, name: str) -> Path:
    return Path(out) / FOLDER / f"{dataset}.{name}.ref.txt"


def read_refs(out: Path, dataset: str, name: str) -> list[str]:
    path = ref_path(out, dataset, name)
    if not path.is_file():
        raise DataError(f"{path} is missing: the results folder is incomplete. Rerun the suite into it to restore it.")
    return read_lines(path)


def _read(spec: TestSetSpec, data: DataConfig, size: int) -> ParallelText:
    if spec.src:
        text = read_parallel_files(spec.src, spec.ref, name=spec.name)
        return text.head(size) if size else text
    return CORPORA[data.corpus].read_test(data, spec.name, size)


def _write_lines(path: Path, lines: tuple[str, ...]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, "".join(line + "\n" for line in lines))
