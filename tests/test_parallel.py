"""Work split over threads (ember/backend/parallel.py) gives what one thread gives.

The suite runs with one thread per worker, so by default no split happens; these tests force
two threads and a tiny size threshold, so that every split path runs on small inputs, and
compare with torch (convolution, pooling, ReLU, Adam) or with the unsplit result.
"""

import threading

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember.backend import cpu, parallel
from tests.nn import test_conv, test_pooling

rng = np.random.default_rng(0)


@pytest.fixture
def split_everything(monkeypatch):
    before = parallel.workers()
    parallel.set_workers(2)
    monkeypatch.setattr(parallel, "MIN_SIZE", 8)
    monkeypatch.setattr(parallel, "QUIET_SIZE", 8)
    yield
    parallel.set_workers(before)


def test_split_covers_each_index_once(split_everything):
    for n in (0, 1, 2, 3, 17, 1000):
        seen = np.zeros(n, int)
        threads = set()

        def fn(lo, hi):
            seen[lo:hi] += 1
            threads.add(threading.get_ident())

        parallel.split(fn, n, 10**6)
        assert (seen == 1).all()
    assert len(threads) == 2  # the caller and one pool thread


def test_split_nested_runs_inline_and_errors_propagate(split_everything):
    calls = []

    def inner(lo, hi):
        calls.append((lo, hi))

    def outer(lo, hi):
        parallel.split(inner, 4, 10**6)  # inside a split: one call, no new threads

    parallel.split(outer, 2, 10**6)
    assert sorted(calls) == [(0, 4), (0, 4)]

    def boom(lo, hi):
        if lo:
            raise ValueError("second half")

    with pytest.raises(ValueError, match="second half"):
        parallel.split(boom, 10, 10**6)


def test_split_errors_from_either_side_and_crew_reuse(split_everything):
    def first_half_fails(lo, hi):
        if not lo:
            raise KeyError("first half")

    with pytest.raises(KeyError):
        parallel.split(first_half_fails, 10, 10**6)
    threads = threading.active_count()
    seen = []
    for _ in range(5):  # the same helper threads serve every split
        parallel.split(lambda lo, hi: seen.append(threading.current_thread().name), 2, 10**6)
    assert threading.active_count() == threads
    assert sorted(set(seen)) == ["MainThread", "ember-split"]


def test_split_with_three_workers_and_from_two_threads(split_everything):
    parallel.set_workers(3)
    got = []
    parallel.split(lambda lo, hi: got.append((lo, hi)), 9, 10**6)
    assert sorted(got) == [(0, 3), (3, 6), (6, 9)]
    # two Python threads splitting at once: one gets the crew, the other runs inline; every
    # index is covered once either way
    counts = np.zeros(2000, int)
    lock = threading.Lock()

    def mark(lo, hi):
        with lock:
            counts[lo:hi] += 1

    def many():
        for _ in range(50):
            parallel.split(mark, 1000, 10**6)

    t = threading.Thread(target=many)
    t.start()
    many()
    t.join()
    np.testing.assert_array_equal(counts[:1000], 100)


def test_contiguous_and_ufunc(split_everything):
    a = rng.standard_normal((6, 5, 4)).astype(np.float32)
    t = a.transpose(2, 0, 1)
    c = parallel.contiguous(t)
    assert c.flags.c_contiguous and (c == t).all()
    assert (parallel.ufunc(np.maximum, a, 0) == np.maximum(a, 0)).all()
    b = rng.standard_normal((6, 5, 4)).astype(np.float32)
    np.testing.assert_array_equal(parallel.ufunc(np.add, a, b), a + b)
    # anything it does not split is the plain call
    assert parallel.ufunc(np.add, a, b[:1]).shape == a.shape
    assert parallel.ufunc(np.maximum, a.astype(np.int32), 0).dtype == np.int32


def test_inplace_ops_split(split_everything):
    x = rng.standard_normal((9, 7)).astype(np.float32)
    t, e = torch.tensor(x), ember.tensor(x)
    t.relu_()
    e.relu_()
    t.mul_(2).add_(t.flip(0))  # (a source that is a view of the destination's memory)
    e.mul_(2).add_(e.flip(0))
    e[1:].copy_(e[:-1].clone())
    t[1:].copy_(t[:-1].clone())
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("b_kind", ["zero", "array", "broadcast"])
def test_where_split(split_everything, b_kind):
    cond = rng.standard_normal((64, 70)) > 0
    a = rng.standard_normal((64, 70)).astype(np.float32)
    a[0, :3] = [np.nan, np.inf, -0.0]
    b = {
        "zero": np.zeros((64, 70), np.float32),
        "array": rng.standard_normal((64, 70)).astype(np.float32),
        "broadcast": rng.standard_normal(70).astype(np.float32),
    }[b_kind]
    got = cpu.where(cond, a, b)
    want = np.where(cond, a, b)
    assert got.view(np.int32).tolist() == want.view(np.int32).tolist()  # bit for bit


@pytest.mark.parametrize("case", test_conv.CONV_CASES)
def test_conv_split(split_everything, case):
    test_conv.test_conv_functional(case, "float32", True)


@pytest.mark.parametrize("case", test_conv.CONVT_CASES)
def test_conv_transpose_split(split_everything, case):
    test_conv.test_conv_transpose_functional(case, "float64")


def test_conv_module_training_split(split_everything):
    tm, em = test_conv._module_pair("Conv2d", 3, 8, 3, padding=1)
    x = rng.standard_normal((4, 3, 9, 9))
    test_conv._compare_module(tm, em, x)
    test_conv.test_conv_unbatched_and_noncontiguous()
    test_conv.test_conv_empty_batch()


def test_pooling_split(split_everything):
    test_pooling.test_max_pool_ties_and_nan()
    test_pooling.test_pool_gradcheck()
    for args in [(2,), (3, 2, 1), ((2, 3), (3, 3), 1, 1, True)]:
        x = rng.standard_normal((3, 4, 12, 11))
        tx = torch.tensor(x, requires_grad=True)
        ex = ember.tensor(x, requires_grad=True)
        ty, ti = torch.nn.functional.max_pool2d(tx, *args, return_indices=True)
        ey, ei = F.max_pool2d(ex, *args, return_indices=True)
        np.testing.assert_array_equal(ey.detach().numpy(), ty.detach().numpy())
        np.testing.assert_array_equal(ei.numpy(), ti.numpy())
        g = rng.standard_normal(ty.shape)
        ty.backward(torch.tensor(g))
        ey.backward(ember.tensor(g))
        np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())


def test_max_pool_values_split(split_everything):
    x = rng.standard_normal((4, 3, 11, 10))
    x[1, 2, 3, 4] = np.nan
    for args in [(3, 2, 1), (2,), ((3, 2), 1, (1, 0), 2, True)]:
        want = torch.nn.functional.max_pool2d(torch.tensor(x), *args).numpy()
        with ember.no_grad():
            got = F.max_pool2d(ember.tensor(x), *args).numpy()
        np.testing.assert_array_equal(got, want)


def test_relu_split(split_everything):
    x = rng.standard_normal((33, 17)).astype(np.float32)
    x[0, 0] = np.nan
    tx = torch.tensor(x, requires_grad=True)
    ex = ember.tensor(x, requires_grad=True)
    ty, ey = torch.relu(tx), ember.relu(ex)
    np.testing.assert_array_equal(ey.detach().numpy(), ty.detach().numpy())
    g = rng.standard_normal(x.shape).astype(np.float32)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g))
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_backward_split(split_everything, dtype):
    # past 4096 elements: the branch-free kernel, here on ranges over two threads
    x = rng.standard_normal((67, 131)).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    x.flat[:4], g.flat[:4] = [np.nan, 0.0, -0.0, -1.0], [1.0, np.nan, np.inf, np.nan]
    y = np.maximum(x, 0)
    got = cpu.relu_backward(g, y)
    want = torch.ops.aten.threshold_backward(torch.tensor(g), torch.tensor(y), 0).numpy()
    assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("kw", [dict(), dict(amsgrad=True, weight_decay=0.1), dict(maximize=True)])
@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_adam_split(split_everything, cls, kw):
    _same_steps(cls, dict(lr=0.01, **kw))


def _same_steps(cls, kw):
    """Four steps of optimizer ``cls`` on one 40x30 weight in both libraries, same grads."""
    w = rng.standard_normal((40, 30)).astype(np.float32)
    tw = torch.tensor(w, requires_grad=True)
    ew = ember.tensor(w, requires_grad=True)
    topt = getattr(torch.optim, cls)([tw], **kw)
    eopt = getattr(ember.optim, cls)([ew], **kw)
    for _ in range(4):
        g = rng.standard_normal(w.shape).astype(np.float32)
        tw.grad = torch.tensor(g)
        ew.grad = ember.tensor(g)
        topt.step()
        eopt.step()
    np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "kw",
    [dict(momentum=0.9), dict(momentum=0.9, nesterov=True, weight_decay=0.01),
     dict(momentum=0.5, dampening=0.2, maximize=True), dict()],
)
def test_sgd_split(split_everything, kw):
    _same_steps("SGD", dict(lr=0.05, **kw))


class _PooledItems(ember.utils.data.Dataset):
    """Items computed with split work (max pool of a fixed tensor), in worker processes."""

    def __init__(self):
        self.x = ember.tensor(rng.standard_normal((4, 3, 8, 8)))

    def __len__(self):
        return 4

    def __getitem__(self, i):
        with ember.no_grad():
            return F.max_pool2d(self.x, 2)[i]


def test_split_in_forked_workers(split_everything):
    data = _PooledItems()
    want = F.max_pool2d(data.x, 2).numpy()  # the pool thread now exists in this process
    loader = ember.utils.data.DataLoader(data, batch_size=2, num_workers=2)
    got = np.concatenate([b.numpy() for b in loader])
    np.testing.assert_array_equal(got, want)


def test_products_after_blas_pool_shutdown(split_everything):
    # a split shuts NumPy's OpenBLAS pool down when it is up; products must start it again
    a = rng.standard_normal((300, 300))
    want = a @ a
    for _ in range(3):
        parallel.split(lambda lo, hi: None, 4, 10**6)
        np.testing.assert_array_equal(a @ a, want)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_rows_of_zeros(monkeypatch, workers, dtype):
    # at least 4096 elements take the zero-row kernel; 70x61 leaves a tail past the rows
    before = parallel.workers()
    parallel.set_workers(workers)
    monkeypatch.setattr(parallel, "MIN_SIZE", 8)
    try:
        x = rng.standard_normal((70, 61)).astype(dtype)
        x[0, 0], x[-1, -1] = np.nan, np.nan  # one in the rows, one in the tail
        x[0, 1], x[-1, -2], x[1, 0], x[-1, -3] = -0.0, -0.0, -np.nan, -np.nan
        tx = torch.tensor(x, requires_grad=True)
        ex = ember.tensor(x, requires_grad=True)
        ty, ey = torch.relu(tx), ember.relu(ex)
        # bit for bit: -0.0 stays -0.0 and a nan keeps its sign, as in torch
        assert ey.detach().numpy().tobytes() == ty.detach().numpy().tobytes()
        for shape in [(70, 61), (5, 7)]:  # relu_ in place: the zero-row kernel and the plain one
            xs = x[: shape[0], : shape[1]].copy()
            ei, ti = ember.tensor(xs), torch.tensor(xs)
            ember.relu_(ei)
            torch.relu_(ti)
            assert ei.numpy().tobytes() == ti.numpy().tobytes()
        g = rng.standard_normal(x.shape).astype(dtype)
        ty.backward(torch.tensor(g))
        ey.backward(ember.tensor(g))
        np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())
        t3 = torch.tensor(x[:, :60].copy()).reshape(70, 6, 10)  # three dims
        np.testing.assert_array_equal(
            ember.relu(ember.tensor(t3.numpy())).numpy(), torch.relu(t3).numpy()
        )
    finally:
        parallel.set_workers(before)
