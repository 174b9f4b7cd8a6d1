"""Corpus BLEU and chrF from per-sentence sufficient statistics, as sacreBLEU computes them.

A resample of the test set is then a sum of statistics, not a re-scoring; the
statistics come from sacreBLEU through `sacrebleu_statistics`, the one call into its private API.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from s2s_embed import evaluate



def sentence_stats(runs: Sequence[Sequence[str]], refs: Sequence[str], metric: str, names: Sequence[str]) -> np.ndarray:
    """sacreBLEU's per-sentence statistics of each run, shape (runs, sentences, K).

    BLEU: hyp_len, ref_len, matches and totals for n = 1..4 (K = 10).
    chrF: hyp, ref and match counts per character n-gram order (K = 18).
    `names[i]` names run i in errors.
    """
    for hyps, name in zip(runs, names, strict=True):
        evaluate.check_lengths(len(hyps), len(refs), name, "references")
    return np.array(sacrebleu_statistics(evaluate.metric(metric), runs, refs), dtype=np.float64)


def sacrebleu_statistics(scorer, runs: Sequence[Sequence[str]], refs: Sequence[str]) -> list[list[list[int | float]]]:
    """Each run's per-sentence statistics from a sacreBLEU metric: the one call into its private API.

    sacreBLEU has no public per-sentence statistics; its `_cache_references` and
    `_extract_corpus_statistics` (2.x) give them, tokenising the references once
    for all runs. tests/test_stats.py checks them against the public
    `corpus_score` on every sacreBLEU version the tests run with.
    """
    try:
        cache, extract = scorer._cache_references, scorer._extract_corpus_statistics
    except AttributeError as exc:
        from importlib.metadata import version

        raise RuntimeError(f"sacreBLEU {version('sacrebleu')} no longer has the private API the statistics use "
                           f"({exc}). Install the version in constraints.txt (pip install -c constraints.txt "
                           f"sacrebleu) and report this.") from exc
    scorer._ref_cache = cache([list(refs)])
    return [extract(list(hyps), None) for hyps in runs]


def corpus_scores(stats: np.ndarray, metric: str) -> np.ndarray:
    """The corpus metric of summed statistics (..., K) -> (...), as sacreBLEU computes it."""
    scorer = evaluate.metric(metric)
    if metric == "bleu":
        return _bleu(stats, scorer.max_ngram_order)
    return _chrf(stats, scorer.beta)


def _bleu(stats: np.ndarray, order: int) -> np.ndarray:
    """sacreBLEU BLEU with its default 'exp' smoothing, vectorised over leading axes."""
    sys_len, ref_len = stats[..., 0], stats[..., 1]
    correct, total = stats[..., 2 : 2 + order], stats[..., 2 + order : 2 + 2 * order]
    zero = correct == 0
    halvings = np.cumsum(zero, axis=-1)  # the k-th order without a match counts as 1 / (2^k total)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        precision = np.where(zero, 1.0 / (2.0**halvings * total), correct / total)
        brevity = np.where(sys_len < ref_len, np.exp(1.0 - ref_len / sys_len), 1.0)
    defined = (total > 0).all(axis=-1) & ~zero.all(axis=-1)
    log_mean = np.log(np.where(defined[..., None], precision, 1.0)).mean(axis=-1)
    return np.where(defined, 100.0 * brevity * np.exp(log_mean), 0.0)


def _chrf(stats: np.ndarray, beta: float) -> np.ndarray:
    """sacreBLEU chrF (effective-order averaging, its default), vectorised over leading axes."""
    hyp, ref, match = stats[..., 0::3], stats[..., 1::3], stats[..., 2::3]
    both = (hyp > 0) & (ref > 0)
    orders = both.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(both, match / hyp, 0.0).sum(axis=-1) / orders
        recall = np.where(both, match / ref, 0.0).sum(axis=-1) / orders
        f = beta**2
        fscore = 100.0 * (1 + f) * precision * recall / (f * precision + recall)
    return np.where((orders > 0) & (precision + recall > 0), fscore, 0.0)
