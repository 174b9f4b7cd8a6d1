"""The vector cache: the wanted rows of a source, keyed by its files, the reader's options and the wanted words."""
from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from s2s_embed import atomic
from s2s_embed.embeddings.spec import BuildContext
from s2s_embed.embeddings.vectors.data import Vectors
from s2s_embed.errors import DataError

log = logging.getLogger(__name__)

CACHE_FORMAT = "s2s-embed-vectors-cache/1"


def cached_vectors(ctx: BuildContext, files: Sequence[str | Path], options: Mapping[str, Any],
                   load: Callable[[set[str]], Vectors]) -> Vectors:
    """`load(ctx.wanted)`, or the copy an earlier call saved under `ctx.cache_dir`.

    The key is each file's resolved path, size and modification time, the
    reader `options` (JSON values) and the set of wanted words, so editing a
    file, changing an option or the vocabulary misses. Vectors with a subword
    function are returned uncached: that function needs the whole model.
    Cache files are `.npy` + JSON, never pickles; an unreadable cache is
    logged and rebuilt.
    """
    wanted = ctx.wanted
    key = _cache_key(files, options, wanted)
    if key is None:  # a file is missing: let the reader raise its own error
        return load(wanted)
    folder = Path(ctx.cache_dir) / "vectors"
    hit = _read_cache(folder, key)
    if hit is not None:
        return hit
    vectors = load(wanted)
    if vectors.subword is None:
        _write_cache(folder, key, vectors, files, options)
    return vectors


def _cache_key(files: Sequence[str | Path], options: Mapping[str, Any], wanted: set[str]) -> str | None:
    stamps = []
    for f in files:
        try:
            st = os.stat(f)
        except OSError:
            return None
        stamps.append([str(Path(f).resolve()), st.st_size, st.st_mtime_ns])
    words = hashlib.sha256("\n".join(sorted(wanted)).encode("utf-8")).hexdigest()
    payload = json.dumps({"format": CACHE_FORMAT, "files": stamps, "options": dict(options), "wanted": words},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def _read_cache(folder: Path, key: str) -> Vectors | None:
    meta_path, matrix_path = folder / f"{key}.json", folder / f"{key}.npy"
    if not meta_path.exists() or not matrix_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        matrix = np.load(matrix_path, allow_pickle=False)
        if meta.get("format") != CACHE_FORMAT:
            raise ValueError(f"format {meta.get('format')!r}")
        vectors = Vectors(meta["keys"], matrix, source=meta["source"], duplicates=meta["duplicates"],
                          source_size=meta["source_size"], from_cache=True)
    except (OSError, ValueError, KeyError, TypeError, DataError) as exc:
        log.warning("Ignoring the unreadable vector cache %s (%s); reading the source again.", meta_path, exc)
        return None
    log.info("Read %d vectors of %s from the cache %s.", len(vectors), vectors.source, matrix_path)
    return vectors


def _write_cache(folder: Path, key: str, vectors: Vectors, files: Sequence[str | Path], options: Mapping[str, Any]) -> None:
    meta = {"format": CACHE_FORMAT, "source": vectors.source, "duplicates": vectors.duplicates,
            "source_size": vectors.source_size if vectors.source_size is not None else len(vectors),
            "files": [str(f) for f in files], "options": dict(options), "keys": vectors.keys}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic.replace_with(folder / f"{key}.npy", lambda tmp: _save_npy(tmp, vectors.vectors), shared=True)
        # written last: its presence means the .npy is complete
        atomic.write_text(folder / f"{key}.json", json.dumps(meta, ensure_ascii=False, default=str), shared=True)
    except OSError as exc:
        log.warning("Could not write the vector cache in %s (%s); the next run will read the source again.", folder, exc)


def _save_npy(path: Path, matrix: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, np.ascontiguousarray(matrix), allow_pickle=False)
