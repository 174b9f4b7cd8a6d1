"""The built-in corpus on disk: generated once per setting and cached, and exported as aligned text files.

Generating costs a few milliseconds a pair, so `cached_generate(n, seed)`
keeps each (size, seed) as one UTF-8 file, English TAB French per line, under
`<cache>/corpora/`. The file's name holds a digest of the generator's code,
its lexicon and the pyrealb version, so a change to any of them misses the
cache instead of returning stale sentences.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from s2s_embed import atomic
from s2s_embed.cache import default_cache_dir

log = logging.getLogger(__name__)
FOLDER = "corpora"
EXPORT_TEST_SIZE = 1000  # pairs of the exported test set, as a benchmark's synthetic test set


def cached_generate(n: int, seed: int, cache_dir: Path | None = None) -> tuple[list[str], list[str]]:
    """`synthetic.generate(n, seed)`, read from the cache when an earlier call saved it."""
    from s2s_embed.data import synthetic

    path = Path(cache_dir or default_cache_dir()) / FOLDER / f"synthetic-n{n}-seed{seed}-{_generator_digest()}.tsv"
    hit = _read(path, n)
    if hit is not None:
        return hit
    log.info("Generating %s pairs of the built-in corpus (seed %s); later runs read them from %s.", f"{n:,}", seed,
             path.parent)
    english, french = synthetic.generate(n, seed)
    _write(path, english, french)
    return english, french


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    lines: int


def export_corpus(out: str | Path, size: int, seed: int, test_size: int = EXPORT_TEST_SIZE) -> list[ExportedFile]:
    """Write `{train,valid,test}.{en,fr}` of the built-in corpus to `out`.

    train and valid are what `data.corpus = "synthetic"` with this
    `synthetic_size` and `synthetic_seed` trains and validates on; test is the
    benchmark's synthetic test set for the same settings, whose sentences occur
    in neither.
    """
    from s2s_embed.benchmark.testsets import synthetic_test_set
    from s2s_embed.config import DataConfig
    from s2s_embed.data.dataset import load_corpus

    data = DataConfig(corpus="synthetic", src_lang="en", trg_lang="fr", synthetic_size=size, synthetic_seed=seed)
    data.check()
    splits = {"train": load_corpus(data, "train"), "valid": load_corpus(data, "valid"),
              "test": synthetic_test_set(data, test_size)}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for split, text in splits.items():
        for lang, lines in (("en", text.src), ("fr", text.trg)):
            path = out / f"{split}.{lang}"
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            written.append(ExportedFile(path, len(lines)))
    return written


def _generator_digest() -> str:
    from s2s_embed.data import synthetic

    digest = hashlib.sha256()
    for path in (*sorted(Path(synthetic.__file__).parent.glob("*.py")), synthetic.LEXICON_PATH):
        digest.update(path.read_bytes())
    try:
        digest.update(version("pyrealb").encode())
    except PackageNotFoundError:  # generate() will say how to install it
        pass
    return digest.hexdigest()[:16]


def _read(path: Path, n: int) -> tuple[list[str], list[str]] | None:
    try:
        lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    except (OSError, UnicodeDecodeError):
        return None
    pairs = [line.split("\t") for line in lines]
    if len(pairs) != n or any(len(p) != 2 for p in pairs):
        log.warning("Cached corpus %s is incomplete; generating it again.", path)
        return None
    return [en for en, _ in pairs], [fr for _, fr in pairs]


def _write(path: Path, english: list[str], french: list[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(path, "".join(f"{en}\t{fr}\n" for en, fr in zip(english, french)), shared=True)
    except OSError as exc:  # a read-only cache costs time, not correctness
        log.warning("Could not cache the built-in corpus in %s (%s); it will be generated again next time.",
                    path.parent, exc)
