"""Each cell's per-sentence sufficient statistics of BLEU and chrF, kept beside its translations.

    OUT/runs/<cell id>/stats.<test set>.npz
        bleu    (sentences, 10) counts: hyp_len, ref_len, matches and totals for n = 1..4
        chrf    (sentences, 18) counts: hyp, ref and match per character n-gram order
        header  JSON: format, test set and its digest, the hypotheses' SHA-256, sacreBLEU's signatures

The report's intervals and p-values need only these counts (`stats.corpus_scores`
turns summed counts into the corpus score), not the sentences. So a results
folder rebuilds its report from git alone, although its test sets' references
stay out of the repository (Multi30K must). The file is written when a cell is
scored; `for_run` reads it, or computes the counts from the saved hypotheses
and the folder's references where it is absent or stale.

The file is a plain NumPy .npz (no pickles) written with fixed zip timestamps,
so the same counts give the same bytes.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from s2s_embed import atomic, evaluate, stats
from s2s_embed.benchmark.records import Row
from s2s_embed.errors import DataError

FORMAT = "s2s-embed-sentence-stats/1"
METRICS = ("bleu", "chrf")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class MissingStats(DataError):
    """A run has neither saved statistics nor both its hypotheses and the references to compute them."""


def stats_path(folder: Path, test_set: str) -> Path:
    return Path(folder) / f"stats.{test_set}.npz"


def hyps_digest(hyps: Sequence[str]) -> str:
    """SHA-256 of the hypotheses as hyps.<test set>.txt holds them (one line each)."""
    return hashlib.sha256("".join(h + "\n" for h in hyps).encode("utf-8")).hexdigest()


def compute(hyps: Sequence[str], refs: Sequence[str], name: str = "hypotheses") -> dict[str, np.ndarray]:
    """Each metric's per-sentence statistics of one run, (sentences, K) integer counts."""
    found = {}
    for metric in METRICS:
        counts = stats.sentence_stats([hyps], refs, metric, [name])[0]
        found[metric] = counts.astype(np.int32)
        if not np.array_equal(found[metric], counts):
            raise DataError(f"sacreBLEU's {metric} statistics of {name} are not whole counts; this sacreBLEU "
                            f"version cannot be saved as {FORMAT}.")
    return found


def write(folder: Path, test_set: str, test_digest: str | None, hyps: Sequence[str], refs: Sequence[str]) -> Path:
    """Compute and save the statistics of `hyps` (a cell's translations of `test_set`) against `refs`."""
    counts = compute(hyps, refs, f"{Path(folder).name} on {test_set}")
    header = {"format": FORMAT, "test_set": test_set, "test_digest": test_digest, "sentences": len(hyps),
              "hyps_sha256": hyps_digest(hyps),
              "signatures": {m: _signature(m, hyps, refs) for m in METRICS}}
    path = stats_path(folder, test_set)
    arrays = {**counts, "header": np.array(json.dumps(header, sort_keys=True))}
    atomic.replace_with(path, lambda tmp: _write_archive(tmp, arrays))
    return path


def _write_archive(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """An .npz of `arrays` with fixed member dates, so the same counts give the same bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as f:
                np.lib.format.write_array(f, array, allow_pickle=False)


def _signature(metric: str, hyps: Sequence[str], refs: Sequence[str]) -> str:
    """sacreBLEU's signature of the metric the counts are of (it is known once the metric has scored a line)."""
    scorer = evaluate.metric(metric)
    scorer.corpus_score(list(hyps[:1]), [list(refs[:1])])
    return scorer.get_signature().format()


def read(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and each metric's counts of a saved file."""
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            counts = {m: data[m].astype(np.float64) for m in METRICS}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path} is not a readable sentence-statistics file ({exc}); delete it to recompute it from "
                        f"the hypotheses and references, or rerun the suite.") from None
    if header.get("format") != FORMAT:
        raise DataError(f"{path} has format {header.get('format')!r}, not {FORMAT}.")
    return header, counts


def for_run(out: Path, row: Row, test_set: str, refs: Sequence[str] | None, metric: str) -> np.ndarray:
    """One finished cell's per-sentence statistics of `metric` on `test_set`, (sentences, K).

    The saved file counts when it is of this test set (its digest) and of the
    hypotheses saved beside it, if any; otherwise the counts are computed from
    the hypotheses and `refs` (None: the folder has no references).
    """
    from s2s_embed.benchmark.cell import hyps_path  # cell.py writes these files, so it imports this module

    folder = Path(out) / row.model_folder
    path, hyps_file = stats_path(folder, test_set), hyps_path(folder, test_set)
    hyps = _read_lines(hyps_file)
    if path.is_file():
        header, counts = read(path)
        scores = row.scores_on(test_set)
        digest = scores.digest if scores is not None else None
        same_test = digest is None or header.get("test_digest") in (None, digest)
        if same_test and (hyps is None or header.get("hyps_sha256") == hyps_digest(hyps)):
            return counts[metric]
        if refs is None:
            other = hyps_file.name if same_test else "the test set the row was scored on"
            raise DataError(f"{path} does not belong to {other} and the folder has no references to recompute it: "
                            f"rerun the suite into it.")
    if hyps is not None and refs is not None:
        return stats.sentence_stats([hyps], refs, metric, [str(hyps_file)])[0]
    absent = (("its translations", hyps is None), ("the references", refs is None))
    lacking = " and ".join(what for what, missing in absent if missing)
    raise MissingStats(f"{row.cell_id} on {test_set}: no {path.name}, and {lacking} to compute it from "
                       f"{'are' if ' and ' in lacking else 'is'} not in the folder")


def _read_lines(path: Path) -> list[str] | None:
    from s2s_embed.data.corpus import read_lines

    return read_lines(path) if path.is_file() else None
