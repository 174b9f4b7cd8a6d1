"""The LSTM encoder-decoder: the embedding seam, shapes, teacher forcing, greedy and beam search."""
import pytest
import torch
from torch import nn

from s2s_embed.config import ModelConfig
from s2s_embed.data.batching import pad
from s2s_embed.data.vocab import EOS_ID, PAD_ID, SOS_ID
from s2s_embed.errors import ConfigError, PluginError
from s2s_embed.model import attention, build_model
from s2s_embed.model.decoder import _gold_runs
from s2s_embed.model.search import beam_search, greedy


class OddEmbedding(nn.Module):
    """Not an nn.Embedding: a seam test that any (B, T) -> (B, T, dim) module works."""

    def __init__(self, vocab, dim):
        super().__init__()
        self.embedding_dim = dim
        self.table = nn.Parameter(torch.randn(vocab, dim))

    def forward(self, ids):
        return self.table[ids] * 2.0


def _model(attention="none", bidirectional=False, src_dim=12, trg_dim=20, hidden=16, layers=2, vocab=11):
    torch.manual_seed(0)
    cfg = ModelConfig(hidden_size=hidden, num_layers=layers, dropout=0.0, bidirectional=bidirectional, attention=attention)
    return build_model(cfg, OddEmbedding(vocab, src_dim), nn.Embedding(vocab, trg_dim, padding_idx=PAD_ID), vocab)


@pytest.mark.parametrize("attention", ["none", "bahdanau", "luong"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_forward_shapes_with_different_dims(attention, bidirectional):
    model = _model(attention, bidirectional)
    src = pad([[4, 5, 6], [7, 8]])
    trg_in = pad([[SOS_ID, 4, 5, 6], [SOS_ID, 9]])
    feats = model(src, torch.tensor([3, 2]), trg_in, teacher_forcing=0.5)
    assert feats.shape[:2] == (2, 4)
    assert model.logits(feats).shape == (2, 4, 11)


def test_an_attention_kind_is_added_in_one_place(monkeypatch):
    """A kind in attention.KINDS is a valid model.attention and builds a decoder that asks it, with no other edit."""

    class Doubled(attention.Luong):
        def after_rnn(self, decoder, out, context, memory):
            return 2.0 * super().after_rnn(decoder, out, context, memory)

    monkeypatch.setitem(attention.KINDS, "doubled", Doubled())
    ModelConfig(attention="doubled").check()
    doubled, luong = _model("doubled"), _model("luong")
    assert list(doubled.state_dict()) == list(luong.state_dict())
    src, lens, trg_in = pad([[4, 5, 6]]), torch.tensor([3]), torch.tensor([[SOS_ID, 7]])
    assert torch.allclose(doubled(src, lens, trg_in), 2.0 * luong(src, lens, trg_in))


def test_an_unknown_attention_kind_lists_the_kinds():
    with pytest.raises(ConfigError, match="Choose one of: none, bahdanau, luong"):
        ModelConfig(attention="bahdanu").check()


def test_context_vector_starts_the_decoder():
    model = _model()
    src = pad([[4, 5, 6]])
    memory, (h, c) = model.encode(src, torch.tensor([3]))
    assert h.shape == (2, 1, 16) and c.shape == (2, 1, 16)
    # without attention the decoder sees the source only through the context vector
    zero = (torch.zeros_like(h), torch.zeros_like(c))
    trg_in = torch.tensor([[SOS_ID]])
    with_ctx = model.decoder(trg_in, (h, c), memory)
    without = model.decoder(trg_in, zero, memory)
    assert not torch.allclose(with_ctx, without)


def test_bidirectional_state_is_both_directions_side_by_side():
    model = _model(bidirectional=True)
    _, (h, _) = model.encode(pad([[4, 5]]), torch.tensor([2]))
    assert h.shape == (2, 1, 32)


def test_seam_rejects_module_without_embedding_dim():
    with pytest.raises(PluginError, match="embedding_dim"):
        build_model(ModelConfig(), nn.Linear(3, 3), nn.Embedding(5, 4), 5)


def test_gold_runs_split_at_predicted_steps():
    assert _gold_runs([True, True, False, True, False, False]) == [(0, 2), (2, 4), (4, 5), (5, 6)]
    assert _gold_runs([True, True, True]) == [(0, 3)]


def test_teacher_forcing_one_equals_stepwise_decoding():
    """The one-call teacher-forced path computes what step-by-step decoding on gold inputs computes."""
    for attention in ("none", "luong", "bahdanau"):
        model = _model(attention).eval()
        src, lens = pad([[4, 5, 6]]), torch.tensor([3])
        trg_in = torch.tensor([[SOS_ID, 7, 8]])
        full = model(src, lens, trg_in, teacher_forcing=1.0)
        memory, state = model.encode(src, lens)
        steps = []
        for t in range(3):
            f, state = model.decoder.step(trg_in[:, t], state, memory)
            steps.append(f)
        assert torch.allclose(full, torch.stack(steps, 1), atol=1e-5), attention


def test_teacher_forcing_zero_feeds_predictions_back():
    model = _model().eval()
    src, lens = pad([[4, 5, 6]]), torch.tensor([3])
    trg_in = torch.tensor([[SOS_ID, 7, 8, 9]])
    own = model(src, lens, trg_in, teacher_forcing=0.0)
    # the same as decoding greedily: each step reads the previous argmax
    memory, state = model.encode(src, lens)
    prev, steps = torch.tensor([SOS_ID]), []
    for _ in range(4):
        f, state = model.decoder.step(prev, state, memory)
        prev = model.logits(f).argmax(-1)
        steps.append(f)
    assert torch.allclose(own, torch.stack(steps, 1), atol=1e-5)


def _train_copy_task(attention="none", steps=300):
    """Learn to reverse short sequences: a model that cannot learn fails this."""
    torch.manual_seed(0)
    model = _model(attention, hidden=64, layers=1, vocab=12)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        seqs = [torch.randint(4, 12, (int(torch.randint(2, 5, (1,), generator=gen)),), generator=gen).tolist()
                for _ in range(32)]
        src, lens = pad(seqs), torch.tensor([len(s) for s in seqs])
        trg_in = pad([[SOS_ID, *s[::-1]] for s in seqs])
        trg_out = pad([[*s[::-1], EOS_ID] for s in seqs])
        feats = model(src, lens, trg_in, teacher_forcing=1.0)
        real = trg_out != PAD_ID
        loss = nn.functional.cross_entropy(model.logits(feats[real]), trg_out[real])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def test_greedy_and_beam_decode_a_learned_task():
    model = _train_copy_task()
    seqs = [[4, 5, 6], [7, 8, 9, 10], [11, 4]]
    src, lens = pad(seqs), torch.tensor([len(s) for s in seqs])
    want = [s[::-1] for s in seqs]
    assert greedy(model, src, lens, max_len=10) == want
    assert beam_search(model, src, lens, max_len=10, beam_size=4) == want


@pytest.mark.slow
@pytest.mark.parametrize("attention", ["none", "bahdanau"])
def test_beam_search_of_a_batch_equals_each_sentence_alone(attention):
    """Sentences that finish early leave the batch (with their attention memory); the others decode as alone."""
    model = _train_copy_task(attention)
    seqs = [[4, 5, 6], [7, 8, 9, 10, 11, 4, 5], [11], [6, 7, 8, 9]]
    src, lens = pad(seqs), torch.tensor([len(s) for s in seqs])
    alone = [beam_search(model, pad([s]), torch.tensor([len(s)]), max_len=9, beam_size=3)[0] for s in seqs]
    assert beam_search(model, src, lens, max_len=9, beam_size=3) == alone
    untrained = _model().eval()  # runs into max_len for some sentences, not others
    seqs = [[min(t, 9) for t in s] for s in seqs]
    src = pad(seqs)
    alone = [beam_search(untrained, pad([s]), torch.tensor([len(s)]), max_len=5, beam_size=2)[0] for s in seqs]
    assert beam_search(untrained, src, lens, max_len=5, beam_size=2) == alone


def test_beam_of_one_matches_greedy_and_respects_max_len():
    model = _model().eval()
    seqs = [[4, 5, 6], [7, 8]]
    src, lens = pad(seqs), torch.tensor([3, 2])
    assert beam_search(model, src, lens, max_len=6, beam_size=1) == greedy(model, src, lens, max_len=6)
    assert all(len(h) <= 6 for h in beam_search(model, src, lens, max_len=6, beam_size=3))


def test_init_range_draws_every_weight_but_the_embeddings():
    torch.manual_seed(0)
    src, trg = nn.Embedding(11, 12), nn.Embedding(11, 20)
    before = src.weight.clone()
    model = build_model(ModelConfig(hidden_size=16, num_layers=2, init_range=0.08), src, trg, 11)
    assert torch.equal(src.weight, before)  # a pretrained embedding is left as the plugin made it
    others = [p for n, p in model.named_parameters() if ".embed." not in n]
    assert others and all(p.abs().max() <= 0.08 for p in others)
    assert max(p.abs().max() for p in others) > 0.07
