"""A built-in English-French parallel corpus that needs no download.

Each pair is one abstract clause (who does what to whom, where, when, negated or
asked) drawn from a hand-written bilingual lexicon, `lexicon_en_fr.json`, and
realised twice by pyrealb, which conjugates, agrees, elides and orders the words
of each language. So the two sides are translations by construction:

    The old man will not read the long letters.
    Le vieil homme ne lira pas les longues lettres.

The same seed gives the same pairs, and pairs are drawn one after another from
one random stream, so `generate(k, seed)` is the first k pairs of
`generate(n, seed)` for any n >= k. Realising costs about 1 ms of CPU per pair
(20,000 pairs in about 20 s); realisations are cached in the process, and
`synthetic_corpus` keeps each generated corpus on disk (`synthetic_files.py`).

The parts: `lexicon` (the lexicon model and the abstract clauses),
`realisation` (pyrealb) and `drawing` (the random drawing, `generate`).
"""
from __future__ import annotations

from s2s_embed.data.synthetic.drawing import draw_clause, generate, synthetic_corpus
from s2s_embed.data.synthetic.lexicon import COPULA, DETERMINERS, LEXICON_PATH, TENSES, Lexicon, load_lexicon
from s2s_embed.data.synthetic.lexicon import Adjective, Adverb, Noun, Preposition, Pronoun, Verb
from s2s_embed.data.synthetic.lexicon import Clause, NounPhrase, Subject
from s2s_embed.data.synthetic.realisation import realise

__all__ = [
    "COPULA", "DETERMINERS", "LEXICON_PATH", "TENSES", "Adjective", "Adverb", "Clause", "Lexicon", "Noun",
    "NounPhrase", "Preposition", "Pronoun", "Subject", "Verb", "draw_clause", "generate", "load_lexicon", "realise",
    "synthetic_corpus",
]
