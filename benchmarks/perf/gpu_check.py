"""CUDA check: train the tutorial configuration for a fixed number of batches on a GPU, then decode on it.

    python benchmarks/perf/gpu_check.py [--batches 300] [--multi30k PATH]
        [--save benchmarks/results/perf/gpu_check.json]

Trains benchmarks/anchor/tutorial_de_en.toml (Multi30K de->en, 2-layer LSTM of
512, batch 128) on `cuda` for --batches batches, one epoch, after a short
warm-up run that takes CUDA's and cuDNN's start-up out of the figure; then
translates test_2016_flickr greedy and with beam 5 on the GPU. Prints target
tokens per second (training: reference tokens; decoding: output tokens) and
sentences per second, with the GPU's name. Exits with a message, doing
nothing, where torch sees no CUDA device.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MULTI30K, ROOT, save  # noqa: E402

CONFIG = ROOT / "benchmarks" / "anchor" / "tutorial_de_en.toml"
WARMUP_BATCHES = 20
DEVICE = "cuda"


def no_cuda() -> str | None:
    """Why this cannot run here, or None."""
    if torch.cuda.is_available():
        return None
    build = f"built for CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
    return (f"gpu_check.py needs a CUDA GPU, and torch {torch.__version__} ({build}) sees none here. Run it on a "
            f"machine with an NVIDIA GPU and a CUDA build of torch (pip install torch --index-url "
            f"https://download.pytorch.org/whl/cu128, for example).")


def train_batches(multi30k: Path, folder: Path, batches: int):
    """Train the tutorial configuration for `batches` batches of one epoch on CUDA; its summary."""
    from s2s_embed import config
    from s2s_embed.train import train

    batch_size = config.load(CONFIG).train.batch_size
    cfg = config.load(CONFIG, [f"data.multi30k_root='{multi30k}'", f"data.train_size={batches * batch_size}",
                               "train.epochs=1", f"train.device='{DEVICE}'", f"train.out_dir='{folder}'"])
    return train(cfg, overwrite=True, progress=False, echo=lambda *a: None).summary


def decode(folder: Path, sentences: list[str], beam: int) -> dict:
    """Sentences and output tokens per second, translating `sentences` on CUDA with beam size `beam`."""
    from s2s_embed.translate import Translator

    translator = Translator.from_folder(folder, DEVICE, beam_size=beam, batch_size=128)
    translator.translate(sentences[:128])  # warm-up
    torch.cuda.synchronize()
    started = time.perf_counter()
    out = translator.translate(sentences)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    tokens = sum(len(o.split()) for o in out)
    return {"beam": beam, "sentences": len(out), "seconds": round(seconds, 3),
            "sentences_per_s": round(len(out) / seconds, 1), "target_tokens_per_s": round(tokens / seconds, 1),
            "cut_at_max_len": translator.truncated}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300, help="timed training batches of 128 pairs")
    parser.add_argument("--multi30k", type=Path, default=MULTI30K, help="folder with Multi30K's .gz files")
    parser.add_argument("--save", help="write the figures, machine and commit as JSON here")
    args = parser.parse_args()
    reason = no_cuda()
    if reason:
        sys.exit(reason)
    source = args.multi30k / "test_2016_flickr.de.gz"
    if not source.is_file():
        sys.exit(f"No {source}: give the Multi30K folder with --multi30k PATH.")
    from s2s_embed.data.corpus import read_lines

    gpu = torch.cuda.get_device_name(0)
    print(f"GPU: {gpu} (torch {torch.__version__}, CUDA {torch.version.cuda})")
    with tempfile.TemporaryDirectory() as tmp:
        train_batches(args.multi30k, Path(tmp) / "warmup", WARMUP_BATCHES)
        summary = train_batches(args.multi30k, Path(tmp) / "model", args.batches)
        print(f"train: {summary['last_tokens_per_s']:,.0f} target tokens/s over {summary['data']['train_pairs']:,} "
              f"pairs ({args.batches} batches) in {summary['train_seconds']:.1f}s")
        sentences = read_lines(source)
        results = [decode(Path(tmp) / "model", sentences, beam) for beam in (1, 5)]
    for r in results:
        label = "greedy" if r["beam"] == 1 else f"beam {r['beam']}"
        print(f"decode {label}: {r['sentences_per_s']:,.1f} sentences/s, {r['target_tokens_per_s']:,.0f} target "
              f"tokens/s ({r['sentences']} sentences in {r['seconds']:.2f}s)")
    save(args.save, {"gpu": gpu, "config": str(CONFIG.relative_to(ROOT)), "train_batches": args.batches,
                     "train_target_tokens_per_s": summary["last_tokens_per_s"],
                     "train_seconds": summary["train_seconds"], "train_pairs": summary["data"]["train_pairs"],
                     "decode": results})


if __name__ == "__main__":
    main()
