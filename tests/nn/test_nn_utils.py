"""nn.utils against torch: gradient clipping, parameter vectors, parametrizations."""

import math

import numpy as np
import pytest
import torch

import ember
from tests.nn._compare import close, copy_state, randn


def _models():
    tm = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    em = ember.nn.Sequential(ember.nn.Linear(4, 5), ember.nn.Tanh(), ember.nn.Linear(5, 2))
    copy_state(em, tm)
    x = randn(6, 4)
    g = randn(6, 2, seed=1) * 10
    em(ember.tensor(x)).backward(ember.tensor(g))
    tm(torch.tensor(x)).backward(torch.tensor(g))
    return em, tm


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm(norm_type, max_norm):
    em, tm = _models()
    te = ember.nn.utils.clip_grad_norm_(em.parameters(), max_norm, norm_type=norm_type)
    tt = torch.nn.utils.clip_grad_norm_(tm.parameters(), max_norm, norm_type=norm_type)
    close(te, tt, rtol=1e-5)
    for pe, pt in zip(em.parameters(), tm.parameters(), strict=True):
        close(pe.grad, pt.grad, rtol=1e-5)


def test_clip_grad_norm_single_tensor_and_nonfinite():
    p = ember.nn.Parameter(ember.ones(3))
    p.grad = ember.tensor([3.0, 4.0, 0.0])
    total = ember.nn.utils.clip_grad_norm_(p, 1.0, foreach=True)
    assert abs(float(total) - 5.0) < 1e-6
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8, 0], rtol=1e-5)
    p.grad = ember.tensor([math.inf, 1.0, 0.0])
    with pytest.raises(RuntimeError):
        ember.nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    q = ember.nn.Parameter(ember.ones(2))
    assert float(ember.nn.utils.clip_grad_norm_([q], 1.0)) == 0.0


def test_clip_grad_value():
    em, tm = _models()
    ember.nn.utils.clip_grad_value_(em.parameters(), 0.3)
    torch.nn.utils.clip_grad_value_(tm.parameters(), 0.3)
    for pe, pt in zip(em.parameters(), tm.parameters(), strict=True):
        close(pe.grad, pt.grad, rtol=1e-4, atol=1e-5)


def test_parameters_vector_round_trip():
    em, tm = _models()
    ve = ember.nn.utils.parameters_to_vector(em.parameters())
    vt = torch.nn.utils.parameters_to_vector(tm.parameters())
    close(ve, vt)
    new = randn(ve.shape[0], seed=3)
    ember.nn.utils.vector_to_parameters(ember.tensor(new), em.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tm.parameters())
    for pe, pt in zip(em.parameters(), tm.parameters(), strict=True):
        close(pe, pt)
    with pytest.raises(TypeError):
        ember.nn.utils.vector_to_parameters(new, em.parameters())


class _Symmetric(ember.nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).t()


class _TSymmetric(torch.nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).t()


def test_register_parametrization():
    em = ember.nn.Linear(3, 3)
    tm = torch.nn.Linear(3, 3)
    copy_state(em, tm)
    ember.nn.utils.parametrize.register_parametrization(em, "weight", _Symmetric())
    torch.nn.utils.parametrize.register_parametrization(tm, "weight", _TSymmetric())
    assert ember.nn.utils.parametrize.is_parametrized(em)
    assert ember.nn.utils.parametrize.is_parametrized(em, "weight")
    assert not ember.nn.utils.parametrize.is_parametrized(em, "bias")
    assert list(em.state_dict()) == list(tm.state_dict())
    close(em.weight, tm.weight)
    w = em.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T)
    x = randn(2, 3)
    em(ember.tensor(x)).sum().backward()
    tm(torch.tensor(x)).sum().backward()
    close(em.parametrizations.weight.original.grad, tm.parametrizations.weight.original.grad)
    with ember.nn.utils.parametrize.cached():
        assert em.weight is em.weight
    ember.nn.utils.parametrize.remove_parametrizations(em, "weight")
    assert type(em) is ember.nn.Linear
    assert [n for n, _ in em.named_parameters()] == ["bias", "weight"]  # as in torch
    np.testing.assert_allclose(em.weight.detach().numpy(), w)


def test_parametrization_errors():
    em = ember.nn.Linear(3, 3)
    with pytest.raises(ValueError):
        ember.nn.utils.parametrize.register_parametrization(em, "nothing", _Symmetric())
    with pytest.raises(ValueError):
        ember.nn.utils.parametrize.remove_parametrizations(em, "weight")


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm(dim):
    em, tm = ember.nn.Linear(4, 3), torch.nn.Linear(4, 3)
    copy_state(em, tm)
    ember.nn.utils.parametrizations.weight_norm(em, dim=dim)
    torch.nn.utils.parametrizations.weight_norm(tm, dim=dim)
    es, ts = em.state_dict(), tm.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        close(es[k], ts[k], rtol=1e-5)
    close(em.weight, tm.weight, rtol=1e-5)
    x = randn(5, 4)
    g = randn(5, 3, seed=1)
    em(ember.tensor(x)).backward(ember.tensor(g))
    tm(torch.tensor(x)).backward(torch.tensor(g))
    for (_, pe), (_, pt) in zip(em.named_parameters(), tm.named_parameters(), strict=True):
        close(pe.grad, pt.grad, rtol=1e-4, atol=1e-6)


def test_spectral_norm():
    em = ember.nn.Linear(6, 4)
    ember.nn.utils.parametrizations.spectral_norm(em)
    for _ in range(20):
        w = em.weight
    sigma = np.linalg.svd(w.detach().numpy(), compute_uv=False)[0]
    assert abs(sigma - 1) < 1e-3
    em.eval()
    w1 = em.weight.detach().numpy()
    w2 = em.weight.detach().numpy()
    np.testing.assert_allclose(w1, w2)
    names = [n for n, _ in em.named_buffers()]
    assert names == ["parametrizations.weight.0._u", "parametrizations.weight.0._v"]
    out = em(ember.randn(2, 6))
    out.sum().backward()
    assert em.parametrizations.weight.original.grad is not None


@pytest.mark.parametrize("dim", [0, 1, None])
def test_legacy_weight_norm(dim):
    em, tm = ember.nn.Linear(4, 3), torch.nn.Linear(4, 3)
    copy_state(em, tm)
    ember.nn.utils.weight_norm(em, dim=dim)
    torch.nn.utils.weight_norm(tm, dim=dim)
    assert sorted(em.state_dict()) == sorted(tm.state_dict())
    for k, v in tm.state_dict().items():
        close(em.state_dict()[k], v, rtol=1e-5)
    x, g = randn(5, 4), randn(5, 3, seed=1)
    em(ember.tensor(x)).backward(ember.tensor(g))
    tm(torch.tensor(x)).backward(torch.tensor(g))
    close(em.weight_g.grad, tm.weight_g.grad, rtol=1e-4, atol=1e-6)
    close(em.weight_v.grad, tm.weight_v.grad, rtol=1e-4, atol=1e-6)
    ember.nn.utils.remove_weight_norm(em)
    torch.nn.utils.remove_weight_norm(tm)
    assert sorted(n for n, _ in em.named_parameters()) == ["bias", "weight"]
    close(em.weight, tm.weight, rtol=1e-5)


def _spectral_pair(make, legacy, **kw):
    em, tm = make(ember), make(torch)
    if legacy:
        ember.nn.utils.spectral_norm(em, **kw)
        torch.nn.utils.spectral_norm(tm, **kw)
    else:
        ember.nn.utils.parametrizations.spectral_norm(em, **kw)
        torch.nn.utils.parametrizations.spectral_norm(tm, **kw)
    assert sorted(em.state_dict()) == sorted(tm.state_dict())
    copy_state(em, tm)
    return em, tm


@pytest.mark.parametrize("legacy", [True, False], ids=["hook", "parametrization"])
@pytest.mark.parametrize(
    "make,shape,kw",
    [
        (lambda lib: lib.nn.Linear(6, 4), (3, 6), {}),
        (lambda lib: lib.nn.Conv2d(2, 3, 3), (2, 2, 5, 5), {"n_power_iterations": 3}),
        (lambda lib: lib.nn.ConvTranspose2d(2, 3, 2), (1, 2, 3, 3), {}),
        (lambda lib: lib.nn.Linear(5, 4), (2, 5), {"dim": 1, "eps": 1e-6}),
    ],
    ids=["linear", "conv_3iters", "convT_dim1", "linear_dim1"],
)
def test_spectral_norm_matches_torch(legacy, make, shape, kw):
    em, tm = _spectral_pair(make, legacy, **kw)
    for step in range(3):  # the power iteration state carries over between training forwards
        x, g = randn(*shape, seed=step), None
        ye, yt = em(ember.tensor(x)), tm(torch.tensor(x))
        close(ye, yt, rtol=1e-4, atol=1e-5)
        g = randn(*yt.shape, seed=10 + step)
        ye.backward(ember.tensor(g))
        yt.backward(torch.tensor(g))
    for (ne, pe), (nt, pt) in zip(em.named_parameters(), tm.named_parameters(), strict=True):
        assert ne == nt
        close(pe.grad, pt.grad, rtol=1e-4, atol=1e-5)
    for k, v in tm.state_dict().items():
        close(em.state_dict()[k], v, rtol=1e-4, atol=1e-6)
    em.eval()
    tm.eval()
    x = randn(*shape, seed=7)
    close(em(ember.tensor(x)), tm(torch.tensor(x)), rtol=1e-4, atol=1e-5)
    if legacy:
        ember.nn.utils.remove_spectral_norm(em)
        torch.nn.utils.remove_spectral_norm(tm)
        assert sorted(n for n, _ in em.named_parameters()) == ["bias", "weight"]
        assert not list(em.buffers())
        close(em.weight, tm.weight, rtol=1e-4, atol=1e-6)


def test_spectral_norm_errors():
    m = ember.nn.utils.spectral_norm(ember.nn.Linear(3, 2))
    with pytest.raises(RuntimeError):
        ember.nn.utils.spectral_norm(m)
    with pytest.raises(ValueError):
        ember.nn.utils.remove_spectral_norm(ember.nn.Linear(3, 2))
    with pytest.raises(ValueError):
        ember.nn.utils.spectral_norm(ember.nn.Linear(3, 2), n_power_iterations=0)
