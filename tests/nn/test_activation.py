"""Activation functions and layers against torch: values, gradients, dtypes, in-place forms."""

import numpy as np
import pytest
import torch

import ember
from tests.nn._compare import check_fn, check_module, close, pair, randn

# (name, kwargs); the input is scaled by 3 so that thresholds at +-3 and kinks are exercised.
FUNCTIONAL = [
    ("relu", {}), ("relu6", {}), ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}),
    ("celu", {"alpha": 2.0}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}),
    ("mish", {}), ("sigmoid", {}), ("logsigmoid", {}), ("tanh", {}), ("hardtanh", {}),
    ("hardtanh", {"min_val": -2.0, "max_val": 0.5}), ("hardswish", {}), ("hardsigmoid", {}),
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}), ("softsign", {}),
    ("softshrink", {}), ("softshrink", {"lambd": 1.0}), ("hardshrink", {}),
    ("tanhshrink", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("threshold", {"threshold": 0.3, "value": -2.0}),
    ("glu", {}), ("glu", {"dim": 0}), ("softmax", {"dim": 1}), ("log_softmax", {"dim": -1}),
    ("softmin", {"dim": 0}),
]  # fmt: skip

SHAPES = [(4, 6), (), (0, 4), (2, 3, 4)]


def _input(shape, dtype="float32"):
    x = randn(*shape, dtype="float64") * 3
    return x.astype(dtype)


@pytest.mark.parametrize("name,kwargs", FUNCTIONAL, ids=lambda v: str(v))
@pytest.mark.parametrize("shape", SHAPES)
def test_functional(name, kwargs, shape):
    if name == "glu" and (shape in ((), (2, 3, 4)) or (kwargs and shape == (0, 4))):
        pytest.skip("glu needs an even dim")
    if name in ("softmax", "log_softmax", "softmin") and len(shape) < 2:
        kwargs = {"dim": 0} if shape else {"dim": 0}
    for dtype in ("float32", "float64"):
        check_fn(lambda lib, x: getattr(lib.nn.functional, name)(x, **kwargs), _input(shape, dtype))


@pytest.mark.parametrize(
    "name",
    [
        "relu",
        "elu",
        "gelu",
        "silu",
        "hardswish",
        "softplus",
        "leaky_relu",
        "hardtanh",
        "mish",
        "logsigmoid",
    ],
)
def test_half_precision(name):
    for dtype in ("float16", "bfloat16"):
        x = _input((5, 7))
        e, t = ember.tensor(x).to(getattr(ember, dtype)), torch.tensor(x).to(getattr(torch, dtype))
        close(getattr(ember.nn.functional, name)(e), getattr(torch.nn.functional, name)(t))


@pytest.mark.parametrize("name", ["gelu", "silu", "elu", "softplus", "mish"])
def test_integer_input_raises(name):
    with pytest.raises(RuntimeError):
        getattr(torch.nn.functional, name)(torch.arange(3))
    with pytest.raises(RuntimeError):
        getattr(ember.nn.functional, name)(ember.arange(3))


INPLACE = [
    ("relu", {}),
    ("relu6", {}),
    ("elu", {}),
    ("selu", {}),
    ("celu", {}),
    ("silu", {}),
    ("mish", {}),
    ("hardswish", {}),
    ("hardsigmoid", {}),
    ("hardtanh", {}),
    ("leaky_relu", {"negative_slope": 0.1}),
    ("threshold", {"threshold": 0.1, "value": 5.0}),
]


@pytest.mark.parametrize("name,kwargs", INPLACE)
def test_inplace(name, kwargs):
    def fn(lib, x):
        y = x * 1.5
        out = getattr(lib.nn.functional, name)(y, inplace=True, **kwargs)
        assert out is y
        return out

    check_fn(fn, _input((4, 5)))


@pytest.mark.parametrize("name", ["relu_", "elu_", "leaky_relu_", "hardtanh_", "selu_", "celu_"])
def test_underscore_forms(name):
    def fn(lib, x):
        y = x * 2.0
        assert getattr(lib.nn.functional, name)(y) is y
        return y

    check_fn(fn, _input((3, 4)))


def test_inplace_no_grad_writes_input():
    e, t = pair(_input((3, 4)))
    ember.nn.functional.silu(e, inplace=True)
    torch.nn.functional.silu(t, inplace=True)
    close(e, t)


def test_hardtanh_integer_input():
    check_fn(lambda lib, x: lib.nn.functional.hardtanh(x), np.arange(-3, 4), grad=False)


def test_prelu_functional():
    check_fn(
        lambda lib, x, w: lib.nn.functional.prelu(x, w),
        _input((2, 3, 4)),
        np.array([0.1, -0.3, 0.5], np.float32),
    )
    check_fn(
        lambda lib, x, w: lib.nn.functional.prelu(x, w), _input((2, 3)), np.array([0.2], np.float32)
    )
    with pytest.raises(RuntimeError):
        ember.nn.functional.prelu(ember.randn(2, 3), ember.randn(4))


def test_gelu_bad_approximate():
    with pytest.raises(RuntimeError):
        ember.nn.functional.gelu(ember.randn(2), approximate="fast")


def test_glu_odd_raises():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError):
            lib.nn.functional.glu(lib.randn(3, 5))


MODULES = [
    ("ReLU", (), {}), ("ReLU", (), {"inplace": True}), ("ReLU6", (), {}),
    ("LeakyReLU", (0.2,), {}), ("LeakyReLU", (), {"inplace": True}),
    ("ELU", (), {}), ("ELU", (0.3, True), {}), ("CELU", (1.5,), {}), ("SELU", (), {}),
    ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}), ("SiLU", (), {}), ("Mish", (), {}),
    ("Sigmoid", (), {}), ("LogSigmoid", (), {}), ("Tanh", (), {}), ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 2.0), {}), ("Hardswish", (), {}), ("Hardsigmoid", (), {}),
    ("Softplus", (), {"beta": 2.0}), ("Softsign", (), {}), ("Softshrink", (0.3,), {}),
    ("Hardshrink", (), {}), ("Tanhshrink", (), {}), ("Threshold", (0.1, 20.0), {}),
    ("GLU", (), {}), ("Softmax", (1,), {}), ("LogSoftmax", (), {"dim": 2}),
    ("Softmin", (0,), {}), ("Softmax2d", (), {}), ("PReLU", (), {}), ("PReLU", (3,), {}),
]  # fmt: skip


@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=str)
def test_module(name, args, kwargs):
    em = getattr(ember.nn, name)(*args, **kwargs)
    tm = getattr(torch.nn, name)(*args, **kwargs)
    x = _input((2, 3, 4, 6))
    if kwargs.get("inplace") or (len(args) > 1 and args[-1] is True):
        check_fn(lambda lib, x: (em if lib is ember else tm)(x * 1.0), x)
        assert repr(em) == repr(tm)
    else:
        check_module(em, tm, x)


def test_rrelu_eval_matches_torch():
    for args in [(), (0.1, 0.3)]:
        em, tm = ember.nn.RReLU(*args).eval(), torch.nn.RReLU(*args).eval()
        check_module(em, tm, _input((2, 3, 5)), train=False)
    check_fn(lambda lib, x: lib.nn.functional.rrelu(x, 0.2, 0.4), _input((4, 5)))
    assert repr(ember.nn.RReLU(0.1, 0.3, True)) == repr(torch.nn.RReLU(0.1, 0.3, True))


def test_rrelu_training_noise_and_grad():
    ember.manual_seed(0)
    x = ember.randn(4000, dtype=ember.float64, requires_grad=True)
    y = ember.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    assert y.grad_fn.name() == "RreluWithNoiseBackward0"
    xs, ys = x.detach().numpy(), y.detach().numpy()
    slope = ys[xs < 0] / xs[xs < 0]
    assert slope.min() >= 0.1 and slope.max() <= 0.3 and abs(slope.mean() - 0.2) < 0.01
    np.testing.assert_array_equal(ys[xs >= 0], xs[xs >= 0])
    g = ember.randn(4000, dtype=ember.float64)
    y.backward(g)
    np.testing.assert_allclose(x.grad.numpy(), g.numpy() * ys / np.where(xs == 0, 1, xs))
    z = ember.randn(10)
    before = z.clone()
    out = ember.nn.functional.rrelu_(z, training=True)
    assert out is z and (z.numpy() != before.numpy()).sum() == (before.numpy() < 0).sum()
    for lib, exc in ((ember, RuntimeError), (torch, RuntimeError)):
        with pytest.raises(exc):
            lib.nn.functional.rrelu(lib.randn(3), 0.5, 0.2, training=True)
    with pytest.raises(NotImplementedError):
        ember.nn.functional.rrelu(ember.tensor([1, 2]))


def test_softmax2d_rejects_2d():
    with pytest.raises(ValueError):
        ember.nn.Softmax2d()(ember.randn(3, 4))


def test_gumbel_softmax():
    ember.manual_seed(0)
    logits = ember.tensor([[1.0, 2.0, 0.5, -1.0]] * 2000, requires_grad=True)
    soft = ember.nn.functional.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.sum(-1).detach().numpy(), 1, rtol=1e-5)
    hard = ember.nn.functional.gumbel_softmax(logits, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(-1) == 1).all()
    freq = h.mean(0)
    p = np.exp([1.0, 2.0, 0.5, -1.0])
    p /= p.sum()
    np.testing.assert_allclose(freq, p, atol=0.04)
    g = ember.randn(2000, 4)
    hard.backward(g)
    assert logits.grad is not None and np.isfinite(logits.grad.numpy()).all()


def test_gradgrad_float64():
    for name, kw in [
        ("gelu", {}),
        ("gelu", {"approximate": "tanh"}),
        ("silu", {}),
        ("elu", {}),
        ("mish", {}),
        ("softplus", {}),
        ("logsigmoid", {}),
    ]:
        x = ember.tensor(randn(3, 4, dtype="float64"), requires_grad=True)
        fn = lambda t, name=name, kw=kw: getattr(ember.nn.functional, name)(t, **kw)  # noqa: E731
        assert ember.autograd.gradcheck(fn, (x,))
        assert ember.autograd.gradgradcheck(fn, (x,))
