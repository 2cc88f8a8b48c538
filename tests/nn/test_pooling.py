"""Pooling against torch: max (indices, dilation, ceil_mode), avg (count_include_pad,
divisor_override), adaptive, unpool, lp pool; functional forms and modules, grads, errors."""

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F

rng = np.random.default_rng(2)


def _close(t, e, tol):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol, equal_nan=True)


def compare(tfn, efn, x, dtype="float64"):
    tol = 1e-10 if dtype == "float64" else 1e-5
    tx = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    ex = ember.tensor(x, dtype=getattr(ember, dtype), requires_grad=True)
    ty, ey = tfn(tx), efn(ex)
    if isinstance(ty, tuple):
        np.testing.assert_array_equal(ey[1].numpy(), ty[1].numpy())
        assert str(ey[1].dtype) == "ember.int64"
        ty, ey = ty[0], ey[0]
    _close(ty, ey, tol)
    g = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(g, dtype=ty.dtype))
    ey.backward(ember.tensor(g, dtype=ey.dtype))
    _close(tx.grad, ex.grad, tol)


FUNCTIONAL = [
    ("max_pool1d", (2, 3, 9), (3,), dict(ceil_mode=True, return_indices=True)),
    ("max_pool1d", (3, 10), (2, 3, 1), dict(dilation=2, return_indices=True)),
    ("max_pool2d", (2, 3, 7, 6), (3, 2, 1), dict(return_indices=True)),
    ("max_pool2d", (2, 3, 7, 6), ((3, 2), (2, 1), 1), dict(dilation=2, ceil_mode=True, return_indices=True)),
    ("max_pool2d", (1, 2, 8, 8), (2,), dict()),
    ("max_pool3d", (2, 2, 5, 4, 6), (2,), dict(return_indices=True)),
    ("max_pool3d", (1, 2, 5, 5, 4), (3, 2, 1), dict(ceil_mode=True, return_indices=True)),
    ("avg_pool1d", (2, 3, 8), (3, 2, 1, True, False), dict()),
    ("avg_pool2d", (2, 3, 7, 6), (3, 2, 1), dict()),
    ("avg_pool2d", (2, 3, 7, 6), (3, 2, 1), dict(ceil_mode=True, count_include_pad=False)),
    ("avg_pool2d", (2, 3, 7, 6), (3, 2, 1), dict(ceil_mode=True)),
    ("avg_pool2d", (2, 3, 7, 6), ((3, 2), (2, 1)), dict(divisor_override=5)),
    ("avg_pool2d", (3, 6, 6), (2,), dict()),
    ("avg_pool3d", (1, 2, 5, 4, 6), (2,), dict(ceil_mode=True)),
    ("avg_pool3d", (1, 2, 5, 4, 6), (3, 2, 1), dict(count_include_pad=False)),
    ("adaptive_avg_pool1d", (2, 3, 7), (3,), dict()),
    ("adaptive_avg_pool2d", (2, 3, 7, 6), ((3, 4),), dict()),
    ("adaptive_avg_pool2d", (2, 3, 8, 6), ((4, 3),), dict()),
    ("adaptive_avg_pool2d", (2, 3, 8, 6), (1,), dict()),
    ("adaptive_avg_pool2d", (2, 3, 5, 6), ((None, 4),), dict()),
    ("adaptive_avg_pool3d", (1, 2, 5, 4, 6), ((2, 3, 4),), dict()),
    ("adaptive_max_pool1d", (2, 3, 7), (3,), dict(return_indices=True)),
    ("adaptive_max_pool2d", (2, 3, 7, 6), ((3, 4),), dict(return_indices=True)),
    ("adaptive_max_pool2d", (3, 8, 8), (2,), dict(return_indices=True)),
    ("adaptive_max_pool3d", (1, 2, 5, 6, 4), ((2, 3, 2),), dict(return_indices=True)),
    ("adaptive_max_pool3d", (2, 4, 3, 5), ((None, 2, 3),), dict()),
    ("lp_pool1d", (2, 3, 7), (2, 3, 2), dict()),
    ("lp_pool2d", (2, 3, 6, 6), (2, 2), dict()),
    ("lp_pool2d", (2, 3, 7, 6), (3.0, (3, 2), 2), dict(ceil_mode=True)),
    ("lp_pool3d", (1, 2, 4, 5, 4), (2, 2), dict()),
    ("lp_pool3d", (1, 2, 5, 4, 4), (1.5, (3, 2, 1), (2, 1, 1)), dict(ceil_mode=True)),
]


@pytest.mark.parametrize("name,shape,args,kw", FUNCTIONAL)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pool_functional(name, shape, args, kw, dtype):
    x = rng.standard_normal(shape)
    if name.startswith("lp"):
        x = np.abs(x) + 0.1
    compare(lambda t: getattr(torch.nn.functional, name)(t, *args, **kw),
            lambda e: getattr(F, name)(e, *args, **kw), x, dtype)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_adaptive_max_pool_with_indices(nd):
    name = f"adaptive_max_pool{nd}d_with_indices"
    x = rng.standard_normal((2, 3) + (5,) * nd)
    compare(lambda t: getattr(torch.nn.functional, name)(t, 3),
            lambda e: getattr(F, name)(e, 3), x)


def test_int_pools():
    x = rng.integers(-20, 20, (2, 3, 5, 5))
    for fn in [lambda lib, t: lib.nn.functional.avg_pool2d(t, 2, 1, 1),
               lambda lib, t: lib.nn.functional.max_pool2d(t, 3, 2, 1)]:
        t = fn(torch, torch.tensor(x))
        e = fn(ember, ember.tensor(x))
        assert str(e.dtype) == "ember.int64"
        np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_max_pool_ties_and_nan():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 2, 2] = np.nan
    for k in [2, 3]:
        compare(lambda t: torch.nn.functional.max_pool2d(t, k, 1, return_indices=True),
                lambda e: F.max_pool2d(e, k, 1, return_indices=True), x)


def test_pool_empty_batch():
    x = np.zeros((0, 3, 4, 4))
    compare(lambda t: torch.nn.functional.max_pool2d(t, 2, return_indices=True),
            lambda e: F.max_pool2d(e, 2, return_indices=True), x)
    compare(lambda t: torch.nn.functional.avg_pool2d(t, 2), lambda e: F.avg_pool2d(e, 2), x)


def test_max_pool_noncontiguous_and_grad_fn():
    x = rng.standard_normal((2, 6, 5, 3))
    compare(lambda t: torch.nn.functional.max_pool2d(t.transpose(1, 3), 2, return_indices=True),
            lambda e: F.max_pool2d(e.transpose(1, 3), 2, return_indices=True), x)
    e = ember.randn(1, 1, 4, 4, requires_grad=True)
    with ember.no_grad():
        assert F.max_pool2d(e, 2).grad_fn is None


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_unpool(nd):
    x = rng.standard_normal((2, 3) + (6,) * nd)
    t_pool = getattr(torch.nn.functional, f"max_pool{nd}d")
    e_pool = getattr(F, f"max_pool{nd}d")
    tv, ti = t_pool(torch.tensor(x), 2, return_indices=True)
    ev, ei = e_pool(ember.tensor(x), 2, return_indices=True)
    name = f"max_unpool{nd}d"
    v = tv.numpy()
    tfn = lambda t: getattr(torch.nn.functional, name)(t, ti, 2)
    efn = lambda e: getattr(F, name)(e, ei, 2)
    compare(tfn, efn, v)
    if nd == 2:
        out = (7, 7)
        compare(lambda t: torch.nn.functional.max_unpool2d(t, ti, 2, output_size=out),
                lambda e: F.max_unpool2d(e, ei, 2, output_size=out), v)


def test_pool_gradcheck():
    x = ember.randn(1, 2, 5, 6, dtype=ember.float64, requires_grad=True)
    for fn in [lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
               lambda x: F.max_pool2d(x, 2, 1),
               lambda x: F.max_pool2d(x, 2),  # disjoint windows: the gradient is assigned
               lambda x: F.max_pool2d(x, (2, 3), (3, 3), 1, ceil_mode=True),
               lambda x: F.adaptive_avg_pool2d(x, (3, 4)),
               lambda x: F.adaptive_max_pool2d(x, (2, 4))]:
        assert ember.autograd.gradcheck(fn, (x,))
        assert ember.autograd.gradgradcheck(fn, (x,))


MODULES = [
    ("MaxPool1d", (3, 2, 1), (2, 3, 9)),
    ("MaxPool2d", (3,), (2, 3, 7, 7)),
    ("MaxPool2d", ((2, 3), 1, (1, 0), 2, False, True), (2, 3, 7, 7)),
    ("MaxPool3d", (2,), (1, 2, 4, 4, 4)),
    ("AvgPool1d", (3,), (2, 3, 9)),
    ("AvgPool2d", (3, 2, 1, True, False), (2, 3, 7, 7)),
    ("AvgPool3d", (2, 1, 0, False, True, 3), (1, 2, 4, 4, 4)),
    ("AdaptiveAvgPool1d", (4,), (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((3, None),), (2, 3, 7, 7)),
    ("AdaptiveAvgPool3d", (2,), (1, 2, 4, 5, 4)),
    ("AdaptiveMaxPool1d", (4,), (2, 3, 9)),
    ("AdaptiveMaxPool2d", (2,), (2, 3, 7, 7)),
    ("AdaptiveMaxPool2d", ((3, 2), True), (2, 3, 7, 7)),
    ("LPPool1d", (2, 3), (2, 3, 9)),
    ("LPPool2d", (2, 3, 2), (2, 3, 7, 7)),
    ("LPPool3d", (2, 2), (1, 2, 4, 4, 5)),
    ("AdaptiveMaxPool3d", ((2, None, 3),), (1, 2, 4, 5, 4)),
]


@pytest.mark.parametrize("name,args,shape", MODULES)
def test_pool_modules(name, args, shape):
    tm = getattr(torch.nn, name)(*args)
    em = getattr(ember.nn, name)(*args)
    assert repr(em) == repr(tm)
    x = rng.standard_normal(shape)
    if name.startswith("LP"):
        x = np.abs(x) + 0.1
    compare(tm, em, x, "float32")


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_unpool_modules(nd):
    tp = getattr(torch.nn, f"MaxPool{nd}d")(2, return_indices=True)
    ep = getattr(ember.nn, f"MaxPool{nd}d")(2, return_indices=True)
    tu = getattr(torch.nn, f"MaxUnpool{nd}d")(2)
    eu = getattr(ember.nn, f"MaxUnpool{nd}d")(2)
    assert repr(eu) == repr(tu)
    x = rng.standard_normal((2, 3) + (4,) * nd)
    compare(lambda t: tu(*tp(t)), lambda e: eu(*ep(e)), x, "float32")


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.max_pool2d(lib.zeros(1, 1, 4, 4), 2, padding=2),
    lambda lib: lib.nn.functional.avg_pool2d(lib.zeros(1, 1, 4, 4), 2, padding=2),
    lambda lib: lib.nn.functional.max_pool2d(lib.zeros(4), 2),
    lambda lib: lib.nn.functional.max_pool2d(lib.zeros(1, 1, 2, 2), 3),
    lambda lib: lib.nn.functional.adaptive_avg_pool2d(lib.zeros(1, 1, 4, 4), -1),
    lambda lib: lib.nn.functional.adaptive_max_pool1d(lib.zeros(1, 1, 4), -2),
])
def test_pool_errors(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value)):
        call(ember)


def test_max_pool_values_path_nan():
    x = rng.standard_normal((2, 3, 7, 6))
    x[0, 0, 2, 2] = np.nan
    for kw in [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, dilation=2, ceil_mode=True)]:
        t = torch.nn.functional.max_pool2d(torch.tensor(x), **kw)
        e = F.max_pool2d(ember.tensor(x), **kw)
        assert e.grad_fn is None
        np.testing.assert_array_equal(e.numpy(), t.numpy())


FRACTIONAL = [
    (2, (2, 3, 9, 11), (3, 2), dict(output_size=(4, 5))),
    (2, (2, 3, 10, 10), 2, dict(output_ratio=(0.5, 0.7))),
    (2, (3, 17, 13), 3, dict(output_size=(8, 4))),
    (2, (1, 2, 9, 11), (2, 2), dict(output_size=(8, 10))),
    (3, (2, 2, 7, 9, 8), (3, 2, 2), dict(output_size=(3, 4, 5))),
    (3, (1, 2, 8, 8, 8), 2, dict(output_ratio=(0.5, 0.6, 0.7))),
]


@pytest.mark.parametrize("nd,shape,k,kw", FRACTIONAL)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fractional_max_pool(nd, shape, k, kw, dtype):
    # the same random samples give the same windows (torch computes them in the input's dtype)
    n = shape[0] if len(shape) == nd + 2 else 1
    samples = np.random.default_rng(1).random((n, shape[-nd - 1], nd))
    name = f"fractional_max_pool{nd}d"

    def fn(lib):
        s = lib.tensor(samples, dtype=getattr(lib, dtype))
        return lambda t: getattr(lib.nn.functional, name)(t, k, return_indices=True,
                                                           _random_samples=s, **kw)

    compare(fn(torch), fn(ember), rng.standard_normal(shape), dtype)


def test_fractional_max_pool_modules_and_errors():
    samples = np.random.default_rng(2).random((2, 3, 2))
    kw = dict(output_ratio=0.5, return_indices=True)
    ts = torch.tensor(samples, dtype=torch.float32)
    tm = torch.nn.FractionalMaxPool2d(3, _random_samples=ts, **kw)
    em = ember.nn.FractionalMaxPool2d(3, _random_samples=ember.tensor(ts.numpy()), **kw)
    assert repr(em) == repr(tm)
    compare(tm, em, rng.standard_normal((2, 3, 12, 10)), "float32")
    ember.manual_seed(0)
    out = ember.nn.FractionalMaxPool3d(2, output_size=3)(ember.randn(2, 5, 6, 5))
    assert out.shape == (2, 3, 3, 3)
    for call in [
        lambda lib: lib.nn.FractionalMaxPool2d(2),
        lambda lib: lib.nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5),
        lambda lib: lib.nn.FractionalMaxPool2d(2, output_ratio=1.5),
        lambda lib: lib.nn.functional.fractional_max_pool2d(lib.zeros(1, 1, 5, 5), 3,
                                                            output_size=4),
    ]:
        with pytest.raises(Exception) as te:
            call(torch)
        with pytest.raises(type(te.value)):
            call(ember)
