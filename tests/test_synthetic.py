"""The built-in English-French corpus: determinism, constructions, agreement, the lexicon."""
from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("pyrealb")

from s2s_embed.data import synthetic  # noqa: E402
from s2s_embed.data.synthetic import COPULA, Clause, NounPhrase, generate, load_lexicon, realise, synthetic_corpus  # noqa: E402
from s2s_embed.data.synthetic import drawing, realisation  # noqa: E402
from s2s_embed.errors import ConfigError, DataError  # noqa: E402

LEX = load_lexicon()


def _find(entries, en, **where):
    return next(e for e in entries if e.en == en and all(getattr(e, k) == v for k, v in where.items()))


def noun(en):
    return _find(LEX.nouns, en)


def verb(en, **where):
    return _find(LEX.verbs, en, **where)


def adjective(en):
    return _find(LEX.adjectives, en)


def pronoun(en, gender="m"):
    return _find(LEX.pronouns, en, gender=gender)


def prep(en, role):
    return _find(LEX.prepositions, en, role=role)


def adverb(en):
    return _find(LEX.adverbs, en)


@pytest.fixture(scope="module")
def sample():
    return generate(500, seed=0)


# ------------------------------------------------------------- determinism, sizes


def test_a_seed_gives_the_same_pairs_and_shorter_runs_are_prefixes(sample):
    en, fr = generate(120, seed=0)
    assert (en, fr) == (sample[0][:120], sample[1][:120])
    realisation._realise.cache_clear()  # realised afresh, not read back from the cache
    assert generate(40, seed=0) == (sample[0][:40], sample[1][:40])


def test_different_seeds_give_different_pairs(sample):
    other_en, _ = generate(100, seed=1)
    assert len(set(other_en) & set(sample[0][:100])) < 10


@pytest.mark.parametrize("n", [0, 1, 37])
def test_sizes_are_exact(n):
    en, fr = generate(n, seed=3)
    assert len(en) == len(fr) == n


@pytest.mark.parametrize("n, seed", [(-1, 0), (2.5, 0), (True, 0), ("10", 0), (5, "zero"), (5, 1.0)])
def test_a_bad_size_or_seed_is_a_config_error_that_shows_the_value(n, seed):
    with pytest.raises(ConfigError, match="whole number"):
        generate(n, seed)


# ------------------------------------------------------------- what the text is like


def test_sentences_are_capitalised_punctuated_and_clean(sample):
    for en, fr in zip(*sample):
        for s in (en, fr):
            assert s == s.strip() and "  " not in s
            assert s[0].isupper() and s[-1] in ".?"
            assert "[[" not in s and "]]" not in s
        assert en.endswith("?") == fr.endswith("?")


def test_every_construction_appears_and_negation_is_aligned(sample):
    en, fr = sample
    french_not = re.compile(r"\b(ne|n')\b.*\bpas\b", re.IGNORECASE)
    for e, f in zip(en, fr):
        assert (" not " in e) == bool(french_not.search(f)), (e, f)
        assert ("never" in e) == ("jamais" in f), (e, f)
    def count(pattern, side):
        return sum(bool(re.search(pattern, s)) for s in side)
    assert count(r"\?$", en) > 50  # yes/no questions
    assert count(r" not ", en) > 50 and count(r"\bnever\b", en) > 5  # negation
    assert count(r"\bwill\b", en) > 50 and count(r"(ra|ront|rai|rez|rons)\b", fr) > 50  # future
    assert count(r"\b(was|were) \w+ing\b", en) > 10 and count(r"(ait|aient)\b", fr) > 30  # past progressive / imparfait
    assert count(r"\b(a|ont|est|sont) \w+(é|i|u|is|it)(e?s?)\b", fr) > 30  # passé composé
    assert count(r"^(Les|Des|Ces|Mes|Vos|Nos|Leurs|Ses|Deux|Trois|Quatre|Cinq) ", fr) > 50  # plural subjects
    assert count(r"^(I|He|She|We|They|You) ", en) > 20 and count(r"^(Je|J'|Il|Elle|Nous|Ils|Elles|Vous) ", fr) > 20
    assert count(r" and ", en) > 10 and count(r" et ", fr) > 10  # coordination
    assert count(r"\b(in|on|under|behind|near|with|to|for|after|before|from|without) the\b", en) > 50  # PPs
    assert count(r"\b(du|de la|de l')\b", fr) > 5  # partitive "du lait"
    assert count(r"\b(pas|jamais) (de|d')", fr) > 3  # "pas de lait"


def test_the_corpus_has_variety(sample):
    en, fr = sample
    assert len(set(zip(en, fr))) > 480
    for side in (en, fr):
        words = {w.lower() for s in side for w in re.findall(r"[\w'-]+", s)}
        assert len(words) > 400


# ------------------------------------------------------------- agreement and order


@pytest.mark.parametrize("clause, english, french", [
    (Clause(NounPhrase(noun("house"), "the", True, adjective("old")), COPULA, "present", predicate=(adjective("white"),)),
     "The old houses are white.", "Les vieilles maisons sont blanches."),
    (Clause(NounPhrase(noun("man"), "the", False, adjective("old")), COPULA, "past",
            predicate=(adjective("happy"), adjective("tired"))),
     "The old man was happy and tired.", "Le vieil homme était heureux et fatigué."),
    (Clause(NounPhrase(noun("girl")), verb("leave", fr="partir"), "past"), "The girl left.", "La fille est partie."),
    (Clause(pronoun("they", "f"), verb("leave", fr="partir"), "past", negation="not", question=True),
     "Did they not leave?", "Ne sont-elles pas parties?"),
    (Clause(NounPhrase(noun("student")), verb("sing"), "present", obj=NounPhrase(noun("song"), "a", True, adjective("new"))),
     "The student sings new songs.", "L'étudiant chante de nouvelles chansons."),
    (Clause(NounPhrase(noun("cat")), verb("drink"), "present", obj=NounPhrase(noun("milk"), "a")),
     "The cat drinks milk.", "Le chat boit du lait."),
    (Clause(NounPhrase(noun("cat")), verb("drink"), "future", obj=NounPhrase(noun("water"), "a"), negation="not"),
     "The cat will not drink water.", "Le chat ne boira pas d'eau."),
    (Clause(NounPhrase(noun("dog"), "a", True), verb("eat"), "past", obj=NounPhrase(noun("apple"), "a", True), negation="never"),
     "Dogs never ate apples.", "Des chiens n'ont jamais mangé de pommes."),
    (Clause(NounPhrase(noun("girl")), verb("eat"), "past", obj=NounPhrase(noun("cake"), "this"), question=True),
     "Did the girl eat this cake?", "La fille a-t-elle mangé ce gâteau?"),
    (Clause(NounPhrase(noun("boy"), "our", True), verb("go"), "future", pp=(prep("to", "to"), NounPhrase(noun("market")))),
     "Our boys will go to the market.", "Nos garçons iront au marché."),
    (Clause(NounPhrase(noun("cat"), "a", False, adjective("black")), verb("sleep"), "past_progressive",
            pp=(prep("near", "loc"), NounPhrase(noun("garden")))),
     "A black cat was sleeping near the garden.", "Un chat noir dormait près du jardin."),
    (Clause(pronoun("you"), verb("wait"), "present", obj=NounPhrase(noun("bus"), "your")),
     "You wait for your bus.", "Vous attendez votre autobus."),
    (Clause(NounPhrase(noun("sister"), "my"), verb("answer"), "past", obj=NounPhrase(noun("teacher"))),
     "My sister answered the teacher.", "Ma sœur a répondu au professeur."),
    (Clause(NounPhrase(noun("child"), "two"), verb("give"), "future", obj=NounPhrase(noun("flower"), "a"),
            pp=(prep("to", "recipient"), NounPhrase(noun("woman"), "the", True))),
     "Two children will give a flower to the women.", "Deux enfants donneront une fleur aux femmes."),
    (Clause(NounPhrase(noun("soup")), COPULA, "past", predicate=(adjective("cold"),), adverb=adverb("always")),
     "The soup was always cold.", "La soupe était toujours froide."),
    (Clause(NounPhrase(noun("student"), "each"), verb("read"), "past",
            obj=NounPhrase(noun("letter"), "her", True, adjective("long")), adverb=adverb("carefully")),
     "Each student read her long letters carefully.", "Chaque étudiant a lu ses longues lettres soigneusement."),
    (Clause(NounPhrase(noun("jam")), COPULA, "future", predicate=(adjective("hot"),), adverb=adverb("today"), negation="not"),
     "The jam will not be hot today.", "La confiture ne sera pas chaude aujourd'hui."),
])
def test_a_clause_is_realised_with_agreement_and_word_order(clause, english, french):
    assert realise(clause) == (english, french)


def test_french_adjectives_take_the_position_the_lexicon_gives():
    boy = noun("boy")  # masculine, starts with a consonant: the adjective keeps its lemma form
    for adj in LEX.adjectives:
        _, fr = realise(Clause(NounPhrase(boy, "the", False, adj), verb("sleep")))
        words = fr.rstrip(".").lower().split()
        assert (words.index(adj.fr) < words.index("garçon")) == adj.before_noun, fr


# ------------------------------------------------------------- the lexicon


def test_the_lexicon_has_several_hundred_lemmas_of_every_part_of_speech():
    counts = LEX.lemma_counts()
    assert counts["nouns"] >= 200 and counts["verbs"] >= 80 and counts["adjectives"] >= 50
    assert counts["adverbs"] >= 10 and counts["prepositions"] >= 10 and counts["pronouns"] >= 7
    assert sum(counts.values()) >= 400
    assert len({(n.en, n.fr) for n in LEX.nouns}) == len(LEX.nouns)  # no duplicate entries


def test_every_noun_realises_with_its_french_gender():
    for n in LEX.nouns:
        number = [False] if n.mass else [False, True]
        for plural in number:
            en, fr = realise(Clause(NounPhrase(n, "the", plural), COPULA, predicate=(adjective("strange"),)))
            assert en.lower().startswith(("the " + n.en if not plural else "the ")), en
            if not plural:
                article = {"m": "le ", "f": "la "}[n.gender]
                expected = ("l'",) if n.fr[0] in "aeiouéèêâîôœ" else (article, "l'") if n.fr[0] == "h" else (article,)
                assert fr.lower().startswith(tuple(a + n.fr for a in expected)), (n, fr)


@pytest.mark.parametrize("tense", synthetic.TENSES)
def test_every_verb_realises_in_every_tense(tense):
    subject = NounPhrase(noun("woman"))
    for v in LEX.verbs:
        obj = NounPhrase(LEX.nouns_with(v.object)[0], "a") if v.object is not None else None
        for question in (False, True):
            en, fr = realise(Clause(subject, v, tense, obj=obj, question=question))  # a pyrealb warning raises
            assert en.startswith(("The woman", "Did", "Does", "Will", "Was")) and fr[-1] == en[-1] == "?."[not question]


def test_every_adjective_adverb_preposition_and_pronoun_realises():
    cat = NounPhrase(noun("cat"))
    for adj in LEX.adjectives:
        en, fr = realise(Clause(NounPhrase(noun("man")), COPULA, predicate=(adj,)))
        assert en == f"The man is {adj.en}." and fr.startswith("L'homme est " + adj.fr), (en, fr)
    for adv in LEX.adverbs:
        en, fr = realise(Clause(NounPhrase(noun("cat"), "the", True), verb("walk"), "past", adverb=adv))
        assert adv.en in en and adv.fr in fr, (en, fr)
    for p in LEX.prepositions:
        en, fr = realise(Clause(cat, verb("walk"), "past", pp=(p, NounPhrase(LEX.nouns_with(p.kinds)[0]))))
        assert f" {p.en} " in en and (p.fr.split()[0] in fr.split() or p.fr in ("à", "de")), (en, fr)
    for pro in LEX.pronouns:
        en, fr = realise(Clause(pro, verb("walk"), "present"))
        assert en.split()[0].lower() == pro.en.lower() and fr.split()[0].lower() == pro.fr, (en, fr)


def test_every_verb_can_be_drawn_with_a_subject_and_what_it_needs():
    for v in LEX.verbs:
        assert LEX.nouns_with(v.subject), v
        if v.object is not None:
            assert LEX.nouns_with(v.object), v
        if v.pp_required:
            assert any(drawing._preposition_options(LEX, role, kinds) for role, kinds in v.pp), v


# ------------------------------------------------------------- corpus and errors


def test_synthetic_corpus_is_a_parallel_text_either_way_round():
    en_fr = synthetic_corpus(20, seed=5)
    assert (en_fr.src, en_fr.trg) == generate(20, seed=5) and len(en_fr) == 20
    assert "synthetic" in en_fr.name and "seed=5" in en_fr.name
    fr_en = synthetic_corpus(20, seed=5, src_lang="fr", trg_lang="en")
    assert (fr_en.src, fr_en.trg) == (en_fr.trg, en_fr.src)


def test_synthetic_corpus_in_another_language_is_a_config_error():
    with pytest.raises(ConfigError, match="src_lang='de'.*'en' and 'fr'"):
        synthetic_corpus(5, src_lang="de", trg_lang="en")


def _write_lexicon(tmp_path, change):
    raw = json.loads(synthetic.LEXICON_PATH.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "lexicon.json"
    lines = ["{"] + [f'  "{k}": [\n' + ",\n".join("    " + json.dumps(e, ensure_ascii=False) for e in v) + "],"
                     if isinstance(v, list) else f'  "{k}": {json.dumps(v, ensure_ascii=False)},' for k, v in raw.items()]
    path.write_text("\n".join(lines).rstrip(",") + "\n}\n", encoding="utf-8")
    return path


def test_a_lexicon_entry_with_an_unknown_key_names_the_file_line_and_valid_keys(tmp_path):
    path = _write_lexicon(tmp_path, lambda raw: raw["nouns"][2].update(gendre="m"))
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "gendre" in text)
    with pytest.raises(DataError, match=rf"{re.escape(str(path))}, line {line} \(nouns #2\): unknown key\(s\) gendre\. "
                                        r"Valid keys: en, fr, gender, kinds, mass\."):
        load_lexicon(path)


def test_a_misspelt_kind_in_the_lexicon_is_named_with_a_suggestion(tmp_path):
    path = _write_lexicon(tmp_path, lambda raw: raw["verbs"][0].update(object=["foood"]))
    with pytest.raises(DataError, match=r"verbs #0\): object kind 'foood' matches no noun\. Did you mean 'food'\?"):
        load_lexicon(path)


@pytest.mark.parametrize("change, message", [
    (lambda raw: raw.pop("adverbs"), r"lexicon\.json: missing section\(s\) adverbs\. A lexicon has the sections"),
    (lambda raw: raw["nouns"][1].pop("kinds"), r"line \d+ \(nouns #1\): missing key 'kinds'"),
    (lambda raw: raw["nouns"][1].update(gender="n"), r"\(nouns #1\): gender 'n' is not one of 'm', 'f'"),
    (lambda raw: raw["adverbs"][0].update(tense="soon"), r"\(adverbs #0\): tense 'soon' is not one of .*\(leave it out\)"),
    (lambda raw: raw["verbs"][3]["pp"].update(inside=None), r"\(verbs #3\): unknown pp role 'inside'\. Roles: loc"),
])
def test_a_wrong_lexicon_entry_is_a_data_error_naming_file_line_and_fix(tmp_path, change, message):
    with pytest.raises(DataError, match=message):
        load_lexicon(_write_lexicon(tmp_path, change))


def test_a_missing_lexicon_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match=r"nowhere\.json: lexicon file not found"):
        load_lexicon(tmp_path / "nowhere.json")


def test_a_lexicon_that_is_not_json_names_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "nouns": [\n    {"en": "cat",}\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"broken\.json, line 3: not valid JSON"):
        load_lexicon(path)


def test_a_word_pyrealb_does_not_know_is_a_data_error_naming_the_lexicon(tmp_path):
    path = _write_lexicon(tmp_path, lambda raw: raw["nouns"][0].update(fr="zorglub"))
    lexicon = load_lexicon(path)
    with pytest.raises(DataError, match=r"lexicon\.json: pyrealb cannot realise this fr clause.*zorglub.*pyrealb_additions"):
        realise(Clause(NounPhrase(lexicon.nouns[0]), verb("sleep")), lexicon)
