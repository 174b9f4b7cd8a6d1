"""Tokenization and its inverse: `detokenize(tokenize(reference))` gives the reference back.

What "exactly" means: with `lowercase=False` the joined tokens must equal the
raw reference, character for character (double spaces included, which no
detokenizer can restore). A model trained with `lowercase=True` (the default)
sees lowercased tokens; joined, they must equal the lowercased reference
(`Translator` then capitalises the first letter). The rules do not depend on
case, so both rates are the same; the built-in corpus checks both.
"""
import gzip

import pytest

from s2s_embed.data.synthetic import generate
from s2s_embed.data.tokenize import Tokenizer, detokenize
from tests.conftest import MULTI30K

MULTI30K_SPLITS = ("train", "val", "test_2016_flickr", "test_2017_flickr")


def round_trip_rate(sentences: list[str], lang: str, lowercase: bool) -> tuple[float, list[tuple[str, str]]]:
    """The share of sentences that come back exactly, and the first few that do not (wanted, got)."""
    wanted = [s.lower() if lowercase else s for s in sentences]
    got = [detokenize(tokens, lang) for tokens in Tokenizer(lang, lowercase).many(sentences)]
    misses = [(w, g) for w, g in zip(wanted, got) if w != g]
    return 1 - len(misses) / len(sentences), misses[:5]


@pytest.fixture(scope="module")
def synthetic():
    english, french = generate(1000, seed=0)
    return {"en": english, "fr": french}


@pytest.mark.parametrize("lowercase", [True, False])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_built_in_corpus_round_trips(synthetic, lang, lowercase):
    rate, misses = round_trip_rate(synthetic[lang], lang, lowercase)
    assert rate >= 0.99, misses


@pytest.mark.parametrize("lang", ["en", "fr", "de"])
def test_multi30k_round_trips(lang):
    if not MULTI30K.is_dir():
        pytest.skip(f"Multi30K is not in {MULTI30K}")
    sentences = []
    for split in MULTI30K_SPLITS:
        with gzip.open(MULTI30K / f"{split}.{lang}.gz", "rt", encoding="utf-8") as f:
            lines = [line.strip() for line in f if line.strip()]
        sentences += lines[::4] if split == "train" else lines  # a quarter of train keeps the test short
    rate, misses = round_trip_rate(sentences, lang, lowercase=False)
    assert rate >= 0.99, misses


@pytest.mark.parametrize("lang, text", [
    ("fr", "Votre serpent apprendra-t-il ses leçons?"),
    ("fr", "L'homme d'aujourd'hui porte un t-shirt, n'est-ce pas?"),
    ("fr", "Qu'il vienne : « lent » dit-elle !"),
    ("en", "Don't say \"it's late,\" he said; I'm sure."),
    ("en", "The dogs' toys (red) are 50% off at Joe's, a 'nice' shop."),
    ("en", "A blond-haired boy in a t-shirt can't swim."),
    ("de", "Auf dem Schild steht: „Welcome Bikers“ – ein T-Shirt (rot)."),
])
def test_examples_round_trip(lang, text):
    assert detokenize(Tokenizer(lang, lowercase=False)(text), lang) == text


def test_tokens_a_model_writes():
    assert detokenize(["apprendra", "-t", "-il", "ses", "leçons", "?"], "fr") == "apprendra-t-il ses leçons?"
    assert detokenize(["l'", "homme", "est", "là", "aujourd'hui", "."], "fr") == "l'homme est là aujourd'hui."
    assert detokenize(["it", "'s", "a", "dog", "that", "does", "n't", "bark", "."], "en") == \
        "it's a dog that doesn't bark."
    assert detokenize(["a", "\"", "stop", "\"", "sign"], "en") == 'a "stop" sign'
    assert detokenize(["the", "dogs", "'", "bowl"], "en") == "the dogs' bowl"  # no quote follows: an apostrophe
    assert detokenize(["ein", "Mann", "-", "eine", "Frau"], "de") == "ein Mann - eine Frau"  # a German dash
    assert detokenize([], "en") == ""


def test_unknown_languages_get_the_default_spacing():
    assert detokenize(["un", "perro", "(", "rojo", ")", ",", "sí", "."], "es") == "un perro (rojo), sí."
