"""Words by how often the training data holds them: compare-mt's frequency buckets and word F-measure per bucket.

A target word goes into a bucket by its count on the target side of the
cell's training data (the pairs the model trained on, after `train_size` and
the length filter), counted before `min_freq` cut the vocabulary: a word seen
once is `<unk>` to a model with min_freq = 2, and it belongs in bucket "1".
The buckets are compare-mt's (Neubig et al. 2019): unseen, 1, 2, 3, 4, 5-9,
10-99, 100-999, 1000+.

Per test set, for each bucket, as compare-mt's word accuracy does: a
hypothesis word is matched when its sentence's reference holds it (clipped:
per sentence and word type, at most as many matches as the reference has),
precision = matched / hypothesis words in the bucket, recall = matched /
reference words in the bucket, summed over the test set before dividing, and
F = 2PR / (P + R). The counts are kept, so the F-measures can be rebuilt from a
result row alone.

Words are the tokens the model sees: the target language's `Tokenizer` with the
data config's lowercase flag, applied to the saved (detokenised) hypotheses and
to the references; the model's `<unk>` stays one word (in "unseen").

On the source side, `source_shares` gives the share of test tokens that are
`<unk>` to the model and the share whose vocabulary row came from pretrained
vectors.
"""
from __future__ import annotations

import bisect
import functools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from s2s_embed.config import DataConfig
from s2s_embed.data.tokenize import Tokenizer
from s2s_embed.data.vocab import UNK, Vocab
from s2s_embed.errors import DataError

BUCKETS = ("unseen", "1", "2", "3", "4", "5-9", "10-99", "100-999", "1000+")
_LOWEST = (0, 1, 2, 3, 4, 5, 10, 100, 1000)  # the smallest training count of each bucket
_PLACEHOLDER = "unkplaceholder"  # spaCy would split "<unk>" into <, unk, >


def bucket_of(count: int) -> int:
    """The index in BUCKETS of a word seen `count` times in training."""
    return bisect.bisect_right(_LOWEST, max(0, count)) - 1


@dataclass(frozen=True)
class BucketCounts:
    """Word counts per frequency bucket (in BUCKETS order) over one test set."""

    hyp: tuple[int, ...]  # hypothesis words
    ref: tuple[int, ...]  # reference words
    matched: tuple[int, ...]  # hypothesis words matched in their reference (clipped)

    def __post_init__(self):
        if not len(self.hyp) == len(self.ref) == len(self.matched) == len(BUCKETS):
            raise DataError(f"Rare-word counts need {len(BUCKETS)} buckets ({', '.join(BUCKETS)}); got "
                            f"{len(self.hyp)}, {len(self.ref)} and {len(self.matched)} values.")

    def f_measures(self) -> list[float | None]:
        """F per bucket; None for a bucket with no word on either side."""
        return [f_measure(m, h, r) for m, h, r in zip(self.matched, self.hyp, self.ref)]

    def to_json(self) -> dict[str, Any]:
        return {"buckets": list(BUCKETS), "hyp": list(self.hyp), "ref": list(self.ref), "matched": list(self.matched)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BucketCounts:
        if list(data.get("buckets", ())) != list(BUCKETS):
            raise DataError(f"Rare-word counts with buckets {data.get('buckets')} cannot be read: this version "
                            f"uses {', '.join(BUCKETS)}. Recompute them with benchmarks/backfill_rare_words.py.")
        return cls(tuple(data["hyp"]), tuple(data["ref"]), tuple(data["matched"]))


def f_measure(matched: int, hyp: int, ref: int) -> float | None:
    """compare-mt's F: 2PR / (P + R), 0 when nothing matched, None when the bucket is empty on both sides."""
    if not hyp and not ref:
        return None
    precision = matched / hyp if hyp else 0.0
    recall = matched / ref if ref else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def count_words(hyps: Sequence[Sequence[str]], refs: Sequence[Sequence[str]],
                train_counts: Mapping[str, int]) -> BucketCounts:
    """Hypothesis, reference and matched words per bucket, sentence by sentence (tokenised sentences)."""
    if len(hyps) != len(refs):
        raise DataError(f"{len(hyps)} hypotheses for {len(refs)} references: rare-word counts need one each.")
    hyp, ref, matched = [0] * len(BUCKETS), [0] * len(BUCKETS), [0] * len(BUCKETS)
    for hyp_words, ref_words in zip(hyps, refs):
        in_ref = Counter(ref_words)
        for word, n in Counter(hyp_words).items():
            b = bucket_of(train_counts.get(word, 0))
            hyp[b] += n
            matched[b] += min(n, in_ref[word])
        for word, n in in_ref.items():
            ref[bucket_of(train_counts.get(word, 0))] += n
    return BucketCounts(tuple(hyp), tuple(ref), tuple(matched))


def words(tokenizer: Tokenizer, texts: Iterable[str]) -> list[list[str]]:
    """Sentences as the model's tokens, with the model's `<unk>` kept as one token."""
    protected = (text.replace(UNK, f" {_PLACEHOLDER} ") for text in texts)
    return [[UNK if w.lower() == _PLACEHOLDER else w for w in sent] for sent in tokenizer.many(protected)]


def test_set_counts(hyps: Sequence[str], refs: Sequence[str], data: DataConfig,
                    train_counts: Mapping[str, int]) -> BucketCounts:
    """`count_words` on raw hypothesis and reference sentences of the target language of `data`."""
    tokenizer = Tokenizer(data.trg_lang, data.lowercase)
    return count_words(words(tokenizer, hyps), words(tokenizer, refs), train_counts)


@dataclass(frozen=True)
class TrainingWords:
    """What the model saw in training: word counts per side and the source vocabulary built from them."""

    source: Counter
    target: Counter
    src_vocab: Vocab


@functools.lru_cache(maxsize=8)
def training_words(data: DataConfig) -> TrainingWords:
    """The training pairs of `data` as `prepare` gives them to training, counted (cached per data config)."""
    from s2s_embed.data.dataset import prepare

    prepared = prepare(data)
    return TrainingWords(Counter(w for s in prepared.train_src_tokens for w in s),
                         Counter(w for s in prepared.train_trg_tokens for w in s), prepared.src_vocab)


def source_shares(sources: Sequence[str], data: DataConfig, vocab: Vocab,
                  pretrained: Sequence[bool] | None) -> dict[str, Any]:
    """Test source tokens: how many, the share `<unk>` to the model, the share with a pretrained vector row.

    `pretrained` is one flag per vocabulary id (the layer's `pretrained`
    buffer), or None where it is not known: the share is then None, not 0.
    """
    tokens = [w for s in Tokenizer(data.src_lang, data.lowercase).many(sources) for w in s]
    ids = [vocab.stoi.get(w) for w in tokens]
    n = len(tokens)
    unk = sum(i is None for i in ids)
    covered = None if pretrained is None else sum(i is not None and bool(pretrained[i]) for i in ids)
    return {"tokens": n, "unk": unk / n if n else None,
            "pretrained": None if covered is None or not n else covered / n}
