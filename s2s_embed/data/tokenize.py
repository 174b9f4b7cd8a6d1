"""Word tokenization with spaCy's rule-based tokenizers (no model download)."""
from __future__ import annotations

import functools
from collections.abc import Iterable

from s2s_embed.errors import ConfigError


@functools.lru_cache(maxsize=None)
def _blank(lang: str):
    import spacy

    try:
        return spacy.blank(lang)
    except (ImportError, OSError, KeyError) as exc:
        raise ConfigError(f"spaCy has no tokenizer for language '{lang}' ({exc}). Use an ISO code such as en, fr, de.") from None


class Tokenizer:
    """Splits text into word tokens the way `spacy.blank(lang)` does, optionally lowercased."""

    def __init__(self, lang: str, lowercase: bool = True):
        self.lang = lang
        self.lowercase = lowercase

    @property
    def _tokenizer(self):
        return _blank(self.lang).tokenizer  # built on first use (a few seconds), then cached per language

    def normalise(self, words: Iterable[str]) -> list[str]:
        """Apply the same normalisation to tokens that come from elsewhere (a spaCy Doc)."""
        return [w.lower() if self.lowercase else w for w in words if not w.isspace()]

    def __call__(self, text: str) -> list[str]:
        return self.normalise(t.text for t in self._tokenizer(text.strip()))

    def many(self, texts: Iterable[str]) -> list[list[str]]:
        return [self.normalise(t.text for t in doc) for doc in self._tokenizer.pipe(t.strip() for t in texts)]


def detokenize(tokens: list[str], lang: str) -> str:
    """Join tokens into text, closing the space before punctuation and after elisions."""
    text = ""
    for tok in tokens:
        if not text:
            text = tok
        elif tok in {".", ",", "!", "?", ";", ":", ")", "]", "%"} and not (lang == "fr" and tok in {"!", "?", ";", ":"}):
            text += tok
        elif text.endswith(("'", "’", "(", "[")) or tok.startswith(("'", "’")) and lang == "en" or tok in {"n't"}:
            text += tok
        else:
            text += " " + tok
    return text
