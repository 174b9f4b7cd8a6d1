"""The sentences every cell is scored on: a built-in test set (synthetic, Multi30K) or files.

Test sets are read once per dataset before any training, so a missing file
stops the suite before the first cell, and are written to
`OUT/testsets/<dataset>.<name>.{src,ref}.txt` (kept out of git), so the
report can score saved hypotheses that have no saved statistics yet.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from s2s_embed.benchmark.suite import SYNTHETIC_TEST_SIZE, Suite, TestSetSpec
from s2s_embed.config import DataConfig
from s2s_embed.data.corpus import ParallelText, read_lines, read_parallel_files
from s2s_embed.errors import DataError

SYNTHETIC_TEST_SEED_OFFSET = 15485863  # the test set's seed, away from those of training and validation
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
    elif spec.name == "synthetic":
        text = synthetic_test_set(data, size or SYNTHETIC_TEST_SIZE)
    else:
        from s2s_embed.data import multi30k

        text = multi30k.load_split(spec.name, data.src_lang, data.trg_lang, root=data.multi30k_root or None)
    return text.head(size) if size else text


def synthetic_test_set(data: DataConfig, size: int) -> ParallelText:
    """`size` generated pairs whose source occurs in neither the training nor the validation set."""
    from s2s_embed.data.dataset import load_corpus
    from s2s_embed.data.synthetic import synthetic_corpus

    seen = set(load_corpus(data, "train").src) | set(load_corpus(data, "valid").src)
    seed = data.synthetic_seed + SYNTHETIC_TEST_SEED_OFFSET
    drawn = size + size // 5
    for _ in range(6):  # the generator's sentence space is large: one or two draws normally suffice
        pool = synthetic_corpus(drawn, seed, data.src_lang, data.trg_lang)
        keep = [i for i, s in enumerate(pool.src) if s not in seen][:size]
        if len(keep) == size:
            return ParallelText([pool.src[i] for i in keep], [pool.trg[i] for i in keep], f"{pool.name}[test]")
        drawn *= 2
    raise DataError(f"Could not draw {size} synthetic test sentences unseen in training (found {len(keep)} in {drawn // 2}); "
                    f"lower [suite] test_size or data.synthetic_size.")


def _write_lines(path: Path, lines: tuple[str, ...]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    os.replace(tmp, path)
