"""Joining and copying ops against torch: cat/stack and their forms, repeat, tile,
repeat_interleave, flip, roll, rot90, tril/triu, diag, diag_embed, diagflat, the
broadcasting helpers and meshgrid.

Forward results go through the shared oracle (values, dtype, shape, strides, storage sharing,
error types) over dtypes and layouts; gradients are compared with torch by seeding backward
with a random ``grad_output``, and finite differences check the formulas in float64.  Ops
that are compositions of views (meshgrid, atleast_nd, broadcast_tensors) get gradients only
once the views are differentiable; those tests wait for that.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch

import ember
from tests._harness.oracle import _place, check, sample, to_numpy

ALL_DTYPES = ("float32", "float64", "float16", "bfloat16", "complex64", "int64", "int32",
              "int16", "int8", "uint8", "bool")  # fmt: skip
LAYOUTS = ("contiguous", "transposed", "strided", "expanded")
GRAD_TOL = {"float32": (2e-5, 2e-6), "float64": (1e-10, 1e-12)}

_x = ember.ones(2, requires_grad=True)
VIEWS_DIFFERENTIABLE = _x.reshape(2, 1).requires_grad and _x.expand(2, 2).requires_grad
needs_views = pytest.mark.skipif(
    not VIEWS_DIFFERENTIABLE, reason="views are not differentiable yet (shape.py)"
)


def _rng(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _leaf(lib, arr: np.ndarray, layout: str, rng):
    buf, strides, offset = _place(arr, layout, rng)
    base = lib.from_numpy(buf.copy())
    return base.as_strided(arr.shape, strides, offset).requires_grad_()


def check_grad(fn, *arrays, layout: str = "contiguous", seed: int = 0) -> None:
    """Run ``fn(lib, *leaves)`` on ember and torch; compare outputs and every input's grad,
    each output's backward seeded with the same random ``grad_output``."""
    name = arrays[0].dtype.name
    rtol, atol = GRAD_TOL[name]
    runs = []
    for lib in (ember, torch):
        rng = np.random.default_rng(seed)
        inputs = [_leaf(lib, a, layout, rng) for a in arrays]
        out = fn(lib, *inputs)
        outs = list(out) if isinstance(out, tuple | list) else [out]
        seeds = [lib.from_numpy(sample(tuple(o.shape), name, rng)) for o in outs]
        lib.autograd.backward(outs, seeds)
        runs.append((outs, inputs))
    (ours, our_in), (theirs, their_in) = runs
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert tuple(a.shape) == tuple(b.shape), f"output {i} shape"
        np.testing.assert_allclose(to_numpy(a.detach()), to_numpy(b), rtol=rtol, atol=atol)
    for i, (a, b) in enumerate(zip(our_in, their_in, strict=True)):
        if b.grad is None:
            assert a.grad is None, f"input {i} got a gradient, torch's none"
            continue
        assert a.grad is not None, f"input {i} got no gradient"
        assert str(a.grad.dtype) == str(b.grad.dtype).replace("torch.", "ember.")
        np.testing.assert_allclose(
            to_numpy(a.grad), to_numpy(b.grad), rtol=rtol, atol=atol, err_msg=f"grad {i}"
        )


def gradchecks(fn, *arrays) -> None:
    """gradcheck and gradgradcheck of ``fn(ember, *leaves)`` in float64."""
    inputs = tuple(ember.tensor(a.astype(np.float64), requires_grad=True) for a in arrays)
    f = lambda *xs: fn(ember, *xs)  # noqa: E731
    assert ember.autograd.gradcheck(f, inputs)
    assert ember.autograd.gradgradcheck(f, inputs)


# -- cat and stack --------------------------------------------------------------------------

CAT_CASES = [
    (((2, 3), (4, 3)), 0),
    (((2, 3), (2, 1), (2, 0)), 1),
    (((2, 3, 4), (2, 3, 4)), -1),
    (((0, 3), (2, 3)), 0),
    (((3,), (0,), (2,)), 0),
    (((2, 3), (0,)), 1),  # legacy empty tensors are skipped
    (((0,), (0,)), 0),
    (((5,),), 0),
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", CAT_CASES, ids=str)
def test_cat_layouts(case, layout):
    shapes, dim = case
    rng = _rng("cat", case, layout)
    arrays = [sample(s, "float32", rng) for s in shapes]
    check(lambda lib, *xs: lib.cat(xs, dim), *arrays, layout=layout, rng=rng)
    check(lambda lib, *xs: lib.stack(xs[:1] * 2, dim), *arrays, layout=layout, rng=rng)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_cat_stack_dtypes(dtype):
    rng = _rng("cat", dtype)
    a, b = sample((2, 3), dtype, rng), sample((2, 3), dtype, rng)
    check(lambda lib, x, y: lib.cat([x, y], 1), a, b)
    check(lambda lib, x, y: lib.stack([x, y], 2), a, b, layout="transposed")
    check(lambda lib, x, y: lib.concat((x, y)), a, b)
    check(lambda lib, x, y: lib.concatenate((x, y), -1), a, b)


@pytest.mark.parametrize("pair", [("int32", "float32"), ("bool", "int64"), ("uint8", "int8"),
                                  ("float16", "bfloat16"), ("float32", "complex64"),
                                  ("int64", "float64")])  # fmt: skip
def test_cat_promotes(pair):
    rng = _rng("promote", pair)
    a, b = sample((2, 3), pair[0], rng), sample((1, 3), pair[1], rng)
    check(lambda lib, x, y: lib.cat([x, y]), a, b)
    check(lambda lib, x, y: lib.cat([x, x, y]), a, b)
    check(lambda lib, x, y: lib.stack([x, y[:1].expand(2, 3)]), a, b)
    check(lambda lib, x, y: lib.cat([lib.zeros(0, dtype=lib.float64), y]), a, b)


def test_cat_channels_last():
    rng = _rng("cl")
    a = sample((2, 3, 4, 5), "float32", rng)
    for fn in (
        lambda lib, x: lib.cat([x.contiguous(memory_format=lib.channels_last)] * 2, 1),
        lambda lib, x: lib.cat([x.contiguous(memory_format=lib.channels_last), x], 0),
        lambda lib, x: lib.stack([x.contiguous(memory_format=lib.channels_last)] * 2),
        lambda lib, x: lib.stack([x.contiguous(memory_format=lib.channels_last)] * 2, 4),
    ):
        check(fn, a)


@pytest.mark.parametrize("fn", [
    lambda lib, x: lib.cat([x, x[:, :2]]),
    lambda lib, x: lib.cat([x, x[0]]),
    lambda lib, x: lib.cat([]),
    lambda lib, x: lib.cat(x),
    lambda lib, x: lib.cat([x, 1]),
    lambda lib, x: lib.cat([x[0, 0]]),
    lambda lib, x: lib.cat([x, x], 2),
    lambda lib, x: lib.stack([x, x[:, :2]]),
    lambda lib, x: lib.stack([]),
    lambda lib, x: lib.stack([x, x], 3),
    lambda lib, x: lib.hstack([x, x[0]]),
    lambda lib, x: lib.vstack([x, x[:, :1]]),
])  # fmt: skip
def test_join_errors(fn):
    check(fn, sample((2, 3)))


def test_cat_errors_name_sizes():
    check(
        lambda lib, x: lib.cat([x, x[:, :2]]),
        sample((2, 3)),
        match="Expected size 3 but got size 2",
    )
    check(lambda lib, x: lib.stack([x, x[:, :2]]), sample((2, 3)), match="[2, 3] at entry 0")


def test_cat_out():
    a = sample((2, 3))
    check(lambda lib, x: lib.cat([x, x], out=lib.empty(0)), a)
    check(lambda lib, x: lib.stack([x, x], out=lib.empty(2, 2, 3)), a)


@pytest.mark.parametrize("fn", [
    lambda lib, *xs: lib.hstack(xs),
    lambda lib, *xs: lib.vstack(xs),
    lambda lib, *xs: lib.row_stack(xs),
    lambda lib, *xs: lib.dstack(xs),
    lambda lib, *xs: lib.column_stack(xs),
])  # fmt: skip
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (2, 3)), ((), ()),
                                    ((2, 3, 4), (2, 3, 1))],
                         ids=str)  # fmt: skip
def test_h_v_d_column_stack(fn, shapes):
    rng = _rng("hv", shapes)
    arrays = [sample(s, "float64", rng) for s in shapes]
    check(fn, *arrays)


def test_cat_stack_gradients():
    rng = _rng("catgrad")
    a, b, c = (
        sample((2, 3), "float64", rng),
        sample((4, 3), "float64", rng),
        sample((0, 3), "float64", rng),
    )
    for layout in ("contiguous", "transposed", "strided"):
        check_grad(lambda lib, x, y, z: lib.cat([x, y, z]), a, b, c, layout=layout)
        check_grad(lambda lib, x, y: lib.cat([x, y.t()], 1) * 1, a, b[:2].T.copy(), layout=layout)
        check_grad(lambda lib, x, y: lib.stack([x, y, x], 1), a, b[:2].copy(), layout=layout)
        check_grad(lambda lib, x, y: lib.stack([x, y], 2), a, b[:2].copy(), layout=layout)
    e = sample((0,), "float64", rng)
    check_grad(lambda lib, x, y: lib.cat([x, y], 1), a, e)
    check_grad(lambda lib, x, y: lib.hstack([x, y]), a[0].copy(), b[0].copy())
    f32 = sample((2, 3), "float32", rng)
    check_grad(lambda lib, x: lib.cat([x, lib.ones(1, 3, dtype=lib.int64)]), f32)
    gradchecks(lambda lib, x, y: lib.cat([x, y]), a, b)
    gradchecks(lambda lib, x, y: lib.stack([x, y], -1), a, b[:2])


def test_cat_grad_fn_names():
    x = ember.randn(2, 3, requires_grad=True)
    assert type(ember.cat([x, x]).grad_fn).__name__ == "Cat"
    assert ember.cat([x, x]).grad_fn.name() == "CatBackward0"
    assert ember.stack([x, x]).grad_fn.name() == "StackBackward0"
    assert x.repeat(2, 1).grad_fn.name() == "RepeatBackward0"
    assert x.flip(0).grad_fn.name() == "FlipBackward0"
    assert x.roll(1).grad_fn.name() == "RollBackward0"
    assert x.rot90().grad_fn.name() == "Rot90Backward0"
    assert x.tril().grad_fn.name() == "TrilBackward0"
    assert x.triu().grad_fn.name() == "TriuBackward0"
    assert ember.diag(x).grad_fn.name() == "DiagonalBackward0_copy"
    assert ember.diag_embed(x).grad_fn.name() == "DiagEmbedBackward0"


# -- repeat, tile, repeat_interleave --------------------------------------------------------

REPEAT_CASES = [((2, 3), (2, 1)), ((2, 3), (1, 2, 3)), ((), (3,)), ((), ()), ((3,), (0,)),
                ((0, 2), (2, 2)), ((2, 1, 3), (1, 4, 1))]  # fmt: skip


@pytest.mark.parametrize("case", REPEAT_CASES, ids=str)
def test_repeat_tile(case):
    shape, reps = case
    rng = _rng("repeat", case)
    for layout in ("contiguous", "transposed", "expanded"):
        check(lambda lib, x: x.repeat(*reps), sample(shape, "float32", rng), layout=layout)
        check(lambda lib, x: x.repeat(reps), sample(shape, "float32", rng), layout=layout)
        check(lambda lib, x: lib.tile(x, reps), sample(shape, "float32", rng), layout=layout)
    check(lambda lib, x: lib.tile(x, reps[-1:]), sample(shape, "int64", rng))
    if shape and 0 not in shape:
        check_grad(lambda lib, x: x.repeat(*reps), sample(shape, "float64", rng))
        check_grad(
            lambda lib, x: lib.tile(x, reps), sample(shape, "float64", rng), layout="transposed"
        )


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_repeat_dtypes(dtype):
    rng = _rng("rdt", dtype)
    check(lambda lib, x: x.repeat(2, 1, 2), sample((2, 3), dtype, rng))
    check(lambda lib, x: x.repeat_interleave(2, 1), sample((2, 3), dtype, rng))
    check(lambda lib, x: x.flip(0, 1), sample((2, 3), dtype, rng), layout="transposed")
    check(lambda lib, x: x.roll(1, 1), sample((2, 3), dtype, rng))
    check(lambda lib, x: x.tril(), sample((3, 3), dtype, rng))
    check(lambda lib, x: x.triu(1), sample((2, 3, 3), dtype, rng))
    check(lambda lib, x: lib.diag(x), sample((3,), dtype, rng))
    check(lambda lib, x: lib.diag_embed(x), sample((2, 3), dtype, rng))
    check(lambda lib, x: x.rot90(), sample((2, 3), dtype, rng))


def test_repeat_errors():
    a = sample((2, 3))
    check(lambda lib, x: x.repeat(2), a)
    check(lambda lib, x: x.repeat(2, -1), a, match="negative dimension -3")
    gradchecks(lambda lib, x: x.repeat(2, 1, 3), a.astype(np.float64))
    gradchecks(lambda lib, x: lib.tile(x, (2,)), a.astype(np.float64))


@pytest.mark.parametrize("fn", [
    lambda lib, x: x.repeat_interleave(2),
    lambda lib, x: x.repeat_interleave(3, 0),
    lambda lib, x: x.repeat_interleave(2, dim=-1),
    lambda lib, x: x.repeat_interleave(0, 1),
    lambda lib, x: lib.repeat_interleave(x, lib.tensor([1, 0, 2]), dim=1),
    lambda lib, x: lib.repeat_interleave(x, lib.tensor([1, 3]), dim=0),
    lambda lib, x: lib.repeat_interleave(x, lib.tensor([1, 0, 2, 1, 1, 0])),
    lambda lib, x: lib.repeat_interleave(x, lib.tensor(2), dim=1),
    lambda lib, x: lib.repeat_interleave(x, lib.tensor([2]), dim=1),
    lambda lib, x: lib.repeat_interleave(lib.tensor([1, 0, 3])),
    lambda lib, x: lib.repeat_interleave(lib.tensor([1, 2], dtype=lib.int32)),
    lambda lib, x: lib.repeat_interleave(x, lib.tensor([1, 2]), dim=1),
    lambda lib, x: lib.repeat_interleave(x, lib.tensor([1, -2]), dim=0),
    lambda lib, x: lib.repeat_interleave(x, -1),
    lambda lib, x: lib.repeat_interleave(x, 2, dim=2),
])  # fmt: skip
def test_repeat_interleave(fn):
    rng = _rng("ri")
    for layout in ("contiguous", "transposed"):
        check(fn, sample((2, 3), "float32", rng), layout=layout)


def test_repeat_interleave_scalars():
    for fn in (
        lambda lib, x: x.repeat_interleave(2),
        lambda lib, x: x.repeat_interleave(2, 0),
        lambda lib, x: x.repeat_interleave(2, -1),
        lambda lib, x: x.repeat_interleave(lib.tensor([2]), 0),
        lambda lib, x: x.repeat_interleave(lib.tensor([2])),
    ):
        check(fn, np.asarray(sample(())))


def test_repeat_interleave_gradients():
    rng = _rng("rig")
    a = sample((2, 3), "float64", rng)
    check_grad(lambda lib, x: x.repeat_interleave(2, 1), a, layout="transposed")
    check_grad(lambda lib, x: x.repeat_interleave(lib.tensor([2, 0, 1]), dim=1), a)
    check_grad(lambda lib, x: x.repeat_interleave(3), a)
    gradchecks(lambda lib, x: x.repeat_interleave(lib.tensor([1, 2]), dim=0), a)


# -- flip, roll, rot90 ----------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("fn", [
    lambda lib, x: x.flip(0),
    lambda lib, x: x.flip([0, 2]),
    lambda lib, x: lib.flip(x, (-1,)),
    lambda lib, x: x.flip([]),
    lambda lib, x: lib.fliplr(x),
    lambda lib, x: lib.flipud(x),
    lambda lib, x: x.roll(1),
    lambda lib, x: x.roll(-2, 1),
    lambda lib, x: x.roll((1, 5), (0, 2)),
    lambda lib, x: lib.roll(x, shifts=(1, -1), dims=(-1, 0)),
    lambda lib, x: x.rot90(),
    lambda lib, x: x.rot90(2, [1, 2]),
    lambda lib, x: x.rot90(-1, [2, 0]),
    lambda lib, x: x.rot90(4),
    lambda lib, x: x.rot90(3, (0, 1)),
])  # fmt: skip
def test_flip_roll_rot90(fn, layout):
    rng = _rng("flip", layout)
    for shape in ((2, 3, 4), (0, 3, 2)):
        check(fn, sample(shape, "float32", rng), layout=layout)


@pytest.mark.parametrize("fn", [
    lambda lib, x: x.flip(0, 0),
    lambda lib, x: x.flip(3),
    lambda lib, x: x.roll((1, 2), (0,)),
    lambda lib, x: x.roll((1, 2)),
    lambda lib, x: x.roll(1, 3),
    lambda lib, x: x[0, 0].rot90(),
    lambda lib, x: x.rot90(1, [0]),
    lambda lib, x: x.rot90(1, [0, 0]),
    lambda lib, x: x.rot90(1, [0, -3]),
    lambda lib, x: lib.fliplr(x[0, 0]),
    lambda lib, x: lib.flipud(x[0, 0, 0]),
])  # fmt: skip
def test_flip_roll_rot90_errors(fn):
    check(fn, sample((2, 3, 4)))


def test_flip_roll_scalars():
    check(lambda lib, x: x.flip(0), sample(()))
    check(lambda lib, x: x.roll(1), sample(()))
    check(lambda lib, x: x.roll(1, 0), sample(()))


def test_flip_roll_rot90_gradients():
    rng = _rng("frg")
    a = sample((2, 3, 4), "float64", rng)
    for layout in ("contiguous", "transposed", "strided"):
        check_grad(lambda lib, x: x.flip(0, 2), a, layout=layout)
        check_grad(lambda lib, x: x.roll((1, -1), (0, 2)), a, layout=layout)
        check_grad(lambda lib, x: x.roll(3), a, layout=layout)
        check_grad(lambda lib, x: x.rot90(1, [1, 2]), a, layout=layout)
        check_grad(lambda lib, x: x.rot90(-1), a, layout=layout)
    gradchecks(lambda lib, x: x.flip(1), a[0])
    gradchecks(lambda lib, x: x.roll(2, 1), a[0])
    gradchecks(lambda lib, x: x.rot90(3), a[0])


# -- triangles and diagonals ----------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (4, 2, 3), (0, 3), (2, 0, 2)], ids=str)
def test_tril_triu(shape, layout):
    rng = _rng("tri", shape, layout)
    for d in (0, 1, -1, 7, -7):
        check(lambda lib, x: lib.tril(x, d), sample(shape, "float32", rng), layout=layout)
        check(lambda lib, x: x.triu(diagonal=d), sample(shape, "float32", rng), layout=layout)
        check(lambda lib, x: x.clone().tril_(d), sample(shape, "float32", rng), layout=layout)
        check(lambda lib, x: x.clone().triu_(d), sample(shape, "float32", rng), layout=layout)


def test_tril_triu_errors_and_grads():
    check(lambda lib, x: x.tril(), sample((3,)))
    check(lambda lib, x: x.triu(), sample(()))
    a = sample((2, 3, 4), "float64", _rng("trig"))
    for layout in ("contiguous", "transposed"):
        check_grad(lambda lib, x: x.tril(1), a, layout=layout)
        check_grad(lambda lib, x: x.triu(-1), a, layout=layout)
    check_grad(lambda lib, x: (x * 1).tril_(), a)
    gradchecks(lambda lib, x: x.triu(), a[0])


@pytest.mark.parametrize("dtype", ("int64", "int32", "float32"))
def test_tri_indices(dtype):
    for row, col, off in ((3, 3, 0), (4, 2, 1), (2, 5, -1), (0, 3, 0), (3, 4, 10), (3, 4, -10)):
        check(lambda lib: lib.tril_indices(row, col, off, dtype=getattr(lib, dtype)))
        check(lambda lib: lib.triu_indices(row, col, offset=off, dtype=getattr(lib, dtype)))
    check(lambda lib: lib.tril_indices(3, 3))
    check(lambda lib: lib.tril_indices(-1, 3))
    check(lambda lib: lib.triu_indices(3, -1))


@pytest.mark.parametrize("fn", [
    lambda lib, x: lib.diag(x[0]),
    lambda lib, x: lib.diag(x[0], 2),
    lambda lib, x: lib.diag(x[0], -1),
    lambda lib, x: lib.diag(x),
    lambda lib, x: lib.diag(x, 1),
    lambda lib, x: lib.diag(x, -1),
    lambda lib, x: lib.diag(x, 5),
    lambda lib, x: x.diag(-5),
    lambda lib, x: lib.diag_embed(x),
    lambda lib, x: lib.diag_embed(x, 1),
    lambda lib, x: lib.diag_embed(x, -2, 0, 2),
    lambda lib, x: lib.diag_embed(x, 0, 2, 0),
    lambda lib, x: x.diag_embed(1, -1, 1),
    lambda lib, x: lib.diagflat(x),
    lambda lib, x: lib.diagflat(x, -2),
    lambda lib, x: x[0].diagflat(1),
    lambda lib, x: lib.diag(x[0, 0]),
    lambda lib, x: lib.diag(x.unsqueeze(0)),
    lambda lib, x: lib.diag_embed(x, 0, 1, 1),
    lambda lib, x: lib.diag_embed(x, 0, 0, 3),
])  # fmt: skip
def test_diag_family(fn):
    rng = _rng("diag")
    for shape, layout in (((2, 3), "contiguous"), ((2, 3), "transposed"), ((3, 3), "strided"),
                          ((0, 3), "contiguous")):  # fmt: skip
        check(fn, sample(shape, "float32", rng), layout=layout)


def test_diag_gradients():
    rng = _rng("diagg")
    a = sample((3, 4), "float64", rng)
    v = sample((3,), "float64", rng)
    for layout in ("contiguous", "transposed"):
        check_grad(lambda lib, x: lib.diag(x, 1), a, layout=layout)
        check_grad(lambda lib, x: lib.diag(x, -2), a, layout=layout)
        check_grad(lambda lib, x: lib.diag_embed(x, 1, 0, 2), a, layout=layout)
        check_grad(lambda lib, x: lib.diagflat(x, -1), a, layout=layout)
    check_grad(lambda lib, x: lib.diag(x, 2), v)
    gradchecks(lambda lib, x: lib.diag(x, 1), a)
    gradchecks(lambda lib, x: lib.diag(x, -1), v)
    gradchecks(lambda lib, x: lib.diag_embed(x, 0, -1, 0), a)
    gradchecks(lambda lib, x: lib.diagflat(x), a)


# -- broadcasting helpers, meshgrid, atleast ------------------------------------------------


def test_broadcast_shapes():
    for shapes in (((2, 3), (3,)), ((1,), (4, 1, 2), ()), (3, (2, 1)), ((0, 1), (3,)), ()):
        check(lambda lib: lib.broadcast_shapes(*shapes))
    check(lambda lib: lib.broadcast_shapes((2, 3), (4,)))
    check(lambda lib: lib.broadcast_shapes((2, 3), (2, 3, 2)))


@pytest.mark.parametrize("layout", ("contiguous", "transposed", "strided"))
def test_broadcast_tensors(layout):
    rng = _rng("bt", layout)
    for shapes in (((2, 3), (3,)), ((4, 1, 3), (2, 1), ()), ((0, 3), (1, 3)), ((2, 3),)):
        arrays = [sample(s, "float32", rng) for s in shapes]
        check(lambda lib, *xs: lib.broadcast_tensors(*xs), *arrays, layout=layout)
    check(lambda lib, x, y: lib.broadcast_tensors(x, y), sample((2, 3)), sample((4,)))


@needs_views
def test_broadcast_tensors_gradients():
    rng = _rng("btg")
    check_grad(lambda lib, x, y: lib.broadcast_tensors(x, y), sample((2, 3), "float64", rng),
               sample((3,), "float64", rng))  # fmt: skip


@pytest.mark.parametrize("indexing", ("ij", "xy"))
def test_meshgrid(indexing):
    rng = _rng("mesh", indexing)
    for shapes in (((3,), (4,)), ((2,), (), (3,)), ((3,),), ((0,), (2,)), ((2,), (3,), (4,))):
        arrays = [sample(s, "float32", rng) for s in shapes]
        check(lambda lib, *xs: lib.meshgrid(*xs, indexing=indexing), *arrays, layout="strided")
        check(lambda lib, *xs: lib.meshgrid(xs, indexing=indexing), *arrays)
    check(lambda lib, x: lib.meshgrid(x, x.to(lib.int64), indexing=indexing), sample((2,)))
    check(lambda lib, x: lib.meshgrid(x, indexing="foo"), sample((2,)))
    with pytest.warns(UserWarning, match="indexing"):
        ember.meshgrid(ember.ones(2))


def test_meshgrid_matrix_error():
    with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor"):
        ember.meshgrid(ember.ones(2, 2), indexing="ij")
    with pytest.raises(RuntimeError):
        torch.meshgrid(torch.ones(2, 2), indexing="ij")


def test_cartesian_prod():
    rng = _rng("cp")
    check(
        lambda lib, x, y: lib.cartesian_prod(x, y),
        sample((3,), "int64", rng),
        sample((2,), "int64", rng),
    )
    check(
        lambda lib, x, y, z: lib.cartesian_prod(x, y, z), *(sample((2,), rng=rng) for _ in range(3))
    )
    check(lambda lib, x: lib.cartesian_prod(x), sample((3,)))
    check(lambda lib, x: lib.cartesian_prod(x, x), sample((3, 2)))


@needs_views
def test_meshgrid_cartesian_gradients():
    rng = _rng("mg")
    a, b = sample((3,), "float64", rng), sample((2,), "float64", rng)
    check_grad(lambda lib, x, y: lib.meshgrid(x, y, indexing="xy"), a, b)
    check_grad(lambda lib, x, y: lib.cartesian_prod(x, y), a, b)
    check_grad(lambda lib, x, y: lib.vstack([x, x * y[0]]), a, b)
    check_grad(lambda lib, x, y: lib.column_stack([x, y[0].expand(3)]), a, b)
    check_grad(lambda lib, x, y: lib.dstack([x, y[1].expand(3)]), a, b)
    check_grad(lambda lib, x, y: lib.atleast_3d(x) * y.sum(), a, b)


@pytest.mark.parametrize("name", ("atleast_1d", "atleast_2d", "atleast_3d"))
def test_atleast(name):
    rng = _rng("al", name)
    for shape in ((), (3,), (2, 3), (2, 3, 4), (0,)):
        check(lambda lib, x: getattr(lib, name)(x), sample(shape, rng=rng), layout="strided")
    check(lambda lib, x, y: getattr(lib, name)(x, y), sample(()), sample((2,)))
    check(lambda lib, x, y: getattr(lib, name)([x, y]), sample(()), sample((2, 3)))
