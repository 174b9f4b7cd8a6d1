"""Realising a clause in English and in French with pyrealb, which conjugates, agrees, elides and orders the words."""
from __future__ import annotations

import functools
import re

from s2s_embed.data.synthetic.lexicon import (
    COPULA,
    DETERMINERS,
    Adverb,
    Clause,
    Lexicon,
    NounPhrase,
    Preposition,
    Pronoun,
    Subject,
    load_lexicon,
)
from s2s_embed.errors import ConfigError, DataError

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
