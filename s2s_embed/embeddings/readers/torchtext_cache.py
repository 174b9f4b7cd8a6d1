"""torchtext's vector cache (`.pt`), loaded without unpickling anything but lists, dicts and tensors."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from s2s_embed.embeddings.readers import _require_file
from s2s_embed.embeddings.vectors import Vectors
from s2s_embed.errors import DataError


def read_torchtext_cache(path: str | Path, *, wanted: Iterable[str] | None = None) -> Vectors:
    """A torchtext `Vectors` cache `.pt`: `(itos, stoi, vectors, dim)` as torchtext saved it, or a dict with
    `itos` and `vectors`. Loaded with `weights_only=True`: nothing but lists, dicts and tensors is unpickled."""
    import torch

    path = _require_file(path, "torchtext vector cache")
    from s2s_embed.model_folder import load_plain_torch

    payload = load_plain_torch(path, "cpu", DataError, "torch file (expected a torchtext vector cache, .pt)")
    itos, matrix, dim = _unpack_torchtext(path, payload)
    if dim is not None and dim != matrix.shape[1]:
        raise DataError(f"{path}: says dim {dim} but its vectors have {matrix.shape[1]} columns.")
    if len(itos) != matrix.shape[0]:
        raise DataError(f"{path}: {len(itos)} words (itos) but {matrix.shape[0]} vectors.")
    return Vectors(itos, matrix.numpy().astype(np.float32, copy=False), source=str(path)).select(wanted)


def _unpack_torchtext(path: Path, payload):
    import torch

    if isinstance(payload, (tuple, list)) and len(payload) == 4:
        itos, _, matrix, dim = payload
    elif isinstance(payload, dict) and "itos" in payload and "vectors" in payload:
        itos, matrix, dim = payload["itos"], payload["vectors"], payload.get("dim")
    else:
        raise DataError(f"{path}: expected torchtext's (itos, stoi, vectors, dim) tuple or a dict with 'itos' and "
                        f"'vectors'; found a {type(payload).__name__}.")
    if not isinstance(itos, list) or not all(isinstance(w, str) for w in itos):
        raise DataError(f"{path}: itos must be a list of words.")
    if not isinstance(matrix, torch.Tensor) or matrix.dim() != 2:
        raise DataError(f"{path}: vectors must be a 2-D tensor (words, dim).")
    if dim is not None and not isinstance(dim, int):
        raise DataError(f"{path}: dim must be an integer; found {dim!r}.")
    return itos, matrix.float(), dim
