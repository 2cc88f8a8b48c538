"""Ordering along a dim: sort, argsort, msort, topk, kthvalue, median, nanmedian, unique.

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


def _check_sortable(name: str, input: Tensor, allow_bool: bool = True) -> None:
    dt = input._dtype
    if dt.is_complex or (dt is _bool and not allow_bool):
        raise NotImplementedError(f'"{name}" not implemented for \'{_TYPE_NAMES[dt]}\'')


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """``(values, indices)`` sorted along ``dim`` (stable: equal values keep their order)."""
    _check_sortable("sort", input)
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
    _check_sortable("topk_cpu", input)
    ndim = input._data.ndim
    d = _wrap_dim(dim, ndim)
    n = input._data.shape[d] if ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    return return_types.topk(*Topk.apply(input, k=k, dim=d, largest=largest))


def _kth_along(name, label, tuple_cls, input, dim, keepdim, k, ignore_nan=False):
    xd = input._data
    d = _wrap_dim(dim, xd.ndim)
    if xd.ndim and xd.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    if k is None:
        k = (xd.shape[d] - 1) // 2 if xd.ndim else 0
    out = _MedianDim.apply(
        input, dim=d, keepdim=keepdim, k=k, label=label, ignore_nan=ignore_nan
    )
    return tuple_cls(*out)


def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median of all entries (0-dim; NaN if any is NaN), or ``(values, indices)``
    along ``dim``."""
    _check_sortable("median_cpu", input, allow_bool=False)
    if dim is None:
        return _MedianAll.apply(input, ignore_nan=False, label="MedianBackward0")
    return _kth_along("median", "MedianBackward1", return_types.median, input, dim, keepdim, None)


def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """:func:`median` ignoring NaN entries."""
    _check_sortable("nanmedian_cpu", input, allow_bool=False)
    if dim is None:
        return _MedianAll.apply(input, ignore_nan=True, label="NanmedianBackward0")
    return _kth_along(
        "nanmedian", "NanmedianBackward1", return_types.nanmedian, input, dim, keepdim, None,
        ignore_nan=True,
    )


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """``(values, indices)`` of the ``k``-th smallest entry (counting from 1) along ``dim``."""
    _check_sortable("kthvalue_cpu", input, allow_bool=False)
    xd = input._data
    d = _wrap_dim(dim, xd.ndim)
    if xd.ndim and xd.shape[d] == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= (xd.shape[d] if xd.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _kth_along("kthvalue", "KthvalueBackward0", return_types.kthvalue, input, dim,
                      keepdim, k - 1)  # fmt: skip


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):  # fmt: skip
    """The distinct values of ``input`` in ascending order (slices along ``dim`` if given),
    with the inverse mapping and the counts when asked; each NaN counts as distinct."""
    xd = input._data
    xp = array_module(xd)
    if dim is None:
        found = xp.unique(xd.reshape(-1), return_inverse=True, return_counts=True,
                          equal_nan=False)  # fmt: skip
        values, inverse, counts = found
        inverse = inverse.reshape(xd.shape)
    else:
        d = _wrap_dim(dim, xd.ndim)
        values, inverse, counts = xp.unique(
            xd, return_inverse=True, return_counts=True, axis=d, equal_nan=False
        )
        inverse = inverse.reshape(-1)
    dev = input._device
    out = _wrap(dense(values, xp), input._dtype, dev)
    if not (return_inverse or return_counts):
        return out
    result = [out]
    if return_inverse:
        result.append(_wrap(dense(inverse.astype(_np_int64, copy=False), xp), _int64, dev))
    if return_counts:
        result.append(_wrap(dense(counts.astype(_np_int64, copy=False), xp), _int64, dev))
    return tuple(result)


Tensor.sort = sort
Tensor.argsort = argsort
Tensor.msort = msort
Tensor.topk = topk
Tensor.median = median
Tensor.nanmedian = nanmedian
Tensor.kthvalue = kthvalue
Tensor.unique = unique
