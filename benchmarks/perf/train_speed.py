"""Training speed: our trainer against a loop written the way the PyTorch seq2seq tutorial writes it.

Both train the tutorial's model (2-layer LSTM, embedding 256, hidden 512,
dropout 0.5, teacher forcing 0.5, batch 128, Adam, clip 1.0) on the same
Multi30K de->en pairs for the same number of batches, alternating A/B/A/B so
that machine noise hits both. Reported: target tokens per second (real
tokens, no padding), the ratio, and the fraction of this machine's measured
fp32 matmul FLOP/s that our trainer achieves.

    python benchmarks/perf/train_speed.py [--batches 24] [--save benchmarks/results/perf/train_speed.json]

Last line: `speedup <ours / reference tokens per second>`.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MULTI30K, save  # noqa: E402

from s2s_embed import config  # noqa: E402
from s2s_embed.data.batching import make_batches  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=24, help="batches per timed round")
    parser.add_argument("--rounds", type=int, default=2, help="A/B rounds")
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
    ours = build_model(cfg.model, nn.Embedding(V_src, EMB, padding_idx=PAD_ID),
                       nn.Embedding(V_trg, EMB, padding_idx=PAD_ID), V_trg)
    ours_opt = torch.optim.Adam(ours.parameters())
    print(f"parameters: reference {sum(p.numel() for p in ref.parameters()):,}, ours {sum(p.numel() for p in ours.parameters()):,}")

    ref_batches = reference_batches(data.train, args.batches)
    all_ours = make_batches(data.train, BATCH, seed=0)
    run_reference(ref, ref_opt, ref_batches[:2])  # warm-up
    train_epoch(ours, ours_opt, all_ours[:2], cfg, torch.device("cpu"), progress=False)
    totals = {"reference": [0, 0.0], "ours": [0, 0.0]}
    for r in range(args.rounds):
        tok, sec = run_reference(ref, ref_opt, ref_batches)
        totals["reference"][0] += tok
        totals["reference"][1] += sec
        chosen = all_ours[r * args.batches:(r + 1) * args.batches]
        started = time.perf_counter()
        _, tok = train_epoch(ours, ours_opt, chosen, cfg, torch.device("cpu"), progress=False)
        totals["ours"][0] += tok
        totals["ours"][1] += time.perf_counter() - started
        print(f"round {r + 1}: reference {totals['reference'][0] / totals['reference'][1]:,.0f} tok/s, "
              f"ours {totals['ours'][0] / totals['ours'][1]:,.0f} tok/s (cumulative)")
    ref_tps, our_tps = (t / s for t, s in totals.values())
    src_per_trg = sum(len(s) for s, _ in data.train) / sum(len(t) + 1 for _, t in data.train)
    peak = matmul_flops()
    achieved = our_tps * model_flops_per_target_token(src_per_trg, V_trg)
    print(f"reference {ref_tps:,.0f} target tok/s; ours {our_tps:,.0f} target tok/s")
    print(f"matmul peak {peak / 1e9:.1f} GFLOP/s; ours achieves {achieved / 1e9:.1f} GFLOP/s = {achieved / peak:.1%} of it")
    save(args.save, {"reference_tokens_per_s": ref_tps, "ours_tokens_per_s": our_tps, "speedup": our_tps / ref_tps,
                     "matmul_gflops": peak / 1e9, "ours_gflops": achieved / 1e9, "batches": args.batches,
                     "rounds": args.rounds, "config": cfg.to_dict()})
    print(f"speedup {our_tps / ref_tps:.2f}")


if __name__ == "__main__":
    main()
