"""End to end through the CLI: train a tiny model, check it learned, translate and evaluate."""
import json
import subprocess
import sys

import pytest

from conftest import tiny_overrides


def cli(*args, input=None, check=True):
    proc = subprocess.run([sys.executable, "-m", "s2s_embed", *args], input=input, capture_output=True, text=True,
                          timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"s2s-embed {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def trained(tiny_task, tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "model"
    sets = [a for o in tiny_overrides(tiny_task, out, "model.attention='luong'") for a in ("--set", o)]
    proc = cli("train", *sets, "--quiet")
    assert "Best epoch" in proc.stdout
    return out


@pytest.mark.slow
def test_model_translates_held_out_sentences(trained, tiny_task):
    pairs = tiny_task["test_pairs"]
    out = cli("translate", str(trained), input="".join(s + "\n" for s, _ in pairs)).stdout.splitlines()
    assert len(out) == len(pairs)
    right = sum(o.lower() == t for o, (_, t) in zip(out, pairs))
    assert right >= 0.9 * len(pairs), list(zip(out, pairs))[:10]


@pytest.mark.slow
def test_beam_search_translates_too(trained, tiny_task):
    pairs = tiny_task["test_pairs"]
    out = cli("translate", str(trained), "--beam", "4", input="".join(s + "\n" for s, _ in pairs)).stdout.splitlines()
    assert sum(o.lower() == t for o, (_, t) in zip(out, pairs)) >= 0.9 * len(pairs)


@pytest.mark.slow
def test_evaluate_reports_bleu_chrf_and_signature(trained, tiny_task, tmp_path):
    src, ref = tiny_task["test"]
    proc = cli("evaluate", str(trained), "--src", str(src), "--ref", str(ref), "--json", str(tmp_path / "s.json"))
    scores = json.loads((tmp_path / "s.json").read_text())
    assert scores["bleu_tok_lc"] > 80 and scores["chrf"] > 80
    assert "BLEU" in proc.stdout and "nrefs:1" in scores["bleu_signature_str"]
    assert isinstance(scores["bleu_signature"], dict)


@pytest.mark.slow
def test_model_folder_holds_plain_files(trained):
    names = {p.name for p in trained.iterdir()}
    assert {"config.json", "src_vocab.json", "trg_vocab.json", "embeddings.json", "coverage.json", "model.pt",
            "last.pt", "metrics.jsonl", "summary.json"} <= names
    rows = [json.loads(line) for line in (trained / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[-1]["valid_loss"] < rows[0]["valid_loss"]


def test_help_for_each_verb():
    for verb in ("train", "translate", "evaluate", "embeddings"):
        assert "usage" in cli(verb, "--help").stdout


@pytest.mark.slow
def test_errors_are_one_line_and_exit_2(tmp_path):
    proc = cli("translate", str(tmp_path / "nope"), input="hello\n", check=False)
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("train", "--set", "train.epoch=3", check=False)
    assert proc.returncode == 2 and "Unknown key 'epoch'" in proc.stderr


@pytest.mark.slow
def test_output_into_a_missing_folder_or_onto_a_folder_fails_before_translating(trained, tiny_task, tmp_path):
    src, ref = tiny_task["test"]
    for args, message in [(("translate", str(trained), "--output", str(tmp_path / "missing" / "out.txt")),
                           f"--output {tmp_path / 'missing' / 'out.txt'}: the folder {tmp_path / 'missing'} does "
                           f"not exist"),
                          (("translate", str(trained), "--output", str(tmp_path)), f"--output {tmp_path} is a folder"),
                          (("evaluate", str(trained), "--src", str(src), "--ref", str(ref), "--json",
                            str(tmp_path / "missing" / "s.json")), "--json"),
                          (("evaluate", str(trained), "--src", str(src), "--ref", str(ref), "--hyp-out",
                            str(tmp_path)), f"--hyp-out {tmp_path} is a folder")]:
        proc = cli(*args, input="one cat\n", check=False)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert sorted(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_binary_bytes_on_stdin_are_a_clean_error_naming_line_1(trained):
    proc = subprocess.run([sys.executable, "-m", "s2s_embed", "translate", str(trained)],
                          input=b"\xff\xfe\x00\x80binary\n", capture_output=True, timeout=600)
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2 and "stdin, line 1: byte 0xff" in stderr and "not UTF-8" in stderr, stderr
    assert "Traceback" not in stderr and proc.stdout == b""


@pytest.mark.slow
def test_outputs_cut_at_max_len_are_warned_about_and_counted(trained, tiny_task, tmp_path):
    proc = cli("translate", str(trained), "--max-len", "2", input="red big old cat dog fish bird\n\n")
    assert len(proc.stdout.splitlines()[0].split()) == 2
    assert "1 of 2 sentence(s) reached the output limit of 2 tokens" in proc.stderr
    src, ref = tiny_task["test"]
    for max_len, cut in (("2", len(tiny_task["test_pairs"])), ("50", 0)):  # every test sentence has 2-5 words
        proc = cli("evaluate", str(trained), "--src", str(src), "--ref", str(ref), "--max-len", max_len,
                   "--json", str(tmp_path / "s.json"))
        assert json.loads((tmp_path / "s.json").read_text())["truncated"] == cut
        assert (f"{cut} of {cut} translations were cut" in proc.stdout) == bool(cut)
