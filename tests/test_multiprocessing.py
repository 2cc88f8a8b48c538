"""ember.multiprocessing: tensors shared between processes, Hogwild training, spawn."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.multiprocessing as mp


def _bump(i, t, rounds):
    for _ in range(rounds):
        t[i] += 1


def _sender(q, done):
    x = ember.arange(6.0)
    q.put(x)
    q.put(x[2:5])
    q.put(ember.nn.Parameter(ember.ones(2)))
    done.wait(30)  # the sender keeps its tensors alive until they are received, as in PyTorch
    x[0] = 100.0  # and the receiver sees later writes


def _fail(i):
    if i == 1:
        raise ValueError("process one failed")


class Net(ember.nn.Module):
    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(0)
        self.w = ember.nn.Parameter(ember.tensor(rng.standard_normal((5, 1)).astype(np.float32)))

    def forward(self, x):
        return x @ self.w


def _data(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 5)).astype(np.float32)
    y = x @ np.arange(1, 6, dtype=np.float32).reshape(5, 1)
    return ember.tensor(x), ember.tensor(y)


def _hogwild(rank, model, steps):
    x, y = _data(rank)
    opt = ember.optim.SGD(model.parameters(), lr=0.02)
    for _ in range(steps):
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()


def test_share_memory_in_place():
    t = ember.arange(4.0)
    ptr = t.data_ptr()
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared()
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0] and t.data_ptr() != ptr
    m = Net()
    m.share_memory()
    assert all(p.is_shared() for p in m.parameters())


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_children_write_into_shared_tensor(method):
    t = ember.zeros(3, dtype=ember.int64).share_memory_()
    ctx = mp.get_context(method)
    procs = [ctx.Process(target=_bump, args=(i, t, 50)) for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert t.tolist() == [50, 50, 50]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_queue_sends_shared_views(method):
    ctx = mp.get_context(method)
    q, done = ctx.Queue(), ctx.Event()
    p = ctx.Process(target=_sender, args=(q, done))
    p.start()
    a, b, c = q.get(timeout=60), q.get(timeout=60), q.get(timeout=60)
    assert a.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] and b.tolist() == [2.0, 3.0, 4.0]
    assert b.untyped_storage() is a.untyped_storage() and b.storage_offset() == 2
    assert isinstance(c, ember.nn.Parameter) and c.requires_grad
    done.set()
    p.join(60)
    assert float(a[0]) == 100.0


def test_hogwild_training_shares_one_model():
    model = Net()
    model.share_memory()
    x, y = _data(7)
    before = float(((model(x) - y) ** 2).mean())
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_hogwild, args=(r, model, 40)) for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    after = float(((model(x) - y) ** 2).mean())
    assert after < 0.05 * before  # the parent's model holds both processes' updates


def test_spawn_runs_and_reports_failures():
    t = ember.zeros(2, dtype=ember.int64).share_memory_()
    mp.spawn(_bump, args=(t, 3), nprocs=2)
    assert t.tolist() == [3, 3]
    with pytest.raises(mp.ProcessRaisedException, match="process one failed"):
        mp.spawn(_fail, nprocs=2)
    ctx = mp.spawn(_bump, args=(t, 1), nprocs=2, join=False)
    assert len(ctx.pids()) == 2
    ctx.join()
    assert t.tolist() == [4, 4]
