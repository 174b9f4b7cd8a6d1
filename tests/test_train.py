"""Training: seeded loss curves, resume, early stopping, and model folders that fail loudly."""
import json

import pytest
import torch

from conftest import tiny_overrides
from s2s_embed import config
from s2s_embed.errors import ConfigError, DataError, ModelFolderError
from s2s_embed.model_folder import load_model
from s2s_embed.train import train


def _cfg(task, out, *extra):
    return config.load(None, tiny_overrides(task, out, "data.train_size=600", "train.epochs=3", *extra))


def _curve(folder):
    return [v for r in map(json.loads, (folder / "metrics.jsonl").read_text().splitlines()) for v in (r["train_loss"], r["valid_loss"])]


def test_same_seed_same_curve_and_other_seed_differs(tiny_task, tmp_path):
    quiet = lambda *a: None  # noqa: E731
    train(_cfg(tiny_task, tmp_path / "a", "model.dropout=0.3"), progress=False, echo=quiet)
    train(_cfg(tiny_task, tmp_path / "b", "model.dropout=0.3"), progress=False, echo=quiet)
    train(_cfg(tiny_task, tmp_path / "c", "model.dropout=0.3", "train.seed=7"), progress=False, echo=quiet)
    assert _curve(tmp_path / "a") == _curve(tmp_path / "b")
    assert _curve(tmp_path / "a") != _curve(tmp_path / "c")


def test_resume_continues_the_same_curve(tiny_task, tmp_path):
    quiet = lambda *a: None  # noqa: E731
    train(_cfg(tiny_task, tmp_path / "full", "model.dropout=0.3"), progress=False, echo=quiet)
    # an interrupted run: only two epochs were done
    train(_cfg(tiny_task, tmp_path / "cut", "model.dropout=0.3", "train.epochs=2"), progress=False, echo=quiet)
    with pytest.raises(ConfigError, match="--resume"):
        train(_cfg(tiny_task, tmp_path / "cut", "model.dropout=0.3"), progress=False, echo=quiet)
    train(_cfg(tiny_task, tmp_path / "cut", "model.dropout=0.3"), resume=True, progress=False, echo=quiet)
    assert _curve(tmp_path / "cut") == pytest.approx(_curve(tmp_path / "full"), abs=1e-6)


def test_resume_refuses_another_config(tiny_task, tmp_path):
    train(_cfg(tiny_task, tmp_path / "m", "train.epochs=1"), progress=False, echo=lambda *a: None)
    with pytest.raises(ConfigError, match="model.hidden_size"):
        train(_cfg(tiny_task, tmp_path / "m", "model.hidden_size=48"), resume=True, progress=False)


def test_early_stopping_stops_after_patience(tiny_task, tmp_path):
    # a learning rate of ~0 cannot improve the validation loss after the first epoch
    result = train(_cfg(tiny_task, tmp_path / "m", "train.lr=1e-12", "train.epochs=10", "train.patience=2"),
                   progress=False, echo=lambda *a: None)
    assert result.epochs_run < 10


def test_model_folder_errors_name_the_file(tiny_task, tmp_path):
    folder = tmp_path / "m"
    train(_cfg(tiny_task, folder, "train.epochs=1"), progress=False, echo=lambda *a: None)
    assert load_model(folder, "cpu").model is not None
    (folder / "model.pt").write_bytes(b"not a weights file")
    with pytest.raises(ModelFolderError, match="model.pt.*corrupt"):
        load_model(folder, "cpu")
    state = torch.load(folder / "last.pt", weights_only=True)["model"]
    state["decoder.generator.weight"] = torch.zeros(3, 3)
    torch.save(state, folder / "model.pt")
    with pytest.raises(ModelFolderError, match="model.pt does not fit"):
        load_model(folder, "cpu")
    (folder / "trg_vocab.json").unlink()
    with pytest.raises(ModelFolderError, match="trg_vocab.json"):
        load_model(folder, "cpu")
    (folder / "config.json").write_text("{}")
    with pytest.raises(ModelFolderError, match="config.json"):
        load_model(folder, "cpu")


def test_empty_corpus_after_filtering_is_an_error(tiny_task, tmp_path):
    with pytest.raises(DataError, match="max_len = 1"):
        train(_cfg(tiny_task, tmp_path / "m", "data.max_len=1"), progress=False)


def test_misaligned_training_files_name_both(tiny_task, tmp_path):
    src = tmp_path / "a.en"
    src.write_text("one\ntwo\n")
    trg = tmp_path / "a.fr"
    trg.write_text("un\n")
    cfg = config.load(None, tiny_overrides(tiny_task, tmp_path / "m", f"data.train_src='{src}'", f"data.train_trg='{trg}'"))
    with pytest.raises(DataError, match=r"a\.en.*2.*a\.fr.*1|a\.fr.*1.*a\.en.*2"):
        train(cfg, progress=False)
