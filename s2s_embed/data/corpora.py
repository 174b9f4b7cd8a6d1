"""The corpus kinds a config's `data.corpus` may name, in one table.

Each kind says how to read its `train` and `valid` pairs and, for a built-in
corpus, which named test sets a benchmark suite may ask for and how to read
them. Adding a kind is one `Corpus(...)` entry in `CORPORA`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from s2s_embed.data.corpus import ParallelText, read_parallel_files, read_tsv
from s2s_embed.errors import DataError

if TYPE_CHECKING:
    from s2s_embed.config import DataConfig

SYNTHETIC_VALID = 1000  # validation pairs generated beside the synthetic training set
SYNTHETIC_VALID_SEED_OFFSET = 7919
SYNTHETIC_TEST_SEED_OFFSET = 15485863  # the test set's seed, away from those of training and validation
SYNTHETIC_TEST_SIZE = 1000  # sentences of the generated test set when a suite asks for the whole set


@dataclass(frozen=True)
class Corpus:
    """One kind of corpus: how to read a split, and the test sets it provides by name."""

    name: str
    read: Callable[[DataConfig, str], ParallelText]  # (data config, "train" | "valid") -> pairs
    test_sets: tuple[str, ...] = ()
    read_test: Callable[[DataConfig, str, int], ParallelText] | None = None  # (data, test set name, size 0 = all)


# --- the built-in English-French corpus, generated


def _synthetic(cfg: DataConfig, split: str) -> ParallelText:
    from s2s_embed.data.synthetic import synthetic_corpus

    langs = {"src_lang": cfg.src_lang, "trg_lang": cfg.trg_lang}
    train = synthetic_corpus(cfg.synthetic_size, cfg.synthetic_seed, **langs)
    if split == "train":
        return train
    # validation pairs come from another seed, minus any sentence the training set holds
    seen = set(train.src)
    valid = synthetic_corpus(SYNTHETIC_VALID + SYNTHETIC_VALID // 10, cfg.synthetic_seed + SYNTHETIC_VALID_SEED_OFFSET,
                             **langs)
    keep = [i for i, s in enumerate(valid.src) if s not in seen][:SYNTHETIC_VALID]
    return ParallelText([valid.src[i] for i in keep], [valid.trg[i] for i in keep], f"{valid.name}[valid]")


def synthetic_test_set(data: DataConfig, size: int) -> ParallelText:
    """`size` generated pairs whose source occurs in neither the training nor the validation set."""
    from s2s_embed.data.synthetic import synthetic_corpus

    size = size or SYNTHETIC_TEST_SIZE
    seen = set(_synthetic(data, "train").src) | set(_synthetic(data, "valid").src)
    seed = data.synthetic_seed + SYNTHETIC_TEST_SEED_OFFSET
    drawn = size + size // 5
    for _ in range(6):  # the generator's sentence space is large: one or two draws normally suffice
        pool = synthetic_corpus(drawn, seed, data.src_lang, data.trg_lang)
        keep = [i for i, s in enumerate(pool.src) if s not in seen][:size]
        if len(keep) == size:
            return ParallelText([pool.src[i] for i in keep], [pool.trg[i] for i in keep], f"{pool.name}[test]")
        drawn *= 2
    raise DataError(f"Could not draw {size} synthetic test sentences unseen in training (found {len(keep)} in {drawn // 2}); "
                    f"lower [suite] test_size or data.synthetic_size.")


# --- Multi30K


def _multi30k(cfg: DataConfig, split: str) -> ParallelText:
    from s2s_embed.data import multi30k

    return multi30k.load_split("train" if split == "train" else "val", cfg.src_lang, cfg.trg_lang,
                               root=cfg.multi30k_root or None)


def _multi30k_test(data: DataConfig, name: str, size: int) -> ParallelText:
    from s2s_embed.data import multi30k

    text = multi30k.load_split(name, data.src_lang, data.trg_lang, root=data.multi30k_root or None)
    return text.head(size) if size else text


# --- the user's own files


def _files(cfg: DataConfig, split: str) -> ParallelText:
    if split == "train":
        return read_parallel_files(cfg.train_src, cfg.train_trg)
    return read_parallel_files(cfg.valid_src, cfg.valid_trg)


def _tsv(cfg: DataConfig, split: str) -> ParallelText:
    if cfg.valid_tsv:
        return read_tsv(cfg.train_tsv if split == "train" else cfg.valid_tsv)
    whole = read_tsv(cfg.train_tsv)
    n_valid = max(1, int(len(whole) * cfg.valid_fraction))
    if len(whole) - n_valid < 1:
        raise DataError(f"{cfg.train_tsv} has {len(whole)} pairs: too few to split off a validation set.")
    cut = len(whole) - n_valid
    part = slice(0, cut) if split == "train" else slice(cut, None)
    return ParallelText(whole.src[part], whole.trg[part], f"{whole.name}[{split}]")


CORPORA: dict[str, Corpus] = {c.name: c for c in (
    Corpus("synthetic", _synthetic, ("synthetic",), lambda data, _name, size: synthetic_test_set(data, size)),
    Corpus("multi30k", _multi30k, ("val", "test_2016_flickr", "test_2017_flickr", "test_2017_mscoco", "test_2018_flickr"),
           _multi30k_test),
    Corpus("files", _files),
    Corpus("tsv", _tsv),
)}
