"""PNG plots of an analysed suite (matplotlib, Agg backend: no display needed).

    forest*.png          ΔBLEU from the baseline with its 95% interval per configuration; filled: significant
    bleu*.png            BLEU per configuration, mean over seeds with the std as error bars
    valid_loss*.png      validation loss per epoch, mean over seeds (band: std)
    rare_words*.png      target-word F by training-frequency bucket per configuration, and ΔF with its 95% interval
    learning_curve*.png  BLEU against training pairs per configuration, when the suite has several sizes
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from s2s_embed.benchmark.records import Comparison, TestRow

DPI = 120


def write_plots(analysis: Mapping[str, Any], out: Path) -> dict[str, list[str]]:
    """Write every plot into `out`; returns file names by group label (and "learning_curve")."""
    import matplotlib

    matplotlib.use("Agg")
    groups = analysis["groups"]
    several = len(groups) > 1
    written: dict[str, list[str]] = {}
    for group in groups:
        suffix = f"_{_slug(group)}" if several else ""
        files = [f for f in (_forest(group, out / f"forest{suffix}.png"),
                             _bleu_bars(group, out / f"bleu{suffix}.png"),
                             _valid_loss(group, out / f"valid_loss{suffix}.png"),
                             _rare_words(group, out / f"rare_words{suffix}.png")) if f]
        written[group_label(group)] = files
    for (dataset, variant), members in _by_size(groups).items():
        if len(members) > 1:
            suffix = f"_{dataset}_{variant}" if len(_by_size(groups)) > 1 else ""
            name = _learning_curve(members, out / f"learning_curve{suffix}.png")
            if name:
                written.setdefault("learning_curve", []).append(name)
    _remove_stale(out, {name for names in written.values() for name in names})
    return written


PLOT_STEMS = ("forest", "bleu", "valid_loss", "rare_words", "learning_curve")


def _remove_stale(out: Path, keep: set[str]) -> None:
    """Remove the plots an earlier report wrote that this one does not (e.g. bleu.png once a second size is in)."""
    ours = re.compile(rf"({'|'.join(PLOT_STEMS)})(_.+_(n[0-9]+|full))?|learning_curve_.+")
    for path in out.glob("*.png"):
        if path.name not in keep and ours.fullmatch(path.stem):
            path.unlink()


def group_label(group: Mapping[str, Any]) -> str:
    size = f"{group['train_size']:,} training pairs" if group["train_size"] else "all training pairs"
    return f"{group['dataset']}, {group['variant']}, {size}"


def _slug(group: Mapping[str, Any]) -> str:
    return f"{group['dataset']}_{group['variant']}_{'n' + str(group['train_size']) if group['train_size'] else 'full'}"


def _by_size(groups: list[Mapping[str, Any]]) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    out: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for g in groups:
        out.setdefault((g["dataset"], g["variant"]), []).append(g)
    return out


def _forest(group: Mapping[str, Any], path: Path) -> str | None:
    """Each configuration's ΔBLEU from the baseline with its 95% interval; filled: significant (Holm)."""
    import matplotlib.pyplot as plt

    tests = group["test_sets"]
    tested = {name: [r for r in map(TestRow.from_json, t["configs"]) if r.comparison("bleu").ran]
              for name, t in tests.items()}
    if not any(tested.values()):
        return None
    height = 1.4 + 0.45 * max(len(rows) for rows in tested.values())
    fig, axes = plt.subplots(1, len(tests), figsize=(5.0 * len(tests), height), squeeze=False)
    for ax, (name, rows) in zip(axes[0], tested.items()):
        for i, r in enumerate(rows):
            res = r.comparison("bleu")
            colour = "C2" if res.delta > 0 else "C3"
            ax.plot([res.ci_low, res.ci_high], [i, i], color=colour, linewidth=2)
            ax.plot([res.delta], [i], marker="o", markersize=7, color=colour,
                    markerfacecolor=colour if res.significant else "white")
        ax.axvline(0.0, color="0.4", linewidth=1, linestyle="--")
        ax.set_yticks(range(len(rows)), [r.config for r in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlabel(f"ΔBLEU vs {group['baseline']}  (← worse | better →)")
        ax.set_title(name, fontsize=9)
    fig.suptitle(f"{group_label(group)}\n95% seed-aware intervals; filled dot: significant after Holm", fontsize=9)
    return _save(fig, path)


def _bleu_bars(group: Mapping[str, Any], path: Path) -> str | None:
    import matplotlib.pyplot as plt

    tests = group["test_sets"]
    if not any(r["n"] for t in tests.values() for r in t["configs"]):
        return None
    width = max(5.0, 1.2 + 1.1 * _n_configs(group) * len(tests))
    fig, axes = plt.subplots(1, len(tests), figsize=(width, 4.0), squeeze=False)
    for ax, (name, test) in zip(axes[0], tests.items()):
        rows = [r for r in test["configs"] if r["n"]]
        means = [r["bleu"]["mean"] for r in rows]
        errors = [r["bleu"]["std"] or 0.0 for r in rows]
        colours = ["0.6" if r["baseline"] else "C0" for r in rows]
        ax.bar(range(len(rows)), means, yerr=errors, capsize=4, color=colours)
        for i, r in enumerate(rows):
            if TestRow.from_json(r).comparison("bleu").significant:
                ax.annotate("*", (i, means[i] + errors[i]), ha="center", va="bottom", fontsize=14)
        ax.set_xticks(range(len(rows)), [r["config"] for r in rows], rotation=30, ha="right")
        ax.set_title(f"{name} ({test['n_sentences']} sentences)", fontsize=9)
        ax.set_ylabel("BLEU (mean ± std over seeds)")
    fig.suptitle(f"{group_label(group)}\n(grey: baseline; *: significant difference)", fontsize=9)
    return _save(fig, path)


def _valid_loss(group: Mapping[str, Any], path: Path) -> str | None:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    rows = [r for r in group["training"] if r["n"]]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for r in rows:
        curve = r["valid_loss_curve"]
        ax.plot(curve["epoch"], curve["mean"], marker="o", markersize=3, label=r["config"],
                linestyle="--" if r["baseline"] else "-")
        low = [m - (s or 0.0) for m, s in zip(curve["mean"], curve["std"])]
        high = [m + (s or 0.0) for m, s in zip(curve["mean"], curve["std"])]
        ax.fill_between(curve["epoch"], low, high, alpha=0.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss (mean over seeds)")
    ax.set_title(group_label(group), fontsize=9)
    ax.legend(fontsize=8)
    return _save(fig, path)


def _rare_words(group: Mapping[str, Any], path: Path) -> str | None:
    """Per test set: F by training-frequency bucket per configuration (top), ΔF from the baseline with its 95% interval
    (bottom); buckets without reference words are left out."""
    import matplotlib.pyplot as plt

    tests = {name: t for name, t in (group.get("rare_words") or {}).items() if t["ref_words"] is not None}
    if not tests:
        return None
    fig, axes = plt.subplots(2, len(tests), figsize=(6.0 * len(tests), 6.5), squeeze=False, sharex="col")
    for col, (name, test) in enumerate(tests.items()):
        shown = [b for b, n in enumerate(test["ref_words"]) if n]
        rows = [r for r in test["configs"] if r["n"]]
        top, bottom = axes[0][col], axes[1][col]
        for k, r in enumerate(rows):
            points = [(x, r["f"][b]["mean"], r["f"][b]["std"]) for x, b in enumerate(shown)
                      if r["f"][b]["mean"] is not None]
            top.errorbar([p[0] for p in points], [p[1] for p in points], yerr=[p[2] or 0.0 for p in points],
                         marker="o", markersize=4, capsize=3, label=r["config"], color=f"C{k}",
                         linestyle="--" if r["baseline"] else "-")
            offset = 0.08 * (k - (len(rows) - 1) / 2)
            for x, b in enumerate(shown):
                res = Comparison.from_json((r.get("vs_baseline") or [{}] * len(test["buckets"]))[b])
                if res.ran:
                    bottom.plot([x + offset] * 2, [res.ci_low, res.ci_high], color=f"C{k}", linewidth=2)
                    bottom.plot([x + offset], [res.delta], marker="o", markersize=5, color=f"C{k}")
        bottom.axhline(0.0, color="0.4", linewidth=1, linestyle="--")
        if not any(Comparison.from_json(res).ran for r in rows for res in r.get("vs_baseline") or []):
            bottom.text(0.5, 0.5, "no ΔF: it needs at least 2 seeds of a configuration and of the baseline",
                        ha="center", va="center", transform=bottom.transAxes, fontsize=8)
        bottom.set_xticks(range(len(shown)), [f"{test['buckets'][b]}\n({test['ref_words'][b]:,})" for b in shown],
                          fontsize=8)
        bottom.set_xlabel("training count of the word (reference words)")
        bottom.set_ylabel(f"ΔF vs {group['baseline']} (95% CI)")
        top.set_ylabel("word F-measure (mean ± std over seeds)")
        top.set_title(name, fontsize=9)
        top.legend(fontsize=8)
    fig.suptitle(f"{group_label(group)}\ntarget words by training frequency (compare-mt buckets)", fontsize=9)
    return _save(fig, path)


def _learning_curve(groups: list[Mapping[str, Any]], path: Path) -> str | None:
    import matplotlib.pyplot as plt

    tests = list(groups[0]["test_sets"])
    fig, axes = plt.subplots(1, len(tests), figsize=(5.5 * len(tests), 3.8), squeeze=False)
    configs = list(dict.fromkeys(r["config"] for g in groups for r in g["training"]))  # some run at some sizes only
    for ax, test in zip(axes[0], tests):
        for config in configs:
            points = []
            for g in groups:
                row = next((r for r in g["test_sets"][test]["configs"] if r["config"] == config), None)
                if row and row["n"] and g["train_pairs"]:
                    points.append((g["train_pairs"], row["bleu"]["mean"], row["bleu"]["std"] or 0.0))
            if points:
                points.sort()
                ax.errorbar([p[0] for p in points], [p[1] for p in points], yerr=[p[2] for p in points],
                            marker="o", capsize=3, label=config)
        ax.set_xscale("log")
        ax.set_xlabel("training pairs")
        ax.set_ylabel("BLEU (mean ± std over seeds)")
        ax.set_title(f"{groups[0]['dataset']}: {test}", fontsize=9)
        ax.legend(fontsize=8)
    return _save(fig, path)


def _n_configs(group: Mapping[str, Any]) -> int:
    return max(2, sum(1 for r in group["training"] if r["n"]))


def _save(fig, path: Path) -> str:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path.name
