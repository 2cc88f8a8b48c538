"""Joining and copying ops: cat/stack and their h/v/d/column forms, repeat, tile,
repeat_interleave, flip, roll, rot90, tril/triu, diag, diag_embed, diagflat, and the
broadcasting helpers (broadcast_tensors, broadcast_shapes, meshgrid, cartesian_prod,
atleast_nd).

Unlike the views of ``shape.py`` these make new tensors, laid out as PyTorch lays them out
(``cat`` keeps a common channels-last layout, ``flip`` its input's layout, the rest come out
row-major).  Each primitive's backward slices, sums or rearranges the gradient with ember ops.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

from ember import _dtype
from ember._tensor import (
    Size,
    Tensor,
    _empty_strided,
    _format_strides,
    _preserved_strides,
    _suggest_memory_format,
    _wrap,
    _wrap_dim,
    contiguous_format,
)
from ember.autograd.function import Primitive
from ember.backend import array_module, for_device
from ember.ops._util import cast, check_same_device, write_inplace
from ember.ops.elementwise import shape_error, store_out, unsupported
from ember.ops.reduce import dense

# -- cat and stack --------------------------------------------------------------------------


def _join_inputs(name: str, tensors) -> list[Tensor]:
    """The tensor list of cat/stack, with PyTorch's TypeErrors for anything else."""
    if (
        type(tensors) is not list
        and type(tensors) is not tuple
        and (isinstance(tensors, Tensor) or not isinstance(tensors, Sequence))
    ):
        raise TypeError(
            f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
            f"{type(tensors).__name__}"
        )
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
    return list(tensors)


def _common_dtype(tensors) -> _dtype.dtype:
    dt = tensors[0]._dtype
    for t in tensors[1:]:
        if t._dtype is not dt:
            dt = _dtype.promote_types(dt, t._dtype)
    return dt


def _cast_all(tensors, dt) -> list[Tensor]:
    first = tensors[0]
    out = []
    for t in tensors:
        if t._device is not first._device:
            check_same_device(first, t)
        out.append(t if t._dtype is dt else cast(t, dt))
    return out


def _output_format(tensors):
    """PyTorch's cat layout: the inputs' common suggested memory format, else row-major."""
    if tensors[0]._data.ndim not in (4, 5):
        return contiguous_format
    fmt = _suggest_memory_format(tensors[0])
    for t in tensors[1:]:
        if _suggest_memory_format(t) is not fmt:
            return contiguous_format
    return fmt


def _concat(arrays, dim: int, fmt):
    xp = array_module(arrays[0])
    if fmt is contiguous_format:
        return dense(xp.concatenate(arrays, axis=dim), xp)
    shape = list(arrays[0].shape)
    shape[dim] = sum(a.shape[dim] for a in arrays)
    out = _empty_strided(xp, shape, _format_strides(shape, fmt), arrays[0].dtype)
    start = 0
    lead = (slice(None),) * dim
    for a in arrays:
        out[lead + (slice(start, start + a.shape[dim]),)] = a
        start += a.shape[dim]
    return out


def _is_legacy_empty(a) -> bool:
    return a.ndim == 1 and a.shape[0] == 0


class Cat(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, *arrays, dim, fmt):
        ctx.dim = dim
        ctx.sizes = [None if _is_legacy_empty(a) else a.shape[dim] for a in arrays]
        parts = [a for a in arrays if not _is_legacy_empty(a)]
        if not parts:
            return dense(arrays[0].copy(), array_module(arrays[0]))
        return _concat(parts, dim, fmt)

    @staticmethod
    def backward(ctx, grad):
        grads, start = [], 0
        for size, need in zip(ctx.sizes, ctx.needs_input_grad, strict=True):
            if size is None:
                grads.append(grad.new_zeros((0,)) if need else None)
                continue
            grads.append(grad.narrow(ctx.dim, start, size) if need else None)
            start += size
        return tuple(grads)


def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Concatenate tensors along an existing ``dim``, promoting to their common dtype.

    1-D empty tensors are skipped whatever the others' shapes (PyTorch's legacy rule).
    """
    tensors = _join_inputs("cat", tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    kept = [t for t in tensors if not _is_legacy_empty(t._data)]
    ref = kept[0] if kept else tensors[0]
    ndim = ref._data.ndim
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    d = _wrap_dim(dim, ndim)
    shape = ref._data.shape
    for t in kept:
        s = t._data.shape
        if s != shape and (len(s) != ndim or s[:d] != shape[:d] or s[d + 1 :] != shape[d + 1 :]):
            _cat_shape_error(next(i for i, u in enumerate(tensors) if u is t), s, shape, d)
    dt = _common_dtype(tensors)
    fmt = _output_format(kept) if kept else contiguous_format
    r = Cat.apply(*_cast_all(tensors, dt), dim=d, fmt=fmt)
    return r if out is None else store_out(out, r)


def _cat_shape_error(i: int, s, shape, d: int):
    if len(s) != len(shape):
        raise RuntimeError(
            f"Tensors must have same number of dimensions: got {len(shape)} and {len(s)}"
        )
    j = next(j for j in range(len(s)) if j != d and s[j] != shape[j])
    raise RuntimeError(
        f"Sizes of tensors must match except in dimension {d}. Expected size {shape[j]} but "
        f"got size {s[j]} for tensor number {i} in the list."
    )


concat = cat
concatenate = cat


class Stack(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, *arrays, dim, fmt):
        ctx.dim = dim
        shape = arrays[0].shape
        if dim < len(shape):
            # As PyTorch: concatenate along ``dim`` and split that dim by a view.
            joined = _concat(arrays, dim, fmt)
            return joined.reshape(shape[:dim] + (len(arrays),) + shape[dim:])
        return _concat([a[..., None] for a in arrays], dim, contiguous_format)

    @staticmethod
    def backward(ctx, grad):
        return tuple(
            grad.select(ctx.dim, i) if need else None for i, need in enumerate(ctx.needs_input_grad)
        )


def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join same-shaped tensors along a new dimension ``dim``."""
    tensors = _join_inputs("stack", tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}"
            )
    d = _wrap_dim(dim, len(shape) + 1)
    fmt = _output_format(tensors) if d < len(shape) else contiguous_format
    r = Stack.apply(*_cast_all(tensors, _common_dtype(tensors)), dim=d, fmt=fmt)
    return r if out is None else store_out(out, r)


def _atleast(fn, tensors):
    if len(tensors) == 1:
        t = tensors[0]
        if isinstance(t, Sequence):
            return tuple(fn(x) for x in t)
        return fn(t)
    return tuple(fn(x) for x in tensors)


def _at1(t: Tensor) -> Tensor:
    return t.reshape(1) if t._data.ndim == 0 else t


def _at2(t: Tensor) -> Tensor:
    n = t._data.ndim
    return t.reshape(1, 1) if n == 0 else t.unsqueeze(0) if n == 1 else t


def _at3(t: Tensor) -> Tensor:
    n = t._data.ndim
    if n == 0:
        return t.reshape(1, 1, 1)
    if n == 1:
        return t.unsqueeze(0).unsqueeze(-1)
    return t.unsqueeze(-1) if n == 2 else t


def atleast_1d(*tensors):
    """``tensors`` with 0-dim ones made 1-D (the same tensor when already at least 1-D)."""
    return _atleast(_at1, tensors)


def atleast_2d(*tensors):
    """``tensors`` viewed with at least 2 dims (a 1-D tensor becomes a row)."""
    return _atleast(_at2, tensors)


def atleast_3d(*tensors):
    """``tensors`` viewed with at least 3 dims (``(n,)`` becomes ``(1, n, 1)``)."""
    return _atleast(_at3, tensors)


def hstack(tensors, *, out=None) -> Tensor:
    """Concatenate column-wise: along dim 0 for 1-D tensors, else dim 1."""
    tensors = [_at1(t) for t in _join_inputs("hstack", tensors)]
    dim = 0 if tensors and tensors[0]._data.ndim == 1 else 1
    return cat(tensors, dim, out=out)


def vstack(tensors, *, out=None) -> Tensor:
    """Concatenate row-wise (1-D tensors become rows)."""
    return cat([_at2(t) for t in _join_inputs("vstack", tensors)], 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None) -> Tensor:
    """Concatenate depth-wise, along dim 2 of the tensors made at least 3-D."""
    return cat([_at3(t) for t in _join_inputs("dstack", tensors)], 2, out=out)


def column_stack(tensors, *, out=None) -> Tensor:
    """Concatenate as columns: 0-D and 1-D tensors become ``(n, 1)`` columns."""
    tensors = _join_inputs("column_stack", tensors)
    cols = [t.reshape(t._data.size, 1) if t._data.ndim <= 1 else t for t in tensors]
    return cat(cols, 1, out=out)


# -- repeat, tile, repeat_interleave --------------------------------------------------------


def _sizes(args, name: str) -> tuple[int, ...]:
    if not args:
        raise TypeError(f'{name}() missing 1 required positional arguments: "repeats"')
    if len(args) == 1 and isinstance(args[0], Sequence | Tensor):
        args = args[0]
        if isinstance(args, Tensor):
            args = args.tolist()
    try:
        return tuple(operator.index(s) for s in args)
    except TypeError:
        raise TypeError(
            f"{name}(): argument 'repeats' must be tuple of ints, got {args!r}"
        ) from None


class Repeat(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, repeats):
        ctx.shape, ctx.repeats = a.shape, repeats
        xp = array_module(a)
        return dense(xp.tile(a, repeats), xp)

    @staticmethod
    def backward(ctx, grad):
        shape, reps = ctx.shape, ctx.repeats
        padded = (1,) * (len(reps) - len(shape)) + tuple(shape)
        split = []
        for r, s in zip(reps, padded, strict=True):
            split += [r, s]
        g = grad.reshape(split).sum(tuple(range(0, len(split), 2)))
        return g.reshape(shape)


def repeat(input: Tensor, *sizes) -> Tensor:
    """Tile ``input``: ``sizes[i]`` copies along dim ``i`` (extra leading sizes add dims)."""
    reps = _sizes(sizes, "repeat")
    ndim = input._data.ndim
    if len(reps) < ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    shape = (1,) * (len(reps) - ndim) + tuple(input._data.shape)
    target = [r * s for r, s in zip(reps, shape, strict=True)]
    if any(r < 0 for r in reps):
        bad = next((n for n in target if n < 0), min(reps))
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {target}")
    return Repeat.apply(input, repeats=reps)


def tile(input: Tensor, dims) -> Tensor:
    """``repeat`` with ``dims`` padded by leading ones to ``input``'s number of dims."""
    reps = _sizes((dims,), "tile")
    ndim = input._data.ndim
    if len(reps) < ndim:
        reps = (1,) * (ndim - len(reps)) + reps
    return repeat(input, reps)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Repeat each element ``repeats`` times (an int, or one count per element) along
    ``dim``; with ``dim=None`` the input is flattened first.  ``repeat_interleave(counts)``
    alone gives ``arange(len(counts))`` repeated by ``counts``."""
    from ember.ops.index import index_select, take

    if repeats is None:
        counts = input
        return _interleave_index(counts, counts._data.shape[0], output_size)
    if dim is not None and input._data.ndim == 0:
        if isinstance(repeats, Tensor):
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        _wrap_dim(_wrap_dim(dim, 0) + 1, 0)  # PyTorch unsqueezes after dim first
    flat = dim is None or input._data.ndim == 0
    if flat:
        n = input._data.size
    else:
        n = input._data.shape[_wrap_dim(dim, input._data.ndim)]
    if isinstance(repeats, Tensor):
        if repeats._data.ndim == 0 or repeats._data.size == 1 and repeats._data.ndim == 1:
            repeats = int(repeats.item())
        else:
            if repeats._data.ndim != 1:
                raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
            if repeats._data.shape[0] != n:
                d = 0 if flat else _wrap_dim(dim, input._data.ndim)
                raise RuntimeError(
                    "repeats must have the same size as input along dim, but got "
                    f"repeats.size(0) = {repeats._data.shape[0]} and input.size({d}) = {n}"
                )
            index = _interleave_index(repeats, n, output_size)
    if not isinstance(repeats, Tensor):
        repeats = operator.index(repeats)
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        xp = for_device(input._device).xp
        arr = xp.repeat(xp.arange(n, dtype=_dtype.int64.np), repeats)
        index = _wrap(arr, _dtype.int64, input._device)
    if flat:
        return take(input, index)
    return index_select(input, dim, index)


def _interleave_index(counts: Tensor, n: int, output_size) -> Tensor:
    if counts._dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError("repeats has to be Long or Int tensor")
    if counts._data.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    xp = for_device(counts._device).xp
    c = counts._data
    if c.size and c.min() < 0:
        raise RuntimeError("repeats can not be negative")
    arr = xp.repeat(xp.arange(n, dtype=c.dtype), c)
    if output_size is not None and arr.shape[0] != output_size:
        raise RuntimeError("allocated size does not match required size")
    return _wrap(dense(arr, xp), counts._dtype, counts._device)


# -- flip, roll, rot90 ----------------------------------------------------------------------


def _like(values, like):
    """A copy of ``values`` laid out as PyTorch lays out a new tensor made like ``like``."""
    xp = array_module(values)
    if like.flags.c_contiguous and like.size and 1 not in like.shape:
        return xp.array(values, order="C")
    item = like.itemsize
    strides = _preserved_strides(like.shape, tuple(s // item for s in like.strides))
    out = _empty_strided(xp, like.shape, strides, like.dtype)
    out[...] = values
    return out


class Flip(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return _like(array_module(a).flip(a, dims) if dims else a, a)

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, dims=ctx.dims)


def flip(input: Tensor, *dims) -> Tensor:
    """Reverse the order of elements along ``dims``."""
    if len(dims) == 1 and isinstance(dims[0], Sequence):
        dims = dims[0]
    ndim = input._data.ndim
    wrapped = tuple(_wrap_dim(d, ndim) for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"dim {wrapped[0]} appears multiple times in the list of dims")
    if ndim == 0:
        wrapped = ()
    return Flip.apply(input, dims=wrapped)


def fliplr(input: Tensor) -> Tensor:
    """Flip left to right (dim 1)."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return Flip.apply(input, dims=(1,))


def flipud(input: Tensor) -> Tensor:
    """Flip upside down (dim 0)."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return Flip.apply(input, dims=(0,))


class Roll(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        xp = array_module(a)
        if not a.size:
            return _like(a, a) if dims is not None else dense(xp.array(a, order="C"), xp)
        if dims is None:
            return xp.roll(a.reshape(-1), shifts[0]).reshape(a.shape)
        return dense(xp.roll(a, shifts, dims), xp)

    @staticmethod
    def backward(ctx, grad):
        return Roll.apply(grad, shifts=tuple(-s for s in ctx.shifts), dims=ctx.dims)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Rotate elements along ``dims`` by ``shifts`` (over the flattened tensor if no dims)."""
    shifts = (operator.index(shifts),) if not isinstance(shifts, Sequence) else tuple(shifts)
    if dims is not None:
        dims = (dims,) if not isinstance(dims, Sequence) else tuple(dims)
    ndims = 0 if dims is None else len(dims)
    if (
        not shifts
        or (dims is None and len(shifts) != 1)
        or (dims is not None and ndims != len(shifts))
    ):
        if not shifts:
            raise RuntimeError("`shifts` required")
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{ndims}")
    if dims is not None:
        ndim = input._data.ndim
        if ndim == 0:
            raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
        dims = tuple(_wrap_dim(d, ndim) for d in dims)
    return Roll.apply(input, shifts=shifts, dims=dims)


class Rot90(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, k, dims):
        ctx.k, ctx.dims = k, dims
        xp = array_module(a)
        d0, d1 = dims
        if k == 0:
            return dense(xp.array(a, order="C"), xp)
        if k == 2:
            return _like(xp.flip(a, dims), a)
        flipped = _like(xp.flip(a, d1 if k == 1 else d0), a)
        return flipped.swapaxes(d0, d1)

    @staticmethod
    def backward(ctx, grad):
        return Rot90.apply(grad, k=(4 - ctx.k) % 4, dims=ctx.dims)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (from the first toward the
    second)."""
    dims = tuple(dims)
    ndim = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    if dims[0] == dims[1] or abs(dims[0] - dims[1]) == ndim:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}"
        )
    wrapped = (_wrap_dim(dims[0], ndim), _wrap_dim(dims[1], ndim))
    return Rot90.apply(input, k=operator.index(k) % 4, dims=wrapped)


# -- triangles and diagonals ----------------------------------------------------------------


class Tril(Primitive):
    save_inputs = False
    upper = False

    @staticmethod
    def forward(ctx, a, diagonal):
        ctx.diagonal = diagonal
        xp = array_module(a)
        n, m = a.shape[-2:]
        if ctx.upper:
            mask = ~xp.tri(n, m, diagonal - 1, dtype=bool)
        else:
            mask = xp.tri(n, m, diagonal, dtype=bool)
        return dense(xp.where(mask, a, xp.zeros((), a.dtype)), xp)

    @staticmethod
    def backward(ctx, grad):
        return type(ctx).apply(grad, diagonal=ctx.diagonal)


class Triu(Tril):
    upper = True


def tril(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """The lower triangle of the last two dims (on and below ``diagonal``), zeros above."""
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    r = Tril.apply(input, diagonal=operator.index(diagonal))
    return r if out is None else store_out(out, r)


def triu(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """The upper triangle of the last two dims (on and above ``diagonal``), zeros below."""
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    r = Triu.apply(input, diagonal=operator.index(diagonal))
    return r if out is None else store_out(out, r)


def _tri_indices(fn_name, row, col, offset, dtype, device):
    from ember._device import device as _device

    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dev = _device("cpu" if device is None else device)
    xp = for_device(dev).xp
    rows, cols = getattr(xp, fn_name)(row, offset, col)
    dt = _dtype.int64 if dtype is None else dtype
    if dt.is_floating_point or dt.is_complex or dt is _dtype.bool:
        raise unsupported(fn_name, dt)
    arr = xp.stack([rows, cols]).astype(dt.np)
    return _wrap(dense(arr, xp), dt, dev)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None):
    """The (2, N) coordinates of the lower triangle of a ``row`` x ``col`` matrix, row-major."""
    return _tri_indices("tril_indices", row, col, offset, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None):
    """The (2, N) coordinates of the upper triangle of a ``row`` x ``col`` matrix, row-major."""
    return _tri_indices("triu_indices", row, col, offset, dtype, device)


def _diagonal_view(arr, offset: int, d1: int, d2: int):
    """A writable view of the diagonal of ``arr`` over dims ``d1``, ``d2`` (as the last dim),
    or None when it is empty."""
    shape, st = arr.shape, arr.strides
    if offset >= 0:
        length = min(shape[d1], shape[d2] - offset)
        start = (slice(None),) * d2 + (slice(offset, None),)
    else:
        length = min(shape[d1] + offset, shape[d2])
        start = (slice(None),) * d1 + (slice(-offset, None),)
    keep = [i for i in range(arr.ndim) if i not in (d1, d2)]
    new_shape = tuple(shape[i] for i in keep) + (length,)
    if length <= 0 or 0 in new_shape:
        return None
    new_strides = tuple(st[i] for i in keep) + (st[d1] + st[d2],)
    return array_module(arr).lib.stride_tricks.as_strided(arr[start], new_shape, new_strides)


class DiagEmbed(Primitive):
    """Zeros of ``shape`` with ``a``'s last dim written on a diagonal (``diag_embed``, and
    the backward of taking a diagonal)."""

    save_inputs = False

    @staticmethod
    def forward(ctx, a, offset, dim1, dim2, shape, flat=False):
        ctx.args, ctx.in_shape = (offset, dim1, dim2), a.shape
        xp = array_module(a)
        out = xp.zeros(shape, a.dtype)
        view = _diagonal_view(out, offset, dim1, dim2)
        if view is not None:
            view[...] = a.reshape(-1) if flat else a
        return dense(out, xp)

    @staticmethod
    def backward(ctx, grad):
        offset, dim1, dim2 = ctx.args
        g = DiagonalCopy.apply(grad, offset=offset, dim1=dim1, dim2=dim2)
        return g.reshape(ctx.in_shape) if tuple(g.shape) != tuple(ctx.in_shape) else g


class DiagonalCopy(Primitive):
    """A copy of a diagonal (``diag`` of a matrix)."""

    save_inputs = False

    def name(self) -> str:
        return "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, a, offset, dim1, dim2):
        ctx.args, ctx.shape = (offset, dim1, dim2), a.shape
        xp = array_module(a)
        return dense(xp.diagonal(a, offset, dim1, dim2).copy(), xp)

    @staticmethod
    def backward(ctx, grad):
        offset, dim1, dim2 = ctx.args
        return DiagEmbed.apply(grad, offset=offset, dim1=dim1, dim2=dim2, shape=ctx.shape)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Tensors whose diagonals (over ``dim1``, ``dim2``) hold ``input``'s last dim."""
    ndim = input._data.ndim + 1
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _diag_embed(input, operator.index(offset), d1, d2)


def _diag_embed(input: Tensor, offset: int, d1: int, d2: int, flat: bool = False) -> Tensor:
    src = input._data.shape
    n = input._data.size if flat else src[-1] if src else 1
    m = n + abs(offset)
    shape = [] if flat else list(src[:-1])
    lo, hi = min(d1, d2), max(d1, d2)
    shape.insert(lo, m)
    shape.insert(hi, m)
    return DiagEmbed.apply(
        input, offset=offset, dim1=d1, dim2=d2, shape=tuple(shape), flat=flat or not src
    )


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A matrix with the flattened ``input`` on diagonal ``offset``."""
    return _diag_embed(input, operator.index(offset), 0, 1, flat=True)


def diag(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """A 1-D tensor made the ``diagonal``-th diagonal of a square matrix, or a matrix's
    ``diagonal``-th diagonal as a 1-D tensor."""
    ndim = input._data.ndim
    if ndim == 1:
        r = _diag_embed(input, operator.index(diagonal), 0, 1)
    elif ndim == 2:
        r = DiagonalCopy.apply(input, offset=operator.index(diagonal), dim1=0, dim2=1)
    else:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")
    return r if out is None else store_out(out, r)


# -- broadcasting helpers -------------------------------------------------------------------


def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of ``shapes`` broadcast to (ints count as 1-D shapes)."""
    norm = [(operator.index(s),) if not isinstance(s, Sequence) else tuple(s) for s in shapes]
    out = []
    for i, s in enumerate(norm):
        if any(n < 0 for n in s):
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {min(s)}: {list(s)}"
            )
        grow = len(s) - len(out)
        if grow > 0:
            out = [1] * grow + out
        for j, n in enumerate(s, len(out) - len(s)):
            if out[j] == 1:
                out[j] = n
            elif n != 1 and n != out[j]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {n} at {j - len(out)}! "
                    f"Mismatching argument at index {i} had {s}; but expected shape should be "
                    f"broadcastable to {out}"
                )
    return Size(out)


def broadcast_tensors(*tensors) -> tuple:
    """Views of ``tensors`` expanded to their common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], Sequence):
        tensors = tuple(tensors[0])
    shapes = [t._data.shape for t in tensors]
    try:
        shape = for_device(tensors[0]._device).xp.broadcast_shapes(*shapes) if shapes else ()
    except ValueError:
        raise shape_error(*shapes) from None
    return tuple(t if t._data.shape == shape else t.expand(shape) for t in tensors)


def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-D (or 0-D) tensors: output ``i`` varies along dim ``i``
    (``indexing='ij'``) or, for the first two, with dims 0 and 1 swapped (``'xy'``)."""
    import warnings

    if len(tensors) == 1 and isinstance(tensors[0], Sequence):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}"
            )
        if t._dtype is not tensors[0]._dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        check_same_device(tensors[0], t)
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    grid = [t._data.size for t in ts]
    out = []
    for i, t in enumerate(ts):
        view_shape = [1] * len(ts)
        view_shape[i] = -1
        out.append(t.reshape(view_shape).expand(grid))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def cartesian_prod(*tensors) -> Tensor:
    """All combinations of one element from each 1-D tensor, as rows (like itertools.product)."""
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


# -- installing -----------------------------------------------------------------------------


def _tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    return write_inplace(self, tril(self, diagonal))


def _triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    return write_inplace(self, triu(self, diagonal))


_METHODS = {
    "repeat": repeat,
    "tile": tile,
    "repeat_interleave": repeat_interleave,
    "flip": flip,
    "fliplr": fliplr,
    "flipud": flipud,
    "roll": roll,
    "rot90": rot90,
    "tril": tril,
    "triu": triu,
    "tril_": _tril_,
    "triu_": _triu_,
    "diag": diag,
    "diag_embed": diag_embed,
    "diagflat": diagflat,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
