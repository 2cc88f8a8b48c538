"""Higher-order gradients through create_graph, compared with torch, plus gradgradcheck."""

import numpy as np
import pytest
import torch

import ember
from tests.autograd._compare import both, leaf

RNG = np.random.default_rng(2)
X = RNG.uniform(0.3, 1.5, (3, 4))
V = RNG.standard_normal((3, 4))
W = RNG.standard_normal((4, 5))


def _log_softmax_loss(lib, x):
    z = x @ lib.tensor(W)
    shifted = z - z.max(dim=1, keepdim=True)[0].detach()
    logp = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    return -(logp * lib.tensor(np.eye(5)[[0, 3, 1]])).sum(dim=1).mean()


FUNCS = {
    "cube": lambda lib, x: (x ** 3).sum(),
    "tanh": lambda lib, x: x.tanh().sum(),
    "sigmoid": lambda lib, x: (x.sigmoid() * lib.tensor(V)).sum(),
    "exp_sin": lambda lib, x: (x.exp() * x.sin()).sum(),
    "div_log": lambda lib, x: (x.log() / (x * x + 1)).mean(),
    "sqrt_pow": lambda lib, x: (x.sqrt() ** 2.5 - x.pow(x)).sum(),
    "log_softmax_loss": _log_softmax_loss,
    "matmul_tanh": lambda lib, x: ((x @ lib.tensor(W)).tanh() ** 2).sum(),
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_second_and_third_derivatives(name):
    fn = FUNCS[name]

    def run(lib):
        x = leaf(lib, X)
        (g,) = lib.autograd.grad(fn(lib, x), x, create_graph=True)
        (h,) = lib.autograd.grad(g, x, lib.tensor(V), create_graph=True)  # Hessian-vector product
        (t,) = lib.autograd.grad((h * h).sum(), x)
        return g, h, t

    both(run, tol=1e-9)


@pytest.mark.parametrize("name", ["cube", "tanh", "exp_sin", "log_softmax_loss"])
def test_hvp_matches_torch_autograd_functional(name):
    fn = FUNCS[name]
    ours = ember.autograd.functional.hvp(lambda x: fn(ember, x), ember.tensor(X), ember.tensor(V))
    theirs = torch.autograd.functional.hvp(lambda x: fn(torch, x), torch.tensor(X),
                                           torch.tensor(V))
    np.testing.assert_allclose(np.asarray(ours[1]), theirs[1].numpy(), rtol=1e-9, atol=1e-9)


def test_second_derivative_through_backward_create_graph():
    def run(lib):
        x = leaf(lib, X)
        (x.sin() * x.exp()).sum().backward(create_graph=True)
        g = x.grad
        x.grad = None
        (g * lib.tensor(V)).sum().backward()
        return g, x.grad

    ember.autograd.engine._warned_create_graph = True
    both(run)


def test_mixed_second_derivative_of_two_inputs():
    def run(lib):
        x, w = leaf(lib, X), leaf(lib, W)
        out = ((x @ w).sigmoid() * (x @ w)).sum()
        gx, gw = lib.autograd.grad(out, (x, w), create_graph=True)
        return lib.autograd.grad((gx * lib.tensor(V)).sum() + gw.sum(), (x, w))

    both(run)


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_gradgradcheck(name):
    fn = FUNCS[name]
    x = ember.tensor(X, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: fn(ember, t), (x,))
