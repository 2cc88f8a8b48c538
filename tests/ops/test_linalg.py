"""Linear algebra against torch: the matmul family, einsum, tensordot, kron, trace, and
``ember.linalg`` (inv, det, slogdet, solve, norms, svd, qr, cholesky, eigh).

Forward results of most ops go through the shared oracle (values, dtype, shape, strides,
storage sharing, errors).  Gradients are compared here by :func:`check_grad`: both libraries
get the same leaf inputs (contiguous or laid out non-contiguously), each output's backward is
seeded with the same random ``grad_output``, and every input's ``.grad`` must agree.
Finite differences (``ember.autograd.gradcheck``, float64) check the formulas themselves on
well-conditioned inputs (random + n*I, or symmetric positive-definite with distinct
eigenvalues).  Singular vectors and eigenvectors are determined only up to sign, so those ops
are compared through sign-invariant functions of their outputs.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
import torch

import ember
from tests._harness.oracle import _place, check, sample

GRAD_TOL = {"float32": (2e-4, 2e-5), "float64": (1e-9, 1e-11)}


def _rng(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _leaf(lib, arr: np.ndarray, layout: str, rng):
    """A leaf tensor of ``lib`` holding ``arr``, laid out by ``layout``, requiring grad."""
    buf, strides, offset = _place(arr, layout, rng)
    base = lib.from_numpy(buf.copy())
    return base.as_strided(arr.shape, strides, offset).requires_grad_()


def _close(ours, theirs, tol, where: str) -> None:
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "ember."), (
        f"{where}: dtype {ours.dtype}, torch {theirs.dtype}"
    )
    assert tuple(ours.shape) == tuple(theirs.shape), (
        f"{where}: shape {tuple(ours.shape)}, torch {tuple(theirs.shape)}"
    )
    rtol, atol = tol
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol, err_msg=where
    )


def check_grad(fn, *arrays, layout: str = "contiguous", tol=None, seed: int = 0) -> None:
    """Run ``fn(lib, *leaves)`` on ember and torch; compare outputs and every input's grad.

    Each output's backward is seeded with the same random ``grad_output`` in both libraries.
    """
    name = arrays[0].dtype.name
    tol = GRAD_TOL[name] if tol is None else tol
    runs = []
    for lib in (ember, torch):
        rng = np.random.default_rng(seed)
        inputs = [_leaf(lib, a, layout, rng) for a in arrays]
        out = fn(lib, *inputs)
        outs = list(out) if isinstance(out, tuple | list) else [out]
        seeds = [lib.from_numpy(sample(tuple(o.shape), name, rng)) for o in outs]
        lib.autograd.backward(outs, seeds)
        runs.append((outs, inputs))
    (ours, our_inputs), (theirs, their_inputs) = runs
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        _close(a, b, tol, f"output {i}")
    for i, (a, b) in enumerate(zip(our_inputs, their_inputs)):
        assert a.grad is not None, f"input {i} got no gradient"
        _close(a.grad, b.grad, tol, f"grad of input {i}")


def gradcheck(fn, *arrays, **kwargs) -> None:
    """Finite differences in float64 against ember's backward of ``fn(ember, *leaves)``."""
    if any(a.size == 0 for a in arrays):
        return  # nothing to perturb
    inputs = [ember.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    assert ember.autograd.gradcheck(lambda *xs: fn(ember, *xs), tuple(inputs), **kwargs)


def well_conditioned(shape, dtype="float64", rng=None) -> np.ndarray:
    """Random square matrices pushed away from singularity: A + n I."""
    rng = np.random.default_rng(0) if rng is None else rng
    n = shape[-1]
    return (rng.standard_normal(shape) + n * np.eye(n)).astype(dtype)


def spd(shape, dtype="float64", rng=None) -> np.ndarray:
    """Symmetric positive-definite matrices (distinct eigenvalues almost surely)."""
    rng = np.random.default_rng(0) if rng is None else rng
    a = rng.standard_normal(shape)
    return (a @ np.swapaxes(a, -1, -2) + np.eye(shape[-1])).astype(dtype)


# -- matmul ---------------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((3,), (5, 3, 4)),
    ((5, 2, 3), (3,)),
    ((1, 3), (3, 4)),
    ((2, 3), (3, 1)),
    ((5, 1, 2, 3), (6, 3, 4)),
    ((1, 2, 3), (4, 3, 5)),
    ((2, 1, 3, 4), (3, 4, 2)),
]
EMPTY_SHAPES = [
    ((0, 3), (3, 4)),
    ((2, 0), (0, 4)),
    ((3, 0), (0,)),
    ((0, 2, 3), (3, 4)),
    ((2, 3), (3, 0)),
    ((0,), (0,)),
]


def _ids(cases) -> list[str]:
    return ["@".join("x".join(map(str, s)) or "0d" for s in case) for case in cases]


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided", "expanded"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES + EMPTY_SHAPES, ids=_ids(MATMUL_SHAPES + EMPTY_SHAPES))
def test_matmul_forward(shapes, dtype, layout):
    rng = _rng("matmul", shapes, dtype, layout)
    a, b = (sample(s, dtype, rng) for s in shapes)
    check(lambda lib, x, y: lib.matmul(x, y), a, b, layout=layout, rng=rng)


@pytest.mark.parametrize("dtype", ["int32", "int16", "int8", "uint8", "float16", "bfloat16"])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES[:6], ids=_ids(MATMUL_SHAPES[:6]))
def test_matmul_other_dtypes(shapes, dtype):
    rng = _rng("matmul-dtypes", shapes, dtype)
    a, b = (sample(s, dtype, rng) for s in shapes)
    check(lambda lib, x, y: lib.matmul(x, y), a, b, rng=rng)


def test_matmul_operators():
    rng = _rng("operators")
    a, b = sample((2, 3), rng=rng), sample((4, 3, 5), rng=rng)
    check(lambda lib, x, y: x @ y, a, b)
    check(lambda lib, x, y: y.__rmatmul__(x), a, b)
    check(lambda lib, x, y: x.matmul(y), a, b)
    check(lambda lib, x, y: lib.linalg.matmul(x, y), a, b)


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES + EMPTY_SHAPES, ids=_ids(MATMUL_SHAPES + EMPTY_SHAPES))
def test_matmul_grad(shapes, dtype, layout):
    rng = _rng("matmul-grad", shapes, dtype)
    a, b = (sample(s, dtype, rng) for s in shapes)
    check_grad(lambda lib, x, y: lib.matmul(x, y), a, b, layout=layout)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=_ids(MATMUL_SHAPES))
def test_matmul_gradcheck(shapes):
    rng = _rng("matmul-fd", shapes)
    gradcheck(lambda lib, x, y: lib.matmul(x, y), *(sample(s, "float64", rng) for s in shapes))


def test_matmul_grad_fn_names():
    def names(*shapes):
        ts = [ember.ones(*s, requires_grad=True) for s in shapes]
        return ember.matmul(*ts).grad_fn.name()

    assert names((3,), (3,)) == "DotBackward0"
    assert names((2, 3), (3,)) == "MvBackward0"
    assert names((2, 3), (3, 4)) == "MmBackward0"
    assert names((5, 2, 3), (5, 3, 4)) == "BmmBackward0"


MATMUL_ERRORS = [
    (((3, 4), (5, 6)), "mat1 and mat2 shapes cannot be multiplied (3x4 and 5x6)"),
    (((3,), (4,)), "inconsistent tensor size, expected tensor [3] and src [4]"),
    (((2, 3), (4,)), "size mismatch, got input (2), mat (2x3), vec (4)"),
    (((3,), (4, 5)), "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)"),
    (((2, 3, 4), (2, 5, 6)), "Expected size for first two dimensions of batch2 tensor"),
    (((2, 3, 4), (3, 4, 6)), "must match the size of tensor b (3) at non-singleton dimension 0"),
    (((2, 3, 4), (5, 6)), "mat1 and mat2 shapes cannot be multiplied (6x4 and 5x6)"),
    (((3, 4), (2, 5, 6)), "mat1 and mat2 shapes cannot be multiplied (12x5 and 4x3)"),
    (((3,), (2, 5, 6)), "size mismatch, got input (12), mat (12x5), vec (3)"),
    (((2, 3, 4), (5,)), "size mismatch, got input (6), mat (6x4), vec (5)"),
    (((), (3,)), "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    (((3,), ()), "both arguments to matmul need to be at least 1D, but they are 1D and 0D"),
]


@pytest.mark.parametrize("shapes,match", MATMUL_ERRORS, ids=[m for _, m in MATMUL_ERRORS])
def test_matmul_shape_errors(shapes, match):
    a, b = (sample(s) for s in shapes)

    def fn(lib, x, y):
        return lib.matmul(x.requires_grad_(), y)  # torch words some of these by grad mode

    check(fn, a, b, match=match)


def test_matmul_shape_errors_without_grad():
    check(lambda lib, x, y: lib.matmul(x, y), sample((3, 4)), sample((2, 5, 6)),
          match="Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5].")
    check(lambda lib, x, y: lib.matmul(x, y), sample((3,)), sample((2, 5, 6)),
          match="Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 5].")


DTYPE_ERRORS = [
    (((2, 3), (3, 4)), "expected m1 and m2 to have the same dtype, but got: float != double"),
    (((3,), (3,)), "dot : expected both vectors to have same dtype, but found Float and Double"),
    (((2, 3), (3,)), "must have the same dtype"),
    (((3,), (3, 4)), "expected m1 and m2 to have the same dtype, but got: float != double"),
    (((2, 2, 3), (2, 3, 4)), "expected scalar type Float but found Double"),
    (((2, 2, 3), (3, 4)), "expected m1 and m2 to have the same dtype, but got: float != double"),
]


@pytest.mark.parametrize("shapes,match", DTYPE_ERRORS, ids=[m for _, m in DTYPE_ERRORS])
def test_matmul_dtype_errors(shapes, match):
    a, b = sample(shapes[0], "float32"), sample(shapes[1], "float64")
    check(lambda lib, x, y: lib.matmul(x, y), a, b, match=match)


def test_matmul_mixed_int_float_and_bool():
    a, b = sample((2, 3), "int64"), sample((3, 4), "float32")
    check(lambda lib, x, y: lib.matmul(x, y), a, b, match="long int != float")
    for shapes in [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((2, 2, 3), (2, 3, 3))]:
        x, y = (sample(s, "bool") for s in shapes)
        check(lambda lib, p, q: lib.matmul(p, q), x, y)  # both raise RuntimeError


def test_matmul_type_errors():
    for lib in (ember, torch):
        t = lib.ones(2, 2)
        with pytest.raises(TypeError):
            t @ 2
        with pytest.raises(TypeError):
            [[1.0, 2.0]] @ t
        with pytest.raises(TypeError):
            lib.matmul([[1.0]], t)


# -- the rest of the product family ---------------------------------------------------------

FAMILY = [
    ("mm", lambda lib, a, b: lib.mm(a, b), [(2, 3), (3, 4)]),
    ("mm-method", lambda lib, a, b: a.mm(b), [(0, 3), (3, 4)]),
    ("bmm", lambda lib, a, b: lib.bmm(a, b), [(4, 2, 3), (4, 3, 5)]),
    ("bmm-method", lambda lib, a, b: a.bmm(b), [(2, 0, 3), (2, 3, 5)]),
    ("mv", lambda lib, a, b: lib.mv(a, b), [(2, 3), (3,)]),
    ("dot", lambda lib, a, b: lib.dot(a, b), [(5,), (5,)]),
    ("vdot", lambda lib, a, b: lib.vdot(a, b), [(5,), (5,)]),
    ("outer", lambda lib, a, b: lib.outer(a, b), [(3,), (4,)]),
    ("ger", lambda lib, a, b: lib.ger(a, b), [(3,), (4,)]),
    ("kron", lambda lib, a, b: lib.kron(a, b), [(2, 3), (4, 5)]),
    ("kron-1d-2d", lambda lib, a, b: lib.kron(a, b), [(2,), (4, 5)]),
    ("kron-3d", lambda lib, a, b: a.kron(b), [(2, 1, 3), (2, 2)]),
    ("kron-0d", lambda lib, a, b: lib.kron(a, b), [(), (4, 5)]),
    ("trace", lambda lib, a: lib.trace(a), [(3, 3)]),
    ("trace-wide", lambda lib, a: a.trace(), [(2, 4)]),
    ("addmm", lambda lib, c, a, b: lib.addmm(c, a, b), [(4,), (2, 3), (3, 4)]),
    ("addmm-scaled", lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=2), [(2, 4), (2, 3), (3, 4)]),
    ("addmm-0d", lambda lib, c, a, b: c.addmm(a, b, alpha=-1.5), [(), (2, 3), (3, 4)]),
    ("addmv", lambda lib, c, a, b: lib.addmv(c, a, b, beta=2, alpha=0.5), [(2,), (2, 3), (3,)]),
    ("addmv-bcast", lambda lib, c, a, b: c.addmv(a, b), [(1,), (2, 3), (3,)]),
    ("baddbmm", lambda lib, c, a, b: lib.baddbmm(c, a, b, beta=0.5, alpha=2), [(2, 4), (3, 2, 3), (3, 3, 4)]),
    ("baddbmm-full", lambda lib, c, a, b: c.baddbmm(a, b), [(3, 2, 4), (3, 2, 3), (3, 3, 4)]),
    ("addbmm", lambda lib, c, a, b: lib.addbmm(c, a, b, beta=0.5, alpha=2), [(2, 4), (3, 2, 3), (3, 3, 4)]),
    ("addbmm-empty-batch", lambda lib, c, a, b: lib.addbmm(c, a, b), [(2, 4), (0, 2, 3), (0, 3, 4)]),
]
INT_FAMILY = {"mm", "bmm", "mv", "dot", "outer", "kron", "kron-1d-2d", "trace", "trace-wide", "addmm"}
# torch.kron follows its inputs' layout in the result's strides and fails on some transposed
# inputs ("view size is not compatible"), so kron is compared on contiguous inputs.
CONTIGUOUS_ONLY = {"kron", "kron-1d-2d", "kron-3d", "kron-0d"}


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("name,fn,shapes", FAMILY, ids=[f[0] for f in FAMILY])
def test_family_forward(name, fn, shapes, dtype, layout):
    if dtype == "int64" and name not in INT_FAMILY:
        pytest.skip("float-only case")
    if layout != "contiguous" and name in CONTIGUOUS_ONLY:
        pytest.skip("torch.kron's layout quirks")
    rng = _rng(name, dtype, layout)
    check(fn, *(sample(s, dtype, rng) for s in shapes), layout=layout, rng=rng)


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,fn,shapes", FAMILY, ids=[f[0] for f in FAMILY])
def test_family_grad(name, fn, shapes, dtype, layout):
    if layout != "contiguous" and name in CONTIGUOUS_ONLY:
        pytest.skip("torch.kron's layout quirks")
    rng = _rng(name, dtype, "grad")
    check_grad(fn, *(sample(s, dtype, rng) for s in shapes), layout=layout)


@pytest.mark.parametrize("name,fn,shapes", FAMILY, ids=[f[0] for f in FAMILY])
def test_family_gradcheck(name, fn, shapes):
    rng = _rng(name, "fd")
    gradcheck(fn, *(sample(s, "float64", rng) for s in shapes))


def test_family_promotion_and_int_results():
    check(lambda lib, a, b: lib.outer(a, b), sample((3,), "int64"), sample((4,), "float32"))
    check(lambda lib, a, b: lib.kron(a, b), sample((2,), "int32"), sample((2, 2), "float64"))
    check(lambda lib, a: lib.trace(a), sample((3, 3), "int32"))
    check(lambda lib, a: lib.trace(a), sample((3, 3), "uint8"))


def test_addmm_beta_zero_ignores_nan():
    c = np.full((2, 4), np.nan, np.float32)
    check(lambda lib, c, a, b: lib.addmm(c, a, b, beta=0), c, sample((2, 3)), sample((3, 4)))


@pytest.mark.parametrize("op", ["addmm_", "addmv_", "baddbmm_", "addbmm_"])
def test_inplace_variants(op):
    shapes = {
        "addmm_": [(2, 4), (2, 3), (3, 4)],
        "addmv_": [(2,), (2, 3), (3,)],
        "baddbmm_": [(3, 2, 4), (3, 2, 3), (3, 3, 4)],
        "addbmm_": [(2, 4), (3, 2, 3), (3, 3, 4)],
    }[op]
    rng = _rng(op)
    arrays = [sample(s, rng=rng) for s in shapes]
    check(lambda lib, c, a, b: getattr(c, op)(a, b, beta=0.5, alpha=2), *arrays)
    check_grad(lambda lib, c, a, b: getattr(c * 1, op)(a, b, alpha=3), *[x.astype("float64") for x in arrays])


FAMILY_ERRORS = [
    ("mm-1d", lambda lib, a, b: lib.mm(a, b), [(3,), (3, 4)], "float32", "self must be a matrix"),
    ("mm-3d", lambda lib, a, b: lib.mm(a, b), [(3, 4), (2, 4, 4)], "float32", "mat2 must be a matrix"),
    ("mm-shape", lambda lib, a, b: lib.mm(a, b), [(3, 4), (5, 6)], "float32", "(3x4 and 5x6)"),
    ("mm-bool", lambda lib, a, b: lib.mm(a, b), [(3, 4), (4, 6)], "bool", None),
    ("bmm-2d", lambda lib, a, b: lib.bmm(a, b), [(3, 4), (4, 6)], "float32", "batch1 must be a 3D tensor"),
    ("bmm-batch", lambda lib, a, b: lib.bmm(a, b), [(2, 3, 4), (3, 4, 6)], "float32", "to be: [2, 4] but got: [3, 4]."),
    ("bmm-k", lambda lib, a, b: lib.bmm(a, b), [(2, 3, 4), (2, 5, 6)], "float32", "to be: [2, 4] but got: [2, 5]."),
    ("mv-size", lambda lib, a, b: lib.mv(a, b), [(3, 4), (5,)], "float32", "size mismatch, got input (3), mat (3x4), vec (5)"),
    ("mv-1d", lambda lib, a, b: lib.mv(a, b), [(4,), (4,)], "float32", "vector + matrix @ vector expected"),
    ("dot-size", lambda lib, a, b: lib.dot(a, b), [(3,), (4,)], "float32", "inconsistent tensor size"),
    ("dot-2d", lambda lib, a, b: lib.dot(a, b), [(3, 1), (3,)], "float32", "1D tensors expected, but got 2D and 1D tensors"),
    ("vdot-2d", lambda lib, a, b: lib.vdot(a, b), [(2, 3), (3,)], "float32", "1D tensors expected"),
    ("outer-2d", lambda lib, a, b: lib.outer(a, b), [(3, 2), (4,)], "float32", "outer: Expected 1-D argument self, but got 2-D"),
    ("addmm-bcast", lambda lib, c, a, b: lib.addmm(c, a, b), [(5,), (2, 3), (3, 4)], "float32", "The expanded size of the tensor (4) must match the existing size (5)"),
    ("addmm-shape", lambda lib, c, a, b: lib.addmm(c, a, b), [(4,), (2, 3), (4, 4)], "float32", "(2x3 and 4x4)"),
    ("trace-3d", lambda lib, a: lib.trace(a), [(3, 3, 3)], "float32", "trace: expected a matrix, but got tensor with dim 3"),
    ("trace-bool", lambda lib, a: lib.trace(a), [(2, 2)], "bool", "\"trace\" not implemented for 'Bool'"),
    ("baddbmm-k", lambda lib, c, a, b: lib.baddbmm(c, a, b), [(2, 4), (3, 2, 3), (3, 2, 4)], "float32", "to be: [3, 3] but got: [3, 2]."),
    ("addbmm-bool", lambda lib, c, a, b: lib.addbmm(c, a, b), [(2, 4), (3, 2, 3), (3, 3, 4)], "bool", None),
    ("dot-bool", lambda lib, a, b: lib.dot(a, b), [(3,), (3,)], "bool", "\"dot\" not implemented for 'Bool'"),
    ("mv-bool", lambda lib, a, b: lib.mv(a, b), [(2, 3), (3,)], "bool", "\"addmv_impl_cpu\" not implemented for 'Bool'"),
    ("bmm-bool", lambda lib, a, b: lib.bmm(a, b), [(2, 2, 3), (2, 3, 4)], "bool", "\"bmm\" not implemented for 'Bool'"),
    ("einsum-bool", lambda lib, a, b: lib.einsum("ij,jk", a, b), [(2, 3), (3, 4)], "bool", "not implemented for 'Bool'"),
    ("tensordot-bool", lambda lib, a, b: lib.tensordot(a, b, 1), [(2, 3), (3, 4)], "bool", "not implemented for 'Bool'"),
]


@pytest.mark.parametrize("name,fn,shapes,dtype,match", FAMILY_ERRORS, ids=[f[0] for f in FAMILY_ERRORS])
def test_family_errors(name, fn, shapes, dtype, match):
    check(fn, *(sample(s, dtype) for s in shapes), match=match)


def test_family_dtype_errors():
    f32, f64 = sample((3, 4), "float32"), sample((4, 2), "float64")
    check(lambda lib, a, b: lib.mm(a, b), f32, f64, match="float != double")
    check(lambda lib, a, b: lib.bmm(a, b), f32[None], f64[None], match="expected scalar type Float but found Double")
    check(lambda lib, a, b: lib.dot(a, b), f32[0], f64[:, 0].copy(), match="dot : expected both vectors")
    check(lambda lib, c, a, b: lib.addmm(c, a, b), f64[:1, :1], f32, f32.T.copy(),
          match="self and mat2 must have the same dtype, but got Double and Float")


def test_dot_double_backward():
    rng = _rng("dot-gg")
    a, b = (ember.tensor(sample((4,), "float64", rng), requires_grad=True) for _ in range(2))
    assert ember.autograd.gradgradcheck(lambda x, y: ember.dot(x, y), (a, b))


# -- einsum and tensordot -------------------------------------------------------------------

EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,kj->ik", [(2, 3), (4, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->i", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(3,), (3,)]),
    ("ba,bc", [(2, 3), (2, 4)]),
    ("b...a", [(2, 3, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (5, 3, 4)]),
    ("i...,i...->...", [(2, 1), (2, 5)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("iij,jk", [(3, 3, 2), (2, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("i j , j k -> i k", [(2, 3), (3, 4)]),
    (",i->i", [(), (3,)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,jk->ik", [(0, 3), (3, 4)]),
    ("Ab,bC->AC", [(2, 3), (3, 4)]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[f"{e}-{i}" for i, (e, _) in enumerate(EINSUM)])
def test_einsum(eq, shapes, dtype):
    rng = _rng("einsum", eq, shapes, dtype)
    arrays = [sample(s, dtype, rng) for s in shapes]
    check_grad(lambda lib, *xs: lib.einsum(eq, *xs), *arrays)
    check_grad(lambda lib, *xs: lib.einsum(eq, *xs), *arrays, layout="transposed")


@pytest.mark.parametrize("eq,shapes", EINSUM[:17], ids=[e for e, _ in EINSUM[:17]])
def test_einsum_gradcheck(eq, shapes):
    rng = _rng("einsum-fd", eq, shapes)
    gradcheck(lambda lib, *xs: lib.einsum(eq, *xs), *(sample(s, "float64", rng) for s in shapes))


def test_einsum_double_backward():
    rng = _rng("einsum-gg")
    a, b = (ember.tensor(sample(s, "float64", rng), requires_grad=True) for s in ((2, 3), (3, 4)))
    assert ember.autograd.gradgradcheck(lambda x, y: ember.einsum("ij,jk->ik", x, y), (a, b))


def test_einsum_forms_and_ints():
    rng = _rng("einsum-forms")
    a, b = sample((2, 3), rng=rng), sample((3, 4), rng=rng)
    check_grad(lambda lib, x, y: lib.einsum(x, [0, 1], y, [1, 2], [0, 2]), a, b)
    check_grad(lambda lib, x, y: lib.einsum(x, [0, 1], y, [1, 2]), a, b)
    check_grad(lambda lib, x, y: lib.einsum("ij,jk", [x, y]), a, b)
    check_grad(lambda lib, x: lib.einsum(x, [Ellipsis, 1], [1]), a)
    ints = [sample((2, 3), "int64", rng), sample((3, 4), "int64", rng)]
    check(lambda lib, x, y: lib.einsum("ij,jk->ik", x, y), *ints)


EINSUM_ERRORS = [
    ("ij,jk->ik", [(2, 3), (4, 4)], "subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3"),
    ("ij,jk->ik", [(2, 3)], "fewer operands were provided than specified in the equation"),
    ("ij->ij", [(2, 3), (3, 4)], "more operands were provided than specified in the equation"),
    ("ijk,jk->ik", [(2, 3), (3, 4)], "the number of subscripts in the equation (3) does not match the number of dimensions (2) for operand 0 and no ellipsis was given"),
    ("ij,jk->iz", [(2, 3), (3, 4)], "output subscript z does not appear in the equation for any input operand"),
    ("i->ii", [(3,)], "output subscript i appears more than once in the output"),
]


@pytest.mark.parametrize("eq,shapes,match", EINSUM_ERRORS, ids=[m[:30] for _, _, m in EINSUM_ERRORS])
def test_einsum_errors(eq, shapes, match):
    check(lambda lib, *xs: lib.einsum(eq, *xs), *(sample(s) for s in shapes), match=match)


def test_einsum_dtype_error():
    check(lambda lib, x, y: lib.einsum("ij,jk->ik", x, y), sample((2, 3), "float32"),
          sample((3, 4), "float64"), match="expected scalar type Float but found Double")


TENSORDOT = [
    ([(2, 3, 4), (3, 4, 5)], {}),
    ([(2, 3), (3, 4)], {"dims": 1}),
    ([(2, 3), (4,)], {"dims": 0}),
    ([(2, 3, 4), (4, 5, 2)], {"dims": ([0, 2], [2, 0])}),
    ([(2, 3), (3, 4)], {"dims": ([1], [0])}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes,kwargs", TENSORDOT, ids=[str(k) for _, k in TENSORDOT])
def test_tensordot(shapes, kwargs, dtype):
    rng = _rng("tensordot", shapes, dtype)
    arrays = [sample(s, dtype, rng) for s in shapes]
    check_grad(lambda lib, a, b: lib.tensordot(a, b, **kwargs), *arrays)
    gradcheck(lambda lib, a, b: lib.tensordot(a, b, **kwargs), *arrays)


def test_tensordot_errors():
    a, b = sample((2, 3)), sample((4, 4))
    check(lambda lib, x, y: lib.tensordot(x, y, dims=1), a, b,
          match="contracted dimensions need to match, but first has size 3 in dim -1 and second has size 4 in dim 0")
    check(lambda lib, x, y: lib.tensordot(x, y, dims=-1), a, b, match="tensordot expects dims >= 0")
    check(lambda lib, x, y: lib.tensordot(x, y), a, sample((3, 4), "float64"), match="both inputs should have same dtype")
    check(lambda lib, x, y: lib.tensordot(x, y, dims=(1, 0)), a, sample((3, 4)))


# -- ember.linalg: forward through the oracle -----------------------------------------------

SQUARE_SHAPES = [(3, 3), (1, 1), (2, 4, 4), (2, 1, 3, 3), (0, 3, 3), (0, 0)]


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SQUARE_SHAPES, ids=str)
@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "inverse", "torch.det", "torch.slogdet"])
def test_square_functions_forward(name, shape, dtype, layout):
    fn = {
        "inv": lambda lib, a: lib.linalg.inv(a),
        "det": lambda lib, a: lib.linalg.det(a),
        "slogdet": lambda lib, a: tuple(lib.linalg.slogdet(a)),
        "inverse": lambda lib, a: a.inverse(),
        "torch.det": lambda lib, a: lib.det(a),
        "torch.slogdet": lambda lib, a: tuple(lib.slogdet(a)),
    }[name]
    rng = _rng(name, shape, dtype)
    check(fn, well_conditioned(shape, dtype, rng), layout=layout, rng=rng)


def test_det_of_negative_and_singular_matrices():
    a = np.array([[0.0, 1.0], [1.0, 0.0]])
    check(lambda lib, x: tuple(lib.linalg.slogdet(x)), a)
    check(lambda lib, x: lib.linalg.det(x), np.array([[1.0, 2.0], [2.0, 4.0]]))
    check_grad(lambda lib, x: lib.linalg.det(x), np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]))
    batch = np.stack([np.zeros((3, 3)), well_conditioned((3, 3))])
    check_grad(lambda lib, x: lib.linalg.det(x), batch)


SOLVE = [
    ((3, 3), (3, 2), True),
    ((3, 3), (3,), True),
    ((2, 3, 3), (3,), True),
    ((2, 3, 3), (2, 3), True),
    ((4, 2, 3, 3), (4, 2, 3), True),
    ((2, 3, 3), (4, 1, 3, 2), True),
    ((3, 3), (2, 3, 5), True),
    ((3, 3), (2, 3), False),
    ((2, 3, 3), (4, 2, 5, 3), False),
    ((2, 3, 3), (4, 3), False),
    ((0, 3, 3), (3, 2), True),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sa,sb,left", SOLVE, ids=[f"{a}-{b}-{l}" for a, b, l in SOLVE])
def test_solve(sa, sb, left, dtype):
    rng = _rng("solve", sa, sb, left, dtype)
    a, b = well_conditioned(sa, dtype, rng), sample(sb, dtype, rng)
    check(lambda lib, x, y: lib.linalg.solve(x, y, left=left), a, b)
    check(lambda lib, x, y: lib.linalg.solve(x, y, left=left), a, b, layout="transposed")
    check_grad(lambda lib, x, y: lib.linalg.solve(x, y, left=left), a, b, tol=_loose(dtype))


def _loose(dtype: str):
    """Tolerances for gradients that pass through a factorisation (conditioning varies)."""
    return (2e-3, 2e-4) if dtype == "float32" else (1e-8, 1e-10)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (0, 2, 2)], ids=str)
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cholesky_forward(shape, upper, dtype):
    rng = _rng("cholesky", shape, upper, dtype)
    a = spd(shape, dtype, rng)
    check(lambda lib, x: lib.linalg.cholesky(x, upper=upper), a)
    check(lambda lib, x: lib.linalg.cholesky(x, upper=upper), a, layout="transposed")
    if a.size:  # the deprecated torch.cholesky lays out empty results differently
        check(lambda lib, x: x.cholesky(upper=upper), a)
    lower_only = a + np.triu(sample(shape, dtype, rng), 1)  # the upper triangle is never read
    check(lambda lib, x: lib.linalg.cholesky(x), lower_only)


QR_SHAPES = [(4, 3), (3, 3), (3, 5), (2, 4, 3), (2, 3, 5), (0, 3), (3, 0)]


@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", QR_SHAPES, ids=str)
def test_qr_forward(shape, dtype, mode):
    rng = _rng("qr", shape, dtype, mode)
    check(lambda lib, x: tuple(lib.linalg.qr(x, mode=mode)), sample(shape, dtype, rng))


def test_torch_qr_and_field_names():
    a = sample((4, 3), "float64")
    check(lambda lib, x: tuple(lib.qr(x)), a)
    check(lambda lib, x: tuple(x.qr(some=False)), a)
    q = ember.linalg.qr(ember.tensor(a))
    assert q.Q is q[0] and q.R is q[1]
    assert type(q).__name__ == "linalg_qr"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1), (0, 0)], ids=str)
def test_eigvalsh_and_svdvals_forward(shape, dtype):
    rng = _rng("eig", shape, dtype)
    a = spd(shape, dtype, rng)
    check(lambda lib, x: lib.linalg.eigvalsh(x), a)
    check(lambda lib, x: lib.linalg.eigvalsh(x, UPLO="U"), a + np.tril(sample(shape, dtype, rng), -1))
    check(lambda lib, x: lib.linalg.svdvals(x), sample(shape[:-1] + (shape[-1] + 2,), dtype, rng))


def _layout(t) -> tuple:
    return tuple(t.shape), t.stride()


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (2, 3, 3), (2, 5, 3), (0, 3)], ids=str)
def test_svd_factors(shape, full):
    a = sample(shape, "float64", _rng("svd", shape))
    ours = ember.linalg.svd(ember.tensor(a), full_matrices=full)
    theirs = torch.linalg.svd(torch.tensor(a), full_matrices=full)
    assert [_layout(t) for t in ours] == [_layout(t) for t in theirs]
    assert type(ours).__name__ == "linalg_svd" and ours.Vh is ours[2]
    u, s, vh = (t.numpy() for t in ours)
    k = s.shape[-1]
    np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], a, atol=1e-12)
    np.testing.assert_allclose(s, theirs.S.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.swapaxes(u, -1, -2) @ u, np.broadcast_to(np.eye(u.shape[-1]), u.shape[:-2] + (u.shape[-1],) * 2), atol=1e-12)
    old_u, old_s, old_v = ember.svd(ember.tensor(a), some=not full)
    ref = torch.svd(torch.tensor(a), some=not full)
    assert [tuple(t.shape) for t in (old_u, old_s, old_v)] == [tuple(t.shape) for t in ref]
    np.testing.assert_allclose(old_v.numpy(), np.swapaxes(vh, -1, -2))


def test_torch_svd_without_vectors():
    a = sample((3, 4), "float64")
    check(lambda lib, x: tuple(lib.svd(x, compute_uv=False)), a)


@pytest.mark.parametrize("uplo", ["L", "U"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (0, 2, 2)], ids=str)
def test_eigh_factors(shape, uplo):
    a = spd(shape, "float64", _rng("eigh", shape))
    ours = ember.linalg.eigh(ember.tensor(a), UPLO=uplo)
    theirs = torch.linalg.eigh(torch.tensor(a), UPLO=uplo)
    assert [_layout(t) for t in ours] == [_layout(t) for t in theirs]
    w, v = ours.eigenvalues.numpy(), ours.eigenvectors.numpy()
    np.testing.assert_allclose(w, theirs.eigenvalues.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose((v * w[..., None, :]) @ np.swapaxes(v, -1, -2), a, atol=1e-10)


# -- ember.linalg: gradients ----------------------------------------------------------------


def _svd_invariants(lib, x, full=False):
    """Sign-invariant functions of every SVD output: S, U S^2 Vh, U U^T and Vh^T Vh."""
    u, s, vh = lib.linalg.svd(x, full_matrices=full)
    k = s.shape[-1]
    if full:  # keep the determined vectors, without views (not yet differentiable in ember)
        u = lib.matmul(u, lib.eye(u.shape[-1], k, dtype=u.dtype))
        vh = lib.matmul(lib.eye(k, vh.shape[-2], dtype=u.dtype), vh)
    return (
        s,
        lib.einsum("...ik,...k,...kj->...ij", u, s * s, vh),
        lib.einsum("...ik,...jk->...ij", u, u),
        lib.einsum("...ki,...kj->...ij", vh, vh),
    )


def _eigh_invariants(lib, x, uplo="L"):
    w, v = lib.linalg.eigh(x, UPLO=uplo)
    return w, lib.einsum("...ik,...k,...jk->...ij", v, w * w, v), v * v


def _sym(lib, x):
    """A symmetric positive-definite function of any square x, without views."""
    n = x.shape[-1]
    return lib.einsum("...ik,...jk->...ij", x, x) + n * lib.eye(n, dtype=x.dtype)


LINALG_GRADS = [
    ("inv", lambda lib, a: lib.linalg.inv(a), "square"),
    ("det", lambda lib, a: lib.linalg.det(a), "square"),
    ("slogdet", lambda lib, a: tuple(lib.linalg.slogdet(a)), "square"),
    ("cholesky", lambda lib, a: lib.linalg.cholesky(_sym(lib, a)), "square"),
    ("cholesky-upper", lambda lib, a: lib.linalg.cholesky(_sym(lib, a), upper=True), "square"),
    ("cholesky-direct", lambda lib, a: lib.linalg.cholesky(a), "spd"),
    ("qr", lambda lib, a: tuple(lib.linalg.qr(a)), "tall"),
    ("qr-square", lambda lib, a: tuple(lib.linalg.qr(a, mode="complete")), "square"),
    ("qr-wide", lambda lib, a: tuple(lib.linalg.qr(a)), "wide"),
    ("svd", lambda lib, a: _svd_invariants(lib, a), "tall"),
    ("svd-wide", lambda lib, a: _svd_invariants(lib, a), "wide"),
    ("svd-square", lambda lib, a: _svd_invariants(lib, a), "square"),
    ("svd-full", lambda lib, a: _svd_invariants(lib, a, True), "tall"),
    ("svd-full-wide", lambda lib, a: _svd_invariants(lib, a, True), "wide"),
    ("svdvals", lambda lib, a: lib.linalg.svdvals(a), "wide"),
    ("eigh", lambda lib, a: _eigh_invariants(lib, _sym(lib, a)), "square"),
    ("eigh-direct", lambda lib, a: _eigh_invariants(lib, a), "spd"),
    ("eigh-upper", lambda lib, a: _eigh_invariants(lib, a, "U"), "spd"),
    ("eigvalsh", lambda lib, a: lib.linalg.eigvalsh(a), "spd"),
    ("matrix_power-3", lambda lib, a: lib.linalg.matrix_power(a, 3), "square"),
    ("matrix_power--2", lambda lib, a: lib.linalg.matrix_power(a, -2), "square"),
]


def _linalg_input(kind: str, batch: tuple, dtype: str, rng) -> np.ndarray:
    if kind == "square":
        return well_conditioned(batch + (3, 3), dtype, rng)
    if kind == "spd":
        return spd(batch + (3, 3), dtype, rng)
    shape = (4, 3) if kind == "tall" else (3, 5)
    return sample(batch + shape, dtype, rng)


@pytest.mark.parametrize("batch", [(), (2,)], ids=["single", "batched"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,fn,kind", LINALG_GRADS, ids=[f[0] for f in LINALG_GRADS])
def test_linalg_grad(name, fn, kind, dtype, batch):
    rng = _rng(name, dtype, batch)
    a = _linalg_input(kind, batch, dtype, rng)
    check_grad(fn, a, tol=_loose(dtype))
    if batch:
        check_grad(fn, a, layout="transposed", tol=_loose(dtype))


GRADCHECK_SKIP = {"cholesky-direct", "eigh-direct", "eigh-upper", "eigvalsh"}  # need symmetric steps


@pytest.mark.parametrize("name,fn,kind", LINALG_GRADS, ids=[f[0] for f in LINALG_GRADS])
def test_linalg_gradcheck(name, fn, kind):
    if name in GRADCHECK_SKIP:
        pytest.skip("finite differences step off the symmetric matrices; the _sym cases cover it")
    rng = _rng(name, "fd")
    gradcheck(fn, _linalg_input(kind, (), "float64", rng))


def test_solve_gradcheck():
    rng = _rng("solve-fd")
    for sa, sb, left in SOLVE:
        a, b = well_conditioned(sa, "float64", rng), sample(sb, "float64", rng)
        gradcheck(lambda lib, x, y: lib.linalg.solve(x, y, left=left), a, b)


def test_qr_backward_errors():
    for lib in (ember, torch):
        x = lib.tensor(sample((4, 3), "float64"), requires_grad=True)
        with pytest.raises(RuntimeError, match="mode='complete' and nrows > ncols"):
            lib.linalg.qr(x, mode="complete").Q.sum().backward()
        with pytest.raises(RuntimeError, match="which is not computed when mode='r'"):
            lib.linalg.qr(x, mode="r").R.sum().backward()


# -- norms ----------------------------------------------------------------------------------

MATRIX_ORDS = ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf]


def _views_differentiable() -> bool:
    return ember.ones(2, requires_grad=True).unsqueeze(0).requires_grad


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [(-2, -1), (0, 2), (2, 0), (1, 0)], ids=str)
@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_matrix_norm(ord, dim, keepdim):
    rng = _rng("matrix_norm", ord, dim, keepdim)
    a = sample((2, 3, 4), "float64", rng)
    fn = lambda lib, x: lib.linalg.matrix_norm(x, ord, dim, keepdim)  # noqa: E731
    check(fn, a)
    moves = ord in ("nuc", 2, -2) and (keepdim or dim != (-2, -1))
    if moves and not _views_differentiable():
        pytest.skip("the svd-based norms move dims with views, not yet differentiable")
    check_grad(fn, a, tol=_loose("float64"))
    gradcheck(fn, a)


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_matrix_norm_float32_and_dtype(ord):
    a = sample((3, 4), "float32", _rng("mn32", ord))
    check(lambda lib, x: lib.linalg.matrix_norm(x, ord), a)
    check(lambda lib, x: lib.linalg.matrix_norm(x, ord, dtype=lib.float64), a)
    check(lambda lib, x: lib.linalg.norm(x, ord), a)


NORM_CASES = [
    ((5,), {}),
    ((5,), {"ord": 1}),
    ((5,), {"ord": math.inf}),
    ((5,), {"ord": 3}),
    ((3, 4), {}),
    ((3, 4), {"ord": "fro"}),
    ((3, 4), {"ord": "nuc"}),
    ((3, 4), {"ord": 2}),
    ((2, 3, 4), {}),
    ((2, 3, 4), {"dim": 1}),
    ((2, 3, 4), {"ord": 1, "dim": -1}),
    ((2, 3, 4), {"ord": 2, "dim": (1, 2)}),
    ((2, 3, 4), {"dim": (1, 2), "keepdim": True}),
]


@pytest.mark.parametrize("shape,kwargs", NORM_CASES, ids=[f"{s}-{k}" for s, k in NORM_CASES])
def test_norm(shape, kwargs):
    a = sample(shape, "float64", _rng("norm", shape, kwargs))
    check(lambda lib, x: lib.linalg.norm(x, **kwargs), a)
    check_grad(lambda lib, x: lib.linalg.norm(x, **kwargs), a, tol=_loose("float64"))


NORM_ERRORS = [
    (lambda lib, x: lib.linalg.norm(x, "fro"), (2, 3, 4), "float32", "If dim is not specified but ord is, the input must be 1D or 2D. Got 3D."),
    (lambda lib, x: lib.linalg.matrix_norm(x, 3), (3, 4), "float32", "linalg.matrix_norm: Order 3 not supported."),
    (lambda lib, x: lib.linalg.matrix_norm(x), (4,), "float32", "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."),
    (lambda lib, x: lib.linalg.matrix_norm(x), (3, 4), "int64", "Expected a floating point or complex tensor as input. Got Long"),
]


@pytest.mark.parametrize("fn,shape,dtype,match", NORM_ERRORS, ids=[m[:40] for *_, m in NORM_ERRORS])
def test_norm_errors(fn, shape, dtype, match):
    check(fn, sample(shape, dtype), match=match)


# -- small composites -----------------------------------------------------------------------


def test_matrix_power_multi_dot_vecdot():
    rng = _rng("composites")
    a = well_conditioned((2, 3, 3), "float64", rng)
    for n in (0, 1, 2, 5, -1, -3):
        check(lambda lib, x: lib.linalg.matrix_power(x, n), a)
    check(lambda lib, x: x.matrix_power(2), a)
    chain = [sample((3,), "float64", rng), sample((3, 4), "float64", rng), sample((4, 2), "float64", rng)]
    check(lambda lib, *xs: lib.linalg.multi_dot(xs), *chain)
    check_grad(lambda lib, *xs: lib.linalg.multi_dot(xs), *chain)
    x, y = sample((2, 3), "float64", rng), sample((3,), "float64", rng)
    check(lambda lib, p, q: lib.linalg.vecdot(p, q), x, y)


# -- linalg errors --------------------------------------------------------------------------

LINALG_ERRORS = [
    ("inv-nonsquare", lambda lib, a: lib.linalg.inv(a), (3, 4), "float32", "linalg.inv: A must be batches of square matrices, but they are 3 by 4 matrices"),
    ("inv-1d", lambda lib, a: lib.linalg.inv(a), (3,), "float32", "linalg.inv: The input tensor A must have at least 2 dimensions."),
    ("inv-int", lambda lib, a: lib.linalg.inv(a), (3, 3), "int64", "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    ("inv-half", lambda lib, a: lib.linalg.inv(a), (3, 3), "float16", "linalg.inv: Low precision dtypes not supported. Got Half"),
    ("det-nonsquare", lambda lib, a: lib.linalg.det(a), (3, 4), "float32", "linalg.det: A must be batches of square matrices"),
    ("det-int", lambda lib, a: lib.linalg.det(a), (3, 3), "int32", "linalg.det: Expected a floating point or complex tensor as input. Got Int"),
    ("svd-int", lambda lib, a: lib.linalg.svd(a), (3, 3), "int64", "linalg.svd: Expected a floating point or complex tensor as input. Got Long"),
    ("qr-mode", lambda lib, a: lib.linalg.qr(a, mode="x"), (4, 3), "float32", "qr received unrecognized mode 'x'"),
    ("eigh-uplo", lambda lib, a: lib.linalg.eigh(a, UPLO="X"), (3, 3), "float32", "Expected UPLO argument to be 'L' or 'U', but got X"),
    ("cholesky-nonsquare", lambda lib, a: lib.linalg.cholesky(a), (3, 4), "float32", "linalg.cholesky: A must be batches of square matrices"),
]


@pytest.mark.parametrize("name,fn,shape,dtype,match", LINALG_ERRORS, ids=[e[0] for e in LINALG_ERRORS])
def test_linalg_errors(name, fn, shape, dtype, match):
    check(fn, sample(shape, dtype), match=match)


def test_linalg_failures_raise_linalg_error():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    batch = np.stack([np.eye(2), singular])
    check(lambda lib, a: lib.linalg.inv(a), singular, match="singular")
    check(lambda lib, a: lib.linalg.inv(a), batch, match="(Batch element 1): ")
    check(lambda lib, a, b: lib.linalg.solve(a, b), singular, sample((2,), "float64"), match="singular")
    not_pd = -spd((3, 3))
    check(lambda lib, a: lib.linalg.cholesky(a), not_pd, match="not positive-definite")
    check(lambda lib, a: lib.linalg.cholesky(a), np.stack([spd((3, 3)), not_pd]),
          match="(Batch element 1): ")
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.inv(ember.tensor(singular))
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)


SOLVE_ERRORS = [
    ((3, 3), (4, 2), True, "float64", "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 4x2)"),
    ((3, 3), (2, 4), False, "float64", "Incompatible shapes of A and B for the equation XA = B (3x3 and 2x4)"),
    ((2, 3, 3), (2, 3), False, "float64", "Incompatible shapes of A and B for the equation XA = B (3x3 and 3x1)"),
    ((2, 3, 3), (3, 3, 2), True, "float64", "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"),
    ((3, 3), (3, 2), True, "float32", "linalg.solve: Expected A and B to have the same dtype, but found A of type Double and B of type Float instead"),
]


@pytest.mark.parametrize("sa,sb,left,dtype_b,match", SOLVE_ERRORS, ids=[e[-1][:40] for e in SOLVE_ERRORS])
def test_solve_errors(sa, sb, left, dtype_b, match):
    a, b = well_conditioned(sa), sample(sb, dtype_b)
    check(lambda lib, x, y: lib.linalg.solve(x, y, left=left), a, b, match=match)
