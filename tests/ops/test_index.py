"""Index ops against torch: index_select, gather, take, take_along_dim, the scatter family,
index_add/copy/fill/put, put, masked_fill/select/scatter, nonzero and argwhere, with their
in-place forms.

Forward results go through the shared oracle (values, dtype, shape, strides, storage sharing,
error types) over dtypes and layouts; gradients of every differentiable input are compared
with torch's (backward seeded with a random ``grad_output``) and checked by finite
differences, twice for double backward.  Scatter-like writes use indices without repeats
where torch leaves the winner of a repeated write unspecified.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import ember
from tests._harness.oracle import check, sample
from tests.ops.test_join import check_grad

ALL_DTYPES = ("float32", "float64", "float16", "bfloat16", "complex64", "int64", "int32",
              "int16", "int8", "uint8", "bool")  # fmt: skip
LAYOUTS = ("contiguous", "transposed", "strided", "expanded")


def _rng(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def idx(shape, high, rng, dtype="int64") -> np.ndarray:
    return rng.integers(0, high, shape).astype(dtype) if high else np.zeros(shape, dtype)


def perm_index(shape, dim, size, rng) -> np.ndarray:
    """Indices along ``dim`` without repeats in any line (``shape[dim] <= size``)."""
    n = shape[dim]
    out = np.empty(shape, np.int64)
    moved = np.moveaxis(out, dim, -1)
    for pos in np.ndindex(moved.shape[:-1]):
        moved[pos] = rng.permutation(size)[:n]
    return out


def gradchecks(fn, *arrays, grads=None) -> None:
    """gradcheck and gradgradcheck in float64 of ``fn(*tensors)``; integer arrays stay
    constant index tensors."""
    inputs = tuple(
        ember.tensor(a.astype(np.float64), requires_grad=True) if a.dtype.kind == "f"
        else ember.tensor(a)
        for a in arrays
    )  # fmt: skip
    f = lambda *xs: fn(ember, *xs)  # noqa: E731
    assert ember.autograd.gradcheck(f, inputs)
    assert ember.autograd.gradgradcheck(f, inputs)


def grad_vs_torch(fn, *arrays, seed=0):
    """Compare outputs and gradients of the floating inputs with torch (index arrays stay
    plain tensors)."""
    floats = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]

    def wrapped(lib, *leaves):
        it = iter(leaves)
        xs = [next(it) if i in floats else lib.from_numpy(a.copy()) for i, a in enumerate(arrays)]
        return fn(lib, *xs)

    check_grad(wrapped, *[arrays[i] for i in floats], seed=seed)


# -- index_select ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", [((3, 4), 0, (5,)), ((3, 4), 1, (2,)), ((2, 3, 4), -1, (0,)),
                                  ((), 0, (1,)), ((), 0, ()), ((3, 4), 0, ()), ((0, 4), 1, (3,))],
                         ids=str)  # fmt: skip
def test_index_select(case, layout):
    shape, dim, ishape = case
    rng = _rng("is", case, layout)
    size = shape[dim] if shape else 1
    x, i = sample(shape, "float32", rng), idx(ishape, size, rng)
    check(lambda lib, a, j: lib.index_select(a, dim, j), x, i, layout=layout)
    check(lambda lib, a, j: a.index_select(dim, j.int()), x, i, layout=layout)
    if size:
        check(lambda lib, a, j: a.index_select(dim, j - size), x, i, layout=layout)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_dtypes(dtype):
    rng = _rng("dt", dtype)
    x = sample((3, 4), dtype, rng)
    i = np.array([2, 0, 2])
    g = idx((2, 4), 3, rng)
    m = sample((3, 4), "bool", rng)
    pi = perm_index((2, 4), 0, 3, rng)
    check(lambda lib, a, j: a.index_select(0, j), x, i)
    check(lambda lib, a, j: a.gather(0, j), x, g)
    check(lambda lib, a, j: a.take(j), x, g)
    check(lambda lib, a, j: a.scatter(0, j, a[:2]), x, pi)
    check(lambda lib, a, j: a.masked_fill(j, 1), x, m)
    check(lambda lib, a, j: a.masked_select(j), x, m)
    check(lambda lib, a, j: a.masked_scatter(j, a.flip(0)), x, m)
    check(lambda lib, a, j: a.index_fill(1, j, 0), x, i)
    check(lambda lib, a, j: a.index_copy(0, j[:2], a[:2].flip(1)), x, np.array([2, 0]))
    check(lambda lib, a, j: a.index_put((j,), a[0]), x, np.array([1, 0]))
    check(lambda lib, a, j: a.put(j[:3], a[0, :3]), x, np.array([5, 0, 11]))
    check(lambda lib, a: a.nonzero(), x)
    check(lambda lib, a: lib.argwhere(a), x, layout="transposed")
    check(lambda lib, a, j: a.index_add(0, j, a), x, np.array([2, 0, 2]))
    check(lambda lib, a, j: a.scatter_add(0, j, a), x, g)
    check(lambda lib, a, j: a.index_put((j,), a[:1], accumulate=True), x, np.array([1, 1]))
    check(lambda lib, a, j: a.put(j, a[0, :2], accumulate=True), x, np.array([5, 5]))


def test_index_select_errors():
    x = sample((3, 4))
    for fn in (
        lambda lib, a: a.index_select(0, lib.tensor([5])),
        lambda lib, a: a.index_select(0, lib.tensor([-4])),
        lambda lib, a: a.index_select(0, lib.tensor([[0]])),
        lambda lib, a: a.index_select(0, lib.tensor([0.0])),
        lambda lib, a: a.index_select(2, lib.tensor([0])),
        lambda lib, a: a.index_select(0, [0]),
    ):
        check(fn, x)


def test_index_select_gradients():
    rng = _rng("isg")
    x = sample((3, 4), "float64", rng)
    i = np.array([2, 0, 2, 1])
    grad_vs_torch(lambda lib, a, j: a.index_select(1, j), x, i)
    grad_vs_torch(lambda lib, a, j: a.index_select(0, j), x, i)
    grad_vs_torch(lambda lib, a, j: a[0, 0].index_select(0, j[:1] * 0), x, i)
    gradchecks(lambda lib, a, j: a.index_select(1, j), x, i)
    t = ember.randn(3, requires_grad=True)
    assert t.index_select(0, ember.tensor([0])).grad_fn.name() == "IndexSelectBackward0"


# -- gather, take, take_along_dim -----------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", [((3, 4), 0, (5, 4)), ((3, 4), 1, (2, 3)),
                                  ((2, 3, 4), -1, (2, 3, 0)),
                                  ((2, 3, 4), 1, (1, 2, 4)), ((), 0, ()), ((4,), 0, (6,)),
                                  ((3, 4), 0, (0, 2))], ids=str)  # fmt: skip
def test_gather(case, layout):
    shape, dim, ishape = case
    rng = _rng("ga", case, layout)
    size = shape[dim] if shape else 1
    x, i = sample(shape, "float32", rng), idx(ishape, size, rng)
    check(lambda lib, a, j: lib.gather(a, dim, j), x, i, layout=layout)
    check(lambda lib, a, j: a.gather(dim, j.int()), x, i, layout=layout)
    check(lambda lib, a, j: lib.take(a, j), x, idx(ishape, x.size, rng), layout=layout)


def test_gather_take_errors():
    x = sample((3, 4))
    for fn in (
        lambda lib, a: a.gather(0, lib.tensor([0])),
        lambda lib, a: a.gather(0, lib.tensor([[5]])),
        lambda lib, a: a.gather(0, lib.tensor([[-1]])),
        lambda lib, a: a.gather(1, lib.zeros(4, 1, dtype=lib.long)),
        lambda lib, a: a.gather(0, lib.tensor([[0.0]])),
        lambda lib, a: a.gather(0, lib.zeros(0, 5, dtype=lib.long)),
        lambda lib, a: a.gather(0, lib.tensor([[0]], dtype=lib.int16)),
        lambda lib, a: a.take(lib.tensor([12])),
        lambda lib, a: a.take(lib.tensor([-13])),
        lambda lib, a: a.take(lib.tensor([-12, 3])),
        lambda lib, a: a.take(lib.tensor([0], dtype=lib.int32)),
        lambda lib, a: lib.take_along_dim(a, lib.tensor([[0]], dtype=lib.int32), 0),
        lambda lib, a: lib.take_along_dim(a, lib.tensor([0]), 0),
        lambda lib, a: lib.take_along_dim(a, lib.tensor([[0, 1, 2]]), 0),
    ):
        check(fn, x)
    check(lambda lib, a: a.gather(0, lib.tensor([[5]])), x, match="out of bounds for dimension 0")
    check(lambda lib, a: a.gather(1, lib.zeros(4, 1, dtype=lib.long)), x,
          match="to be no larger than self [3, 4] apart from dimension 1")  # fmt: skip


@pytest.mark.parametrize("case", [((3, 4), (3, 2), 1), ((3, 1), (3, 5), 1), ((1, 4), (2, 4), 0),
                                  ((2, 3, 4), (1, 3, 2), -1), ((3, 4), (5, 7), None),
                                  ((), (), None), ((2, 3), (1, 1), 0)], ids=str)  # fmt: skip
def test_take_along_dim(case):
    shape, ishape, dim = case
    rng = _rng("tad", case)
    size = shape[dim] if dim is not None else max(int(np.prod(shape)), 1)
    x, i = sample(shape, "float32", rng), idx(ishape, size, rng)
    for layout in ("contiguous", "transposed"):
        check(lambda lib, a, j: lib.take_along_dim(a, j, dim), x, i, layout=layout)
        check(lambda lib, a, j: a.take_along_dim(j, dim=dim), x, i, layout=layout)
    grad_vs_torch(lambda lib, a, j: lib.take_along_dim(a, j, dim), x.astype(np.float64), i)


def test_gather_take_gradients():
    rng = _rng("gtg")
    x = sample((3, 4), "float64", rng)
    g = idx((5, 3), 3, rng)
    grad_vs_torch(lambda lib, a, j: a.gather(0, j), x, g)
    grad_vs_torch(lambda lib, a, j: a.gather(1, j[:2]), x, g)
    grad_vs_torch(lambda lib, a, j: a.take(j), x, idx((2, 5), 12, rng) - 6)
    gradchecks(lambda lib, a, j: a.gather(1, j[:3]), x, g)
    gradchecks(lambda lib, a, j: a.take(j), x, idx((7,), 12, rng))
    gradchecks(lambda lib, a, j: lib.take_along_dim(a, j, 1), x, idx((1, 3), 4, rng))
    t = ember.randn(3, requires_grad=True)
    assert t.gather(0, ember.tensor([0])).grad_fn.name() == "GatherBackward0"
    assert t.take(ember.tensor([0])).grad_fn.name() == "TakeBackward0"


# -- scatter family -------------------------------------------------------------------------

SCATTER_CASES = [((3, 4), 0, (2, 4), (3, 5)), ((3, 4), 1, (3, 2), (3, 4)),
                 ((2, 3, 4), -1, (2, 2, 3), (2, 3, 3)),
                 ((4,), 0, (3,), (3,)), ((), 0, (), ()), ((3, 4), 0, (0, 4), (2, 4)),
                 ((3, 4), 1, (2, 2), (2, 3))]  # fmt: skip


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", SCATTER_CASES, ids=str)
def test_scatter(case, layout):
    shape, dim, ishape, sshape = case
    rng = _rng("sc", case, layout)
    d = dim % len(shape) if shape else 0
    size = shape[d] if shape else 1
    x, s = sample(shape, "float32", rng), sample(sshape, "float32", rng)
    i = perm_index(ishape, d, size, rng) if ishape else np.array(0)
    lay = (layout, "contiguous", layout)
    check(lambda lib, a, j, b: lib.scatter(a, dim, j, b), x, i, s, layout=lay)
    check(lambda lib, a, j, b: a.scatter(dim, j, 2.5), x, i, s, layout=lay)
    check(lambda lib, a, j, b: a.scatter(dim, j, value=-1), x, i, s, layout=lay)
    check(lambda lib, a, j, b: a.clone().scatter_(dim, j, b), x, i, s, layout=lay)
    check(lambda lib, a, j, b: a.clone().scatter_(dim, j, 3.0, reduce="add"), x, i, s, layout=lay)
    check(
        lambda lib, a, j, b: a.clone().scatter_(dim, j, 3.0, reduce="multiply"), x, i, s, layout=lay
    )
    # repeats: adds accumulate
    r = idx(ishape, size, rng)
    check(lambda lib, a, j, b: lib.scatter_add(a, dim, j, b), x, r, s, layout=lay)
    check(lambda lib, a, j, b: a.clone().scatter_add_(dim, j, b), x, r, s, layout=lay)
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            check(lambda lib, a, j, b: a.scatter_reduce(dim, j, b, reduce,
                                                        include_self=include_self),
                  x, r, s, layout=lay)  # fmt: skip
    check(lambda lib, a, j, b: a.clone().scatter_reduce_(dim, j, b, "amax"), x, r, s, layout=lay)


@pytest.mark.parametrize("dtype", ("int64", "int32", "uint8", "bool", "float16", "float64"))
def test_scatter_reduce_dtypes(dtype):
    rng = _rng("srd", dtype)
    x, s = sample((3, 4), dtype, rng), sample((5, 4), dtype, rng)
    r = idx((5, 4), 3, rng)
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            check(
                lambda lib, a, j, b: a.scatter_reduce(0, j, b, reduce, include_self=include_self),
                x,
                r,
                s,
            )
    check(lambda lib, a, j, b: a.scatter(0, j, b, reduce="add"), x, r, s)
    check(lambda lib, a, j, b: a.scatter(0, j, b, reduce="multiply"), x, r, s)


def test_scatter_errors():
    x = sample((3, 4))
    for fn in (
        lambda lib, a: a.scatter(0, lib.tensor([[5]]), 1.0),
        lambda lib, a: a.scatter(0, lib.tensor([[-1]]), 1.0),
        lambda lib, a: a.scatter(0, lib.tensor([[0]]), lib.ones(1, 1, dtype=lib.float64)),
        lambda lib, a: a.scatter(1, lib.zeros(4, 1, dtype=lib.long), lib.ones(4, 1)),
        lambda lib, a: a.scatter(1, lib.zeros(2, 2, dtype=lib.long), lib.ones(1, 1)),
        lambda lib, a: a.scatter(0, lib.tensor([[0.0]]), 1.0),
        lambda lib, a: a.scatter(0, lib.tensor([0]), 1.0),
        lambda lib, a: a.scatter(0, lib.tensor([[0]]), 1.0, reduce="max"),
        lambda lib, a: a.scatter_add(0, lib.tensor([[3]]), a),
        lambda lib, a: a.scatter_reduce(0, lib.tensor([[0]]), a, "foo"),
        lambda lib, a: a.scatter_reduce(0, lib.tensor([[0]]), a.double(), "sum"),
        lambda lib, a: a.scatter(2, lib.tensor([[0]]), 1.0),
    ):
        check(fn, x)
    check(lambda lib, a: a.scatter(1, lib.zeros(2, 2, dtype=lib.long), lib.ones(1, 1)), x,
          match="to be no larger size than src [1, 1]")  # fmt: skip


def test_scatter_gradients():
    rng = _rng("scg")
    x, s = sample((3, 4), "float64", rng), sample((3, 5), "float64", rng)
    pi = perm_index((2, 4), 0, 3, rng)
    r = idx((3, 5), 3, rng)
    grad_vs_torch(lambda lib, a, j, b: a.scatter(0, j, b[:2, :4]), x, pi, s)
    grad_vs_torch(lambda lib, a, j: a.scatter(0, j, 1.5), x, pi)
    grad_vs_torch(lambda lib, a, j, b: a.scatter_add(0, j[:, :4], b[:, :4]), x, r, s)
    grad_vs_torch(lambda lib, a, j, b: (a * 1).scatter_add_(0, j[:, :4], b[:, :4]), x, r, s)
    grad_vs_torch(lambda lib, a, j, b: (a * 1).scatter_(0, j, b[:2, :4]), x, pi, s)
    gradchecks(lambda lib, a, j, b: a.scatter(0, j, b), x, pi, s)
    gradchecks(lambda lib, a, j, b: a.scatter_add(0, j[:, :4], b), x, r, s)
    with pytest.raises(RuntimeError, match="not implemented"):
        t = ember.randn(3, requires_grad=True)
        t.scatter(0, ember.tensor([0]), 2.0, reduce="add").sum().backward()
    t = ember.randn(3, requires_grad=True)
    assert t.scatter(0, ember.tensor([0]), t).grad_fn.name() == "ScatterBackward0"
    assert t.scatter(0, ember.tensor([0]), 2.0).grad_fn.name() == "ScatterBackward1"
    assert t.scatter_add(0, ember.tensor([0]), t).grad_fn.name() == "ScatterAddBackward0"
    assert (
        t.scatter_reduce(0, ember.tensor([0]), t, "sum").grad_fn.name() == "ScatterReduceBackward0"
    )


@pytest.mark.parametrize("reduce", ("sum", "prod", "mean", "amax", "amin"))
@pytest.mark.parametrize("include_self", (True, False))
def test_scatter_reduce_gradients(reduce, include_self):
    rng = _rng("srg", reduce, include_self)
    x, s = sample((3, 4), "float64", rng), sample((5, 4), "float64", rng)
    r = idx((5, 4), 3, rng)
    fn = lambda lib, a, j, b: a.scatter_reduce(0, j, b, reduce, include_self=include_self)  # noqa: E731
    grad_vs_torch(fn, x, r, s)
    grad_vs_torch(
        lambda lib, a, j, b: (a * 1).scatter_reduce_(0, j, b, reduce, include_self=include_self),
        x, r, s,
    )  # fmt: skip
    if reduce == "prod":  # single zeros get the product of the other factors
        z, zs = x.copy(), s.copy()
        z[0, 0] = 0
        zs[1, 2] = 0
        grad_vs_torch(fn, z, r, zs)
    gradchecks(fn, x, r, s)
    # torch's backward fails when src is larger than index; ember pads src's gradient
    gradchecks(fn, x, r[:4, :3], s)


# -- index_add, index_copy, index_fill ------------------------------------------------------

DIM_CASES = [((3, 4), 0, (5,)), ((3, 4), 1, (2,)), ((2, 3, 4), -1, (0,)), ((), 0, (1,)),
             ((4,), 0, (3,)), ((0, 4), 1, (2,))]  # fmt: skip


def _source_shape(shape, dim, n):
    if not shape:
        return ()
    s = list(shape)
    s[dim] = n
    return tuple(s)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", DIM_CASES, ids=str)
def test_index_add_copy_fill(case, layout):
    shape, dim, ishape = case
    rng = _rng("iacf", case, layout)
    size = shape[dim] if shape else 1
    n = ishape[0]
    x = sample(shape, "float32", rng)
    src = sample(_source_shape(shape, dim, n), "float32", rng)
    rep = idx(ishape, size, rng)
    uniq = rng.permutation(size)[:n] if size >= n else rep
    lay = (layout, "contiguous", layout)
    check(lambda lib, a, j, b: lib.index_add(a, dim, j, b), x, rep, src, layout=lay)
    check(lambda lib, a, j, b: a.index_add(dim, j.int(), b, alpha=2), x, rep, src, layout=lay)
    check(lambda lib, a, j, b: a.clone().index_add_(dim, j, b, alpha=-1), x, rep, src, layout=lay)
    check(lambda lib, a, j, b: lib.index_copy(a, dim, j, b), x, uniq, src, layout=lay)
    check(lambda lib, a, j, b: a.clone().index_copy_(dim, j, b), x, uniq, src, layout=lay)
    check(lambda lib, a, j, b: lib.index_fill(a, dim, j, -2.0), x, rep, src, layout=lay)
    check(
        lambda lib, a, j, b: a.index_fill(dim, j - size, lib.tensor(3.0)), x, rep, src, layout=lay
    )
    check(lambda lib, a, j, b: a.clone().index_fill_(dim, j, 7), x, rep, src, layout=lay)


def test_index_add_copy_fill_errors():
    x = sample((3, 4))
    for fn in (
        lambda lib, a: a.index_add(0, lib.tensor([0], dtype=lib.int16), lib.ones(1, 4)),
        lambda lib, a: a.index_add(0, lib.tensor([0]), lib.ones(2, 4)),
        lambda lib, a: a.index_add(0, lib.tensor([5]), lib.ones(1, 4)),
        lambda lib, a: a.index_add(0, lib.tensor([0]), lib.ones(1, 3)),
        lambda lib, a: a.index_add(0, lib.tensor([0]), lib.ones(1, 4, dtype=lib.float64)),
        lambda lib, a: a.index_copy(0, lib.tensor([0], dtype=lib.int32), lib.ones(1, 4)),
        lambda lib, a: a.index_copy(0, lib.tensor([7]), lib.ones(1, 4)),
        lambda lib, a: a.index_copy(0, lib.tensor([0]), lib.ones(2, 4)),
        lambda lib, a: a.index_copy(0, lib.tensor([0]), lib.ones(1, 4, dtype=lib.float64)),
        lambda lib, a: a.index_fill(0, lib.tensor([0], dtype=lib.int32), 1),
        lambda lib, a: a.index_fill(0, lib.tensor([9]), 1),
        lambda lib, a: a.index_fill(0, lib.tensor([0]), lib.ones(2)),
        lambda lib, a: a.index_fill(2, lib.tensor([0]), 1),
    ):
        check(fn, x)


def test_index_add_copy_fill_gradients():
    rng = _rng("iag")
    x, s = sample((3, 4), "float64", rng), sample((3, 5), "float64", rng)
    rep, uniq = np.array([2, 0, 2, 1, 2]), np.array([2, 0, 3])
    grad_vs_torch(lambda lib, a, j, b: a.index_add(1, j, b, alpha=3), x, rep, s)
    grad_vs_torch(lambda lib, a, j, b: a.index_copy(1, j, b[:, :3]), x, uniq, s)
    grad_vs_torch(lambda lib, a, j: a.index_fill(1, j, 2.0), x, rep)
    grad_vs_torch(lambda lib, a, j, b: a.index_fill(1, j, b[0, 0]), x, rep, s)
    grad_vs_torch(lambda lib, a, j, b: (a * 1).index_add_(1, j, b), x, rep, s)
    gradchecks(lambda lib, a, j, b: a.index_add(1, j, b), x, rep, s)
    gradchecks(lambda lib, a, j, b: a.index_copy(1, j, b[:, :3]), x, uniq, s)
    gradchecks(lambda lib, a, j, b: a.index_fill(1, j, b[0, 0]), x, rep, s)
    t = ember.randn(3, requires_grad=True)
    assert t.index_fill(0, ember.tensor([0]), 1.0).grad_fn.name() == "IndexFillBackward0"
    assert t.index_fill(0, ember.tensor([0]), t[0]).grad_fn.name() == "IndexFillBackward1"
    assert t.index_add(0, ember.tensor([0]), t[:1]).grad_fn.name() == "IndexAddBackward0"
    assert t.index_copy(0, ember.tensor([0]), t[:1]).grad_fn.name() == "IndexCopyBackward0"


# -- index_put, put -------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ("contiguous", "transposed", "strided"))
def test_index_put(layout):
    rng = _rng("ip", layout)
    x = sample((3, 4, 5), "float32", rng)
    i0, i1 = np.array([2, 0]), np.array([[1], [3]])
    m = sample((3, 4), "bool", rng)
    cases = [
        (lambda lib, a, j, k: a.index_put((j,), lib.tensor(1.5)), i0, i1),
        (lambda lib, a, j, k: a.index_put((j, k), a[0, 0]), i0, i1),
        (lambda lib, a, j, k: a.index_put((None, k), lib.ones(5)), i0, i1),
        (lambda lib, a, j, k: a.index_put([j, None, k[0]], a[0, 0, 0]), i0, i1),
        (lambda lib, a, j, k: a.index_put((j - 3, k), lib.ones(2, 2, 5), accumulate=True), i0, i1),
        (lambda lib, a, j, k: lib.index_put(a, (j,), a[:1], True), np.array([1, 1, 0]), i1),
        (lambda lib, a, j, k: a.index_put((j,), a[0]), m, i1),
        (lambda lib, a, j, k: a.index_put((j.int(),), a[0, 0], accumulate=True), i0, i1),
        (lambda lib, a, j, k: a.clone().index_put_((j,), lib.tensor(-1.0)), m, i1),
        (
            lambda lib, a, j, k: lib.index_put_(
                a.clone(), (j, k), lib.tensor(2.0), accumulate=True
            ),
            i0,
            i1,
        ),
        (lambda lib, a, j, k: a.index_put((j,), lib.ones(3)), i0, i1),
        (lambda lib, a, j, k: a.index_put((j,), lib.ones(1, dtype=lib.float64)), i0, i1),
        (lambda lib, a, j, k: a.index_put((j + 3,), lib.ones(1)), i0, i1),
        (lambda lib, a, j, k: a.index_put((j, j, j, j), lib.ones(1)), i0, i1),
        (lambda lib, a, j, k: a.index_put((j.float(),), lib.ones(1)), i0, i1),
        (lambda lib, a, j, k: a.index_put((j[:2],), lib.ones(1)), m, i1),
    ]
    for fn, j, k in cases:
        check(fn, x, j, k, layout=(layout, "contiguous", "contiguous"))


def test_index_put_gradients():
    rng = _rng("ipg")
    x, v = sample((3, 4), "float64", rng), sample((2, 4), "float64", rng)
    grad_vs_torch(lambda lib, a, j, b: a.index_put((j,), b), x, np.array([2, 0]), v)
    grad_vs_torch(
        lambda lib, a, j, b: a.index_put((j,), b[0], accumulate=True), x, np.array([2, 2]), v
    )
    grad_vs_torch(
        lambda lib, a, j, b: (a * 1).index_put_((j,), b[0, 0]), x, sample((3, 4), "bool", rng), v
    )
    gradchecks(
        lambda lib, a, j, b: a.index_put((j,), b[0], accumulate=True), x, np.array([2, 2]), v
    )
    gradchecks(lambda lib, a, j, b: a.index_put((j, j), b[1, :2]), x, np.array([2, 0]), v)


@pytest.mark.parametrize("layout", ("contiguous", "transposed", "strided"))
def test_put(layout):
    rng = _rng("put", layout)
    x = sample((3, 4), "float32", rng)
    s = sample((2, 2), "float32", rng)
    lay = (layout, "contiguous", "contiguous")
    uniq, rep = np.array([[0, 10], [-1, 5]]), np.array([[3, 3], [-9, 3]])
    check(lambda lib, a, j, b: a.put(j, b), x, uniq, s, layout=lay)
    check(lambda lib, a, j, b: lib.put(a, j, b, accumulate=True), x, rep, s, layout=lay)
    check(lambda lib, a, j, b: a.clone().put_(j, b), x, uniq, s, layout=lay)
    check(lambda lib, a, j, b: a.clone().put_(j, b, True), x, rep, s, layout=lay)
    for bad in (
        lambda lib, a, j, b: a.put(j + 12, b),
        lambda lib, a, j, b: a.put(j[0], b),
        lambda lib, a, j, b: a.put(j, b.double()),
        lambda lib, a, j, b: a.put(j.int(), b),
    ):
        check(bad, x, uniq, s)
    grad_vs_torch(
        lambda lib, a, j, b: a.put(j, b), x.astype(np.float64), uniq, s.astype(np.float64)
    )
    grad_vs_torch(lambda lib, a, j, b: a.put(j, b, accumulate=True), x.astype(np.float64), rep,
                  s.astype(np.float64))  # fmt: skip
    gradchecks(lambda lib, a, j, b: a.put(j, b), x, uniq, s)


# -- masked ops -----------------------------------------------------------------------------

MASK_CASES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((), ()), ((0, 4), (1, 4)),
              ((2, 1, 4), (3, 1))]  # fmt: skip


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", MASK_CASES, ids=str)
def test_masked(case, layout):
    shape, mshape = case
    rng = _rng("mask", case, layout)
    x, m = sample(shape, "float32", rng), sample(mshape, "bool", rng)
    src = sample((30,), "float32", rng)
    lay = (layout, layout, "contiguous")
    check(lambda lib, a, k, s: lib.masked_fill(a, k, -1.0), x, m, src, layout=lay)
    check(lambda lib, a, k, s: a.masked_fill(k, lib.tensor(2)), x, m, src, layout=lay)
    check(lambda lib, a, k, s: a.masked_fill(k, s[0]), x, m, src, layout=lay)
    check(lambda lib, a, k, s: lib.masked_select(a, k), x, m, src, layout=lay)
    check(lambda lib, a, k, s: a.masked_scatter(k, s), x, m, src, layout=lay)
    check(lambda lib, a, k, s: a.clone().masked_fill_(k, 5), x, m, src, layout=lay)
    check(
        lambda lib, a, k, s: a.clone().masked_scatter_(k, s[:24].reshape(2, 12)),
        x,
        m,
        src,
        layout=lay,
    )


def test_masked_errors():
    x, m = sample((3, 4)), sample((3, 4), "bool")
    for fn in (
        lambda lib, a, k: a.masked_fill(k.byte(), 1),
        lambda lib, a, k: a.masked_fill(k, lib.ones(2)),
        lambda lib, a, k: a.masked_fill_(k.expand(2, 3, 4), 1),
        lambda lib, a, k: a.masked_fill(k[:2], 1),
        lambda lib, a, k: a.masked_select(k.byte()),
        lambda lib, a, k: a.masked_select(k[:2]),
        lambda lib, a, k: a.masked_scatter(k | True, lib.ones(3)),
        lambda lib, a, k: a.masked_scatter(k, lib.ones(12, dtype=lib.float64)),
        lambda lib, a, k: a.masked_fill(k, "x"),
        lambda lib, a, k: a.int().masked_fill(k, 1e20),
    ):
        check(fn, x, m)


def test_masked_gradients():
    rng = _rng("mg")
    x, v = sample((3, 4), "float64", rng), sample((14,), "float64", rng)
    m = sample((3, 4), "bool", rng).astype(np.int64)
    for fn in (
        lambda lib, a, k, s: a.masked_fill(k.bool(), 2.0),
        lambda lib, a, k, s: a.masked_fill(k.bool(), s[0]),
        lambda lib, a, k, s: a[0].masked_fill(k.bool(), s[0]),
        lambda lib, a, k, s: a.masked_select(k.bool()),
        lambda lib, a, k, s: a[:1].masked_select(k.bool()),
        lambda lib, a, k, s: a.masked_scatter(k.bool(), s),
        lambda lib, a, k, s: a[1].masked_scatter(k.bool(), s.reshape(2, 7)),
        lambda lib, a, k, s: (a * 1).masked_fill_(k.bool(), s[1]),
        lambda lib, a, k, s: (a * 1).masked_scatter_(k.bool(), s),
    ):
        grad_vs_torch(fn, x, m, v)
        gradchecks(fn, x, m, v)
    t = ember.randn(3, requires_grad=True)
    k = ember.tensor([True, False, True])
    assert t.masked_fill(k, 1.0).grad_fn.name() == "MaskedFillBackward0"
    assert t.masked_fill(k, t[0]).grad_fn.name() == "MaskedFillBackward1"
    assert t.masked_select(k).grad_fn.name() == "MaskedSelectBackward0"
    assert t.masked_scatter(k, t).grad_fn.name() == "MaskedScatterBackward0"


# -- nonzero, argwhere, where(cond) ---------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (5,), (), (0, 3)], ids=str)
def test_nonzero(shape, layout):
    rng = _rng("nz", shape, layout)
    for dtype in ("float32", "int64", "bool"):
        x = np.asarray(sample(shape, dtype, rng))
        check(lambda lib, a: a.nonzero(), x, layout=layout)
        check(lambda lib, a: lib.nonzero(a, as_tuple=True), x, layout=layout)
        check(lambda lib, a: lib.argwhere(a), x, layout=layout)
        check(lambda lib, a: lib.where(a.bool()), x, layout=layout)
    check(lambda lib, a: a.nonzero(), np.zeros(shape, np.float32), layout=layout)
    check(lambda lib, a: a.nonzero(), np.ones(shape, np.float32), layout=layout)


# -- in-place rules -------------------------------------------------------------------------


def test_inplace_rules():
    x = sample((3, 4))
    i = np.array([0, 2])
    for fn in (
        lambda lib, a, j: a.requires_grad_().index_fill_(0, j, 1.0),
        lambda lib, a, j: a.requires_grad_().masked_fill_(a > 0, 1.0),
        lambda lib, a, j: a.index_add_(0, j, a[:2]),
        lambda lib, a, j: a.index_fill_(0, j, 1),
        lambda lib, a, j: a.masked_fill_(a > 0, 0),
        lambda lib, a, j: a[:, 0].index_put_((j,), lib.tensor(9.0)),
        lambda lib, a, j: a.t().scatter_(0, j.reshape(1, 2), 5.0),
        lambda lib, a, j: a.put_(j, a[0, :2].clone()),
    ):
        check(fn, x, i)
    t = ember.ones(3)
    v = t._version
    t.index_fill_(0, ember.tensor([0]), 2.0)
    assert t._version > v
