"""s2s-embed as a spaCy pipeline component: `nlp.add_pipe("s2s_translator", config={"model": FOLDER})`.

Registered through the `spacy_factories` entry point, so spaCy finds it without
importing s2s_embed first. This module is imported whenever spaCy builds a
pipeline, so it imports torch and the model code only when a component is made.
"""
from __future__ import annotations

from spacy.language import Language


@Language.factory("s2s_translator", default_config={"model": None, "beam_size": 1, "max_len": 50, "batch_size": 64,
                                                     "device": "cpu", "per_sentence": False})
def make_translator(nlp: Language, name: str, model: str | None, beam_size: int, max_len: int, batch_size: int,
                    device: str, per_sentence: bool):
    raise NotImplementedError("s2s_translator is being written")
