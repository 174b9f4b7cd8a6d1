"""Write runs/<cell>/stats.<test set>.npz for published results folders scored before cells wrote them.

For every finished cell of each RESULTS folder, its committed translations
(runs/<cell>/hyps.<test set>.txt) are counted against the references: the
folder's testsets/ files where it kept them, otherwise Multi30K's files. The
references must be the sentences the cell was scored on (the row's test-set
digest), and the counts must give back the row's BLEU and chrF; a cell that
fails either check is named and gets no file. Nothing else under RESULTS is
written, so the report then rebuilds with `--report-only` from git alone.

    python benchmarks/backfill_sentence_stats.py [RESULTS ...] [--multi30k PATH]

Default: benchmarks/results/multi30k-en-fr and benchmarks/results/low-resource
(`quick`'s published folder kept no translations, so it cannot be backfilled).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "perf"))
from _common import MULTI30K  # noqa: E402

from s2s_embed import stats  # noqa: E402
from s2s_embed.benchmark import sentence_stats, store, testsets  # noqa: E402
from s2s_embed.benchmark.analysis import load_suite_info  # noqa: E402
from s2s_embed.benchmark.cell import hyps_path  # noqa: E402
from s2s_embed.data import multi30k  # noqa: E402
from s2s_embed.data.corpus import read_lines  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT = [HERE / "results" / "multi30k-en-fr", HERE / "results" / "low-resource"]
TOLERANCE = 1e-9  # BLEU/chrF points between the row's score and the one from the counts


def references(results: Path, row: dict, test_set: str, multi30k_root: Path | None, size: int) -> testsets.TestSet:
    """The test set the row was scored on, from the folder's copy or Multi30K."""
    if testsets.ref_path(results, row["dataset"], test_set).is_file():
        src = read_lines(testsets.src_path(results, row["dataset"], test_set))
        ref = read_lines(testsets.ref_path(results, row["dataset"], test_set))
    else:
        data = row["config"]["data"]
        if data["corpus"] != "multi30k":
            raise ValueError(f"{results} has no testsets/ and {row['cell_id']} is not a Multi30K cell")
        text = multi30k.load_split(test_set, data["src_lang"], data["trg_lang"], root=multi30k_root)
        text = text.head(size) if size else text
        src, ref = text.src, text.trg
    return testsets.TestSet(row["dataset"], test_set, tuple(src), tuple(ref))


def backfill(results: Path, multi30k_root: Path | None, echo=print) -> tuple[int, list[str]]:
    """Files written in one folder, and a note for each cell and test set left without one."""
    suite = load_suite_info(results)
    rows = [r for r in store.read_rows(results).latest().values() if r.get("status") == "ok"]
    written, problems, cache = 0, [], {}
    for row in sorted(rows, key=lambda r: r["cell_id"]):
        folder = results / row["model_folder"]
        for test_set, scores in row["test"].items():
            hyps_file = hyps_path(folder, test_set)
            if not hyps_file.is_file():
                problems.append(f"{row['cell_id']} {test_set}: no {hyps_file.name}")
                continue
            key = (row["dataset"], test_set)
            if key not in cache:
                cache[key] = references(results, row, test_set, multi30k_root, suite.get("test_size", 0))
            test = cache[key]
            if scores.get("digest") not in (None, test.digest):
                problems.append(f"{row['cell_id']} {test_set}: scored on other sentences (digest {scores['digest']}, "
                                f"these references {test.digest})")
                continue
            hyps = read_lines(hyps_file)
            counts = sentence_stats.compute(hyps, test.ref, f"{row['cell_id']} on {test_set}")
            off = {m: float(stats.corpus_scores(counts[m].sum(axis=0), m)) - scores[m] for m in sentence_stats.METRICS}
            if any(abs(d) > TOLERANCE for d in off.values()):
                problems.append(f"{row['cell_id']} {test_set}: the counts give "
                                + ", ".join(f"{m} {d:+.6f} off the row's" for m, d in off.items()))
                continue
            sentence_stats.write(folder, test_set, scores.get("digest"), hyps, test.ref)
            written += 1
    echo(f"{results}: {written} statistics file(s) written, {len(problems)} left out")
    for note in problems:
        echo(f"  {note}")
    return written, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--multi30k", type=Path, default=os.environ.get(multi30k.ROOT_ENV, MULTI30K),
                        help="the folder with Multi30K's {split}.{lang}.gz (default $S2S_EMBED_MULTI30K, else the shared copy)")
    args = parser.parse_args(argv)
    failed = [problems for _, problems in (backfill(r, args.multi30k) for r in args.results) if problems]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
