"""``ember.special`` against ``torch.special``: values, dtypes and gradients."""

import numpy as np
import pytest
import torch

import ember


def _pair(a, grad=True):
    e = ember.tensor(a)
    t = torch.tensor(a)
    if grad and a.dtype.kind == "f":
        e.requires_grad_()
        t.requires_grad_()
    return e, t


def _compare(name, *arrays, rtol=1e-6, atol=1e-8, grad=True):
    es, ts = zip(*[_pair(a, grad) for a in arrays], strict=True)
    eo = getattr(ember.special, name)(*es)
    to = getattr(torch.special, name)(*ts)
    assert str(eo.dtype).split(".")[1] == str(to.dtype).split(".")[1]
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=rtol, atol=atol)
    if grad and to.requires_grad:
        g = np.random.default_rng(1).standard_normal(to.shape).astype(arrays[0].dtype)
        eo.backward(ember.tensor(g))
        to.backward(torch.tensor(g))
        for e, t in zip(es, ts, strict=True):
            if t.grad is not None:
                np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=rtol * 10,
                                           atol=atol * 10)


RNG = np.random.default_rng(0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["xlogy", "xlog1py"])
def test_x_times_log(name, dtype):
    x = RNG.standard_normal((3, 4)).astype(dtype)
    x[0, :2] = 0
    y = RNG.uniform(0.1, 3, (3, 4)).astype(dtype)
    _compare(name, x, y, rtol=1e-5)
    _compare(name, x, y[0], rtol=1e-5)  # broadcasting
    # values only where torch's gradient is nan (x = 0 and y = 0)
    _compare(name, np.array([0.0, 0.0, 2.0]), np.array([0.0, np.nan, 0.5]), grad=False)


@pytest.mark.parametrize("name", ["entr", "ndtr", "log_ndtr", "sinc", "expit", "gammaln",
                                  "erfinv", "psi"])
def test_unary(name):
    x = RNG.uniform(-0.9, 0.9, (5, 3)) if name == "erfinv" else RNG.standard_normal((5, 3)) * 3
    if name in ("gammaln", "psi"):
        x = np.abs(x) + 0.1
    x[0, 0] = 0.0 if name not in ("gammaln", "psi") else 1.0
    _compare(name, x, rtol=1e-6)
    _compare(name, x.astype(np.float32), rtol=1e-4, atol=1e-5)


def test_log_ndtr_far_tails():
    x = np.array([-60.0, -25.0, -19.0, -5.0, 0.0, 5.0, 30.0])
    _compare("log_ndtr", x, rtol=1e-7)


def test_integer_inputs_promote():
    _compare("xlogy", np.array([0, 1, 2]), np.array([1, 2, 3]), grad=False)
    _compare("entr", np.array([0, 1, 2]), grad=False)
    _compare("ndtr", np.array([-1, 0, 1]), grad=False)


def test_format_type_as_and_method():
    assert f"{ember.tensor(0.5)}" == f"{torch.tensor(0.5)}"
    assert f"{ember.tensor(0.25):.1f}" == f"{torch.tensor(0.25):.1f}"
    e = ember.ones(2).type_as(ember.zeros(1, dtype=ember.int16))
    assert e.dtype == ember.int16
    assert ember.tensor([1.0, 2.0]).xlogy(ember.tensor([2.0, 3.0])).tolist() == pytest.approx(
        torch.tensor([1.0, 2.0]).xlogy(torch.tensor([2.0, 3.0])).tolist())


def test_numbers_and_zero_dim_tensors_rank_lower_and_tensors_are_required():
    for lib in (ember, torch):
        x = lib.tensor([0.0, 1.5, 2.0], dtype=lib.float16)
        assert lib.special.xlogy(x, 2.5).dtype == lib.float16
        assert lib.special.xlogy(x, lib.tensor(2.5)).dtype == lib.float16
        assert lib.special.xlogy(3, lib.tensor([1.0, 2.0])).dtype == lib.float32
        assert lib.special.xlogy(lib.tensor([1, 2]), lib.tensor([3, 4])).dtype == lib.float32
    ours = ember.special.xlogy(ember.tensor([0.0, 1.5], dtype=ember.float16), 2.5)
    theirs = torch.special.xlogy(torch.tensor([0.0, 1.5], dtype=torch.float16), 2.5)
    np.testing.assert_allclose(ours.float().numpy(), theirs.float().numpy(), rtol=1e-3)
    for name in ("entr", "ndtr", "log_ndtr", "sinc"):
        for lib in (ember, torch):
            with pytest.raises(TypeError, match="must be Tensor"):
                getattr(lib.special, name)(0.5)
    for lib in (ember, torch):
        with pytest.raises(TypeError):
            lib.special.xlogy(0.5, 2.0)
