"""Shared fixtures: a tiny word-for-word translation task the tests can learn in seconds."""
import os
import random
from pathlib import Path

# Small models run fastest on one thread, and a second busy thread on a 2-core machine only fights the first.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

MULTI30K = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "multi30k"

# English -> French, word for word: a task small enough to learn in seconds, with held-out combinations
LEXICON = {"red": "rouge", "blue": "bleu", "green": "vert", "big": "grand", "small": "petit", "old": "vieux",
           "one": "un", "two": "deux", "three": "trois", "four": "quatre", "five": "cinq", "six": "six",
           "cat": "chat", "dog": "chien", "bird": "oiseau", "fish": "poisson"}


def tiny_pairs(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    words = sorted(LEXICON)
    pairs = []
    for _ in range(n):
        sent = [rng.choice(words) for _ in range(rng.randint(2, 5))]
        pairs.append((" ".join(sent), " ".join(LEXICON[w] for w in sent)))
    return pairs


def write_pairs(folder: Path, name: str, pairs) -> tuple[Path, Path]:
    src, trg = folder / f"{name}.en", folder / f"{name}.fr"
    src.write_text("".join(s + "\n" for s, _ in pairs), encoding="utf-8")
    trg.write_text("".join(t + "\n" for _, t in pairs), encoding="utf-8")
    return src, trg


@pytest.fixture(scope="session")
def tiny_task(tmp_path_factory) -> dict:
    """Aligned train/valid/test files; the test pairs never occur in training."""
    folder = tmp_path_factory.mktemp("tiny")
    train = tiny_pairs(3000, 0)
    seen = {s for s, _ in train}
    test = [p for p in tiny_pairs(400, 99) if p[0] not in seen][:40]
    files = {}
    for name, pairs in (("train", train), ("valid", tiny_pairs(200, 1)), ("test", test)):
        files[name] = write_pairs(folder, name, pairs)
    files["test_pairs"] = test
    files["folder"] = folder
    return files


@pytest.fixture(scope="session")
def smoke(tmp_path_factory) -> dict:
    """The smoke suite, run once through run_suite for every test module that reads it (copy it to change it)."""
    from s2s_embed.benchmark import run_suite

    out = tmp_path_factory.mktemp("smoke") / "results"
    lines: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("S2S_EMBED_CACHE", str(out.parent / "cache"))
        report = run_suite("smoke", out, echo=lines.append)
    return {"out": out, "report": report, "lines": lines}


@pytest.fixture(scope="session")
def tiny_model(tiny_task, tmp_path_factory) -> Path:
    """A model folder trained for one epoch on 300 tiny pairs: enough to load, translate and tamper with."""
    from s2s_embed import config
    from s2s_embed.train import train

    folder = tmp_path_factory.mktemp("tiny_model") / "m"
    cfg = config.load(None, tiny_overrides(tiny_task, folder, "data.train_size=300", "train.epochs=1"))
    train(cfg, progress=False, echo=lambda *a: None)
    return folder


def tiny_overrides(task: dict, out_dir: Path, *extra: str) -> list[str]:
    (tr_s, tr_t), (va_s, va_t) = task["train"], task["valid"]
    return ["data.corpus='files'", f"data.train_src='{tr_s}'", f"data.train_trg='{tr_t}'",
            f"data.valid_src='{va_s}'", f"data.valid_trg='{va_t}'", "data.min_freq=1",
            "model.hidden_size=64", "model.num_layers=1", "model.dropout=0.0", "train.batch_size=32",
            "train.lr=0.005", "train.epochs=6", "embeddings.source.dim=32", "embeddings.target.dim=32",
            f"train.out_dir='{out_dir}'", *extra]
