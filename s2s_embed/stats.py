"""Is an embedding configuration better than the baseline? The benchmark's statistics.

The method, its formula and why it counts seeds are in docs/statistics.md;
every report.md states it in short (s2s_embed.benchmark.report.METHOD).

`seed_bootstrap` is the primary test: seed spread plus a paired sentence
bootstrap, read with Student's t at Welch-Satterthwaite degrees of freedom.
`paired_bootstrap` is sacreBLEU's paired bootstrap for one pair of runs, a
secondary "per-seed" view. `seed_level_test` compares scalar per-seed numbers
(e.g. validation perplexity) with Welch's t-test. `holm` adjusts p-values for
several configurations against one baseline, and `significant` needs the 95%
interval to exclude 0 and the Holm-adjusted p to be below alpha.

Every number returned is a plain Python float.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from s2s_embed.corpus_metrics import corpus_scores, sentence_stats
from s2s_embed.errors import ConfigError, DataError
from s2s_embed.t_distribution import t_quantile, t_two_sided_p

LEVEL = 0.95
MIN_RESAMPLES = 100


def _resample_counts(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """How often each sentence is drawn in each of n resamples with replacement, shape (n, size)."""
    idx = rng.integers(0, size, (n, size)) + size * np.arange(n)[:, None]
    return np.bincount(idx.ravel(), minlength=n * size).reshape(n, size).astype(np.float64)


def _check_resamples(n: int) -> None:
    if n < MIN_RESAMPLES:
        raise ConfigError(f"n={n} bootstrap resamples is too few for a p-value; use at least {MIN_RESAMPLES} (1000 is usual).")


# --- tests ----------------------------------------------------------------------------------


def _t_result(delta: float, se: float, df: float, test: str) -> dict:
    """Interval delta +- t(df) se and the two-sided p-value, as plain floats."""
    if se == 0.0:  # no variation at all: the difference is exactly what was observed
        low = high = delta
        p = 1.0 if delta == 0.0 else 0.0
    else:
        half = t_quantile(0.5 + LEVEL / 2, df) * se
        low, high = delta - half, delta + half
        p = t_two_sided_p(delta / se, df)
    return {"delta": float(delta), "ci_low": float(low), "ci_high": float(high), "p_value": float(p),
            "se": float(se), "df": float(df), "test": test}


def paired_bootstrap(
    baseline_hyps: Sequence[str], system_hyps: Sequence[str], refs: Sequence[str],
    metric: str = "bleu", n: int = 1000, seed: int = 0,
) -> dict:
    """Per-seed paired bootstrap (sacreBLEU/Koehn 2004): test-set sampling only, one run each.

    Resamples sentences with replacement, the same draw for both runs.
    delta = system - baseline on the full test set; the interval is the 2.5 and
    97.5 percentiles of the resampled deltas; p = 2 min(share <= 0, share >= 0)
    with a +1 correction, the p-value that matches that percentile interval
    (identical outputs give p = 1).
    """
    _check_resamples(n)
    stats = sentence_stats([baseline_hyps, system_hyps], refs, metric, ["baseline run", "system run"])  # (2, N, K)
    return paired_bootstrap_stats(stats[0], stats[1], metric, n, seed)


def paired_bootstrap_stats(baseline: np.ndarray, system: np.ndarray, metric: str = "bleu", n: int = 1000,
                           seed: int = 0) -> dict:
    """`paired_bootstrap` on each run's per-sentence statistics (`sentence_stats` of one run, (N, K)):
    the same numbers without the hypotheses and references."""
    _check_resamples(n)
    if np.shape(baseline) != np.shape(system):
        raise DataError(f"The baseline run's sentence statistics have shape {np.shape(baseline)} and the system "
                        f"run's {np.shape(system)}: both must be of the same test set and metric.")
    stats = np.stack([np.asarray(baseline, dtype=np.float64), np.asarray(system, dtype=np.float64)])  # (2, N, K)
    counts = _resample_counts(np.random.default_rng(seed), n, stats.shape[1])
    scores = corpus_scores(np.tensordot(counts, stats, axes=([1], [1])), metric)  # (n, 2)
    diffs = scores[:, 1] - scores[:, 0]
    full = corpus_scores(stats.sum(axis=1), metric)
    low, high = np.quantile(diffs, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    below, above = (1 + np.sum(diffs <= 0)) / (n + 1), (1 + np.sum(diffs >= 0)) / (n + 1)
    return {"delta": float(full[1] - full[0]), "ci_low": float(low), "ci_high": float(high),
            "p_value": float(min(1.0, 2 * min(below, above))), "test": "per-seed paired bootstrap (test-set sampling only)"}


def _check_seeds(k: int, label: str) -> None:
    if k < 2:
        raise DataError(
            f"The {label} has {k} run(s): a test that counts seed variance needs at least 2 seeds per "
            "configuration (3-5 is usual). Train more seeds, or use paired_bootstrap, which measures "
            "test-set sampling only."
        )


def seed_bootstrap(
    baseline_runs: Sequence[Sequence[str]], system_runs: Sequence[Sequence[str]], refs: Sequence[str],
    metric: str = "bleu", n: int = 1000, seed: int = 0,
) -> dict:
    """The primary test: seed spread plus a paired sentence bootstrap, read with Welch-Satterthwaite t.

    `*_runs` holds one hypothesis list per seed (at least 2 each), all for `refs`.
    delta is the system's mean corpus score over its seeds minus the baseline's;
    se and df are the standard error and degrees of freedom described in the
    module docstring; the interval is delta +- t(df) se.
    """
    _check_resamples(n)
    _check_seeds(len(baseline_runs), "baseline")
    _check_seeds(len(system_runs), "system")
    kb, ks = len(baseline_runs), len(system_runs)
    names = [f"baseline run {i}" for i in range(kb)] + [f"system run {i}" for i in range(ks)]
    stats = sentence_stats([*baseline_runs, *system_runs], refs, metric, names)  # (kb + ks, N, K)
    return seed_bootstrap_stats(stats[:kb], stats[kb:], metric, n, seed)


def seed_bootstrap_stats(baseline: np.ndarray, system: np.ndarray, metric: str = "bleu", n: int = 1000,
                         seed: int = 0) -> dict:
    """`seed_bootstrap` on per-sentence statistics, (seeds, N, K) per side as `sentence_stats` gives them:
    the same numbers without the hypotheses and references (e.g. from a results folder without its test sets)."""
    _check_resamples(n)
    base, system = np.asarray(baseline, dtype=np.float64), np.asarray(system, dtype=np.float64)
    _check_seeds(len(base), "baseline")
    _check_seeds(len(system), "system")
    if base.shape[1:] != system.shape[1:]:
        raise DataError(f"The baseline's sentence statistics have shape {base.shape[1:]} and the system's "
                        f"{system.shape[1:]}: both must be of the same test set and metric.")
    kb, ks = len(base), len(system)
    size = base.shape[1]

    counts = _resample_counts(np.random.default_rng(seed), n, size)  # (n, N), one draw shared by every run
    base_scores = corpus_scores(np.tensordot(counts, base, axes=([1], [1])), metric)  # (n, kb)
    system_scores = corpus_scores(np.tensordot(counts, system, axes=([1], [1])), metric)  # (n, ks)
    resampled_delta = system_scores.mean(axis=1) - base_scores.mean(axis=1)  # (n,)
    run_noise = sum(_run_noise_in_mean(scores) for scores in (base_scores, system_scores))
    test_set_part = max(0.0, float(resampled_delta.var(ddof=1)) - run_noise)

    base_full = corpus_scores(base.sum(axis=1), metric)  # (kb,)
    system_full = corpus_scores(system.sum(axis=1), metric)  # (ks,)
    seed_parts = (float(base_full.var(ddof=1)) / kb, float(system_full.var(ddof=1)) / ks)
    var = sum(seed_parts) + test_set_part
    spread = seed_parts[0] ** 2 / (kb - 1) + seed_parts[1] ** 2 / (ks - 1) + test_set_part**2 / max(size - 1, 1)
    df = var**2 / spread if spread > 0 else math.inf
    delta = float(system_full.mean() - base_full.mean())
    result = _t_result(delta, math.sqrt(var), df, "seed spread + paired sentence bootstrap, Welch-Satterthwaite t")
    result["parts"] = {"seed_var_baseline": float(base_full.var(ddof=1)), "seed_var_system": float(system_full.var(ddof=1)),
                       "seeds_baseline": kb, "seeds_system": ks, "test_set_var": test_set_part, "sentences": size}
    return result


# --- power: what a design could have seen -----------------------------------------------------

POWER = 0.8


def detection_rate(effect: float, parts: dict, alpha: float = 0.05, draws: int = 20_000) -> float:
    """Probability that the seed-aware test rejects at `alpha` when the true difference is `effect`.

    `parts` describes the design: each side's seed variance and number of
    seeds, the test-set sampling variance (from the bootstrap, taken as known)
    and the number of sentences. The estimated difference is normal around
    `effect` with the design's true standard error; the test divides it by an
    estimated one on Welch-Satterthwaite df. That estimate's law (each seed
    variance a scaled chi-square) is integrated by a fixed, seeded set of
    draws, so the answer is the same every time and matches the test as run.
    """
    vb, vs, kb, ks = parts["seed_var_baseline"], parts["seed_var_system"], parts["seeds_baseline"], parts["seeds_system"]
    test_var, sentences = parts["test_set_var"], parts["sentences"]
    true_se = math.sqrt(vb / kb + vs / ks + test_var)
    if true_se == 0:
        return 1.0 if effect else 0.0
    rng = np.random.default_rng(0)
    sb = vb * rng.chisquare(kb - 1, draws) / (kb - 1)
    ss = vs * rng.chisquare(ks - 1, draws) / (ks - 1)
    pb, ps = sb / kb, ss / ks
    var = pb + ps + test_var
    spread = pb**2 / (kb - 1) + ps**2 / (ks - 1) + test_var**2 / max(sentences - 1, 1)
    df = np.where(spread > 0, var**2 / np.where(spread > 0, spread, 1), 1e6)
    crit = _t_crit(df, alpha) * np.sqrt(var)
    return float(np.mean(_phi((abs(effect) - crit) / true_se) + _phi((-abs(effect) - crit) / true_se)))


def _phi(z: np.ndarray) -> np.ndarray:
    """The standard normal CDF, elementwise (erfc by Numerical Recipes' Chebyshev fit, error < 1.2e-7)."""
    x = np.abs(z) / math.sqrt(2)
    t = 1 / (1 + 0.5 * x)
    poly = -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (
        0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    tail = 0.5 * t * np.exp(poly)  # P(Z > |z|)
    return np.where(z >= 0, 1 - tail, tail)


def _t_crit(df: np.ndarray, alpha: float) -> np.ndarray:
    """The two-sided critical t for each df, interpolated on a log grid (exact at the grid points)."""
    grid, values = _t_crit_grid(alpha)
    return np.interp(np.log(np.clip(df, 0.5, 1e6)), grid, values)


@functools.lru_cache(maxsize=8)
def _t_crit_grid(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    grid = np.geomspace(0.5, 1e6, 240)
    return np.log(grid), np.array([t_quantile(1 - alpha / 2, g) for g in grid])


def detectable_effect(parts: dict, alpha: float = 0.05, power: float = POWER) -> float:
    """The smallest true difference the design detects with probability `power` (bisection on detection_rate)."""
    low, high = 0.0, 1.0
    while detection_rate(high, parts, alpha) < power and high < 1e4:
        high *= 2
    for _ in range(40):
        mid = (low + high) / 2
        low, high = (mid, high) if detection_rate(mid, parts, alpha) < power else (low, mid)
    return high


def power_of(result: dict, effect: float = 1.0, alpha: float = 0.05, power: float = POWER, max_seeds: int = 50) -> dict:
    """For a `seed_bootstrap` result: the minimum detectable effect of this design (`power`, two-sided `alpha`,
    before any Holm adjustment), the rate at which it would detect `effect`, and how many seeds per
    configuration would detect `effect` with `power` (None: more than `max_seeds`, e.g. when the test set's
    sampling alone is too large)."""
    parts = result["parts"]
    needed = None
    for k in range(2, max_seeds + 1):
        if detection_rate(effect, {**parts, "seeds_baseline": k, "seeds_system": k}, alpha) >= power:
            needed = k
            break
    return {"mde": detectable_effect(parts, alpha, power), "power": power, "alpha": alpha, "effect": effect,
            "rate_at_effect": detection_rate(effect, parts, alpha), "seeds_for_effect": needed, "max_seeds": max_seeds}


def _run_noise_in_mean(scores: np.ndarray) -> float:
    """Bootstrap variance that a config's seed mean owes to each run's own sentence-level luck.

    scores: (n resamples, k runs). Each run's deviation from the mean of the k
    runs has bootstrap variance (k-1)/k of that noise; the mean holds 1/k of it.
    """
    k = scores.shape[1]
    deviations = scores - scores.mean(axis=1, keepdims=True)  # (n, k)
    return float(deviations.var(axis=0, ddof=1).mean()) / (k - 1)


def seed_level_test(baseline_values: Sequence[float], system_values: Sequence[float]) -> dict:
    """Welch's t-test on one scalar per seed (e.g. validation perplexity), system - baseline.

    With 3-5 seeds a bootstrap over seeds is too optimistic (3 values have only
    10 distinct resamples, (k-1)/k of the variance and normal tails), while
    Welch's t keeps its level for normally distributed per-seed values (3.3%
    false positives at alpha = 0.05 with 3 vs 4 seeds of unequal spread in
    tests/test_stats.py) and does not assume equal spread.
    """
    _check_seeds(len(baseline_values), "baseline")
    _check_seeds(len(system_values), "system")
    base, system = np.asarray(baseline_values, dtype=np.float64), np.asarray(system_values, dtype=np.float64)
    parts = (base.var(ddof=1) / len(base), system.var(ddof=1) / len(system))
    spread = parts[0] ** 2 / (len(base) - 1) + parts[1] ** 2 / (len(system) - 1)
    df = sum(parts) ** 2 / spread if spread > 0 else math.inf
    return _t_result(system.mean() - base.mean(), math.sqrt(sum(parts)), df, "Welch t over seeds")


# --- several comparisons --------------------------------------------------------------------


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in input order (monotone in rank, capped at 1)."""
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda j: p_values[j])):
        running = max(running, min(1.0, (m - rank) * float(p_values[i])))
        adjusted[i] = running
    return adjusted


def significant(ci_low: float, ci_high: float, p_adjusted: float, alpha: float = 0.05) -> bool:
    """A difference counts only if the 95% interval excludes 0 and the Holm-adjusted p < alpha."""
    return bool((ci_low > 0 or ci_high < 0) and p_adjusted < alpha)


def decide(results: Sequence[dict], alpha: float = 0.05) -> list[dict]:
    """Copies of test results (one per configuration vs the baseline) with `p_holm` and `significant`."""
    adjusted = holm([r["p_value"] for r in results])
    return [{**r, "p_holm": p, "significant": significant(r["ci_low"], r["ci_high"], p, alpha)}
            for r, p in zip(results, adjusted)]


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1) over seeds.

    One value has no spread to measure: its std is NaN (not 0, which would claim
    the seed is exact); write NaN as null or "n/a" in reports.
    """
    if len(values) == 0:
        raise DataError("mean_std got no values: no run of this configuration produced a score.")
    array = np.asarray(values, dtype=np.float64)
    std = float(array.std(ddof=1)) if len(array) > 1 else math.nan
    return float(array.mean()), std
