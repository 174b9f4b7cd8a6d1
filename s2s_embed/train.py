"""Training: Adam with gradient clipping, early stopping on validation loss, checkpoints, resume.

The same seed on the same machine gives the same loss curve: batches are
shuffled from (seed, epoch), and torch's generator (dropout, teacher forcing)
is seeded once and carried in the checkpoint, so a resumed run continues the
curve it would have drawn.
"""
from __future__ import annotations

import json
import logging
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from s2s_embed import config as config_mod
from s2s_embed import model_folder as mf
from s2s_embed.config import Config
from s2s_embed.data.batching import Batch, make_batches
from s2s_embed.data.dataset import Prepared, prepare
from s2s_embed.data.vocab import PAD_ID, Vocab
from s2s_embed.errors import ConfigError
from s2s_embed.lock import LOCK_NAME, folder_lock
from s2s_embed.model import Seq2Seq, build_model

log = logging.getLogger(__name__)
CHECKPOINT_FORMAT = "s2s-embed-checkpoint/1"
RESUMABLE = (*config_mod.LOCATIONS, "train.epochs")  # what --resume may change: where files lie, how long to train


@dataclass
class TrainResult:
    folder: Path
    best_epoch: int
    best_valid_loss: float
    epochs_run: int
    summary: dict


def train(cfg: Config, *, resume: bool = False, overwrite: bool = False, progress: bool = True,
          echo=print) -> TrainResult:
    """Train a model as `cfg` says and leave its folder at `cfg.train.out_dir`, locked against a second run."""
    folder = _out_dir(cfg.train.out_dir, overwrite)
    with folder_lock(folder, "train.out_dir", echo):
        return _train(cfg, folder, resume, overwrite, progress, echo)


def _train(cfg: Config, folder: Path, resume: bool, overwrite: bool, progress: bool, echo) -> TrainResult:
    _check_folder(folder, cfg, resume, overwrite)
    torch.manual_seed(cfg.train.seed)
    device = mf.resolve_device(cfg.train.device)
    data = prepare(cfg.data)
    embeds, manifests, coverage = build_embeddings(cfg, data, echo)
    model = build_model(cfg.model, embeds["source"], embeds["target"], len(data.trg_vocab)).to(device)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.train.lr)
    state = {"epoch": 0, "best_valid_loss": math.inf, "best_epoch": 0, "bad_epochs": 0, "train_seconds": 0.0}
    if resume and (folder / mf.CHECKPOINT).exists():
        _check_same_vocabularies(folder, data)
        state = _restore(folder, model, optimizer, device)
        _keep_metrics_until(folder / mf.METRICS, state["epoch"], echo)
        echo(f"Resuming {folder} after epoch {state['epoch']}.")
    else:
        mf.save_start(folder, cfg, data.src_vocab, data.trg_vocab, manifests, coverage)
        mf.write_bytes(folder / mf.METRICS, b"")
    n_params = sum(p.numel() for p in model.parameters())
    echo(f"{data.stats['train_pairs']} training pairs; vocabulary {cfg.data.src_lang} {len(data.src_vocab)} / "
         f"{cfg.data.trg_lang} {len(data.trg_vocab)} words; {n_params:,} parameters; device {device}.")
    valid_batches = make_batches(data.valid, cfg.train.batch_size, seed=None)
    tokens_per_s = 0.0
    for epoch in range(state["epoch"] + 1, cfg.train.epochs + 1):
        if cfg.train.patience and state["bad_epochs"] >= cfg.train.patience:
            break
        started = time.perf_counter()
        batches = make_batches(data.train, cfg.train.batch_size, seed=cfg.train.seed * 100_003 + epoch,
                               bucket=cfg.train.bucket, exact=cfg.train.bucket and cfg.train.exact_lengths)
        train_loss, n_tokens = train_epoch(model, optimizer, batches, cfg, device,
                                           desc=f"epoch {epoch}/{cfg.train.epochs}", progress=progress)
        seconds = time.perf_counter() - started
        _check_finite("training", train_loss, epoch, cfg, folder)
        valid_loss = evaluate_loss(model, valid_batches, device)
        _check_finite("validation", valid_loss, epoch, cfg, folder)
        tokens_per_s = n_tokens / seconds
        improved = valid_loss < state["best_valid_loss"]
        state.update(epoch=epoch, train_seconds=state["train_seconds"] + seconds,
                     bad_epochs=0 if improved else state["bad_epochs"] + 1)
        if improved:
            state.update(best_valid_loss=valid_loss, best_epoch=epoch)
            mf.save_weights(folder, model.state_dict())
        row = {"epoch": epoch, "train_loss": train_loss, "train_ppl": _ppl(train_loss), "valid_loss": valid_loss,
               "valid_ppl": _ppl(valid_loss), "seconds": round(seconds, 2), "tokens_per_s": round(tokens_per_s, 1),
               "best": improved}
        mf.append_text(folder / mf.METRICS, json.dumps(row) + "\n")
        _save_checkpoint(folder, model, optimizer, state)
        echo(f"epoch {epoch}: train loss {train_loss:.3f} (ppl {row['train_ppl']:.1f}), valid loss {valid_loss:.3f} "
             f"(ppl {row['valid_ppl']:.1f}), {tokens_per_s:,.0f} tok/s, {seconds:.0f}s{'  *best*' if improved else ''}"
             f"{_eta(state['train_seconds'] / epoch, cfg.train.epochs - epoch)}")
    summary = {"best_epoch": state["best_epoch"], "best_valid_loss": state["best_valid_loss"],
               "best_valid_ppl": _ppl(state["best_valid_loss"]), "epochs_run": state["epoch"],
               "train_seconds": round(state["train_seconds"], 2), "last_tokens_per_s": round(tokens_per_s, 1),
               "parameters": n_params, "data": data.stats, "device": str(device)}
    mf.write_json(folder / mf.SUMMARY, summary)
    return TrainResult(folder, state["best_epoch"], state["best_valid_loss"], state["epoch"], summary)


def build_embeddings(cfg: Config, data: Prepared, echo=print):
    """Both sides' embedding layers through the registry, with their manifests and coverage reports."""
    from s2s_embed.embeddings.registry import build_embedding
    from s2s_embed.embeddings.spec import BuildContext

    embeds, manifests, coverage = {}, {}, {}
    sides = (("source", data.src_vocab, cfg.data.src_lang, data.train_src_tokens),
             ("target", data.trg_vocab, cfg.data.trg_lang, data.train_trg_tokens))
    for side, vocab, lang, sentences in sides:
        spec = getattr(cfg.embeddings, side)
        ctx = BuildContext(vocab=vocab, lang=lang, side=side, dim=spec.dim, seed=cfg.train.seed,
                           lowercase=cfg.data.lowercase, train_sentences=sentences)
        built = build_embedding(spec, ctx)
        embeds[side] = built.module
        manifests[side] = {"plugin": built.plugin, "manifest": built.manifest}
        coverage[side] = built.coverage
        if built.coverage is not None:
            from s2s_embed.embeddings.vectors import format_coverage

            echo(f"{side} embedding coverage:\n{format_coverage(built.coverage)}")
    return embeds, manifests, coverage


def train_epoch(model: Seq2Seq, optimizer: torch.optim.Optimizer, batches: list[Batch], cfg: Config,
                device: torch.device, desc: str = "", progress: bool = True) -> tuple[float, int]:
    """One pass over `batches`; returns the mean loss per target token and the number of tokens."""
    model.train()
    total_loss, total_tokens, started = 0.0, 0, time.perf_counter()
    bar = tqdm(batches, desc=desc, disable=not progress, leave=False, unit="batch", dynamic_ncols=True)
    for batch in bar:
        batch = batch.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss, n = batch_loss(model, batch, cfg.train.teacher_forcing)
        (loss / n).backward()
        nn.utils.clip_grad_norm_(model.parameters(), cfg.train.clip)
        optimizer.step()
        total_loss += loss.item()
        total_tokens += n
        if not math.isfinite(total_loss):  # diverged: no later batch can bring the mean back
            break
        bar.set_postfix(loss=f"{total_loss / total_tokens:.3f}",
                        tok_s=f"{total_tokens / (time.perf_counter() - started):,.0f}", refresh=False)
    return total_loss / max(total_tokens, 1), total_tokens


def batch_loss(model: Seq2Seq, batch: Batch, teacher_forcing: float) -> tuple[torch.Tensor, int]:
    """Summed cross-entropy over the batch's real target tokens (the softmax of the dense layer)."""
    features = model(batch.src, batch.src_lens, batch.trg_in, teacher_forcing)  # (B, T, F)
    real = batch.trg_out != PAD_ID  # (B, T)
    logits = model.logits(features[real])  # (N, V): only real tokens go through the dense layer
    loss = nn.functional.cross_entropy(logits, batch.trg_out[real], reduction="sum")
    return loss, int(real.sum())


@torch.no_grad()
def evaluate_loss(model: Seq2Seq, batches: list[Batch], device: torch.device, teacher_forcing: float = 1.0) -> float:
    """Mean loss per target token; with teacher forcing 1.0 its exp is the perplexity.

    teacher_forcing=0.0 feeds the model's own predictions back, as the PyTorch
    seq2seq tutorials' evaluate function does (their "test perplexity").
    """
    model.eval()
    total, tokens = 0.0, 0
    for batch in batches:
        loss, n = batch_loss(model, batch.to(device), teacher_forcing)
        total += loss.item()
        tokens += n
    return total / max(tokens, 1)


def _eta(seconds_per_epoch: float, epochs_left: int) -> str:
    """What is left of the whole run at the mean epoch time so far (early stopping may end it sooner)."""
    if epochs_left <= 0:
        return ""
    minutes, seconds = divmod(round(seconds_per_epoch * epochs_left), 60)
    return f"; {epochs_left} epoch{'s' * (epochs_left > 1)} left, about {minutes}m {seconds:02d}s"


def _check_finite(what: str, loss: float, epoch: int, cfg: Config, folder: Path) -> None:
    """Stop a training whose loss turned inf or nan, naming the epoch and the likely cause."""
    if math.isfinite(loss):
        return
    raise ConfigError(f"Training diverged in epoch {epoch}: the {what} loss is {loss}. The likely cause is a learning "
                      f"rate too high for this model: train.lr = {cfg.train.lr:g}, try {cfg.train.lr / 10:g}. Also "
                      f"check train.clip = {cfg.train.clip:g} (smaller clips harder) and pretrained vectors of a "
                      f"large scale (rescale = \"init\" in the embedding table). "
                      + (f"{folder} keeps epochs 1 to {epoch - 1}; " if epoch > 1 else "")
                      + "start again with --overwrite.")


def _ppl(loss: float) -> float:
    return math.exp(min(loss, 50.0))


def _out_dir(out_dir: str, overwrite: bool) -> Path:
    """train.out_dir as a Path; with --overwrite, never a folder whose loss would take the user's files with it."""
    if not str(out_dir).strip():
        raise ConfigError("train.out_dir is empty. Set it to the folder the model should go to, e.g. "
                          "--set train.out_dir=runs/en-fr.")
    folder = Path(out_dir)
    if overwrite:
        home, cwd = Path.home().resolve(), Path.cwd().resolve()
        target = folder.resolve()
        if str(out_dir).strip() in ("~", ".", "/") or target in (home, Path(target.anchor), cwd, *cwd.parents):
            raise ConfigError(f"--overwrite would delete train.out_dir = {str(out_dir)!r} ({target}), which is the "
                              f"working directory, one of its parents, the home folder or the root. Set train.out_dir "
                              f"to the model's own folder, e.g. runs/en-fr.")
    return folder


def _check_folder(folder: Path, cfg: Config, resume: bool, overwrite: bool) -> None:
    held = [p for p in folder.iterdir() if p.name != LOCK_NAME] if folder.is_dir() else []
    if not held:
        return
    if resume:
        diff = config_mod.diff(mf.read_config(folder).to_dict(), cfg.to_dict(), RESUMABLE)
        if diff:
            raise ConfigError(f"--resume: {folder} was trained with another config ({diff}). "
                              f"Use the same config, or another train.out_dir.")
        return
    if overwrite:
        if not _made_by_us(folder):
            raise ConfigError(f"--overwrite: train.out_dir = {str(folder)!r} holds files but is not a model folder "
                              f"of s2s-embed (no {mf.CONFIG} of format {mf.FORMAT}), so nothing in it is deleted. "
                              f"Set train.out_dir to a new folder, or to one that `s2s-embed train` made.")
        for path in held:  # everything but the lock this run holds
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        return
    raise ConfigError(f"{folder} already holds files. Pass --resume to continue its training, --overwrite to "
                      f"start again, or set train.out_dir to another folder.")


def _check_same_vocabularies(folder: Path, data: Prepared) -> None:
    """The data a run resumes on gives the vocabularies it was trained with (its files may have moved)."""
    for name, vocab, side in ((mf.SRC_VOCAB, data.src_vocab, "source"), (mf.TRG_VOCAB, data.trg_vocab, "target")):
        if Vocab.load(folder / name) != vocab:
            raise ConfigError(f"--resume: the data gives another {side} vocabulary than {folder / name}, the one "
                              f"{folder} was trained with, so the data changed. Point the config at the data it "
                              f"was trained on, or train in another train.out_dir.")


def _made_by_us(folder: Path) -> bool:
    """The folder's config.json says s2s-embed wrote it."""
    try:
        return json.loads((folder / mf.CONFIG).read_text(encoding="utf-8")).get("format") == mf.FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def _keep_metrics_until(path: Path, epoch: int, echo) -> None:
    """Drop the lines of metrics.jsonl after the checkpoint's epoch: a run stopped between writing an epoch's
    line and its checkpoint trains that epoch again, and must not list it twice."""
    if not path.exists():
        return
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if line.endswith("\n") and _epoch_of(line) <= epoch]  # a cut-off line goes too
    if kept != lines:
        mf.write_bytes(path, "".join(kept).encode("utf-8"))
        echo(f"Dropped {len(lines) - len(kept)} line(s) of {path} after epoch {epoch}, the last checkpoint: "
             f"those epochs run again.")


def _epoch_of(line: str) -> float:
    try:
        row = json.loads(line)
    except ValueError:
        return math.inf
    return row["epoch"] if isinstance(row, dict) and isinstance(row.get("epoch"), int) else math.inf


def _save_checkpoint(folder: Path, model: Seq2Seq, optimizer: torch.optim.Optimizer, state: dict) -> None:
    mf.save_tensors(folder / mf.CHECKPOINT, {"format": CHECKPOINT_FORMAT, "model": model.state_dict(),
                                             "optimizer": optimizer.state_dict(), "rng": torch.get_rng_state(),
                                             "state": state})


def _restore(folder: Path, model: Seq2Seq, optimizer: torch.optim.Optimizer, device: torch.device) -> dict:
    ckpt = mf.read_tensors(folder / mf.CHECKPOINT, device)
    if ckpt.get("format") != CHECKPOINT_FORMAT:
        raise mf.ModelFolderError(f"{folder / mf.CHECKPOINT} is not an s2s-embed checkpoint ({CHECKPOINT_FORMAT}).")
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    torch.set_rng_state(ckpt["rng"].cpu())
    return dict(ckpt["state"])
