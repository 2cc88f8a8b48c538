"""Reductions: sums, means, products and extrema over ``dim``, and the logical reductions.

Every reduction takes ``dim`` as None (all dims), an int or a tuple of ints, and ``keepdim``;
its backward broadcasts the gradient back over the reduced dims with :func:`restore_dims`.
Half-precision inputs accumulate in float32 and are cast back, as in PyTorch.  Ops that pick
elements (``max`` with ``dim``, ``sort``, ``topk``...) send the gradient to the picked places
with ``Scatter``.  The other reduction families build on these helpers: ``moments`` (var,
std, norms), ``softmax`` (logsumexp, softmax), ``scan`` (cumsum...) and ``sort``.
"""

from __future__ import annotations

import builtins
import math

from ember import _dtype, return_types
from ember._tensor import Tensor, _empty_strided, _wrap, _wrap_dim, contiguous_strides
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops._util import _TYPE_NAMES, cast, normalize_dims

_bool = _dtype.bool
_uint8 = _dtype.uint8
_int64 = _dtype.int64
_HALF = frozenset((_dtype.float16, _dtype.bfloat16))
_HALF_NP = frozenset(d.np for d in _HALF)
_np_float32 = _dtype.float32.np
_np_int64 = _int64.np
_ALL_DIMS = [tuple(range(n)) for n in range(65)]


# -- shared helpers ---------------------------------------------------------------------------


def _is_int(d) -> bool:
    return type(d) is int or (isinstance(d, int) and not isinstance(d, bool))


def reduction_dims(dim, ndim: int) -> tuple[int, ...]:
    """``dim`` as the sorted tuple of dims to reduce.

    None and an empty sequence mean every dim (PyTorch's rule); a 0-dim tensor accepts dim 0
    or -1 and has nothing to reduce.  A bad dim raises IndexError, a repeated one RuntimeError.
    """
    if dim is None:
        return _ALL_DIMS[ndim]
    if type(dim) is int:
        d = _wrap_dim(dim, ndim)
        return (d,) if ndim else ()
    if not isinstance(dim, tuple | list) or not builtins.all(_is_int(d) for d in dim):
        raise TypeError(f"argument 'dim' must be tuple of ints, not {type(dim).__name__}")
    dims = normalize_dims(dim, ndim)
    if not dims or not ndim:
        return _ALL_DIMS[ndim]
    return dims


def kept_shape(shape, dims) -> tuple[int, ...]:
    """``shape`` with the reduced ``dims`` kept as size 1 (the ``keepdim=True`` result shape)."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def restore_dims(grad: Tensor, shape, dims, keepdim: bool) -> Tensor:
    """A reduction's gradient broadcast back over the reduced ``dims`` to the input ``shape``."""
    if not keepdim and dims:
        grad = grad.reshape(kept_shape(shape, dims))
    return grad.expand(shape)


def dense(r, xp):
    """A fresh result laid out as PyTorch lays out new tensors: C-contiguous, with row-major
    strides even on size-1 and size-0 dims.

    NumPy returns scalars from whole reductions, keeps the input's dim order in reduction
    results and gives size-1 dims of a contiguous result arbitrary strides.
    """
    if not isinstance(r, xp.ndarray):
        return xp.asarray(r)
    shape = r.shape
    if r.flags.c_contiguous and r.size and 1 not in shape:
        return r
    item = r.itemsize
    want = tuple(s * item for s in contiguous_strides(shape))
    if r.strides == want:
        return r
    if not r.size:
        return _empty_strided(xp, shape, contiguous_strides(shape), r.dtype)
    if r.flags.c_contiguous:
        return xp.lib.stride_tricks.as_strided(r, shape, want)
    return xp.ascontiguousarray(r)


def const(arr, like: Tensor) -> Tensor:
    """A constant (no-grad) tensor of ``like``'s dtype and device holding ``arr``."""
    dt = like._dtype
    if arr.dtype != dt.np:
        arr = arr.astype(dt.np)
    return _wrap(arr, dt, like._device)


def reduced_numel(shape, dims) -> int:
    return math.prod(shape[d] for d in dims)


def slice_along(dim: int, start: int, stop: int) -> tuple:
    """An index picking ``start:stop`` along ``dim``."""
    return (slice(None),) * dim + (slice(start, stop),)


def _full_index(xp, index, dim: int) -> tuple:
    """Index arrays addressing, for each entry of ``index``, its place with ``dim`` replaced."""
    out = []
    for d, n in enumerate(index.shape):
        if d == dim:
            out.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            out.append(xp.arange(n).reshape(shape))
    return tuple(out)


class Scatter(Primitive):
    """Zeros of ``shape`` with ``src`` written (or, with ``accumulate``, added) at ``index``
    along ``dim``: the backward of every op that picks elements along a dim."""

    save_inputs = False

    @staticmethod
    def forward(ctx, src, index, dim, shape, accumulate):
        ctx.index, ctx.dim = index, dim
        xp = array_module(src)
        out = xp.zeros(shape, src.dtype)
        if accumulate:
            xp.add.at(out, _full_index(xp, index, dim), src)
        else:
            xp.put_along_axis(out, index, src, dim)
        return out

    @staticmethod
    def backward(ctx, grad):
        return Gather.apply(grad, index=ctx.index, dim=ctx.dim)


class Gather(Primitive):
    """The entries of ``a`` at ``index`` along ``dim`` (``take_along_axis``)."""

    save_inputs = False

    @staticmethod
    def forward(ctx, a, index, dim):
        ctx.index, ctx.dim, ctx.shape = index, dim, a.shape
        return array_module(a).take_along_axis(a, index, dim)

    @staticmethod
    def backward(ctx, grad):
        return Scatter.apply(grad, index=ctx.index, dim=ctx.dim, shape=ctx.shape, accumulate=True)


def scatter_back(ctx, grad: Tensor, accumulate: bool = False) -> Tensor:
    """The gradient of an op that picked ``ctx.index`` (kept-dim form) along ``ctx.dim`` of an
    input of ``ctx.shape``; ``ctx.keepdim`` says whether ``grad`` still has that dim."""
    if not ctx.shape:
        return grad
    if not ctx.keepdim:
        grad = grad.reshape(ctx.index.shape)
    return Scatter.apply(grad, index=ctx.index, dim=ctx.dim, shape=ctx.shape, accumulate=accumulate)


def evenly_distribute(grad: Tensor, x: Tensor, value: Tensor, dims, keepdim: bool) -> Tensor:
    """The gradient of a reduction that selects a value (max, amin, median...): split evenly
    among the entries of ``x`` equal to it, as PyTorch does for ties."""
    xd, vd = x._data, value._data
    if not keepdim and dims:
        vd = vd.reshape(kept_shape(xd.shape, dims))
    xp = array_module(xd)
    mask = xd == vd
    if x._dtype.is_floating_point and xp.isnan(vd).any():
        mask |= xp.isnan(xd) & xp.isnan(vd)
    count = mask.sum(axis=dims, keepdims=True)
    with xp.errstate(invalid="ignore", divide="ignore"):
        weight = mask.astype(x._dtype.np) / count.astype(x._dtype.np)
    return restore_dims(grad, xd.shape, dims, keepdim) * const(weight, x)


def _type_name(dt) -> str:
    return _TYPE_NAMES[dt]


def _check_nonempty(name: str, shape, dims, whole: bool) -> None:
    """PyTorch's errors for max-like reductions with nothing to pick from."""
    if whole and 0 in shape:
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument."
        )
    for d in dims:
        if shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


# -- sums, means, products ------------------------------------------------------------------


class Sum(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        if dtype in _HALF:
            r = a.sum(axis=dims, keepdims=keepdim, dtype=_np_float32).astype(dtype.np)
        else:
            r = a.sum(axis=dims, keepdims=keepdim, dtype=dtype.np)
        return dense(r, array_module(a))

    @staticmethod
    def backward(ctx, grad):
        return restore_dims(grad, ctx.shape, ctx.dims, ctx.keepdim)


class Nansum(Primitive):
    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        ctx.dims, ctx.keepdim = dims, keepdim
        xp = array_module(a)
        acc = _np_float32 if dtype in _HALF else dtype.np
        r = xp.nansum(a, axis=dims, keepdims=keepdim, dtype=acc)
        return dense(r.astype(dtype.np, copy=False), xp)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        keep = ~array_module(x._data).isnan(x._data)
        return restore_dims(grad, x.shape, ctx.dims, ctx.keepdim) * const(keep, x)


class Mean(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        ctx.n = n = reduced_numel(a.shape, dims)
        xp = array_module(a)
        half = a.dtype in _HALF_NP
        s = a.sum(axis=dims, keepdims=keepdim, dtype=_np_float32 if half else None)
        with xp.errstate(invalid="ignore", divide="ignore"):
            r = s / n
        return dense(r.astype(a.dtype) if half else r, xp)

    @staticmethod
    def backward(ctx, grad):
        return restore_dims(grad, ctx.shape, ctx.dims, ctx.keepdim) / ctx.n


class Prod(Primitive):
    save_output = True

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        ctx.dims, ctx.keepdim = dims, keepdim
        if dtype in _HALF:
            r = a.prod(axis=dims, keepdims=keepdim, dtype=_np_float32).astype(dtype.np)
        else:
            r = a.prod(axis=dims, keepdims=keepdim, dtype=dtype.np)
        return dense(r, array_module(a))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        dims, keepdim, shape = ctx.dims, ctx.keepdim, x.shape
        g = restore_dims(grad, shape, dims, keepdim)
        y = restore_dims(ctx.output(), shape, dims, keepdim)
        xd = x._data
        zero = xd == 0
        if not zero.any():
            return g * (y / x)
        # With zeros, the product of the *other* entries is what each entry's gradient needs:
        # zero where its slice holds another zero, the product of the rest at a lone zero.
        safe = x * const(~zero, x) + const(zero, x)
        out = g * (y / safe)
        lone = zero & (zero.sum(axis=dims, keepdims=True) == 1)
        if lone.any():
            patched = x * const(~lone, x) + const(lone, x)
            others = Prod.apply(patched, dims=dims, keepdim=True, dtype=x._dtype)
            out = out + g * others * const(lone, x)
        return out


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` (all dims by default); integers and bools sum as int64.

    ``dtype`` casts the input before summing.  Example: ``ember.ones(2, 3).sum(1)`` is
    ``tensor([3., 3.])``.
    """
    dims = reduction_dims(dim, input._data.ndim)
    if dtype is None:
        dtype = input._dtype
        if not (dtype.is_floating_point or dtype.is_complex):
            dtype = _int64
    elif dtype is not input._dtype:
        input = cast(input, dtype)
    return Sum.apply(input, dims=dims, keepdim=keepdim, dtype=dtype)


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` treating NaN as zero."""
    dt = input._dtype if dtype is None else dtype
    if not dt.is_floating_point:
        return sum(input, dim, keepdim, dtype=dtype)
    if dt is not input._dtype:
        input = cast(input, dt)
    dims = reduction_dims(dim, input._data.ndim)
    return Nansum.apply(input, dims=dims, keepdim=keepdim, dtype=dt)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` (all dims by default); the input must be floating (or ``dtype`` given)."""
    if dtype is not None:
        if not (dtype.is_floating_point or dtype.is_complex):
            raise RuntimeError(
                "mean(): could not infer output dtype. Optional dtype must be either a floating "
                f"point or complex dtype. Got: {_type_name(dtype)}"
            )
        input = cast(input, dtype)
    elif not (input._dtype.is_floating_point or input._dtype.is_complex):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_type_name(input._dtype)}"
        )
    dims = reduction_dims(dim, input._data.ndim)
    return Mean.apply(input, dims=dims, keepdim=keepdim)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` of the entries that are not NaN."""
    dt = input._dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{_type_name(dt)}"
        )
    total = nansum(input, dim, keepdim, dtype=dtype)
    xd = input._data
    xp = array_module(xd)
    dims = reduction_dims(dim, xd.ndim)
    count = (~xp.isnan(xd)).sum(axis=dims, keepdims=keepdim)
    return total / const(dense(count, xp), total)


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over ``dim`` (an int, or None for all); integers and bools give int64."""
    if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    dims = reduction_dims(dim, input._data.ndim)
    if dtype is None:
        dtype = input._dtype
        if not (dtype.is_floating_point or dtype.is_complex):
            dtype = _int64
    elif dtype is not input._dtype:
        input = cast(input, dtype)
    return Prod.apply(input, dims=dims, keepdim=keepdim, dtype=dtype)


# -- extrema ----------------------------------------------------------------------------------


class Amax(Primitive):
    save_output = True

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        return dense(a.max(axis=dims, keepdims=keepdim), array_module(a))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return evenly_distribute(grad, x, ctx.output(), ctx.dims, ctx.keepdim)


class Amin(Amax):
    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        return dense(a.min(axis=dims, keepdims=keepdim), array_module(a))


class _MaxAll(Amax):
    def name(self) -> str:
        return "MaxBackward1"


class _MinAll(Amin):
    def name(self) -> str:
        return "MinBackward1"


class _MaxDim(Primitive):
    """``max(input, dim)``: values and the index of the first maximum (NaN counts as largest)."""

    save_inputs = False
    _arg = "argmax"

    def name(self) -> str:
        return type(self).__name__[1:4] + "Backward0"

    @classmethod
    def forward(cls, ctx, a, dim, keepdim):
        ctx.shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        xp = array_module(a)
        if not a.ndim:
            ctx.index = xp.zeros((), _np_int64)
            return a.copy(), ctx.index
        idx = getattr(xp, cls._arg)(a, axis=dim, keepdims=True).astype(_np_int64, copy=False)
        ctx.index = idx
        values = xp.take_along_axis(a, idx, dim)
        if not keepdim:
            values, idx = values.squeeze(dim), idx.squeeze(dim)
        return dense(values, xp), dense(idx, xp)

    @staticmethod
    def backward(ctx, grad, _):
        return scatter_back(ctx, grad)


class _MinDim(_MaxDim):
    _arg = "argmin"


def _not_implemented(kernel: str, dt) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(dt)}'")


def _extreme(name, all_cls, dim_cls, tuple_cls, input, dim, keepdim):
    shape = input._data.shape
    if dim is None:
        if input._dtype.is_complex:
            raise _not_implemented(name + "_all", input._dtype)
        _check_nonempty(name, shape, (), True)
        return all_cls.apply(input, dims=_ALL_DIMS[len(shape)], keepdim=False)
    if isinstance(dim, Tensor):
        from ember.ops import elementwise

        return getattr(elementwise, "maximum" if name == "max" else "minimum")(input, dim)
    if not _is_int(dim):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    if input._dtype.is_complex:
        raise RuntimeError(f"{name}(): does not support complex input")
    d = _wrap_dim(dim, len(shape))
    if shape:
        _check_nonempty(name, shape, (d,), False)
    return tuple_cls(*dim_cls.apply(input, dim=d, keepdim=keepdim))


def max(input: Tensor, dim=None, keepdim: bool = False):
    """The largest entry (0-dim); with ``dim``, ``(values, indices)`` of the maxima along it
    (the first maximum's index on ties); with a tensor, ``maximum(input, other)``."""
    return _extreme("max", _MaxAll, _MaxDim, return_types.max, input, dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):
    """The smallest entry (0-dim); with ``dim``, ``(values, indices)`` of the minima along it."""
    return _extreme("min", _MinAll, _MinDim, return_types.min, input, dim, keepdim)


def _amax_like(name, cls, input, dim, keepdim):
    if input._dtype.is_complex:
        kernel = "aminmax_cpu" if name == "aminmax" else name[1:] + "_values_cpu"
        raise _not_implemented(kernel, input._dtype)
    shape = input._data.shape
    dims = reduction_dims(dim, len(shape))
    _check_nonempty(name, shape, dims, not isinstance(dim, int) and not dim)
    return cls.apply(input, dims=dims, keepdim=keepdim)


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Maximum over ``dim`` (all dims by default); the gradient is split evenly among ties."""
    return _amax_like("amax", Amax, input, dim, keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim`` (all dims by default); the gradient is split evenly among ties."""
    return _amax_like("amin", Amin, input, dim, keepdim)


def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    """``(min, max)`` over ``dim`` (an int, or None for all) as one named tuple."""
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    if dim is None and input._data.ndim and keepdim:
        dim = _ALL_DIMS[input._data.ndim]
    if dim is None:
        _check_nonempty("aminmax", input._data.shape, (), bool(input._data.ndim))
    return return_types.aminmax(
        _amax_like("aminmax", Amin, input, dim, keepdim),
        _amax_like("aminmax", Amax, input, dim, keepdim),
    )


def _arg_extreme(name: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    dt = input._dtype
    if dt is _bool or dt.is_complex:
        kind = "bool" if dt is _bool else "complex"
        raise RuntimeError(f"{name}(): does not support {kind} input")
    xd = input._data
    xp = array_module(xd)
    fn = getattr(xp, name)
    if dim is None:
        if not xd.size:
            raise IndexError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        r = fn(xd)
        if keepdim:
            r = xp.reshape(r, (1,) * xd.ndim)
    else:
        d = _wrap_dim(dim, xd.ndim)
        if not xd.ndim:
            r = xp.zeros((), _np_int64)
        else:
            _check_nonempty(name, xd.shape, (d,), False)
            r = fn(xd, axis=d, keepdims=keepdim)
    return _wrap(dense(xp.asarray(r, _np_int64), xp), _int64, input._device)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the first maximum: into the flattened input, or along ``dim``."""
    return _arg_extreme("argmax", input, dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the first minimum: into the flattened input, or along ``dim``."""
    return _arg_extreme("argmin", input, dim, keepdim)


# -- logical reductions and counting -------------------------------------------------------


def _logical(fn_name: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    xd = input._data
    xp = array_module(xd)
    dims = reduction_dims(dim, xd.ndim)
    r = dense(getattr(xp, fn_name)(xd, axis=dims, keepdims=keepdim), xp)
    if input._dtype is _uint8:  # PyTorch keeps uint8 for all/any of uint8
        return _wrap(r.astype(_uint8.np), _uint8, input._device)
    return _wrap(r, _bool, input._device)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every entry (over ``dim``) is nonzero."""
    return _logical("all", input, dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether some entry (over ``dim``) is nonzero."""
    return _logical("any", input, dim, keepdim)


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """The number of nonzero entries over ``dim`` (all dims by default), as int64."""
    xd = input._data
    xp = array_module(xd)
    dims = reduction_dims(dim, xd.ndim)
    r = (xd != 0).sum(axis=dims, dtype=_np_int64)
    return _wrap(dense(r, xp), _int64, input._device)


Tensor.sum = sum
Tensor.nansum = nansum
Tensor.mean = mean
Tensor.nanmean = nanmean
Tensor.prod = prod
Tensor.max = max
Tensor.min = min
Tensor.amax = amax
Tensor.amin = amin
Tensor.aminmax = aminmax
Tensor.argmax = argmax
Tensor.argmin = argmin
Tensor.all = all
Tensor.any = any
Tensor.count_nonzero = count_nonzero

# linalg's norms reach the vector norm through this module; it lives with var and std.
from ember.ops.moments import vector_norm  # noqa: E402, F401
