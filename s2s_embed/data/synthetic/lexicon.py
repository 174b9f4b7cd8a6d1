"""The lexicon model and the abstract clauses: what a sentence is before either language realises it.

`load_lexicon` reads and checks `lexicon_en_fr.json`, every problem naming the
file, the line and the fix; a `Clause` holds one sentence's parts.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from s2s_embed.errors import DataError, did_you_mean

LEXICON_PATH = Path(__file__).parents[1] / "lexicon_en_fr.json"

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
