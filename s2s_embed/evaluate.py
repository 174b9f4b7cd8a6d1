"""Corpus scores of translations: sacreBLEU BLEU and chrF, each kept with its signature.

`score` compares detokenised hypotheses with raw references, the way sacreBLEU
is meant to be used, and returns plain JSON-able data. `tutorial_bleu` is the
other number people quote for Multi30K models, computed on token lists; it is
kept apart under its own key because it is not comparable with sacreBLEU.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.metrics.base import Metric

from s2s_embed.errors import ConfigError, DataError, unknown

METRICS = ("bleu", "chrf")

# sacreBLEU's short signature keys, spelt out for the JSON we write.
_FIELD_NAMES = {
    "tok": "tokenizer",
    "smooth": "smoothing",
    "eff": "effective_order",
    "nc": "char_order",
    "nw": "word_order",
    "space": "whitespace",
}


def metric(name: str) -> Metric:
    """A fresh sacreBLEU metric with the settings every s2s-embed score uses (sacreBLEU defaults)."""
    if name == "bleu":
        return BLEU()
    if name == "chrf":
        return CHRF()
    raise ConfigError(unknown("metric", name, METRICS))


def check_lengths(n_hyps: int, n_refs: int, hyp_source: str = "hypotheses", ref_source: str = "references") -> None:
    """Raise DataError unless there is one hypothesis per reference, and at least one."""
    if n_hyps != n_refs:
        raise DataError(
            f"Line counts differ: {hyp_source} {n_hyps}, {ref_source} {n_refs}. Scores need exactly one "
            "hypothesis per reference line: translate the whole test set, keeping empty translations as empty lines."
        )
    if n_hyps == 0:
        raise DataError(f"{hyp_source} and {ref_source} are empty: there is nothing to score.")


def signature(m: Metric) -> dict:
    """The structured signature of a metric that has scored something (None fields dropped)."""
    info = m.get_signature().info
    fields = {_FIELD_NAMES.get(key, key): value for key, value in info.items() if value is not None}
    return {"metric": "BLEU" if isinstance(m, BLEU) else f"chrF{m.beta}" + "+" * m.word_order, **fields}


def score(
    hyps: Sequence[str],
    refs: Sequence[str],
    *,
    tokenizer: Callable[[str], list[str]] | None = None,
    hyp_source: str = "hypotheses",
    ref_source: str = "references",
) -> dict:
    """sacreBLEU BLEU and chrF of detokenised `hyps` against raw `refs`, with signatures.

    With a `tokenizer` (text -> tokens, e.g. `Tokenizer(lang)`), the result also
    holds `bleu_tok_lc`, the tutorial-style BLEU of the tokenised text (see
    `tutorial_bleu`). `hyp_source`/`ref_source` name the inputs in errors.
    """
    check_lengths(len(hyps), len(refs), hyp_source, ref_source)
    hyps, refs = list(hyps), list(refs)
    bleu_metric, chrf_metric = metric("bleu"), metric("chrf")
    bleu = bleu_metric.corpus_score(hyps, [refs])
    chrf = chrf_metric.corpus_score(hyps, [refs])
    result = {
        "n_sentences": len(hyps),
        "bleu": float(bleu.score),
        "chrf": float(chrf.score),
        "bleu_details": {
            "precisions": [float(p) for p in bleu.precisions],
            "bp": float(bleu.bp),
            "hyp_len": int(bleu.sys_len),
            "ref_len": int(bleu.ref_len),
        },
        "bleu_signature": signature(bleu_metric),
        "chrf_signature": signature(chrf_metric),
        "bleu_signature_str": bleu_metric.get_signature().format(),
        "chrf_signature_str": chrf_metric.get_signature().format(),
    }
    if tokenizer is not None:
        result["bleu_tok_lc"] = tutorial_bleu([tokenizer(h) for h in hyps], [tokenizer(r) for r in refs])
    return result


def _ngrams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def tutorial_bleu(hyp_tokens: Sequence[Sequence[str]], ref_tokens: Sequence[Sequence[str]]) -> float:
    """Tokenised, lowercased corpus BLEU-4 in 0..100, as the PyTorch seq2seq tutorials report it.

    This reproduces torchtext's `bleu_score` on spaCy token lists (one reference
    each): clipped n-gram precisions for n = 1..4 summed over the corpus,
    uniform weights, no smoothing (any order without a match gives 0), brevity
    penalty exp(min(0, 1 - ref_len / hyp_len)); tokens are lowercased here.
    It depends on the tokenizer and ignores case, so it is NOT comparable with
    sacreBLEU's BLEU; report it only next to numbers computed the same way.
    """
    check_lengths(len(hyp_tokens), len(ref_tokens), "hypothesis token lists", "reference token lists")
    matches, totals = [0] * 4, [0] * 4
    hyp_len = ref_len = 0
    for hyp, ref in zip(hyp_tokens, ref_tokens):
        hyp, ref = [t.lower() for t in hyp], [t.lower() for t in ref]
        hyp_len += len(hyp)
        ref_len += len(ref)
        for n in range(1, 5):
            matches[n - 1] += sum((_ngrams(hyp, n) & _ngrams(ref, n)).values())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    if min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / 4
    brevity = math.exp(min(0.0, 1 - ref_len / hyp_len))
    return float(100 * brevity * math.exp(log_precision))
