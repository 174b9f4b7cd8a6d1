"""The built-in corpus on disk: cached by its settings, and exported as aligned files."""
import pytest

pytest.importorskip("pyrealb")

from s2s_embed.cli import main  # noqa: E402
from s2s_embed.data import synthetic  # noqa: E402
from s2s_embed.data.corpus import read_parallel_files  # noqa: E402
from s2s_embed.data.synthetic_files import FOLDER, cached_generate  # noqa: E402


def test_a_generated_corpus_is_cached_by_size_and_seed(tmp_path, monkeypatch):
    first = cached_generate(30, 4, tmp_path)
    assert first == synthetic.generate(30, 4)
    assert len(list((tmp_path / FOLDER).iterdir())) == 1

    def no_generating(n, seed):
        raise AssertionError("generated again")

    monkeypatch.setattr(synthetic, "generate", no_generating)
    assert cached_generate(30, 4, tmp_path) == first  # read back, not generated
    with pytest.raises(AssertionError, match="generated again"):
        cached_generate(30, 5, tmp_path)  # another seed is another corpus


def test_an_incomplete_cache_file_is_generated_again(tmp_path):
    cached_generate(20, 1, tmp_path)
    (path,) = (tmp_path / FOLDER).iterdir()
    path.write_text("\n".join(path.read_text(encoding="utf-8").split("\n")[:5]) + "\n", encoding="utf-8")
    assert cached_generate(20, 1, tmp_path) == synthetic.generate(20, 1)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 20


def test_corpus_export_writes_aligned_splits_that_do_not_overlap(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("S2S_EMBED_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "corpus"
    assert main(["corpus", "export", "--out", str(out), "--size", "60", "--seed", "2", "--test-size", "25"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [f"{s}.{lang}" for s in ("test", "train", "valid")
                                                    for lang in ("en", "fr")]
    train, valid, test = (read_parallel_files(out / f"{s}.en", out / f"{s}.fr") for s in ("train", "valid", "test"))
    assert (train.src, train.trg) == synthetic.generate(60, 2)  # what data.synthetic_size = 60, seed 2 trains on
    assert len(test) == 25 and len(valid) == 1000
    assert not set(test.src) & (set(train.src) | set(valid.src))
    assert f"{out / 'test.fr'}  25 lines" in capsys.readouterr().out


def test_corpus_export_rejects_a_size_below_one(tmp_path, capsys):
    assert main(["corpus", "export", "--out", str(tmp_path), "--size", "0"]) == 2
    assert "--size = 0 must be at least 1" in capsys.readouterr().err
