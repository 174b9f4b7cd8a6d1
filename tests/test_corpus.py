import gzip
import logging

import pytest

from s2s_embed.data.corpus import ParallelText, read_lines, read_parallel_files, read_tsv
from s2s_embed.errors import ConfigError, DataError


def write(path, text, gz=False):
    data = text.encode("utf-8") if isinstance(text, str) else text
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_aligned_files_plain_and_gzip(tmp_path, gz):
    src = write(tmp_path / "a.en", "A dog runs.\nTwo cats\u2028sleep.\r\n", gz)
    trg = write(tmp_path / "a.fr", "Un chien court.\nDeux chats dorment.\n", gz)
    corpus = read_parallel_files(src, trg)
    assert corpus.src == ["A dog runs.", "Two cats\u2028sleep."]  # U+2028 does not split a line
    assert corpus.trg == ["Un chien court.", "Deux chats dorment."]
    assert len(corpus) == 2 and corpus.skipped_empty == 0
    assert corpus.name == "a.en+a.fr"


def test_gzip_is_detected_by_content_not_suffix(tmp_path):
    path = write(tmp_path / "plain.txt", "\ufeffgrüß\nzwei", gz=True)
    assert read_lines(path) == ["grüß", "zwei"]  # the BOM is dropped, a last line without newline is kept


def test_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(b"hello\n" * 100)[:20])
    with pytest.raises(DataError, match="cut.gz.*truncated or corrupt"):
        read_lines(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="not found: .*nope.en"):
        read_lines(tmp_path / "nope.en")


def test_misaligned_files_give_both_names_and_counts(tmp_path):
    src = write(tmp_path / "x.en", "a\nb\nc\n")
    trg = write(tmp_path / "x.fr", "a\nb\n")
    with pytest.raises(DataError) as err:
        read_parallel_files(src, trg)
    msg = str(err.value)
    assert f"{src} has 3 lines" in msg and f"{trg} has 2" in msg


@pytest.mark.parametrize("gz", [False, True])
def test_non_utf8_gives_file_line_and_offset(tmp_path, gz):
    path = write(tmp_path / "latin.fr", "un\ndeux\ntr".encode() + "\xe8s".encode("latin-1") + b"\n", gz)
    with pytest.raises(DataError) as err:
        read_lines(path)
    msg = str(err.value)
    assert f"{path}, line 3" in msg and "0xe8" in msg and "offset 10" in msg and "UTF-8" in msg


def test_empty_pairs_are_skipped_counted_and_logged(tmp_path, caplog):
    src = write(tmp_path / "e.en", "one\n\nthree\nfour\n")
    trg = write(tmp_path / "e.fr", "un\ndeux\n   \nquatre\n")
    with caplog.at_level(logging.WARNING, logger="s2s_embed.data.corpus"):
        corpus = read_parallel_files(src, trg, name="tiny")
    assert corpus.src == ["one", "four"] and corpus.trg == ["un", "quatre"]
    assert corpus.skipped_empty == 2 and corpus.name == "tiny"
    assert "Skipped 2 of 4" in caplog.text and str(src) in caplog.text and str(trg) in caplog.text


def test_tsv_ignores_extra_columns_and_blank_lines(tmp_path):
    path = write(
        tmp_path / "fra.txt",
        "Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM)\n"
        "\n"
        "Hi.\tSalut !\tCC-BY 2.0 (France) Attribution: tatoeba.org #538123 (CM)\n",
    )
    corpus = read_tsv(path)
    assert corpus.src == ["Go.", "Hi."] and corpus.trg == ["Va !", "Salut !"]
    assert corpus.skipped_empty == 1 and corpus.name == "fra.txt"
    swapped = read_tsv(path, src_col=1, trg_col=0)
    assert swapped.src == ["Va !", "Salut !"]


def test_tsv_line_with_too_few_columns_names_file_and_line(tmp_path):
    path = write(tmp_path / "bad.tsv", "Go.\tVa !\nHi. Salut !\n")
    with pytest.raises(DataError, match=r"bad.tsv, line 2: 1 tab-separated column\(s\), need at least 2"):
        read_tsv(path)


def test_tsv_rejects_bad_column_options(tmp_path):
    path = write(tmp_path / "ok.tsv", "a\tb\n")
    with pytest.raises(ConfigError, match="src_col=1, trg_col=1"):
        read_tsv(path, src_col=1, trg_col=1)


def test_corpus_empty_after_filtering_names_the_files(tmp_path):
    src = write(tmp_path / "z.en", "a\n\n")
    trg = write(tmp_path / "z.fr", "\nb\n")
    with pytest.raises(DataError, match="No sentence pairs in .*z.en and .*z.fr"):
        read_parallel_files(src, trg)
    with pytest.raises(DataError, match="No sentence pairs in .*empty.tsv"):
        read_tsv(write(tmp_path / "empty.tsv", ""))


def test_head_takes_the_first_pairs():
    corpus = ParallelText(["a", "b", "c"], ["x", "y", "z"], "abc", skipped_empty=1)
    assert corpus.head(2) == ParallelText(["a", "b"], ["x", "y"], "abc", skipped_empty=1)
    assert len(corpus.head(10)) == 3
    with pytest.raises(ConfigError):
        corpus.head(-1)


def test_parallel_text_must_be_aligned():
    with pytest.raises(DataError, match="2 source but 1 target"):
        ParallelText(["a", "b"], ["x"], "bad")


def test_a_corpus_kind_is_one_entry_in_the_table(monkeypatch, tmp_path):
    """Adding a kind touches only s2s_embed/data/corpora.py: the config, the loader and the suites take it from there."""
    from s2s_embed import config
    from s2s_embed.data import corpora
    from s2s_embed.data.corpus import ParallelText
    from s2s_embed.data.dataset import load_corpus

    def echo(cfg, split):
        return ParallelText(["a b", "c d"], ["A B", "C D"], f"echo[{split}]")

    monkeypatch.setitem(corpora.CORPORA, "echo", corpora.Corpus("echo", echo, ("echo-test",),
                                                                lambda data, name, size: echo(data, "test")))
    cfg = config.load(None, ["data.corpus='echo'", f"train.out_dir='{tmp_path}'"])
    assert load_corpus(cfg.data, "valid").name == "echo[valid]"
    with pytest.raises(config.ConfigError, match="echo"):
        config.load(None, ["data.corpus='ech'"])
