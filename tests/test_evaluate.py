import json
import math
import re

import pytest
import sacrebleu
from sacrebleu.metrics import BLEU

from s2s_embed.errors import ConfigError, DataError
from s2s_embed.evaluate import metric, score, tutorial_bleu

REFS = ["A man is riding a bicycle down the street.", "Two dogs play in the snow!"]

# Hand-computed below: clipped n-gram matches / totals over both sentences.
HYP_TOKENS = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "runs", "in", "the", "park"]]
REF_TOKENS = [["the", "cat", "is", "on", "the", "mat"], ["a", "big", "dog", "runs", "in", "the", "park"]]
# 1-grams 5+6 of 6+6, 2-grams 3+4 of 5+5, 3-grams 1+3 of 4+4, 4-grams 0+2 of 3+3;
# hypothesis length 12, reference length 13, so BP = exp(1 - 13/12).
HAND_BLEU = 100 * math.exp(1 - 13 / 12) * (11 / 12 * 7 / 10 * 4 / 8 * 2 / 6) ** 0.25


def _words(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text)


def test_perfect_hypotheses_score_100():
    result = score(REFS, REFS)
    assert result["bleu"] == pytest.approx(100.0)
    assert result["chrf"] == pytest.approx(100.0)
    assert result["n_sentences"] == 2


def test_wrong_hypotheses_score_lower():
    result = score(["A woman walks.", "Cats sleep indoors."], REFS)
    assert result["bleu"] < 20
    assert result["chrf"] < 50


def test_signatures_are_structured_and_json_able():
    result = score(["A man rides a bike down the street.", "Two dogs play in snow!"], REFS)
    bleu_sig, chrf_sig = result["bleu_signature"], result["chrf_signature"]
    assert bleu_sig == {"metric": "BLEU", "version": sacrebleu.__version__, "nrefs": 1, "case": "mixed",
                        "effective_order": "no", "tokenizer": "13a", "smoothing": "exp"}
    assert chrf_sig == {"metric": "chrF2", "version": sacrebleu.__version__, "nrefs": 1, "case": "mixed",
                        "effective_order": "yes", "char_order": 6, "word_order": 0, "whitespace": "no"}
    assert "tok:13a" in result["bleu_signature_str"] and "smooth:exp" in result["bleu_signature_str"]
    assert "nc:6" in result["chrf_signature_str"]
    assert json.loads(json.dumps(result)) == result
    assert type(result["bleu"]) is float and type(result["chrf"]) is float
    assert all(type(p) is float for p in result["bleu_details"]["precisions"])


def test_score_matches_sacrebleu_command_line_defaults():
    hyps = ["A man rides a bike down the street.", "Two dogs play in snow!"]
    assert score(hyps, REFS)["bleu"] == pytest.approx(sacrebleu.corpus_bleu(hyps, [REFS]).score)
    assert score(hyps, REFS)["chrf"] == pytest.approx(sacrebleu.corpus_chrf(hyps, [REFS]).score)


def test_tutorial_bleu_equals_hand_computed_value():
    assert tutorial_bleu(HYP_TOKENS, REF_TOKENS) == pytest.approx(HAND_BLEU, abs=1e-9)
    assert HAND_BLEU == pytest.approx(52.6136, abs=1e-4)


def test_tutorial_bleu_ignores_case():
    upper = [[t.upper() for t in sent] for sent in HYP_TOKENS]
    title = [[t.title() for t in sent] for sent in REF_TOKENS]
    assert tutorial_bleu(upper, title) == pytest.approx(HAND_BLEU, abs=1e-9)


def test_tutorial_bleu_agrees_with_sacrebleu_on_pre_tokenised_text():
    untokenised = BLEU(tokenize="none", lowercase=True, smooth_method="none")
    expected = untokenised.corpus_score([" ".join(h) for h in HYP_TOKENS], [[" ".join(r) for r in REF_TOKENS]]).score
    assert tutorial_bleu(HYP_TOKENS, REF_TOKENS) == pytest.approx(expected, abs=1e-9)


def test_tutorial_bleu_is_zero_without_a_matching_4gram():
    # No smoothing, as in torchtext: one order without matches gives 0.
    assert tutorial_bleu([HYP_TOKENS[0]], [REF_TOKENS[0]]) == 0.0


def test_score_with_tokenizer_adds_the_tutorial_bleu_under_its_own_key():
    hyps = ["a man rides a bike down the street.", "two dogs play in snow!"]  # sacreBLEU counts case
    result = score(hyps, REFS, tokenizer=_words)
    assert result["bleu_tok_lc"] == pytest.approx(tutorial_bleu([_words(h) for h in hyps], [_words(r) for r in REFS]))
    assert result["bleu_tok_lc"] > result["bleu"] + 5
    assert "bleu_tok_lc" not in score(hyps, REFS)


def test_length_mismatch_names_both_counts_and_sources():
    with pytest.raises(DataError, match=r"Line counts differ: out\.txt 1, test\.en 2\."):
        score(REFS[:1], REFS, hyp_source="out.txt", ref_source="test.en")
    with pytest.raises(DataError, match="token lists 2, reference token lists 1"):
        tutorial_bleu(HYP_TOKENS, REF_TOKENS[:1])


def test_empty_input_is_an_error():
    with pytest.raises(DataError, match="nothing to score"):
        score([], [])


def test_unknown_metric_lists_the_options():
    with pytest.raises(ConfigError, match="Available: bleu, chrf.*Did you mean 'chrf'"):
        metric("chrF")
