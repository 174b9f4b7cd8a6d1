"""The `spacy` plugin: the word vectors of an installed spaCy pipeline, read without loading its components."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

from s2s_embed.embeddings.spec import BuildContext
from s2s_embed.errors import ConfigError, PluginError


def factory(ctx: BuildContext, model: str):
    """The vectors of a spaCy pipeline: an installed package name (e.g. fr_core_news_md) or a pipeline folder.

    Only `<pipeline>/vocab` (vectors + key2row) is read, about a second for a
    `_md` model, and only the vocabulary's words are kept. Keys are looked up
    by their hash, so the pipeline's string store is never loaded.
    """
    from s2s_embed.embeddings.vectors import cached_vectors

    folder = _pipeline_folder(model)
    meta = _meta(folder)
    if meta.get("lang") and meta["lang"] != ctx.lang:
        warnings.warn(f"model = '{model}' is a '{meta['lang']}' pipeline, but the {ctx.side} side is '{ctx.lang}'. "
                      f"Most words will have no vector; use a {ctx.lang}_* pipeline.", stacklevel=2)
    source = f"spaCy {meta.get('lang', '')}_{meta['name']} {meta.get('version', '')}" if "name" in meta else f"spaCy {folder}"
    files = sorted(p for p in (folder / "vocab").iterdir() if p.name in ("vectors", "key2row", "vectors.cfg"))
    return cached_vectors(ctx, files, {"reader": "spacy"}, lambda wanted: _read(folder, wanted, source))


def _read(folder: Path, wanted: set[str], source: str):
    from spacy.strings import hash_string
    from spacy.vectors import Vectors as SpacyVectors

    from s2s_embed.embeddings.vectors import Vectors

    table = SpacyVectors().from_disk(folder / "vocab")
    if table.mode == "floret":  # every word gets a vector from its character n-grams
        keys = sorted(wanted)
        return Vectors(keys, table.get_batch(keys), source=f"{source} (floret)")
    keys, rows = [], []
    for word in sorted(wanted):
        row = table.key2row.get(hash_string(word))
        if row is not None:
            keys.append(word)
            rows.append(row)
    return Vectors(keys, table.data[rows] if rows else table.data[:0], source=source, source_size=table.shape[0])


def _pipeline_folder(model: str) -> Path:
    """The folder that holds `vocab/` for a package name or a path (a pipeline folder or a package's root)."""
    import spacy.util

    path = Path(model).expanduser()
    if not path.exists():
        if not spacy.util.is_package(model):
            raise PluginError(f"model = '{model}' is neither an installed spaCy package nor a folder. "
                              f"Install it: pip install {model} (or python -m spacy download {model}), "
                              f"or give the path of a pipeline folder.")
        path = spacy.util.get_package_path(model)
    if (path / "vocab").is_dir():
        return path
    inner = [p for p in sorted(path.iterdir()) if (p / "vocab").is_dir()] if path.is_dir() else []
    if not inner:
        raise ConfigError(f"model = '{model}': {path} holds no spaCy pipeline (no vocab/ folder). "
                          f"Give a folder saved with nlp.to_disk, or an installed package name.")
    return inner[-1]


def _meta(folder: Path) -> dict:
    try:
        return json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
