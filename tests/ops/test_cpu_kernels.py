"""CPU kernels that take a different route for large arrays, against torch: the branch-free
``where`` (bit-exact, broadcasting, every 4- and 8-byte dtype, nan / inf / -0.0, gradients), the
ReLU's backward (bit-exact, the same edge cases, double backward) and the dense ``bincount``
scatter-add (scatter_add, index_put accumulate, max-pool backward)."""

import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
@pytest.mark.parametrize("shapes", [((64, 100), (64, 100), (64, 100)),
                                    ((64, 100), (64, 100), ()),
                                    ((100,), (64, 100), (1, 100)),
                                    ((64, 1), (64, 100), (64, 100))])
def test_where_matches_torch_bit_for_bit(dtype, shapes):
    rng = np.random.default_rng(0)
    cs, as_, bs = shapes
    c = rng.random(cs) > 0.5
    a = (rng.standard_normal(as_) * 10).astype(dtype)
    b = (rng.standard_normal(bs) * 10).astype(dtype)
    if dtype.startswith("float"):
        a.flat[:3] = [np.nan, np.inf, -0.0]
        b.flat[0] = -0.0
    ours = ember.where(ember.tensor(c), ember.tensor(a), ember.tensor(b)).numpy()
    theirs = torch.where(torch.tensor(c), torch.tensor(a), torch.tensor(b)).numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert ours.tobytes() == theirs.tobytes()


def test_where_on_a_transposed_input_and_its_gradient():
    rng = np.random.default_rng(1)
    c = rng.random((80, 90)) > 0.3
    a = rng.standard_normal((90, 80)).astype(np.float32)
    b = rng.standard_normal((80, 90)).astype(np.float32)
    g = rng.standard_normal((80, 90)).astype(np.float32)
    results = []
    for lib in (ember, torch):
        ta, tb = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = lib.where(lib.tensor(c), ta.t(), tb)
        out.backward(lib.tensor(g))
        results.append((out.detach().numpy(), ta.grad.numpy(), tb.grad.numpy()))
    for x, y in zip(*results, strict=True):
        np.testing.assert_array_equal(x, y)


def _relu_inputs(shape, dtype, seed):
    """An input with nan, +-inf and +-0.0 where the ReLU passes and where it does not, and a
    gradient with nan, inf and -0.0 at both kinds of places."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    x.flat[:8] = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, -1.0, 2.0]
    g.flat[:8] = [1.0, 2.0, 3.0, np.nan, np.nan, np.inf, -np.inf, -0.0]
    x.flat[-4:] = [-0.0, 0.0, -3.0, 3.0]  # and the tail past any block of the kernel
    g.flat[-4:] = [np.nan, -np.inf, -0.0, np.nan]
    return x, g


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("shape", [(30, 17), (67, 131), (3, 41, 37)])
@pytest.mark.parametrize("transposed_grad", [False, True])
def test_relu_backward_matches_torch_bit_for_bit(dtype, shape, transposed_grad):
    # (67, 131) and (3, 41, 37) are past the branch-free kernel's 4096 elements, odd sizes
    x, g = _relu_inputs(shape, dtype, 3)
    results = []
    for lib in (ember, torch):
        tx = lib.tensor(x, requires_grad=True)
        tg = lib.tensor(np.ascontiguousarray(g.swapaxes(0, -1))).transpose(0, -1) if (
            transposed_grad) else lib.tensor(g)
        y = lib.relu(tx)
        y.backward(tg)
        results.append((y.detach().numpy(), tx.grad.numpy()))
    (y, dx), (ty, tdx) = results
    np.testing.assert_array_equal(y, ty)  # (relu(-0.0) is -0.0 in torch, may be +0.0 here)
    assert dx.dtype == tdx.dtype and dx.shape == tdx.shape
    assert dx.tobytes() == tdx.tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_double_backward_matches_torch(dtype):
    x, g = _relu_inputs((70, 61), dtype, 4)
    x, g = np.nan_to_num(x), np.nan_to_num(g)  # (finite: the second pass multiplies them)
    h = np.random.default_rng(5).standard_normal(x.shape).astype(dtype)
    results = []
    for lib in (ember, torch):
        tx, tg = lib.tensor(x, requires_grad=True), lib.tensor(g, requires_grad=True)
        (gx,) = lib.autograd.grad(lib.relu(tx), tx, tg, create_graph=True)
        assert gx.grad_fn.name() == "ThresholdBackwardBackward0"
        dx, dg = lib.autograd.grad(gx, (tx, tg), lib.tensor(h))
        results.append((gx.detach().numpy(), dx.numpy(), dg.numpy()))
    for ours, theirs in zip(*results, strict=True):
        assert ours.tobytes() == theirs.tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dense_scatter_add_with_repeats(dtype):
    rng = np.random.default_rng(2)
    base = rng.standard_normal((50, 300)).astype(dtype)
    index = rng.integers(0, 50, (200, 300))
    src = rng.standard_normal((200, 300)).astype(dtype)
    ours = ember.tensor(base).scatter_add(0, ember.tensor(index), ember.tensor(src)).numpy()
    theirs = torch.tensor(base).scatter_add(0, torch.tensor(index), torch.tensor(src)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5 if dtype == "float32" else 1e-12,
                               atol=1e-5 if dtype == "float32" else 1e-12)


def test_dense_index_put_accumulate_with_negative_indices():
    rng = np.random.default_rng(3)
    rows = rng.integers(-64, 64, 20000)
    vals = rng.standard_normal((20000, 8)).astype(np.float32)
    results = []
    for lib in (ember, torch):
        t = lib.zeros(64, 8)
        t.index_put_((lib.tensor(rows),), lib.tensor(vals), accumulate=True)
        results.append(t.numpy())
    np.testing.assert_allclose(*results, rtol=1e-4, atol=1e-4)


def test_max_pool_backward_on_a_large_input():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((8, 16, 32, 32)).astype(np.float32)
    g = rng.standard_normal((8, 16, 16, 16)).astype(np.float32)
    grads = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        lib.nn.functional.max_pool2d(t, 2).backward(lib.tensor(g))
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(*grads)


@pytest.mark.parametrize("kernel", [2, 3, (2, 3)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tiled_max_pool_matches_torch_with_ties_and_nans(kernel, dtype):
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, (3, 4, 13, 14)).astype(dtype)  # many ties
    x[0, 0, 0, 1] = np.nan
    x[1, 2, 5, 5] = np.nan
    x[2, 1, 7, 6] = -np.inf
    g = None
    results = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        src = t.transpose(2, 3)  # a non-contiguous input too
        values, idx = lib.nn.functional.max_pool2d(src, kernel, return_indices=True)
        if g is None:
            g = rng.standard_normal(tuple(values.shape)).astype(dtype)
        values.backward(lib.tensor(g))
        results.append((values.detach().numpy(), idx.numpy(), t.grad.numpy()))
    (ev, ei, eg), (tv, ti, tg) = results
    np.testing.assert_array_equal(ev, tv)
    np.testing.assert_array_equal(ei, ti)
    np.testing.assert_array_equal(eg, tg)
