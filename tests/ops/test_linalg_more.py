"""More linear algebra against torch: inner, cross, chain_matmul, logdet, pinv, matrix_rank,
lstsq, the ``@=`` operator, half-precision products and second-order gradients
(``gradgradcheck`` in float64) of the products and matrix functions.

Helpers come from test_linalg.py: :func:`check_grad` seeds every output's backward with a
random ``grad_output`` in both libraries and compares every input's ``.grad``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import ember
from tests._harness.oracle import check, sample
from tests.ops.test_linalg import _loose, _rng, check_grad, gradcheck, spd, well_conditioned


def gradgradcheck(fn, *arrays) -> None:
    inputs = [ember.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    assert ember.autograd.gradgradcheck(lambda *xs: fn(ember, *xs), tuple(inputs))


# -- inner, cross, chain_matmul -------------------------------------------------------------

INNER = [
    ((3,), (3,)),
    ((2, 3), (4, 3)),
    ((2, 1, 3), (3,)),
    ((), (4,)),
    ((2, 3), ()),
    ((0, 3), (2, 3)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", INNER, ids=str)
def test_inner(shapes, dtype):
    rng = _rng("inner", shapes, dtype)
    arrays = [sample(s, dtype, rng) for s in shapes]
    check(lambda lib, a, b: lib.inner(a, b), *arrays)
    check(lambda lib, a, b: a.inner(b), *arrays, layout="transposed")
    check_grad(lambda lib, a, b: lib.inner(a, b), *arrays)


def test_inner_ints_and_errors():
    check(lambda lib, a, b: lib.inner(a, b), sample((2, 3), "int64"), sample((4, 3), "int64"))
    check(
        lambda lib, a, b: lib.inner(a, b),
        sample((2, 3)),
        sample((4,)),
        match="the last dimension must match on both input tensors but got shapes [2, 3] and [4]",
    )
    check(
        lambda lib, a, b: lib.inner(a, b),
        sample((2, 3)),
        sample((4, 3), "float64"),
        match="both inputs should have same dtype",
    )


CROSS = [
    ((3,), (3,), {}),
    ((4, 3), (4, 3), {}),
    ((1, 3), (5, 3), {}),
    ((3, 5), (3, 5), {"dim": 0}),
    ((2, 3, 4), (2, 3, 1), {"dim": 1}),
    ((0, 3), (0, 3), {}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sa,sb,kw", CROSS, ids=[f"{a}x{b}-{k}" for a, b, k in CROSS])
def test_linalg_cross(sa, sb, kw, dtype):
    rng = _rng("cross", sa, sb, dtype)
    a, b = sample(sa, dtype, rng), sample(sb, dtype, rng)
    check(lambda lib, x, y: lib.linalg.cross(x, y, **kw), a, b)
    check(lambda lib, x, y: lib.linalg.cross(x, y, **kw), a, b, layout="transposed")
    check(lambda lib, x, y: lib.cross(x, y, dim=kw.get("dim", -1)), a, b)
    check_grad(lambda lib, x, y: lib.linalg.cross(x, y, **kw), a, b)
    gradcheck(lambda lib, x, y: lib.linalg.cross(x, y, **kw), a, b)


def test_cross_default_dim_ints_and_errors():
    rng = _rng("cross-misc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda lib, x, y: lib.cross(x, y), sample((3, 3), rng=rng), sample((3, 3), rng=rng))
        check(lambda lib, x, y: x.cross(y), sample((2, 3), rng=rng), sample((2, 3), rng=rng))
        check(
            lambda lib, x, y: lib.cross(x, y),
            sample((2, 4)),
            sample((2, 4)),
            match="no dimension of size 3 in input",
        )
    check(
        lambda lib, x, y: lib.linalg.cross(x, y), sample((2, 3), "int64"), sample((2, 3), "int64")
    )
    check(
        lambda lib, x, y: lib.linalg.cross(x, y),
        sample((2, 4)),
        sample((2, 4)),
        match="linalg.cross: inputs dimension -1 must have length 3. Got 4 and 4",
    )
    check(
        lambda lib, x, y: lib.linalg.cross(x, y),
        sample((2, 3)),
        sample((3,)),
        match="linalg.cross: inputs must have the same number of dimensions.",
    )
    check(
        lambda lib, x, y: lib.linalg.cross(x, y),
        sample((2, 3)),
        sample((4, 3)),
        match="The size of tensor a (2) must match the size of tensor b (4)",
    )
    check(
        lambda lib, x, y: lib.linalg.cross(x, y),
        sample((2, 3)),
        sample((2, 3), "float64"),
        match="expected scalar type Float but found Double",
    )
    check(lambda lib, x, y: lib.linalg.cross(x, y, dim=2), sample((2, 3)), sample((2, 3)))


def test_chain_matmul():
    rng = _rng("chain")
    mats = [sample(s, "float64", rng) for s in ((2, 3), (3, 4), (4, 1))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda lib, *xs: lib.chain_matmul(*xs), *mats)
        check(lambda lib, x: lib.chain_matmul(x), mats[0])
        check_grad(lambda lib, *xs: lib.chain_matmul(*xs), *mats)
        check(
            lambda lib, x, y: lib.chain_matmul(x, y),
            sample((3,)),
            sample((3, 3)),
            match="Tensor dimension is 1, expected 2 instead.",
        )
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        ember.chain_matmul(ember.ones(2, 2), ember.ones(2, 2))


# -- operators and half precision -----------------------------------------------------------


def test_imatmul_rebinds():
    rng = _rng("imatmul")
    a, b = sample((2, 3), rng=rng), sample((3, 3), rng=rng)

    def fn(lib, x, y):
        z = x
        x @= y
        assert x is not z  # torch has no in-place matmul: @= rebinds to a new tensor
        return x

    check(fn, a, b)
    check_grad(fn, a.astype("float64"), b.astype("float64"))


HALF_CASES = [
    ("matmul", lambda lib, a, b: lib.matmul(a, b), [(2, 3), (3, 4)]),
    ("matmul-batched", lambda lib, a, b: a @ b, [(2, 2, 3), (3,)]),
    ("mm", lambda lib, a, b: lib.mm(a, b), [(2, 3), (3, 4)]),
    ("bmm", lambda lib, a, b: lib.bmm(a, b), [(2, 2, 3), (2, 3, 4)]),
    ("mv", lambda lib, a, b: lib.mv(a, b), [(2, 3), (3,)]),
    ("dot", lambda lib, a, b: lib.dot(a, b), [(4,), (4,)]),
    ("outer", lambda lib, a, b: lib.outer(a, b), [(2,), (3,)]),
    ("addmm", lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5), [(4,), (2, 3), (3, 4)]),
    ("baddbmm", lambda lib, c, a, b: lib.baddbmm(c, a, b, alpha=2), [(2, 4), (2, 2, 3), (2, 3, 4)]),
    ("einsum", lambda lib, a, b: lib.einsum("ij,kj->ik", a, b), [(2, 3), (4, 3)]),
    ("trace", lambda lib, a: lib.trace(a), [(3, 3)]),
]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name,fn,shapes", HALF_CASES, ids=[c[0] for c in HALF_CASES])
def test_half_precision_products(name, fn, shapes, dtype):
    rng = _rng("half", name, dtype)
    check(fn, *(sample(s, dtype, rng) for s in shapes), rng=rng)


# -- second derivatives ---------------------------------------------------------------------

GRADGRAD = [
    ("matmul-2d", lambda lib, a, b: lib.matmul(a, b), "plain", [(2, 3), (3, 2)]),
    ("matmul-vec-batch", lambda lib, a, b: lib.matmul(a, b), "plain", [(3,), (2, 3, 2)]),
    ("matmul-batch-vec", lambda lib, a, b: lib.matmul(a, b), "plain", [(2, 2, 3), (3,)]),
    ("matmul-bcast", lambda lib, a, b: lib.matmul(a, b), "plain", [(2, 1, 2, 3), (2, 3, 2)]),
    ("mm", lambda lib, a, b: lib.mm(a, b), "plain", [(2, 3), (3, 2)]),
    ("bmm", lambda lib, a, b: lib.bmm(a, b), "plain", [(2, 2, 3), (2, 3, 2)]),
    ("mv", lambda lib, a, b: lib.mv(a, b), "plain", [(2, 3), (3,)]),
    (
        "addmm",
        lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=2),
        "plain",
        [(2,), (2, 3), (3, 2)],
    ),
    ("einsum-diag", lambda lib, a, b: lib.einsum("iij,jk->ik", a, b), "plain", [(2, 2, 3), (3, 2)]),
    ("tensordot", lambda lib, a, b: lib.tensordot(a, b, 1), "plain", [(2, 3), (3, 2)]),
    ("cross", lambda lib, a, b: lib.linalg.cross(a, b), "plain", [(2, 3), (2, 3)]),
    ("kron", lambda lib, a, b: lib.kron(a, b), "plain", [(2, 2), (2, 1)]),
    ("inv", lambda lib, a: lib.linalg.inv(a), "square", [(3, 3)]),
    ("det", lambda lib, a: lib.linalg.det(a), "square", [(2, 3, 3)]),
    ("slogdet", lambda lib, a: lib.linalg.slogdet(a).logabsdet, "square", [(3, 3)]),
    ("solve", lambda lib, a, b: lib.linalg.solve(a, b), "square", [(3, 3), (3, 2)]),
    ("solve-vec", lambda lib, a, b: lib.linalg.solve(a, b), "square", [(2, 3, 3), (2, 3)]),
    (
        "cholesky",
        lambda lib, a: lib.linalg.cholesky(a @ a.mT + 3 * lib.eye(3, dtype=a.dtype)),
        "square",
        [(3, 3)],
    ),
]


@pytest.mark.parametrize("name,fn,kind,shapes", GRADGRAD, ids=[g[0] for g in GRADGRAD])
def test_gradgradcheck(name, fn, kind, shapes):
    rng = _rng("gg", name)
    arrays = [
        well_conditioned(shapes[0], "float64", rng)
        if kind == "square"
        else sample(shapes[0], "float64", rng)
    ]
    arrays += [sample(s, "float64", rng) for s in shapes[1:]]
    gradgradcheck(fn, *arrays)


# -- logdet, pinv, matrix_rank, lstsq -------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logdet(dtype):
    rng = _rng("logdet", dtype)
    pos = well_conditioned((2, 3, 3), dtype, rng)
    check(lambda lib, x: lib.logdet(x), pos)
    check(lambda lib, x: x.logdet(), np.stack([pos[0], -pos[1][[1, 0, 2]]]))  # a negative det: nan
    check(lambda lib, x: lib.logdet(x), np.zeros((2, 2), dtype))
    check_grad(lambda lib, x: lib.logdet(x), pos, tol=_loose(dtype))
    gradcheck(lambda lib, x: lib.logdet(x), pos.astype("float64"))


def values(fn, *arrays, tol=(1e-9, 1e-10)) -> None:
    """Compare ``fn``'s outputs (dtype, shape, strides, values within ``tol``) with torch's."""
    outs = []
    for lib in (ember, torch):
        out = fn(lib, *(lib.from_numpy(a.copy()) for a in arrays))
        outs.append(list(out) if isinstance(out, tuple) else [out])
    for ours, theirs in zip(*outs, strict=True):
        assert str(ours.dtype) == str(theirs.dtype).replace("torch", "ember")
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.stride() == theirs.stride()
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=tol[0], atol=tol[1])


PINV = [(3, 4), (4, 3), (3, 3), (2, 3, 4), (0, 3), (2, 0, 3)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", PINV, ids=str)
def test_pinv(shape, dtype):
    rng = _rng("pinv", shape, dtype)
    a = sample(shape, dtype, rng)
    tol = _loose(dtype)
    values(lambda lib, x: lib.linalg.pinv(x), a, tol=tol)
    values(lambda lib, x: x.pinverse(), a, tol=tol)
    if a.size:
        check_grad(lambda lib, x: lib.linalg.pinv(x), a, tol=_loose(dtype))
    if a.size and dtype == "float64" and len(shape) == 2:
        gradcheck(lambda lib, x: lib.linalg.pinv(x), a)


def test_pinv_rank_deficient_and_hermitian():
    rng = _rng("pinv-rank")
    u = sample((4, 2), "float64", rng)
    low_rank = u @ sample((2, 3), "float64", rng)
    values(lambda lib, x: lib.linalg.pinv(x), low_rank)
    values(lambda lib, x: lib.linalg.pinv(x, rtol=0.5), low_rank)
    values(lambda lib, x: lib.linalg.pinv(x, atol=1e-3), low_rank)
    sym = spd((3, 3), "float64", rng) - 2 * np.eye(3)
    values(lambda lib, x: lib.linalg.pinv(x, hermitian=True), sym)
    # torch differentiates as if A were general, ember through eigh (a symmetric gradient):
    # their symmetric parts agree, which is what a symmetrised input compares.
    check_grad(
        lambda lib, x: lib.linalg.pinv((x + x.mT) / 2, hermitian=True),
        spd((3, 3), "float64", rng),
        tol=_loose("float64"),
    )
    check(
        lambda lib, x: lib.linalg.pinv(x),
        sample((3, 3), "int64"),
        match="expected a tensor with 2 or more dimensions",
    )


def test_matrix_rank():
    rng = _rng("rank")
    full = sample((2, 3, 4), "float64", rng)
    low = sample((4, 2), "float32", rng) @ sample((2, 3), "float32", rng)
    check(lambda lib, x: lib.linalg.matrix_rank(x), full)
    check(lambda lib, x: lib.linalg.matrix_rank(x), low)
    check(lambda lib, x: lib.linalg.matrix_rank(x), np.zeros((3, 3)))
    check(lambda lib, x: lib.linalg.matrix_rank(x), np.zeros((2, 0, 3)))
    check(lambda lib, x: lib.linalg.matrix_rank(x, atol=1.0, rtol=0.0), np.diag([3.0, 2.0, 0.5]))
    check(lambda lib, x: lib.linalg.matrix_rank(x, rtol=0.5), np.diag([3.0, 2.0, 0.5]))
    check(lambda lib, x: lib.linalg.matrix_rank(x, hermitian=True), np.diag([3.0, -2.0, 0.0]))
    check(
        lambda lib, x: lib.linalg.matrix_rank(x),
        np.ones((3, 3), np.int64),
        match="This function doesn't handle types other than float and double",
    )


@pytest.mark.parametrize(
    "sa,sb", [((4, 3), (4, 2)), ((2, 5, 3), (2, 5, 2)), ((3, 3), (3, 1))], ids=str
)
def test_lstsq(sa, sb):
    rng = _rng("lstsq", sa, sb)
    a, b = sample(sa, "float64", rng), sample(sb, "float64", rng)
    ours = ember.linalg.lstsq(ember.tensor(a), ember.tensor(b))
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b))
    assert type(ours).__name__ == "linalg_lstsq"
    np.testing.assert_allclose(
        ours.solution.numpy(), theirs.solution.numpy(), rtol=1e-9, atol=1e-10
    )
    np.testing.assert_array_equal(ours.rank.numpy(), theirs.rank.numpy())
    assert ours.rank.dtype == ember.int64
    for field in ("residuals", "singular_values"):
        assert tuple(getattr(ours, field).shape) == tuple(getattr(theirs, field).shape)
    check_grad(lambda lib, x, y: lib.linalg.lstsq(x, y).solution, a, b, tol=_loose("float64"))
    check(
        lambda lib, x, y: lib.linalg.lstsq(x, y),
        a,
        sample((sa[-2] + 1, 2), "float64"),
        match="input.size(-2) should match other.size(-2)",
    )


def test_vector_norm_is_exported():
    a = sample((2, 3), "float64")
    check(lambda lib, x: lib.linalg.vector_norm(x, math.inf, dim=1), a)


def test_deprecated_cholesky_warns():
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated"):
        ember.cholesky(ember.eye(2, dtype=ember.float64))


def test_spectral_gradgradcheck():
    rng = _rng("gg-spectral")
    gradgradcheck(lambda lib, a: lib.linalg.svdvals(a), sample((3, 4), "float64", rng))
    gradgradcheck(lambda lib, a: lib.linalg.matrix_norm(a, "nuc"), sample((4, 3), "float64", rng))
    gradgradcheck(
        lambda lib, a: lib.linalg.eigvalsh(a @ a.mT), well_conditioned((3, 3), "float64", rng)
    )


EINSUM_LAYOUTS = [
    ("ij,jk->ik", [(2, 3), (3, 1)]),
    ("ij,kj->ik", [(2, 3), (1, 3)]),
    ("bij,bjk->bik", [(2, 1, 3), (2, 3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(3,), (3,)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_LAYOUTS, ids=[f"{e}-{s}" for e, s in EINSUM_LAYOUTS])
def test_einsum_forward_layout(eq, shapes):
    rng = _rng("einsum-layout", eq, shapes)
    check(lambda lib, *xs: lib.einsum(eq, *xs), *(sample(s, "float32", rng) for s in shapes))
