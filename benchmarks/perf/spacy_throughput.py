"""spaCy component throughput against `s2s-embed translate` on the same sentences.

(a) translate: `Translator.translate` over the raw sentences, in-process, as
    `s2s-embed translate` does it (greedy, the same model batch size);
(b) pipe: `spacy.blank("en")` + `s2s_translator`, `nlp.pipe(texts, batch_size=...)`.

Both run on the first --n sentences of Multi30K test_2016_flickr.en, after a
warm-up, alternating a/b, best of --repeats (the median ratio is printed too). Without --model, a small en->fr
model is trained on Multi30K first, in a temporary folder (a minute or two on a
CPU).

    python benchmarks/perf/spacy_throughput.py [--model FOLDER] [--pipe-batch-size 1000] [--threads 1] [--save PATH]

On a machine shared with other work, `--threads 1` gives much steadier figures.
nlp.pipe's batch_size is how many docs are translated together, sorted by
length: with small values each model batch mixes lengths (more padding, and
greedy search runs as long as the longest output), so pipe falls behind.

Last line: `pipe_over_translate <(b) / (a) sentences per second>`; the target is >= 0.85.
"""
from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

import spacy
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MULTI30K, save  # noqa: E402

from s2s_embed.devices import DEVICES  # noqa: E402
from s2s_embed.translate import Translator  # noqa: E402

# A small model in the tutorial's shape; one epoch on 4,000 pairs is enough for timing.
TRAIN_OVERRIDES = ["data.corpus=multi30k", "data.src_lang=en", "data.trg_lang=fr", "data.train_size=4000",
                   "model.hidden_size=256", "model.num_layers=1", "embeddings.source.dim=128",
                   "embeddings.target.dim=128", "train.epochs=1", "train.batch_size=128"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="an en->X model folder (default: train a small one)")
    parser.add_argument("--n", type=int, default=1000, help="sentences (default 1000)")
    parser.add_argument("--batch-size", type=int, default=64, help="model batch size, both sides (default 64)")
    parser.add_argument("--pipe-batch-size", type=int, default=1000,
                        help="docs per nlp.pipe batch (default 1000, spaCy's nlp.batch_size)")
    parser.add_argument("--device", default="cpu", choices=DEVICES)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--save", help="write the figures, machine and commit here as JSON")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    texts = read_sentences(args.n)
    with tempfile.TemporaryDirectory(prefix="s2s-spacy-bench-") as tmp:
        model = args.model or train_small(Path(tmp))
        translator = Translator.from_folder(model, args.device, beam_size=1, batch_size=args.batch_size)
        nlp = spacy.blank(translator.src_lang)
        nlp.add_pipe("s2s_translator", config={"model": str(model), "beam_size": 1, "batch_size": args.batch_size,
                                               "device": args.device})
        runs = {"translate": lambda: translator.translate(texts),
                "pipe": lambda: [doc._.translation for doc in nlp.pipe(texts, batch_size=args.pipe_batch_size)]}
        outputs = {name: run() for name, run in runs.items()}  # warm-up
        if outputs["pipe"] != outputs["translate"]:
            print("warning: nlp.pipe and Translator.translate disagree on some sentences", file=sys.stderr)
        times = {name: [] for name in runs}
        for _ in range(args.repeats):
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)

    rate = {name: len(texts) / min(t) for name, t in times.items()}
    ratio = rate["pipe"] / rate["translate"]
    median_ratio = statistics.median(times["translate"]) / statistics.median(times["pipe"])
    for name in runs:
        print(f"{name:>9}: {rate[name]:8.1f} sentences/s (best of {args.repeats}: "
              f"{', '.join(f'{t:.3f}' for t in times[name])} s)")
    print(f"median_pipe_over_translate {median_ratio:.3f}")
    model_info = str(args.model) if args.model else {"trained_with": TRAIN_OVERRIDES}
    save(args.save, {"benchmark": "spacy_throughput", "sentences": len(texts), "model": model_info,
                     "batch_size": args.batch_size, "pipe_batch_size": args.pipe_batch_size, "device": args.device,
                     "threads": torch.get_num_threads(),
                     "seconds": times, "sentences_per_s": rate, "pipe_over_translate": ratio,
                     "median_pipe_over_translate": median_ratio,
                     "same_output": outputs["pipe"] == outputs["translate"], "target": 0.85})
    print(f"pipe_over_translate {ratio:.3f}")
    return 0


def read_sentences(n: int) -> list[str]:
    path = MULTI30K / "test_2016_flickr.en.gz"
    if not path.exists():
        sys.exit(f"{path} not found: this benchmark needs the Multi30K files in {MULTI30K}.")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for _, line in zip(range(n), f)]


def train_small(folder: Path) -> Path:
    from s2s_embed import config
    from s2s_embed.train import train

    start = time.perf_counter()
    cfg = config.load(None, [*TRAIN_OVERRIDES, f"data.multi30k_root={MULTI30K}", f"train.out_dir={folder / 'model'}"])
    result = train(cfg, progress=False)
    print(f"trained a small model in {time.perf_counter() - start:.0f} s: {result.folder}")
    return result.folder


if __name__ == "__main__":
    sys.exit(main())
