"""Seq2Seq: an encoder and a decoder around two embedding layers handed in from outside."""
from __future__ import annotations

import torch
from torch import nn

from s2s_embed.config import ModelConfig
from s2s_embed.data.vocab import PAD_ID
from s2s_embed.errors import PluginError
from s2s_embed.model.decoder import Decoder, Memory, State
from s2s_embed.model.encoder import Encoder


class Seq2Seq(nn.Module):
    def __init__(self, encoder: Encoder, decoder: Decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, src: torch.Tensor, src_lens: torch.Tensor) -> tuple[Memory, State]:
        outputs, state = self.encoder(src, src_lens)  # (B, S, M); the context vector (h, c)
        return self.decoder.memory(outputs, src != PAD_ID), state

    def forward(self, src: torch.Tensor, src_lens: torch.Tensor, trg_in: torch.Tensor,
                teacher_forcing: float = 1.0) -> torch.Tensor:
        """Decoder features (B, T, F) for inputs `trg_in` (<sos> y1 ... y_{T-1}); project with `logits`."""
        memory, state = self.encode(src, src_lens)
        return self.decoder(trg_in, state, memory, teacher_forcing)

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        return self.decoder.generator(features)


def build_model(cfg: ModelConfig, src_embed: nn.Module, trg_embed: nn.Module, trg_vocab_size: int) -> Seq2Seq:
    """Wire the two embedding layers, the encoder, the decoder and its dense layer in one place."""
    for side, embed in (("source", src_embed), ("target", trg_embed)):
        check_embedding(embed, side)
    encoder = Encoder(src_embed, cfg.hidden_size, cfg.num_layers, cfg.dropout, cfg.bidirectional)
    decoder = Decoder(trg_embed, trg_vocab_size, encoder.state_size, encoder.output_size,
                      cfg.num_layers, cfg.dropout, cfg.attention)
    model = Seq2Seq(encoder, decoder)
    if cfg.init_range > 0:
        _init_uniform(model, cfg.init_range, skip=(src_embed, trg_embed))
    return model


def _init_uniform(model: nn.Module, bound: float, skip: tuple[nn.Module, ...]) -> None:
    """Draw every weight but the embeddings' from U(-bound, bound): the embeddings are the plugins' business."""
    skipped = {id(p) for module in skip for p in module.parameters()}
    with torch.no_grad():
        for p in model.parameters():
            if id(p) not in skipped:
                p.uniform_(-bound, bound)


def check_embedding(embed: nn.Module, side: str) -> None:
    """The seam: any module mapping (batch, time) ids to (batch, time, dim) that declares `embedding_dim`."""
    dim = getattr(embed, "embedding_dim", None)
    if not isinstance(embed, nn.Module) or not isinstance(dim, int) or dim <= 0:
        raise PluginError(f"The {side} embedding must be an nn.Module with a positive int `embedding_dim`; "
                          f"got {type(embed).__name__} with embedding_dim={dim!r}.")
