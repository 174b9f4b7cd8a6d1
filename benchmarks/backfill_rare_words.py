"""Add rare-word counts and source-side shares to the rows of a published results folder, from what it keeps.

Rows recorded before `s2s_embed.benchmark.rare_words` existed lack
row["test"][<test set>]["rare_words"] and ["source_tokens"]. For each finished
row and test set, this recomputes them as a cell does today, from:

* the kept hypotheses RESULTS/runs/<cell>/hyps.<test set>.txt;
* the references and sources (RESULTS/testsets/ where kept, otherwise
  Multi30K's files, the first [suite] test_size of them when it is set);
* the cell's training data, read with its own data config (the same first
  train_size pairs and length filter as its training; Multi30K from
  --multi30k). The source `<unk>` share uses the source vocabulary rebuilt
  from that data the way training built it.

The pretrained share needs the model folder, which git does not keep: it is 0
for a configuration whose source side has no pretrained vectors (no coverage
report) and None (missing, never 0) otherwise. Each row it adds to says so
under "backfilled".

RESULTS itself is not written: it is copied to --out and only the copy's
results.jsonl is rewritten (run the report on the copy to see the section).

    python benchmarks/backfill_rare_words.py benchmarks/results/multi30k-en-fr --out /tmp/backfill/multi30k-en-fr
"""
from __future__ import annotations

import argparse
import datetime
import json
import shutil
import sys
from pathlib import Path

from s2s_embed import atomic
from s2s_embed.benchmark import rare_words, testsets
from s2s_embed.benchmark.cell import hyps_path
from s2s_embed.config import DataConfig, from_dict
from s2s_embed.data import multi30k
from s2s_embed.data.corpus import ParallelText, read_lines
from s2s_embed.provenance import commit

MULTI30K = Path(__file__).resolve().parents[2] / "shared" / "data" / "multi30k"
SCRIPT = "benchmarks/backfill_rare_words.py"


def test_text(results: Path, row: dict, test: str, data: DataConfig, size: int) -> ParallelText | None:
    """The test set's sources and references as the suite scored them; None when neither is at hand."""
    src, ref = testsets.src_path(results, row["dataset"], test), testsets.ref_path(results, row["dataset"], test)
    if src.is_file() and ref.is_file():
        return ParallelText(read_lines(src), read_lines(ref), test)
    if data.corpus != "multi30k":
        return None
    text = multi30k.load_split(test, data.src_lang, data.trg_lang, root=data.multi30k_root or None)
    return text.head(size) if size else text


def row_data(row: dict, multi30k_root: Path) -> DataConfig:
    """The data config the row's cell trained with, Multi30K read from `multi30k_root`."""
    raw = dict(row["config"]["data"])
    if raw.get("corpus") == "multi30k":
        raw["multi30k_root"] = str(multi30k_root)
    return from_dict({"data": raw}).data


def backfill_row(results: Path, row: dict, multi30k_root: Path, size: int, stamp: dict) -> tuple[dict, list[str]]:
    """A copy of `row` with the counts added to every test set it can rebuild; and a note per test set it cannot."""
    data = row_data(row, multi30k_root)
    seen = rare_words.training_words(data)
    no_vectors = (row.get("coverage") or {}).get("source") is None
    tests, notes = dict(row["test"]), []
    for test, scores in row["test"].items():
        path = hyps_path(results / row["model_folder"], test)
        text = test_text(results, row, test, data, size)
        if not path.is_file() or text is None:
            notes.append(f"{row['cell_id']} {test}: {'no kept hypotheses' if not path.is_file() else 'no references'}")
            continue
        hyps = read_lines(path)
        if len(hyps) != len(text):
            notes.append(f"{row['cell_id']} {test}: {len(hyps)} hypotheses for {len(text)} references")
            continue
        pretrained = [False] * len(seen.src_vocab) if no_vectors else None
        tests[test] = {**scores, "rare_words": rare_words.test_set_counts(hyps, text.trg, data, seen.target).to_json(),
                       "source_tokens": rare_words.source_shares(text.src, data, seen.src_vocab, pretrained)}
    added = [t for t in tests if tests[t] is not row["test"][t]]
    if not added:
        return row, notes
    backfilled = {**row.get("backfilled", {}), "rare_words": {**stamp, "test_sets": added,
                  "pretrained": "0: no pretrained source vectors" if no_vectors else "missing: needs the model folder"}}
    return {**row, "test": tests, "backfilled": backfilled}, notes


def backfill(results: Path, out: Path, multi30k_root: Path) -> tuple[int, int, list[str]]:
    """Copy RESULTS to OUT and rewrite OUT/results.jsonl; returns (rows changed, rows, notes)."""
    if out.resolve() == results.resolve():
        raise SystemExit(f"--out must be another folder than {results}: the published rows are not rewritten here.")
    if out.exists():
        raise SystemExit(f"{out} exists already: give a new folder as --out.")
    shutil.copytree(results, out)
    size = json.loads((results / "suite.json").read_text(encoding="utf-8")).get("test_size") or 0
    stamp = {"by": SCRIPT, "at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), **commit()}
    lines, changed, notes = [], 0, []
    for line in (results / "results.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else None
        if row is None or row.get("status") != "ok":
            lines.append(line)
            continue
        new, row_notes = backfill_row(results, row, multi30k_root, size, stamp)
        changed += new is not row
        notes += row_notes
        lines.append(json.dumps(new, ensure_ascii=False))
    atomic.write_text(out / "results.jsonl", "".join(line + "\n" for line in lines))
    return changed, len(lines), notes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", type=Path, help="a published results folder, e.g. benchmarks/results/low-resource")
    ap.add_argument("--out", type=Path, required=True, help="a new folder: the copy of RESULTS with the counts added")
    ap.add_argument("--multi30k", type=Path, default=MULTI30K,
                    help=f"folder of the Multi30K files (default {MULTI30K})")
    args = ap.parse_args(argv)
    changed, total, notes = backfill(args.results, args.out, args.multi30k)
    print(f"{args.out}/results.jsonl: rare-word counts added to {changed} of {total} rows"
          + (f"; not rebuilt: {len(notes)} test sets, e.g. {notes[0]}" if notes else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
