"""Identity, Linear, Bilinear, Flatten, Unflatten and F.linear / F.bilinear against torch."""

import math

import numpy as np
import pytest
import torch

import ember
from tests.nn._compare import check_fn, check_module, randn


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4), (0, 4)])
def test_linear_module(bias, shape):
    tm = torch.nn.Linear(4, 3, bias=bias)
    em = ember.nn.Linear(4, 3, bias=bias)
    check_module(em, tm, randn(*shape))


def test_linear_float64_and_params():
    tm = torch.nn.Linear(6, 2, dtype=torch.float64)
    em = ember.nn.Linear(6, 2, dtype=ember.float64)
    assert em.weight.dtype == ember.float64 and em.bias.shape == (2,)
    assert [n for n, _ in em.named_parameters()] == ["weight", "bias"]
    check_module(em, tm, randn(3, 6, dtype="float64"))


def test_linear_init_distribution():
    em = ember.nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives the same bound
    w = em.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    b = em.bias.detach().numpy()
    assert np.abs(b).max() <= bound


@pytest.mark.parametrize(
    "wshape,bshape", [((3, 4), (3,)), ((3, 4), None), ((4,), None), ((3, 4), ())]
)
def test_functional_linear(wshape, bshape):
    arrays = [randn(2, 5, 4), randn(*wshape, seed=1)]
    if bshape is not None:
        arrays.append(randn(*bshape, seed=2))
    check_fn(lambda lib, *a: lib.nn.functional.linear(*a), *arrays)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear_large_batch_gradients(dtype):
    # thousands of rows: the bias's gradient sums its columns with a matrix-vector product
    # (float32 sums of 2405 products differ from torch's in the order of 1e-5)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else {}
    check_fn(
        lambda lib, *a: lib.nn.functional.linear(*a),
        randn(37, 65, 24, dtype=dtype),
        randn(19, 24, seed=1, dtype=dtype),
        randn(19, seed=2, dtype=dtype),
        **tol,
    )


def test_linear_noncontiguous_input():
    x = randn(4, 6)[:, ::2]
    check_fn(
        lambda lib, x, w, b: lib.nn.functional.linear(x.t(), w, b),
        np.ascontiguousarray(x).T.copy().T,
        randn(3, 4, seed=1),
        randn(3, seed=2),
    )


def test_linear_shape_error():
    with pytest.raises(RuntimeError):
        ember.nn.Linear(4, 3)(ember.randn(2, 5))


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear(bias):
    tm = torch.nn.Bilinear(3, 4, 5, bias=bias)
    em = ember.nn.Bilinear(3, 4, 5, bias=bias)
    check_module(em, tm, randn(6, 3), randn(6, 4, seed=1), rtol=1e-5, atol=1e-5)
    check_module(em, tm, randn(2, 6, 3), randn(2, 6, 4, seed=1), rtol=1e-5, atol=1e-5)


def test_bilinear_errors():
    with pytest.raises(RuntimeError):
        ember.nn.functional.bilinear(ember.randn(2, 3), ember.randn(3, 4), ember.randn(5, 3, 4))


def test_identity():
    em = ember.nn.Identity(3, foo=1)
    x = ember.randn(2)
    assert em(x) is x
    assert repr(em) == repr(torch.nn.Identity())


@pytest.mark.parametrize("start,end", [(1, -1), (0, -1), (1, 2), (-2, -1)])
def test_flatten(start, end):
    check_module(ember.nn.Flatten(start, end), torch.nn.Flatten(start, end), randn(2, 3, 4, 5))


def test_unflatten():
    check_module(ember.nn.Unflatten(1, (2, 5)), torch.nn.Unflatten(1, (2, 5)), randn(3, 10, 2))
    check_module(ember.nn.Unflatten(-1, (2, -1)), torch.nn.Unflatten(-1, (2, -1)), randn(3, 10))
    with pytest.raises(TypeError):
        ember.nn.Unflatten(1, 5)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (4,), (0, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck_and_double_backward(shape, bias):
    """The fused linear primitive: first and second derivatives of every input, float64."""
    ember.manual_seed(0)

    def t(*s):
        return ember.randn(*s, dtype=ember.float64).requires_grad_()

    args = [t(*shape), t(5, 4)] + ([t(5)] if bias else [])
    fn = ember.nn.functional.linear
    assert ember.autograd.gradcheck(fn, args)
    assert ember.autograd.gradgradcheck(fn, args)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_linear_half_precision(dtype):
    arrays = [randn(6, 8), randn(5, 8, seed=1), randn(5, seed=2)]

    def run(lib, x, w, b):
        dt = getattr(lib, dtype)
        return lib.nn.functional.linear(x.to(dt), w.to(dt), b.to(dt)).float()

    check_fn(run, *arrays, rtol=1e-2, atol=1e-2)


def test_linear_weight_grad_is_row_major_and_owned():
    """dW comes out (out, in) row-major, so .grad is the product itself, not a copy of it."""
    m = ember.nn.Linear(4, 3)
    m(ember.randn(5, 4)).sum().backward()
    assert m.weight.grad.is_contiguous() and m.weight.grad.stride() == (4, 1)
    assert m.bias.grad.shape == (3,)


def test_linear_dtype_mismatch_error():
    with pytest.raises(RuntimeError, match="dtype"):
        ember.nn.functional.linear(ember.randn(2, 4), ember.randn(3, 4, dtype=ember.float64))
