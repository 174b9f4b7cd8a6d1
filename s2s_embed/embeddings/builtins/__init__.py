"""The built-in embedding plugins, registered as entry points of s2s-embed like any third-party plugin.

Each plugin is one small module with a `factory(ctx, **options)`; heavy
dependencies are imported inside the factory. What several of them share is
here: picking one source among options, checking a path, finding a gensim-data
download, and caching vectors trained on a corpus.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from s2s_embed import atomic
from s2s_embed.errors import ConfigError, DataError, PluginError


def one_source(given: Mapping[str, Any]) -> str:
    """The one option of `given` (source option -> value, in the order to show) that is set; ConfigError otherwise."""
    chosen = [name for name, value in given.items() if value not in (None, False)]
    if len(chosen) != 1:
        got = f"got {', '.join(chosen)}" if chosen else "got none"
        raise ConfigError(f"give exactly one of the options {', '.join(given)} ({got}).")
    return chosen[0]


def existing_file(option: str, value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"{option} = {value!r}: no such file (relative paths start from {Path.cwd()}). Fix the path.")
    return path


def only_when(condition: str, given: Mapping[str, Any]) -> None:
    """Reject options that are set but mean nothing for the chosen source (a setting must not vanish)."""
    stray = [name for name, value in given.items() if value is not None]
    if stray:
        raise ConfigError(f"{', '.join(stray)} only appl{'y' if len(stray) > 1 else 'ies'} with {condition}; "
                          f"remove {'them' if len(stray) > 1 else 'it'}.")


def gensim_hint() -> str | None:
    """The install hint when gensim is missing, else None (without importing gensim)."""
    return None if importlib.util.find_spec("gensim") else "pip install gensim"


# ---------------------------------------------------------------- gensim-data


def gensim_data_dir() -> Path:
    """The folder gensim.downloader uses: $GENSIM_DATA_DIR, else ~/gensim-data.

    gensim reads this once, when `gensim.downloader` is imported; it is read
    again here on every call so that the environment at build time counts.
    """
    return Path(os.environ.get("GENSIM_DATA_DIR") or os.path.expanduser("~/gensim-data"))


def gensim_data_file(name: str) -> Path:
    """The file of an already downloaded gensim-data model, `<dir>/<name>/<name>.gz`; never downloads.

    Every gensim-data model is one gzipped word2vec file (binary for
    word2vec-google-news-300, text with a header for the others). Loading it
    directly skips gensim.downloader, which asks the network for the catalogue
    and runs the `__init__.py` that came with the download.
    """
    base = gensim_data_dir()
    path = base / name / f"{name}.gz"
    if not path.is_file():
        raise PluginError(
            f"gensim_name = '{name}' is not in the gensim-data folder {base} (expected {path}). s2s-embed never "
            f"downloads while building. Download it once with `python -m gensim.downloader --download {name}` "
            f"(it honours GENSIM_DATA_DIR), or copy {name}.gz into {base / name}/, or set GENSIM_DATA_DIR to the "
            f"folder that holds {name}/.")
    return path


def read_gensim_data(name: str, ctx):
    """The vocabulary's rows of an already downloaded gensim-data model."""
    from s2s_embed.embeddings.readers import is_binary_word2vec, read_text, read_word2vec_binary
    from s2s_embed.embeddings.vectors import cached_vectors

    path = gensim_data_file(name)
    if is_binary_word2vec(path):
        return cached_vectors(ctx, [path], {"reader": "word2vec", "format": "bin"},
                              lambda wanted: read_word2vec_binary(path, wanted=wanted))
    return cached_vectors(ctx, [path], {"reader": "word2vec", "format": "text"},
                          lambda wanted: read_text(path, header=True, wanted=wanted))


# ---------------------------------------------------------------- trained vectors, cached


def corpus_key(sentences: Iterable[Sequence[str]], settings: Mapping[str, Any]) -> str:
    """A content hash of a tokenised corpus and the settings that shape the vectors trained on it."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for sent in sentences:
        digest.update("\x1f".join(sent).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:20]


def cached(path: Path, make: Callable[[Path], None]) -> Path:
    """`path` if it exists, else `make(tmp)` then an atomic rename, so a killed run leaves no half file."""
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.replace_with(path, make, shared=True)
    return path


def training_settings(given: Mapping[str, int | None], defaults: Mapping[str, int]) -> dict[str, int]:
    """The given training options over their defaults, each checked: sg is 0 or 1, the others positive."""
    settings = {key: default if given.get(key) is None else given[key] for key, default in defaults.items()}
    for key, value in settings.items():
        if key == "sg" and value not in (0, 1):
            raise ConfigError(f"sg = {value!r} must be 0 (CBOW) or 1 (skip-gram).")
        if key != "sg" and value < 1:
            raise ConfigError(f"{key} = {value!r} must be a positive integer.")
    return settings


def training_sentences(ctx, corpus: str | None, option: str = "corpus") -> list[list[str]]:
    """The sentences to train on: `corpus` (a text file, one sentence a line, tokenised like the
    training side) or else the training side itself."""
    if corpus is None:
        sentences = [list(s) for s in ctx.train_sentences]
        if not sentences:
            raise ConfigError("train = true needs training sentences, and the training side given to the embedding "
                              "is empty. Give corpus = \"<text file>\" or check the corpus settings.")
        return sentences
    from s2s_embed.data.tokenize import Tokenizer

    path = existing_file(option, corpus)
    raw = path.read_bytes()
    try:
        lines = [line for line in raw.decode("utf-8").splitlines() if line.strip()]
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DataError(f"{path}, line {line}: not UTF-8 text ({exc.reason}). {option} must be a UTF-8 text file; "
                        f"convert it (e.g. with iconv).") from None
    if not lines:
        raise ConfigError(f"{option} = {corpus!r}: the file has no text to train on.")
    return Tokenizer(ctx.lang, ctx.lowercase).many(lines)
