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

    All B sentences x K beams run as one batch of B*K rows. Each step takes the
    2K best extensions per sentence: those ending in <eos> become finished
    hypotheses, the best K others live on. A sentence is done when its best
    finished score beats what its best live beam could still reach.
    """
    memory, state = model.encode(src, src_lens)
    B, K, device = src.size(0), beam_size, src.device
    rows = torch.arange(B, device=device).repeat_interleave(K)  # (B*K,) sentence of each row
    memory, state = memory.index_select(rows), _select_state(state, rows)
    scores = torch.full((B, K), float("-inf"), device=device)
    scores[:, 0] = 0.0  # at the start all K beams hold the same prefix: keep one
    tokens = torch.full((B * K, 0), SOS_ID, dtype=torch.long, device=device)
    prev = torch.full((B * K,), SOS_ID, dtype=torch.long, device=device)
    finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(B)]
    for t in range(1, max_len + 1):
        features, state = model.decoder.step(prev, state, memory)
        log_probs = torch.log_softmax(model.logits(features), dim=-1)  # (B*K, V)
        V = log_probs.size(-1)
        candidates = (scores.view(-1, 1) + log_probs).view(B, K * V)
        top_scores, top_ids = candidates.topk(2 * K, dim=1)  # (B, 2K)
        beam, token = top_ids // V, top_ids % V
        _collect_finished(finished, top_scores, beam, token, tokens.view(B, K, -1), t, length_penalty, K)
        live_scores, keep = _best_live(top_scores, token, K)  # (B, K)
        origin = (beam.gather(1, keep) + torch.arange(B, device=device).unsqueeze(1) * K).view(-1)  # (B*K,)
        prev = token.gather(1, keep).view(-1)
        tokens = torch.cat([tokens.index_select(0, origin), prev.unsqueeze(1)], dim=1)
        state, scores = _select_state(state, origin), live_scores
        if all(_is_done(finished[b], scores[b, 0].item(), K) for b in range(B)):
            break
    return [_best(finished[b], tokens.view(B, K, -1)[b, 0].tolist()) for b in range(B)]


def _select_state(state: State, index: torch.Tensor) -> State:
    h, c = state  # (L, rows, H)
    return h.index_select(1, index), c.index_select(1, index)


def _collect_finished(finished, top_scores, beam, token, prefixes, t, length_penalty, K) -> None:
    """Move candidates that end in <eos> among each sentence's K best into `finished`."""
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
