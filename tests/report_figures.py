"""The figures of a benchmark's report.json by where they stand, to check that a rebuilt report shows the same."""
import math


def report_figures(report):
    """Every number a report shows, by where it stands: means and spreads, and for each
    comparison its delta, interval, p-values and call (primary and per seed)."""
    found = {}
    for group in report["groups"]:
        where = f"{group['dataset']} {group['variant']} n={group['train_size']}"
        for test_name, test in group["test_sets"].items():
            found[f"{where} {test_name} n_sentences"] = test["n_sentences"]
            for row in test["configs"]:
                label = f"{where} {test_name} {row['config']}"
                for score in ("bleu", "chrf", "bleu_tok_lc"):
                    for key in ("mean", "std"):
                        found[f"{label} {score} {key}"] = row[score][key]
                for metric in ("bleu", "chrf"):
                    results = {"": row.get(f"vs_baseline_{metric}", {}),
                               **{f" seed {s}": r for s, r in row.get(f"per_seed_{metric}", {}).items()}}
                    for seed, result in results.items():
                        for key in ("delta", "ci_low", "ci_high", "p_value", "p_holm", "significant"):
                            if key in result:
                                found[f"{label} vs baseline {metric}{seed} {key}"] = result[key]
    return found


def assert_same_figures(old, new, tolerance=1e-9):
    before, after = report_figures(old), report_figures(new)
    assert sorted(after) == sorted(before)
    differ = [f"{k}: {before[k]} -> {after[k]}" for k in before
              if not (before[k] == after[k] or (isinstance(before[k], float) and isinstance(after[k], float)
                                                 and math.isclose(before[k], after[k], rel_tol=0, abs_tol=tolerance)))]
    assert not differ, "; ".join(differ[:5])
