"""Batched translation with a trained model folder: greedy or beam search."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import torch

from s2s_embed.data.batching import batch_order, pad
from s2s_embed.data.tokenize import detokenize
from s2s_embed.model.search import beam_search, greedy
from s2s_embed.model_folder import LoadedModel, load_model

log = logging.getLogger(__name__)


class Translator:
    """Translates sentences (text) or token lists with one loaded model.

    Inputs are sorted by length into batches of `batch_size` (little padding)
    and the outputs come back in input order. An output that reaches `max_len`
    tokens without ending is cut there: each call warns how many were, and
    `truncated` keeps the count of the last call.
    """

    def __init__(self, loaded: LoadedModel, beam_size: int | None = None, max_len: int | None = None,
                 batch_size: int | None = None, length_penalty: float | None = None):
        decode = loaded.cfg.decode
        self.loaded = loaded
        self.beam_size = beam_size or decode.beam_size
        self.max_len = max_len or decode.max_len
        self.batch_size = batch_size or decode.batch_size
        self.length_penalty = decode.length_penalty if length_penalty is None else length_penalty
        self.truncated = 0  # outputs of the last call cut at max_len

    @classmethod
    def from_folder(cls, folder: str | Path, device: str = "auto", **options) -> Translator:
        return cls(load_model(folder, device), **options)

    @property
    def src_lang(self) -> str:
        return self.loaded.cfg.data.src_lang

    def translate(self, sentences: Sequence[str]) -> list[str]:
        """Raw source sentences -> detokenised target sentences (the first letter capitalised if lowercased)."""
        tokens = self.loaded.src_tok.many(sentences)
        return [self.detokenize(out) for out in self.translate_tokens(tokens)]

    def detokenize(self, tokens: list[str]) -> str:
        text = detokenize(tokens, self.loaded.cfg.data.trg_lang)
        return text[:1].upper() + text[1:] if self.loaded.cfg.data.lowercase else text

    def translate_tokens(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """Tokenised, normalised source sentences -> target tokens."""
        ids = [self.loaded.src_vocab.encode(list(s)) for s in sentences]
        out: list[list[str]] = [[] for _ in ids]
        todo = [i for i, s in enumerate(ids) if s]  # an empty input translates to nothing
        cut = 0
        for group in batch_order([len(ids[i]) for i in todo], self.batch_size, seed=None, bucket=True):
            index = [todo[g] for g in group]
            for i, hyp in zip(index, self._decode([ids[i] for i in index])):
                out[i] = self.loaded.trg_vocab.decode(hyp)
                cut += len(hyp) >= self.max_len  # a hypothesis that ended holds at most max_len - 1 tokens
        self.truncated = cut
        if cut:
            log.warning("%d of %d sentence(s) reached the output limit of %d tokens without ending and were cut "
                        "there. Raise the limit: --max-len, the spaCy component's max_len, or decode.max_len.",
                        cut, len(ids), self.max_len)
        return out

    @torch.no_grad()
    def _decode(self, batch: list[list[int]]) -> list[list[int]]:
        device = self.loaded.device
        src = pad(batch).to(device)
        lens = torch.tensor([len(s) for s in batch])
        if self.beam_size == 1:
            return greedy(self.loaded.model, src, lens, self.max_len)
        return beam_search(self.loaded.model, src, lens, self.max_len, self.beam_size, self.length_penalty)


def evaluate_translator(translator: Translator, sources: Sequence[str], refs: Sequence[str]) -> tuple[dict, list[str]]:
    """Translate `sources` and score them against raw `refs`: sacreBLEU BLEU and chrF with signatures,
    and the tutorials' tokenised lowercased BLEU. Returns the scores and the hypotheses."""
    from s2s_embed.evaluate import score, tutorial_bleu
    from s2s_embed.errors import DataError

    if len(sources) != len(refs):
        raise DataError(f"The source has {len(sources)} lines but the reference has {len(refs)}.")
    src_tokens = translator.loaded.src_tok.many(sources)
    hyp_tokens = translator.translate_tokens(src_tokens)
    hyps = [translator.detokenize(h) for h in hyp_tokens]
    scores = score(hyps, list(refs))
    ref_tokens = [[t.lower() for t in sent] for sent in translator.loaded.trg_tok.many(refs)]
    scores["bleu_tok_lc"] = tutorial_bleu([[t.lower() for t in h] for h in hyp_tokens], ref_tokens)
    scores["decode"] = {"beam_size": translator.beam_size, "max_len": translator.max_len,
                        "length_penalty": translator.length_penalty}
    scores["truncated"] = translator.truncated  # translations cut at max_len
    return scores, hyps
