"""The CLI's front matter: --version, help written for users, log lines a person reads."""
import argparse
import logging

import pytest

import s2s_embed
from s2s_embed import cli


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"s2s-embed {s2s_embed.__version__}"


def test_top_help_is_for_users(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    assert "Compare word embeddings" in text and "argument parsing" not in text


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_option_of_every_verb_has_help():
    missing = [f"{p.prog} {a.option_strings or a.dest}" for p in _parsers(cli._parser()) for a in p._actions
               if a.help is None and not isinstance(a, argparse._SubParsersAction)]
    assert missing == []


def test_information_is_plain_and_warnings_say_so():
    fmt = cli._ReadableFormatter()
    info = logging.LogRecord("s2s_embed.data", logging.INFO, "", 0, "6,000 training pairs", None, None)
    warning = logging.LogRecord("s2s_embed.data", logging.WARNING, "", 0, "Skipped 2 pairs", None, None)
    assert (fmt.format(info), fmt.format(warning)) == ("6,000 training pairs", "warning: Skipped 2 pairs")
