"""Batched translation with a model folder: input order, empty inputs, outputs cut at max_len, scoring."""
import logging

import pytest

from s2s_embed.errors import DataError
from s2s_embed.translate import Translator, evaluate_translator


@pytest.fixture
def echo(tiny_model):
    """A translator whose search answers each source with its own ids reversed: the batching is all that runs."""
    translator = Translator.from_folder(tiny_model, "cpu", batch_size=2)
    translator.batches = []

    def decode(batch):
        translator.batches.append(len(batch))
        return [list(reversed(ids)) for ids in batch]

    translator._decode = decode
    return translator


def test_outputs_come_back_in_input_order_across_batches(echo):
    sentences = [["red", "cat"], ["big", "old", "dog", "fish", "bird"], ["one"], ["two", "blue", "fish"], ["six"]]
    out = echo.translate_tokens(sentences)
    vocab = echo.loaded.src_vocab, echo.loaded.trg_vocab
    assert out == [vocab[1].decode(list(reversed(vocab[0].encode(s)))) for s in sentences]
    assert echo.batches and max(echo.batches) <= 2 and sum(echo.batches) == len(sentences)


def test_an_empty_input_translates_to_nothing_without_a_search(echo):
    assert echo.translate_tokens([[], ["red", "cat"], []])[0::2] == [[], []]
    assert echo.batches == [1]


def test_outputs_cut_at_max_len_are_counted_and_warned_about(tiny_model, caplog):
    translator = Translator.from_folder(tiny_model, "cpu", max_len=3)
    translator._decode = lambda batch: [[4] * 3 if len(ids) > 2 else [4] for ids in batch]
    with caplog.at_level(logging.WARNING, logger="s2s_embed.translate"):
        translator.translate_tokens([["red", "big", "cat"], ["dog"], ["two", "old", "fish"]])
    assert translator.truncated == 2
    assert "2 of 3 sentence(s) reached the output limit of 3 tokens" in caplog.text
    translator.translate_tokens([["dog"]])
    assert translator.truncated == 0  # the count is the last call's


def test_a_lowercased_model_capitalises_the_first_letter(tiny_model):
    translator = Translator.from_folder(tiny_model, "cpu")
    assert translator.loaded.cfg.data.lowercase
    assert translator.detokenize(["le", "chat", "rouge", "."]) == "Le chat rouge."


def test_decode_settings_default_to_the_models_own(tiny_model):
    translator = Translator.from_folder(tiny_model, "cpu")
    decode = translator.loaded.cfg.decode
    assert (translator.beam_size, translator.max_len, translator.batch_size, translator.length_penalty) == (
        decode.beam_size, decode.max_len, decode.batch_size, decode.length_penalty)
    assert Translator.from_folder(tiny_model, "cpu", beam_size=3, length_penalty=0.0).length_penalty == 0.0


def test_greedy_and_beam_translate_every_sentence(tiny_model, tiny_task):
    sources = [s for s, _ in tiny_task["test_pairs"][:6]]
    for beam in (1, 3):
        out = Translator.from_folder(tiny_model, "cpu", beam_size=beam).translate(sources)
        assert len(out) == len(sources) and all(isinstance(t, str) for t in out)


def test_evaluate_translator_scores_with_the_decode_settings(tiny_model, tiny_task):
    pairs = tiny_task["test_pairs"][:8]
    translator = Translator.from_folder(tiny_model, "cpu", beam_size=1)
    scores, hyps = evaluate_translator(translator, [s for s, _ in pairs], [t for _, t in pairs])
    assert len(hyps) == len(pairs)
    assert scores["decode"] == {"beam_size": 1, "max_len": translator.max_len,
                                "length_penalty": translator.length_penalty}
    assert scores["truncated"] == translator.truncated and 0 <= scores["bleu_tok_lc"] <= 100


def test_evaluate_translator_needs_one_reference_per_source(tiny_model):
    with pytest.raises(DataError, match="2 lines but the reference has 1"):
        evaluate_translator(Translator.from_folder(tiny_model, "cpu"), ["red cat", "dog"], ["chat rouge"])
