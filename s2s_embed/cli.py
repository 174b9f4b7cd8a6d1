"""The `s2s-embed` command: argument parsing only; each verb calls one function."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from s2s_embed import __version__
from s2s_embed.devices import DEVICES
from s2s_embed.errors import S2SError

DESCRIPTION = """Compare word embeddings in one LSTM encoder-decoder: train a model, translate with it,
score it, and benchmark embeddings against each other over seeds, sizes and datasets."""
EPILOG = "Start with: s2s-embed train configs/example.toml. Each verb has its own --help."


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    handler = logging.StreamHandler()
    handler.setFormatter(_ReadableFormatter())
    logging.basicConfig(level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO, handlers=[handler])
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


class _ReadableFormatter(logging.Formatter):
    """Information as plain sentences; warnings and errors say so first."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if record.levelno <= logging.INFO else f"{record.levelname.lower()}: {text}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="s2s-embed", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"s2s-embed {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("train", help="train a model from a TOML config",
                         description="Train a model from a TOML config; the model folder is train.out_dir.")
    p.add_argument("config", nargs="?", help="TOML config file (default: built-in defaults)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set train.epochs=5 (repeatable)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in train.out_dir")
    p.add_argument("--overwrite", action="store_true", help="delete train.out_dir and start again")
    p.add_argument("--quiet", action="store_true", help="no progress bar, and only warnings and errors in the log")
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
                         description="Run a benchmark suite (a built-in name: smoke, quick, multi30k-en-fr, "
                                     "converged-en-fr, low-resource; or a TOML file). Rerunning the same command "
                                     "resumes it.")
    p.add_argument("suite", help="built-in suite name or suite TOML file")
    p.add_argument("--out", type=Path, help="results folder (default: results/SUITE)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="cells trained side by side, one CPU thread each (default: the number of CPUs, "
                        f"{os.cpu_count() or 1} here)")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="where cells run: a local process pool (default) or a Dask cluster (docs/cluster.md; "
                        "pip install 's2s-embed[cluster]')")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --executor dask: the scheduler, e.g. tcp://sched.lab:8786 (default: a local cluster "
                        "of --workers processes on 127.0.0.1)")
    p.add_argument("--report-only", action="store_true", help="rewrite the report from the folder's results.jsonl")
    p.add_argument("--recreate", action="store_true",
                   help="re-train the finished cells whose model folder is gone (runs/ is not in git) from their "
                        "saved config and seed; cells also re-train when a new test set needs their model")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a suite value, e.g. --set base.train.epochs=2 --set suite.seeds=[1] (repeatable)")
    p.set_defaults(run=_benchmark)

    p = verbs.add_parser("embeddings", help="list installed embedding plugins")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", help="name, package, version, status and description of each plugin; exit status 1 "
                                "when a plugin has status error or conflict").set_defaults(
        run=_embeddings_list)

    p = verbs.add_parser("corpus", help="write the built-in English-French corpus as text files")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    e = sub.add_parser("export", help="train/valid/test of the built-in corpus as aligned .en and .fr files",
                       description="Write DIR/{train,valid,test}.{en,fr}: what data.corpus = \"synthetic\" with "
                                   "this synthetic_size and synthetic_seed trains and validates on, and a test set "
                                   "whose sentences occur in neither (the benchmark's synthetic test set).")
    e.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the six files")
    e.add_argument("--size", type=int, metavar="N", help="training pairs, as data.synthetic_size (default: its default)")
    e.add_argument("--seed", type=int, metavar="S", help="as data.synthetic_seed (default: its default)")
    e.add_argument("--test-size", type=int, default=1000, metavar="N", help="test pairs (default: 1000)")
    e.set_defaults(run=_corpus_export)

    p = verbs.add_parser("cache", help="show or free the cache of vectors, corpora and downloads",
                         description="The cache folder ($S2S_EMBED_CACHE, else ~/.cache/s2s-embed) keeps aligned "
                                     "vectors, trained vectors, generated corpora and Multi30K downloads. "
                                     "Everything in it is made again when needed.")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", help="each part of the cache: files, size, what it holds").set_defaults(run=_cache_list)
    c = sub.add_parser("clear", help="delete parts of the cache (all of them by default)")
    c.add_argument("parts", nargs="*", metavar="PART", help="vectors, word2vec, fasttext, corpora or multi30k")
    c.set_defaults(run=_cache_clear)
    return parser


def _decode_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", type=Path, help="a model folder made by `s2s-embed train`")
    p.add_argument("--beam", type=int, help="beam size; 1 = greedy (default: the model's decode.beam_size)")
    p.add_argument("--max-len", type=int, help="longest output in tokens")
    p.add_argument("--batch-size", type=int, help="sentences per batch")
    p.add_argument("--device", default="auto", choices=DEVICES,
                   help="where the model runs; auto = CUDA when available, else CPU (default: auto)")
    p.add_argument("--quiet", action="store_true", help="log only warnings and errors")


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
    from s2s_embed.data.corpus import decode_lines, read_lines

    _check_output("--output", args.output)
    lines = read_lines(args.input) if args.input else decode_lines(sys.stdin.buffer.read(), "stdin")
    translator = _translator(args)
    text = "".join(t + "\n" for t in translator.translate(lines))
    if args.output:
        _write_output("--output", args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def _evaluate(args) -> int:
    from s2s_embed.data.corpus import read_lines
    from s2s_embed.translate import evaluate_translator

    _check_output("--hyp-out", args.hyp_out)
    _check_output("--json", args.json_out)
    sources, refs = read_lines(args.src), read_lines(args.ref)
    translator = _translator(args)
    scores, hyps = evaluate_translator(translator, sources, refs)
    if args.hyp_out:
        _write_output("--hyp-out", args.hyp_out, "".join(h + "\n" for h in hyps))
    if args.json_out:
        _write_output("--json", args.json_out, json.dumps(scores, indent=2) + "\n")
    print(f"BLEU {scores['bleu']:.2f}  chrF {scores['chrf']:.2f}  "
          f"(tokenised lowercased BLEU, as the PyTorch tutorials report: {scores['bleu_tok_lc']:.2f})")
    if scores["truncated"]:
        print(f"{scores['truncated']} of {scores['n_sentences']} translations were cut at --max-len "
              f"{scores['decode']['max_len']} tokens.")
    print(f"BLEU signature: {scores['bleu_signature_str']}")
    print(f"chrF signature: {scores['chrf_signature_str']}")
    return 0


def _check_output(option: str, path: Path | None) -> None:
    """Refuse an output path that cannot be written, before any work is done."""
    if path is None:
        return
    if path.is_dir():
        raise S2SError(f"{option} {path} is a folder. Give a file to write, e.g. {option} {path / 'out.txt'}.")
    folder = path.parent
    if not folder.is_dir():
        raise S2SError(f"{option} {path}: the folder {folder} does not exist. Create it first, or choose another "
                       f"{option}.")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise S2SError(f"{option} {path} cannot be written (no permission). Choose another {option}.")


def _write_output(option: str, path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise S2SError(f"{option} {path} could not be written: {exc.strerror or exc}.") from None


def _benchmark(args) -> int:
    from s2s_embed.benchmark import run_suite, write_report

    if args.workers < 1:
        raise S2SError(f"--workers = {args.workers} must be at least 1.")
    out = args.out or Path("results") / Path(args.suite).stem
    if args.report_only:
        if not Path(out).is_dir():
            write_report(out)  # its error says what a results folder holds
        from s2s_embed.lock import folder_lock

        with folder_lock(out, "--out"):  # not while a runner appends to the same folder
            write_report(out)
    else:
        run_suite(args.suite, out, args.workers, overrides=args.overrides, recreate=args.recreate,
                  executor=args.executor, scheduler=args.scheduler)
    return 0


def _embeddings_list(args) -> int:
    from s2s_embed.embeddings.registry import format_plugin_table, list_plugins

    infos = list_plugins()
    print(format_plugin_table(infos))
    broken = [i for i in infos if i.status.startswith(("error", "conflict"))]
    if broken:
        shown = ", ".join(f"'{i.name}' from {i.package} ({i.status.split(':')[0]})" for i in broken)
        print(f"error: {len(broken)} plugin{'s' * (len(broken) > 1)} cannot be used: {shown}. Fix, upgrade or "
              f"uninstall {'them' if len(broken) > 1 else 'it'} (a conflict: name the package in the config, as "
              f"\"package:name\"). 'unavailable' rows only need their optional dependency.", file=sys.stderr)
        return 1
    return 0


def _corpus_export(args) -> int:
    from s2s_embed.config import DataConfig
    from s2s_embed.data.synthetic_files import export_corpus

    size = DataConfig.synthetic_size if args.size is None else args.size
    seed = DataConfig.synthetic_seed if args.seed is None else args.seed
    for name, value in (("size", size), ("test-size", args.test_size)):
        if value < 1:
            raise S2SError(f"--{name} = {value} must be at least 1.")
    for exported in export_corpus(args.out, size, seed, args.test_size):
        print(f"{exported.path}  {exported.lines:,} lines")
    return 0


def _cache_list(args) -> int:
    from s2s_embed.cache import cache_parts, default_cache_dir, format_size

    parts = cache_parts()
    print(f"cache folder: {default_cache_dir()}")
    for part in parts:
        print(f"  {part.kind:<9} {part.files:>6} files {format_size(part.bytes):>9}  {part.description}")
    print(f"  {'total':<9} {sum(p.files for p in parts):>6} files {format_size(sum(p.bytes for p in parts)):>9}")
    return 0


def _cache_clear(args) -> int:
    from s2s_embed.cache import clear_cache, format_size

    freed = clear_cache(args.parts)
    for part in freed:
        print(f"deleted {part.path} ({part.files} files, {format_size(part.bytes)})")
    print(f"freed {format_size(sum(p.bytes for p in freed))}")
    return 0
