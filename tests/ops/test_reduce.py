"""Reductions, scans, sorting and softmax against torch.

Forward cases go through the shared oracle (values, dtype, shape, strides, errors) over
shapes (0-dim, empty, 1-D, 3-D), dims (None, int, negative, tuple), ``keepdim`` both ways,
every dtype and non-contiguous layouts.  Gradients are compared with torch's after a backward
seeded with a random ``grad_output``, and checked by finite differences in float64 on inputs
with distinct values (no ties at the kinks of max, median or sort).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ember
from tests._harness.oracle import TOLERANCES, Spec, check, np_dtype, sample, specs, to_numpy

LAYOUTS = ("contiguous", "transposed", "strided", "expanded")
DTYPES = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int8", "uint8", "bool")
INF = math.inf

# (shape, the dims to reduce it over)
DIMS = [
    ((), [None, 0, -1, (0,)]),
    ((0,), [None, 0]),
    ((5,), [None, 0, -1]),
    ((3, 4, 5), [None, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]),
    ((2, 0, 3), [None, 1, 0, (0, 2)]),
]
# (shape, the dims an op along one dim runs along)
DIM1 = [
    ((), [0, -1]),
    ((0,), [0]),
    ((6,), [0, -1]),
    ((3, 4, 5), [0, 1, -1]),
    ((2, 0, 3), [0, 1, 2]),
]


def distinct(shape, dtype: str, rng: np.random.Generator) -> np.ndarray:
    """Values of ``shape`` with no two equal (for ops whose result depends on ties)."""
    n = math.prod(shape)
    vals = rng.permutation(n)
    if dtype == "uint8":
        return vals.astype(np.uint8).reshape(shape)
    vals = vals - n // 2
    if dtype.startswith("int"):
        return vals.astype(dtype).reshape(shape)
    return ((vals + rng.uniform(0.1, 0.4, n)) / 4).astype(np_dtype(dtype)).reshape(shape)


def reduction_specs(name, fn, *, dtypes=DTYPES, keepdims=(False, True), int_dims=False,
                    table=DIMS, layouts=LAYOUTS, make=None, **kwargs):  # fmt: skip
    """Specs over the shape/dim table in float32, then over ``dtypes``.

    Layouts and ``keepdim`` cycle through the table rather than multiply it (every value is
    still met), so that the file stays fast.

    ``int_dims``: the op takes one int dim or None (no tuples, no keepdim without a dim).
    ``make(shape, dtype, rng)``: builds the input array (random normal values by default).
    """
    rng = np.random.default_rng(len(name))
    out = []

    def add(shape, dtype, layout, dim, keepdim):
        if int_dims and (isinstance(dim, tuple) or (dim is None and keepdim)):
            return
        if make is not None:
            x = make(shape, dtype, rng)
        elif dtype == "bool" and not shape:  # the oracle's sample() gives a NumPy scalar here
            x = np.asarray(sample(shape, dtype, rng))
        else:
            x = shape
        out.append(Spec(name, fn, (x,), dtype, layout, dict(kwargs, dim=dim, keepdim=keepdim)))

    i = 0
    for shape, dims in table:
        for dim in dims:
            add(
                shape, "float32", layouts[(i // 2) % len(layouts)], dim, keepdims[i % len(keepdims)]
            )
            i += 1
    big_dims = table[3][1]
    for j, dtype in enumerate(dtypes):
        add((3, 4, 5), dtype, "contiguous", None, keepdims[0])
        add((3, 4, 5), dtype, layouts[j % len(layouts)], big_dims[1], keepdims[j % len(keepdims)])
        if j % 3 == 0:
            add((2, 0, 3), dtype, "contiguous", table[4][1][1], keepdims[0])
            add((), dtype, "contiguous", None, keepdims[0])
    return out


def _all_dims(x):
    return tuple(range(x.ndim)) or 0


def _whole_or_dim(f):
    """``f(x)`` when no dim is given, else ``f(x, dim, keepdim)``."""
    return lambda lib, x, dim, keepdim, **kw: (
        f(lib)(x, **kw) if dim is None else f(lib)(x, dim, keepdim, **kw)
    )


OPS = {
    "sum": lambda lib, x, dim, keepdim: lib.sum(x, dim, keepdim),
    "sum_method": lambda lib, x, dim, keepdim: x.sum(dim, keepdim=keepdim),
    "nansum": lambda lib, x, dim, keepdim: lib.nansum(x, dim, keepdim),
    "mean": lambda lib, x, dim, keepdim: lib.mean(x, dim, keepdim),
    "nanmean": lambda lib, x, dim, keepdim: lib.nanmean(x, dim, keepdim),
    "amax": lambda lib, x, dim, keepdim: lib.amax(x, () if dim is None else dim, keepdim),
    "amin": lambda lib, x, dim, keepdim: x.amin(() if dim is None else dim, keepdim),
    "logsumexp": lambda lib, x, dim, keepdim: lib.logsumexp(
        x, _all_dims(x) if dim is None else dim, keepdim
    ),
    "all": lambda lib, x, dim, keepdim: lib.all(x, dim, keepdim),
    "any": lambda lib, x, dim, keepdim: x.any(dim, keepdim),
    "count_nonzero": lambda lib, x, dim, keepdim: lib.count_nonzero(x, dim),
    "argmax": lambda lib, x, dim, keepdim: lib.argmax(x, dim, keepdim),
    "argmin": lambda lib, x, dim, keepdim: x.argmin(dim, keepdim),
}
INT_DIM_OPS = {
    "prod": _whole_or_dim(lambda lib: lib.prod),
    "max": _whole_or_dim(lambda lib: lib.max),
    "min": _whole_or_dim(lambda lib: lib.min),
    "median": _whole_or_dim(lambda lib: lib.median),
    "nanmedian": _whole_or_dim(lambda lib: lib.nanmedian),
    "aminmax": lambda lib, x, dim, keepdim: lib.aminmax(x, dim=dim, keepdim=keepdim),
}
MOMENTS = {
    "std": lambda lib, x, dim, keepdim, **kw: lib.std(x, dim, keepdim=keepdim, **kw),
    "var": lambda lib, x, dim, keepdim, **kw: x.var(dim, keepdim=keepdim, **kw),
    "std_mean": lambda lib, x, dim, keepdim, **kw: lib.std_mean(x, dim, keepdim=keepdim, **kw),
    "var_mean": lambda lib, x, dim, keepdim, **kw: lib.var_mean(x, dim, keepdim=keepdim, **kw),
}


def _vector_norm(lib, x, dim, keepdim, ord):
    return lib.linalg.vector_norm(x, ord, dim, keepdim)


def _norm(lib, x, dim, keepdim, p):
    return x.norm(p, dim, keepdim)


ALONG = {
    "cumsum": lambda lib, x, dim: lib.cumsum(x, dim),
    "cumprod": lambda lib, x, dim: x.cumprod(dim),
    "cummax": lambda lib, x, dim: lib.cummax(x, dim),
    "cummin": lambda lib, x, dim: x.cummin(dim),
    "softmax": lambda lib, x, dim: lib.softmax(x, dim),
    "log_softmax": lambda lib, x, dim: x.log_softmax(dim),
}
ORDER = {
    "sort": lambda lib, x, dim: lib.sort(x, dim),
    "sort_desc": lambda lib, x, dim: x.sort(dim, descending=True),
    "argsort": lambda lib, x, dim: lib.argsort(x, dim, descending=True),
    "topk": lambda lib, x, dim: lib.topk(x, min(2, x.shape[dim] if x.ndim else 1), dim),
    "topk_small": lambda lib, x, dim: x.topk(1, dim, largest=False),
    "kthvalue": lambda lib, x, dim: lib.kthvalue(x, 1, dim, keepdim=True),
    "mode": lambda lib, x, dim: lib.mode(x, dim),
    "mode_keepdim": lambda lib, x, dim: x.mode(dim, keepdim=True),
}


FORWARD = []
for _name, _fn in OPS.items():
    FORWARD += reduction_specs(
        _name, _fn, keepdims=(False,) if _name == "count_nonzero" else (False, True)
    )
for _name, _fn in INT_DIM_OPS.items():
    if "median" in _name:  # ties make the index ambiguous: distinct values, no expanded layout
        FORWARD += reduction_specs(_name, _fn, int_dims=True, make=distinct, layouts=LAYOUTS[:3])
    else:
        FORWARD += reduction_specs(_name, _fn, int_dims=True)
for _name, _fn in MOMENTS.items():
    FORWARD += reduction_specs(_name, _fn)
    for _c in (0, 2, 0.5):
        FORWARD += specs(_name, _fn, [(3, 4, 5)], layouts=("transposed",), dim=(0, 2),
                         keepdim=True, correction=_c)  # fmt: skip
    FORWARD += specs(_name, _fn, [(3, 4)], dim=1, keepdim=False, unbiased=False)
    FORWARD += specs(_name, _fn, [(1, 4), (2, 3)], dim=None, keepdim=False, correction=4)
for _ord in (2, 1, INF, -INF, 0, 3, 0.5, -1.5):
    FORWARD += reduction_specs("vector_norm", _vector_norm, dtypes=("float64", "float16", "int64"),
                               layouts=("contiguous", "transposed"), ord=_ord)  # fmt: skip
for _p in ("fro", 2, 1, 3):
    FORWARD += specs("norm", _norm, [(3, 4, 5)], layouts=LAYOUTS, dim=(0, 2), keepdim=False, p=_p)
    FORWARD += specs("norm", _norm, [(3, 4)], dim=None, keepdim=True, p=_p)
for _name, _fn in ALONG.items():
    _make = distinct if _name in ("cummax", "cummin") else None
    FORWARD += reduction_specs(_name, _fn, table=DIM1, keepdims=(None,), int_dims=True, make=_make)
for _name, _fn in ORDER.items():
    FORWARD += reduction_specs(_name, _fn, table=DIM1, keepdims=(None,), int_dims=True,
                               make=distinct, layouts=("contiguous", "transposed", "strided"),
                               dtypes=[d for d in DTYPES if d != "bool"])  # fmt: skip


def _specs_without_keepdim(spec):
    if spec.kwargs.get("keepdim", 0) is None:
        spec.kwargs.pop("keepdim")
    return spec


FORWARD = [_specs_without_keepdim(s) for s in FORWARD]
FORWARD_BY_OP: dict[str, list] = {}
for _spec in FORWARD:
    FORWARD_BY_OP.setdefault(_spec.name, []).append(_spec)


@pytest.mark.parametrize("name", FORWARD_BY_OP)
def test_forward(name):
    """Values, dtype, shape, strides and errors of each op over its table of cases (the
    failing case names itself)."""
    for spec in FORWARD_BY_OP[name]:
        spec.check()


# -- dtype= and the output dtypes it gives ---------------------------------------------------

DTYPE_CASES = [
    ("int32", lambda lib, x: lib.sum(x, dtype=lib.float32)),
    ("float32", lambda lib, x: x.sum(1, dtype=lib.float64)),
    ("float32", lambda lib, x: lib.sum(x, dtype=lib.int32)),
    ("int8", lambda lib, x: x.sum(dtype=lib.int8)),
    ("float16", lambda lib, x: lib.nansum(x, dtype=lib.float32)),
    ("int64", lambda lib, x: lib.mean(x, 1, dtype=lib.float64)),
    ("float32", lambda lib, x: lib.mean(x, dtype=lib.int64)),
    ("int16", lambda lib, x: lib.prod(x, 0, dtype=lib.float64)),
    ("int32", lambda lib, x: x.prod(dtype=lib.int32)),
    ("int32", lambda lib, x: lib.cumsum(x, 1, dtype=lib.int32)),
    ("bool", lambda lib, x: lib.cumprod(x, 0)),
    ("float16", lambda lib, x: lib.cumsum(x, -1, dtype=lib.float32)),
    ("float32", lambda lib, x: lib.softmax(x, 1, dtype=lib.float64)),
    ("int64", lambda lib, x: lib.log_softmax(x, 0, dtype=lib.float32)),
    ("bfloat16", lambda lib, x: lib.log_softmax(x, 1)),
    ("float32", lambda lib, x: lib.linalg.vector_norm(x, 2, dtype=lib.float64)),
    ("int64", lambda lib, x: lib.logsumexp(x, 1)),
    ("int64", lambda lib, x: lib.nanmean(x, dtype=lib.float32)),
    ("float32", lambda lib, x: lib.nansum(x, 1, dtype=lib.float64)),
    ("complex64", lambda lib, x: lib.sum(x, 1)),
    ("complex64", lambda lib, x: lib.mean(x, (0, 2))),
    ("complex128", lambda lib, x: lib.var(x, 1)),
    ("complex64", lambda lib, x: lib.linalg.vector_norm(x, 2, 1)),
    ("complex64", lambda lib, x: lib.linalg.vector_norm(x, INF)),
    ("complex64", lambda lib, x: lib.cumsum(x, 1)),
    ("complex64", lambda lib, x: lib.max(x)),
    ("uint8", lambda lib, x: lib.all(x, 1)),
]


@pytest.mark.parametrize("dtype,fn", DTYPE_CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_dtype_argument(dtype, fn):
    check(fn, sample((3, 4, 5), dtype))


def test_half_accumulates_in_float32():
    """A long float16/bfloat16 sum keeps the precision of float32 accumulation, as torch."""
    for dtype in ("float16", "bfloat16"):
        x = np.ones(5000, np_dtype(dtype))
        for fn in (lambda lib, t: t.sum(), lambda lib, t: t.mean(), lambda lib, t: t.cumsum(0)):
            check(fn, x)


# -- NaN, infinities, ties ----------------------------------------------------------------------

NAN_ROWS = np.array(
    [[1.0, np.nan, 3.0, np.nan, 0.0], [2.0, -1.0, 5.0, 4.0, 0.5], [np.inf, 1.0, -np.inf, 2.0, 0.0]],
    np.float32,
)
NAN_CASES = {
    "max": lambda lib, x: lib.max(x, 1),
    "max_all": lambda lib, x: x.max(),
    "min": lambda lib, x: lib.min(x, 1, True),
    "amax": lambda lib, x: lib.amax(x, 1),
    "argmax": lambda lib, x: lib.argmax(x, 1),
    "argmin": lambda lib, x: lib.argmin(x),
    "median": lambda lib, x: lib.median(x, 1),
    "median_all": lambda lib, x: lib.median(x),
    "median_row": lambda lib, x: lib.median(x[1]),
    "nanmedian": lambda lib, x: lib.nanmedian(x, 1),
    "nanmedian_all": lambda lib, x: lib.nanmedian(x),
    "sort": lambda lib, x: lib.sort(x, 1),
    "sort_desc": lambda lib, x: lib.sort(x, 1, descending=True),
    "topk": lambda lib, x: lib.topk(x, 2, 1),
    "cummax": lambda lib, x: lib.cummax(x, 1),
    "cummin": lambda lib, x: lib.cummin(x, 1),
    "nansum": lambda lib, x: lib.nansum(x, 1),
    "nanmean": lambda lib, x: lib.nanmean(x, 1),
    "logsumexp": lambda lib, x: lib.logsumexp(x, 1),
    "logsumexp_inf": lambda lib, x: lib.logsumexp(x[2:], 1),
    "softmax_inf": lambda lib, x: lib.softmax(x[2:].clone().fill_(-INF), 1),
    "log_softmax_inf": lambda lib, x: lib.log_softmax(x[2:].clone().fill_(-INF), 1),
    "vector_norm_inf": lambda lib, x: lib.linalg.vector_norm(x[1:], INF, 1),
    "unique": lambda lib, x: lib.unique(x, return_counts=True),
}


@pytest.mark.parametrize("name", NAN_CASES)
def test_nan_and_inf(name):
    check(NAN_CASES[name], NAN_ROWS)


TIES = np.array([[3.0, 1, 3, 3, 2, 3, 1], [1, 1, 1, 1, 1, 1, 1], [0, 2, 2, 0, 2, 0, 1]], np.float32)
TIE_CASES = {
    "max": lambda lib, x: lib.max(x, 1),
    "min": lambda lib, x: x.min(1),
    "argmax": lambda lib, x: lib.argmax(x, 1),
    "argmin": lambda lib, x: lib.argmin(x),
    "cummax": lambda lib, x: lib.cummax(x, 1),
    "cummin": lambda lib, x: lib.cummin(x, 1),
    "stable_sort": lambda lib, x: lib.sort(x, dim=1, stable=True),
    "stable_sort_desc": lambda lib, x: lib.sort(x, stable=True, dim=1, descending=True),
    "stable_argsort": lambda lib, x: lib.argsort(x, dim=0, stable=True),
    "median_all": lambda lib, x: lib.median(x),
    "unique": lambda lib, x: lib.unique(x, return_inverse=True, return_counts=True),
    "unique_sorted_only": lambda lib, x: x.unique(),
    "unique_dim": lambda lib, x: lib.unique(x[:, :3].int(), dim=1, return_inverse=True),
    "unique_dim0": lambda lib, x: lib.unique(x, dim=0, return_counts=True),
}


@pytest.mark.parametrize("name", TIE_CASES)
def test_ties(name):
    check(TIE_CASES[name], TIES)


REPEATS = np.array([[1, 2, 2, 1, 3, 1, 2], [5, 5, 4, 4, 3, 3, 9], [0, 0, 0, 7, 7, 0, 0]])
REPEAT_CASES = {
    "mode": lambda lib, x: lib.mode(x, 1),
    "mode_dim0": lambda lib, x: x.T.mode(0, keepdim=True),
    "mode_float": lambda lib, x: x.double().mode(),
    "mode_bool": lambda lib, x: (x > 1).mode(0),
    "mode_all_nan": lambda lib, x: lib.mode(x.float() / 0 * 0, 1),
    "unique_consecutive": lambda lib, x: lib.unique_consecutive(x),
    "unique_consecutive_all": lambda lib, x: x.unique_consecutive(
        return_inverse=True, return_counts=True
    ),
    "unique_consecutive_dim": lambda lib, x: lib.unique_consecutive(
        x[:, [0, 0, 1, 1, 1, 2]], dim=1, return_inverse=True, return_counts=True
    ),
    "unique_consecutive_dim0": lambda lib, x: lib.unique_consecutive(
        x[[0, 0, 1, 0]], dim=0, return_counts=True
    ),
    "unique_consecutive_empty": lambda lib, x: lib.unique_consecutive(
        x[:0].float(), return_inverse=True, return_counts=True
    ),
    "unique_dim_empty": lambda lib, x: lib.unique(x[:, :0], dim=1, return_counts=True),
    "unique_scalar": lambda lib, x: lib.unique(x[0, 0], return_inverse=True),
}


@pytest.mark.parametrize("name", REPEAT_CASES)
def test_repeated_values(name):
    check(REPEAT_CASES[name], REPEATS)


def test_mode_grad():
    check_grad(lambda lib, x: lib.mode(x, 1), REPEATS.astype(np.float64))
    check_grad(
        lambda lib, x: x.mode(0, keepdim=True), REPEATS.astype(np.float32), layout="transposed"
    )


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool", "float16",
                                   "bfloat16", "float64", "complex64"])  # fmt: skip
def test_median_of_empty(dtype):
    """PyTorch gives NaN cast to the dtype (a CPU quirk) rather than raising."""
    x = np.zeros(0, np_dtype(dtype))
    check(lambda lib, t: (lib.median(t), lib.nanmedian(t)), x)


def test_unique_of_empty_and_bool():
    check(
        lambda lib, x: lib.unique(x, return_inverse=True, return_counts=True),
        np.zeros(0, np.float32),
    )
    check(
        lambda lib, x: lib.unique(x, return_inverse=True), np.array([[True, False], [True, True]])
    )
    check(lambda lib, x: lib.msort(x), distinct((4, 3), "float32", np.random.default_rng(1)))


# -- errors -------------------------------------------------------------------------------------

ERRORS = [
    ("sum", lambda lib, x: x.sum(3)),
    ("sum", lambda lib, x: x.sum((0, -3))),
    ("sum", lambda lib, x: x.sum(1.0)),
    ("mean", lambda lib, x: x.mean((1, 5))),
    ("mean_int", lambda lib, x: x.long().mean()),
    ("nanmean_int", lambda lib, x: x.int().nanmean()),
    ("std_int", lambda lib, x: x.long().std()),
    ("var_bool", lambda lib, x: x.bool().var(1)),
    ("var_both", lambda lib, x: x.var(unbiased=True, correction=0)),
    ("max", lambda lib, x: x.max(-4)),
    ("max_tuple", lambda lib, x: x.max((0, 1))),
    ("max_empty", lambda lib, x: x[:, :0].max()),
    ("max_empty_dim", lambda lib, x: x[:, :0].max(1)),
    ("max_empty_ok", lambda lib, x: x[:, :0].max(0)),
    ("min_complex", lambda lib, x: x.to(lib.complex64).min()),
    ("amax_empty", lambda lib, x: x[:0].amax()),
    ("amax_empty_dim", lambda lib, x: x[:0].amax(0)),
    ("amin_repeated", lambda lib, x: x.amin((1, 1))),
    ("argmax_empty", lambda lib, x: x[:0].argmax()),
    ("argmax_empty_dim", lambda lib, x: x[:, :0].argmax(1)),
    ("argmax_bool", lambda lib, x: (x > 0).argmax()),
    ("aminmax_empty", lambda lib, x: lib.aminmax(x[:0])),
    ("median_empty_dim", lambda lib, x: x[:, :0].median(1)),
    ("median_bool", lambda lib, x: (x > 0).median()),
    ("prod_tuple", lambda lib, x: x.prod((0, 1))),
    ("cumsum_dim", lambda lib, x: x.cumsum(2)),
    ("cummax_dim", lambda lib, x: x.cummax(-3)),
    ("softmax_int", lambda lib, x: x.long().softmax(0)),
    ("log_softmax_int", lambda lib, x: lib.log_softmax(x.int(), 0)),
    ("softmax_dim", lambda lib, x: x.softmax(2)),
    ("topk_k", lambda lib, x: x.topk(5)),
    ("topk_neg", lambda lib, x: x.topk(-1)),
    ("topk_dim", lambda lib, x: x.topk(1, 2)),
    ("kthvalue_k", lambda lib, x: x.kthvalue(0)),
    ("kthvalue_big", lambda lib, x: x.kthvalue(5, 1)),
    ("sort_dim", lambda lib, x: x.sort(-3)),
    ("sort_complex", lambda lib, x: x.to(lib.complex64).sort()),
    ("norm_int", lambda lib, x: x.long().norm()),
    ("vector_norm_inf_empty", lambda lib, x: lib.linalg.vector_norm(x[:0], INF)),
    ("vector_norm_ninf_empty", lambda lib, x: lib.linalg.vector_norm(x[:, :0], -INF, 1)),
    ("unique_dim", lambda lib, x: lib.unique(x, dim=2)),
    ("unique_dim_scalar", lambda lib, x: lib.unique(x[0, 0], dim=0)),
    ("unique_zero_size", lambda lib, x: lib.unique(x[:0], dim=1)),
    ("unique_complex", lambda lib, x: lib.unique(x.to(lib.complex64))),
    ("unique_consecutive_complex", lambda lib, x: lib.unique_consecutive(x.to(lib.complex64))),
    ("mode_empty", lambda lib, x: x[:, :0].mode(1)),
    ("mode_complex", lambda lib, x: x.to(lib.complex64).mode()),
    ("max_complex_dim", lambda lib, x: x.to(lib.complex64).max(0)),
    ("amax_complex", lambda lib, x: x.to(lib.complex64).amax()),
    ("aminmax_complex", lambda lib, x: lib.aminmax(x.to(lib.complex64))),
    ("argmin_complex", lambda lib, x: x.to(lib.complex64).argmin()),
    ("cummin_complex", lambda lib, x: x.to(lib.complex64).cummin(0)),
    ("topk_bool", lambda lib, x: (x > 0).topk(1)),
    ("topk_complex", lambda lib, x: x.to(lib.complex64).topk(1)),
    ("median_complex", lambda lib, x: x.to(lib.complex64).median(0)),
    ("kthvalue_bool", lambda lib, x: (x > 0).kthvalue(1)),
    ("sum_bool_dim", lambda lib, x: x.sum(True)),
    ("prod_bool_dim", lambda lib, x: x.prod(True)),
    ("max_float_dim", lambda lib, x: x.max(1.0)),
    ("softmax_complex", lambda lib, x: x.to(lib.complex64).softmax(0)),
    ("log_softmax_int_lastdim", lambda lib, x: x.long().log_softmax(-1)),
    ("softmax_int_scalar", lambda lib, x: x[0, 0].long().softmax(0)),
    ("nanmean_int_dtype", lambda lib, x: x.long().nanmean(dtype=lib.float32)),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[n for n, _ in ERRORS])
def test_errors(name, fn):
    check(fn, sample((3, 4), "float32"))


def test_return_types():
    x = ember.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    r = ember.max(x, 1)
    assert isinstance(r, tuple) and type(r) is ember.return_types.max
    values, indices = r
    assert r.values is values and r.indices is indices and r[1] is indices
    assert indices.tolist() == [1, 0]
    assert repr(r).startswith("ember.return_types.max(\nvalues=tensor(")
    assert ember.sort(x).values.tolist() == [[1.0, 2.0, 5.0], [0.0, 3.0, 7.0]]
    assert ember.topk(x, 1).indices.tolist() == [[1], [0]]
    assert ember.aminmax(x).min.item() == 0.0
    assert x.max(dim=0, keepdim=True).values.shape == (1, 3)


def test_max_with_tensor_is_maximum():
    check(lambda lib, a, b: (lib.max(a, b), lib.min(a, b)), sample((3, 4)), sample((4,)))


# -- gradients --------------------------------------------------------------------------------


def _leaf(lib, arr: np.ndarray, layout: str):
    """A leaf requiring grad holding ``arr``, laid out per ``layout`` (its own memory)."""
    if layout == "transposed" and arr.ndim > 1:
        view = np.ascontiguousarray(arr.T).T
    elif layout == "strided" and arr.ndim:
        big = np.zeros([2 * s for s in arr.shape], arr.dtype)
        index = (slice(None, None, 2),) * arr.ndim
        big[index] = arr
        view = big[index]
    else:
        view = arr.copy()
    return lib.from_numpy(view).requires_grad_()


def _differentiable_outputs(out):
    outs = out if isinstance(out, tuple | list) else (out,)
    return [o for o in outs if o.requires_grad]


def check_grad(fn, *arrays, layout="contiguous", seed=0):
    """Run ``fn(lib, *leaves)`` in both libraries, backward with the same random grad_outputs,
    and compare every leaf's ``.grad`` (dtype, shape, values)."""
    rng = np.random.default_rng(seed)
    grads, seeds = {}, None
    for lib in (ember, torch):
        leaves = [_leaf(lib, a, layout) for a in arrays]
        outs = _differentiable_outputs(fn(lib, *leaves))
        assert outs, "the op gave no differentiable output"
        if seeds is None:
            seeds = [sample(tuple(o.shape), str(o.dtype).split(".")[1], rng) for o in outs]
        lib.autograd.backward(outs, [lib.from_numpy(s.copy()) for s in seeds])
        grads[lib] = [leaf.grad for leaf in leaves]
    for ours, theirs in zip(grads[ember], grads[torch], strict=True):
        if theirs is None:
            assert ours is None
            continue
        assert ours is not None, "ember gave no gradient where torch did"
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "ember.")
        assert tuple(ours.shape) == tuple(theirs.shape)
        rtol, atol = TOLERANCES[str(theirs.dtype).split(".")[1]]
        np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), rtol=rtol * 10, atol=atol * 10)


GRAD_OPS = {
    "sum": (lambda lib, x, d, k: x.sum(d, k), False),
    "nansum": (lambda lib, x, d, k: lib.nansum(x, d, k), False),
    "mean": (lambda lib, x, d, k: x.mean(d, k), False),
    "nanmean": (lambda lib, x, d, k: lib.nanmean(x, d, k), False),
    "amax": (lambda lib, x, d, k: lib.amax(x, () if d is None else d, k), True),
    "amin": (lambda lib, x, d, k: x.amin(() if d is None else d, k), True),
    "logsumexp": (
        lambda lib, x, d, k: lib.logsumexp(x, _all_dims(x) if d is None else d, k),
        False,
    ),
    "std": (lambda lib, x, d, k: x.std(d, keepdim=k), False),
    "var": (lambda lib, x, d, k: lib.var(x, d, keepdim=k, correction=0), False),
    "std_mean": (lambda lib, x, d, k: lib.std_mean(x, d, keepdim=k), False),
    "var_mean": (lambda lib, x, d, k: lib.var_mean(x, d, keepdim=k, correction=2), False),
    "norm2": (lambda lib, x, d, k: lib.linalg.vector_norm(x, 2, d, k), False),
    "norm1": (lambda lib, x, d, k: lib.linalg.vector_norm(x, 1, d, k), False),
    "norm_inf": (lambda lib, x, d, k: lib.linalg.vector_norm(x, INF, d, k), True),
    "norm_ninf": (lambda lib, x, d, k: lib.linalg.vector_norm(x, -INF, d, k), True),
    "norm0": (lambda lib, x, d, k: lib.linalg.vector_norm(x, 0, d, k), False),
    "norm3": (lambda lib, x, d, k: x.norm(3, d, k), False),
    "norm_half": (lambda lib, x, d, k: lib.linalg.vector_norm(x, 0.5, d, k), False),
    "norm_neg": (lambda lib, x, d, k: lib.linalg.vector_norm(x, -1.5, d, k), False),
}
INT_GRAD_OPS = {
    "prod": (_whole_or_dim(lambda lib: lib.prod), False),
    "max": (_whole_or_dim(lambda lib: lib.max), True),
    "min": (_whole_or_dim(lambda lib: lib.min), True),
    "median": (_whole_or_dim(lambda lib: lib.median), True),
    "nanmedian": (_whole_or_dim(lambda lib: lib.nanmedian), True),
    "kthvalue": (
        lambda lib, x, d, k: x.kthvalue(2 if x.ndim and x.shape[d or 0] > 1 else 1, d or 0, k),
        True,
    ),  # fmt: skip
}
ALONG_GRAD = {
    "cumsum": (lambda lib, x, d: x.cumsum(d), False),
    "cumprod": (lambda lib, x, d: lib.cumprod(x, d), False),
    "cummax": (lambda lib, x, d: lib.cummax(x, d), True),
    "cummin": (lambda lib, x, d: x.cummin(d), True),
    "softmax": (lambda lib, x, d: x.softmax(d), False),
    "log_softmax": (lambda lib, x, d: lib.log_softmax(x, d), False),
    "sort": (lambda lib, x, d: lib.sort(x, d, descending=True), True),
    "topk": (lambda lib, x, d: x.topk(min(3, x.shape[d] if x.ndim else 1), d), True),
    "topk_small": (
        lambda lib, x, d: x.topk(1 if x.ndim and x.shape[d] else 0, d, largest=False),
        True,
    ),
}

GRAD_DIMS = [((), None), ((), 0), ((6,), None), ((6,), -1), ((3, 4, 5), 1), ((3, 4, 5), None),
             ((3, 4, 5), (0, 2)), ((3, 4, 5), -1), ((2, 0, 3), 0)]  # fmt: skip
GRAD_DIM1 = [((), 0), ((6,), 0), ((3, 4, 5), 1), ((3, 4, 5), -1), ((3, 4, 5), 0), ((2, 0, 3), 2)]


def _grad_cases():
    cases = []
    for name, (fn, picks) in GRAD_OPS.items():
        for shape, dim in GRAD_DIMS:
            if name.startswith("norm_") and "inf" in name and 0 in shape and dim is None:
                continue
            for keepdim in (False, True):
                cases.append((name, lambda lib, x, fn=fn, d=dim, k=keepdim: fn(lib, x, d, k),
                              shape, dim, keepdim, picks))  # fmt: skip
    for name, (fn, picks) in INT_GRAD_OPS.items():
        for shape, dim in GRAD_DIMS:
            if isinstance(dim, tuple) or (0 in shape and dim is None and name != "prod"):
                continue
            if 0 in shape and name == "kthvalue":
                continue
            for keepdim in (False, True) if dim is not None else (False,):
                cases.append((name, lambda lib, x, fn=fn, d=dim, k=keepdim: fn(lib, x, d, k),
                              shape, dim, keepdim, picks))  # fmt: skip
    for name, (fn, picks) in ALONG_GRAD.items():
        for shape, dim in GRAD_DIM1:
            cases.append(
                (name, lambda lib, x, fn=fn, d=dim: fn(lib, x, d), shape, dim, None, picks)
            )
    return cases


GRAD_CASES = _grad_cases()


def _grad_id(case):
    name, _, shape, dim, keepdim, _ = case
    return f"{name}-{'x'.join(map(str, shape)) or 'scalar'}-dim={dim}-keepdim={keepdim}"


GRAD_BY_OP: dict[str, list] = {}
for _case in GRAD_CASES:
    GRAD_BY_OP.setdefault(_case[0], []).append(_case)
GRAD_LAYOUTS = ("contiguous", "transposed", "strided")


@pytest.mark.parametrize("name", GRAD_BY_OP)
def test_grad_matches_torch(name):
    """Each op's input gradient against torch's over its shapes and dims, the layout cycling
    through contiguous, transposed and strided (strided ones in float64)."""
    for i, case in enumerate(GRAD_BY_OP[name]):
        _, fn, shape, _, _, picks = case
        layout = GRAD_LAYOUTS[i % 3]
        rng = np.random.default_rng(len(name) + len(shape))
        dtype = "float64" if layout == "strided" else "float32"
        x = distinct(shape, dtype, rng) if picks else sample(shape, dtype, rng)
        try:
            check_grad(fn, x, layout=layout)
        except AssertionError as exc:
            raise AssertionError(f"{_grad_id(case)} {layout}: {exc}") from exc


GRADCHECK_CASES = {}
for _case in GRAD_CASES:
    if _case[2] == (3, 4, 5) and _case[3] not in (None, -1):
        GRADCHECK_CASES.setdefault(_case[0], _case)


@pytest.mark.parametrize("name", GRADCHECK_CASES)
def test_gradcheck_float64(name):
    """Finite differences in float64, on distinct values well apart from one another."""
    _, fn, shape, _, _, _ = GRADCHECK_CASES[name]
    rng = np.random.default_rng(7)
    x = ember.from_numpy(distinct(shape, "float64", rng)).requires_grad_()
    assert ember.autograd.gradcheck(lambda t: fn(ember, t), (x,), eps=1e-6, atol=1e-5)


def test_grad_half():
    x = sample((3, 4, 5), "float16")
    check_grad(lambda lib, t: t.sum(1), x)
    check_grad(lambda lib, t: lib.softmax(t, -1), x)
    check_grad(lambda lib, t: t.mean((0, 2)), x)


ZEROS = np.array([[0.0, 2.0, 3.0, -1.5], [1.5, 0.0, 0.0, 2.0], [0.5, -2.0, 1.0, 3.0]], np.float64)
ZERO_CASES = {
    "prod_dim": lambda lib, x: x.prod(1),
    "prod_dim0": lambda lib, x: lib.prod(x, 0, keepdim=True),
    "prod_all": lambda lib, x: x.prod(),
    "prod_all_one_zero": lambda lib, x: x[0].prod(),
    "cumprod": lambda lib, x: x.cumprod(1),
    "cumprod0": lambda lib, x: lib.cumprod(x, 0),
    "std_constant": lambda lib, x: (x * 0).std(1),
    "norm_zero": lambda lib, x: lib.linalg.vector_norm(x * 0, 2, 1),
    "norm1_zero": lambda lib, x: lib.linalg.vector_norm(x, 1, 1),
    "norm3_zero": lambda lib, x: lib.linalg.vector_norm(x, 3, 1),
}


@pytest.mark.parametrize("name", ZERO_CASES)
def test_grad_with_zeros(name):
    """Products and norms whose inputs hold zeros (one or several in a slice)."""
    check_grad(ZERO_CASES[name], ZEROS)
    if name.startswith(("prod", "cumprod")):
        x = ember.from_numpy(ZEROS.copy()).requires_grad_()
        assert ember.autograd.gradcheck(lambda t: ZERO_CASES[name](ember, t), (x,))


def test_grad_ties_split_evenly():
    """amax/amin and whole-tensor max/min/median share the gradient among ties; max with dim
    gives it to the first maximum."""
    for fn in (
        lambda lib, x: lib.amax(x, 1),
        lambda lib, x: x.amin(),
        lambda lib, x: x.max(),
        lambda lib, x: lib.min(x),
        lambda lib, x: lib.median(x),
        lambda lib, x: lib.max(x, 1),
        lambda lib, x: lib.linalg.vector_norm(x - 2, INF, 1),
        lambda lib, x: lib.cummax(x, 1),
    ):
        check_grad(fn, TIES.astype(np.float64))


def _views_differentiable() -> bool:
    x = ember.zeros(2, 1, requires_grad=True)
    return x.expand(2, 2).requires_grad


@pytest.mark.skipif(not _views_differentiable(), reason="views are not differentiable yet")
@pytest.mark.parametrize(
    "name",
    [
        "sum",
        "mean",
        "logsumexp",
        "std",
        "var",
        "norm2",
        "norm3",
        "prod",
        "softmax",
        "log_softmax",
        "cumsum",
        "cumprod",
        "max",
        "sort",
    ],  # fmt: skip
)
def test_gradgradcheck(name):
    """Second derivatives by finite differences of the backward (``create_graph=True``)."""
    fns = {**{k: v[0] for k, v in GRAD_OPS.items()}, **{k: v[0] for k, v in INT_GRAD_OPS.items()}}
    rng = np.random.default_rng(3)
    x = ember.from_numpy(distinct((3, 4), "float64", rng)).requires_grad_()
    if name in ALONG_GRAD:
        f = ALONG_GRAD[name][0]
        fn = lambda t: f(ember, t, 1)  # noqa: E731
    else:
        fn = lambda t: fns[name](ember, t, 1, False)  # noqa: E731
    assert ember.autograd.gradgradcheck(fn, (x,))
