"""Vectors as data, and the one builder that turns them into a vocabulary's embedding layer.

A vector plugin returns `Vectors` (or a gensim KeyedVectors, converted with
`Vectors.from_keyed_vectors`); `build_layer` aligns them with the vocabulary
(exact, then lowercase, then title case, then fastText subwords), fills the
rows without a vector, and reports the coverage.

Plugins read their files through `cached_vectors`, so a second load with the
same files, reader options and vocabulary reads a small `.npy` + JSON copy of
the wanted rows instead of the source:

    vectors = cached_vectors(ctx, [path], {"reader": "text", "header": header},
                             lambda wanted: read_text(path, header=header, wanted=wanted))
    module, coverage = build_layer(vectors, ctx, spec, "glove")
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from s2s_embed.data.vocab import PAD_ID, SPECIALS
from s2s_embed.embeddings.layer import VectorEmbedding
from s2s_embed.embeddings.spec import BuildContext, EmbeddingSpec
from s2s_embed.errors import ConfigError, DataError, PluginError

log = logging.getLogger(__name__)

KINDS = ("exact", "lower", "title", "subword", "oov")
TOP_OOV = 20
CACHE_FORMAT = "s2s-embed-vectors-cache/1"


class CoverageWarning(UserWarning):
    """No vocabulary word found a vector: the vectors are probably for another language or case."""


@dataclass(frozen=True)
class Vectors:
    """Words and their vectors, like a gensim KeyedVectors: `v[word]`, `word in v`, `len(v)`.

    keys: the words, row order. vectors: float32 (len(keys), dim), possibly a
    read-only np.memmap. subword: a vector for any word (fastText n-grams), or
    None. source: where they came from, for people. duplicates: repeated keys
    the reader dropped (the first kept). source_size: how many words the
    source held before filtering (None: len(keys)). from_cache: read from the
    `cached_vectors` cache.
    """

    keys: list[str]
    vectors: np.ndarray
    subword: Callable[[str], np.ndarray] | None = None
    source: str = ""
    duplicates: int = 0
    source_size: int | None = None
    from_cache: bool = False

    def __post_init__(self):
        where = f" ({self.source})" if self.source else ""
        keys = list(self.keys)
        if not all(isinstance(k, str) for k in keys):
            bad = next(k for k in keys if not isinstance(k, str))
            raise DataError(f"Vectors{where}: every key must be a string; found {bad!r} ({type(bad).__name__}).")
        matrix = self.vectors if isinstance(self.vectors, np.memmap) else np.asarray(self.vectors)
        if matrix.ndim != 2:
            raise DataError(f"Vectors{where}: the vectors must be a 2-D array (words, dim); got shape {matrix.shape}.")
        if not (np.issubdtype(matrix.dtype, np.floating) or np.issubdtype(matrix.dtype, np.integer)):
            raise DataError(f"Vectors{where}: the vectors must be numbers; got dtype {matrix.dtype}.")
        if matrix.dtype != np.float32:
            matrix = matrix.astype(np.float32)
        if len(keys) != matrix.shape[0]:
            raise DataError(f"Vectors{where}: {len(keys)} keys but {matrix.shape[0]} vector rows; they must match one to one.")
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "vectors", matrix)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, key: str) -> bool:
        return key in self.key_to_index

    def __getitem__(self, key: str) -> np.ndarray:
        """The vector of `key`; for a word without a row, its subword vector if there is a subword function."""
        if key in self.key_to_index:
            return np.asarray(self.vectors[self.key_to_index[key]], dtype=np.float32)
        if self.subword is not None:
            return np.asarray(self.subword(key), dtype=np.float32)
        raise KeyError(key)

    @cached_property
    def key_to_index(self) -> dict[str, int]:
        """word -> row; for a repeated key, its first row."""
        index: dict[str, int] = {}
        for i, key in enumerate(self.keys):
            index.setdefault(key, i)
        return index

    def select(self, wanted: Iterable[str] | None) -> Vectors:
        """Only the rows whose key is in `wanted` (all of them for None), copied out of any memmap."""
        if wanted is None:
            return self
        wanted = set(wanted)
        rows = [i for key, i in self.key_to_index.items() if key in wanted]
        rows.sort()
        return replace(self, keys=[self.keys[i] for i in rows], vectors=np.asarray(self.vectors[rows], dtype=np.float32),
                       duplicates=self.duplicates + len(self.keys) - len(self.key_to_index),
                       source_size=self.source_size if self.source_size is not None else len(self.keys))

    @classmethod
    def from_keyed_vectors(cls, kv: Any, source: str = "") -> Vectors:
        """A gensim KeyedVectors as Vectors; a FastTextKeyedVectors keeps its n-gram vectors as `subword`."""
        subword = None
        if type(kv).__name__ == "FastTextKeyedVectors" and getattr(kv, "bucket", 0):
            subword = kv.get_vector  # builds a vector from character n-grams for unseen words
        return cls(list(kv.index_to_key), kv.vectors, subword=subword, source=source or type(kv).__name__)


# ---------------------------------------------------------------------------
# The cache: the wanted rows of a source, keyed by its files, the reader's options and the wanted words.


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
        tmp = folder / f"{key}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            np.save(f, np.ascontiguousarray(vectors.vectors), allow_pickle=False)
        os.replace(tmp, folder / f"{key}.npy")
        tmp.write_text(json.dumps(meta, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(tmp, folder / f"{key}.json")  # written last: its presence means the .npy is complete
    except OSError as exc:
        log.warning("Could not write the vector cache in %s (%s); the next run will read the source again.", folder, exc)


# ---------------------------------------------------------------------------
# The builder.


def build_layer(vectors: Vectors, ctx: BuildContext, spec: EmbeddingSpec, plugin_name: str) -> tuple[VectorEmbedding, dict[str, Any]]:
    """The embedding layer for `ctx.vocab`, and a JSON coverage report.

    Rows: `<pad>` zero; a vocabulary token takes the vector of the first key
    found among itself, its lowercase and its title case, then (oov =
    "subword") the source's subword vector; every other row, `<unk> <sos>
    <eos>` included, starts as `spec.oov` says: random N(0, std of the
    pretrained rows), zero, or their mean.
    """
    dim = spec.dim if spec.dim is not None else ctx.dim
    _check_dim(vectors, dim, spec, ctx, plugin_name)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ctx.seed)  # the projection's initial weights
        module = VectorEmbedding(len(ctx.vocab), vectors.dim, dim, spec.freeze)
    matrix = module.embedding.weight.detach().numpy()  # (len(vocab), source_dim), filled in place
    kinds = _align(vectors, ctx, spec, matrix)
    pretrained = np.array([k not in ("oov", "special") for k in kinds])
    _check_finite(matrix, pretrained, kinds, ctx, vectors, plugin_name)
    if spec.normalize:
        for chunk in _chunks(np.flatnonzero(pretrained)):
            matrix[chunk] = _unit_rows(matrix[chunk])
    transform = _transform(matrix, pretrained, spec)
    init, notes = _oov_init(spec, vectors)
    seed = [ctx.seed, zlib.crc32(ctx.side.encode())]  # source and target draw different rows
    _fill_oov(matrix, ~pretrained, init, _stats(matrix, pretrained, vectors, spec.normalize), seed)
    matrix[PAD_ID] = 0.0
    module.pretrained.copy_(torch.from_numpy(pretrained))

    report = _coverage(kinds, ctx, spec, vectors, plugin_name, module, init, notes)
    report["init"] = transform
    if report["types"]["total"] and not report["types"]["covered"]:
        warnings.warn(
            f"0% coverage: none of the {report['types']['total']} {ctx.side} vocabulary words has a vector in "
            f"{vectors.source or 'the source'} (plugin '{plugin_name}'). Check that the vectors are for language "
            f"'{ctx.lang}' and that their case matches the corpus (lowercase = {ctx.lowercase}).",
            CoverageWarning, stacklevel=2)
    return module, report


def _transform(matrix: np.ndarray, pretrained: np.ndarray, spec: EmbeddingSpec) -> dict[str, Any]:
    """Center, remove the top principal components, then rescale the pretrained rows, in place, in that order.

    Returns what was done, with the rows' mean-vector norm, overall std and mean
    row norm before and after, for the coverage report and the result row.
    """
    ids = np.flatnonzero(pretrained)
    record: dict[str, Any] = {"normalize": spec.normalize, "center": spec.center, "remove_top": spec.remove_top,
                              "rescale": spec.rescale, "target_std": None, "removed_variance": None}
    rows = matrix[ids].astype(np.float64) if len(ids) else np.zeros((0, matrix.shape[1]))
    record["before"] = _row_stats(rows)
    if len(ids):
        if spec.center:
            rows -= rows.mean(axis=0)
        if spec.remove_top:
            rows, record["removed_variance"] = _remove_top(rows, spec.remove_top)
        if spec.rescale != "none":
            target = random_init_std() if spec.rescale == "init" else float(spec.rescale)
            record["target_std"] = target
            std = rows.std()
            if std > 0:
                rows *= target / std
        matrix[ids] = rows.astype(np.float32)
    record["after"] = _row_stats(rows)
    return record


def random_init_std() -> float:
    """The per-component std of the rows the `random` plugin draws by default."""
    from s2s_embed.embeddings.builtins.random import draw_std

    return draw_std()


def _remove_top(rows: np.ndarray, d: int) -> tuple[np.ndarray, float]:
    """`rows` without their projection on the top `d` principal directions (of the centred rows).

    Returns the rows and the share of the variance those directions held.
    """
    centred = rows - rows.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    d = min(d, vt.shape[0])
    top = vt[:d]  # (d, dim)
    total = float(np.square(s).sum())
    return rows - (rows @ top.T) @ top, (float(np.square(s[:d]).sum()) / total if total else 0.0)


def _row_stats(rows: np.ndarray) -> dict[str, float]:
    if not len(rows):
        return {"mean_norm": 0.0, "std": 0.0, "row_norm": 0.0}
    return {"mean_norm": round(float(np.linalg.norm(rows.mean(axis=0))), 6), "std": round(float(rows.std()), 6),
            "row_norm": round(float(np.linalg.norm(rows, axis=1).mean()), 6)}


def _check_dim(vectors: Vectors, dim: int | None, spec: EmbeddingSpec, ctx: BuildContext, plugin_name: str) -> None:
    if dim is None or dim == vectors.dim or spec.project:
        return
    raise ConfigError(
        f"[embeddings.{ctx.side}] dim = {dim}, but plugin '{plugin_name}' gives {vectors.dim}-dimensional vectors"
        f"{f' ({vectors.source})' if vectors.source else ''}. Set project = true to learn a {vectors.dim} -> {dim} "
        f"projection, or set dim = {vectors.dim} (or leave dim out).")


def _align(vectors: Vectors, ctx: BuildContext, spec: EmbeddingSpec, matrix: np.ndarray) -> list[str]:
    """Write each vocabulary token's vector into its row of `matrix` (len(vocab), source_dim); return each row's kind."""
    index = vectors.key_to_index
    kinds: list[str] = []
    rows, sources = [], []
    for i, token in enumerate(ctx.vocab.itos):
        if token in SPECIALS:
            kinds.append("special")
            continue
        found = _lookup(token, index)
        kinds.append(found[1] if found else "oov")
        if found:
            rows.append(i)
            sources.append(found[0])
    matrix[:] = 0.0
    if rows:
        order = np.argsort(sources, kind="stable")  # read a memmap front to back
        matrix[np.asarray(rows)[order]] = vectors.vectors[np.asarray(sources)[order]]
    if spec.oov == "subword" and vectors.subword is not None:
        for i, token in enumerate(ctx.vocab.itos):
            if kinds[i] == "oov":
                vec = _subword_vector(vectors, token)
                if vec is not None:
                    matrix[i], kinds[i] = vec, "subword"
    return kinds


def _lookup(token: str, index: Mapping[str, int]) -> tuple[int, str] | None:
    if token in index:
        return index[token], "exact"
    for kind, variant in (("lower", token.lower()), ("title", token.title())):
        if variant != token and variant in index:
            return index[variant], kind
    return None


def _subword_vector(vectors: Vectors, token: str) -> np.ndarray | None:
    """The subword vector of `token`, or None when the function has none (no n-gram known: a zero vector)."""
    try:
        vec = np.asarray(vectors.subword(token), dtype=np.float32)
    except KeyError:
        return None
    if vec.shape != (vectors.dim,):
        raise PluginError(f"The subword function of {vectors.source or 'the vectors'} returned shape {vec.shape} "
                          f"for {token!r}; expected ({vectors.dim},).")
    return vec if np.isfinite(vec).all() and vec.any() else None


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)


def _check_finite(matrix: np.ndarray, pretrained: np.ndarray, kinds: list[str], ctx: BuildContext,
                  vectors: Vectors, plugin_name: str) -> None:
    bad = np.flatnonzero(pretrained & ~np.isfinite(matrix).all(axis=1))
    if len(bad):
        words = [ctx.vocab.itos[i] for i in bad[:5]]
        raise DataError(f"The vectors of plugin '{plugin_name}' ({vectors.source}) hold NaN or infinite values for "
                        f"{len(bad)} {ctx.side} word(s), e.g. {words}. Fix or remove those rows in the vector file.")


def _oov_init(spec: EmbeddingSpec, vectors: Vectors) -> tuple[str, list[str]]:
    """How rows without a vector start (subword misses start random), and a note when the spec cannot be met."""
    if spec.oov != "subword":
        return spec.oov, []
    if vectors.subword is None:
        return "random", [f"oov = 'subword', but {vectors.source or 'the source'} has no subword vectors "
                          f"(fastText .bin models do): rows without a vector start random."]
    return "random", []


def _stats(matrix: np.ndarray, pretrained: np.ndarray, vectors: Vectors, normalize: bool) -> tuple[np.ndarray, float]:
    """Mean vector and overall std of the pretrained rows (of a sample of the source when none matched).

    Summed in float64 a chunk of rows at a time: no float64 copy of the whole table.
    """
    rows, ids = matrix, np.flatnonzero(pretrained)
    if not len(ids):
        rows = np.asarray(vectors.vectors[:10_000], dtype=np.float32)
        rows = _unit_rows(rows) if normalize else rows
        ids = np.flatnonzero(np.isfinite(rows).all(axis=1))
    if not len(ids):
        return np.zeros(matrix.shape[1], np.float32), 1.0
    total, squares = np.zeros(matrix.shape[1]), 0.0
    for chunk in _chunks(ids):
        block = rows[chunk].astype(np.float64)
        total += block.sum(axis=0)
        squares += float(np.square(block).sum())
    n = len(ids) * matrix.shape[1]
    variance = max(squares / n - (total.sum() / n) ** 2, 0.0)
    return (total / len(ids)).astype(np.float32), float(np.sqrt(variance)) or 1.0


def _chunks(ids: np.ndarray, size: int = 4096):
    return (ids[i:i + size] for i in range(0, len(ids), size))


def _fill_oov(matrix: np.ndarray, oov: np.ndarray, init: str, stats: tuple[np.ndarray, float], seed: list[int]) -> None:
    mean, std = stats
    n = int(oov.sum())
    if init == "zero":
        matrix[oov] = 0.0
    elif init == "mean":
        matrix[oov] = mean
    else:
        matrix[oov] = np.random.default_rng(seed).standard_normal((n, matrix.shape[1]), dtype=np.float32) * std


def _coverage(kinds: list[str], ctx: BuildContext, spec: EmbeddingSpec, vectors: Vectors, plugin_name: str,
              module: VectorEmbedding, init: str, notes: list[str]) -> dict[str, Any]:
    counts = ctx.vocab.counts
    by_kind = {k: 0 for k in KINDS}
    tokens_total = tokens_covered = 0
    oov_words = []
    for token, kind in zip(ctx.vocab.itos, kinds):
        if kind == "special":
            continue
        by_kind[kind] += 1
        n = int(counts.get(token, 0))
        tokens_total += n
        if kind == "oov":
            oov_words.append((token, n))
        else:
            tokens_covered += n
    types_total = sum(by_kind.values())
    oov_words.sort(key=lambda tn: -tn[1])  # stable: ties keep vocabulary order
    return {
        "side": ctx.side,
        "plugin": plugin_name,
        "source": vectors.source,
        "source_size": vectors.source_size if vectors.source_size is not None else len(vectors),
        "source_dim": vectors.dim,
        "rows_read": len(vectors),
        "duplicates_dropped": vectors.duplicates,
        "from_cache": vectors.from_cache,
        "dim": module.embedding_dim,
        "projection": module.projection is not None,
        "normalize": spec.normalize,
        "center": spec.center,
        "remove_top": spec.remove_top,
        "rescale": spec.rescale,
        "freeze": spec.freeze,
        "oov": spec.oov,
        "oov_init": init,
        "types": {"covered": types_total - by_kind["oov"], "total": types_total,
                  "ratio": _ratio(types_total - by_kind["oov"], types_total)},
        "tokens": {"covered": tokens_covered, "total": tokens_total, "ratio": _ratio(tokens_covered, tokens_total)},
        "kinds": by_kind,
        "top_oov": [{"word": w, "count": n} for w, n in oov_words[:TOP_OOV]],
        "notes": notes,
    }


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def format_coverage(report: Mapping[str, Any]) -> str:
    """A few lines for people: where the vectors came from, what they covered, the commonest misses."""
    types, tokens, kinds = report["types"], report["tokens"], report["kinds"]
    shape = f"{report['source_size']:,} x {report['source_dim']}"
    extra = [f"projected to {report['dim']}"] if report["projection"] else []
    extra += ["unit length"] if report["normalize"] else []
    extra += ["centred"] if report.get("center") else []
    extra += [f"top {report['remove_top']} components removed"] if report.get("remove_top") else []
    init = report.get("init") or {}
    if init.get("target_std") is not None:
        extra += [f"rescaled to std {init['target_std']:g} (was {init['before']['std']:.3g})"]
    extra += [f"{report['duplicates_dropped']:,} duplicates dropped"] if report["duplicates_dropped"] else []
    extra += ["from cache"] if report["from_cache"] else []
    lines = [
        f"{report['side']} embeddings '{report['plugin']}': {report['source'] or 'vectors'} ({shape}"
        f"{''.join(', ' + e for e in extra)})",
        f"  coverage: {types['covered']:,}/{types['total']:,} words ({types['ratio']:.1%}), "
        f"{tokens['covered']:,}/{tokens['total']:,} corpus tokens ({tokens['ratio']:.1%})",
        f"  matched: exact {kinds['exact']:,}, lowercase {kinds['lower']:,}, title case {kinds['title']:,}, "
        f"subword {kinds['subword']:,}; no vector {kinds['oov']:,} (start {report['oov_init']}, freeze {report['freeze']})",
    ]
    if report["top_oov"]:
        lines.append("  most frequent without a vector: " + ", ".join(f"{o['word']} ({o['count']})" for o in report["top_oov"][:10]))
    lines += [f"  note: {n}" for n in report["notes"]]
    return "\n".join(lines)


__all__ = ["CoverageWarning", "Vectors", "VectorEmbedding", "build_layer", "cached_vectors", "format_coverage"]
