"""From a [data] config to tokenised, numericalised training and validation pairs."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from s2s_embed.config import DataConfig
from s2s_embed.data.batching import Pair
from s2s_embed.data.corpus import ParallelText
from s2s_embed.data.tokenize import Tokenizer
from s2s_embed.data.vocab import Vocab
from s2s_embed.errors import DataError

log = logging.getLogger(__name__)


def load_corpus(cfg: DataConfig, split: str) -> ParallelText:
    """The raw `train` or `valid` pairs that `cfg` names."""
    from s2s_embed.data.corpora import CORPORA

    return CORPORA[cfg.corpus].read(cfg, split)


@dataclass
class Prepared:
    """Tokenisers, vocabularies and id pairs for training, with what was dropped and why."""

    src_tok: Tokenizer
    trg_tok: Tokenizer
    src_vocab: Vocab
    trg_vocab: Vocab
    train: list[Pair]
    valid: list[Pair]
    train_src_tokens: list[list[str]]  # for plugins that train vectors on the corpus
    train_trg_tokens: list[list[str]]
    stats: dict[str, int] = field(default_factory=dict)


def prepare(cfg: DataConfig, vocabs: tuple[Vocab, Vocab] | None = None) -> Prepared:
    """Read, tokenise, filter by length and numericalise; build the vocabularies from training data."""
    src_tok, trg_tok = Tokenizer(cfg.src_lang, cfg.lowercase), Tokenizer(cfg.trg_lang, cfg.lowercase)
    train_raw, valid_raw = load_corpus(cfg, "train"), load_corpus(cfg, "valid")
    if cfg.train_size:
        train_raw = train_raw.head(cfg.train_size)
    train_src, train_trg = _filter(train_raw, src_tok, trg_tok, cfg.max_len)
    valid_src, valid_trg = _filter(valid_raw, src_tok, trg_tok, cfg.max_len)
    if vocabs is None:
        size = cfg.max_vocab_size or None
        vocabs = (Vocab.build(train_src, cfg.min_freq, size), Vocab.build(train_trg, cfg.min_freq, size))
    src_vocab, trg_vocab = vocabs
    stats = {"train_pairs": len(train_src), "train_dropped_long": len(train_raw) - len(train_src),
             "train_skipped_empty": train_raw.skipped_empty, "valid_pairs": len(valid_src),
             "valid_dropped_long": len(valid_raw) - len(valid_src), "valid_skipped_empty": valid_raw.skipped_empty}
    log.info("%s training pairs and %s validation pairs%s.", f"{stats['train_pairs']:,}", f"{stats['valid_pairs']:,}",
             _dropped(stats, cfg.max_len))
    return Prepared(src_tok, trg_tok, src_vocab, trg_vocab,
                    _encode(train_src, train_trg, src_vocab, trg_vocab),
                    _encode(valid_src, valid_trg, src_vocab, trg_vocab), train_src, train_trg, stats)


def _dropped(stats: dict[str, int], max_len: int) -> str:
    """What was left out and why, e.g. ' (left out: 12 training pairs longer than data.max_len = 50 tokens)'."""
    parts = [f"{stats[f'{split}_dropped_long']:,} {name} pairs longer than data.max_len = {max_len} tokens"
             for split, name in (("train", "training"), ("valid", "validation")) if stats[f"{split}_dropped_long"]]
    parts += [f"{stats[f'{split}_skipped_empty']:,} {name} pairs with an empty side"
              for split, name in (("train", "training"), ("valid", "validation")) if stats[f"{split}_skipped_empty"]]
    return f" (left out: {'; '.join(parts)})" if parts else ""


def _filter(text: ParallelText, src_tok: Tokenizer, trg_tok: Tokenizer, max_len: int):
    src, trg = src_tok.many(text.src), trg_tok.many(text.trg)
    keep = [i for i in range(len(src)) if 0 < len(src[i]) <= max_len and 0 < len(trg[i]) <= max_len]
    if not keep:
        raise DataError(f"No pairs of {text.name} are left after dropping those longer than data.max_len = {max_len} "
                        f"tokens ({len(src)} pairs read). Raise data.max_len or check the files.")
    return [src[i] for i in keep], [trg[i] for i in keep]


def _encode(src: list[list[str]], trg: list[list[str]], src_vocab: Vocab, trg_vocab: Vocab) -> list[Pair]:
    return [(src_vocab.encode(s), trg_vocab.encode(t)) for s, t in zip(src, trg)]
