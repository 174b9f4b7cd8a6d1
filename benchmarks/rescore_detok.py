"""Re-score a published suite's kept translations with today's detokenizer; with --write, put them in place.

Each kept hypothesis file RESULTS/runs/<cell>/hyps.<test set>.txt of a
cell's last finished row is split again with the target language's tokenizer
and joined with `detokenize`, and both versions are scored with sacreBLEU
against the references: the suite's RESULTS/testsets/ files where it kept
them, otherwise Multi30K's files (the first [suite] test_size of them when it
is set), which must be the sentences the row was scored on (its digest). The
model's `<unk>` stays one token.

Without --write nothing under RESULTS is written. With --write, for each row
and test set re-scored:

* hyps.<test set>.txt holds the new lines, and stats.<test set>.npz their
  sentence statistics (`sentence_stats.write`, as a cell writes them);
* the row's scores on that test set are `evaluate.score` of the new lines, as
  a cell computes them, and its rare-word counts (if it has them) are counted
  again from them; the tutorial BLEU (`bleu_tok_lc`) is of the model's tokens,
  which detokenising does not touch, so it stays, as do the decoding settings,
  the test set's digest and the source shares;
* row["backfilled"]["detokenize"] says when, by which script at which commit,
  and each test set's BLEU and chrF before and after;

and results.jsonl is rewritten (atomically) with every other line and field as
it was. A row that already has backfilled["detokenize"] is left alone, so a
second --write changes nothing; detokenising the new lines again also gives
the same lines.

    python benchmarks/rescore_detok.py benchmarks/results/multi30k-en-fr benchmarks/results/low-resource \
        [--multi30k PATH] [--json OUT] [--write]
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import mean

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "perf")]
from _common import MULTI30K  # noqa: E402
from backfill_rare_words import row_data  # noqa: E402
from backfill_sentence_stats import references  # noqa: E402

from s2s_embed import atomic  # noqa: E402
from s2s_embed.benchmark import rare_words, sentence_stats, store  # noqa: E402
from s2s_embed.benchmark.analysis import load_suite_info  # noqa: E402
from s2s_embed.benchmark.cell import hyps_path  # noqa: E402
from s2s_embed.benchmark.records import Row, Scores  # noqa: E402
from s2s_embed.benchmark.testsets import TestSet  # noqa: E402
from s2s_embed.data.corpus import read_lines  # noqa: E402
from s2s_embed.data.tokenize import Tokenizer, detokenize  # noqa: E402
from s2s_embed.evaluate import score  # noqa: E402
from s2s_embed.provenance import commit  # noqa: E402

SCRIPT = "benchmarks/rescore_detok.py"
KIND = "detokenize"  # the key under row["backfilled"]
WHAT = "kept translations detokenised again with a later detokenizer and re-scored"
UNK, PLACEHOLDER = "<unk>", "UNKPLACEHOLDER"  # spaCy would split "<unk>" into <, unk, >; it keeps this one word


@dataclass(frozen=True)
class Rescored:
    suite: str
    cell_id: str
    config_name: str
    test_set: str
    published_bleu: float  # as results.jsonl has it
    old_bleu: float  # the kept file scored again: equals published_bleu unless the file or the scorer changed
    new_bleu: float
    old_chrf: float
    new_chrf: float
    lines_changed: int
    n_sentences: int

    @property
    def delta(self) -> float:
        return self.new_bleu - self.old_bleu


@dataclass(frozen=True)
class Redone:
    """One kept hypothesis file detokenised again: its numbers, and what --write puts in its place."""

    numbers: Rescored
    hyps: list[str]
    test: TestSet
    scores: dict  # evaluate.score of `hyps`


def redetokenize(lines: list[str], lang: str) -> list[str]:
    tokenizer = Tokenizer(lang, lowercase=False)  # the file keeps the case the translator wrote
    protected = (line.replace(UNK, PLACEHOLDER) for line in lines)  # unpadded, so "l'<unk>" keeps its elision
    return [detokenize([UNK if t == PLACEHOLDER else t for t in tokens], lang) for tokens in tokenizer.many(protected)]


def last_finished(results: Path) -> list[dict]:
    """Each cell's last finished row: the one its kept files belong to."""
    return sorted(store.read_rows(results).finished().values(), key=lambda r: r["cell_id"])


def rescore_suite(results: Path, multi30k_root: Path) -> tuple[list[Redone], list[str]]:
    """Every kept hypothesis file of one results folder, old and new; and a note for each one skipped."""
    size = load_suite_info(results).get("test_size") or 0
    found, skipped, tests = [], [], {}
    for row in last_finished(results):
        folder = results / row["model_folder"]
        for test_set, published in row["test"].items():
            path = hyps_path(folder, test_set)
            if not path.is_file():
                skipped.append(f"{row['cell_id']} {test_set}: no kept hypotheses ({path} is absent)")
                continue
            key = (row["dataset"], test_set)
            if key not in tests:
                try:
                    tests[key] = references(results, row, test_set, multi30k_root, size)
                except ValueError as exc:  # no testsets/ and not Multi30K
                    tests[key] = str(exc)
            test = tests[key]
            if isinstance(test, str):
                skipped.append(f"{row['cell_id']} {test_set}: no references ({test})")
                continue
            if published.get("digest") not in (None, test.digest):
                skipped.append(f"{row['cell_id']} {test_set}: scored on other sentences (digest "
                               f"{published['digest']}, these references {test.digest})")
                continue
            old = read_lines(path)
            new = redetokenize(old, row["config"]["data"]["trg_lang"])
            before, after = score(old, test.ref), score(new, test.ref)
            numbers = Rescored(results.name, row["cell_id"], row["config_name"], test_set, published["bleu"],
                               before["bleu"], after["bleu"], before["chrf"], after["chrf"],
                               sum(a != b for a, b in zip(old, new)), len(old))
            found.append(Redone(numbers, new, test, after))
    return found, skipped


# ---------------------------------------------------------------- --write


def rescored_row(results: Path, row: dict, redone: list[Redone], multi30k_root: Path, stamp: dict) -> dict:
    """`row` with each test set of `redone` scored on its new lines, and the record of what was done.

    Writes each test set's new hypotheses and their statistics beside the row's model folder first, so an
    interrupted --write leaves rows that a rerun re-scores from the new files (detokenising is a fixed point)."""
    folder = results / row["model_folder"]
    old = Row.from_json(row)
    tests = dict(old.test)
    record = {"what": WHAT, **stamp, "test_sets": [], "bleu": {}, "chrf": {}, "lines_changed": {}}
    for r in redone:
        name, before = r.numbers.test_set, old.test[r.numbers.test_set]
        atomic.write_text(hyps_path(folder, name), "".join(h + "\n" for h in r.hyps))
        sentence_stats.write(folder, name, before.digest, r.hyps, list(r.test.ref))
        scores = {**before.to_json(), **r.scores}
        if before.rare_words is not None:
            data = row_data(row, multi30k_root)
            seen = rare_words.training_words(data).target
            scores["rare_words"] = rare_words.test_set_counts(r.hyps, list(r.test.ref), data, seen).to_json()
        tests[name] = Scores.from_json(scores)
        record["test_sets"].append(name)
        record["bleu"][name] = {"before": before.bleu, "after": r.scores["bleu"]}
        record["chrf"][name] = {"before": before.chrf, "after": r.scores["chrf"]}
        record["lines_changed"][name] = r.numbers.lines_changed
    return old.replace(test=tests, backfilled={**(old.backfilled or {}), KIND: record}).to_json()


def write(results: Path, redone: list[Redone], multi30k_root: Path) -> tuple[int, list[str]]:
    """Put the re-scored rows and files in place; returns (rows rewritten, a note per row left alone)."""
    stamp = {"by": SCRIPT, "at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             **commit()}
    lines = (results / store.RESULTS).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) if line.strip() else {} for line in lines]
    last = {row["cell_id"]: i for i, row in enumerate(rows) if row.get("status") == "ok"}  # as Rows.finished
    by_cell: dict[str, list[Redone]] = {}
    for r in redone:
        by_cell.setdefault(r.numbers.cell_id, []).append(r)
    changed, notes = 0, []
    for cell_id, of_cell in by_cell.items():
        row = json.loads(lines[last[cell_id]])
        if KIND in (row.get("backfilled") or {}):
            notes.append(f"{cell_id}: already re-scored ({row['backfilled'][KIND].get('at')}), left alone")
            continue
        new = rescored_row(results, row, of_cell, multi30k_root, stamp)
        lines[last[cell_id]] = json.dumps(store.plain(new), ensure_ascii=False, allow_nan=False)
        changed += 1
    if changed:
        atomic.write_text(results / store.RESULTS, "".join(line + "\n" for line in lines))
    return changed, notes


# ---------------------------------------------------------------- printing


def print_table(rescored: list[Rescored]) -> None:
    print(f"{'cell':48} {'test set':18} {'published':>9} {'old':>6} {'new':>6} {'change':>7} "
          f"{'chrF old':>8} {'chrF new':>8} {'lines changed':>14}")
    for r in rescored:
        print(f"{r.cell_id:48} {r.test_set:18} {r.published_bleu:9.2f} {r.old_bleu:6.2f} {r.new_bleu:6.2f} "
              f"{r.delta:+7.2f} {r.old_chrf:8.2f} {r.new_chrf:8.2f} {r.lines_changed:8d} / {r.n_sentences}")


def print_summary(rescored: list[Rescored]) -> None:
    print(f"  all: mean BLEU change {mean(r.delta for r in rescored):+.2f} over {len(rescored)} hypothesis files")
    for test_set in sorted({r.test_set for r in rescored}):
        of_set = [r for r in rescored if r.test_set == test_set]
        print(f"  {test_set}: mean BLEU change {mean(r.delta for r in of_set):+.2f} over {len(of_set)} cells "
              f"(min {min(r.delta for r in of_set):+.2f}, max {max(r.delta for r in of_set):+.2f}); "
              f"chrF {mean(r.new_chrf - r.old_chrf for r in of_set):+.2f}")
        for name in dict.fromkeys(r.config_name for r in of_set):
            print(f"    {name:14} {mean(r.delta for r in of_set if r.config_name == name):+.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="+", type=Path,
                    help="published results folders, e.g. benchmarks/results/low-resource")
    ap.add_argument("--multi30k", type=Path, default=MULTI30K,
                    help=f"folder of the Multi30K files (default {MULTI30K})")
    ap.add_argument("--json", type=Path, help="also write every rescored file's numbers here (outside RESULTS)")
    ap.add_argument("--write", action="store_true",
                    help="rewrite the hypotheses, statistics and rows of RESULTS with the re-scored ones")
    args = ap.parse_args(argv)
    everything = []
    for results in args.results:
        redone, skipped = rescore_suite(results, args.multi30k)
        rescored = [r.numbers for r in redone]
        print(f"== {results}: {len(rescored)} hypothesis files rescored, {len(skipped)} skipped")
        if skipped:
            print(f"  skipped, e.g. {skipped[0]}")
        if rescored:
            print_table(rescored)
            print_summary(rescored)
        if args.write:
            changed, notes = write(results, redone, args.multi30k)
            print(f"  written: {changed} rows of {results / store.RESULTS} re-scored, {len(notes)} left alone"
                  + (f", e.g. {notes[0]}" if notes else ""))
        everything += rescored
    if args.json:
        args.json.write_text(json.dumps([asdict(r) | {"delta": r.delta} for r in everything], indent=1) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
