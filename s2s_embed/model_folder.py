"""A trained model's folder: plain JSON and tensors only, never pickled objects.

    config.json      the resolved config, the format version and the library versions
    src_vocab.json   trg_vocab.json
    embeddings.json  per side: the plugin (name, package, version) and how to rebuild its layer
    coverage.json    per side: what the pretrained vectors covered
    model.pt         the best weights (a state dict, read with weights_only=True)
    last.pt          the last epoch's checkpoint, for --resume
    metrics.jsonl    one line per epoch
    summary.json     time, tokens/s, parameters, best epoch
"""
from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from s2s_embed import config as config_mod
from s2s_embed.config import Config
from s2s_embed.data.tokenize import Tokenizer
from s2s_embed.data.vocab import Vocab
from s2s_embed.errors import ConfigError, ModelFolderError, S2SError
from s2s_embed.model import Seq2Seq, build_model

FORMAT = "s2s-embed-model/1"
CONFIG, SRC_VOCAB, TRG_VOCAB, EMBEDDINGS = "config.json", "src_vocab.json", "trg_vocab.json", "embeddings.json"
COVERAGE, WEIGHTS, CHECKPOINT, METRICS, SUMMARY = "coverage.json", "model.pt", "last.pt", "metrics.jsonl", "summary.json"


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


def environment() -> dict[str, Any]:
    import numpy
    import sacrebleu
    import spacy

    from s2s_embed import __version__

    return {"s2s_embed": __version__, "python": sys.version.split()[0], "torch": torch.__version__,
            "numpy": numpy.__version__, "spacy": spacy.__version__, "sacrebleu": sacrebleu.__version__,
            "platform": platform.platform(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def write_json(path: Path, payload: Any) -> None:
    """Write JSON through a temporary file, so an interruption never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def save_tensors(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


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
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged file
        raise ModelFolderError(f"{path} is corrupt or not a weights file ({type(exc).__name__}: {exc}).") from None


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
    embeds = []
    for side, vocab, lang in (("source", src_vocab, cfg.data.src_lang), ("target", trg_vocab, cfg.data.trg_lang)):
        spec = getattr(cfg.embeddings, side)
        ctx = BuildContext(vocab=vocab, lang=lang, side=side, dim=spec.dim, seed=cfg.train.seed, lowercase=cfg.data.lowercase)
        try:
            embeds.append(restore_embedding(manifests[side]["manifest"], spec, ctx))
        except (KeyError, TypeError) as exc:
            raise ModelFolderError(f"{folder / EMBEDDINGS} has no usable entry for the {side} side ({exc}).") from None
    model = build_model(cfg.model, embeds[0], embeds[1], len(trg_vocab))
    state = read_tensors(folder / weights)
    state = state.get("model", state) if weights == CHECKPOINT else state
    try:
        model.load_state_dict(state)
    except (RuntimeError, S2SError) as exc:
        raise ModelFolderError(f"{folder / weights} does not fit the model that {folder / CONFIG} describes: "
                               f"{' '.join(str(exc).split())[:500]}") from None
    model.to(dev).eval()
    return LoadedModel(cfg, model, src_vocab, trg_vocab, Tokenizer(cfg.data.src_lang, cfg.data.lowercase),
                       Tokenizer(cfg.data.trg_lang, cfg.data.lowercase), dev, folder)
