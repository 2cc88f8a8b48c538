"""Index ops: picking (index_select, gather, take, take_along_dim, masked_select, nonzero)
and writing (scatter and its reductions, index_add/copy/fill/put, masked_fill/scatter, put),
each with its in-place ``_`` form.

A writing op's primitive has a ``kernel(out, *arrays, **params)`` that writes into ``out``;
its forward runs the kernel on a copy of the input.  The in-place form runs the kernel on the
tensor's own memory when no gradient is involved, and otherwise goes through the recorded
out-of-place op and ``write_inplace``.  Indices follow PyTorch: negative indices count from
the end in take, put, index_fill and index_put, and are errors elsewhere.
"""

from __future__ import annotations

import numbers
import warnings

from ember import _dtype
from ember._tensor import Tensor, _empty_strided, _preserved_strides, _wrap, _wrap_dim
from ember.autograd import grad_mode
from ember.autograd.function import Primitive
from ember.backend import array_module, cpu, for_device
from ember.ops._util import _TYPE_NAMES, cast, sum_to_shape, write_inplace
from ember.ops.elementwise import shape_error, unsupported
from ember.ops.reduce import dense
from ember.ops.shape import _PARTIAL_OVERLAP, _fill_value, _overlap

_int64 = _dtype.int64
_int32 = _dtype.int32
_bool = _dtype.bool
_INDEX_DTYPES = (_int64, _int32)


# -- shared helpers -------------------------------------------------------------------------


def _copy(a, preserve: bool = False):
    """A fresh copy of ``a``: row-major, or (``preserve``) in ``a``'s own dense layout."""
    xp = array_module(a)
    if not preserve or (a.flags.c_contiguous and a.size and 1 not in a.shape):
        return dense(xp.array(a, order="C", copy=True), xp)
    item = a.itemsize
    strides = _preserved_strides(a.shape, tuple(s // item for s in a.strides))
    out = _empty_strided(xp, a.shape, strides, a.dtype)
    out[...] = a
    return out


def _check_index_dtype(index: Tensor, name: str, allowed=_INDEX_DTYPES, exc=RuntimeError) -> None:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._dtype not in allowed:
        if allowed == (_int64,):
            raise exc(
                f"{name}(): Expected a long tensor for index, but got {_TYPE_NAMES[index._dtype]}"
            )
        raise exc(
            f"{name}(): Expected dtype int32/int64 for index but got: {_TYPE_NAMES[index._dtype]}"
        )


def _out_of_bounds(
    idx, size: int, dim: int, negative_ok: bool = False, exc=RuntimeError, prefix=""
):
    """Raise PyTorch's error for the first index outside ``[0, size)`` (``[-size, size)``)."""
    if not idx.size:
        return
    low = -size if negative_ok else 0
    if idx.min() < low or idx.max() >= size:
        bad = idx[(idx < low) | (idx >= size)].ravel()[0]
        raise exc(f"{prefix}index {int(bad)} is out of bounds for dimension {dim} with size {size}")


def _as_1d(a):
    """0-dim tensors act as 1-element vectors along dim 0 in the dim-wise index ops."""
    return a.reshape(1) if a.ndim == 0 else a


def _along(index, dim: int):
    """Advanced-index key that addresses, for each entry of ``index``, its place in an array
    of ``index``'s shape with dim ``dim`` replaced by the entry."""
    xp = array_module(index)
    key = []
    n = index.ndim
    for d, size in enumerate(index.shape):
        if d == dim:
            key.append(index)
        else:
            shape = [1] * n
            shape[d] = size
            key.append(xp.arange(size).reshape(shape))
    return tuple(key)


def _index_key(dim: int, index):
    return (slice(None),) * dim + (index,)


def _value_of(value, t: Tensor, name: str):
    """A fill value as a Python number of ``t``'s dtype (0-dim tensors read with ``item``)."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                f"{name} only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        value = value.item()
    elif not isinstance(value, numbers.Number):
        raise TypeError(
            f"{name.rstrip('_')}() received an invalid combination of arguments - got (Tensor, "
            f"{type(value).__name__})"
        )
    return _fill_value(value, t._dtype)


def _inplace(self: Tensor, op, tensors, params) -> Tensor:
    """Run ``op`` in place on ``self``: its kernel on ``self``'s memory when no gradient is
    involved, else the recorded op followed by ``write_inplace``."""
    for t in tensors:
        if _overlap(self, t) is not None:
            raise RuntimeError(_PARTIAL_OVERLAP)
    if grad_mode.enabled and (self._requires_grad or any(t._requires_grad for t in tensors)):
        # An op whose backward reads its input must not see it overwritten: give it a copy.
        source = self.clone() if op.save_inputs and self._requires_grad else self
        return write_inplace(self, op.apply(source, *tensors, **params))
    if op.broadcasts:
        shape = op.out_shape(self._data, *[t._data for t in tensors])
        if shape != self._data.shape:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"{list(shape)}"
            )
    op.kernel(self._data, *[t._data for t in tensors], **params)
    self._bump_version()
    return self


class _Writer(Primitive):
    """A primitive that copies its first input and writes into the copy with ``kernel``."""

    save_inputs = False
    preserve = False
    broadcasts = False

    @classmethod
    def forward(cls, ctx, a, *arrays, **params):
        cls.remember(ctx, a, *arrays, **params)
        out = _copy(a, cls.preserve)
        cls.kernel(out, *arrays, **params)
        return out

    @staticmethod
    def remember(ctx, a, *arrays, **params):
        ctx.shape = a.shape
        ctx.params = params


# -- index_select, gather, take -------------------------------------------------------------


class IndexSelect(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, index, dim):
        ctx.shape, ctx.dim, ctx.index = a.shape, dim, index
        xp = array_module(a)
        out = xp.take(_as_1d(a), index, axis=dim)
        return dense(out.reshape(()) if a.ndim == 0 else out, xp)

    @staticmethod
    def backward(ctx, grad):
        index = _wrap(ctx.index, _int64 if ctx.index.dtype.itemsize == 8 else _int32, grad._device)
        zeros = grad.new_zeros(ctx.shape)
        return index_add(zeros, ctx.dim, index, grad), None


def index_select(input: Tensor, dim: int, index: Tensor, *, out=None) -> Tensor:
    """The slices of ``input`` at ``index`` (1-D) along ``dim``."""
    if not isinstance(index, Tensor) or index._dtype not in _INDEX_DTYPES:
        if isinstance(index, Tensor):
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        raise TypeError(
            f"index_select(): argument 'index' must be Tensor, not {type(index).__name__}"
        )
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d] if input._data.ndim else 1
    idx = index._data.reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        if input._data.ndim < 2 or d == 0:
            raise IndexError("index out of range in self")
        if size == 0:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        bad = idx[(idx < 0) | (idx >= size)][0]
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(bad)} axis_dim={size}")
    r = IndexSelect.apply(input, _wrap(idx, index._dtype, index._device), dim=d)
    return r if out is None else _store(out, r)


def _store(out, r):
    from ember.ops.elementwise import store_out

    return store_out(out, r)


class Gather(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, index, dim, expand=None):
        ctx.shape, ctx.dim, ctx.index, ctx.expand = a.shape, dim, index, expand
        xp = array_module(a)
        if expand is not None:
            a = xp.broadcast_to(a, expand)
        if not index.size:
            return dense(xp.empty(index.shape, a.dtype), xp)
        if a.ndim == 0:
            return dense(a.reshape(1)[index.reshape(1)].reshape(()), xp)
        return dense(a[_along(index, dim)], xp)

    @staticmethod
    def backward(ctx, grad):
        index = _index_tensor(ctx.index, grad)
        shape = ctx.shape if ctx.expand is None else ctx.expand
        g = scatter_add(grad.new_zeros(shape), ctx.dim, index, grad)
        return (sum_to_shape(g, ctx.shape) if ctx.expand is not None else g), None


def _index_tensor(arr, like: Tensor) -> Tensor:
    return _wrap(arr, _dtype.from_numpy_dtype(arr.dtype), like._device)


def _check_gather_shapes(name, input: Tensor, dim: int, index: Tensor, src: Tensor | None = None):
    shape, ishape = input._data.shape, index._data.shape
    if len(ishape) != len(shape) and not (len(ishape) <= 1 and len(shape) <= 1):
        what = "input" if src is None else "self"
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {what} tensor")
    if (
        src is not None
        and len(src._data.shape) != len(ishape)
        and not (len(ishape) <= 1 and src._data.ndim <= 1)
    ):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for d in range(len(ishape)):
        too_big = d != dim and ishape[d] > (shape[d] if shape else 1)
        if src is None and too_big:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(ishape)} to be no "
                f"larger than self {list(shape)} apart from dimension {dim}"
            )
        if src is not None and (
            too_big or ishape[d] > (src._data.shape[d] if src._data.ndim else 1)
        ):
            raise RuntimeError(
                f"Expected index {list(ishape)} to be no larger than self {list(shape)} apart "
                f"from dimension {dim} and to be no larger size than src "
                f"{list(src._data.shape)}"
            )


def gather(
    input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False, out=None
) -> Tensor:
    """``out[i][j] = input[index[i][j]][j]`` for ``dim=0`` (and likewise for other dims)."""
    _check_index_dtype(index, "gather")
    d = _wrap_dim(dim, input._data.ndim)
    if index._data.size:
        _check_gather_shapes("gather", input, d, index)
        size = input._data.shape[d] if input._data.ndim else 1
        _out_of_bounds(index._data, size, d)
    r = Gather.apply(input, index, dim=d)
    return r if out is None else _store(out, r)


class Take(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, index):
        ctx.shape, ctx.index = a.shape, index
        xp = array_module(a)
        return dense(a.reshape(-1)[index], xp)

    @staticmethod
    def backward(ctx, grad):
        zeros = grad.new_zeros(ctx.shape)
        return put(zeros, _index_tensor(ctx.index, grad), grad, accumulate=True), None


def _flat_index(index: Tensor, numel: int, name: str):
    idx = index._data
    if idx.size and (idx.min() < -numel or idx.max() >= numel):
        bad = idx[(idx < -numel) | (idx >= numel)].ravel()[0]
        raise IndexError(
            f"out of range: tried to access index {int(bad)} on a tensor of {numel} elements."
        )
    if idx.size and idx.min() < 0:
        idx = idx % numel
    return _wrap(idx, index._dtype, index._device)


def take(input: Tensor, index: Tensor) -> Tensor:
    """Entries of the flattened ``input`` at ``index`` (negative counts from the end), in
    ``index``'s shape."""
    _check_index_dtype(index, "take", (_int64,))
    return Take.apply(input, _flat_index(index, input._data.size, "take"))


def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:
    """``gather`` with ``input`` and ``indices`` broadcast against each other off ``dim``;
    with no ``dim``, entries of the flattened ``input``."""
    if indices._dtype is not _int64:
        raise RuntimeError(
            "torch.take_along_dim(): dtype of indices should be Long but got "
            f"{_TYPE_NAMES[indices._dtype]}"
        )
    if dim is None:
        idx = indices.view(-1)._data
        _out_of_bounds(idx, input._data.size, 0)
        return Take.apply(input, _wrap(idx, _int64, indices._device))
    ndim = input._data.ndim
    if indices._data.ndim != ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {ndim} dimensions for input, and {indices._data.ndim} "
            "dimensions for indices"
        )
    d = _wrap_dim(dim, ndim)
    xp = array_module(input._data)
    ishape, sshape = list(indices._data.shape), list(input._data.shape)
    if ndim == 0:
        return gather(input, d, indices)
    try:
        idx_shape = list(
            xp.broadcast_shapes(tuple(sshape[:d] + [ishape[d]] + sshape[d + 1 :]), tuple(ishape))
        )
        in_shape = list(
            xp.broadcast_shapes(tuple(ishape[:d] + [sshape[d]] + ishape[d + 1 :]), tuple(sshape))
        )
    except ValueError:
        raise shape_error(sshape, ishape) from None
    idx = xp.broadcast_to(indices._data, tuple(idx_shape))
    _out_of_bounds(idx, sshape[d], d)
    expand = None if in_shape == sshape else tuple(in_shape)
    return Gather.apply(input, _wrap(idx, _int64, indices._device), dim=d, expand=expand)


# -- scatter family -------------------------------------------------------------------------


def _prefix(index, src):
    """``src`` cut to ``index``'s shape (scatter reads only that corner of ``src``)."""
    if src.shape == index.shape:
        return src
    return src[tuple(slice(0, n) for n in index.shape)]


class Scatter(_Writer):
    @staticmethod
    def kernel(out, index, src, dim, reduce=None):
        view = _as_1d(out)
        key = _along(_as_1d(index), dim)
        vals = _prefix(_as_1d(index), _as_1d(src))
        _reduce_at(view, key, vals, reduce)

    @staticmethod
    def remember(ctx, a, index, src, dim, reduce=None):
        ctx.index, ctx.dim, ctx.reduce, ctx.src_shape = index, dim, reduce, src.shape

    @staticmethod
    def backward(ctx, grad):
        if ctx.reduce is not None:
            raise RuntimeError("the derivative for 'scatter' with reduce is not implemented")
        index = _index_tensor(ctx.index, grad)
        g_self = g_src = None
        if ctx.needs_input_grad[0]:
            g_self = scatter(grad, ctx.dim, index, 0)
        if ctx.needs_input_grad[2]:
            g_src = _pad_to(gather(grad, ctx.dim, index), ctx.src_shape)
        return g_self, None, g_src


class ScatterValue(_Writer):
    def name(self) -> str:
        return "ScatterBackward1"

    @staticmethod
    def kernel(out, index, dim, value, reduce=None):
        view = _as_1d(out)
        key = _along(_as_1d(index), dim)
        xp = array_module(out)
        vals = xp.asarray(value, out.dtype)
        _reduce_at(view, key, xp.broadcast_to(vals, index.shape if index.ndim else (1,)), reduce)

    @staticmethod
    def remember(ctx, a, index, dim, value, reduce=None):
        ctx.index, ctx.dim, ctx.reduce = index, dim, reduce

    @staticmethod
    def backward(ctx, grad):
        if ctx.reduce is not None:
            raise RuntimeError("the derivative for 'scatter' with reduce is not implemented")
        return scatter(grad, ctx.dim, _index_tensor(ctx.index, grad), 0), None


_BOOL_UFUNCS = {"add": "logical_or", "multiply": "logical_and", "maximum": "logical_or",
                "minimum": "logical_and"}  # fmt: skip
_HALF_NP = (_dtype.float16.np, _dtype.bfloat16.np)


def _at(name: str, view, key, vals) -> None:
    """``view[key] op= vals`` with repeated keys combining (``ufunc.at``).  Half precision
    accumulates in float32 and rounds once, as PyTorch's kernels do; bools use logical ops."""
    xp = array_module(view)
    dt = view.dtype
    if name == "add" and dt.kind == "f" and dt not in _HALF_NP and _dense_add_at(view, key, vals):
        return
    if dt.kind == "b":
        getattr(xp, _BOOL_UFUNCS[name]).at(view, key, vals)
    elif dt in _HALF_NP:
        wide = view.astype(_dtype.float32.np)
        getattr(xp, name).at(wide, key, xp.asarray(vals).astype(_dtype.float32.np))
        view[...] = wide
    else:
        getattr(xp, name).at(view, key, vals)


def _dense_add_at(view, key, vals) -> bool:
    """``view[key] += vals`` with repeats summed, through one ``bincount`` when the scatter is
    dense (max-pooling's and embedding-style backwards write most of ``view``): ``add.at``
    costs about 50 ns an element there.  False (nothing done) when it does not apply."""
    if not cpu.is_numpy(view):
        return False
    keys = key if isinstance(key, tuple) else (key,)
    if len(keys) != view.ndim or not all(
        isinstance(k, cpu.xp.ndarray) and k.dtype.kind in "iu" for k in keys
    ):
        return False
    keys = cpu.xp.broadcast_arrays(*keys)
    n = keys[0].size
    if n < 4096 or n * 8 < view.size:
        return False
    for k, size in zip(keys, view.shape, strict=True):
        if k.min() < -size or k.max() >= size:
            return False  # add.at raises NumPy's IndexError; ravel_multi_index would wrap
    flat = cpu.xp.ravel_multi_index(keys, view.shape, mode="wrap").ravel()
    weights = cpu.xp.broadcast_to(vals, keys[0].shape).ravel()
    sums = cpu.xp.bincount(flat, weights=weights, minlength=view.size)
    view += sums.reshape(view.shape).astype(view.dtype, copy=False)
    return True


def _reduce_at(view, key, vals, reduce):
    if reduce is None:
        view[key] = vals
    elif reduce == "add":
        _at("add", view, key, vals)
    elif reduce == "multiply":
        _at("multiply", view, key, vals)
    else:
        raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")


def _scatter_args(name, input, dim, index, src):
    _check_index_dtype(index, name)
    d = _wrap_dim(dim, input._data.ndim)
    if isinstance(src, Tensor):
        if src._dtype is not input._dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        _check_gather_shapes(name, input, d, index, src)
    else:
        _check_gather_shapes(name, input, d, index)
    size = input._data.shape[d] if input._data.ndim else 1
    _out_of_bounds(index._data, size, d)
    return d


def _scatter_op(input, dim, index, src, reduce):
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
    if isinstance(src, Tensor):
        d = _scatter_args("scatter", input, dim, index, src)
        if reduce is not None:
            warnings.warn(
                "The reduce argument of torch.scatter with Tensor src is deprecated and will be "
                "removed in a future PyTorch release. Use torch.scatter_reduce instead for more "
                "reduction options.",
                UserWarning,
                stacklevel=3,
            )
        return Scatter, (index, src), {"dim": d, "reduce": reduce}
    d = _scatter_args("scatter", input, dim, index, None)
    return (
        ScatterValue,
        (index,),
        {"dim": d, "value": _value_of(src, input, "scatter"), "reduce": reduce},
    )


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor, or one value) written at ``index`` along
    ``dim``: ``out[index[i][j]][j] = src[i][j]`` for ``dim=0``; ``reduce`` 'add' or
    'multiply' combines instead of overwriting."""
    if src is None:
        src = value
    op, tensors, params = _scatter_op(input, dim, index, src, reduce)
    return op.apply(input, *tensors, **params)


def scatter_(self: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None) -> Tensor:
    if src is None:
        src = value
    op, tensors, params = _scatter_op(self, dim, index, src, reduce)
    return _inplace(self, op, tensors, params)


class ScatterAdd(_Writer):
    @staticmethod
    def kernel(out, index, src, dim):
        _reduce_at(
            _as_1d(out), _along(_as_1d(index), dim), _prefix(_as_1d(index), _as_1d(src)), "add"
        )

    @staticmethod
    def remember(ctx, a, index, src, dim):
        ctx.index, ctx.dim, ctx.src_shape = index, dim, src.shape

    @staticmethod
    def backward(ctx, grad):
        g_src = None
        if ctx.needs_input_grad[2]:
            g_src = _pad_to(gather(grad, ctx.dim, _index_tensor(ctx.index, grad)), ctx.src_shape)
        return grad, None, g_src


def _pad_to(g: Tensor, shape) -> Tensor:
    """A gradient for the whole of ``src`` when only its corner of ``g``'s shape was read."""
    if tuple(g.shape) == tuple(shape):
        return g
    from ember.ops.join import cat

    for d, (n, want) in enumerate(zip(g.shape, shape, strict=True)):
        if n != want:
            pad_shape = list(g.shape)
            pad_shape[d] = want - n
            g = cat([g, g.new_zeros(pad_shape)], d)
    return g


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats add up)."""
    d = _scatter_args("scatter_add", input, dim, index, src)
    return ScatterAdd.apply(input, index, src, dim=d)


def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    d = _scatter_args("scatter_add", self, dim, index, src)
    return _inplace(self, ScatterAdd, (index, src), {"dim": d})


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


class ScatterReduce(_Writer):
    """``scatter_reduce``: sum, prod, mean, amax or amin of ``src`` (and ``input``, with
    ``include_self``) over the entries that land on each place."""

    @staticmethod
    def kernel(out, index, src, dim, reduce, include_self):
        xp = array_module(out)
        view = _as_1d(out)
        key = _along(_as_1d(index), dim)
        vals = _prefix(_as_1d(index), _as_1d(src))
        if not include_self:
            view[key] = _identity(reduce, out.dtype, xp)
        if reduce == "mean":
            counts = xp.zeros(view.shape, _int64.np)
            xp.add.at(counts, key, 1)
            if include_self:
                counts += 1
            _at("add", view, key, vals)
            counts = xp.maximum(counts, 1)
            if out.dtype.kind in "fc" or out.dtype == _dtype.bfloat16.np:
                view[...] = view / counts.astype(out.dtype)
            else:
                view[...] = xp.floor_divide(view, counts.astype(out.dtype))
            return
        # maximum/minimum let NaN win, as PyTorch does
        _at(
            {"sum": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}[reduce],
            view,
            key,
            vals,
        )

    @staticmethod
    def remember(ctx, a, index, src, dim, reduce, include_self):
        ctx.index, ctx.dim, ctx.reduce, ctx.include_self = index, dim, reduce, include_self
        ctx.src_shape = src.shape

    save_inputs = True
    save_output = True

    @staticmethod
    def backward(ctx, grad):
        self_t, _, src = ctx.saved_tensors
        result = ctx.output()
        return _scatter_reduce_grads(ctx, grad, self_t, src, result)


def _identity(reduce, np_dtype, xp):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if np_dtype.kind == "b":
        return reduce == "amin"
    if np_dtype.kind in "iu":
        info = xp.iinfo(np_dtype)
        return info.min if reduce == "amax" else info.max
    return -float("inf") if reduce == "amax" else float("inf")


def _scatter_reduce_grads(ctx, grad, self_t, src, result):
    dim, reduce, include_self = ctx.dim, ctx.reduce, ctx.include_self
    index = _index_tensor(ctx.index, grad)
    need_self, need_src = ctx.needs_input_grad[0], ctx.needs_input_grad[2]
    if src.shape != index.shape:
        src = src[tuple(slice(0, n) for n in index.shape)]
    hit = None
    if not include_self:
        hit = scatter(grad.new_zeros(grad.shape, dtype=_bool), dim, index, True)
    g_self = g_src = None
    if reduce == "sum":
        g_self = grad
        g_src = gather(grad, dim, index)
    elif reduce == "mean":
        ones = grad.new_ones(index.shape)
        counts = scatter_add(grad.new_zeros(grad.shape), dim, index, ones)
        counts = counts + 1 if include_self else counts.clamp_min(1)
        g_self = grad / counts
        g_src = gather(g_self, dim, index)
    elif reduce == "prod":
        # The product of everything but one factor, with zeros counted apart so that a
        # single zero factor still gets the product of the others.
        zero_self = (self_t == 0) if include_self else grad.new_zeros(grad.shape, dtype=_bool)
        zero_src = src == 0
        zeros = scatter_add(zero_self.to(grad.dtype), dim, index, zero_src.to(grad.dtype))
        nz_self = self_t.masked_fill(zero_self, 1) if include_self else grad.new_ones(grad.shape)
        nz_prod = scatter_reduce(nz_self, dim, index, src.masked_fill(zero_src, 1), "prod")
        others_self = (zeros - zero_self.to(grad.dtype)) == 0
        g_self = grad * (nz_prod / nz_self).masked_fill(~others_self, 0)
        z_at = gather(zeros, dim, index)
        others_src = (z_at - zero_src.to(grad.dtype)) == 0
        p_at = gather(nz_prod, dim, index) / src.masked_fill(zero_src, 1)
        g_src = gather(grad, dim, index) * p_at.masked_fill(~others_src, 0)
    else:  # amax, amin: split evenly among the entries equal to the result
        tie_self = (self_t == result) if include_self else grad.new_zeros(grad.shape, dtype=_bool)
        tie_src = src == gather(result, dim, index)
        counts = scatter_add(tie_self.to(grad.dtype), dim, index, tie_src.to(grad.dtype))
        share = grad / counts.clamp_min(1)
        g_self = share.masked_fill(~tie_self, 0)
        g_src = gather(share, dim, index).masked_fill(~tie_src, 0)
    if hit is not None:
        g_self = grad.masked_fill(hit, 0)
    if need_src:
        g_src = _pad_to(g_src, ctx.src_shape)
    return (g_self if need_self else None), None, (g_src if need_src else None)


def _scatter_reduce_args(input, dim, index, src, reduce):
    if reduce not in _REDUCTIONS:
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    if reduce == "mean" and input._dtype is _bool:
        raise unsupported("scatter_gather_tensor_cpu_reduce_mean", _bool)
    return _scatter_args("scatter_reduce", input, dim, index, src)


def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """Reduce ``src`` into a copy of ``input`` at ``index`` along ``dim`` with ``reduce``
    ('sum', 'prod', 'mean', 'amax', 'amin'); ``include_self=False`` leaves ``input``'s old
    values out wherever something lands."""
    d = _scatter_reduce_args(input, dim, index, src, reduce)
    return ScatterReduce.apply(
        input, index, src, dim=d, reduce=reduce, include_self=bool(include_self)
    )


def scatter_reduce_(
    self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    d = _scatter_reduce_args(self, dim, index, src, reduce)
    params = {"dim": d, "reduce": reduce, "include_self": bool(include_self)}
    return _inplace(self, ScatterReduce, (index, src), params)


# -- index_add, index_copy, index_fill ------------------------------------------------------


def _dim_index_args(name, input, dim, index, source=None, allowed=_INDEX_DTYPES, exc=RuntimeError):
    _check_index_dtype(index, name, allowed, exc)
    if index._data.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    ndim = input._data.ndim
    d = _wrap_dim(dim, ndim)
    size = input._data.shape[d] if ndim else 1
    return d, size


class IndexAdd(_Writer):
    @staticmethod
    def kernel(out, index, source, dim, alpha=1):
        xp = array_module(out)
        vals = _as_1d(source) if out.ndim == 0 else source
        if alpha != 1:
            vals = vals * xp.asarray(alpha, out.dtype)
        _at("add", _as_1d(out), _index_key(dim, index.reshape(-1)), vals)

    @staticmethod
    def remember(ctx, a, index, source, dim, alpha=1):
        ctx.index, ctx.dim, ctx.alpha, ctx.src_shape = index, dim, alpha, source.shape

    @staticmethod
    def backward(ctx, grad):
        g_src = None
        if ctx.needs_input_grad[2]:
            g_src = index_select(grad, ctx.dim, _index_tensor(ctx.index, grad))
            if ctx.alpha != 1:
                g_src = g_src * ctx.alpha
            g_src = g_src.reshape(ctx.src_shape)
        return grad, None, g_src


def _index_add_args(input, dim, index, source, alpha):
    d, size = _dim_index_args("index_add_", input, dim, index, source)
    if source._dtype is not input._dtype:
        raise RuntimeError(
            f"index_add_(): self ({_TYPE_NAMES[input._dtype]}) and source "
            f"({_TYPE_NAMES[source._dtype]}) must have the same scalar type"
        )
    _check_source_shape("index_add_", input, d, index, source)
    _out_of_bounds(index._data, size, d)
    return {"dim": d, "alpha": alpha}


def _check_source_shape(name, input, d, index, source) -> None:
    shape, sshape = list(input._data.shape), list(source._data.shape)
    n = index._data.size
    src_n = sshape[d] if sshape else 1
    if n != src_n:
        if name == "index_copy_":
            raise IndexError(
                f"index_copy_(): Number of indices ({n}) should be equal to source.size(dim) "
                f"({src_n})"
            )
        raise RuntimeError(
            f"{name}(): Number of indices ({n}) should be equal to source.size(dim): "
            f"({src_n}), for dim: {d}"
        )
    if len(shape) > 1 or len(sshape) > 1:
        rest = shape[:d] + shape[d + 1 :]
        srest = sshape[:d] + sshape[d + 1 :]
        if rest != srest:
            raise RuntimeError(
                "source tensor shape must match self tensor shape, excluding the specified "
                f"dimension. Got self.shape = {shape} source.shape = {sshape}"
            )


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added to the slices at ``index`` along
    ``dim`` (repeated indices add up)."""
    params = _index_add_args(input, dim, index, source, alpha)
    return IndexAdd.apply(input, index, source, **params)


def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    params = _index_add_args(self, dim, index, source, alpha)
    return _inplace(self, IndexAdd, (index, source), params)


class IndexCopy(_Writer):
    @staticmethod
    def kernel(out, index, source, dim):
        vals = _as_1d(source) if out.ndim == 0 else source
        _as_1d(out)[_index_key(dim, index.reshape(-1))] = vals

    @staticmethod
    def remember(ctx, a, index, source, dim):
        ctx.index, ctx.dim, ctx.src_shape = index, dim, source.shape

    @staticmethod
    def backward(ctx, grad):
        index = _index_tensor(ctx.index, grad)
        g_self = g_src = None
        if ctx.needs_input_grad[0]:
            g_self = index_fill(grad, ctx.dim, index, 0)
        if ctx.needs_input_grad[2]:
            g_src = index_select(grad, ctx.dim, index).reshape(ctx.src_shape)
        return g_self, None, g_src


def _index_copy_args(input, dim, index, source):
    d, size = _dim_index_args("index_copy_", input, dim, index, source, (_int64,))
    if source._dtype is not input._dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{_TYPE_NAMES[input._dtype]} and (source) {_TYPE_NAMES[source._dtype]}"
        )
    _check_source_shape("index_copy_", input, d, index, source)
    _out_of_bounds(index._data, size, d, exc=IndexError, prefix="index_copy_(): ")
    return {"dim": d}


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` replaced by ``source``'s."""
    return IndexCopy.apply(input, index, source, **_index_copy_args(input, dim, index, source))


def index_copy_(self: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    return _inplace(self, IndexCopy, (index, source), _index_copy_args(self, dim, index, source))


class IndexFill(_Writer):
    preserve = True

    @staticmethod
    def kernel(out, index, dim, value):
        _as_1d(out)[_index_key(dim, index.reshape(-1))] = value

    @staticmethod
    def remember(ctx, a, index, dim, value):
        ctx.index, ctx.dim = index, dim

    @staticmethod
    def backward(ctx, grad):
        return index_fill(grad, ctx.dim, _index_tensor(ctx.index, grad), 0), None


class IndexFillTensor(_Writer):
    """``index_fill`` with a 0-dim tensor value, which gets the gradient of all it filled."""

    preserve = True

    def name(self) -> str:
        return "IndexFillBackward1"

    @staticmethod
    def kernel(out, index, value, dim):
        _as_1d(out)[_index_key(dim, index.reshape(-1))] = value

    @staticmethod
    def remember(ctx, a, index, value, dim):
        ctx.index, ctx.dim = index, dim

    @staticmethod
    def backward(ctx, grad):
        g_self = index_fill(grad, ctx.dim, _index_tensor(ctx.index, grad), 0)
        g_value = None
        if ctx.needs_input_grad[2]:
            g_value = (grad - g_self).sum()  # repeated indices fill a place once
        return g_self, None, g_value


def _index_fill_op(input, dim, index, value):
    d, size = _dim_index_args("index_fill_", input, dim, index, None, (_int64,), IndexError)
    if index._dtype is not _int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    idx = index._data
    _out_of_bounds(idx, size, d, negative_ok=True, exc=IndexError)
    if idx.size and idx.min() < 0:
        index = _wrap(idx % size, _int64, index._device)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        if value._requires_grad and grad_mode.enabled:
            return IndexFillTensor, (index, cast(value, input._dtype)), {"dim": d}
    return IndexFill, (index,), {"dim": d, "value": _value_of(value, input, "index_fill_")}


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    op, tensors, params = _index_fill_op(input, dim, index, value)
    return op.apply(input, *tensors, **params)


def index_fill_(self: Tensor, dim: int, index: Tensor, value) -> Tensor:
    op, tensors, params = _index_fill_op(self, dim, index, value)
    return _inplace(self, op, tensors, params)


# -- index_put, put -------------------------------------------------------------------------


class IndexPut(_Writer):
    preserve = True

    @staticmethod
    def kernel(out, values, *indices, key, accumulate):
        xp = array_module(out)
        full = _put_key(key, indices)
        if accumulate:
            target = out[full]
            vals = xp.broadcast_to(values, target.shape)
            _at("add", out, full, vals)
        else:
            out[full] = values

    @staticmethod
    def remember(ctx, a, values, *indices, key, accumulate):
        ctx.key, ctx.accumulate, ctx.indices, ctx.values_shape = (
            key,
            accumulate,
            indices,
            values.shape,
        )

    @staticmethod
    def backward(ctx, grad):
        g_self = g_values = None
        index = tuple(_index_tensor(ctx.indices[k], grad) for k in ctx.key)
        if ctx.needs_input_grad[0]:
            g_self = grad if ctx.accumulate else index_put(grad, index, grad.new_zeros(()))
        if ctx.needs_input_grad[1]:
            g_values = sum_to_shape(grad[index], ctx.values_shape)
        return (g_self, g_values) + (None,) * len(ctx.indices)


def _put_key(key, indices):
    return tuple(indices[k] for k in key)


def _index_put_op(input, indices, values, accumulate):
    if not isinstance(indices, tuple | list):
        raise TypeError(
            "index_put(): argument 'indices' must be tuple of Tensors, not "
            f"{type(indices).__name__}"
        )
    if not isinstance(values, Tensor):
        raise TypeError(
            f"index_put(): argument 'values' must be Tensor, not {type(values).__name__}"
        )
    if values._dtype is not input._dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{_TYPE_NAMES[input._dtype]} for the destination and "
            f"{_TYPE_NAMES[values._dtype]} for the source."
        )
    if len(indices) > max(input._data.ndim, 1):
        raise IndexError(
            f"too many indices for tensor of dimension {input._data.ndim} (got {len(indices)})"
        )
    key, tensors = [], []
    shape = input._data.shape
    dim = 0
    for item in indices:
        if not isinstance(item, Tensor):
            raise TypeError(
                f"expected Tensor as element {len(key)} in argument 0, but got "
                f"{type(item).__name__}"
            )
        if item._dtype in (_bool, _dtype.uint8):
            mask = item._data.astype(bool) if item._dtype is _dtype.uint8 else item._data
            for j, n in enumerate(mask.shape):
                if n != shape[dim + j]:
                    raise IndexError(
                        f"The shape of the mask {list(mask.shape)} at index {j} does not match "
                        f"the shape of the indexed tensor {list(shape)} at index {dim + j}"
                    )
            for column in array_module(mask).nonzero(mask):
                key.append(len(tensors))
                tensors.append(_wrap(column, _int64, item._device))
            dim += mask.ndim
            continue
        if item._dtype not in _INDEX_DTYPES:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        size = shape[dim] if shape else 1
        _out_of_bounds(item._data, size, dim, negative_ok=True, exc=IndexError)
        key.append(len(tensors))
        tensors.append(item)
        dim += 1
    key = tuple(key)
    target = _target_shape(input._data, key, [t._data for t in tensors])
    try:
        array_module(values._data).broadcast_shapes(values._data.shape, target)
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(values._data.shape)} cannot be "
            f"broadcast to indexing result of shape {list(target)}"
        ) from None
    return (values, *tensors), {"key": key, "accumulate": bool(accumulate)}


def _target_shape(arr, key, indices):
    full = _put_key(key, indices)
    try:
        return arr[full].shape if arr.ndim else arr.reshape(1)[full].shape
    except IndexError as exc:
        raise IndexError(str(exc).replace("axis", "dimension")) from None


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` written (or added) at ``input[indices]``."""
    tensors, params = _index_put_op(input, indices, values, accumulate)
    return IndexPut.apply(input, *tensors, **params)


def index_put_(self: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    tensors, params = _index_put_op(self, indices, values, accumulate)
    return _inplace(self, IndexPut, tensors, params)


class Put(_Writer):
    preserve = True

    @staticmethod
    def kernel(out, index, source, accumulate):
        xp = array_module(out)
        where = (
            xp.unravel_index(index.reshape(-1), out.shape) if out.ndim else (index.reshape(-1) * 0,)
        )
        target = out if out.ndim else out.reshape(1)
        vals = source.reshape(-1)
        if accumulate:
            _at("add", target, where, vals)
        else:
            target[where] = vals

    @staticmethod
    def remember(ctx, a, index, source, accumulate):
        ctx.index, ctx.accumulate, ctx.src_shape = index, accumulate, source.shape

    @staticmethod
    def backward(ctx, grad):
        index = _index_tensor(ctx.index, grad)
        g_self = g_src = None
        if ctx.needs_input_grad[0]:
            g_self = grad if ctx.accumulate else put(grad, index, grad.new_zeros(ctx.src_shape))
        if ctx.needs_input_grad[2]:
            g_src = take(grad, index).reshape(ctx.src_shape)
        return g_self, None, g_src


def _put_args(input, index, source, accumulate):
    _check_index_dtype(index, "put_", (_int64,))
    if source._dtype is not input._dtype:
        raise RuntimeError(
            "put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{_TYPE_NAMES[input._dtype]} and source.dtype = {_TYPE_NAMES[source._dtype]}"
        )
    if index._data.size != source._data.size:
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source._data.size}, index.numel() = {index._data.size}"
        )
    index = _flat_index(index, input._data.size, "put_")
    return (index, source), {"accumulate": bool(accumulate)}


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``source`` written (or added) at the flat ``index``."""
    tensors, params = _put_args(input, index, source, accumulate)
    return Put.apply(input, *tensors, **params)


def put_(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    tensors, params = _put_args(self, index, source, accumulate)
    return _inplace(self, Put, tensors, params)


# -- masked ops -----------------------------------------------------------------------------


def _check_mask(mask, name: str) -> None:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._dtype is not _bool:
        raise RuntimeError(
            f"{name} only supports boolean masks, but got mask with dtype "
            f"{_MASK_NAMES.get(mask._dtype, mask._dtype.name)}"
        )


_MASK_NAMES = {_dtype.uint8: "unsigned char", _dtype.int64: "long int", _dtype.float32: "float"}


def _broadcast(a, b):
    try:
        return array_module(a).broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise shape_error(a.shape, b.shape) from None


class MaskedFill(_Writer):
    broadcasts = True

    @staticmethod
    def out_shape(a, mask, **params):
        return _broadcast(a, mask)

    @classmethod
    def forward(cls, ctx, a, mask, *rest, **params):
        ctx.shape = a.shape
        ctx.mask = mask
        xp = array_module(a)
        value = params["value"] if rest == () else rest[0]
        try:
            out = xp.where(mask, xp.asarray(value, a.dtype), a)
        except ValueError:
            raise shape_error(a.shape, mask.shape) from None
        return dense(out, xp)

    @staticmethod
    def kernel(out, mask, value):
        xp = array_module(out)
        if mask.shape != out.shape:
            mask = xp.broadcast_to(mask, out.shape)
        out[mask] = value

    @staticmethod
    def backward(ctx, grad):
        mask = _wrap(ctx.mask, _bool, grad._device)
        return sum_to_shape(grad.masked_fill(mask, 0), ctx.shape), None


class MaskedFillTensor(MaskedFill):
    def name(self) -> str:
        return "MaskedFillBackward1"

    @staticmethod
    def kernel(out, mask, value):
        MaskedFill.kernel(out, mask, value[()])

    @staticmethod
    def backward(ctx, grad):
        mask = _wrap(ctx.mask, _bool, grad._device)
        g_self = sum_to_shape(grad.masked_fill(mask, 0), ctx.shape)
        g_value = None
        if ctx.needs_input_grad[2]:
            g_value = grad.masked_fill(~mask, 0).sum()
        return g_self, None, g_value


def _masked_fill_op(input, mask, value):
    _check_mask(mask, "masked_fill_")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        if value._requires_grad and grad_mode.enabled:
            return MaskedFillTensor, (mask, cast(value, input._dtype)), {}
    return MaskedFill, (mask,), {"value": _value_of(value, input, "masked_fill_")}


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """A copy of ``input`` (broadcast with ``mask``) with ``value`` where ``mask`` is True."""
    op, tensors, params = _masked_fill_op(input, mask, value)
    return op.apply(input, *tensors, **params)


def masked_fill_(self: Tensor, mask: Tensor, value) -> Tensor:
    op, tensors, params = _masked_fill_op(self, mask, value)
    return _inplace(self, op, tensors, params)


class MaskedSelect(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, mask):
        ctx.shape, ctx.mask = a.shape, mask
        xp = array_module(a)
        shape = _broadcast(a, mask)
        ctx.full = shape
        return dense(xp.broadcast_to(a, shape)[xp.broadcast_to(mask, shape)], xp)

    @staticmethod
    def backward(ctx, grad):
        mask = _wrap(ctx.mask, _bool, grad._device)
        full = masked_scatter(grad.new_zeros(ctx.full), mask, grad)
        return sum_to_shape(full, ctx.shape), None


def masked_select(input: Tensor, mask: Tensor, *, out=None) -> Tensor:
    """The entries of ``input`` where ``mask`` (broadcast together) is True, as a 1-D tensor."""
    if not isinstance(mask, Tensor) or mask._dtype is not _bool:
        if isinstance(mask, Tensor):
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        raise TypeError(
            f"masked_select(): argument 'mask' must be Tensor, not {type(mask).__name__}"
        )
    r = MaskedSelect.apply(input, mask)
    return r if out is None else _store(out, r)


class MaskedScatter(_Writer):
    broadcasts = True

    @staticmethod
    def out_shape(a, mask, source):
        return _broadcast(a, mask)

    @classmethod
    def forward(cls, ctx, a, mask, source):
        ctx.shape, ctx.mask, ctx.src_shape = a.shape, mask, source.shape
        xp = array_module(a)
        shape = _broadcast(a, mask)
        out = dense(xp.array(xp.broadcast_to(a, shape), order="C", copy=True), xp)
        cls.kernel(out, mask, source)
        return out

    @staticmethod
    def kernel(out, mask, source):
        xp = array_module(out)
        if mask.shape != out.shape:
            mask = xp.broadcast_to(mask, out.shape)
        n = int(mask.sum())
        if n > source.size:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        out[mask] = source.reshape(-1)[:n]

    @staticmethod
    def backward(ctx, grad):
        mask = _wrap(ctx.mask, _bool, grad._device)
        g_self = g_src = None
        if ctx.needs_input_grad[0]:
            g_self = sum_to_shape(grad.masked_fill(mask, 0), ctx.shape)
        if ctx.needs_input_grad[2]:
            picked = masked_select(grad, mask)
            numel = 1
            for n in ctx.src_shape:
                numel *= n
            g_src = _pad_to(picked, (numel,)).reshape(ctx.src_shape)
        return g_self, None, g_src


def _masked_scatter_args(input, mask, source):
    if not isinstance(mask, Tensor) or mask._dtype is not _bool:
        if isinstance(mask, Tensor):
            raise RuntimeError(
                "masked_scatter_ only supports boolean masks, but got mask with dtype "
                f"{_MASK_NAMES.get(mask._dtype, mask._dtype.name)}"
            )
        raise TypeError(
            f"masked_scatter(): argument 'mask' must be Tensor, not {type(mask).__name__}"
        )
    if source._dtype is not input._dtype:
        raise RuntimeError(
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{_TYPE_NAMES[input._dtype]} and {_TYPE_NAMES[source._dtype]}"
        )
    return (mask, source)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` (broadcast with ``mask``) with ``source``'s leading entries, in
    order, written where ``mask`` is True."""
    return MaskedScatter.apply(input, *_masked_scatter_args(input, mask, source))


def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    return _inplace(self, MaskedScatter, _masked_scatter_args(self, mask, source), {})


# -- nonzero --------------------------------------------------------------------------------


def nonzero(input: Tensor, *, as_tuple: bool = False, out=None):
    """The indices of the nonzero entries: an ``(n, ndim)`` int64 tensor, or (``as_tuple``)
    one 1-D tensor per dim."""
    a = input._data
    xp = for_device(input._device).xp
    a = xp.asarray(a)
    flat = xp.flatnonzero(a)
    n = flat.shape[0]
    k = a.ndim
    cols = (flat,) if k <= 1 else xp.unravel_index(flat, a.shape)
    # PyTorch fills an (ndim, n) buffer and returns its transpose; the tuple form is the
    # columns of that result, views into the one buffer.
    arr = _empty_strided(xp, (n, max(k, 1)), (1, n), _int64.np)
    for j, c in enumerate(cols):
        arr[:, j] = c
    r = _wrap(arr, _int64, input._device)
    if as_tuple:
        return r.unbind(1)
    if k == 0:
        r = r[:, :0]
    return r if out is None else _store(out, r)


def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``: one row of indices per nonzero entry."""
    return nonzero(input)


# -- installing -----------------------------------------------------------------------------


_METHODS = {
    "index_select": index_select,
    "gather": gather,
    "take": take,
    "take_along_dim": take_along_dim,
    "scatter": scatter,
    "scatter_": scatter_,
    "scatter_add": scatter_add,
    "scatter_add_": scatter_add_,
    "scatter_reduce": scatter_reduce,
    "scatter_reduce_": scatter_reduce_,
    "index_add": index_add,
    "index_add_": index_add_,
    "index_copy": index_copy,
    "index_copy_": index_copy_,
    "index_fill": index_fill,
    "index_fill_": index_fill_,
    "index_put": index_put,
    "index_put_": index_put_,
    "put": put,
    "put_": put_,
    "masked_fill": masked_fill,
    "masked_fill_": masked_fill_,
    "masked_select": masked_select,
    "masked_scatter": masked_scatter,
    "masked_scatter_": masked_scatter_,
    "nonzero": nonzero,
    "argwhere": argwhere,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
