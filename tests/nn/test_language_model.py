"""Small language models (embedding, LSTM or transformer encoder, linear head) trained for a few
SGD steps in ember and in torch from the same weights: the losses must agree step by step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

VOCAB, EMB, HID, SEQ, BATCH = 30, 16, 24, 12, 4


def _lstm_lm(nn, packed):
    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, EMB)
            self.rnn = nn.LSTM(EMB, HID, num_layers=2, dropout=0.0)
            self.head = nn.Linear(HID, VOCAB)

        def forward(self, tokens, lengths=None):
            x = self.embedding(tokens)
            if lengths is not None:
                rnn_utils = nn.utils.rnn
                x = rnn_utils.pack_padded_sequence(x, lengths, enforce_sorted=False)
                out, _ = self.rnn(x)
                out, _ = rnn_utils.pad_packed_sequence(out, total_length=tokens.shape[0])
            else:
                out, _ = self.rnn(x)
            return self.head(out)

    return LM()


def _transformer_lm(nn, lib):
    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, EMB)
            layer = nn.TransformerEncoderLayer(EMB, 4, 32, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(EMB, VOCAB)

        def forward(self, tokens, lengths=None):
            mask = nn.Transformer.generate_square_subsequent_mask(tokens.shape[1])
            return self.head(self.encoder(self.embedding(tokens), mask=mask, is_causal=True))

    return LM()


class _SGD:
    """SGD with momentum written once against both APIs (torch.optim's first step imports
    torch._dynamo, which costs many seconds)."""

    def __init__(self, lib, params, lr, momentum=0.9):
        self.lib, self.params, self.lr, self.momentum = lib, list(params), lr, momentum
        self.bufs = [None] * len(self.params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        with self.lib.no_grad():
            for i, p in enumerate(self.params):
                if self.bufs[i] is None:
                    self.bufs[i] = p.grad.clone()
                else:
                    self.bufs[i].mul_(self.momentum).add_(p.grad)
                p.sub_(self.bufs[i] * self.lr)


def _train(lib, model, tokens, lengths, steps=5, lr=0.5):
    opt = _SGD(lib, model.parameters(), lr=lr)
    losses = []
    inputs, targets = lib.tensor(tokens[:-1]), lib.tensor(tokens[1:])
    for _ in range(steps):
        opt.zero_grad()
        logits = model(inputs, lengths)
        loss = lib.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.item()))
    return losses


@pytest.mark.parametrize("packed", [False, True])
def test_lstm_language_model(packed):
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, VOCAB, (SEQ + 1, BATCH))
    lengths = [SEQ, 5, 9, 7] if packed else None
    torch.manual_seed(0)
    tm = _lstm_lm(torch.nn, packed)
    em = _lstm_lm(ember.nn, packed)
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tl = _train(torch, tm, tokens, lengths)
    el = _train(ember, em, tokens, lengths)
    np.testing.assert_allclose(el, tl, rtol=2e-5)
    assert tl[-1] < tl[0]
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(em.state_dict()[k].numpy(), v.numpy(), rtol=1e-4, atol=1e-5)


def test_transformer_language_model():
    rng = np.random.default_rng(1)
    tokens = rng.integers(0, VOCAB, (SEQ + 1, BATCH))

    torch.manual_seed(0)
    tm = _transformer_lm(torch.nn, torch)
    em = _transformer_lm(ember.nn, ember)
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})

    def train(lib, model):
        opt = _SGD(lib, model.parameters(), lr=0.1)
        inputs = lib.tensor(np.ascontiguousarray(tokens[:-1].T))
        targets = lib.tensor(np.ascontiguousarray(tokens[1:].T))
        losses = []
        for _ in range(5):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(
                model(inputs).reshape(-1, VOCAB), targets.reshape(-1)
            )
            loss.backward()
            opt.step()
            losses.append(float(loss.item()))
        return losses

    tl, el = train(torch, tm), train(ember, em)
    np.testing.assert_allclose(el, tl, rtol=5e-5)
    assert tl[-1] < tl[0]
