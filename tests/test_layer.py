"""The layer every vector plugin ends up as: lookup, projection, freeze modes with an optimiser step, manifest."""
import copy
import json

import numpy as np
import pytest
import torch

from s2s_embed.data.vocab import PAD_ID
from s2s_embed.embeddings.layer import VectorEmbedding
from s2s_embed.errors import ConfigError, ModelFolderError
from tests.test_vectors import KEYS, VECS, VOCAB, Vectors, build, rows


def test_ids_map_to_vectors_and_padding_stays_zero_through_the_projection():
    layer = VectorEmbedding(7, 4, dim=6)
    out = layer(torch.tensor([[5, 6, PAD_ID], [4, PAD_ID, PAD_ID]]))  # (batch=2, time=3)
    assert out.shape == (2, 3, 6) and layer.embedding_dim == 6
    assert not out[0, 2].any() and not out[1, 1:].any()  # no bias: a padding row projects to zero
    assert out[0, 0].any() and torch.allclose(out[0, 0], layer.projection(layer.embedding.weight[5]))


def test_without_a_dim_the_layer_is_a_plain_lookup():
    layer = VectorEmbedding(5, 3)
    assert layer.projection is None and layer.embedding_dim == 3
    assert torch.equal(layer(torch.tensor([[4]]))[0, 0], layer.embedding.weight[4])


def test_the_state_dict_keys_are_what_saved_models_hold():
    assert set(VectorEmbedding(5, 3).state_dict()) == {"embedding.weight", "pretrained"}
    assert set(VectorEmbedding(5, 3, dim=4).state_dict()) == {"embedding.weight", "projection.weight", "pretrained"}


def test_freeze_pretrained_passes_no_gradient_to_pretrained_rows():
    layer = VectorEmbedding(5, 2, freeze="pretrained")
    layer.pretrained[2] = True
    layer(torch.tensor([[2, 3]])).sum().backward()
    grad = layer.embedding.weight.grad
    assert not grad[2].any() and grad[3].all()
    assert "freeze='pretrained'" in repr(layer)


# --- the layer: freeze modes with an optimiser step ------------------------------------------------------

def adam_steps(module, steps=3):
    params = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=0.1) if params else None
    ids = torch.arange(len(VOCAB)).unsqueeze(0)  # every row, padding included
    for _ in range(steps):
        loss = (module(ids) ** 2).sum() + module(ids).sum()
        if opt:
            opt.zero_grad()
            loss.backward()
            opt.step()


def test_freeze_pretrained_keeps_pretrained_rows_exact_and_trains_the_rest():
    module, _ = build(Vectors(KEYS, VECS), VOCAB, freeze="pretrained")
    before = rows(module).copy()
    adam_steps(module)
    after = rows(module)
    frozen = module.pretrained.numpy()
    assert frozen.sum() == 5
    assert np.array_equal(after[frozen], before[frozen])  # exactly: no gradient, no Adam state
    learns = ~frozen
    learns[PAD_ID] = False
    assert (after[learns] != before[learns]).any(axis=1).all()
    assert not after[PAD_ID].any()


def test_freeze_pretrained_survives_deepcopy():
    module, _ = build(Vectors(KEYS, VECS), VOCAB, freeze="pretrained")
    clone = copy.deepcopy(module)
    before = rows(clone).copy()
    adam_steps(clone)
    frozen = clone.pretrained.numpy()
    assert np.array_equal(rows(clone)[frozen], before[frozen])


def test_freeze_all_changes_nothing_in_the_table():
    module, _ = build(Vectors(KEYS, VECS), VOCAB, freeze="all", dim=6, project=True)
    before = rows(module).copy()
    proj_before = module.projection.weight.detach().clone()
    adam_steps(module)
    assert np.array_equal(rows(module), before) and not module.embedding.weight.requires_grad
    assert not torch.equal(module.projection.weight, proj_before)  # the projection still learns


def test_freeze_none_trains_pretrained_rows():
    module, _ = build(Vectors(KEYS, VECS), VOCAB, freeze="none")
    before = rows(module).copy()
    adam_steps(module)
    assert not np.array_equal(rows(module)[VOCAB.stoi["cat"]], before[VOCAB.stoi["cat"]])


def test_manifest_rebuilds_an_identical_module_without_the_vectors():
    module, _ = build(Vectors(KEYS, VECS), VOCAB, freeze="pretrained", dim=6, project=True)
    manifest = json.loads(json.dumps(module.manifest()))
    rebuilt = VectorEmbedding.from_manifest(manifest)
    rebuilt.load_state_dict(module.state_dict())
    ids = torch.tensor([[4, 5, 6, PAD_ID]])
    assert torch.equal(rebuilt(ids), module(ids)) and torch.equal(rebuilt.pretrained, module.pretrained)
    assert rebuilt.freeze == "pretrained" and rebuilt.embedding_dim == 6


def test_manifest_with_wrong_keys_is_a_model_folder_error():
    with pytest.raises(ModelFolderError, match="num_embeddings, source_dim, dim, freeze"):
        VectorEmbedding.from_manifest({"num_embeddings": 5, "source_dim": 4})


def test_unknown_freeze_mode_lists_the_modes():
    with pytest.raises(ConfigError, match="none, all, pretrained"):
        VectorEmbedding(5, 4, freeze="some")
