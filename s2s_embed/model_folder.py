"""A trained model's folder: plain JSON and tensors only, never pickled objects.

    config.json      the resolved config, the format version and the library versions
    src_vocab.json   trg_vocab.json
    embeddings.json  per side: the plugin (name, package, version) and how to rebuild its layer
    coverage.json    per side: what the pretrained vectors covered
    model.pt         the best weights (a state dict, read with weights_only=True)
    last.pt          the last epoch's checkpoint, for --resume
    metrics.jsonl    one line per epoch
    summary.json     time, tokens/s, parameters, best epoch
    digests.json     SHA-256 of the best weights' tensors and of each vocabulary, checked at load

Loading reads data only: the weights with `weights_only=True`, and a plugin is
called again only to rebuild a layer that plugin made itself (own-layer
plugins); vector plugins' tables come back from the weights, so no file named
in a model folder is ever read through a plugin.
"""
from __future__ import annotations

import errno
import hashlib
import io
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from s2s_embed import config as config_mod
from s2s_embed import atomic
from s2s_embed.config import Config
from s2s_embed.data.tokenize import Tokenizer
from s2s_embed.data.vocab import Vocab
from s2s_embed.errors import ConfigError, ModelFolderError, S2SError
from s2s_embed.model import Seq2Seq, build_model
from s2s_embed.model_files import (CHECKPOINT, CONFIG, COVERAGE, DIGESTS, EMBEDDINGS, METRICS,  # noqa: F401
                                   SRC_VOCAB, SUMMARY, TRG_VOCAB, WEIGHTS)
from s2s_embed.provenance import environment

FORMAT = "s2s-embed-model/1"
DIGESTS_FORMAT = "s2s-embed-digests/1"


@dataclass
class LoadedModel:
    cfg: Config
    model: Seq2Seq
    src_vocab: Vocab
    trg_vocab: Vocab
    src_tok: Tokenizer
    trg_tok: Tokenizer
    device: torch.device
    folder: Path


def write_json(path: Path, payload: Any) -> None:
    """Write JSON through a temporary file, so an interruption never leaves half a file."""
    write_bytes(path, (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def save_tensors(path: Path, payload: dict[str, Any]) -> None:
    """Save tensors (a state dict, a checkpoint) through a temporary file, as `write_bytes` does."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)  # in memory: a full disk then fails as an OSError, not as torch's "unexpected pos"
    write_bytes(path, buffer.getvalue())


def write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (atomic.write_bytes).

    On any failure `path` keeps its last good content; a full disk or a
    read-only folder is a ModelFolderError that names the folder.
    """
    try:
        atomic.write_bytes(path, data)
    except OSError as exc:
        raise write_error(path, exc) from None


def append_text(path: Path, text: str) -> None:
    """Append `text` to `path` (e.g. a line of metrics.jsonl); a failure is a ModelFolderError as in write_bytes."""
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise write_error(path, exc) from None


def write_error(path: Path, exc: OSError) -> ModelFolderError:
    """The error for a file that could not be written: what happened, in which folder, and what is kept."""
    kept = f" {path.name} keeps its last good version." if path.exists() else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ModelFolderError(f"No space left on device: cannot write {path.name} in {path.parent}.{kept} Free some "
                                f"space and run again (a training continues from its last checkpoint with --resume).")
    return ModelFolderError(f"Cannot write {path}: {exc.strerror or exc}.{kept} Choose a folder you may write to, "
                            f"on a disk with free space.")


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFolderError(f"{path} is missing: {path.parent} is not a complete s2s-embed model folder.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFolderError(f"{path} is corrupt (not valid JSON: {exc}).") from None


def read_tensors(path: Path, device: torch.device | str = "cpu") -> dict[str, Any]:
    if not path.exists():
        raise ModelFolderError(f"{path} is missing: {path.parent} is not a complete s2s-embed model folder.")
    return load_plain_torch(path, device, ModelFolderError, "weights file")


def load_plain_torch(path: Path, device: torch.device | str, error: type[S2SError], what: str) -> Any:
    """`torch.load(path, weights_only=True)`: tensors, lists, dicts and numbers, never other Python objects.

    A file that holds other Python objects (a pickled class or function) is
    refused as such; torch's own advice to retry with weights_only=False is
    not passed on, since that would run whatever the file holds.
    """
    import pickle

    try:
        return torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as exc:
        text = str(exc)
        named = re.search(r"GLOBAL ([\w.]+)", text)
        found = f"it names {named.group(1)}" if named else "it is a pickle, not a torch zip file" if _is_pickle(path) else ""
        if "weights only load failed" in text.lower() and found:
            raise error(f"{path} holds Python objects, not only tensors, and will not be loaded: unpickling them "
                        f"could run any code they carry, and s2s-embed never does ({found}).") from None
        raise error(f"{path} is not a {what} or is corrupt (UnpicklingError: {text.splitlines()[0][:200]}).") from None
    except Exception as exc:  # torch raises many types for a damaged file
        raise error(f"{path} is not a {what} or is corrupt ({type(exc).__name__}: {str(exc)[:300]}).") from None


def _is_pickle(path: Path) -> bool:
    """A plain pickle that imports something (GLOBAL, STACK_GLOBAL), read with pickletools: nothing is run."""
    import pickletools

    try:
        with open(path, "rb") as f:
            return any(op.name in ("GLOBAL", "STACK_GLOBAL", "INST") for op, _, _ in pickletools.genops(f))
    except Exception:  # not a well-formed pickle
        return False


# --- digests: the weights and vocabularies a model folder was saved with


def tensors_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and values: the same weights give the same digest,
    whichever file or device they were saved from."""
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name]
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def vocab_digest(vocab: Vocab) -> str:
    """SHA-256 of the token list in id order."""
    return hashlib.sha256(json.dumps(vocab.itos, ensure_ascii=False).encode("utf-8")).hexdigest()


def save_weights(folder: Path, state: dict[str, torch.Tensor]) -> None:
    """Save the best weights, then the digests that tie them to the folder's vocabularies."""
    save_tensors(folder / WEIGHTS, state)
    write_digests(folder, state, Vocab.load(folder / SRC_VOCAB), Vocab.load(folder / TRG_VOCAB))


def write_digests(folder: Path, state: dict[str, torch.Tensor], src_vocab: Vocab, trg_vocab: Vocab) -> None:
    write_json(folder / DIGESTS, {"format": DIGESTS_FORMAT, "weights": tensors_digest(state),
                                  "src_vocab": vocab_digest(src_vocab), "trg_vocab": vocab_digest(trg_vocab)})


def check_digests(folder: Path, state: dict[str, torch.Tensor] | None, src_vocab: Vocab, trg_vocab: Vocab) -> None:
    """Refuse weights or vocabularies other than those the folder was saved with (state None: vocabularies only)."""
    path = folder / DIGESTS
    if not path.is_file():
        warnings.warn(f"{folder} has no {DIGESTS} (saved by an older s2s-embed): its weights and vocabularies "
                      f"cannot be checked against each other.", stacklevel=3)
        return
    saved = read_json(path)
    if not isinstance(saved, dict) or saved.get("format") != DIGESTS_FORMAT:
        raise ModelFolderError(f"{path} is not an s2s-embed digest file of format {DIGESTS_FORMAT}.")
    found = {"src_vocab": (vocab_digest(src_vocab), SRC_VOCAB), "trg_vocab": (vocab_digest(trg_vocab), TRG_VOCAB)}
    if state is not None:
        found["weights"] = (tensors_digest(state), WEIGHTS)
    for key, (digest, name) in found.items():
        if saved.get(key) != digest:
            raise ModelFolderError(f"{folder / name} is not the file this model was saved with: its SHA-256 differs "
                                   f"from the one in {path}. A vocabulary in another order, or other weights, would "
                                   f"translate wrongly; restore the original files or train the model again.")


def save_start(folder: Path, cfg: Config, src_vocab: Vocab, trg_vocab: Vocab, embeddings: dict, coverage: dict) -> None:
    """Everything but the weights, written before training starts."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / CONFIG, {"format": FORMAT, "config": cfg.to_dict(), "environment": environment()})
    src_vocab.save(folder / SRC_VOCAB)
    trg_vocab.save(folder / TRG_VOCAB)
    write_json(folder / EMBEDDINGS, embeddings)
    write_json(folder / COVERAGE, coverage)


def read_config(folder: Path) -> Config:
    payload = read_json(folder / CONFIG)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFolderError(f"{folder / CONFIG} is not an s2s-embed model config of format {FORMAT} "
                               f"(found {payload.get('format') if isinstance(payload, dict) else type(payload).__name__}).")
    try:
        return config_mod.from_dict(payload["config"], str(folder / CONFIG))
    except (ConfigError, KeyError) as exc:
        raise ModelFolderError(f"{folder / CONFIG} holds a config this version cannot read: {exc}") from None


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device = 'cuda' but no CUDA device is available here. Use device = 'auto' or 'cpu'.")
    return torch.device(name)


def load_model(folder: str | Path, device: str = "auto", weights: str = WEIGHTS) -> LoadedModel:
    """Rebuild a trained model from its folder, in eval mode."""
    from s2s_embed.embeddings.registry import restore_embedding
    from s2s_embed.embeddings.spec import BuildContext

    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFolderError(f"Model folder {folder} does not exist. Train one with `s2s-embed train CONFIG`.")
    cfg = read_config(folder)
    src_vocab, trg_vocab = Vocab.load(folder / SRC_VOCAB), Vocab.load(folder / TRG_VOCAB)
    manifests = read_json(folder / EMBEDDINGS)
    dev = resolve_device(device)
    state = read_tensors(folder / weights)  # data only; read first, so the manifests can be checked against it
    state = state.get("model", state) if weights == CHECKPOINT and isinstance(state, dict) else state
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFolderError(f"{folder / weights} is not a state dict of tensors.")
    check_digests(folder, state if weights == WEIGHTS else None, src_vocab, trg_vocab)
    embeds = []
    for side, vocab, lang, prefix in (("source", src_vocab, cfg.data.src_lang, "encoder.embed."),
                                      ("target", trg_vocab, cfg.data.trg_lang, "decoder.embed.")):
        spec = getattr(cfg.embeddings, side)
        ctx = BuildContext(vocab=vocab, lang=lang, side=side, dim=spec.dim, seed=cfg.train.seed, lowercase=cfg.data.lowercase)
        try:
            manifest = manifests[side]["manifest"]
        except (KeyError, TypeError) as exc:
            raise ModelFolderError(f"{folder / EMBEDDINGS} has no usable entry for the {side} side ({exc}).") from None
        saved = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        embeds.append(restore_embedding(manifest, spec, ctx, saved=saved, where=str(folder / EMBEDDINGS)))
    model = build_model(cfg.model, embeds[0], embeds[1], len(trg_vocab))
    try:
        model.load_state_dict(state)
    except (RuntimeError, S2SError) as exc:
        raise ModelFolderError(f"{folder / weights} does not fit the model that {folder / CONFIG} describes: "
                               f"{' '.join(str(exc).split())[:500]}") from None
    model.to(dev).eval()
    return LoadedModel(cfg, model, src_vocab, trg_vocab, Tokenizer(cfg.data.src_lang, cfg.data.lowercase),
                       Tokenizer(cfg.data.trg_lang, cfg.data.lowercase), dev, folder)
