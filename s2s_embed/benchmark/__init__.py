"""Benchmark suites: a grid of embedding configurations x seeds x training sizes x datasets x model settings.

`run_suite` trains, translates and scores every cell into a results folder
(resuming where it stopped) and writes the report; `write_report` rewrites the
report from the folder alone.
"""
from __future__ import annotations

from s2s_embed.benchmark.report import write_report
from s2s_embed.benchmark.runner import run_suite
from s2s_embed.benchmark.suite import builtin_suites, load_suite

__all__ = ["builtin_suites", "load_suite", "run_suite", "write_report"]
