"""The CPU scratch pool (ember/backend/scratch.py) and the convolution that reuses its buffers:
reuse must never leak one call's data into another's results."""

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember.backend import scratch


@pytest.fixture
def pool(monkeypatch):
    """An empty pool that keeps buffers from 1 KB (so small test arrays go through it)."""
    scratch.clear()
    monkeypatch.setattr(scratch, "MIN_BYTES", 1024)
    yield scratch
    scratch.clear()


def test_take_reuses_a_given_buffer_of_the_same_size(pool):
    a = pool.take((64, 32), np.float32)
    assert a.shape == (64, 32) and a.dtype == np.float32 and a.flags.c_contiguous
    pool.give(a)
    assert pool.kept_bytes() == a.nbytes
    b = pool.take((32, 64), np.float32)  # same bytes, other shape
    assert np.shares_memory(a, b) and pool.kept_bytes() == 0
    c = pool.take((1024,), np.float64)  # other size: fresh
    assert not np.shares_memory(b, c)


def test_give_takes_whole_owned_buffers_only(pool):
    a = np.zeros((64, 64), np.float32)
    pool.give(a[:32])  # part of a buffer
    pool.give(a.T[::2])  # a strided view
    pool.give(np.zeros(10, np.float32))  # too small
    pool.give(np.frombuffer(bytearray(64 * 64 * 4), np.float32))  # memory NumPy does not own
    ro = np.zeros((64, 64), np.float32)
    ro.flags.writeable = False
    pool.give(ro)
    pool.give([1, 2, 3])
    assert pool.kept_bytes() == 0
    pool.give(a.reshape(-1))  # a whole buffer through a view: kept once
    pool.give(a)
    assert pool.kept_bytes() == a.nbytes


def test_pool_stays_under_its_limit(pool, monkeypatch):
    monkeypatch.setattr(scratch, "LIMIT", 20_000)
    arrays = [np.empty(4096 // 4 * (i + 1), np.float32) for i in range(4)]  # 4, 8, 12, 16 KB
    for a in arrays:
        pool.give(a)
    assert pool.kept_bytes() <= 20_000
    # the newest is kept, the oldest went first
    assert np.shares_memory(pool.take((4096,), np.float32), arrays[-1])


def _conv_pair(case_seed, shape, wshape, padding, stride):
    rng = np.random.default_rng(case_seed)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(wshape).astype(np.float32)
    g = None
    out = {}
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        wt = lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, padding=padding, stride=stride)
        if g is None:
            g = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        y.backward(lib.tensor(g))
        out[lib.__name__] = [np.asarray(t.detach().numpy()) for t in (y, xt.grad, wt.grad)]
    return out["torch"], out["ember"]


@pytest.mark.parametrize(
    "shape, wshape, padding, stride",
    [
        ((4, 3, 12, 12), (8, 3, 3, 3), 0, 1),  # few channels: channels-first columns
        ((2, 16, 6, 6), (8, 16, 3, 3), 1, 1),  # many channels: channels-last columns
        ((2, 8, 9, 9), (16, 8, 3, 3), 1, 2),
    ],
)
def test_conv_results_do_not_depend_on_reused_buffers(pool, shape, wshape, padding, stride):
    # the same geometry three times with new data: each call reuses the last one's buffers
    for seed in range(3):
        ref, got = _conv_pair(seed, shape, wshape, padding, stride)
        for r, e in zip(ref, got):
            np.testing.assert_allclose(e, r, rtol=1e-4, atol=1e-4)
    assert pool.kept_bytes() > 0  # (the buffers did go through the pool)


def test_conv_twice_backward_with_retained_graph(pool):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 10, 10)).astype(np.float32)
    w = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    grads = {}
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        wt = lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, padding=1)
        y.sum().backward(retain_graph=True)
        # other convolutions in between take the pool's buffers
        lib.nn.functional.conv2d(lib.tensor(x * 3), lib.tensor(w * 2), padding=1)
        (y * y).sum().backward()
        grads[lib.__name__] = (xt.grad.numpy(), wt.grad.numpy())
    for r, e in zip(grads["torch"], grads["ember"]):
        np.testing.assert_allclose(e, r, rtol=1e-4, atol=1e-3)


def test_conv_without_graph_returns_its_columns(pool):
    x = ember.randn(2, 3, 16, 16)
    w = ember.randn(4, 3, 3, 3)
    with ember.no_grad():
        F.conv2d(x, w)
    assert pool.kept_bytes() > 0


def test_forked_child_starts_with_an_empty_pool_and_a_free_lock(pool):
    import os

    pool.give(np.empty(4096, np.float32))
    assert pool.kept_bytes() > 0
    with scratch._lock:  # held by this thread across the fork
        pid = os.fork()
        if pid == 0:  # the child: must neither deadlock nor see the parent's buffers
            ok = pool.kept_bytes() == 0
            a = pool.take((2048,), np.float32)
            pool.give(a)
            os._exit(0 if ok and pool.kept_bytes() == a.nbytes else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
