"""The benchmark's statistics on synthetic translations with known effects.

References are random token sequences; a run's output is its reference with
each token replaced by a random one with a probability that depends on the
configuration (the effect), the seed (seed spread) and the sentence (difficulty).
"""
import json
import math

import numpy as np
import pytest

from s2s_embed import corpus_metrics, evaluate, stats
from s2s_embed.errors import ConfigError, DataError
from s2s_embed.stats import (
    corpus_scores,
    decide,
    holm,
    mean_std,
    paired_bootstrap,
    seed_bootstrap,
    seed_level_test,
    sentence_stats,
    significant,
    t_quantile,
    t_two_sided_p,
)

VOCAB = 30


def _test_set(rng, sentences=100, length=8):
    """Reference token ids (sentences, length) and a difficulty per sentence."""
    return rng.integers(0, VOCAB, (sentences, length)), rng.uniform(0.5, 1.5, sentences)


def _texts(ids):
    return [" ".join(f"w{t}" for t in row) for row in ids]


def _run(rng, ref_ids, difficulty, corruption):
    """One run's output: each reference token replaced with probability corruption * difficulty."""
    p = np.clip(corruption * difficulty, 0.0, 0.95)[:, None]
    replaced = rng.random(ref_ids.shape) < p
    return _texts(np.where(replaced, rng.integers(0, VOCAB, ref_ids.shape), ref_ids))


def _called(result, alpha=0.05):
    return significant(result["ci_low"], result["ci_high"], result["p_value"], alpha)


# --- building blocks ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bleu", "chrf"])
def test_corpus_scores_match_sacrebleu_on_any_subset(name):
    metric = evaluate.metric(name)  # the settings every score uses
    rng = np.random.default_rng(0)
    ref_ids, difficulty = _test_set(rng, 50)
    refs = _texts(ref_ids)
    hyps = _run(rng, ref_ids, difficulty, 0.5)
    hyps[:5] = ["", "w1", "w1 w2", "w3 w3 w3", "w4 w5 w6 w7"]  # empty and short lines: zero totals
    stats = sentence_stats([hyps], refs, name, ["run"])[0]  # (N, K)
    metric.corpus_score(hyps, [refs])
    for _ in range(300):
        summed = stats[rng.integers(0, len(stats), rng.integers(1, 8))].sum(axis=0)
        expected = metric._compute_score_from_stats(list(summed)).score
        assert corpus_scores(summed, name) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("name, k", [("bleu", 10), ("chrf", 18)])
def test_sacrebleus_private_statistics_still_add_up_to_its_public_corpus_score(name, k):
    """The one call into sacreBLEU's private API: a release that changes it fails here, not in a benchmark."""
    rng = np.random.default_rng(1)
    ref_ids, difficulty = _test_set(rng, 40)
    refs = _texts(ref_ids)
    runs = [_run(rng, ref_ids, difficulty, c) for c in (0.2, 0.6)]
    per_run = corpus_metrics.sacrebleu_statistics(evaluate.metric(name), runs, refs)
    assert [len(sentences) for sentences in per_run] == [len(refs)] * 2
    assert {len(row) for sentences in per_run for row in sentences} == {k}
    for hyps, sentences in zip(runs, per_run):
        expected = evaluate.metric(name).corpus_score(hyps, [refs]).score
        assert corpus_scores(np.array(sentences, dtype=np.float64).sum(axis=0), name) == pytest.approx(expected, abs=1e-9)


def test_a_sacrebleu_without_that_private_api_is_a_clear_error():
    with pytest.raises(RuntimeError, match="sacreBLEU .* no longer has the private API"):
        corpus_metrics.sacrebleu_statistics(object(), [["a"]], ["a"])


def test_t_distribution_matches_tables():
    assert t_quantile(0.975, 2) == pytest.approx(4.302653, abs=1e-6)
    assert t_quantile(0.975, 4) == pytest.approx(2.776445, abs=1e-6)
    assert t_quantile(0.975, 10) == pytest.approx(2.228139, abs=1e-6)
    assert t_quantile(0.975, math.inf) == pytest.approx(1.959964, abs=1e-6)
    assert t_two_sided_p(2.776445, 4) == pytest.approx(0.05, abs=1e-6)
    assert t_two_sided_p(0.0, 3) == pytest.approx(1.0)


def test_t_distribution_matches_scipy():
    scipy_stats = pytest.importorskip("scipy.stats")
    for df in (1, 2, 2.7, 5.5, 30, 400):
        for t in (0.1, 1.0, 2.0, 3.5, 8.0):
            assert t_two_sided_p(t, df) == pytest.approx(2 * scipy_stats.t.sf(t, df), rel=1e-8, abs=1e-14)
        assert t_quantile(0.975, df) == pytest.approx(scipy_stats.t.ppf(0.975, df), rel=1e-8)


# --- per-seed paired bootstrap ----------------------------------------------------------------


def test_paired_bootstrap_on_identical_outputs_finds_nothing():
    rng = np.random.default_rng(1)
    ref_ids, difficulty = _test_set(rng)
    hyps = _run(rng, ref_ids, difficulty, 0.3)
    result = paired_bootstrap(hyps, list(hyps), _texts(ref_ids))
    assert result["delta"] == 0.0 and result["ci_low"] == 0.0 and result["ci_high"] == 0.0
    assert result["p_value"] == 1.0
    assert "per-seed" in result["test"]


@pytest.mark.parametrize("metric", ["bleu", "chrf"])
def test_paired_bootstrap_detects_a_clearly_better_run(metric):
    rng = np.random.default_rng(2)
    ref_ids, difficulty = _test_set(rng)
    worse, better = _run(rng, ref_ids, difficulty, 0.4), _run(rng, ref_ids, difficulty, 0.1)
    result = paired_bootstrap(worse, better, _texts(ref_ids), metric)
    assert result["delta"] > 10 and result["ci_low"] > 0 and result["p_value"] < 0.01
    assert paired_bootstrap(better, worse, _texts(ref_ids), metric)["ci_high"] < 0


@pytest.mark.slow
def test_paired_bootstrap_false_positive_rate_is_nominal():
    rng = np.random.default_rng(3)
    calls = 0
    for _ in range(200):
        ref_ids, difficulty = _test_set(rng, 60)
        a, b = _run(rng, ref_ids, difficulty, 0.3), _run(rng, ref_ids, difficulty, 0.3)
        calls += _called(paired_bootstrap(a, b, _texts(ref_ids), n=200, seed=int(rng.integers(1 << 30))))
    print(f"false positives: per-seed paired bootstrap {calls / 200:.3f}")
    assert calls / 200 <= 0.07


# --- the primary test: seeds and sentences ------------------------------------------------------


@pytest.mark.parametrize("metric", ["bleu", "chrf"])
def test_seed_bootstrap_detects_a_systematically_better_config(metric):
    rng = np.random.default_rng(4)
    ref_ids, difficulty = _test_set(rng)
    baseline = [_run(rng, ref_ids, difficulty, 0.35 + rng.normal(0, 0.02)) for _ in range(3)]
    system = [_run(rng, ref_ids, difficulty, 0.15 + rng.normal(0, 0.02)) for _ in range(3)]
    result = seed_bootstrap(baseline, system, _texts(ref_ids), metric)
    assert result["delta"] > 5 and result["ci_low"] > 0 and result["p_value"] < 0.01
    assert _called(result)


def test_seed_bootstrap_on_identical_runs_finds_nothing():
    rng = np.random.default_rng(5)
    ref_ids, difficulty = _test_set(rng)
    runs = [_run(rng, ref_ids, difficulty, 0.3) for _ in range(3)]
    result = seed_bootstrap(runs, list(runs), _texts(ref_ids))
    assert result["delta"] == 0.0 and result["p_value"] == 1.0
    assert result["ci_low"] < 0 < result["ci_high"]


def test_three_seeds_with_a_large_spread_hide_a_small_effect():
    rng = np.random.default_rng(6)
    ref_ids, difficulty = _test_set(rng)
    refs = _texts(ref_ids)
    baseline = [_run(rng, ref_ids, difficulty, c) for c in (0.15, 0.30, 0.45)]
    system = [_run(rng, ref_ids, difficulty, c) for c in (0.13, 0.28, 0.43)]
    result = seed_bootstrap(baseline, system, refs)
    assert result["delta"] > 0
    assert not _called(result) and result["p_value"] > 0.2
    # The best system seed against the worst baseline seed looks like a clear win on its own.
    assert _called(paired_bootstrap(baseline[2], system[0], refs))


@pytest.mark.slow
@pytest.mark.parametrize("seed_spread,config_by_sentence", [(0.08, 0.0), (0.0, 0.8)])
def test_seed_bootstrap_false_positive_rate_is_nominal(seed_spread, config_by_sentence):
    """Identical configurations, 3 seeds each: seed-dominated, then sentence-by-config dominated."""
    rng = np.random.default_rng(7)
    trials, calls, per_seed_calls = 200, 0, 0
    for _ in range(trials):
        ref_ids, difficulty = _test_set(rng, 30)
        runs = []
        for _config in range(2):
            own = difficulty * rng.uniform(1 - config_by_sentence, 1 + config_by_sentence, len(difficulty))
            runs.append([_run(rng, ref_ids, own, 0.3 + rng.normal(0, seed_spread)) for _ in range(3)])
        refs, seed = _texts(ref_ids), int(rng.integers(1 << 30))
        calls += _called(seed_bootstrap(runs[0], runs[1], refs, n=200, seed=seed))
        if seed_spread:
            per_seed_calls += _called(paired_bootstrap(runs[0][0], runs[1][0], refs, n=200, seed=seed))
    print(f"false positives: seed+sentence test {calls / trials:.3f}, one seed pair {per_seed_calls / trials:.3f}")
    assert calls / trials <= 0.07
    if seed_spread:  # the regime is hard: one seed pair alone is called different far too often
        assert per_seed_calls / trials > 0.2


@pytest.mark.slow
def test_seed_bootstrap_is_not_needlessly_cautious():
    """A modest effect with little seed spread is found most of the time.

    Resampling seeds and sentences together counts each run's sentence-level
    luck twice; its percentile interval found this effect in 17 of these 40 trials.
    """
    rng = np.random.default_rng(11)
    trials, calls = 40, 0
    for _ in range(trials):
        ref_ids, difficulty = _test_set(rng)
        baseline = [_run(rng, ref_ids, difficulty, 0.30) for _ in range(3)]
        system = [_run(rng, ref_ids, difficulty, 0.25) for _ in range(3)]
        calls += _called(seed_bootstrap(baseline, system, _texts(ref_ids), n=200, seed=int(rng.integers(1 << 30))))
    print(f"power: {calls / trials:.3f}")
    assert calls / trials >= 0.5


# --- scalar per-seed values -------------------------------------------------------------------


def test_seed_level_test_is_welch_t():
    result = seed_level_test([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    assert result["delta"] == pytest.approx(3.0)
    assert result["df"] == pytest.approx(4.0)
    assert result["se"] == pytest.approx(math.sqrt(2 / 3))
    assert result["p_value"] == pytest.approx(0.0213116411, abs=1e-9)  # scipy ttest_ind(equal_var=False)
    assert result["ci_low"] == pytest.approx(3.0 - 2.776445 * math.sqrt(2 / 3), abs=1e-5)


@pytest.mark.slow
def test_seed_level_test_false_positive_rate_is_nominal():
    rng = np.random.default_rng(8)
    trials = 1000
    calls = sum(
        _called(seed_level_test(rng.normal(20, 1.0, 3), rng.normal(20, 2.0, 4))) for _ in range(trials)
    )
    print(f"false positives: Welch t {calls / trials:.3f}")
    assert 0.02 <= calls / trials <= 0.07


def test_seed_level_test_needs_a_consistent_difference():
    assert not _called(seed_level_test([30.0, 34.0, 38.0], [31.0, 35.0, 39.0]))
    assert _called(seed_level_test([30.0, 30.2, 30.1], [31.0, 31.1, 31.2]))


def test_identical_scalars_give_p_1():
    result = seed_level_test([5.0, 5.0], [5.0, 5.0])
    assert result["delta"] == 0.0 and result["p_value"] == 1.0


# --- several comparisons and summaries -------------------------------------------------------


def test_holm_matches_a_hand_computed_example():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> raised to 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]) == [1.0, 1.0]
    assert holm([0.02]) == [0.02]
    assert holm([]) == []


def test_significant_needs_both_the_interval_and_the_adjusted_p():
    assert significant(0.1, 2.0, 0.01)
    assert significant(-2.0, -0.1, 0.01)
    assert not significant(-0.1, 2.0, 0.01)
    assert not significant(0.1, 2.0, 0.2)


def test_decide_adjusts_several_configs_against_one_baseline():
    results = [
        {"delta": 1.0, "ci_low": 0.2, "ci_high": 1.8, "p_value": 0.01},
        {"delta": 0.5, "ci_low": 0.01, "ci_high": 1.0, "p_value": 0.04},
    ]
    decided = decide(results)
    assert [d["p_holm"] for d in decided] == pytest.approx([0.02, 0.04])
    assert [d["significant"] for d in decided] == [True, True]
    assert [d["significant"] for d in decide(results, alpha=0.03)] == [True, False]
    assert "p_holm" not in results[0]


def test_mean_std_uses_the_sample_std():
    assert mean_std([1.0, 2.0, 3.0]) == (2.0, 1.0)
    mean, std = mean_std([5.0])
    assert mean == 5.0 and math.isnan(std)
    with pytest.raises(DataError, match="no values"):
        mean_std([])


def test_results_are_plain_json_able_floats():
    rng = np.random.default_rng(9)
    ref_ids, difficulty = _test_set(rng, 30)
    runs = [_run(rng, ref_ids, difficulty, c) for c in (0.2, 0.3, 0.25, 0.35)]
    refs = _texts(ref_ids)
    for result in (
        paired_bootstrap(runs[0], runs[1], refs),
        seed_bootstrap(runs[:2], runs[2:], refs),
        seed_level_test([1.0, 2.0], np.array([3.0, 4.5], dtype=np.float32)),
    ):
        assert all(type(v) is float for k, v in result.items() if k not in ("test", "parts"))
        assert all(type(v) in (float, int) for v in result.get("parts", {}).values())
        json.dumps(result, allow_nan=False)
    assert all(type(v) is float for v in mean_std(np.array([1, 2], dtype=np.float32)))


# --- errors ------------------------------------------------------------------------------------


def test_a_run_of_the_wrong_length_is_named():
    rng = np.random.default_rng(10)
    ref_ids, difficulty = _test_set(rng, 20)
    runs = [_run(rng, ref_ids, difficulty, 0.3) for _ in range(2)]
    short = [runs[0], runs[1][:-1]]
    with pytest.raises(DataError, match="system run 1 19, references 20"):
        seed_bootstrap(runs, short, _texts(ref_ids))


def test_one_seed_is_not_enough_for_a_seed_test():
    with pytest.raises(DataError, match="baseline has 1 run.*at least 2 seeds"):
        seed_bootstrap([["w1"]], [["w1"], ["w2"]], ["w1"])
    with pytest.raises(DataError, match="system has 1 run"):
        seed_level_test([1.0, 2.0], [3.0])


def test_bad_options_are_config_errors():
    with pytest.raises(ConfigError, match="n=10 bootstrap resamples.*at least 100"):
        paired_bootstrap(["w1"], ["w1"], ["w1"], n=10)
    with pytest.raises(ConfigError, match="Unknown metric 'ter'"):
        paired_bootstrap(["w1"], ["w1"], ["w1"], metric="ter")


# --- power ------------------------------------------------------------------------------------


def _parts(var, seeds, test_var=0.0):
    return {"seed_var_baseline": var, "seed_var_system": var, "seeds_baseline": seeds, "seeds_system": seeds,
            "test_set_var": test_var, "sentences": 1000}


@pytest.mark.slow
@pytest.mark.parametrize("seeds, effect", [(3, None), (3, 1.0), (5, 0.6)])
def test_predicted_detection_rate_matches_simulation(seeds, effect):
    """Synthetic per-seed scores, sigma 0.7: the rate the power formula predicts is the rate the test shows."""
    sigma, trials = 0.7, 3000
    parts = _parts(sigma**2, seeds)
    effect = stats.detectable_effect(parts) if effect is None else effect
    predicted = stats.power_of({"parts": parts}, effect=effect)["rate_at_effect"]
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(trials):
        base, system = rng.normal(20, sigma, seeds), rng.normal(20 + effect, sigma, seeds)
        hits += stats.seed_level_test(base, system)["p_value"] < 0.05
    assert abs(hits / trials - predicted) < 0.10


def test_no_effect_is_detected_at_about_alpha():
    assert abs(stats.detection_rate(0.0, _parts(0.5, 3, 0.01)) - 0.05) < 0.015


@pytest.mark.slow
def test_seeds_needed_for_one_point_and_the_test_set_floor():
    found = stats.power_of({"parts": _parts(0.5, 3)}, effect=1.0)
    k = found["seeds_for_effect"]
    assert k is not None and k > 3
    assert stats.detection_rate(1.0, _parts(0.5, k)) >= 0.8 > stats.detection_rate(1.0, _parts(0.5, k - 1))
    assert found["mde"] > 1.0 and found["rate_at_effect"] < 0.8
    # test-set sampling alone leaves a standard error of 0.5: no number of seeds detects 1 point with 80% power
    assert stats.power_of({"parts": _parts(0.5, 3, test_var=0.25)}, effect=1.0)["seeds_for_effect"] is None
