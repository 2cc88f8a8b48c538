"""Running reductions along one dim: cumsum, cumprod, cummax, cummin.

Integers and bools accumulate as int64 in cumsum and cumprod, half precision in float32,
as in PyTorch.  cummax/cummin return ``(values, indices)``; on ties the index is the latest
position holding the running extreme, as PyTorch's kernel keeps it.
"""

from __future__ import annotations

from ember import _dtype, return_types
from ember._tensor import Tensor, _wrap_dim
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops._util import _TYPE_NAMES, cast, write_inplace
from ember.ops.reduce import _HALF, const, dense, scatter_back

_int64 = _dtype.int64
_np_float32 = _dtype.float32.np
_np_int64 = _int64.np


def _scan(xp, fn, a, dim, dtype, reverse=False):
    """``fn`` (cumsum/cumprod) of ``a`` along ``dim`` in ``dtype`` (half accumulates in
    float32); ``reverse`` runs it from the end."""
    if not a.ndim:
        return a.astype(dtype.np)
    acc = _np_float32 if dtype in _HALF else dtype.np
    if reverse:
        a = xp.flip(a, dim)
    r = fn(a, axis=dim, dtype=acc)
    if reverse:
        r = xp.flip(r, dim)
    return dense(r.astype(dtype.np, copy=False), xp)


class Cumsum(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, dim, dtype, reverse=False):
        ctx.dim, ctx.reverse = dim, reverse
        xp = array_module(a)
        return _scan(xp, xp.cumsum, a, dim, dtype, reverse)

    @staticmethod
    def backward(ctx, grad):
        return Cumsum.apply(grad, dim=ctx.dim, dtype=grad._dtype, reverse=not ctx.reverse)


def _reverse_cumsum(t: Tensor, dim: int) -> Tensor:
    return Cumsum.apply(t, dim=dim, dtype=t._dtype, reverse=True)


class Cumprod(Primitive):
    save_output = True

    @staticmethod
    def forward(ctx, a, dim, dtype):
        ctx.dim = dim
        xp = array_module(a)
        return _scan(xp, xp.cumprod, a, dim, dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        y, dim = ctx.output(), ctx.dim
        if not x.ndim:
            return grad
        xd = x._data
        xp = array_module(xd)
        zero = xd == 0
        if not zero.any():
            return _reverse_cumsum(grad * y, dim) / x
        # Entry i's gradient is sum over k >= i of grad_k * prod_{j <= k, j != i} x_j.  Before
        # a slice's first zero that is the zero-free formula; at the first zero it is the
        # reverse cumsum of grad times the cumprod with that zero replaced by 1; after it, 0.
        seen = xp.cumsum(zero, axis=dim)
        before = seen == 0
        first = zero & (seen == 1)
        safe = x * const(before, x) + const(~before, x)
        out = _reverse_cumsum(grad * y, dim) / safe * const(before, x)
        patched = x * const(~first, x) + const(first, x)
        return out + _reverse_cumsum(grad * cumprod(patched, dim), dim) * const(first, x)


def _scan_args(input: Tensor, dim, dtype):
    d = _wrap_dim(dim, input._data.ndim)
    if dtype is None:
        dtype = input._dtype
        if not (dtype.is_floating_point or dtype.is_complex):
            dtype = _int64
    elif dtype is not input._dtype:
        input = cast(input, dtype)
    return input, d, dtype


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along ``dim``; integers and bools give int64."""
    input, d, dtype = _scan_args(input, dim, dtype)
    return Cumsum.apply(input, dim=d, dtype=dtype)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``; integers and bools give int64.  The gradient is exact
    where the input holds zeros."""
    input, d, dtype = _scan_args(input, dim, dtype)
    return Cumprod.apply(input, dim=d, dtype=dtype)


class _CumExtreme(Primitive):
    save_inputs = False
    _acc = "maximum"

    def name(self) -> str:
        return "Cum" + self._acc[:3] + "Backward0"

    @classmethod
    def forward(cls, ctx, a, dim):
        ctx.shape, ctx.dim, ctx.keepdim = a.shape, dim, True
        xp = array_module(a)
        if not a.ndim:
            ctx.index = xp.zeros((), _np_int64)
            return a.copy(), ctx.index
        values = getattr(xp, cls._acc).accumulate(a, axis=dim)
        # A position takes over the index when it holds the running extreme (NaN included).
        hit = a == values
        if a.dtype.kind in "fc":
            hit |= xp.isnan(a)
        pos = xp.arange(a.shape[dim], dtype=_np_int64).reshape(
            [-1 if d == dim else 1 for d in range(a.ndim)]
        )
        index = xp.maximum.accumulate(xp.where(hit, pos, 0), axis=dim)
        ctx.index = index
        return dense(values, xp), dense(index, xp)

    @staticmethod
    def backward(ctx, grad, _):
        return scatter_back(ctx, grad, accumulate=True)


class _CumMin(_CumExtreme):
    _acc = "minimum"


def _cum_extreme(cls, tuple_cls, input: Tensor, dim: int):
    if input._dtype.is_complex:
        raise NotImplementedError(
            f"\"{tuple_cls.__name__}_cpu\" not implemented for '{_TYPE_NAMES[input._dtype]}'"
        )
    d = _wrap_dim(dim, input._data.ndim)
    return tuple_cls(*cls.apply(input, dim=d))


def cummax(input: Tensor, dim: int):
    """``(values, indices)``: the running maximum along ``dim`` and where it was taken."""
    return _cum_extreme(_CumExtreme, return_types.cummax, input, dim)


def cummin(input: Tensor, dim: int):
    """``(values, indices)``: the running minimum along ``dim`` and where it was taken."""
    return _cum_extreme(_CumMin, return_types.cummin, input, dim)


Tensor.cumsum = cumsum
Tensor.cumprod = cumprod
Tensor.cummax = cummax
Tensor.cummin = cummin
Tensor.cumsum_ = lambda self, dim, *, dtype=None: write_inplace(
    self, cumsum(self, dim, dtype=dtype)
)
Tensor.cumprod_ = lambda self, dim, *, dtype=None: write_inplace(
    self, cumprod(self, dim, dtype=dtype)
)
