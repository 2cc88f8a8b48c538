"""ember.utils.data against torch.utils.data: datasets, samplers, collation, DataLoader order
and batching, worker processes and their faults."""

from __future__ import annotations

import collections
import gc
import multiprocessing
import os
import signal
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata

LIBS = [(ember, edata), (torch, tdata)]


def as_py(x):
    """A comparable plain-Python form of a (nested) batch: tensors become (dtype, shape, values)."""
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return {k: as_py(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__,) + tuple(as_py(v) for v in x)
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [as_py(v) for v in x])
    if isinstance(x, np.ndarray):
        return ("A", x.tolist())
    return x


def tensors(lib, n=10):
    x = lib.arange(n * 3, dtype=lib.float32).reshape(n, 3)
    y = lib.arange(n) % 3
    return x, y


# -- datasets -----------------------------------------------------------------------------------


def test_tensor_dataset_and_wrappers():
    out = []
    for lib, data in LIBS:
        x, y = tensors(lib)
        ds = data.TensorDataset(x, y)
        r = [len(ds), as_py(ds[3]), as_py(ds[-1])]
        cat = data.ConcatDataset([ds, data.Subset(ds, [9, 0, 4])])
        r += [len(cat), as_py(cat[11]), as_py(cat[-1]), cat.cumulative_sizes]
        r.append(as_py((ds + ds)[15]))
        st = data.StackDataset(ds, data.Subset(ds, list(range(10))))
        r.append(as_py(st[2]))
        sd = data.StackDataset(a=ds, b=ds)
        r.append(as_py(sd[1]))
        with pytest.raises(AssertionError):
            data.TensorDataset(x, y[:3])
        with pytest.raises(ValueError):
            data.StackDataset(ds, data.Subset(ds, [1]))
        with pytest.raises(ValueError):
            cat[-30]
        out.append(r)
    assert out[0] == out[1]


def test_chain_and_iterable_datasets():
    out = []
    for lib, data in LIBS:

        class Count(data.IterableDataset):
            def __init__(self, n):
                self.n = n

            def __iter__(self):
                return iter(range(self.n))

            def __len__(self):
                return self.n

        chain = data.ChainDataset([Count(3), Count(2)])
        out.append((list(chain), len(chain), list(Count(2) + Count(1))))
    assert out[0] == out[1]


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.25, 0.25, 0.5], [0.33, 0.33, 0.34], [1, 0, 9]])
def test_random_split_sizes(lengths):
    sizes = []
    for lib, data in LIBS:
        parts = data.random_split(range(10), lengths, generator=lib.Generator().manual_seed(1))
        sizes.append([len(p) for p in parts])
        seen = sorted(i for p in parts for i in p)
        assert seen == list(range(10))
    assert sizes[0] == sizes[1]
    a = edata.random_split(range(10), lengths, generator=ember.Generator().manual_seed(5))
    b = edata.random_split(range(10), lengths, generator=ember.Generator().manual_seed(5))
    assert [list(p) for p in a] == [list(p) for p in b]


def test_random_split_errors():
    for lib, data in LIBS:
        with pytest.raises(ValueError):
            data.random_split(range(10), [3, 3])
        with pytest.raises(ValueError):
            data.random_split(range(10), [1.5, -0.5])


# -- samplers -----------------------------------------------------------------------------------


def test_batch_and_sequential_samplers_match_torch():
    out = []
    for _, data in LIBS:
        seq = data.SequentialSampler(range(7))
        r = [list(seq), len(seq)]
        for bs, drop in ((3, False), (3, True), (7, False), (10, True), (1, False)):
            b = data.BatchSampler(seq, bs, drop)
            r.append((list(b), len(b)))
        out.append(r)
    assert out[0] == out[1]


def test_random_samplers():
    g = ember.Generator().manual_seed(0)
    s = edata.RandomSampler(range(20), generator=g)
    first = list(s)
    assert sorted(first) == list(range(20)) and len(s) == 20
    assert first != list(s)  # a new epoch, a new order
    g2 = ember.Generator().manual_seed(0)
    assert list(edata.RandomSampler(range(20), generator=g2)) == first
    r = list(edata.RandomSampler(range(5), replacement=True, num_samples=70, generator=g))
    assert len(r) == 70 and set(r) <= set(range(5)) and len(set(r)) == 5
    r = list(edata.RandomSampler(range(5), num_samples=12, generator=g))
    assert len(r) == 12 and sorted(r[:5]) == list(range(5)) and sorted(r[5:10]) == list(range(5))
    sub = list(edata.SubsetRandomSampler([10, 20, 30], generator=g))
    assert sorted(sub) == [10, 20, 30]
    w = list(edata.WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=g))
    counts = collections.Counter(w)
    assert counts[0] == 0 and 0.7 < counts[2] / 4000 < 0.8
    nr = list(edata.WeightedRandomSampler([1, 1, 1, 0.5], 3, replacement=False, generator=g))
    assert len(set(nr)) == 3


@pytest.mark.parametrize(
    "make",
    [
        lambda d: d.RandomSampler(range(3), replacement=1),
        lambda d: d.RandomSampler(range(3), num_samples=0),
        lambda d: d.WeightedRandomSampler([1.0], 0),
        lambda d: d.WeightedRandomSampler([1.0], 2, replacement="yes"),
        lambda d: d.WeightedRandomSampler([[1.0]], 2),
        lambda d: d.BatchSampler(range(3), 0, False),
        lambda d: d.BatchSampler(range(3), 2, 1),
    ],
)
def test_sampler_errors_match_torch(make):
    errs = []
    for _, data in LIBS:
        with pytest.raises(Exception) as info:
            make(data)
        errs.append(info.value)
    assert type(errs[0]) is type(errs[1])
    assert str(errs[0]) == str(errs[1])


# -- collation ----------------------------------------------------------------------------------

Point = collections.namedtuple("Point", "x y")


def batches(lib):
    t = lambda v, **k: lib.tensor(v, **k)  # noqa: E731
    return [
        [t([1.0, 2.0]), t([3.0, 4.0])],
        [t(1), t(2)],
        [np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)],
        [np.float32(1.5), np.float32(2.5)],
        [1.5, 2.0],
        [1, 2, 3],
        [True, False],
        ["a", "b"],
        [{"a": t([1.0]), "b": 2}, {"a": t([3.0]), "b": 4}],
        [Point(1, t([2.0])), Point(3, t([4.0]))],
        [(t([1]), "x", 1.0), (t([2]), "y", 2.0)],
        [[t([1]), [2, 3]], [t([4]), [5, 6]]],
        [collections.OrderedDict(z=1, a=2), collections.OrderedDict(z=3, a=4)],
    ]


def test_default_collate_matches_torch():
    e = [as_py(edata.default_collate(b)) for b in batches(ember)]
    t = [as_py(tdata.default_collate(b)) for b in batches(torch)]
    assert e == t


def test_default_convert_matches_torch():
    for be, bt in zip(batches(ember), batches(torch)):
        for se, st in zip(be, bt):
            assert as_py(edata.default_convert(se)) == as_py(tdata.default_convert(st))


@pytest.mark.parametrize(
    "batch",
    [
        [[1, 2], [3]],
        [np.array(["a"]), np.array(["b"])],
        [object(), object()],
    ],
)
def test_collate_errors_match_torch(batch):
    errs = []
    for _, data in LIBS:
        with pytest.raises(Exception) as info:
            data.default_collate(batch)
        errs.append(info.value)
    assert type(errs[0]) is type(errs[1])


# -- DataLoader ---------------------------------------------------------------------------------


class Squares:
    """A plain map-style dataset (no base class), as many real programs write."""

    def __init__(self, lib, n=11):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i >= self.n:
            raise IndexError(i)
        return {"x": self.lib.tensor([float(i), float(i * i)]), "i": i}


LOADERS = {
    "bs3": lambda L, d, ds: d.DataLoader(ds, batch_size=3),
    "bs3-drop": lambda L, d, ds: d.DataLoader(ds, batch_size=3, drop_last=True),
    "no-batch": lambda L, d, ds: d.DataLoader(ds, batch_size=None),
    "collate": lambda L, d, ds: d.DataLoader(ds, batch_size=4, collate_fn=lambda b: len(b)),
    "batch-sampler": lambda L, d, ds: d.DataLoader(ds, batch_sampler=[[0, 5], [2], [9, 1, 3]]),
    "sampler": lambda L, d, ds: d.DataLoader(ds, batch_size=2, sampler=[4, 3, 2, 1]),
}


@pytest.mark.parametrize("name", list(LOADERS))
@pytest.mark.parametrize("which", ["tensors", "squares"])
def test_loader_batches_match_torch(name, which):
    out = []
    for lib, data in LIBS:
        ds = data.TensorDataset(*tensors(lib)) if which == "tensors" else Squares(lib)
        loader = LOADERS[name](lib, data, ds)
        out.append(([as_py(b) for b in loader], len(loader)))
    assert out[0] == out[1]


def test_fast_tensor_batches_equal_per_sample_collation():
    x = ember.tensor(np.random.default_rng(0).standard_normal((50, 2, 3)).astype(np.float32))
    y = ember.arange(50)
    fast = edata.TensorDataset(x.t() if False else x, y)

    class Slow(edata.Dataset):
        def __getitem__(self, i):
            return fast[i]

        def __len__(self):
            return 50

    for bs in (1, 7, 50):
        a = [as_py(b) for b in edata.DataLoader(fast, batch_size=bs)]
        b = [as_py(b) for b in edata.DataLoader(Slow(), batch_size=bs)]
        assert a == b


def test_shuffle_is_seeded_and_a_permutation():
    ds = edata.TensorDataset(*tensors(ember, 20))

    def order(seed):
        ember.manual_seed(seed)
        return [int(i) for _, yb in edata.DataLoader(ds, batch_size=6, shuffle=True) for i in yb]

    a, b = order(3), order(3)
    assert a == b and a != order(4)
    g = ember.Generator().manual_seed(9)
    loader = edata.DataLoader(ds, batch_size=20, shuffle=True, generator=g)
    first = [b[0][:, 0].tolist() for b in loader]
    assert sorted(first[0]) == [3.0 * i for i in range(20)]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(num_workers=-1),
        dict(timeout=-1),
        dict(prefetch_factor=2),
        dict(num_workers=1, prefetch_factor=-1),
        dict(persistent_workers=True),
        dict(sampler=[0], shuffle=True),
        dict(batch_sampler=[[0]], batch_size=2),
        dict(batch_sampler=[[0]], drop_last=True),
        dict(batch_size=None, drop_last=True),
    ],
)
def test_loader_argument_errors_match_torch(kwargs):
    errs = []
    for lib, data in LIBS:
        with pytest.raises(Exception) as info:
            data.DataLoader(data.TensorDataset(*tensors(lib)), **kwargs)
        errs.append(info.value)
    assert type(errs[0]) is type(errs[1])
    assert str(errs[0]) == str(errs[1])


def test_iterable_dataset_loader_errors():
    class It(edata.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    for kwargs in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="IterableDataset"):
            edata.DataLoader(It(), **kwargs)


# -- worker processes ---------------------------------------------------------------------------


def _children():
    gc.collect()  # iterators kept alive by a traceback cycle shut their workers down here
    return list(multiprocessing.active_children())


@pytest.mark.parametrize("workers", [1, 3])
def test_workers_give_the_same_batches(workers):
    ds = Squares(ember, 23)
    ref = [as_py(b) for b in edata.DataLoader(ds, batch_size=4)]
    got = [as_py(b) for b in edata.DataLoader(ds, batch_size=4, num_workers=workers, prefetch_factor=3)]
    assert got == ref
    assert _children() == []


class WorkerProbe(edata.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = edata.get_worker_info()
        return ember.tensor([i, info.id, info.num_workers, info.seed % 1000, os.getpid()])


def test_worker_info_seeds_and_init_fn():
    assert edata.get_worker_info() is None
    g = ember.Generator().manual_seed(123)
    loader = edata.DataLoader(WorkerProbe(), batch_size=2, num_workers=2, generator=g,
                              worker_init_fn=lambda wid: ember.manual_seed(1000 + wid))
    rows = [r for b in loader for r in b.tolist()]
    assert [r[0] for r in rows] == list(range(8))
    ids = {r[1] for r in rows}
    assert ids == {0, 1} and {r[2] for r in rows} == {2}
    seeds = {r[1]: r[3] for r in rows}
    assert (seeds[1] - seeds[0]) % 1000 == 1  # base_seed + worker id
    assert len({r[4] for r in rows} - {os.getpid()}) == 2
    g = ember.Generator().manual_seed(123)
    again = edata.DataLoader(WorkerProbe(), batch_size=2, num_workers=2, generator=g)
    assert [r[3] for b in again for r in b.tolist()] == [r[3] for r in rows]


class Split(edata.IterableDataset):
    """Each worker yields its own slice of 0..n-1, as PyTorch's docs recommend."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = edata.get_worker_info()
        if info is None:
            return iter(range(self.n))
        per = -(-self.n // info.num_workers)
        start = info.id * per
        return iter(range(start, min(start + per, self.n)))


def test_iterable_dataset_split_across_workers_matches_torch():
    class TSplit(tdata.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            info = tdata.get_worker_info()
            per = -(-self.n // info.num_workers)
            start = info.id * per
            return iter(range(start, min(start + per, self.n)))

    for kwargs in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)):
        e = [as_py(b) for b in edata.DataLoader(Split(17), num_workers=3, **kwargs)]
        t = [as_py(b) for b in tdata.DataLoader(TSplit(17), num_workers=3, **kwargs)]
        assert e == t, kwargs
    assert _children() == []


def test_persistent_workers_serve_several_epochs():
    loader = edata.DataLoader(Squares(ember, 9), batch_size=2, num_workers=2, persistent_workers=True)
    ref = [as_py(b) for b in edata.DataLoader(Squares(ember, 9), batch_size=2)]
    pids = set()
    for _ in range(3):
        assert [as_py(b) for b in loader] == ref
        pids |= {p.pid for p in _children()}
    assert len(pids) == 2  # the same two processes every epoch
    it = iter(loader)
    next(it)  # an epoch abandoned half way still lets the next one start cleanly
    assert [as_py(b) for b in loader] == ref
    loader._iterator._shutdown_workers()
    assert _children() == []


class Faulty(edata.Dataset):
    def __init__(self, mode):
        self.mode = mode

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            if self.mode == "raise":
                raise ValueError("bad sample 3")
            if self.mode == "key":
                raise KeyError("missing")
            if self.mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.mode == "sleep":
                time.sleep(30)
        return ember.tensor([i])


def test_worker_exception_reaches_main_with_traceback():
    loader = edata.DataLoader(Faulty("raise"), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as info:
        list(loader)
    msg = str(info.value)
    assert "Caught ValueError in DataLoader worker process 1" in msg
    assert "bad sample 3" in msg and "Traceback" in msg and "__getitem__" in msg
    with pytest.raises(KeyError, match="missing"):
        list(edata.DataLoader(Faulty("key"), batch_size=2, num_workers=1))
    with pytest.raises(ValueError, match="bad sample 3"):
        list(edata.DataLoader(Faulty("raise"), batch_size=2))  # and in the main process
    time.sleep(0.1)


def test_killed_worker_raises_instead_of_hanging():
    before = set(_children())
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader worker .* (killed by signal|exited unexpectedly)"):
        list(edata.DataLoader(Faulty("kill"), batch_size=2, num_workers=2))
    assert time.monotonic() - t0 < 20
    assert set(_children()) <= before


def test_timeout_raises():
    with pytest.raises(RuntimeError, match="timed out after 1 seconds"):
        list(edata.DataLoader(Faulty("sleep"), batch_size=2, num_workers=1, timeout=1))
    assert _children() == []


def test_abandoned_iterator_shuts_workers_down():
    it = iter(edata.DataLoader(Squares(ember, 50), batch_size=2, num_workers=2))
    next(it)
    assert len(_children()) == 2
    del it
    assert _children() == []
