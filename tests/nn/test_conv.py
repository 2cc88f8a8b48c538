"""Convolution and transposed convolution against torch: outputs, input/weight/bias grads,
modules (state_dict copied from torch, padding modes, repr), double backward, errors."""

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F

rng = np.random.default_rng(0)


def _pair(a, dtype, grad=True):
    t = torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=grad)
    e = ember.tensor(a, dtype=getattr(ember, dtype), requires_grad=grad)
    return t, e


def _close(t, e, tol):
    a = t.detach().numpy()
    b = e.detach().numpy()
    assert a.shape == b.shape
    assert str(e.dtype) == str(t.dtype).replace("torch.", "ember.")
    np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


def compare(tfn, efn, arrays, dtype="float64", tol=None):
    """Run ``fn`` on both libraries, seed backward with a random grad, compare values and grads."""
    tol = tol or (1e-10 if dtype == "float64" else 2e-5)
    ts, es = zip(*[_pair(a, dtype) for a in arrays])
    ty, ey = tfn(*ts), efn(*es)
    _close(ty, ey, tol)
    g = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(g, dtype=ty.dtype))
    ey.backward(ember.tensor(g, dtype=ey.dtype))
    for t, e in zip(ts, es):
        _close(t.grad, e.grad, tol)


CONV_CASES = [
    # nd, N, Cin, Cout, spatial, kernel, kwargs
    (1, 2, 3, 4, (11,), (3,), dict()),
    (1, 2, 4, 6, (12,), (2,), dict(stride=3, padding=2, dilation=2, groups=2)),
    (1, 1, 3, 2, (7,), (4,), dict(padding="same")),
    (2, 2, 3, 4, (7, 6), (3, 2), dict()),
    (2, 2, 4, 6, (9, 8), (3, 3), dict(stride=2, padding=1, dilation=2, groups=2)),
    (2, 2, 4, 8, (9, 8), (3, 3), dict(stride=(2, 1), padding=(1, 0), groups=4)),
    (2, 2, 4, 4, (6, 7), (4, 2), dict(padding="same", dilation=(2, 1))),
    (2, 3, 2, 3, (5, 5), (1, 1), dict()),
    (2, 1, 2, 3, (5, 4), (2, 2), dict(padding="valid", stride=(1, 3))),
    (3, 2, 2, 4, (5, 4, 6), (2, 3, 2), dict(stride=(1, 2, 1), padding=1)),
    (3, 1, 4, 4, (4, 5, 3), (3, 1, 2), dict(groups=2, dilation=(1, 2, 1))),
    # more channels than output columns: im2col in the channels-last layout
    (1, 2, 12, 3, (5,), (2,), dict(stride=2)),
    (2, 2, 8, 5, (4, 3), (3, 3), dict(padding=1)),
    (2, 3, 6, 4, (7, 5), (3, 2), dict(stride=2, padding=(1, 0), dilation=(1, 2))),
    (3, 2, 8, 4, (3, 3, 2), (2, 2, 1), dict(padding=(0, 1, 1))),
    (2, 1, 8, 16, (2, 2), (2, 2), dict(padding=1)),  # ... in the weight's order
    (1, 1, 6, 12, (4,), (3,), dict(stride=3)),
]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False])
def test_conv_functional(case, dtype, bias):
    nd, n, cin, cout, size, k, kw = case
    g = kw.get("groups", 1)
    arrays = [rng.standard_normal((n, cin) + size), rng.standard_normal((cout, cin // g) + k)]
    if bias:
        arrays.append(rng.standard_normal(cout))
    name = f"conv{nd}d"
    compare(lambda *a: getattr(torch.nn.functional, name)(*a, **kw),
            lambda *a: getattr(F, name)(*a, **kw), arrays, dtype)


def test_conv_unbatched_and_noncontiguous():
    x = rng.standard_normal((3, 8, 7))
    w = rng.standard_normal((4, 3, 3, 3))
    compare(torch.nn.functional.conv2d, F.conv2d, [x, w])
    xt = rng.standard_normal((2, 8, 3, 7))
    compare(lambda x, w: torch.nn.functional.conv2d(x.transpose(1, 2), w, stride=2),
            lambda x, w: F.conv2d(x.transpose(1, 2), w, stride=2), [xt, w])


def test_conv_empty_batch():
    w = rng.standard_normal((6, 1, 3, 3))
    compare(lambda x, w: torch.nn.functional.conv2d(x, w, padding=1, groups=3),
            lambda x, w: F.conv2d(x, w, padding=1, groups=3), [np.zeros((0, 3, 5, 5)), w])
    compare(lambda x, w: torch.nn.functional.conv_transpose2d(x, w, stride=2),
            lambda x, w: F.conv_transpose2d(x, w, stride=2), [np.zeros((0, 6, 3, 3)), w])
    compare(lambda x: torch.nn.functional.unfold(x, 2), lambda x: F.unfold(x, 2),
            [np.zeros((0, 3, 4, 4))])
    compare(lambda x: torch.nn.functional.fold(x, (4, 4), 2), lambda x: F.fold(x, (4, 4), 2),
            [np.zeros((0, 12, 9))])


def test_conv_grad_fn_and_no_grad():
    x = ember.randn(1, 2, 5, 5, requires_grad=True)
    w = ember.randn(3, 2, 3, 3)
    assert F.conv2d(x, w).grad_fn.name() == "ConvolutionBackward0"
    with ember.no_grad():
        assert F.conv2d(x, w).grad_fn is None


def test_conv_gradcheck_and_gradgradcheck():
    x = ember.randn(1, 4, 5, 4, dtype=ember.float64, requires_grad=True)
    w = ember.randn(4, 2, 2, 3, dtype=ember.float64, requires_grad=True)
    b = ember.randn(4, dtype=ember.float64, requires_grad=True)
    fn = lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    assert ember.autograd.gradcheck(fn, (x, w, b))
    assert ember.autograd.gradgradcheck(fn, (x, w, b))
    fn_t = lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    x2 = ember.randn(1, 2, 3, 3, dtype=ember.float64, requires_grad=True)
    w2 = ember.randn(2, 3, 3, 3, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(fn_t, (x2, w2))
    assert ember.autograd.gradgradcheck(fn_t, (x2, w2))
    # channels-last columns (more channels than output columns)
    x3 = ember.randn(2, 6, 3, 3, dtype=ember.float64, requires_grad=True)
    w3 = ember.randn(3, 6, 2, 2, dtype=ember.float64, requires_grad=True)
    fn3 = lambda x, w: F.conv2d(x, w, padding=1, stride=2)
    assert ember.autograd.gradcheck(fn3, (x3, w3))
    assert ember.autograd.gradgradcheck(fn3, (x3, w3))
    w4 = ember.randn(9, 6, 2, 2, dtype=ember.float64, requires_grad=True)  # weight's order
    x4 = ember.randn(1, 6, 3, 3, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(fn3, (x4, w4))
    assert ember.autograd.gradgradcheck(fn3, (x4, w4))


def test_conv_double_backward_matches_torch():
    x = rng.standard_normal((2, 2, 6, 5))
    w = rng.standard_normal((3, 2, 3, 2))
    out = []
    for lib, fn in ((torch, torch.nn.functional.conv2d), (ember, F.conv2d)):
        xt = lib.tensor(x, requires_grad=True)
        wt = lib.tensor(w, requires_grad=True)
        y = fn(xt, wt, stride=2, padding=1)
        gx, gw = lib.autograd.grad((y * y).sum(), (xt, wt), create_graph=True)
        (gx.pow(2).sum() + (gw * gw).sum()).backward()
        out.append((xt.grad.detach().numpy(), wt.grad.detach().numpy()))
    for a, b in zip(*out):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-9)


CONVT_CASES = [
    (1, 2, 3, 4, (5,), (3,), dict(stride=2, padding=1, output_padding=1)),
    (2, 2, 3, 4, (4, 3), (3, 2), dict()),
    (2, 2, 4, 6, (4, 5), (3, 3), dict(stride=2, padding=1, output_padding=(1, 0), groups=2)),
    (2, 1, 2, 2, (3, 4), (2, 3), dict(stride=(1, 3), dilation=2, padding=(0, 2))),
    (3, 1, 2, 3, (3, 2, 3), (2, 2, 3), dict(stride=2, output_padding=1)),
]


@pytest.mark.parametrize("case", CONVT_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv_transpose_functional(case, dtype):
    nd, n, cin, cout, size, k, kw = case
    g = kw.get("groups", 1)
    arrays = [rng.standard_normal((n, cin) + size), rng.standard_normal((cin, cout // g) + k),
              rng.standard_normal(cout)]
    name = f"conv_transpose{nd}d"
    compare(lambda *a: getattr(torch.nn.functional, name)(*a, **kw),
            lambda *a: getattr(F, name)(*a, **kw), arrays, dtype)


def _module_pair(name, *args, **kwargs):
    tm = getattr(torch.nn, name)(*args, **kwargs)
    em = getattr(ember.nn, name)(*args, **kwargs)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def _compare_module(tm, em, x, tol=2e-5, **fkw):
    tx = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    ex = ember.tensor(x, dtype=ember.float32, requires_grad=True)
    ty, ey = tm(tx, **fkw), em(ex, **fkw)
    _close(ty, ey, tol)
    g = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(g, dtype=torch.float32))
    ey.backward(ember.tensor(g, dtype=ember.float32))
    _close(tx.grad, ex.grad, tol)
    for (n, tp), (_, ep) in zip(tm.named_parameters(), em.named_parameters()):
        _close(tp.grad, ep.grad, tol)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("nd,kw", [
    (1, dict(kernel_size=3, padding=2, stride=2)),
    (2, dict(kernel_size=(3, 2), padding=(1, 1), bias=False)),
    (2, dict(kernel_size=3, padding="same", dilation=2, groups=2)),
    (3, dict(kernel_size=2, padding=1)),
])
def test_conv_modules(mode, nd, kw):
    tm, em = _module_pair(f"Conv{nd}d", 4, 6, padding_mode=mode, **kw)
    assert repr(em) == repr(tm)
    assert em.weight.shape == tuple(tm.weight.shape)
    _compare_module(tm, em, rng.standard_normal((2, 4) + (5,) * nd))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_transpose_modules(nd):
    tm, em = _module_pair(f"ConvTranspose{nd}d", 4, 6, 3, stride=2, padding=1, groups=2)
    assert repr(em) == repr(tm)
    x = rng.standard_normal((2, 4) + (3,) * nd)
    _compare_module(tm, em, x)
    _compare_module(tm, em, x, output_size=(6,) * nd)


def test_conv_init_distribution():
    ember.manual_seed(0)
    m = ember.nn.Conv2d(8, 16, 3)
    bound_w = 1 / np.sqrt(8 * 9)
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound_w and np.abs(w).max() > 0.8 * bound_w
    b = m.bias.detach().numpy()
    assert np.abs(b).max() <= bound_w
    m = ember.nn.Conv2d(4, 4, 3, dtype=ember.float64)
    assert m.weight.dtype == ember.float64


def _raises_same(tfn, efn):
    with pytest.raises(Exception) as te:
        tfn()
    with pytest.raises(type(te.value)):
        efn()


@pytest.mark.parametrize("call", [
    lambda lib, F_: F_.conv2d(lib.zeros(1, 3, 5, 5), lib.zeros(4, 2, 3, 3)),
    lambda lib, F_: F_.conv2d(lib.zeros(1, 4, 5, 5), lib.zeros(3, 2, 3, 3), groups=2),
    lambda lib, F_: F_.conv2d(lib.zeros(1, 3, 2, 2), lib.zeros(4, 3, 3, 3)),
    lambda lib, F_: F_.conv2d(lib.zeros(3, 5), lib.zeros(4, 3, 3, 3)),
    lambda lib, F_: F_.conv2d(lib.zeros(1, 3, 5, 5), lib.zeros(4, 3, 3, 3), stride=2, padding="same"),
    lambda lib, F_: F_.conv2d(lib.zeros(1, 3, 5, 5), lib.zeros(4, 3, 3, 3), lib.zeros(3)),
    lambda lib, F_: lib.nn.Conv2d(3, 4, 3, groups=2),
    lambda lib, F_: lib.nn.Conv2d(4, 3, 3, groups=2),
    lambda lib, F_: lib.nn.Conv2d(4, 4, 3, padding="foo"),
    lambda lib, F_: lib.nn.Conv2d(4, 4, 3, padding_mode="bad"),
    lambda lib, F_: lib.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
    lambda lib, F_: F_.conv1d(lib.zeros(2, 3, 8), lib.zeros(0, 3, 3)),
])
def test_conv_errors(call):
    _raises_same(lambda: call(torch, torch.nn.functional), lambda: call(ember, F))


FOLD_CASES = [
    ((2, 3, 7, 6), dict(kernel_size=3)),
    ((2, 3, 7, 6), dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(2, 1))),
    ((3, 5, 5), dict(kernel_size=2, stride=2)),
]


@pytest.mark.parametrize("shape,kw", FOLD_CASES)
def test_unfold_fold(shape, kw):
    x = rng.standard_normal(shape)
    compare(lambda t: torch.nn.functional.unfold(t, **kw), lambda e: F.unfold(e, **kw), [x])
    cols = torch.nn.functional.unfold(torch.tensor(x), **kw).numpy()
    size = shape[-2:]
    compare(lambda t: torch.nn.functional.fold(t, size, **kw), lambda e: F.fold(e, size, **kw), [cols])
    tm, em = torch.nn.Fold(size, **kw), ember.nn.Fold(size, **kw)
    assert repr(em) == repr(tm)
    compare(tm, em, [cols], "float32")
    tm, em = torch.nn.Unfold(**kw), ember.nn.Unfold(**kw)
    assert repr(em) == repr(tm)
    compare(tm, em, [x], "float32")


def test_fold_gradgradcheck():
    x = ember.randn(1, 2, 4, 5, dtype=ember.float64, requires_grad=True)
    fn = lambda x: F.fold(F.unfold(x, 2, padding=1) * 2, (4, 5), 2, padding=1)
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.fold(lib.zeros(1, 5, 4), (3, 3), 2),
    lambda lib: lib.nn.functional.fold(lib.zeros(1, 4, 5), (3, 3), 2),
    lambda lib: lib.nn.functional.fold(lib.zeros(1, 1, 4, 5), (3, 3), 2),
    lambda lib: lib.nn.functional.unfold(lib.zeros(4, 4), 2),
    lambda lib: lib.nn.functional.unfold(lib.zeros(1, 1, 1, 4, 4), 2),
])
def test_fold_errors(call):
    _raises_same(lambda: call(torch), lambda: call(ember))
