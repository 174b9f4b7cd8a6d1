"""The `random` plugin: a trainable embedding initialised at random, the baseline every comparison needs."""
from __future__ import annotations

import math
import zlib

import torch
from torch import nn

from s2s_embed.data.vocab import PAD_ID
from s2s_embed.embeddings.spec import BuildContext
from s2s_embed.errors import ConfigError

INITS = ("normal", "uniform", "xavier")
DEFAULT_DIM = 256


class RandomEmbedding(nn.Embedding):
    """An `nn.Embedding` whose rows are drawn from a seeded generator; the `<pad>` row is zero and never learns."""

    def __init__(self, weight: torch.Tensor, init: str):
        super().__init__(weight.shape[0], weight.shape[1], padding_idx=PAD_ID, _weight=weight)
        self.init = init

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, init={self.init}"


def draw_std(init: str = "normal", scale: float | None = None, rows: int = 0, dim: int = DEFAULT_DIM) -> float:
    """The per-component std of the rows `factory` draws with these options (rows, dim matter for xavier only)."""
    if init == "normal":
        return float(scale or 1.0)
    bound = (scale or 0.1) if init == "uniform" else (scale or 1.0) * math.sqrt(6.0 / (rows + dim))
    return bound / math.sqrt(3.0)  # U(-b, b) has std b / sqrt(3)


def factory(ctx: BuildContext, init: str = "normal", scale: float | None = None) -> RandomEmbedding:
    """Random vectors learnt from scratch (init normal | uniform | xavier; dim from the spec, 256 by default).

    `scale` is the standard deviation for "normal" (default 1.0, as nn.Embedding),
    the bound for "uniform" (default 0.1) and the gain for "xavier" (default 1.0).
    The rows depend only on ctx.seed, ctx.side and the vocabulary size, never on
    the global torch RNG.
    """
    if init not in INITS:
        raise ConfigError(f"init = {init!r} is not valid. Choose one of: {', '.join(INITS)}.")
    if scale is not None and scale <= 0:
        raise ConfigError(f"scale = {scale!r} must be positive.")
    rows, dim = len(ctx.vocab), ctx.dim or DEFAULT_DIM
    gen = torch.Generator().manual_seed((ctx.seed * 1_000_003 + zlib.crc32(ctx.side.encode())) % 2**63)
    weight = torch.empty(rows, dim)
    if init == "normal":
        weight.normal_(0.0, scale or 1.0, generator=gen)
    elif init == "uniform":
        bound = scale or 0.1
        weight.uniform_(-bound, bound, generator=gen)
    else:  # xavier (Glorot) uniform over a (rows, dim) matrix
        bound = (scale or 1.0) * math.sqrt(6.0 / (rows + dim))
        weight.uniform_(-bound, bound, generator=gen)
    weight[PAD_ID] = 0.0
    return RandomEmbedding(weight, init)
