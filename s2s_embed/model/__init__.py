"""The LSTM encoder-decoder: embeddings come in from outside, through `build_model`.

`Seq2Seq` and `build_model` are imported on first use, so the config can read
the attention kinds (`model.attention.KINDS`) without importing the model, which reads the config.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from s2s_embed.model.seq2seq import Seq2Seq, build_model


def __getattr__(name: str):
    if name in ("Seq2Seq", "build_model"):
        from s2s_embed.model import seq2seq

        return getattr(seq2seq, name)
    raise AttributeError(f"module 's2s_embed.model' has no attribute '{name}'")


__all__ = ["Seq2Seq", "build_model"]
