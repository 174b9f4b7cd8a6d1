"""A model folder is data: loading one never runs code it carries, and files that do not belong together are refused."""
import json
import pickle
import shutil

import pytest
import spacy
import srsly
import torch

from s2s_embed.cli import main
from s2s_embed.errors import ConfigError, DataError, ModelFolderError
from s2s_embed.model_folder import load_model


class Payload:
    """Unpickling this creates `marker`: the proof that a file ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def model(tiny_model, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    return folder


def _poison(folder, *, config_too):
    """Point the source manifest (and, if asked, the config) at a pickled vectors.kv in the folder."""
    marker = folder.parent / "PWNED"
    with open(folder / "vectors.kv", "wb") as f:
        pickle.dump(Payload(marker), f)
    options = {"path": str(folder / "vectors.kv"), "format": "kv", "trust_pickle": True}
    manifests = json.loads((folder / "embeddings.json").read_text())
    manifests["source"]["manifest"] = {"kind": "plugin", "name": "word2vec", "options": options,
                                       "package": "s2s-embed", "version": "0.1.0"}
    (folder / "embeddings.json").write_text(json.dumps(manifests))
    if config_too:
        saved = json.loads((folder / "config.json").read_text())
        saved["config"]["embeddings"]["source"] = {"name": "word2vec", "dim": 32, **options}
        (folder / "config.json").write_text(json.dumps(saved))
    return marker


@pytest.mark.parametrize("config_too", [False, True])
def test_a_manifest_that_points_a_vector_plugin_at_a_pickle_runs_nothing(model, config_too):
    marker = _poison(model, config_too=config_too)
    with pytest.raises(ModelFolderError, match="embeddings.json") as caught:
        load_model(model, "cpu")
    assert not marker.exists()
    message = str(caught.value)
    assert ("does not match the config" in message) if not config_too else ("never makes s2s-embed read files" in message)


def test_the_cli_and_spacy_refuse_a_poisoned_folder(model, capsys, tmp_path):
    marker = _poison(model, config_too=True)
    (tmp_path / "in.txt").write_text("one two\n")
    assert main(["translate", str(model), "--device", "cpu", "--input", str(tmp_path / "in.txt")]) != 0
    assert "never makes s2s-embed read files" in capsys.readouterr().err
    nlp = spacy.blank("en")
    with pytest.raises(ModelFolderError, match="never makes s2s-embed read files"):
        nlp.add_pipe("s2s_translator", config={"model": str(model), "device": "cpu"})
    assert not marker.exists()


def test_from_bytes_with_a_poisoned_manifest_runs_nothing(tiny_model, tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("s2s_translator", config={"model": str(tiny_model), "device": "cpu"})
    payload = srsly.msgpack_loads(nlp.to_bytes(exclude=["tokenizer", "vocab"]))
    component = srsly.msgpack_loads(payload["s2s_translator"]) if "s2s_translator" in payload else None
    if component is None:
        pytest.skip("the pipeline's bytes do not hold the component under its name")
    marker = tmp_path / "PWNED"
    with open(tmp_path / "vectors.kv", "wb") as f:
        pickle.dump(Payload(marker), f)
    manifests = json.loads(component["files"]["embeddings.json"])
    manifests["source"]["manifest"] = {"kind": "plugin", "name": "word2vec", "package": "s2s-embed",
                                       "options": {"path": str(tmp_path / "vectors.kv"), "trust_pickle": True}}
    component["files"]["embeddings.json"] = json.dumps(manifests).encode()
    with pytest.raises(ModelFolderError):
        nlp.get_pipe("s2s_translator").from_bytes(srsly.msgpack_dumps(component))
    assert not marker.exists()


def test_a_vocabulary_in_another_order_is_refused(model):
    vocab = json.loads((model / "trg_vocab.json").read_text())
    itos = vocab["itos"]
    itos[4], itos[5] = itos[5], itos[4]  # same size, two words swapped
    (model / "trg_vocab.json").write_text(json.dumps(vocab))
    with pytest.raises(ModelFolderError, match="trg_vocab.json is not the file this model was saved with"):
        load_model(model, "cpu")


def test_other_weights_of_the_same_shape_are_refused(model):
    state = torch.load(model / "model.pt", weights_only=True)
    state = {k: v + 0.01 if v.is_floating_point() else v for k, v in state.items()}
    torch.save(state, model / "model.pt")
    with pytest.raises(ModelFolderError, match="model.pt is not the file this model was saved with"):
        load_model(model, "cpu")


def test_a_vectors_manifest_that_does_not_fit_the_weights_is_refused(model):
    manifests = json.loads((model / "embeddings.json").read_text())
    manifests["source"]["manifest"] = {"kind": "vectors", "layer": {"num_embeddings": 999, "source_dim": 32,
                                                                    "dim": 32, "freeze": "none"}}
    (model / "embeddings.json").write_text(json.dumps(manifests))
    with pytest.raises(ModelFolderError, match="999 rows but the source vocabulary has"):
        load_model(model, "cpu")


def test_a_pickled_model_pt_is_named_as_such_without_torchs_unsafe_advice(model):
    marker = model.parent / "PWNED"
    torch.save({"x": Payload(marker)}, model / "model.pt")
    with pytest.raises(ModelFolderError, match="model.pt holds Python objects") as caught:
        load_model(model, "cpu")
    assert "weights_only" not in str(caught.value) and not marker.exists()


def test_a_gensim_kv_file_needs_trust_pickle(tmp_path):
    from s2s_embed.data.vocab import SPECIALS, Vocab
    from s2s_embed.embeddings.registry import build_embedding
    from s2s_embed.embeddings.spec import BuildContext, EmbeddingSpec

    marker = tmp_path / "PWNED"
    with open(tmp_path / "vectors.kv", "wb") as f:
        pickle.dump(Payload(marker), f)
    ctx = BuildContext(vocab=Vocab([*SPECIALS, "a"], {"a": 1}), lang="en", side="source", cache_dir=tmp_path / "c")
    for table in ({"name": "word2vec", "path": str(tmp_path / "vectors.kv")},
                  {"name": "word2vec", "path": str(tmp_path / "vectors.kv"), "format": "kv"}):
        with pytest.raises(ConfigError, match="trust_pickle = true"):
            build_embedding(EmbeddingSpec.from_table(table, "embeddings.source"), ctx)
    assert not marker.exists()
    from s2s_embed.embeddings.readers import read_gensim_kv

    with pytest.raises(DataError, match="trust_pickle"):
        read_gensim_kv(tmp_path / "vectors.kv")
    assert not marker.exists()
