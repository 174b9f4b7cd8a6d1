"""Re-score a published suite's kept translations with today's detokenizer.

Each kept hypothesis file RESULTS/runs/<cell>/hyps.<test set>.txt is split
again with the target language's tokenizer and joined with `detokenize`, and
both versions are scored with sacreBLEU against the references: the suite's
RESULTS/testsets/ files where it kept them, otherwise Multi30K's files. The
model's `<unk>` stays one token. Nothing under RESULTS is written.

    python benchmarks/rescore_detok.py benchmarks/results/multi30k-en-fr benchmarks/results/low-resource \
        [--multi30k PATH] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parent / "perf"))
from _common import MULTI30K  # noqa: E402

from s2s_embed.benchmark import testsets  # noqa: E402
from s2s_embed.benchmark.cell import hyps_path  # noqa: E402
from s2s_embed.data import multi30k  # noqa: E402
from s2s_embed.data.corpus import read_lines  # noqa: E402
from s2s_embed.data.tokenize import Tokenizer, detokenize  # noqa: E402
from s2s_embed.evaluate import score  # noqa: E402

UNK, PLACEHOLDER = "<unk>", "UNKPLACEHOLDER"  # spaCy would split "<unk>" into <, unk, >


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


def redetokenize(lines: list[str], lang: str) -> list[str]:
    tokenizer = Tokenizer(lang, lowercase=False)  # the file keeps the case the translator wrote
    protected = (line.replace(UNK, f" {PLACEHOLDER} ") for line in lines)
    return [detokenize([UNK if t == PLACEHOLDER else t for t in tokens], lang) for tokens in tokenizer.many(protected)]


def references(results: Path, row: dict, test_set: str, multi30k_root: Path) -> list[str] | None:
    kept = testsets.ref_path(results, row["dataset"], test_set)
    if kept.is_file():
        return read_lines(kept)
    data = row["config"]["data"]
    if data["corpus"] != "multi30k":
        return None
    return multi30k.load_split(test_set, data["src_lang"], data["trg_lang"], root=multi30k_root).trg


def rescore_suite(results: Path, multi30k_root: Path) -> tuple[list[Rescored], list[str]]:
    """Every kept hypothesis file of one results folder, old and new; and a note for each one skipped."""
    lines = (results / "results.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    found, skipped = [], []
    for row in rows:
        folder = results / "runs" / row["cell_id"]
        for test_set, published in (row.get("test") or {}).items():
            path = hyps_path(folder, test_set)
            if not path.is_file():
                skipped.append(f"{row['cell_id']} {test_set}: no kept hypotheses ({path} is absent)")
                continue
            refs = references(results, row, test_set, multi30k_root)
            if refs is None:
                corpus = row["config"]["data"]["corpus"]
                skipped.append(f"{row['cell_id']} {test_set}: no references for corpus '{corpus}'")
                continue
            old = read_lines(path)
            new = redetokenize(old, row["config"]["data"]["trg_lang"])
            before, after = score(old, refs), score(new, refs)
            found.append(Rescored(results.name, row["cell_id"], row["config_name"], test_set, published["bleu"],
                                  before["bleu"], after["bleu"], before["chrf"], after["chrf"],
                                  sum(a != b for a, b in zip(old, new)), len(old)))
    return found, skipped


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
    args = ap.parse_args(argv)
    everything = []
    for results in args.results:
        rescored, skipped = rescore_suite(results, args.multi30k)
        print(f"== {results}: {len(rescored)} hypothesis files rescored, {len(skipped)} skipped")
        if skipped:
            print(f"  skipped, e.g. {skipped[0]}")
        if rescored:
            print_table(rescored)
            print_summary(rescored)
        everything += rescored
    if args.json:
        args.json.write_text(json.dumps([asdict(r) | {"delta": r.delta} for r in everything], indent=1) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
