"""ember.utils.checkpoint: recomputing in backward gives the gradients of the plain run."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.utils.checkpoint import checkpoint, checkpoint_sequential


def params(seed=0):
    rng = np.random.default_rng(seed)
    return [ember.nn.Parameter(ember.tensor(rng.standard_normal((4, 4)))) for _ in range(3)]


def block(w, noisy=False):
    def f(x, scale=1.0, *, shift=0.0):
        h = (x @ w).tanh() * scale + shift
        if noisy:  # randomness inside: the recomputation must draw the same numbers
            h = h * (ember.rand(h.shape, dtype=h.dtype) > 0.3)
        return h, h.sum()

    return f


def grads(use_ckpt, noisy, reentrant, seed=5):
    ws = params()
    x = ember.tensor(np.random.default_rng(1).standard_normal((3, 4)), requires_grad=True)
    ember.manual_seed(seed)
    h = x
    total = 0
    for w in ws:
        f = block(w, noisy)
        if use_ckpt:
            h, s = checkpoint(f, h, 0.5, shift=0.1, use_reentrant=reentrant)
        else:
            h, s = f(h, 0.5, shift=0.1)
        total = total + s
    (h.sum() + total).backward()
    return [x.grad.numpy()] + [w.grad.numpy() for w in ws]


@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("noisy", [False, True])
def test_gradients_equal_plain_run(noisy, reentrant):
    for a, b in zip(grads(True, noisy, reentrant), grads(False, noisy, reentrant)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_parameters_get_gradients_when_inputs_do_not_require_grad():
    w = params()[0]
    out, _ = checkpoint(block(w), ember.ones(2, 4, dtype=ember.float64), use_reentrant=False)
    out.sum().backward()
    assert w.grad is not None and float(w.grad.abs().sum()) > 0


def test_checkpoint_sequential_matches_plain():
    ws = params(3)

    class Mul(ember.nn.Module):
        def __init__(self, w):
            super().__init__()
            self.w = w

        def forward(self, x):
            return (x @ self.w).sin()

    model = ember.nn.Sequential(*[Mul(w) for w in ws + params(4)])
    x = ember.tensor(np.random.default_rng(2).standard_normal((2, 4)), requires_grad=True)
    for segments in (1, 2, 3, 6):
        out = checkpoint_sequential(model, segments, x, use_reentrant=False)
        out.sum().backward()
        g = [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()]
        x.grad = None
        model.zero_grad()
        model(x).sum().backward()
        ref = [x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]
        for a, b in zip(g, ref):
            np.testing.assert_allclose(a, b, rtol=1e-12)
        x.grad = None
        model.zero_grad()


def test_warns_without_use_reentrant():
    with pytest.warns(UserWarning, match="use_reentrant"):
        checkpoint(lambda t: t * 2, ember.ones(2, requires_grad=True))
