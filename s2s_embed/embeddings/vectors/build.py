"""The one builder that turns vectors into a vocabulary's embedding layer.

It aligns the vectors with the vocabulary (exact, then lowercase, then title
case, then fastText subwords), transforms the pretrained rows (normalize,
center, remove_top, rescale), fills the rows without a vector and reports the coverage.
"""
from __future__ import annotations

import warnings
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from s2s_embed.data.vocab import PAD_ID, SPECIALS
from s2s_embed.embeddings.layer import VectorEmbedding
from s2s_embed.embeddings.spec import BuildContext, EmbeddingSpec
from s2s_embed.embeddings.vectors.coverage import CoverageWarning, coverage_report
from s2s_embed.embeddings.vectors.data import Vectors
from s2s_embed.errors import ConfigError, DataError, PluginError


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

    report = coverage_report(kinds, ctx, spec, vectors, plugin_name, module, init, notes)
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
