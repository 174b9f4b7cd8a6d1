"""Drawing clauses at random from the lexicon, one random stream for a corpus, with the weights of each choice."""
from __future__ import annotations

import random

from s2s_embed.data.corpus import ParallelText
from s2s_embed.data.synthetic.lexicon import (
    COPULA,
    DETERMINERS,
    Adjective,
    Adverb,
    Clause,
    Lexicon,
    Noun,
    NounPhrase,
    Preposition,
    Pronoun,
    Subject,
    load_lexicon,
)
from s2s_embed.data.synthetic.realisation import realise
from s2s_embed.errors import ConfigError

# -------------------------------------------------------------------- drawing

_SHAPES = {"transitive": 45, "intransitive": 27, "attribute": 18, "location": 10}
_TENSE_WEIGHTS = {"present": 30, "past": 30, "past_progressive": 12, "future": 28}
_NEGATION = {None: 70, "not": 22, "never": 8}
_DET_WEIGHTS = {
    "main": {"the": 40, "a": 22, "this": 8, "my": 5, "your": 4, "his": 3, "her": 3, "our": 3, "their": 3,
             "two": 3, "three": 2, "four": 1, "five": 1, "each": 2},
    "minor": {"the": 70, "a": 10, "this": 5, "my": 4, "your": 3, "his": 2, "her": 2, "our": 2, "their": 2},
    # no "a" in "X and Y": not "tractors and the plane"
    "coordinated": {"the": 70, "this": 5, "my": 5, "your": 4, "his": 4, "her": 4, "our": 4, "their": 4},
}
_QUESTION = 0.25
_PLURAL = 0.35
_ADJECTIVE = 0.25
_PRONOUN = 0.2
_COORDINATION = 0.07
_SECOND_ADJECTIVE = 0.2
_PP = 0.4
_ADVERB = 0.25


def synthetic_corpus(n: int, seed: int = 0, src_lang: str = "en", trg_lang: str = "fr") -> ParallelText:
    """`generate(n, seed)` as a corpus, English to French or French to English."""
    if {src_lang, trg_lang} != {"en", "fr"}:
        raise ConfigError(f"The synthetic corpus is English-French: src_lang='{src_lang}', trg_lang='{trg_lang}' "
                          "must be 'en' and 'fr' (either way round).")
    from s2s_embed.data.synthetic_files import cached_generate

    english, french = cached_generate(n, seed)
    src, trg = (english, french) if src_lang == "en" else (french, english)
    return ParallelText(src, trg, f"synthetic-{src_lang}-{trg_lang}(n={n}, seed={seed})")


def generate(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """`n` aligned (English, French) sentences, the same for the same seed."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ConfigError(f"Synthetic corpus size (data.synthetic_size) = {n!r}: give a whole number >= 0, e.g. 12000.")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"Synthetic corpus seed (data.synthetic_seed) = {seed!r}: give a whole number, e.g. 0.")
    lexicon = load_lexicon()
    rng = random.Random(seed)
    english, french = [], []
    for _ in range(n):
        en, fr = realise(draw_clause(rng, lexicon), lexicon)
        english.append(en)
        french.append(fr)
    return english, french


def draw_clause(rng: random.Random, lexicon: Lexicon) -> Clause:
    """One random clause: a shape (transitive, intransitive, "X is ADJ", "X is PREP Y"), then its parts."""
    while True:  # a draw with no fitting noun is rare; draw again from the same stream
        shape = _pick(rng, _SHAPES)
        drawn = _SHAPE_DRAWERS[shape](rng, lexicon)
        if drawn is not None:
            break
    subject, verb, obj, predicate, pp = drawn
    tense = _pick(rng, _TENSE_WEIGHTS)
    if tense == "past_progressive" and (verb.stative or not verb.progressive):
        tense = "past"  # "the soup was cold", "she knew the teacher"
    question = rng.random() < _QUESTION
    negation = _pick(rng, _NEGATION)
    if negation == "never" and (question or tense not in ("present", "past") or not _transient(predicate)):
        negation = "not"
    clause = Clause(subject, verb, tense, obj, predicate, pp, None, negation, question)
    if rng.random() < _ADVERB:
        fitting = [a for a in lexicon.adverbs if _adverb_fits(a, clause)]
        if fitting:
            clause = Clause(subject, verb, tense, obj, predicate, pp, rng.choice(fitting), negation, question)
    return clause


def _transitive(rng, lex: Lexicon):
    verb = rng.choice(lex.transitive_verbs)
    subject = _subject(rng, lex, verb.subject)
    used = _nouns_in(subject)
    objects = [n for n in lex.nouns_with(verb.object) if n not in used]
    if not objects:
        return None
    obj = _noun_phrase(rng, lex, rng.choice(objects), "main")
    pp = _pp(rng, lex, verb.pp, used | {obj.noun}, required=verb.pp_required)
    return subject, verb, obj, (), pp


def _intransitive(rng, lex: Lexicon):
    verb = rng.choice(lex.intransitive_verbs)
    subject = _subject(rng, lex, verb.subject)
    roles = tuple(r for r in verb.pp if r[0] != "recipient")  # "give to" needs something to give
    pp = _pp(rng, lex, roles, _nouns_in(subject), required=verb.pp_required)
    if verb.pp_required and pp is None:
        return None
    return subject, verb, None, (), pp


def _attribute(rng, lex: Lexicon):
    adjective = rng.choice(lex.adjectives)
    subject = _subject(rng, lex, adjective.describes, adjective_p=0.0, indefinite=False)
    predicate = (adjective,)
    if rng.random() < _SECOND_ADJECTIVE:
        parts = _kinds_in(subject)
        others = [a for a in lex.adjectives if a.scale != adjective.scale and all(a.describes & k for k in parts)]
        if others:
            predicate += (rng.choice(others),)
    return subject, COPULA, None, predicate, None


def _location(rng, lex: Lexicon):
    where = dict(lex.copula_locations)
    subject = _subject(rng, lex, frozenset(where), adjective_p=_ADJECTIVE)
    places = None
    for kinds in _kinds_in(subject):  # every part of "the cat and the dog" must fit the place
        fits = frozenset().union(*(where[k] for k in kinds if k in where))
        places = fits if places is None else places & fits
    pp = _pp(rng, lex, (("loc", places),), _nouns_in(subject), required=True)
    return None if pp is None else (subject, COPULA, None, (), pp)


_SHAPE_DRAWERS = {"transitive": _transitive, "intransitive": _intransitive, "attribute": _attribute, "location": _location}


def _subject(rng, lex: Lexicon, kinds: frozenset[str], adjective_p: float = _ADJECTIVE, indefinite: bool = True) -> Subject:
    nouns = lex.nouns_with(kinds)
    r = rng.random()
    if "person" in kinds and r < _PRONOUN:
        return rng.choice(lex.pronouns)
    if r > 1 - _COORDINATION:
        first = rng.choice(nouns)
        # pyrealb agrees "le chat et la fille" wrongly, so both nouns share a French gender
        # and a kind ("the cat and the dog", not "the pig and the customer")
        partners = [n for n in nouns if n.gender == first.gender and n is not first and n.kinds & first.kinds - {first.en}]
        if partners:
            second = rng.choice(partners)
            return (_noun_phrase(rng, lex, first, "coordinated", 0.0), _noun_phrase(rng, lex, second, "coordinated", 0.0))
    np = _noun_phrase(rng, lex, rng.choice(nouns), "main", adjective_p, subject=True)
    if np.det == "a" and not indefinite:  # "des horloges sont brunes" reads as a wrong generic
        np = NounPhrase(np.noun, "the", np.plural, np.adjective)
    return np


def _noun_phrase(rng, lex: Lexicon, noun: Noun, weights: str, adjective_p: float = _ADJECTIVE,
                 subject: bool = False) -> NounPhrase:
    det = _pick(rng, _DET_WEIGHTS[weights])
    if noun.mass and (det == "a" and subject or det != "a" and DETERMINERS[det][2] is not None):
        det = "the"  # no "two milks", no "each milk", no "some milk" as a subject
    number = None if det == "a" else DETERMINERS[det][2]
    plural = number == "p" or (number is None and not noun.mass and rng.random() < _PLURAL)
    adjectives = lex.adjectives_for(noun)
    adjective = rng.choice(adjectives) if adjectives and rng.random() < adjective_p else None
    return NounPhrase(noun, det, plural, adjective)


def _pp(rng, lex: Lexicon, roles, exclude: set, required: bool = False) -> tuple[Preposition, NounPhrase] | None:
    if not roles or (not required and rng.random() >= _PP):
        return None
    role, narrowed = rng.choice(roles)
    options = []
    for prep, nouns in _preposition_options(lex, role, narrowed):
        nouns = [n for n in nouns if n not in exclude]
        if nouns:
            options.append((prep, nouns))
    if not options:
        return None
    prep, nouns = rng.choice(options)
    np = _noun_phrase(rng, lex, rng.choice(nouns), "minor", _ADJECTIVE / 2)
    if prep.role == "without" and np.det == "a":  # "sans un ami" is stilted
        np = NounPhrase(np.noun, "the", np.plural, np.adjective)
    return prep, np


def _preposition_options(lex: Lexicon, role: str, narrowed: frozenset[str] | None):
    """(preposition, nouns it can take here) for a role, narrowed to some noun kinds by the verb."""
    key = ("pp", role, narrowed)
    if key not in lex._index:
        options = []
        for prep in lex.prepositions:
            if prep.role == role:
                nouns = tuple(n for n in lex.nouns_with(prep.kinds) if narrowed is None or n.kinds & narrowed)
                if nouns:
                    options.append((prep, nouns))
        lex._index[key] = tuple(options)
    return lex._index[key]


# Properties that change, so that "is often", "was never" and "today" make sense with them
_TRANSIENT_SCALES = {"mood", "state", "temperature", "cleanliness", "fullness", "condition"}


def _transient(predicate: tuple[Adjective, ...]) -> bool:
    return all(a.scale in _TRANSIENT_SCALES for a in predicate)


def _adverb_fits(adverb: Adverb, c: Clause) -> bool:
    if adverb.kind in ("frequency", "time") and not _transient(c.predicate):
        return False  # not "the river is long today"
    acts = c.verb is not COPULA and not c.verb.stative and all(k & {"person", "animal"} for k in _kinds_in(c.subject))
    if adverb.kind == "manner":
        return acts and c.verb.manner and c.pp is None  # "ate the apple slowly", not "ate the apple in the kitchen slowly"
    if adverb.kind == "frequency":  # English puts it before the verb, which pyrealb cannot invert or negate
        return c.negation is None and not c.question and c.tense in ("present", "past")
    if adverb.kind == "time":  # not "never ... today"
        return c.negation != "never" and adverb.tense in (None, c.tense.replace("_progressive", ""))
    if adverb.kind == "timing":  # "arrived late", not "bought the pear late"
        return acts and c.obj is None
    return acts and _plural(c.subject)  # "together"


def _nouns_in(subject: Subject) -> set[Noun]:
    if isinstance(subject, Pronoun):
        return set()
    return {np.noun for np in (subject if isinstance(subject, tuple) else (subject,))}


def _kinds_in(subject: Subject) -> list[frozenset[str]]:
    """The kinds of each part of a subject (a pronoun is a person)."""
    if isinstance(subject, Pronoun):
        return [frozenset({"person"})]
    return [np.noun.kinds for np in (subject if isinstance(subject, tuple) else (subject,))]


def _plural(subject: Subject) -> bool:
    if isinstance(subject, Pronoun):
        return subject.number == "p"
    return isinstance(subject, tuple) or subject.plural


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]
