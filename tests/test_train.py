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


def test_resume_follows_moved_data_and_refuses_changed_data(tiny_task, tmp_path):
    import shutil

    quiet = lambda *a: None  # noqa: E731
    train(_cfg(tiny_task, tmp_path / "m", "train.epochs=1"), progress=False, echo=quiet)
    (tmp_path / "moved").mkdir()
    moved = {**tiny_task, "train": tuple(shutil.copy(p, tmp_path / "moved") for p in tiny_task["train"])}
    assert train(_cfg(moved, tmp_path / "m", "train.epochs=2"), resume=True, progress=False, echo=quiet).epochs_run == 2
    src = tmp_path / "moved" / "train.en"
    src.write_text(src.read_text(encoding="utf-8").replace("\n", " zebra\n"), encoding="utf-8")
    with pytest.raises(ConfigError, match="another source vocabulary"):
        train(_cfg(moved, tmp_path / "m", "train.epochs=3"), resume=True, progress=False, echo=quiet)


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
    with pytest.raises(ModelFolderError, match="model.pt is not a weights file or is corrupt"):
        load_model(folder, "cpu")
    state = torch.load(folder / "last.pt", weights_only=True)["model"]
    state["decoder.generator.weight"] = torch.zeros(3, 3)
    torch.save(state, folder / "model.pt")
    with pytest.raises(ModelFolderError, match="model.pt is not the file this model was saved with"):
        load_model(folder, "cpu")
    (folder / "digests.json").unlink()  # a folder from before digests: the shapes still catch it
    with pytest.warns(UserWarning, match="no digests.json"), pytest.raises(ModelFolderError, match="model.pt does not fit"):
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


# ---------------------------------------------------------------- the user's files, the lock, resume, a full disk


def test_overwrite_refuses_a_folder_that_s2s_embed_did_not_make(tiny_task, tmp_path):
    thesis = tmp_path / "thesis"
    (thesis / "chapters").mkdir(parents=True)
    (thesis / "chapters" / "ch1.tex").write_text("\\chapter{One}")
    with pytest.raises(ConfigError, match=r"--overwrite: train.out_dir = .*thesis.* not a model folder of s2s-embed"):
        train(_cfg(tiny_task, thesis), overwrite=True, progress=False, echo=lambda *a: None)
    assert (thesis / "chapters" / "ch1.tex").read_text() == "\\chapter{One}"
    assert sorted(p.name for p in thesis.iterdir()) == ["chapters"]  # no lock file left either


@pytest.mark.parametrize("out_dir", ["", ".", "..", "~"])
def test_overwrite_refuses_the_working_directory_its_parents_and_home(tiny_task, tmp_path, monkeypatch, out_dir):
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    with pytest.raises(ConfigError, match="train.out_dir"):
        train(_cfg(tiny_task, out_dir), overwrite=True, progress=False, echo=lambda *a: None)
    assert (work / "notes.txt").read_text() == "mine"


def test_overwrite_starts_a_model_folder_again(tiny_task, tmp_path):
    folder = tmp_path / "m"
    train(_cfg(tiny_task, folder, "train.epochs=1"), progress=False, echo=lambda *a: None)
    (folder / "hyps.test.txt").write_text("old")
    result = train(_cfg(tiny_task, folder, "train.epochs=1"), overwrite=True, progress=False, echo=lambda *a: None)
    assert result.epochs_run == 1 and not (folder / "hyps.test.txt").exists()


def test_a_second_training_on_a_locked_out_dir_is_refused_at_once(tiny_task, tmp_path):
    import os

    from s2s_embed.lock import FolderLockedError, folder_lock

    with folder_lock(tmp_path / "m", "train.out_dir"):  # as another `s2s-embed train` would hold it
        with pytest.raises(FolderLockedError, match=rf"train.out_dir = .*m.* in use .*pid {os.getpid()}"):
            train(_cfg(tiny_task, tmp_path / "m"), progress=False, echo=lambda *a: None)


def test_resume_after_a_stop_between_metrics_and_checkpoint_lists_each_epoch_once(tiny_task, tmp_path, monkeypatch):
    import importlib

    training = importlib.import_module("s2s_embed.train")  # the module; `s2s_embed.train` may be the function
    real = training._save_checkpoint

    def stop_before_epoch_two_is_saved(folder, model, optimizer, state):
        if state["epoch"] == 2:
            raise KeyboardInterrupt  # metrics.jsonl has epoch 2, last.pt still holds epoch 1
        real(folder, model, optimizer, state)

    monkeypatch.setattr(training, "_save_checkpoint", stop_before_epoch_two_is_saved)
    with pytest.raises(KeyboardInterrupt):
        train(_cfg(tiny_task, tmp_path / "cut"), progress=False, echo=lambda *a: None)
    monkeypatch.setattr(training, "_save_checkpoint", real)
    said = []
    train(_cfg(tiny_task, tmp_path / "cut"), resume=True, progress=False, echo=said.append)
    rows = [json.loads(line) for line in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert any("Dropped 1 line(s)" in line and "after epoch 1" in line for line in said)


def test_a_full_disk_names_the_folder_removes_the_temporary_file_and_keeps_the_last_checkpoint(tiny_task, tmp_path,
                                                                                               monkeypatch):
    import errno

    from s2s_embed import atomic

    real, checkpoints = atomic._write_file, []

    def full_at_the_second_checkpoint(path, data):
        if path.name == "last.pt.tmp":
            checkpoints.append(path)
            if len(checkpoints) == 2:
                path.write_bytes(data[:100])  # part of it got out before the disk filled
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(atomic, "_write_file", full_at_the_second_checkpoint)
    folder = tmp_path / "m"
    with pytest.raises(ModelFolderError, match=rf"No space left on device: cannot write last.pt in {folder}\. "
                                               rf"last.pt keeps its last good version"):
        train(_cfg(tiny_task, folder), progress=False, echo=lambda *a: None)
    assert not (folder / "last.pt.tmp").exists()
    assert torch.load(folder / "last.pt", weights_only=True)["state"]["epoch"] == 1


def test_loss_that_turns_nan_stops_naming_the_epoch_and_the_cause(tiny_task, tmp_path):
    import dataclasses
    import math

    cfg = _cfg(tiny_task, tmp_path / "m", "train.epochs=2")
    cfg = cfg.replace(train=dataclasses.replace(cfg.train, lr=math.inf))  # past config checks, as a caller could
    with pytest.raises(ConfigError, match=r"diverged in epoch 1: the training loss is nan.*train\.lr"):
        train(cfg, progress=False, echo=lambda *a: None)
    assert not (tmp_path / "m" / "model.pt").exists()


@pytest.mark.parametrize("bad", ["seed", "folder"])
def test_bad_seed_or_config_folder_is_a_clean_error_and_makes_no_out_dir(tiny_task, tmp_path, capsys, bad):
    from s2s_embed.cli import main

    out = tmp_path / "m"
    args = ["train", str(tmp_path), *sum((["--set", o] for o in tiny_overrides(tiny_task, out)), [])]
    if bad == "seed":
        args = ["train", *args[2:], "--set", "train.seed=-1"]
    assert main(args) == 2
    assert ("train.seed = -1" if bad == "seed" else "is a folder, not a TOML file") in capsys.readouterr().err
    assert not out.exists()


def test_each_epoch_line_says_which_side_is_which_and_what_is_left_of_the_run(tiny_task, tmp_path):
    lines = []
    train(_cfg(tiny_task, tmp_path / "eta", "train.epochs=2", "train.patience=0"), progress=False, echo=lines.append)
    assert any("vocabulary en " in line and " / fr " in line for line in lines)
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert "1 epoch left, about " in epochs[0] and "left" not in epochs[1]
