import http.server
import socket
import threading
import time
from pathlib import Path

import pytest

from s2s_embed.data import multi30k
from s2s_embed.data.multi30k import load_split
from s2s_embed.errors import ConfigError, DataError

SHARED = Path(__file__).parents[1].parent / "shared" / "data" / "multi30k"
needs_shared = pytest.mark.skipif(not (SHARED / "val.en.gz").is_file(), reason=f"Multi30K not found in {SHARED}")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No user folder, no proxy: each test says where the data come from."""
    for var in (multi30k.ROOT_ENV, multi30k.CACHE_ENV, "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


@needs_shared
def test_reads_a_user_folder_given_as_root():
    corpus = load_split("val", "en", "fr", root=SHARED)
    assert len(corpus) == 1014 and corpus.skipped_empty == 0
    assert corpus.src[0] == "A group of men are loading cotton onto a truck"
    assert corpus.trg[0] == "Un groupe d'hommes chargent du coton dans un camion"
    assert corpus.name == "multi30k/val.en-fr"


@needs_shared
def test_reads_a_user_folder_given_by_env_var(monkeypatch, tmp_path):
    monkeypatch.setenv(multi30k.ROOT_ENV, str(SHARED))
    corpus = load_split("test_2016_flickr", "de", "en", cache_dir=tmp_path)
    assert len(corpus) == 1000
    assert corpus.trg[0] == "A man in an orange hat starring at something."
    assert not (tmp_path / "multi30k").exists()  # nothing downloaded or cached


def test_missing_file_in_user_folder_names_folder_file_and_expected(tmp_path, monkeypatch):
    (tmp_path / "val.en.gz").write_bytes(b"")
    monkeypatch.setenv(multi30k.ROOT_ENV, str(tmp_path))
    with pytest.raises(DataError) as err:
        load_split("val", "en", "de")
    msg = str(err.value)
    assert f"val.de.gz is missing from {tmp_path}" in msg
    assert multi30k.ROOT_ENV in msg and "val.en.gz and val.de.gz" in msg


def test_held_out_splits_are_read_from_the_user_folder_plain_or_gz(tmp_path, monkeypatch):
    import gzip

    (tmp_path / "test_2018_flickr.en").write_text("A dog runs.\nTwo men talk.\n", encoding="utf-8")
    with gzip.open(tmp_path / "test_2018_flickr.fr.gz", "wt", encoding="utf-8") as fh:
        fh.write("Un chien court.\nDeux hommes parlent.\n")
    corpus = load_split("test_2018_flickr", "en", "fr", root=tmp_path)
    assert corpus.src == ["A dog runs.", "Two men talk."] and corpus.trg[1] == "Deux hommes parlent."


def test_held_out_split_without_a_folder_says_to_give_one_and_downloads_nothing(tmp_path):
    with pytest.raises(DataError, match=rf"test_2017_mscoco is not downloaded.*test_2017_mscoco.en.gz.*{multi30k.ROOT_ENV}"):
        load_split("test_2017_mscoco", "en", "fr", cache_dir=tmp_path, base_url="http://127.0.0.1:9/")
    assert not (tmp_path / "multi30k").exists()


def test_unknown_split_or_language_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="Unknown Multi30K split 'valid'.*test_2016_flickr.*Did you mean 'val'"):
        load_split("valid", "en", "fr")
    with pytest.raises(ConfigError, match="Unknown Multi30K language 'cs'. Available: de, en, fr"):
        load_split("val", "en", "cs")
    with pytest.raises(ConfigError, match="both 'en'"):
        load_split("val", "en", "en")


@needs_shared
def test_digests_in_code_match_the_shared_sha256sums():
    listed = dict(reversed(line.split()) for line in (SHARED / "SHA256SUMS").read_text().splitlines() if line)
    assert multi30k.SHA256 == listed


# --- the downloader, against a local HTTP server -------------------------------------------

class Server:
    """Serves `files` by name; `cut_after[name] = n` sends n bytes of a longer announced body, then hangs up."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.cut_after: dict[str, int] = {}
        self.stall_s = 0.0
        self.requests: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = 5  # a stuck client cannot hold the server

            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                owner.requests.append(name)
                time.sleep(owner.stall_s)
                if name not in owner.files:
                    self.send_error(404)
                    return
                body = owner.files[name]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: owner.cut_after.get(name, len(body))])
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/raw/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)


@pytest.fixture
def server():
    srv = Server()
    for name in ("val.en.gz", "val.fr.gz"):
        srv.files[name] = (SHARED / name).read_bytes()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(timeout=5)


def cache_listing(cache):
    folder = cache / "multi30k"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@needs_shared
def test_download_verifies_and_fills_the_cache_then_reuses_it(server, tmp_path, monkeypatch):
    monkeypatch.setenv(multi30k.CACHE_ENV, str(tmp_path))
    corpus = load_split("val", "en", "fr", base_url=server.url)
    assert len(corpus) == 1014 and corpus.src[0] == "A group of men are loading cotton onto a truck"
    assert cache_listing(tmp_path) == ["val.en.gz", "val.fr.gz"]
    assert (tmp_path / "multi30k" / "val.en.gz").read_bytes() == server.files["val.en.gz"]
    assert server.requests == ["val.en.gz", "val.fr.gz"]

    load_split("val", "fr", "en", base_url=server.url)
    assert server.requests == ["val.en.gz", "val.fr.gz"]  # both served from the cache


@needs_shared
def test_corrupt_cached_file_is_replaced(server, tmp_path):
    folder = tmp_path / "multi30k"
    folder.mkdir()
    (folder / "val.en.gz").write_bytes(server.files["val.en.gz"][:-10])
    assert len(load_split("val", "en", "fr", cache_dir=tmp_path, base_url=server.url)) == 1014
    assert (folder / "val.en.gz").read_bytes() == server.files["val.en.gz"]
    assert server.requests == ["val.en.gz", "val.fr.gz"]


@needs_shared
def test_corrupt_download_raises_and_leaves_nothing(server, tmp_path):
    body = bytearray(server.files["val.en.gz"])
    body[100] ^= 0xFF
    server.files["val.en.gz"] = bytes(body)
    with pytest.raises(DataError) as err:
        load_split("val", "en", "fr", cache_dir=tmp_path, base_url=server.url)
    msg = str(err.value)
    assert "SHA-256" in msg and f"val.en.gz in the cache folder {tmp_path / 'multi30k'}" in msg
    assert multi30k.ROOT_ENV in msg and "data.multi30k_root" in msg
    assert cache_listing(tmp_path) == []


@needs_shared
def test_cut_off_download_raises_and_leaves_nothing(server, tmp_path):
    server.cut_after["val.fr.gz"] = 5000
    with pytest.raises(DataError, match="Could not download .*val.fr.gz .*IncompleteRead"):
        load_split("val", "en", "fr", cache_dir=tmp_path, base_url=server.url)
    assert cache_listing(tmp_path) == ["val.en.gz"]  # the complete, verified file stays; no partial, no temp file


@needs_shared
def test_download_times_out(server, tmp_path, monkeypatch):
    monkeypatch.setattr(multi30k, "TIMEOUT_S", 0.2)
    server.stall_s = 1.0
    with pytest.raises(DataError, match="Could not download .*timed out"):
        load_split("val", "en", "fr", cache_dir=tmp_path, base_url=server.url)
    assert cache_listing(tmp_path) == []


def test_offline_names_the_folder_to_provide(tmp_path):
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DataError) as err:
        load_split("val", "en", "fr", cache_dir=tmp_path, base_url=f"http://127.0.0.1:{port}/")
    msg = str(err.value)
    assert "Could not download" in msg and "refused" in msg.lower()
    assert multi30k.ROOT_ENV in msg and "data.multi30k_root" in msg
    assert cache_listing(tmp_path) == []


@needs_shared
def test_unwritable_cache_says_which_folder_and_what_to_do(server, tmp_path):
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache folder should be")
    with pytest.raises(DataError, match=f"Cannot write to the Multi30K cache folder {not_a_folder / 'multi30k'}.*{multi30k.ROOT_ENV}"):
        load_split("val", "en", "fr", cache_dir=not_a_folder, base_url=server.url)
