"""Normalisation layers and functions against torch: outputs, gradients, running stats."""

import numpy as np
import pytest
import torch

import ember
from tests.nn._compare import check_fn, check_module, close, randn

TOL = {"rtol": 1e-4, "atol": 1e-5}


def _pair(name, *args, **kwargs):
    return getattr(ember.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


def _randomise(tm):
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.randn(p.shape))


@pytest.mark.parametrize(
    "name,shape",
    [
        ("BatchNorm1d", (6, 3)),
        ("BatchNorm1d", (4, 3, 5)),
        ("BatchNorm2d", (4, 3, 5, 2)),
        ("BatchNorm3d", (2, 3, 2, 3, 2)),
    ],
)
@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"affine": False},
        {"momentum": None},
        {"track_running_stats": False},
        {"momentum": 0.3},
        {"bias": False},
    ],
)
def test_batchnorm(name, shape, opts):
    em, tm = _pair(name, 3, **opts)
    _randomise(tm)
    for step in range(3):  # train several steps: running stats must follow torch's
        x = randn(*shape, seed=step) * 2 + 1
        check_module(em, tm, x, train=True, **TOL)
        em.zero_grad()
        tm.zero_grad()
    check_module(em, tm, randn(*shape, seed=9), train=False, **TOL)


def test_batchnorm_state_and_errors():
    em, tm = _pair("BatchNorm2d", 4)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert em.num_batches_tracked.dtype == ember.int64
    with pytest.raises(ValueError):
        em(ember.randn(2, 4, 3))
    with pytest.raises(ValueError):
        ember.nn.BatchNorm1d(3)(ember.randn(1, 3))
    em.eval()
    assert em(ember.randn(1, 4, 1, 1)).shape == (1, 4, 1, 1)


def test_batchnorm_functional_eval_and_float64():
    rm, rv = randn(3, seed=1, dtype="float64"), np.abs(randn(3, seed=2, dtype="float64")) + 0.5
    check_fn(
        lambda lib, x, w, b: lib.nn.functional.batch_norm(
            x, lib.tensor(rm), lib.tensor(rv), w, b, training=False
        ),
        randn(4, 3, 2, dtype="float64"),
        randn(3, dtype="float64", seed=3),
        randn(3, dtype="float64", seed=4),
    )


@pytest.mark.parametrize(
    "shape",
    [(8, 4, 2, 2), (3, 4, 7), (2, 4, 3, 2, 2), (0, 4, 3, 3), (2, 4, 0, 3), (5, 4)],
)
@pytest.mark.parametrize("contiguous", [True, False])
def test_batchnorm_eval_per_channel_rows(shape, contiguous):
    # eval mode scales whole samples by the per-channel factors repeated over each plane
    em, tm = _pair(f"BatchNorm{max(1, len(shape) - 2)}d", 4)
    _randomise(tm)
    with torch.no_grad():
        tm.running_mean.copy_(torch.randn(4))
        tm.running_var.copy_(torch.rand(4) + 0.5)
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = randn(*shape, seed=5)
    if not contiguous:
        x = np.ascontiguousarray(np.swapaxes(x, 0, -1)).swapaxes(0, -1)
    check_module(em, tm, x, train=False, **TOL)


def test_batchnorm_gradcheck():
    x = ember.tensor(randn(4, 3, 2, dtype="float64"), requires_grad=True)
    w = ember.tensor(randn(3, dtype="float64", seed=1), requires_grad=True)
    b = ember.tensor(randn(3, dtype="float64", seed=2), requires_grad=True)

    def fn(x, w, b):
        return ember.nn.functional.batch_norm(x, None, None, w, b, training=True)

    assert ember.autograd.gradcheck(fn, (x, w, b))
    assert ember.autograd.gradgradcheck(fn, (x, w, b))

    def ln(x, w, b):
        return ember.nn.functional.layer_norm(x, (2,), w[:2], b[:2])

    assert ember.autograd.gradcheck(ln, (x, w, b))
    assert ember.autograd.gradgradcheck(ln, (x, w, b))


@pytest.mark.parametrize("shape,ns", [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5)), ((3, 5), 5)])
@pytest.mark.parametrize(
    "opts", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-3}]
)
def test_layernorm(shape, ns, opts):
    em, tm = _pair("LayerNorm", ns, **opts)
    _randomise(tm)
    check_module(em, tm, randn(*shape) * 3, **TOL)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_fused_rows(dtype, affine):
    """The fused layer norm over many rows of a non-contiguous input, against torch: values
    and the gradients of the input, weight and bias."""
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    x = (randn(6, 40, 24, dtype=dtype) * 3 + 1).transpose(1, 0, 2)
    w, b = randn(24, seed=1, dtype=dtype), randn(24, seed=2, dtype=dtype)

    def fn(lib, x, w, b):
        ww = None if affine == "none" else w
        bb = b if affine == "both" else None
        return lib.nn.functional.layer_norm(x, (24,), ww, bb, 1e-5)

    check_fn(fn, x, w, b, **tol)


def test_layer_norm_fused_gradcheck_two_dims():
    x = ember.tensor(randn(3, 4, 5, dtype="float64"), requires_grad=True)
    w = ember.tensor(randn(4, 5, seed=1, dtype="float64"), requires_grad=True)
    b = ember.tensor(randn(4, 5, seed=2, dtype="float64"), requires_grad=True)

    def fn(x, w, b):
        return ember.nn.functional.layer_norm(x, (4, 5), w, b)

    assert ember.autograd.gradcheck(fn, (x, w, b))
    assert ember.autograd.gradgradcheck(fn, (x, w, b))


def test_layernorm_half_and_error():
    x = randn(4, 8)
    e = ember.nn.functional.layer_norm(ember.tensor(x).half(), (8,))
    t = torch.nn.functional.layer_norm(torch.tensor(x).half(), (8,))
    close(e, t)
    with pytest.raises(RuntimeError):
        ember.nn.functional.layer_norm(ember.randn(3, 4), (5,))


@pytest.mark.parametrize(
    "groups,shape", [(2, (3, 4, 5)), (1, (2, 6, 2, 2)), (6, (2, 6, 3)), (3, (4, 6))]
)
@pytest.mark.parametrize("affine", [True, False])
def test_groupnorm(groups, shape, affine):
    em, tm = _pair("GroupNorm", groups, shape[1], affine=affine)
    _randomise(tm)
    check_module(em, tm, randn(*shape) * 2, **TOL)


def test_groupnorm_errors():
    with pytest.raises(ValueError):
        ember.nn.GroupNorm(4, 6)
    with pytest.raises(RuntimeError):
        ember.nn.functional.group_norm(ember.randn(2, 6, 3), 4)


@pytest.mark.parametrize(
    "name,shape",
    [
        ("InstanceNorm1d", (2, 3, 5)),
        ("InstanceNorm1d", (3, 5)),
        ("InstanceNorm2d", (2, 3, 4, 4)),
        ("InstanceNorm2d", (3, 4, 4)),
        ("InstanceNorm3d", (2, 3, 2, 2, 3)),
    ],
)
@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"affine": True},
        {"track_running_stats": True},
        {"affine": True, "track_running_stats": True, "momentum": 0.4},
    ],
)
def test_instancenorm(name, shape, opts):
    em, tm = _pair(name, 3, **opts)
    _randomise(tm)
    for step in range(2):
        check_module(em, tm, randn(*shape, seed=step) + 1, train=True, **TOL)
        em.zero_grad()
        tm.zero_grad()
    check_module(em, tm, randn(*shape, seed=5), train=False, **TOL)


@pytest.mark.parametrize(
    "shape,ns,opts",
    [
        ((4, 6), (6,), {}),
        ((2, 3, 4), (3, 4), {}),
        ((3, 5), 5, {"eps": 1e-3}),
        ((3, 5), 5, {"elementwise_affine": False}),
    ],
)
def test_rmsnorm(shape, ns, opts):
    em, tm = _pair("RMSNorm", ns, **opts)
    _randomise(tm)
    check_module(em, tm, randn(*shape), **TOL)


@pytest.mark.parametrize(
    "size,shape", [(2, (2, 5, 3)), (3, (2, 6, 3, 3)), (5, (1, 4, 2, 2, 2)), (1, (2, 3, 4))]
)
def test_local_response_norm(size, shape):
    em, tm = _pair("LocalResponseNorm", size, alpha=0.01, beta=0.7, k=2.0)
    check_module(em, tm, randn(*shape) * 2, **TOL)
