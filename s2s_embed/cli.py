"""The `s2s-embed` command: argument parsing only; each verb calls one function."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from s2s_embed.errors import S2SError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    for chatty in ("gensim", "smart_open"):  # their INFO lines drown ours
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        return args.run(args) or 0
    except S2SError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="s2s-embed", description=__doc__.splitlines()[0])
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("train", help="train a model from a TOML config",
                         description="Train a model from a TOML config; the model folder is train.out_dir.")
    p.add_argument("config", nargs="?", help="TOML config file (default: built-in defaults)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set train.epochs=5 (repeatable)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in train.out_dir")
    p.add_argument("--overwrite", action="store_true", help="delete train.out_dir and start again")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_train)

    p = verbs.add_parser("translate", help="translate sentences, one per line",
                         description="Translate stdin (or --input) to stdout (or --output), one sentence per line.")
    _decode_options(p)
    p.add_argument("--input", type=Path, help="source file (default: stdin)")
    p.add_argument("--output", type=Path, help="output file (default: stdout)")
    p.set_defaults(run=_translate)

    p = verbs.add_parser("evaluate", help="BLEU and chrF of a model on a test set",
                         description="Translate --src and score it against --ref: sacreBLEU BLEU and chrF with "
                                     "signatures, and the tutorials' tokenised lowercased BLEU.")
    _decode_options(p)
    p.add_argument("--src", type=Path, required=True, help="source sentences, plain or .gz")
    p.add_argument("--ref", type=Path, required=True, help="reference translations, plain or .gz")
    p.add_argument("--hyp-out", type=Path, help="also write the translations here")
    p.add_argument("--json", dest="json_out", type=Path, help="also write the scores here as JSON")
    p.set_defaults(run=_evaluate)

    p = verbs.add_parser("benchmark", help="compare embeddings over a grid of seeds, sizes and datasets",
                         description="Run a benchmark suite (a built-in name: smoke, quick, multi30k-en-fr, low-resource; "
                                     "or a TOML file). Rerunning the same command resumes it.")
    p.add_argument("suite", help="built-in suite name or suite TOML file")
    p.add_argument("--out", type=Path, help="results folder (default: results/SUITE)")
    p.add_argument("--workers", type=int, default=1, help="cells trained side by side, one CPU thread each")
    p.add_argument("--report-only", action="store_true", help="rewrite the report from the folder's results.jsonl")
    p.add_argument("--recreate", action="store_true",
                   help="re-train the finished cells whose model folder is gone (runs/ is not in git) from their "
                        "saved config and seed; cells also re-train when a new test set needs their model")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a suite value, e.g. --set base.train.epochs=2 --set suite.seeds=[1] (repeatable)")
    p.set_defaults(run=_benchmark)

    p = verbs.add_parser("embeddings", help="list installed embedding plugins")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", help="name, package, version, status and description of each plugin").set_defaults(
        run=_embeddings_list)
    return parser


def _decode_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", type=Path, help="a model folder made by `s2s-embed train`")
    p.add_argument("--beam", type=int, help="beam size; 1 = greedy (default: the model's decode.beam_size)")
    p.add_argument("--max-len", type=int, help="longest output in tokens")
    p.add_argument("--batch-size", type=int, help="sentences per batch")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--quiet", action="store_true")


def _translator(args):
    from s2s_embed.translate import Translator

    for name in ("beam", "max_len", "batch_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise S2SError(f"--{name.replace('_', '-')} = {value} must be at least 1.")
    return Translator.from_folder(args.model, args.device, beam_size=args.beam, max_len=args.max_len,
                                  batch_size=args.batch_size)


def _train(args) -> int:
    from s2s_embed import config
    from s2s_embed.train import train

    cfg = config.load(args.config, args.overrides)
    result = train(cfg, resume=args.resume, overwrite=args.overwrite, progress=not args.quiet and sys.stderr.isatty())
    print(f"Best epoch {result.best_epoch} (valid loss {result.best_valid_loss:.3f}); model folder: {result.folder}")
    return 0


def _translate(args) -> int:
    from s2s_embed.data.corpus import read_lines

    translator = _translator(args)
    lines = read_lines(args.input) if args.input else [line.rstrip("\n") for line in sys.stdin]
    text = "".join(t + "\n" for t in translator.translate(lines))
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _evaluate(args) -> int:
    from s2s_embed.data.corpus import read_lines
    from s2s_embed.translate import evaluate_translator

    translator = _translator(args)
    scores, hyps = evaluate_translator(translator, read_lines(args.src), read_lines(args.ref))
    if args.hyp_out:
        args.hyp_out.write_text("".join(h + "\n" for h in hyps), encoding="utf-8")
    if args.json_out:
        args.json_out.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
    print(f"BLEU {scores['bleu']:.2f}  chrF {scores['chrf']:.2f}  "
          f"(tokenised lowercased BLEU, as the PyTorch tutorials report: {scores['bleu_tok_lc']:.2f})")
    print(f"BLEU signature: {scores['bleu_signature_str']}")
    print(f"chrF signature: {scores['chrf_signature_str']}")
    return 0


def _benchmark(args) -> int:
    from s2s_embed.benchmark import run_suite, write_report

    if args.workers < 1:
        raise S2SError(f"--workers = {args.workers} must be at least 1.")
    out = args.out or Path("results") / Path(args.suite).stem
    if args.report_only:
        write_report(out)
    else:
        run_suite(args.suite, out, args.workers, overrides=args.overrides, recreate=args.recreate)
    return 0


def _embeddings_list(args) -> int:
    from s2s_embed.embeddings.registry import format_plugin_table, list_plugins

    print(format_plugin_table(list_plugins()))
    return 0
