"""`s2s-embed cache list|clear`: what the cache folder holds, and freeing it."""
from s2s_embed.cache import KINDS, cache_parts, clear_cache, format_size
from s2s_embed.cli import main


def _fill(root):
    (root / "vectors").mkdir(parents=True)
    (root / "vectors" / "a.npy").write_bytes(b"x" * 1500)
    (root / "corpora").mkdir()
    (root / "corpora" / "synthetic.tsv").write_bytes(b"y" * 200)
    (root / "notes").mkdir()
    (root / "notes" / "mine.txt").write_bytes(b"z")


def test_list_measures_each_part_and_names_foreign_folders(tmp_path):
    _fill(tmp_path)
    parts = {p.kind: p for p in cache_parts(tmp_path)}
    assert list(parts) == [*KINDS, "notes"]
    assert (parts["vectors"].files, parts["vectors"].bytes) == (1, 1500)
    assert (parts["corpora"].files, parts["multi30k"].files) == (1, 0)
    assert parts["notes"].description == "not made by s2s-embed"


def test_clear_frees_the_named_parts_and_never_foreign_ones(tmp_path):
    _fill(tmp_path)
    assert [p.kind for p in clear_cache(["corpora"], tmp_path)] == ["corpora"]
    assert (tmp_path / "vectors").exists() and not (tmp_path / "corpora").exists()
    assert [p.kind for p in clear_cache([], tmp_path)] == ["vectors"]
    assert (tmp_path / "notes" / "mine.txt").exists()


def test_cache_verbs_through_the_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("S2S_EMBED_CACHE", str(tmp_path))
    _fill(tmp_path)
    assert main(["cache", "list"]) == 0
    listing = capsys.readouterr().out
    assert f"cache folder: {tmp_path}" in listing and "1.5 KB" in listing
    assert main(["cache", "clear", "vectors"]) == 0
    assert "freed 1.5 KB" in capsys.readouterr().out and not (tmp_path / "vectors").exists()
    assert main(["cache", "clear", "vector"]) == 2
    assert "Unknown cache part 'vector'" in capsys.readouterr().err


def test_sizes_read_like_a_person_writes_them():
    assert [format_size(n) for n in (512, 3400, 224_000_000, 2_500_000_000)] == ["512 B", "3.4 KB", "224.0 MB",
                                                                                "2.5 GB"]
