"""Data checks: the README's headline tables are benchmarks/headline_table.py's output for the published
report, one per training size, so the README quotes the report's figures and nothing else."""
import importlib.util
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.data

ROOT = Path(__file__).resolve().parents[2]
HEADLINE = "converged-en-fr"


def _headline_table():
    spec = importlib.util.spec_from_file_location("headline_table", ROOT / "benchmarks" / "headline_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.table


def _report():
    path = ROOT / "benchmarks" / "results" / HEADLINE / "report.json"
    if not path.is_file():
        pytest.skip(f"{path} is not in this checkout")
    return json.loads(path.read_text(encoding="utf-8"))


def _readme_tables() -> list[str]:
    """Each block of the README from a headline table's header to its 'N training pairs; ...' line."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    blocks, start = [], None
    for i, line in enumerate(lines):
        if line.startswith("| configuration | BLEU ") and "epochs to baseline loss" in line:
            start = i
        elif start is not None and " training pairs; " in line:
            blocks.append("\n".join(lines[start:i + 1]))
            start = None
    return blocks


@pytest.mark.parametrize("size", [10000, 29000])
def test_the_readme_shows_the_headline_table_of_each_training_size(size):
    report = _report()
    if size not in [g["train_size"] for g in report["groups"]]:
        pytest.skip(f"the report has no group of {size} pairs")
    assert _headline_table()(report, size, "5-9") in _readme_tables()


def test_a_configuration_without_a_finished_run_is_named_not_left_out():
    report = _report()
    group = json.loads(json.dumps(report["groups"][0]))
    first = next(iter(group["test_sets"]))
    row = next(r for r in group["test_sets"][first]["configs"] if not r["baseline"])
    row.update(n=0, seeds=[], bleu={"mean": None, "std": None, "n": 0})
    text = _headline_table()({"groups": [group]}, None, "5-9")
    assert f"| {row['config']} | no finished run yet |" in text
    assert text.endswith(f"Not run yet at this size: {row['config']}.")
