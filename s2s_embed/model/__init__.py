"""The LSTM encoder-decoder: embeddings come in from outside, through `build_model`."""
from s2s_embed.model.seq2seq import Seq2Seq, build_model

__all__ = ["Seq2Seq", "build_model"]
