"""The embedding layer every vector plugin ends up as: a lookup table, optionally frozen, optionally projected.

The constructor takes only plain JSON values, so a saved model rebuilds the
layer from its `manifest()` and then loads the weights (and the frozen-row
mask, a buffer) with `load_state_dict`, without the vector files.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from s2s_embed.data.vocab import PAD_ID
from s2s_embed.embeddings.spec import FREEZE_MODES
from s2s_embed.errors import ConfigError, ModelFolderError

MANIFEST_KEYS = ("num_embeddings", "source_dim", "dim", "freeze")


class VectorEmbedding(nn.Module):
    """ids (batch, time) -> vectors (batch, time, embedding_dim).

    freeze: "none" trains every row; "all" fixes the table (a projection, if
    any, still learns); "pretrained" fixes the rows marked in the `pretrained`
    buffer and lets the others (OOV words, `<unk> <sos> <eos>`) learn.

    For "pretrained", the looked-up vectors of pretrained rows are detached in
    `forward`, so their rows of `embedding.weight.grad` are exactly zero. An
    optimiser whose state starts at zero (SGD, Adam, AdamW) then leaves them
    unchanged, as long as it applies no weight decay to this table: decay
    moves every row, gradient or not. Doing it in `forward` rather than in a
    tensor hook keeps it working after `deepcopy`, pickling and `.to(device)`.
    """

    def __init__(self, num_embeddings: int, source_dim: int, dim: int | None = None, freeze: str = "none"):
        super().__init__()
        if freeze not in FREEZE_MODES:
            raise ConfigError(f"freeze = {freeze!r} is not valid. Choose one of: {', '.join(FREEZE_MODES)}.")
        self.num_embeddings = num_embeddings
        self.source_dim = source_dim
        self.embedding_dim = dim if dim is not None else source_dim
        self.freeze = freeze
        self.embedding = nn.Embedding(num_embeddings, source_dim, padding_idx=PAD_ID)
        # No bias: the padding row stays zero after projection too.
        self.projection = nn.Linear(source_dim, self.embedding_dim, bias=False) if self.embedding_dim != source_dim else None
        self.register_buffer("pretrained", torch.zeros(num_embeddings, dtype=torch.bool))
        if freeze == "all":
            self.embedding.weight.requires_grad_(False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embedding(ids)  # (batch, time, source_dim)
        if self.freeze == "pretrained" and x.requires_grad:
            x = torch.where(self.pretrained[ids].unsqueeze(-1), x.detach(), x)
        if self.projection is not None:
            x = self.projection(x)  # (batch, time, embedding_dim)
        return x

    def manifest(self) -> dict[str, Any]:
        """The constructor's arguments, as JSON: `from_manifest` builds a module of the same shape."""
        return {"num_embeddings": self.num_embeddings, "source_dim": self.source_dim,
                "dim": self.embedding_dim, "freeze": self.freeze}

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> VectorEmbedding:
        keys = set(manifest)
        if keys != set(MANIFEST_KEYS):
            raise ModelFolderError(
                f"A vector embedding manifest needs exactly the keys {', '.join(MANIFEST_KEYS)}; "
                f"got {', '.join(sorted(keys)) or 'none'}. The model folder is corrupt or from another version.")
        return cls(**{k: manifest[k] for k in MANIFEST_KEYS})

    def extra_repr(self) -> str:
        return f"freeze={self.freeze!r}"
