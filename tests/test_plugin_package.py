"""The example plugin package, installed with pip like any third-party plugin, found and built through the registry."""
from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import unquote

import pytest

PACKAGE = Path(__file__).parents[1] / "plugins" / "s2s-embed-charngram"


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def installed_from() -> Path | None:
    """The folder the installed s2s-embed-charngram was installed from, if any (metadata only, no import)."""
    try:
        direct = importlib.metadata.distribution("s2s-embed-charngram").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return None
    url = json.loads(direct or "{}").get("url", "")
    return Path(unquote(url.removeprefix("file://"))).resolve() if url.startswith("file://") else None


@pytest.fixture(scope="module")
def installed():
    """Install the package (editable, no dependencies, offline) unless this checkout's copy already is."""
    if installed_from() != PACKAGE.resolve():
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                               "--no-index", "-e", str(PACKAGE)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"pip install -e {PACKAGE} failed:\n{done.stderr}"
    return PACKAGE


@pytest.mark.slow
def test_the_installed_plugin_is_discovered_listed_and_its_options_checked(installed):
    out = run("""
        import json
        from s2s_embed.embeddings import EmbeddingSpec, check_spec, discover, format_plugin_table, list_plugins
        from s2s_embed.errors import ConfigError
        (entry,) = [e for e in discover() if e.name == "charngram"]
        (info,) = [i for i in list_plugins() if i.name == "charngram"]
        print(json.dumps([entry.package, entry.version, entry.target, info.status, info.description]))
        try:
            check_spec(EmbeddingSpec(name="charngram", options={"bucket": 10}), "embeddings.target")
        except ConfigError as exc:
            print(exc)
        print(format_plugin_table(list_plugins()))
    """)
    first, error, *table = out.splitlines()
    package, version, target, status, description = json.loads(first)
    assert (package, version, target, status) == ("s2s-embed-charngram", "0.1.0", "s2s_embed_charngram:factory", "ok")
    assert description.startswith("Hashed character n-gram vectors")
    assert any(line.split()[:4] == ["charngram", "s2s-embed-charngram", "0.1.0", "ok"] for line in table)
    assert "embeddings.target.bucket is not an option of embedding 'charngram' (s2s-embed-charngram)" in error
    assert "buckets, max_n, min_n" in error and "Did you mean 'buckets'?" in error


@pytest.mark.slow
def test_the_plugin_builds_trains_and_is_restored_through_the_registry(installed):
    out = run("""
        import json, torch
        from s2s_embed.data.vocab import Vocab, PAD_ID
        from s2s_embed.embeddings import BuildContext, EmbeddingSpec, build_embedding, restore_embedding
        vocab = Vocab.build([["walk", "walked", "walking", "talk"]])
        ctx = BuildContext(vocab, "en", "source", dim=16)
        spec = EmbeddingSpec(name="charngram", dim=16, options={"buckets": 1000, "max_n": 4})
        built = build_embedding(spec, ctx)
        ids = torch.tensor([[vocab.stoi["walk"], vocab.stoi["walked"], PAD_ID]])  # (batch=1, time=3)
        out = built.module(ids)
        out.sum().backward()
        sims = torch.nn.functional.cosine_similarity
        w, walked, talk = built.module(torch.tensor([[vocab.stoi[t] for t in ("walk", "walked", "talk")]]))[0]
        restored = restore_embedding(built.manifest, spec, ctx)
        restored.load_state_dict(built.module.state_dict())
        print(json.dumps({
            "plugin": built.plugin, "manifest": built.manifest, "shape": list(out.shape),
            "pad_zero": bool((out[0, 2] == 0).all()), "grad": bool(built.module.table.weight.grad.abs().sum() > 0),
            "shared": float(sims(w, walked, dim=0)) > float(sims(w, talk, dim=0)),
            "keys": list(built.module.state_dict()), "same": bool(torch.equal(restored(ids), built.module(ids))),
        }))
    """)
    result = json.loads(out)
    assert result["plugin"] == {"name": "charngram", "package": "s2s-embed-charngram", "version": "0.1.0"}
    # the bound options: the two the spec gave and the factory's default min_n
    assert result["manifest"] == {"kind": "plugin", "name": "charngram",
                                  "options": {"buckets": 1000, "max_n": 4, "min_n": 3},
                                  "package": "s2s-embed-charngram", "version": "0.1.0"}
    assert result["shape"] == [1, 3, 16] and result["pad_zero"] and result["grad"]
    assert result["shared"]  # walk shares more n-grams with walked than with talk
    assert result["keys"] == ["table.weight"] and result["same"]




def test_ngrams_are_hashed_with_fnv1a(monkeypatch):
    monkeypatch.syspath_prepend(str(PACKAGE))
    from s2s_embed_charngram import fnv1a, ngrams

    assert [fnv1a(s) for s in ("", "a", "foobar")] == [0x811C9DC5, 0xE40C292C, 0xBF9CF968]  # FNV-1a 32 test vectors
    assert ngrams("cat", 3, 5) == sorted(["<ca", "cat", "at>", "<cat", "cat>", "<cat>"])
