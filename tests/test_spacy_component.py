"""The spaCy component: entry point, output, batching, serialisation, errors.

One tiny en->fr model is trained per session on a templated corpus; its
translations are poor but deterministic, which is all these tests need.
"""
import json
import random
import shutil
import subprocess
import sys
import textwrap

import pytest
import spacy
from spacy.lang.en import English
from spacy.tokens import Doc

from s2s_embed.errors import ConfigError, ModelFolderError

SUBJECTS = [("the cat", "le chat"), ("a dog", "un chien"), ("the girl", "la fille"), ("a man", "un homme")]
VERBS = [("eats", "mange"), ("sees", "voit"), ("likes", "aime")]
OBJECTS = [("the apple", "la pomme"), ("a house", "une maison"), ("the bread", "le pain")]
TEXTS = ["The cat eats the apple.", "A dog sees a house.", "", "The girl likes the bread.", "A man eats.",
         "THE CAT SEES A DOG.", "  The girl sees the cat .  ", "A dog likes the apple and the bread.",
         "The man eats a house.", "The cat likes a dog."]
SAVED_FILES = ["config.json", "coverage.json", "digests.json", "embeddings.json", "model.pt", "src_vocab.json", "summary.json",
               "trg_vocab.json"]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    from s2s_embed import config
    from s2s_embed.train import train

    root = tmp_path_factory.mktemp("spacy_model")
    rng = random.Random(0)
    pairs = []
    for _ in range(200):
        (s_en, s_fr), (v_en, v_fr), (o_en, o_fr) = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS)
        pairs.append((f"{s_en.capitalize()} {v_en} {o_en}.", f"{s_fr.capitalize()} {v_fr} {o_fr}."))
    for name, lines in (("train", pairs), ("valid", pairs[:20])):
        (root / f"{name}.en").write_text("".join(en + "\n" for en, _ in lines), encoding="utf-8")
        (root / f"{name}.fr").write_text("".join(fr + "\n" for _, fr in lines), encoding="utf-8")
    cfg = config.load(None, [
        "data.corpus=files", f"data.train_src={root}/train.en", f"data.train_trg={root}/train.fr",
        f"data.valid_src={root}/valid.en", f"data.valid_trg={root}/valid.fr", "data.min_freq=1",
        f"train.out_dir={root}/model", "train.epochs=6", "train.lr=0.01", "train.batch_size=64",
        "train.teacher_forcing=1.0", "train.device=cpu", "model.hidden_size=32", "model.num_layers=1",
        "model.dropout=0.0", "embeddings.source.dim=16", "embeddings.target.dim=16"])
    return train(cfg, progress=False).folder


@pytest.fixture(scope="session")
def translator(model_dir):
    from s2s_embed.translate import Translator

    return Translator.from_folder(model_dir, "cpu")


def pipeline(model, lang="en", **options):
    nlp = spacy.blank(lang)
    nlp.add_pipe("s2s_translator", config={"model": str(model), "device": "cpu", **options})
    return nlp


@pytest.fixture(scope="module")
def nlp(model_dir):
    return pipeline(model_dir)


@pytest.fixture(scope="module")
def saved(model_dir, tmp_path_factory):
    """A pipeline saved with to_disk, whose original model folder no longer exists; and its translations."""
    root = tmp_path_factory.mktemp("saved")
    shutil.copytree(model_dir, root / "model")
    nlp = pipeline(root / "model")
    translations = [doc._.translation for doc in nlp.pipe(TEXTS)]
    nlp.to_disk(root / "pipeline")
    shutil.rmtree(root / "model")
    return root / "pipeline", translations


def run_python(code, cwd):
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- registration --------------------------------------------------------------------------------------

@pytest.mark.slow
def test_add_pipe_by_name_in_a_process_that_never_imports_s2s_embed(model_dir, nlp, tmp_path):
    out = run_python(f"""
        import json, sys
        import spacy
        assert "s2s_embed" not in sys.modules
        nlp = spacy.blank("en")
        nlp.add_pipe("s2s_translator", config={{"model": {str(model_dir)!r}, "device": "cpu"}})
        print(json.dumps({{"module": type(nlp.get_pipe("s2s_translator")).__module__,
                          "translation": nlp({TEXTS[0]!r})._.translation}}))
        """, cwd=tmp_path)
    assert out == {"module": "s2s_embed.spacy_component", "translation": nlp(TEXTS[0])._.translation}


# --- output --------------------------------------------------------------------------------------------

def test_output_equals_translator_on_the_same_sentences(nlp, translator):
    docs = list(nlp.pipe(TEXTS))
    assert [doc._.translation for doc in docs] == translator.translate(TEXTS)
    assert docs[2]._.translation == ""  # an empty doc translates to nothing
    assert len(set(translator.translate(TEXTS))) > 3  # the model tells sentences apart


def test_doc_tokens_are_lowercased_as_the_model_was_trained(nlp):
    assert nlp("THE GIRL LIKES THE BREAD.")._.translation == nlp("the girl likes the bread.")._.translation


def test_decode_options_reach_the_translator(model_dir):
    from s2s_embed.translate import Translator

    beam = Translator.from_folder(model_dir, "cpu", beam_size=3, max_len=4)
    nlp = pipeline(model_dir, beam_size=3, max_len=4, batch_size=2)
    assert [doc._.translation for doc in nlp.pipe(TEXTS)] == beam.translate(TEXTS)
    assert all(len(t.split()) <= 4 for t in beam.translate(TEXTS))


def test_a_translation_cut_at_max_len_is_warned_about(model_dir, caplog):
    nlp = pipeline(model_dir, max_len=2)
    with caplog.at_level("WARNING", logger="s2s_embed"):
        doc = nlp("The cat eats the apple.")
    assert len(doc._.translation.split()) == 2
    assert "1 of 1 sentence(s) reached the output limit of 2 tokens without ending and were cut" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="s2s_embed"):
        pipeline(model_dir)("The cat eats the apple.")
    assert "output limit" not in caplog.text


def test_per_sentence_mode_translates_each_sentence_and_joins_them(model_dir, translator):
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("s2s_translator", config={"model": str(model_dir), "device": "cpu", "per_sentence": True})
    text = "The cat eats the apple. A dog sees a house. The girl likes the bread."
    doc = nlp(text)
    sents = list(doc.sents)
    assert len(sents) == 3
    assert [s._.translation for s in sents] == translator.translate([s.text for s in sents])
    assert doc._.translation == " ".join(s._.translation for s in sents)
    piped = list(nlp.pipe([text, "A man eats."], batch_size=2))
    assert piped[0]._.translation == doc._.translation
    assert piped[1]._.translation == translator.translate(["A man eats."])[0]


def test_per_sentence_without_sentence_boundaries_translates_the_whole_doc(model_dir, translator):
    nlp = pipeline(model_dir, per_sentence=True)
    text = "The cat eats the apple. A dog sees a house."
    assert nlp(text)._.translation == translator.translate([text])[0]


def test_a_users_forced_extension_does_not_break_the_component(nlp):
    Doc.set_extension("translation", default=None, force=True)
    assert nlp(TEXTS[0])._.translation


# --- batching ------------------------------------------------------------------------------------------

def test_pipe_batches_across_docs_and_matches_docs_one_by_one(nlp, monkeypatch):
    one_by_one = [nlp(text)._.translation for text in TEXTS]
    translator = nlp.get_pipe("s2s_translator").translator
    calls = []
    translate_tokens = translator.translate_tokens

    def counting(sentences):
        calls.append(len(sentences))
        return translate_tokens(sentences)

    monkeypatch.setattr(translator, "translate_tokens", counting)
    assert [doc._.translation for doc in nlp.pipe(TEXTS, batch_size=4)] == one_by_one
    assert calls == [4, 4, 2]


# --- serialisation -------------------------------------------------------------------------------------

def test_to_disk_copies_only_the_model_files(saved):
    folder, _ = saved
    assert sorted(p.name for p in (folder / "s2s_translator").iterdir()) == SAVED_FILES


@pytest.mark.slow
def test_spacy_load_in_a_fresh_process_reads_the_model_from_the_pipeline(saved, tmp_path):
    folder, before = saved
    out = run_python(f"""
        import json
        import spacy
        nlp = spacy.load({str(folder)!r})
        texts = {TEXTS!r}
        print(json.dumps({{"call": [nlp(t)._.translation for t in texts],
                          "pipe": [d._.translation for d in nlp.pipe(texts, batch_size=3)],
                          "folder": str(nlp.get_pipe("s2s_translator").translator.loaded.folder)}}))
        """, cwd=tmp_path)
    assert out == {"call": before, "pipe": before, "folder": str(folder / "s2s_translator")}


def test_meta_is_valid_for_spacy_package(saved):
    from spacy.cli.package import get_meta
    from spacy.schemas import ModelMetaSchema, validate

    folder, _ = saved
    meta = get_meta(folder, {"name": "fr_test", "version": "0.0.1"})  # what `spacy package` builds from
    assert validate(ModelMetaSchema, meta) == []
    ours = [r for r in meta["requirements"] if r.startswith("s2s-embed")]
    assert len(ours) == 1 and ours[0].startswith("s2s-embed>=")  # the package will depend on s2s-embed
    assert meta["s2s_embed"]["components"]["s2s_translator"] == {"src_lang": "en", "trg_lang": "fr"}


def test_to_bytes_and_from_bytes_without_the_model_folder(model_dir, tmp_path):
    shutil.copytree(model_dir, tmp_path / "model")
    nlp = pipeline(tmp_path / "model")
    before = [doc._.translation for doc in nlp.pipe(TEXTS)]
    data = nlp.to_bytes()
    shutil.rmtree(tmp_path / "model")
    restored = English.from_config(nlp.config, meta=nlp.meta)
    with pytest.raises(ModelFolderError, match="'s2s_translator' has no model yet"):
        restored(TEXTS[0])
    restored.from_bytes(data)
    assert [doc._.translation for doc in restored.pipe(TEXTS)] == before
    component = restored.get_pipe("s2s_translator")
    with pytest.raises(ModelFolderError, match="not an s2s-embed component"):
        component.from_bytes(b"not msgpack at all")


# --- bad config ----------------------------------------------------------------------------------------

def test_missing_model_folder_names_the_option_and_folder(tmp_path):
    with pytest.raises(ModelFolderError, match=r"components\.s2s_translator\.model = '.*nowhere': no such folder"):
        pipeline(tmp_path / "nowhere")


def test_model_must_be_given():
    with pytest.raises(ConfigError, match=r"components\.s2s_translator\.model is not set"):
        spacy.blank("en").add_pipe("s2s_translator")


def test_wrong_language_names_both_languages(model_dir):
    with pytest.raises(ConfigError, match="translates from 'en' but the pipeline's language is 'de'"):
        pipeline(model_dir, lang="de")


@pytest.mark.parametrize("option, value, message", [
    ("beam_size", 0, r"components\.s2s_translator\.beam_size = 0 must be at least 1"),
    ("batch_size", -2, r"components\.s2s_translator\.batch_size = -2 must be at least 1"),
    ("device", "gpu", r"components\.s2s_translator\.device = 'gpu' is not one of auto, cpu, cuda"),
])
def test_bad_options_name_the_option(model_dir, option, value, message):
    with pytest.raises(ConfigError, match=message):
        pipeline(model_dir, **{option: value})


def test_corrupt_weights_name_the_file(model_dir, tmp_path):
    shutil.copytree(model_dir, tmp_path / "model")
    weights = tmp_path / "model" / "model.pt"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ModelFolderError, match=r"components\.s2s_translator\.model = .*model\.pt is not a weights file or is corrupt"):
        pipeline(tmp_path / "model")


def test_corrupt_config_names_the_file(model_dir, tmp_path):
    shutil.copytree(model_dir, tmp_path / "model")
    (tmp_path / "model" / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelFolderError, match=r"config\.json is corrupt"):
        pipeline(tmp_path / "model")


def test_corrupt_model_in_a_saved_pipeline_names_the_pipeline_and_file(saved, tmp_path):
    folder, _ = saved
    shutil.copytree(folder, tmp_path / "pipeline")
    weights = tmp_path / "pipeline" / "s2s_translator" / "model.pt"
    weights.write_bytes(b"")
    with pytest.raises(ModelFolderError, match=r"pipeline component 's2s_translator' in .*pipeline: .*model\.pt"):
        spacy.load(tmp_path / "pipeline")
