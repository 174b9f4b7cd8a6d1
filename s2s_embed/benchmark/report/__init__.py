"""The report of a results folder: report.md (for people), report.csv and report.json (for tools), PNG plots.

It reads only the folder (suite.json, results.jsonl, each cell's saved per-sentence
statistics, else its hypotheses and the test sets), so it can be rewritten at any
time, also while a suite is running, and from a clean clone without the corpus.

The page is put together in `markdown_page` (header, method text, failed
cells) from `summary` (one line per configuration) and `sections` (each
group's tables); `csv_table` writes report.csv.
"""
from __future__ import annotations

import json
from pathlib import Path

from s2s_embed import atomic
from s2s_embed.benchmark.analysis import analyse, load_suite_info
from s2s_embed.benchmark.plots import write_plots
from s2s_embed.benchmark.report.csv_table import CSV_COLUMNS, _csv
from s2s_embed.benchmark.report.markdown_page import METHOD, POWER_METHOD, markdown
from s2s_embed.benchmark.store import ResultsFolderError, read_rows

__all__ = ["CSV_COLUMNS", "METHOD", "POWER_METHOD", "markdown", "write_report"]


def write_report(out_dir: str | Path, echo=print) -> Path:
    """Analyse `out_dir` and write report.md, report.csv, report.json and the plots; returns report.md's path."""
    out = Path(out_dir)
    suite = load_suite_info(out)
    found = read_rows(out)
    analysis = analyse(out, suite, found)
    try:
        plots = write_plots(analysis, out)
    except ImportError:
        echo("matplotlib is not installed, so the report has no plots: pip install 's2s-embed[plots]'.")
        plots = {}
    except OSError as exc:
        raise ResultsFolderError(f"Cannot write the plots into {out}: {exc.strerror or exc}. Free some space or "
                                 f"make the folder writable, then run the report again.") from None
    analysis["plots"] = plots
    _write(out / "report.json", json.dumps(analysis, indent=2, ensure_ascii=False) + "\n")
    _write(out / "report.csv", _csv(analysis))
    path = out / "report.md"
    _write(path, markdown(analysis, plots))
    echo(f"Report: {path} (and report.csv, report.json, {sum(len(v) for v in plots.values())} plots)")
    for missing in analysis.get("not_computed") or []:
        echo(f"WARNING: {len(missing['columns'])} comparison(s) not computed: {missing['reason']}")
    return path


def _write(path: Path, text: str) -> None:
    try:
        atomic.write_text(path, text)
    except OSError as exc:
        raise ResultsFolderError(f"Cannot write {path}: {exc.strerror or exc}. Free some space or make "
                                 f"{path.parent} writable, then run the report again.") from None
