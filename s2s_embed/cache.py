"""What s2s-embed keeps in its cache folder ($S2S_EMBED_CACHE, else ~/.cache/s2s-embed), and freeing it.

Everything there can be made again: deleting a part costs time on the next
run that needs it (a download, training vectors, generating the corpus), never
a result.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from s2s_embed.errors import ConfigError, unknown

CACHE_ENV = "S2S_EMBED_CACHE"

KINDS = {  # sub-folder: what it holds
    "vectors": "the vocabulary's rows of pretrained vectors, aligned (npy + JSON)",
    "word2vec": "word2vec vectors trained on a corpus (train = true)",
    "fasttext": "fastText vectors trained on a corpus (train = true)",
    "corpora": "generated built-in corpora, one file per size and seed",
    "multi30k": "downloaded Multi30K files, checked against their SHA-256",
}


def default_cache_dir() -> Path:
    """$S2S_EMBED_CACHE, else ~/.cache/s2s-embed: where downloads, trained vectors and generated corpora are kept."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "s2s-embed").expanduser()


@dataclass(frozen=True)
class CachePart:
    kind: str
    path: Path
    files: int
    bytes: int

    @property
    def description(self) -> str:
        return KINDS.get(self.kind, "not made by s2s-embed")


def cache_parts(root: Path | None = None) -> list[CachePart]:
    """Each known sub-folder of the cache (present or not), then anything else found there."""
    root = Path(root or default_cache_dir())
    others = sorted(p.name for p in root.iterdir() if p.name not in KINDS) if root.is_dir() else []
    return [_measure(root, kind) for kind in [*KINDS, *others]]


def clear_cache(kinds: list[str], root: Path | None = None) -> list[CachePart]:
    """Delete the named parts of the cache (all known parts when `kinds` is empty); returns what was freed."""
    for kind in kinds:
        if kind not in KINDS:
            raise ConfigError(unknown("cache part", kind, KINDS))
    freed = []
    for part in cache_parts(root):
        if part.kind in (kinds or KINDS) and part.path.exists():
            shutil.rmtree(part.path) if part.path.is_dir() else part.path.unlink()
            freed.append(part)
    return freed


def format_size(n: int) -> str:
    """Bytes for a person: 512 B, 3.4 KB, 224.0 MB (powers of 1000)."""
    if n < 1000:
        return f"{n} B"
    for unit in ("KB", "MB"):
        n /= 1000
        if n < 1000:
            return f"{n:.1f} {unit}"
    return f"{n / 1000:.1f} GB"


def _measure(root: Path, kind: str) -> CachePart:
    path = root / kind
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else ([path] if path.is_file() else [])
    return CachePart(kind, path, len(files), sum(p.stat().st_size for p in files))
