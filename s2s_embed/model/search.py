"""Decoding: batched greedy search and batched beam search with length normalisation.

Both start every sentence at <sos> and end it at <eos> (or at `max_len`).
They return token ids without <sos>/<eos>.
"""
from __future__ import annotations

import torch

from s2s_embed.data.vocab import EOS_ID, SOS_ID
from s2s_embed.model.decoder import Memory, State
from s2s_embed.model.seq2seq import Seq2Seq


@torch.no_grad()
def greedy(model: Seq2Seq, src: torch.Tensor, src_lens: torch.Tensor, max_len: int) -> list[list[int]]:
    """Feed each step's most likely token back in, for the whole batch at once."""
    memory, state = model.encode(src, src_lens)
    B = src.size(0)
    prev = torch.full((B,), SOS_ID, dtype=torch.long, device=src.device)
    done = torch.zeros(B, dtype=torch.bool, device=src.device)
    steps = []
    for _ in range(max_len):
        features, state = model.decoder.step(prev, state, memory)
        prev = model.logits(features).argmax(-1)  # (B,)
        steps.append(prev)
        done |= prev == EOS_ID
        if done.all():
            break
    return [_until_eos(row) for row in torch.stack(steps, dim=1).tolist()]


@torch.no_grad()
def beam_search(model: Seq2Seq, src: torch.Tensor, src_lens: torch.Tensor, max_len: int,
                beam_size: int, length_penalty: float = 1.0) -> list[list[int]]:
    """Keep the `beam_size` best prefixes per sentence; a finished hypothesis scores log p / length**penalty.

    The live sentences x K beams run as one batch of rows. Each step takes the
    2K best extensions per sentence: those ending in <eos> become finished
    hypotheses, the best K others live on. A sentence is done when it holds K
    finished hypotheses or no live beam is left; its rows then leave the
    batch, so the steps after it cost only what the others need.
    """
    memory, state = model.encode(src, src_lens)
    B, K, device = src.size(0), beam_size, src.device
    rows = torch.arange(B, device=device).repeat_interleave(K)  # sentence of each row
    memory, state = memory.index_select(rows), _select_state(state, rows)
    scores = torch.full((B, K), float("-inf"), device=device)
    scores[:, 0] = 0.0  # at the start all K beams hold the same prefix: keep one
    tokens = torch.full((B * K, 0), SOS_ID, dtype=torch.long, device=device)
    prev = torch.full((B * K,), SOS_ID, dtype=torch.long, device=device)
    finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(B)]
    live = list(range(B))  # the sentences still in the batch, in row order
    results: list[list[int] | None] = [None] * B
    for t in range(1, max_len + 1):
        n = len(live)
        features, state = model.decoder.step(prev, state, memory)
        log_probs = torch.log_softmax(model.logits(features), dim=-1)  # (n*K, V)
        V = log_probs.size(-1)
        candidates = (scores.view(-1, 1) + log_probs).view(n, K * V)
        top_scores, top_ids = candidates.topk(2 * K, dim=1)  # (n, 2K)
        beam, token = top_ids // V, top_ids % V
        _collect_finished([finished[b] for b in live], top_scores, beam, token, tokens.view(n, K, -1), t,
                          length_penalty, K)
        live_scores, keep = _best_live(top_scores, token, K)  # (n, K)
        origin = (beam.gather(1, keep) + torch.arange(n, device=device).unsqueeze(1) * K).view(-1)  # (n*K,)
        prev = token.gather(1, keep).view(-1)
        tokens = torch.cat([tokens.index_select(0, origin), prev.unsqueeze(1)], dim=1)
        state, scores = _select_state(state, origin), live_scores
        going = [i for i, b in enumerate(live) if not _is_done(finished[b], scores[i, 0].item(), K)]
        if len(going) == n:
            continue
        for i in sorted(set(range(n)) - set(going)):
            results[live[i]] = _best(finished[live[i]], tokens.view(n, K, -1)[i, 0].tolist())
        if not going:
            break
        index = torch.tensor(going, device=device)
        row_index = (index.unsqueeze(1) * K + torch.arange(K, device=device)).view(-1)
        memory, state = memory.index_select(row_index), _select_state(state, row_index)
        tokens, prev, scores = tokens.index_select(0, row_index), prev.index_select(0, row_index), scores[index]
        live = [live[i] for i in going]
    for i, b in enumerate(live):
        if results[b] is None:  # max_len reached
            results[b] = _best(finished[b], tokens.view(len(live), K, -1)[i, 0].tolist())
    return results


def _select_state(state: State, index: torch.Tensor) -> State:
    h, c = state  # (L, rows, H)
    return h.index_select(1, index), c.index_select(1, index)


def _collect_finished(finished, top_scores, beam, token, prefixes, t, length_penalty, K) -> None:
    """Move candidates that end in <eos> among each sentence's K best into `finished` (one list per row of them)."""
    ends = (token[:, :K] == EOS_ID) & torch.isfinite(top_scores[:, :K])
    for b, k in ends.nonzero().tolist():
        hyp = prefixes[b, beam[b, k]].tolist()
        finished[b].append((top_scores[b, k].item() / t ** length_penalty, hyp))


def _best_live(top_scores: torch.Tensor, token: torch.Tensor, K: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of the K best candidates that do not end in <eos>, per sentence."""
    masked = top_scores.masked_fill(token == EOS_ID, float("-inf"))
    return masked.topk(K, dim=1)


def _is_done(finished, best_live: float, K: int) -> bool:
    """A sentence is done once it holds K finished hypotheses, or no live beam is left."""
    return len(finished) >= K or best_live == float("-inf")


def _best(finished, live_tokens: list[int]) -> list[int]:
    if finished:
        return max(finished, key=lambda f: f[0])[1]
    return live_tokens  # nothing reached <eos> within max_len


def _until_eos(ids: list[int]) -> list[int]:
    return ids[: ids.index(EOS_ID)] if EOS_ID in ids else ids
