"""A benchmark suite: a TOML grid of embedding configurations, read and checked before anything trains.

    [suite]       name, description, baseline (a [[configs]] name), seeds, train_sizes, test_sets, ...
    [base]        a normal config: [base.data], [base.model], [base.train], [base.decode]
    [[configs]]   name, [configs.source] and [configs.target] embedding tables: what is compared
    [[datasets]]  optional: name, any [data] key (corpus, src_lang, trg_lang, ...), test_sets
    [[variants]]  optional: name, [variants.model] / [variants.train] / [variants.decode] settings

The grid is datasets x variants x train_sizes x seeds x configs. A cell's id is
built from names alone, `dataset.variant.size.config.sSEED` (e.g.
`multi30k-en-fr.base.n3000.glove.s2`), so a rerun recognises the cells it has
finished. Every part is checked here, plugin names and options included, so a
typo stops the suite before the first cell trains.

The grid's dataclasses live in `grid`, reading and checking a suite file in
`reading`, the small checks both use in `checks`.
"""
from __future__ import annotations

from s2s_embed.benchmark.suite.checks import NAME
from s2s_embed.benchmark.suite.grid import Cell, Dataset, EmbeddingConfig, Settings, Suite, TestSetSpec, Variant
from s2s_embed.benchmark.suite.reading import (
    BUILTIN_DIR,
    CONFIG_KEYS,
    DATASET_EXTRA_KEYS,
    TEST_FILE_KEYS,
    TOP_KEYS,
    VARIANT_SECTIONS,
    builtin_suites,
    from_dict,
    load_suite,
    suite_path,
)
from s2s_embed.data.corpora import CORPORA, SYNTHETIC_TEST_SIZE  # noqa: F401 (the size a test_size of 0 gives)

__all__ = [
    "BUILTIN_DIR", "CONFIG_KEYS", "DATASET_EXTRA_KEYS", "NAME", "TEST_FILE_KEYS", "TOP_KEYS", "VARIANT_SECTIONS",
    "Cell", "Dataset", "EmbeddingConfig", "Settings", "Suite", "TestSetSpec", "Variant", "builtin_suites",
    "from_dict", "load_suite", "suite_path",
]
