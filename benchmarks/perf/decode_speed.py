"""Decoding speed: sentences per second for batched greedy and beam-5 translation of test_2016_flickr.

    python benchmarks/perf/decode_speed.py [--model FOLDER] [--save benchmarks/results/perf/decode_speed.json]

Without --model it first trains a small Multi30K en->fr model (a few minutes)
so that its outputs end at <eos> the way a real model's do. Each mode
translates the same 1,000 sentences with the same batch size; the best of
--repeats runs counts. Last line: `beam5_over_greedy <time ratio>`.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MULTI30K, save  # noqa: E402

from s2s_embed import config  # noqa: E402
from s2s_embed.data.corpus import read_lines  # noqa: E402
from s2s_embed.train import train  # noqa: E402
from s2s_embed.translate import Translator  # noqa: E402


def small_model(folder: Path) -> Path:
    cfg = config.load(None, ["data.corpus='multi30k'", f"data.multi30k_root='{MULTI30K}'", "data.src_lang='en'",
                             "data.trg_lang='fr'", "data.train_size=12000", "model.hidden_size=256", "model.num_layers=1",
                             "model.dropout=0.2", "train.epochs=3", "train.teacher_forcing=1.0", "train.batch_size=64",
                             "embeddings.source.dim=128", "embeddings.target.dim=128", f"train.out_dir='{folder}'"])
    train(cfg, progress=False)
    return folder


def timed(translator: Translator, sentences: list[str], repeats: int) -> tuple[float, list[str]]:
    best, out = float("inf"), []
    for _ in range(repeats):
        started = time.perf_counter()
        out = translator.translate(sentences)
        best = min(best, time.perf_counter() - started)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a trained model folder (default: train a small en->fr one)")
    parser.add_argument("--src", type=Path, default=MULTI30K / "test_2016_flickr.en.gz")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--save", help="write the figures, machine and commit as JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.model or small_model(Path(tmp) / "model")
        sentences = read_lines(args.src)[:1000]
        greedy = Translator.from_folder(folder, "auto", beam_size=1, batch_size=args.batch_size)
        beam = Translator.from_folder(folder, "auto", beam_size=5, batch_size=args.batch_size)
        greedy.translate(sentences[:64])  # warm-up
        t_greedy, out_greedy = timed(greedy, sentences, args.repeats)
        t_beam, out_beam = timed(beam, sentences, args.repeats)
    n = len(sentences)
    print(f"greedy: {n / t_greedy:,.1f} sentences/s ({t_greedy:.2f}s); beam-5: {n / t_beam:,.1f} sentences/s ({t_beam:.2f}s)")
    print(f"mean output length: greedy {sum(len(o.split()) for o in out_greedy) / n:.1f} words, "
          f"beam-5 {sum(len(o.split()) for o in out_beam) / n:.1f} words")
    save(args.save, {"sentences": n, "batch_size": args.batch_size, "greedy_seconds": t_greedy, "beam5_seconds": t_beam,
                     "greedy_sentences_per_s": n / t_greedy, "beam5_sentences_per_s": n / t_beam,
                     "model": str(args.model or "small en->fr model trained by this script")})
    print(f"beam5_over_greedy {t_beam / t_greedy:.2f}")


if __name__ == "__main__":
    main()
