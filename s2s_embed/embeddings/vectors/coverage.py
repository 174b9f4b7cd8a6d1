"""The coverage report of a built layer: which vocabulary words found a vector, and how; and its text for people."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from s2s_embed.embeddings.layer import VectorEmbedding
from s2s_embed.embeddings.spec import BuildContext, EmbeddingSpec
from s2s_embed.embeddings.vectors.data import Vectors

KINDS = ("exact", "lower", "title", "subword", "oov")
TOP_OOV = 20


class CoverageWarning(UserWarning):
    """No vocabulary word found a vector: the vectors are probably for another language or case."""


def coverage_report(kinds: list[str], ctx: BuildContext, spec: EmbeddingSpec, vectors: Vectors, plugin_name: str,
                    module: VectorEmbedding, init: str, notes: list[str]) -> dict[str, Any]:
    counts = ctx.vocab.counts
    by_kind = {k: 0 for k in KINDS}
    tokens_total = tokens_covered = 0
    oov_words = []
    for token, kind in zip(ctx.vocab.itos, kinds):
        if kind == "special":
            continue
        by_kind[kind] += 1
        n = int(counts.get(token, 0))
        tokens_total += n
        if kind == "oov":
            oov_words.append((token, n))
        else:
            tokens_covered += n
    types_total = sum(by_kind.values())
    oov_words.sort(key=lambda tn: -tn[1])  # stable: ties keep vocabulary order
    return {
        "side": ctx.side,
        "plugin": plugin_name,
        "source": vectors.source,
        "source_size": vectors.source_size if vectors.source_size is not None else len(vectors),
        "source_dim": vectors.dim,
        "rows_read": len(vectors),
        "duplicates_dropped": vectors.duplicates,
        "from_cache": vectors.from_cache,
        "dim": module.embedding_dim,
        "projection": module.projection is not None,
        "normalize": spec.normalize,
        "center": spec.center,
        "remove_top": spec.remove_top,
        "rescale": spec.rescale,
        "freeze": spec.freeze,
        "oov": spec.oov,
        "oov_init": init,
        "types": {"covered": types_total - by_kind["oov"], "total": types_total,
                  "ratio": _ratio(types_total - by_kind["oov"], types_total)},
        "tokens": {"covered": tokens_covered, "total": tokens_total, "ratio": _ratio(tokens_covered, tokens_total)},
        "kinds": by_kind,
        "top_oov": [{"word": w, "count": n} for w, n in oov_words[:TOP_OOV]],
        "notes": notes,
    }


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def format_coverage(report: Mapping[str, Any]) -> str:
    """A few lines for people: where the vectors came from, what they covered, the commonest misses."""
    types, tokens, kinds = report["types"], report["tokens"], report["kinds"]
    shape = f"{report['source_size']:,} x {report['source_dim']}"
    extra = [f"projected to {report['dim']}"] if report["projection"] else []
    extra += ["unit length"] if report["normalize"] else []
    extra += ["centred"] if report.get("center") else []
    extra += [f"top {report['remove_top']} components removed"] if report.get("remove_top") else []
    init = report.get("init") or {}
    if init.get("target_std") is not None:
        extra += [f"rescaled to std {init['target_std']:g} (was {init['before']['std']:.3g})"]
    extra += [f"{report['duplicates_dropped']:,} duplicates dropped"] if report["duplicates_dropped"] else []
    extra += ["from cache"] if report["from_cache"] else []
    lines = [
        f"{report['side']} embeddings '{report['plugin']}': {report['source'] or 'vectors'} ({shape}"
        f"{''.join(', ' + e for e in extra)})",
        f"  coverage: {types['covered']:,}/{types['total']:,} words ({types['ratio']:.1%}), "
        f"{tokens['covered']:,}/{tokens['total']:,} corpus tokens ({tokens['ratio']:.1%})",
        f"  matched: exact {kinds['exact']:,}, lowercase {kinds['lower']:,}, title case {kinds['title']:,}, "
        f"subword {kinds['subword']:,}; no vector {kinds['oov']:,} (start {report['oov_init']}, freeze {report['freeze']})",
    ]
    if report["top_oov"]:
        lines.append("  most frequent without a vector: " + ", ".join(f"{o['word']} ({o['count']})" for o in report["top_oov"][:10]))
    lines += [f"  note: {n}" for n in report["notes"]]
    return "\n".join(lines)
