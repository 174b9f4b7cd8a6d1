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
(20,000 pairs in about 20 s); realisations are cached in the process.
"""
from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from s2s_embed.data.corpus import ParallelText
from s2s_embed.errors import ConfigError, DataError, did_you_mean

LEXICON_PATH = Path(__file__).with_name("lexicon_en_fr.json")

# ---------------------------------------------------------------- the lexicon


@dataclass(frozen=True)
class Noun:
    en: str
    fr: str
    gender: str  # French gender, "m" or "f"
    kinds: frozenset[str]  # semantic classes, plus the English lemma itself
    mass: bool = False  # uncountable: never plural; "a" is "milk" / "du lait"


@dataclass(frozen=True)
class Verb:
    en: str
    fr: str
    subject: frozenset[str]  # noun kinds that can be its subject
    object: frozenset[str] | None  # noun kinds of its object; None: intransitive only
    intransitive_too: bool = False  # "she reads" as well as "she reads a book"
    stative: bool = False  # no progressive; its French past is the imparfait
    manner: bool = False  # takes manner adverbs: "eats slowly", but not "knows slowly"
    progressive: bool = True  # "was eating", but not "was seeing"
    pp_required: bool = False  # "go" needs "to the park"
    en_prep: str | None = None  # "wait *for* the bus" / "attendre le bus"
    fr_prep: str | None = None  # "answer the teacher" / "répondre *au* professeur"
    pp: tuple[tuple[str, frozenset[str] | None], ...] = ()  # (role, noun kinds or None = the preposition's)


@dataclass(frozen=True)
class Adjective:
    en: str
    fr: str
    describes: frozenset[str]  # noun kinds it can describe
    scale: str  # two adjectives of one scale are never coordinated ("big and small")
    before_noun: bool  # French position: "un grand chat", "un chat noir"


@dataclass(frozen=True)
class Adverb:
    en: str
    fr: str
    kind: str  # manner | frequency | time | timing ("early") | plural ("together")
    tense: str | None = None  # a time adverb's tense: past | present | future | None (any)


@dataclass(frozen=True)
class Preposition:
    en: str
    fr: str
    role: str  # loc | to | from | with | without | for | recipient | time
    kinds: frozenset[str]  # noun kinds of its noun phrase


@dataclass(frozen=True)
class Pronoun:
    en: str
    fr: str
    person: int
    number: str  # "s" | "p"
    gender: str  # French agreement: "je suis partie"


COPULA = Verb(en="be", fr="être", subject=frozenset(), object=None, stative=True)


@dataclass(frozen=True, eq=False)
class Lexicon:
    nouns: tuple[Noun, ...]
    verbs: tuple[Verb, ...]
    adjectives: tuple[Adjective, ...]
    adverbs: tuple[Adverb, ...]
    prepositions: tuple[Preposition, ...]
    pronouns: tuple[Pronoun, ...]
    copula_locations: tuple[tuple[str, frozenset[str]], ...]  # subject kind -> location kinds for "X is in/under ..."
    pyrealb_additions: dict = field(repr=False)  # {"en"|"fr": {lemma: pyrealb entry}}
    path: Path = LEXICON_PATH
    _index: dict = field(default_factory=dict, repr=False)  # memoised look-ups

    def nouns_with(self, kinds: frozenset[str]) -> tuple[Noun, ...]:
        """The nouns that have at least one of `kinds`, in lexicon order."""
        key = ("nouns", kinds)
        if key not in self._index:
            self._index[key] = tuple(n for n in self.nouns if n.kinds & kinds)
        return self._index[key]

    def adjectives_for(self, noun: Noun) -> tuple[Adjective, ...]:
        key = ("adjectives", noun)
        if key not in self._index:
            self._index[key] = tuple(a for a in self.adjectives if a.describes & noun.kinds)
        return self._index[key]

    @property
    def transitive_verbs(self) -> tuple[Verb, ...]:
        if "transitive" not in self._index:
            self._index["transitive"] = tuple(v for v in self.verbs if v.object is not None)
        return self._index["transitive"]

    @property
    def intransitive_verbs(self) -> tuple[Verb, ...]:
        if "intransitive" not in self._index:
            self._index["intransitive"] = tuple(v for v in self.verbs if v.object is None or v.intransitive_too)
        return self._index["intransitive"]

    def lemma_counts(self) -> dict[str, int]:
        """Distinct (English, French) lemma pairs per part of speech."""
        return {
            "nouns": len(self.nouns),
            "verbs": len({(v.en, v.en_prep, v.fr) for v in self.verbs}),
            "adjectives": len(self.adjectives),
            "adverbs": len(self.adverbs),
            "prepositions": len({(p.en, p.fr) for p in self.prepositions}),
            "pronouns": len({(p.en, p.fr) for p in self.pronouns}),
            "determiners": len(DETERMINERS) + 1,  # + "a"
        }


_FIELDS = {
    "nouns": {"en", "fr", "gender", "kinds", "mass"},
    "verbs": {"en", "fr", "subject", "object", "intransitive_too", "stative", "manner", "progressive", "pp_required",
              "en_prep", "fr_prep", "pp"},
    "adjectives": {"en", "fr", "describes", "scale", "before_noun"},
    "adverbs": {"en", "fr", "kind", "tense"},
    "prepositions": {"en", "fr", "role", "kinds"},
    "pronouns": {"en", "fr", "person", "number", "gender"},
}
_SECTIONS = (*_FIELDS, "copula_locations", "pyrealb_additions")
_ADVERB_KINDS = ("manner", "frequency", "time", "timing", "plural")
_ROLES = ("loc", "to", "from", "with", "without", "for", "recipient", "time")


@functools.lru_cache(maxsize=8)
def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """Read and check a lexicon file; every problem names the file, the line and the fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
    except FileNotFoundError:
        raise DataError(f"{path}: lexicon file not found. "
                        "Reinstall s2s-embed, or give the path of a lexicon JSON file.") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg}).") from None
    missing = [s for s in _SECTIONS if s not in raw]
    if missing:
        raise DataError(f"{path}: missing section(s) {', '.join(missing)}. A lexicon has the sections {', '.join(_SECTIONS)}.")
    r = _LexiconReader(path, text.splitlines(), raw)
    nouns = tuple(Noun(r.need(w, e, "en"), r.need(w, e, "fr"), r.one_of(w, e, "gender", ("m", "f")),
                       frozenset(r.need(w, e, "kinds")) | {e["en"]}, bool(e.get("mass", False)))
                  for w, e in r.entries("nouns"))
    r.known_kinds = frozenset().union(*(n.kinds for n in nouns))
    verbs = tuple(Verb(r.need(w, e, "en"), r.need(w, e, "fr"), r.kinds(w, r.need(w, e, "subject"), "subject"),
                       None if r.need(w, e, "object") is None else r.kinds(w, e["object"], "object"),
                       bool(e.get("intransitive_too")), bool(e.get("stative")), bool(e.get("manner")),
                       bool(e.get("progressive", True)), bool(e.get("pp_required")), e.get("en_prep"), e.get("fr_prep"),
                       r.pp_roles(w, r.need(w, e, "pp")))
                  for w, e in r.entries("verbs"))
    adjectives = tuple(Adjective(r.need(w, e, "en"), r.need(w, e, "fr"), r.kinds(w, r.need(w, e, "describes"), "describes"),
                                 r.need(w, e, "scale"), bool(r.need(w, e, "before_noun")))
                       for w, e in r.entries("adjectives"))
    adverbs = tuple(Adverb(r.need(w, e, "en"), r.need(w, e, "fr"), r.one_of(w, e, "kind", _ADVERB_KINDS),
                           r.one_of(w, e, "tense", ("past", "present", "future", None)))
                    for w, e in r.entries("adverbs"))
    prepositions = tuple(Preposition(r.need(w, e, "en"), r.need(w, e, "fr"), r.one_of(w, e, "role", _ROLES),
                                     r.kinds(w, r.need(w, e, "kinds"), "preposition"))
                         for w, e in r.entries("prepositions"))
    pronouns = tuple(Pronoun(r.need(w, e, "en"), r.need(w, e, "fr"), r.one_of(w, e, "person", (1, 2, 3)),
                             r.one_of(w, e, "number", ("s", "p")), r.one_of(w, e, "gender", ("m", "f")))
                     for w, e in r.entries("pronouns"))
    locations = tuple((kind, r.kinds(f"{path} (copula_locations)", places, "location"))
                      for kind, places in raw["copula_locations"].items())
    return Lexicon(nouns, verbs, adjectives, adverbs, prepositions, pronouns, locations, raw["pyrealb_additions"], path)


class _LexiconReader:
    """Checks for `load_lexicon`, each naming the file, the line of the entry and the fix."""

    def __init__(self, path: Path, lines: list[str], raw: dict):
        self.path, self.lines, self.raw = path, lines, raw
        self.known_kinds: frozenset[str] = frozenset()

    def entries(self, section: str) -> Iterable[tuple[str, dict]]:
        """(where, entry) for each entry of a section; `where` is "file, line N (section #i)"."""
        header = next((n for n, line in enumerate(self.lines, 1) if line.strip().startswith(f'"{section}"')), 0)
        for i, entry in enumerate(self.raw[section]):
            where = f"{self.path}, line {header + 1 + i} ({section} #{i})"  # the shipped layout: one entry a line
            unknown = set(entry) - _FIELDS[section]
            if unknown:
                raise DataError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}. "
                                f"Valid keys: {', '.join(sorted(_FIELDS[section]))}.")
            yield where, entry

    @staticmethod
    def need(where: str, entry: dict, key: str):
        if key not in entry:
            raise DataError(f"{where}: missing key '{key}'.")
        return entry[key]

    @staticmethod
    def one_of(where: str, entry: dict, key: str, options: tuple):
        value = entry.get(key) if None in options else _LexiconReader.need(where, entry, key)
        if value not in options:
            shown = ", ".join("(leave it out)" if o is None else repr(o) for o in options)
            raise DataError(f"{where}: {key} {value!r} is not one of {shown}.")
        return value

    def kinds(self, where: str, values, what: str) -> frozenset[str]:
        values = frozenset(values)
        for kind in sorted(values - self.known_kinds):
            raise DataError(f"{where}: {what} kind '{kind}' matches no noun.{did_you_mean(kind, self.known_kinds)} "
                            "Add it to a noun's kinds or fix the spelling.")
        return values

    def pp_roles(self, where: str, roles: dict) -> tuple[tuple[str, frozenset[str] | None], ...]:
        for role in roles:
            if role not in _ROLES:
                raise DataError(f"{where}: unknown pp role '{role}'. Roles: {', '.join(_ROLES)}.")
        return tuple((role, None if kinds is None else self.kinds(where, kinds, f"pp '{role}'")) for role, kinds in roles.items())


# ------------------------------------------------------------ abstract clauses

# Determiners: key -> (English, French, number). "a" is special: "a cat" / "cats" /
# "milk" in English; "un chat" / "des chats" / "du lait", and "de" after a negation, in French.
DETERMINERS: dict[str, tuple] = {
    "the": (lambda p: p.D("the"), lambda p: p.D("le"), None),
    "this": (lambda p: p.D("this"), lambda p: p.D("ce"), None),
    "each": (lambda p: p.D("each"), lambda p: p.D("chaque"), "s"),
    "my": (lambda p: p.D("my").pe(1), lambda p: p.D("mon").pe(1), None),
    "your": (lambda p: p.D("my").pe(2), lambda p: p.D("votre"), None),  # "you" is always "vous"
    "his": (lambda p: p.D("my").pe(3).g("m"), lambda p: p.D("mon").pe(3), None),
    "her": (lambda p: p.D("my").pe(3).g("f"), lambda p: p.D("mon").pe(3), None),
    "our": (lambda p: p.D("my").pe(1).ow("p"), lambda p: p.D("notre").pe(1), None),
    "their": (lambda p: p.D("my").pe(3).ow("p"), lambda p: p.D("leur"), None),
    "two": (lambda p: p.D("two"), lambda p: p.NO(2).nat(), "p"),
    "three": (lambda p: p.D("three"), lambda p: p.NO(3).nat(), "p"),
    "four": (lambda p: p.D("four"), lambda p: p.NO(4).nat(), "p"),
    "five": (lambda p: p.D("five"), lambda p: p.NO(5).nat(), "p"),
}
TENSES = ("present", "past", "past_progressive", "future")


@dataclass(frozen=True)
class NounPhrase:
    noun: Noun
    det: str = "the"  # "a" or a key of DETERMINERS
    plural: bool = False  # set by the determiner where it has a number: "two" plural, "each" singular
    adjective: Adjective | None = None

    def __post_init__(self):
        if self.det != "a" and self.det not in DETERMINERS:
            raise ValueError(f"Unknown determiner '{self.det}'. Use 'a' or one of {', '.join(DETERMINERS)}.")
        number = None if self.det == "a" else DETERMINERS[self.det][2]
        if number is not None:
            object.__setattr__(self, "plural", number == "p")


Subject = Union[NounPhrase, Pronoun, tuple[NounPhrase, NounPhrase]]  # a pair is "X and Y"


@dataclass(frozen=True)
class Clause:
    """One sentence before realisation: both languages are realised from it."""

    subject: Subject
    verb: Verb  # COPULA for "be" / "être"
    tense: str = "present"  # one of TENSES
    obj: NounPhrase | None = None
    predicate: tuple[Adjective, ...] = ()  # with COPULA: "is big and old"
    pp: tuple[Preposition, NounPhrase] | None = None
    adverb: Adverb | None = None
    negation: str | None = None  # None | "not" | "never"
    question: bool = False


# ------------------------------------------------------------------ realising


@functools.lru_cache(maxsize=1)
def _pyrealb(lexicon: Lexicon):
    """pyrealb, with the lexicon's additions merged into its (process-wide) lexicons."""
    try:
        import pyrealb
    except ImportError:
        raise ConfigError("The built-in synthetic corpus needs pyrealb. "
                          "Install it with: pip install 's2s-embed[corpus]'.") from None
    for lang, entries in lexicon.pyrealb_additions.items():
        for lemma, entry in entries.items():
            pyrealb.getLexicon(lang)[lemma] = entry
    return pyrealb


def realise(clause: Clause, lexicon: Lexicon | None = None) -> tuple[str, str]:
    """The English and the French sentence for one clause."""
    lexicon = lexicon or load_lexicon()
    return _realise(clause, "en", lexicon), _realise(clause, "fr", lexicon)


@functools.lru_cache(maxsize=1 << 16)
def _realise(clause: Clause, lang: str, lexicon: Lexicon) -> str:
    p = _pyrealb(lexicon)
    before, raising = p.getLanguage(), p.Constituent.exceptionOnWarning
    p.load(lang)  # pyrealb builds and realises in one global language
    p.Constituent.exceptionOnWarning = True  # an unknown word or a wrong gender raises instead of printing [[word]]
    try:
        if lang == "en":
            return _english(p, clause).realize().strip()
        return _restore_ligatures(_french(p, clause).realize().strip(), lexicon)
    except p.PyrealbException as exc:
        raise DataError(f"{lexicon.path}: pyrealb cannot realise this {lang} clause: {exc}. "
                        f"Fix the entry or add the word under pyrealb_additions. Clause: {clause}") from None
    finally:
        p.Constituent.exceptionOnWarning = raising
        p.load(before)


def _restore_ligatures(text: str, lexicon: Lexicon) -> str:
    """pyrealb writes "sœur" as "soeur"; put the ligature back in the lexicon's own words."""
    key = ("ligatures",)
    if key not in lexicon._index:
        words = {}
        for noun in lexicon.nouns:
            if "œ" in noun.fr:
                words[noun.fr.replace("œ", "oe")] = noun.fr
                words[noun.fr.replace("œ", "oe").capitalize()] = noun.fr.capitalize()
        lexicon._index[key] = (re.compile(r"\b(" + "|".join(map(re.escape, words)) + ")"), words) if words else None
    if lexicon._index[key] is None:
        return text
    pattern, words = lexicon._index[key]
    return pattern.sub(lambda m: words[m.group(1)], text)


_EN_TENSE = {"present": "p", "past": "ps", "past_progressive": "ps", "future": "f"}
_FR_TENSE = {"present": "p", "past": "pc", "past_progressive": "i", "future": "f"}


def _english(p, c: Clause):
    frequency, after = _adverbs(c)
    before_verb = "never" if c.negation == "never" else frequency.en if frequency else None
    words = []
    if c.verb is COPULA:
        words += [p.V("be"), *([p.Adv(before_verb)] if before_verb else []), *_en_predicate(p, c)]
    else:
        words += [*([p.Adv(before_verb)] if before_verb else []), p.V(c.verb.en)]
        if c.obj is not None:
            obj = _en_np(p, c.obj)
            words.append(p.PP(p.P(c.verb.en_prep), obj) if c.verb.en_prep else obj)
        if c.pp:
            words.append(_en_pp(p, *c.pp))
    if after:
        words.append(p.Adv(after.en).pos("post"))  # else pyrealb moves it: "will not today be"
    typ = {"neg": c.negation == "not", "int": "yon" if c.question else False, "prog": c.tense == "past_progressive"}
    return p.S(_en_subject(p, c.subject), p.VP(*words)).t(_EN_TENSE[c.tense]).typ({k: v for k, v in typ.items() if v})


def _french(p, c: Clause):
    frequency, after = _adverbs(c)
    words = [p.V(c.verb.fr)]
    if frequency:
        words.append(p.Adv(frequency.fr))  # pyrealb moves it after the auxiliary: "a souvent mangé"
    if c.verb is COPULA:
        words += _fr_predicate(p, c)
    else:
        if c.obj is not None:
            negated = c.negation is not None and not c.verb.fr_prep  # "ne mange pas *de* pommes"
            obj = _fr_np(p, c.obj, negated_object=negated)
            words.append(_fr_pp_of(p, c.verb.fr_prep, obj) if c.verb.fr_prep else obj)
        if c.pp:
            words.append(_fr_pp_of(p, c.pp[0].fr, _fr_np(p, c.pp[1])))
    if after:
        words.append(p.Adv(after.fr))
    tense = "i" if c.tense == "past" and c.verb.stative else _FR_TENSE[c.tense]
    neg = {"not": True, "never": "jamais"}.get(c.negation, False)
    typ = {"neg": neg, "int": "yon" if c.question else False}
    return p.S(_fr_subject(p, c.subject), p.VP(*words)).t(tense).typ({k: v for k, v in typ.items() if v})


def _adverbs(c: Clause) -> tuple[Adverb | None, Adverb | None]:
    """(a frequency adverb, which goes before the English verb; any other adverb, which ends the verb phrase)."""
    if c.adverb is None:
        return None, None
    return (c.adverb, None) if c.adverb.kind == "frequency" else (None, c.adverb)


def _en_subject(p, s: Subject):
    if isinstance(s, Pronoun):
        return p.Pro("I").pe(s.person).n(s.number).g(s.gender)
    if isinstance(s, tuple):
        return p.CP(p.C("and"), *(_en_np(p, np) for np in s))
    return _en_np(p, s)


def _fr_subject(p, s: Subject):
    if isinstance(s, Pronoun):
        return p.Pro("je").pe(s.person).n(s.number).g(s.gender)
    if isinstance(s, tuple):
        return p.CP(p.C("et"), *(_fr_np(p, np) for np in s))
    return _fr_np(p, s)


def _en_np(p, np: NounPhrase):
    if np.det == "a":
        det = [] if np.plural or np.noun.mass else [p.D("a")]  # "cats", "milk"
    else:
        det = [DETERMINERS[np.det][0](p)]
    adjective = [p.A(np.adjective.en)] if np.adjective else []
    return p.NP(*det, *adjective, p.N(np.noun.en)).n("p" if np.plural else "s")


def _fr_np(p, np: NounPhrase, negated_object: bool = False):
    if np.det == "a" and negated_object:
        det = [p.D("de")]  # "pas de pommes", "pas d'eau"
    elif np.det == "a" and np.noun.mass:
        det = [p.P("de"), p.D("le")]  # partitive: "du lait", "de la soupe", "de l'eau"
    elif np.det == "a" and np.plural and np.adjective and np.adjective.before_noun:
        det = [p.D("de")]  # "de nouvelles chansons", not "des nouvelles chansons"
    elif np.det == "a":
        det = [p.D("un")]  # "un chat", "des chats"
    else:
        det = [DETERMINERS[np.det][1](p)]
    adjective = [p.A(np.adjective.fr)] if np.adjective else []
    return p.NP(*det, *adjective, p.N(np.noun.fr).g(np.noun.gender)).n("p" if np.plural else "s")


def _en_pp(p, prep: Preposition, np: NounPhrase):
    return p.PP(p.P(prep.en), _en_np(p, np))


def _fr_pp_of(p, prep: str, np):
    """A French PP; "près de" is "près" + "de ...", so that "de le jardin" contracts to "du jardin"."""
    if prep.endswith(" de"):
        return p.PP(p.P(prep[: -len(" de")]), p.PP(p.P("de"), np))
    return p.PP(p.P(prep), np)


def _en_predicate(p, c: Clause):
    if c.pp:
        return [_en_pp(p, *c.pp)]
    adjectives = [p.A(a.en) for a in c.predicate]
    return [p.CP(p.C("and"), *adjectives) if len(adjectives) > 1 else adjectives[0]]


def _fr_predicate(p, c: Clause):
    if c.pp:
        return [_fr_pp_of(p, c.pp[0].fr, _fr_np(p, c.pp[1]))]
    adjectives = [p.A(a.fr) for a in c.predicate]
    return [p.CP(p.C("et"), *adjectives) if len(adjectives) > 1 else adjectives[0]]


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
    english, french = generate(n, seed)
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
