"""Ordering along a dim: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode,
unique, unique_consecutive.

Sorting is stable (ties keep their order, also when descending); NaN sorts as the largest
value, as in PyTorch.  Values-and-indices ops send their gradient back to the picked entries.
"""

from __future__ import annotations

from ember import _dtype, return_types
from ember._tensor import (
    Tensor,
    _empty_strided,
    _preserved_strides,
    _wrap,
    _wrap_dim,
    _wrap_dim_strict,
    contiguous_strides,
)
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops._util import _TYPE_NAMES
from ember.ops.reduce import (
    _ALL_DIMS,
    dense,
    evenly_distribute,
    scatter_back,
    slice_along,
)

_bool = _dtype.bool
_int64 = _dtype.int64
_np_int64 = _int64.np


def stable_argsort(a, dim: int, descending: bool, xp):
    """Indices that sort ``a`` along ``dim``, ties in their original order either way."""
    if not descending:
        return xp.argsort(a, axis=dim, kind="stable")
    # Sorting the reversed slice ascending and reading the result backwards keeps equal
    # entries in their original order.
    n = a.shape[dim]
    rev = xp.argsort(xp.flip(a, dim), axis=dim, kind="stable")
    return (n - 1) - xp.flip(rev, dim)


def _like_input(r, a, xp):
    """``r`` laid out as PyTorch lays out a sort's outputs: with the input's dim order."""
    if a.flags.c_contiguous and a.size and 1 not in a.shape:
        return dense(r, xp)
    item = a.itemsize
    strides = _preserved_strides(a.shape, tuple(s // item for s in a.strides))
    if strides == contiguous_strides(a.shape):
        return dense(r, xp)
    out = _empty_strided(xp, r.shape, strides, r.dtype)
    if r.size:
        out[...] = r
    return out


class _Picked(Primitive):
    """An op returning entries picked along ``ctx.dim`` and their indices (``ctx.index`` in
    kept-dim form); the gradient goes back to the picked entries."""

    save_inputs = False

    @staticmethod
    def backward(ctx, grad, _):
        return scatter_back(ctx, grad)


class Sort(_Picked):
    @staticmethod
    def forward(ctx, a, dim, descending):
        ctx.shape, ctx.dim, ctx.keepdim = a.shape, dim, True
        xp = array_module(a)
        if not a.ndim:
            ctx.index = xp.zeros((), _np_int64)
            return a.copy(), ctx.index
        ctx.index = index = stable_argsort(a, dim, descending, xp)
        values = xp.take_along_axis(a, index, dim)
        return _like_input(values, a, xp), _like_input(index, a, xp)


class Topk(_Picked):
    @staticmethod
    def forward(ctx, a, k, dim, largest):
        ctx.shape, ctx.dim, ctx.keepdim = a.shape, dim, True
        xp = array_module(a)
        if not a.ndim:
            ctx.index = xp.zeros((), _np_int64)
            return a.copy(), ctx.index
        n = a.shape[dim]
        if 0 < k and 4 * k < n:  # partition first, then sort only the k candidates
            part = xp.argpartition(a, n - k if largest else k - 1, axis=dim)
            cand = part[slice_along(dim, n - k, n) if largest else slice_along(dim, 0, k)]
            order = stable_argsort(xp.take_along_axis(a, cand, dim), dim, largest, xp)
            index = xp.take_along_axis(cand, order, dim)
        else:
            index = stable_argsort(a, dim, largest, xp)[slice_along(dim, 0, k)]
        ctx.index = index = dense(index, xp)
        return dense(xp.take_along_axis(a, index, dim), xp), index


class _MedianDim(_Picked):
    """``median(input, dim)`` (and kthvalue, nanmedian): the k-th smallest along ``dim``."""

    def name(self) -> str:
        return self.label

    @staticmethod
    def forward(ctx, a, dim, keepdim, k, label, ignore_nan=False):
        ctx.shape, ctx.dim, ctx.keepdim, ctx.label = a.shape, dim, keepdim, label
        xp = array_module(a)
        if not a.ndim:
            ctx.index = xp.zeros((), _np_int64)
            return a.copy(), ctx.index
        is_float = a.dtype.kind == "f" or a.dtype.kind == "V"
        nan = xp.isnan(a) if is_float else None
        if ignore_nan and nan is not None and nan.any():
            # The lower median of each slice's non-NaN entries (NaN sorts last).
            order = xp.argsort(a, axis=dim, kind="stable")
            count = (~nan).sum(axis=dim, keepdims=True)
            index = xp.take_along_axis(order, xp.maximum(count - 1, 0) // 2, dim)
        else:
            index = xp.take(xp.argpartition(a, k, axis=dim), [k], axis=dim)
            if not ignore_nan and nan is not None and nan.any():
                # A slice holding NaN has median NaN, at its first NaN, as in PyTorch.
                has_nan = nan.any(axis=dim, keepdims=True)
                index = xp.where(has_nan, xp.argmax(nan, axis=dim, keepdims=True), index)
        index = index.astype(_np_int64, copy=False)
        ctx.index = index
        values = xp.take_along_axis(a, index, dim)
        if not keepdim:
            values, index = values.squeeze(dim), index.squeeze(dim)
        return dense(values, xp), dense(index, xp)


class _MedianAll(Primitive):
    save_output = True

    def name(self) -> str:
        return self.label

    @staticmethod
    def forward(ctx, a, ignore_nan, label):
        ctx.label = label
        xp = array_module(a)
        flat = a.reshape(-1)
        if ignore_nan or a.dtype.kind in "fV":
            nan = xp.isnan(flat)
            if nan.any():
                if not ignore_nan:
                    return xp.asarray(xp.nan, a.dtype)
                flat = flat[~nan]
        n = flat.shape[0]
        if not n:
            return xp.asarray(xp.nan, a.dtype)
        k = (n - 1) // 2
        return xp.asarray(xp.partition(flat, k)[k])

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return evenly_distribute(grad, x, ctx.output(), _ALL_DIMS[x.ndim], False)


class Mode(_Picked):
    """``mode(input, dim)``: the most frequent value along ``dim`` (the smallest on ties) and
    the index of its last occurrence."""

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        ctx.shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        xp = array_module(a)
        if not a.ndim:
            ctx.index = xp.zeros((), _np_int64)
            return a.copy(), ctx.index
        # Sorted stably, equal values form runs in their original order; the first place
        # where a run reaches the longest length ends the smallest most frequent value's run,
        # and that entry is its last occurrence.  NaN != NaN, so each NaN is a run of one.
        n = a.shape[dim]
        order = xp.argsort(a, axis=dim, kind="stable")
        s = xp.take_along_axis(a, order, dim)
        pos = xp.arange(n, dtype=_np_int64).reshape([-1 if d == dim else 1 for d in range(a.ndim)])
        start = xp.ones(s.shape, dtype=bool)
        start[slice_along(dim, 1, n)] = s[slice_along(dim, 1, n)] != s[slice_along(dim, 0, n - 1)]
        run_start = xp.maximum.accumulate(xp.where(start, pos, 0), axis=dim)
        best = xp.argmax(pos - run_start, axis=dim, keepdims=True)
        ctx.index = index = xp.take_along_axis(order, best, dim).astype(_np_int64, copy=False)
        values = xp.take_along_axis(a, index, dim)
        if not keepdim:
            values, index = values.squeeze(dim), index.squeeze(dim)
        return dense(values, xp), dense(index, xp)


def _check_sortable(name: str, input: Tensor, allow_bool: bool = True) -> None:
    """PyTorch's errors for dtypes an ordering kernel lacks: complex everywhere (sort and
    topk raise RuntimeError, the selection kernels NotImplementedError), bool for some."""
    dt = input._dtype
    if dt.is_complex and name in ("Sort", "topk"):
        raise RuntimeError(f" {name} does not support complex dtypes on CPU")
    if dt.is_complex or (dt is _bool and not allow_bool):
        raise NotImplementedError(f"\"{name}\" not implemented for '{_TYPE_NAMES[dt]}'")


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """``(values, indices)`` sorted along ``dim`` (stable: equal values keep their order)."""
    _check_sortable("Sort", input)
    if isinstance(dim, bool):
        raise TypeError("sort(): argument 'dim' must be int, not bool")
    d = _wrap_dim(dim, input._data.ndim)
    return return_types.sort(*Sort.apply(input, dim=d, descending=descending))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim``."""
    return sort(input, dim, descending).indices


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dim."""
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """``(values, indices)`` of the ``k`` largest (or smallest) entries along ``dim``, in order."""
    _check_sortable("topk", input)
    if input._dtype is _bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    ndim = input._data.ndim
    d = _wrap_dim(dim, ndim)
    n = input._data.shape[d] if ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    return return_types.topk(*Topk.apply(input, k=k, dim=d, largest=largest))


def _kth_along(name, label, tuple_cls, input, dim, keepdim, k, ignore_nan=False, kernel=""):
    xd = input._data
    d = _wrap_dim(dim, xd.ndim)
    if xd.ndim and xd.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    _check_sortable(kernel, input, allow_bool=False)
    if k is None:
        k = (xd.shape[d] - 1) // 2 if xd.ndim else 0
    out = _MedianDim.apply(input, dim=d, keepdim=keepdim, k=k, label=label, ignore_nan=ignore_nan)
    return tuple_cls(*out)


# What PyTorch's median of an empty tensor gives: NaN, cast to the dtype as the CPU does
# (the most negative value for 32- and 64-bit integers, 0 for narrower ones, True for bool).
_EMPTY_MEDIAN = {_dtype.int64: -(2**63), _dtype.int32: -(2**31), _bool: True}
_INTEGRAL = frozenset((_bool, _dtype.uint8, _dtype.int8, _dtype.int16, _dtype.int32, _dtype.int64))


def _median_all(input: Tensor, ignore_nan: bool, label: str, kernel: str) -> Tensor:
    dt = input._dtype
    xd = input._data
    if not xd.size:
        xp = array_module(xd)
        fill = _EMPTY_MEDIAN.get(dt, 0) if dt in _INTEGRAL else xp.nan
        return _wrap(xp.asarray(fill, dt.np), dt, input._device)
    _check_sortable(kernel, input, allow_bool=False)
    return _MedianAll.apply(input, ignore_nan=ignore_nan, label=label)


def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median of all entries (0-dim; NaN if any is NaN), or ``(values, indices)``
    along ``dim``."""
    if dim is None:
        return _median_all(input, False, "MedianBackward0", "median_cpu")
    return _kth_along("median", "MedianBackward1", return_types.median, input, dim, keepdim,
                      None, kernel="median_out")  # fmt: skip


def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """:func:`median` ignoring NaN entries."""
    if dim is None:
        return _median_all(input, True, "NanmedianBackward0", "nanmedian_cpu")
    return _kth_along("median", "NanmedianBackward1", return_types.nanmedian, input, dim,
                      keepdim, None, ignore_nan=True, kernel="median_out")  # fmt: skip


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """``(values, indices)`` of the ``k``-th smallest entry (counting from 1) along ``dim``."""
    xd = input._data
    d = _wrap_dim(dim, xd.ndim)
    if xd.ndim and xd.shape[d] == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= (xd.shape[d] if xd.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _kth_along("kthvalue", "KthvalueBackward0", return_types.kthvalue, input, dim,
                      keepdim, k - 1, kernel="kthvalue_cpu")  # fmt: skip


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest of equally
    frequent ones) and the index of its last occurrence."""
    _check_sortable("mode_cpu", input)
    xd = input._data
    d = _wrap_dim(dim, xd.ndim)
    if xd.ndim and xd.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    return return_types.mode(*Mode.apply(input, dim=d, keepdim=keepdim))


def _unique_dim(xd, dim, name: str) -> int:
    """``dim`` checked for unique/unique_consecutive along a dim (PyTorch's errors)."""
    d = _wrap_dim_strict(dim, xd.ndim)
    if xd.shape[d] and 0 in xd.shape:
        raise RuntimeError(
            "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied"
        )
    return d


def _along_front(values, d: int, xp):
    """A unique-along-``d`` result laid out as PyTorch's: contiguous with ``d`` first, then
    moved back into place."""
    if not d:
        return dense(values, xp)
    return xp.moveaxis(xp.ascontiguousarray(xp.moveaxis(values, d, 0)), 0, d)


def _unique_result(input: Tensor, values, inverse, counts, return_inverse, return_counts):
    xp = array_module(values)
    dev = input._device
    out = _wrap(values, input._dtype, dev)
    if not (return_inverse or return_counts):
        return out
    result = [out]
    if return_inverse:
        result.append(_wrap(dense(inverse.astype(_np_int64, copy=False), xp), _int64, dev))
    if return_counts:
        result.append(_wrap(dense(counts.astype(_np_int64, copy=False), xp), _int64, dev))
    return tuple(result)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):  # fmt: skip
    """The distinct values of ``input`` in ascending order (slices along ``dim`` if given),
    with the inverse mapping and the counts when asked; each NaN counts as distinct.

    Example: ``ember.unique(ember.tensor([3, 1, 3]), return_counts=True)`` is
    ``(tensor([1, 3]), tensor([1, 2]))``.
    """
    if input._dtype.is_complex:
        raise NotImplementedError(f"\"unique\" not implemented for '{_TYPE_NAMES[input._dtype]}'")
    xd = input._data
    xp = array_module(xd)
    if dim is None:
        values, inverse, counts = xp.unique(
            xd.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False
        )
        values, inverse = dense(values, xp), inverse.reshape(xd.shape)
    else:
        d = _unique_dim(xd, dim, "unique")
        if not xd.shape[d]:
            empty = xp.zeros(0, _np_int64)
            values, inverse, counts = dense(xd.copy(), xp), empty, empty
        else:
            values, inverse, counts = xp.unique(
                xd, return_inverse=True, return_counts=True, axis=d, equal_nan=False
            )
            values, inverse = _along_front(values, d, xp), inverse.reshape(-1)
    return _unique_result(input, values, inverse, counts, return_inverse, return_counts)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim=None):  # fmt: skip
    """``input`` with each run of equal consecutive values (or slices along ``dim``) collapsed
    to one, with the inverse mapping and the run lengths when asked."""
    if input._dtype.is_complex:
        raise NotImplementedError(
            f"\"unique_consecutive\" not implemented for '{_TYPE_NAMES[input._dtype]}'"
        )
    xd = input._data
    xp = array_module(xd)
    if dim is None:
        rows, d = xd.reshape(-1, 1), None
    else:
        d = _unique_dim(xd, dim, "unique_consecutive")
        rows = xp.moveaxis(xd, d, 0).reshape(xd.shape[d], -1)
    n = rows.shape[0]
    starts = xp.ones(n, bool)
    if n:
        starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    first = xp.flatnonzero(starts)
    counts = xp.diff(xp.append(first, n))
    inverse = xp.cumsum(starts) - 1
    if d is None:
        values = dense(xd.reshape(-1)[first], xp)
        inverse = inverse.reshape(xd.shape)
    else:
        values = _along_front(xp.take(xd, first, axis=d), d, xp)
    return _unique_result(input, values, inverse, counts, return_inverse, return_counts)


Tensor.sort = sort
Tensor.argsort = argsort
Tensor.msort = msort
Tensor.topk = topk
Tensor.median = median
Tensor.nanmedian = nanmedian
Tensor.kthvalue = kthvalue
Tensor.mode = mode
Tensor.unique = unique
Tensor.unique_consecutive = unique_consecutive
