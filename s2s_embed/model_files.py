"""The file names of a model folder, defined once (and importable without torch, for the spaCy component)."""

CONFIG, SRC_VOCAB, TRG_VOCAB, EMBEDDINGS = "config.json", "src_vocab.json", "trg_vocab.json", "embeddings.json"
COVERAGE, WEIGHTS, CHECKPOINT, METRICS, SUMMARY = "coverage.json", "model.pt", "last.pt", "metrics.jsonl", "summary.json"
DIGESTS = "digests.json"
