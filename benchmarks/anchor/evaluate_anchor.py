"""Evaluate the anchor run the way the PyTorch seq2seq tutorial does, and publish it.

Test perplexity is exp(mean cross-entropy per target token) on
test_2016_flickr, with teacher forcing and without it (the tutorial's evaluate
function turns teacher forcing off, so its 43.8 compares with the latter); BLEU is greedy decoding up to 25 tokens, scored
on spaCy tokens, lowercased (the tutorial's figure). sacreBLEU BLEU and chrF of
the detokenised output are reported beside it.

    python benchmarks/anchor/evaluate_anchor.py runs/anchor-de-en --multi30k PATH --out benchmarks/results/anchor-de-en
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "perf"))
from _common import MULTI30K  # noqa: E402

from s2s_embed.data import multi30k  # noqa: E402
from s2s_embed.data.batching import make_batches  # noqa: E402
from s2s_embed.provenance import commit, machine  # noqa: E402
from s2s_embed.train import evaluate_loss  # noqa: E402
from s2s_embed.translate import Translator, evaluate_translator  # noqa: E402

TUTORIAL = {"test_bleu_tok_lc": 13.76, "test_ppl": 43.8}  # "Sequence to Sequence Learning with Neural Networks"
TUTORIAL_ATTENTION = {"test_bleu_tok_lc": 28.3}  # "... Jointly Learning to Align and Translate": the figure reported for it


def test_loss(translator: Translator, sources: list[str], refs: list[str], teacher_forcing: float) -> float:
    loaded = translator.loaded
    pairs = [(loaded.src_vocab.encode(s), loaded.trg_vocab.encode(t))
             for s, t in zip(loaded.src_tok.many(sources), loaded.trg_tok.many(refs))]
    return evaluate_loss(loaded.model, make_batches(pairs, 128, seed=None), loaded.device, teacher_forcing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--multi30k", type=Path, default=MULTI30K)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", default="test_2016_flickr")
    args = parser.parse_args()
    translator = Translator.from_folder(args.model, "auto", beam_size=1, max_len=25)
    cfg = translator.loaded.cfg
    tutorial = TUTORIAL if cfg.model.attention == "none" else TUTORIAL_ATTENTION
    test = multi30k.load_split(args.split, cfg.data.src_lang, cfg.data.trg_lang, root=args.multi30k)
    loss = test_loss(translator, test.src, test.trg, teacher_forcing=1.0)
    loss_free = test_loss(translator, test.src, test.trg, teacher_forcing=0.0)  # the tutorial's "test loss"
    scores, hyps = evaluate_translator(translator, test.src, test.trg)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "metrics.jsonl", "summary.json"):  # summary.json exists once training has ended
        if (args.model / name).exists():
            shutil.copy(args.model / name, args.out / name)
    (args.out / f"hyps.{args.split}.{cfg.data.trg_lang}").write_text("".join(h + "\n" for h in hyps), encoding="utf-8")
    result = {"split": args.split, "test_loss": loss, "test_ppl": math.exp(loss),
              "test_loss_no_teacher_forcing": loss_free, "test_ppl_no_teacher_forcing": math.exp(loss_free), **scores, "tutorial": tutorial,
              "machine": machine(), "git": commit()}
    (args.out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    tutorial_ppl = f" (the tutorial's {tutorial['test_ppl']} is without)" if "test_ppl" in tutorial else ""
    print(f"test ppl {math.exp(loss):.1f} with teacher forcing, {math.exp(loss_free):.1f} without{tutorial_ppl}; "
          f"tokenised lowercased BLEU {scores['bleu_tok_lc']:.2f} (tutorial {tutorial['test_bleu_tok_lc']}); "
          f"sacreBLEU {scores['bleu']:.2f}, chrF {scores['chrf']:.2f}")


if __name__ == "__main__":
    main()
