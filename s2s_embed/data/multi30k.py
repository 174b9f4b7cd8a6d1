"""Multi30K task 1 (raw, untokenised; en/fr/de): find the files, or download and verify them.

Where the files come from, in order:
1. a folder the user gives: the `root` argument (data.multi30k_root), else the env var S2S_EMBED_MULTI30K.
   It is read as is; nothing is downloaded.
2. the cache folder `<cache>/multi30k`, where `<cache>` is the `cache_dir` argument,
   else the env var S2S_EMBED_CACHE, else ~/.cache/s2s-embed. A missing file is
   downloaded from BASE_URL, checked against its SHA-256 below, and only then
   moved into place, so the cache never holds a partial or unverified file.
"""
from __future__ import annotations

import hashlib
import http.client
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from s2s_embed import atomic
from s2s_embed.data.corpus import ParallelText, read_parallel_files
from s2s_embed.errors import ConfigError, DataError, unknown

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test_2016_flickr", "test_2017_flickr")
# Later, held-out test sets: read from a folder the user gives, never downloaded (no digest is known here).
HELD_OUT_SPLITS = ("test_2017_mscoco", "test_2018_flickr")
LANGS = ("en", "fr", "de")
BASE_URL = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/"
ROOT_ENV = "S2S_EMBED_MULTI30K"
CACHE_ENV = "S2S_EMBED_CACHE"
TIMEOUT_S = 60.0  # per network operation (connect, each read), not for the whole file

SHA256 = {
    "test_2016_flickr.de.gz": "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8",
    "test_2016_flickr.en.gz": "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9",
    "test_2016_flickr.fr.gz": "6d326e188d259fb1d04ac19eae3af956559b3a0b93d7635e56c90987c40c8b90",
    "test_2017_flickr.de.gz": "a2c89666db00c495cd8513b9d708d5a3acc205d7de312ef2bf5fb7ebc1540aee",
    "test_2017_flickr.en.gz": "76a444ee25172e72695cddb13ae4a3bda59430617be88e0bb46b60504f054074",
    "test_2017_flickr.fr.gz": "3ba671ceb2299f3304ffafefea7a833d08632fbaf0ba18546f8a2ec2391af496",
    "train.de.gz": "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6",
    "train.en.gz": "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f",
    "train.fr.gz": "622e75069e9f4c577425c4f277116ce66e63a2401c0a2312d90073cb12379a3c",
    "val.de.gz": "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a",
    "val.en.gz": "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28",
    "val.fr.gz": "ca3106f1a72390591d25f6c45cb4cd39dec4cd3f123e099748a3ce5256c160e9",
}


def filename(split: str, lang: str) -> str:
    return f"{split}.{lang}.gz"


def load_split(
    split: str,
    src_lang: str,
    trg_lang: str,
    root: str | Path | None = None,
    cache_dir: str | Path | None = None,
    base_url: str = BASE_URL,
) -> ParallelText:
    """One split as aligned raw sentences, e.g. `load_split("val", "en", "fr")` (1,014 pairs).

    The held-out splits (HELD_OUT_SPLITS) are read only from the user's folder.
    """
    _check(split, "split", SPLITS + HELD_OUT_SPLITS)
    _check(src_lang, "language", LANGS)
    _check(trg_lang, "language", LANGS)
    if src_lang == trg_lang:
        raise ConfigError(f"Multi30K source and target language are both '{src_lang}': choose two of {', '.join(LANGS)}.")
    name = f"multi30k/{split}.{src_lang}-{trg_lang}"
    user_folder = _user_folder(root)
    if user_folder is not None:
        src, trg = (_in_user_folder(user_folder, split, lang, (src_lang, trg_lang)) for lang in (src_lang, trg_lang))
    elif split in HELD_OUT_SPLITS:
        raise DataError(f"Multi30K {split} is not downloaded by s2s-embed (no SHA-256 of it is kept here to check a "
                        f"download against). Put {filename(split, src_lang)} and {filename(split, trg_lang)} (or the "
                        f"same names without .gz) in a folder and give it as data.multi30k_root (in a config, or "
                        f"`--set data.multi30k_root=PATH`; base.data.multi30k_root in a suite) or the environment "
                        f"variable {ROOT_ENV}.")
    else:
        src, trg = ensure_files([split], [src_lang, trg_lang], cache_dir, base_url)
    return read_parallel_files(src, trg, name=name)


def ensure_files(
    splits: Iterable[str],
    langs: Iterable[str],
    cache_dir: str | Path | None = None,
    base_url: str = BASE_URL,
) -> list[Path]:
    """Verified cached paths for every split x language, downloading the missing ones."""
    folder = cache_folder(cache_dir)
    langs = tuple(langs)
    paths = []
    for split in splits:
        _check(split, "split", SPLITS)
        for lang in langs:
            _check(lang, "language", LANGS)
            paths.append(_cached(folder, filename(split, lang), base_url))
    return paths


def cache_folder(cache_dir: str | Path | None = None) -> Path:
    base = cache_dir or os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "s2s-embed"
    return Path(base).expanduser() / "multi30k"


def _check(value: str, what: str, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ConfigError(unknown(f"Multi30K {what}", value, options))


def _user_folder(root: str | Path | None) -> tuple[Path, str] | None:
    """The folder the user gave, with how it was given; None to use the cache."""
    if root is not None:
        return Path(root).expanduser(), "data.multi30k_root"
    if os.environ.get(ROOT_ENV):
        return Path(os.environ[ROOT_ENV]).expanduser(), f"the environment variable {ROOT_ENV}"
    return None


def _in_user_folder(user_folder: tuple[Path, str], split: str, lang: str, langs: tuple[str, str]) -> Path:
    """`{split}.{lang}.gz` in the folder, else the same file uncompressed."""
    folder, given_by = user_folder
    path = folder / filename(split, lang)
    if path.is_file():
        return path
    if path.with_suffix("").is_file():
        return path.with_suffix("")
    expected = " and ".join(filename(split, lang) for lang in langs)
    raise DataError(
        f"Multi30K file {path.name} is missing from {folder} (given by {given_by}). "
        f"That folder must hold {expected}: Multi30K task 1 raw files named {{split}}.{{lang}}.gz "
        f"(or uncompressed, without .gz), as in {BASE_URL}. Fix the folder"
        f"{', or leave it unset to download into the cache' if split in SPLITS else ''}."
    )


def _cached(folder: Path, name: str, base_url: str) -> Path:
    path = folder / name
    if path.is_file():
        if _sha256(path.read_bytes()) == SHA256[name]:
            return path
        log.warning("Cached %s does not match its SHA-256; removing it and downloading it again.", path)
        path.unlink()
    url = base_url + name
    log.info("Downloading %s to %s", url, folder)
    data = _fetch(url, path)
    digest = _sha256(data)
    if digest != SHA256[name]:
        raise DataError(
            f"Downloaded {url}, but its SHA-256 is {digest}, not the expected {SHA256[name]}: "
            f"the transfer was corrupted or the file on the server changed. {_nothing_written(path)}"
        )
    _write_atomically(path, data)
    return path


def _fetch(url: str, dest: Path) -> bytes:
    """The whole body of `url`; a cut-off transfer raises (IncompleteRead), it is not truncated."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return response.read()
    except (OSError, http.client.HTTPException) as exc:  # URLError, HTTPError, timeouts, resets, IncompleteRead
        is_url_error = isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError)
        detail = exc.reason if is_url_error else exc
        raise DataError(f"Could not download {url} ({type(exc).__name__}: {detail}). {_nothing_written(dest)}") from None


def _write_atomically(path: Path, data: bytes) -> None:
    """atomic.write_bytes into the cache folder: readers never see a partial file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"Cannot write to the Multi30K cache folder {path.parent}: {exc}. {_how_to_provide()}") from None
    try:
        atomic.write_bytes(path, data, shared=True)
    except OSError as exc:
        raise DataError(f"Cannot write {path}: {exc}. {_how_to_provide()}") from None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _nothing_written(dest: Path) -> str:
    return f"Nothing was saved as {dest.name} in the cache folder {dest.parent}. {_how_to_provide()}"


def _how_to_provide() -> str:
    return (
        f"To work offline, put the Multi30K task 1 raw files ({{split}}.{{lang}}.gz, from {BASE_URL}) in a folder "
        f"and give it as data.multi30k_root (`--set data.multi30k_root=PATH`) or the environment variable {ROOT_ENV}."
    )
