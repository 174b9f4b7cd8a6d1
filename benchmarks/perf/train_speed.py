"""Training speed: our trainer against a loop written the way the PyTorch seq2seq tutorial writes it.

Both train the tutorial's model (2-layer LSTM, embedding 256, hidden 512,
dropout 0.5, teacher forcing 0.5, batch 128, Adam, clip 1.0) on the same
Multi30K de->en pairs for the same number of batches, alternating the arms
round by round so that machine noise hits all of them. Ours runs twice, from
the same weights:

    before  every batch packed, on length-bucketed batches (train.exact_lengths = false)
    after   batches of one source length run unpacked, on exact-length batches (train.exact_lengths = true)

Reported: target tokens per second (real tokens, no padding), each arm's
ratio to the reference, after / before, and the fraction of this machine's
measured fp32 matmul FLOP/s that the after arm achieves. `--loss-check N`
first trains before and after from the same weights and seed for N batches,
and before again with another seed (the noise to judge the difference by),
and prints the per-batch losses in windows.

    python benchmarks/perf/train_speed.py [--batches 24] [--rounds 2] [--loss-check 0] [--save out.json]

Last lines: `speedup-before <before / reference>`, then `speedup <after / reference>`.
"""
from __future__ import annotations

import argparse
import copy
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MULTI30K, save  # noqa: E402

from s2s_embed import config  # noqa: E402
from s2s_embed.data.batching import Batch, make_batches  # noqa: E402
from s2s_embed.data.dataset import prepare  # noqa: E402
from s2s_embed.data.vocab import EOS_ID, PAD_ID, SOS_ID  # noqa: E402
from s2s_embed.model import build_model  # noqa: E402
from s2s_embed.train import train_epoch  # noqa: E402

EMB, HID, LAYERS, DROPOUT, TF, BATCH = 256, 512, 2, 0.5, 0.5, 128


# --- (a) the reference, as the tutorial writes it: time-major tensors, a Python loop over decoder steps ---
class RefEncoder(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embedding, self.rnn, self.dropout = nn.Embedding(vocab, EMB), nn.LSTM(EMB, HID, LAYERS, dropout=DROPOUT), nn.Dropout(DROPOUT)

    def forward(self, src):  # src (S, B)
        _, (hidden, cell) = self.rnn(self.dropout(self.embedding(src)))
        return hidden, cell


class RefDecoder(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.output_dim = vocab
        self.embedding, self.rnn = nn.Embedding(vocab, EMB), nn.LSTM(EMB, HID, LAYERS, dropout=DROPOUT)
        self.fc_out, self.dropout = nn.Linear(HID, vocab), nn.Dropout(DROPOUT)

    def forward(self, inp, hidden, cell):  # inp (B,)
        output, (hidden, cell) = self.rnn(self.dropout(self.embedding(inp.unsqueeze(0))), (hidden, cell))
        return self.fc_out(output.squeeze(0)), hidden, cell


class RefSeq2Seq(nn.Module):
    def __init__(self, src_vocab, trg_vocab):
        super().__init__()
        self.encoder, self.decoder = RefEncoder(src_vocab), RefDecoder(trg_vocab)

    def forward(self, src, trg, teacher_forcing_ratio):  # (S, B), (T, B)
        T, B = trg.shape
        outputs = torch.zeros(T, B, self.decoder.output_dim)
        hidden, cell = self.encoder(src)
        inp = trg[0, :]
        for t in range(1, T):
            output, hidden, cell = self.decoder(inp, hidden, cell)
            outputs[t] = output
            inp = trg[t] if random.random() < teacher_forcing_ratio else output.argmax(1)
        return outputs


def reference_batches(pairs, n):
    """Random batches (no bucketing), padded time-major as the tutorial's collate does.

    The source gets no <sos>/<eos> here (the tutorial adds them), so both loops encode the same tokens.
    """
    rng = random.Random(0)
    out = []
    for _ in range(n):
        chosen = rng.sample(pairs, BATCH)
        src = nn.utils.rnn.pad_sequence([torch.tensor(s) for s, _ in chosen], padding_value=PAD_ID)
        trg = nn.utils.rnn.pad_sequence([torch.tensor([SOS_ID, *t, EOS_ID]) for _, t in chosen], padding_value=PAD_ID)
        out.append((src, trg))
    return out


def run_reference(model, optimizer, batches) -> tuple[int, float]:
    model.train()
    criterion = nn.CrossEntropyLoss(ignore_index=PAD_ID)
    tokens, started = 0, time.perf_counter()
    for src, trg in batches:
        optimizer.zero_grad()
        output = model(src, trg, TF)
        V = output.shape[-1]
        loss = criterion(output[1:].view(-1, V), trg[1:].reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        tokens += int((trg[1:] != PAD_ID).sum())
    return tokens, time.perf_counter() - started


def matmul_flops(size=1024, repeats=20) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(repeats):
            a @ b
        best = min(best, time.perf_counter() - started)
    return 2 * size ** 3 * repeats / best


def model_flops_per_target_token(src_tokens_per_trg: float, vocab: int) -> float:
    """Training FLOPs (forward + backward = 3x forward) of the matmuls, per target token."""
    lstm = lambda inp: 4 * HID * (inp + HID)  # noqa: E731  MACs per token per layer
    enc = sum(lstm(EMB if i == 0 else HID) for i in range(LAYERS))
    dec = enc + HID * vocab
    return 3 * 2 * (enc * src_tokens_per_trg + dec)


# --- (b) ours, before and after: the encoder's packing and the batches' composition ---
@dataclass
class Arm:
    """One way of running our trainer: its model, optimizer and batches, and the time it took so far."""

    name: str
    model: nn.Module
    optimizer: torch.optim.Optimizer
    batches: list[Batch]
    tokens: int = 0
    seconds: float = 0.0
    one_length: int = 0  # timed batches whose sources all have one length (the encoder runs them unpacked)

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds


def our_arm(name: str, start: nn.Module, pairs, seed: int) -> Arm:
    """`before` packs every batch, on bucketed batches; `after` runs one-length batches unpacked, on exact-length
    batches. Both from the weights of `start`."""
    model = copy.deepcopy(start)
    model.encoder.always_pack = name == "before"
    batches = make_batches(pairs, BATCH, seed=seed, exact=name == "after")
    return Arm(name, model, torch.optim.Adam(model.parameters()), batches)


def time_arm(arm: Arm, batches: list[Batch], cfg) -> None:
    started = time.perf_counter()
    _, tokens = train_epoch(arm.model, arm.optimizer, batches, cfg, torch.device("cpu"), progress=False)
    arm.seconds += time.perf_counter() - started
    arm.tokens += tokens
    arm.one_length += sum(bool((b.src_lens == b.src.shape[1]).all()) for b in batches)


@dataclass(frozen=True)
class LossCurve:
    """Loss per target token of each training batch, in order."""

    name: str
    losses: tuple[float, ...] = field(repr=False)

    def windows(self, size: int) -> list[float]:
        return [statistics.fmean(self.losses[i:i + size]) for i in range(0, len(self.losses), size)]

    def to_json(self) -> dict:
        return {"name": self.name, "losses": list(self.losses)}


def loss_curve(name: str, start: nn.Module, pairs, cfg, seed: int, n: int) -> LossCurve:
    """Train a fresh copy of `start` for n batches from `seed` (batch order, dropout, teacher forcing)."""
    arm = our_arm(name, start, pairs, seed)
    torch.manual_seed(seed)
    losses = tuple(train_epoch(arm.model, arm.optimizer, [b], cfg, torch.device("cpu"), progress=False)[0]
                   for b in arm.batches[:n])
    return LossCurve(f"{name}, seed {seed}", losses)


def loss_check(start: nn.Module, pairs, cfg, n: int) -> dict:
    """before and after on seed 0, and before on seed 1: after's distance from before, against seed 1's."""
    before, after, other = (loss_curve(name, start, pairs, cfg, seed, n)
                            for name, seed in (("before", 0), ("after", 0), ("before", 1)))
    size = max(1, n // 10)
    rows = list(zip(*(c.windows(size) for c in (before, after, other))))
    print(f"loss check: {n} batches, mean loss per target token in windows of {size} batches")
    print(f"  {'batches':>11}  {before.name:>15}  {after.name:>15}  {other.name:>15}")
    for i, row in enumerate(rows):
        print(f"  {i * size + 1:>5}-{min(n, (i + 1) * size):<5}  " + "  ".join(f"{v:>15.4f}" for v in row))
    gap = statistics.fmean(abs(a - b) for b, a, _ in rows)
    noise = statistics.fmean(abs(o - b) for b, _, o in rows)
    print(f"  mean |after - before| per window {gap:.4f}; mean |before seed 1 - before seed 0| {noise:.4f}")
    return {"batches": n, "window": size, "after_vs_before": gap, "seed_vs_seed": noise,
            "curves": [c.to_json() for c in (before, after, other)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=24, help="batches per timed round and arm")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of reference, before, after")
    parser.add_argument("--loss-check", type=int, default=0, metavar="N",
                        help="first compare before's and after's loss over N batches from one seed (0 = skip)")
    parser.add_argument("--save", help="write the figures, machine and commit as JSON here")
    args = parser.parse_args()

    overrides = ["data.corpus='multi30k'", f"data.multi30k_root='{MULTI30K}'", "data.src_lang='de'", "data.trg_lang='en'",
                 "data.max_len=1000", f"train.batch_size={BATCH}", f"train.teacher_forcing={TF}",
                 f"model.hidden_size={HID}", f"model.num_layers={LAYERS}", f"model.dropout={DROPOUT}"]
    if not MULTI30K.exists():
        overrides = ["data.corpus='synthetic'", "data.synthetic_size=8000", *overrides[4:]]
    cfg = config.load(None, overrides)
    data = prepare(cfg.data)
    V_src, V_trg = len(data.src_vocab), len(data.trg_vocab)
    print(f"data: {len(data.train)} pairs, vocab {V_src}/{V_trg}; torch threads {torch.get_num_threads()}")

    torch.manual_seed(0)
    ref = RefSeq2Seq(V_src, V_trg)
    ref_opt = torch.optim.Adam(ref.parameters())
    start = build_model(cfg.model, nn.Embedding(V_src, EMB, padding_idx=PAD_ID),
                        nn.Embedding(V_trg, EMB, padding_idx=PAD_ID), V_trg)
    print(f"parameters: reference {sum(p.numel() for p in ref.parameters()):,}, ours {sum(p.numel() for p in start.parameters()):,}")
    checked = loss_check(start, data.train, cfg, args.loss_check) if args.loss_check > 0 else None

    ref_batches = reference_batches(data.train, args.batches)
    arms = [our_arm(name, start, data.train, seed=0) for name in ("before", "after")]
    run_reference(ref, ref_opt, ref_batches[:2])  # warm-up
    for arm in arms:
        train_epoch(arm.model, arm.optimizer, arm.batches[-2:], cfg, torch.device("cpu"), progress=False)
    ref_tokens, ref_seconds = 0, 0.0
    for r in range(args.rounds):
        tok, sec = run_reference(ref, ref_opt, ref_batches)
        ref_tokens, ref_seconds = ref_tokens + tok, ref_seconds + sec
        for arm in arms if r % 2 == 0 else arms[::-1]:
            time_arm(arm, arm.batches[r * args.batches:(r + 1) * args.batches], cfg)
        print(f"round {r + 1}: reference {ref_tokens / ref_seconds:,.0f} tok/s, "
              + ", ".join(f"{arm.name} {arm.tokens_per_s:,.0f} tok/s" for arm in arms) + " (cumulative)")
    ref_tps = ref_tokens / ref_seconds
    before, after = arms
    src_per_trg = sum(len(s) for s, _ in data.train) / sum(len(t) + 1 for _, t in data.train)
    peak = matmul_flops()
    achieved = after.tokens_per_s * model_flops_per_target_token(src_per_trg, V_trg)
    timed = args.rounds * args.batches
    print(f"reference {ref_tps:,.0f} target tok/s; " + "; ".join(
        f"{arm.name} {arm.tokens_per_s:,.0f} target tok/s ({arm.one_length} of {timed} batches of one source length)"
        for arm in arms))
    print(f"after / before {after.tokens_per_s / before.tokens_per_s:.3f}")
    print(f"matmul peak {peak / 1e9:.1f} GFLOP/s; after achieves {achieved / 1e9:.1f} GFLOP/s = {achieved / peak:.1%} of it")
    save(args.save, {"reference_tokens_per_s": ref_tps, "ours_tokens_per_s": after.tokens_per_s,
                     "speedup": after.tokens_per_s / ref_tps,
                     "arms": {arm.name: {"tokens_per_s": arm.tokens_per_s, "speedup": arm.tokens_per_s / ref_tps,
                                         "one_length_batches": arm.one_length} for arm in arms},
                     "after_over_before": after.tokens_per_s / before.tokens_per_s, "loss_check": checked,
                     "matmul_gflops": peak / 1e9, "ours_gflops": achieved / 1e9, "batches": args.batches,
                     "rounds": args.rounds, "config": cfg.to_dict()})
    print(f"speedup-before {before.tokens_per_s / ref_tps:.2f}")
    print(f"speedup {after.tokens_per_s / ref_tps:.2f}")


if __name__ == "__main__":
    main()
