"""Python's indexing protocol: ``t[index]`` and ``t[index] = value``, by PyTorch's rules.

The basic items of an index (ints, slices, ``None``, ``...``) make a view; PyTorch applies
them first, ints as ``select``, so ``t[1, :, [0, 2]]`` has shape (5, 2) where NumPy gives
(2, 5).  What remains is advanced indexing by integer tensors and boolean masks, which
copies (``t[index]``) or writes (``t[index] = value``).  A copy is laid out as PyTorch's
TensorIterator lays out its output: following the input's memory order.
"""

from __future__ import annotations

import numbers
import operator
import warnings

from ember import _dtype
from ember._factories import tensor as _tensor_from_data
from ember._tensor import (
    Tensor,
    _empty_strided,
    _is_non_overlapping_and_dense,
    _preserved_strides,
    _wrap,
    contiguous_strides,
)
from ember.autograd import grad_mode
from ember.autograd.function import Primitive
from ember.backend import array_module, for_device
from ember.ops._util import (
    _TYPE_NAMES,
    cast,
    check_inplace,
    commit_inplace,
    needs_history,
    scalar_tensor,
    sum_to_shape,
)
from ember.ops.shape import (
    _PARTIAL_OVERLAP,
    Alias,
    Select,
    Slice,
    _check_internal_overlap,
    _fill_value,
    _geometry,
    _node,
    _overlap,
    _tracked,
    _view,
    _view_strides,
    copy_,
    expand,
    fill_,
)
from ember.ops.shape import (
    view as _reshape_view,
)

_NONE, _ELLIPSIS, _BOOL, _INT, _SLICE, _TENSOR = range(6)
_MASK_DTYPES = (_dtype.bool, _dtype.uint8)


# -- parsing: the basic part ----------------------------------------------------------------


def _as_index_tensor(item) -> Tensor:
    """A non-tensor index (a list, a NumPy array, a float) as the tensor PyTorch makes of it."""
    if isinstance(item, list | tuple) and not item:
        return _tensor_from_data([], dtype=_dtype.int64)
    t = _tensor_from_data(item)
    if t._dtype.is_floating_point or t._dtype.is_complex:
        raise IndexError(
            "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
            f"valid indices (got {type(item).__name__})"
        )
    return t


def _classify(item):
    """(kind, value) of one index item; 0-dim integer tensors act as ints, 0-dim masks as bools."""
    if item is None:
        return _NONE, None
    if item is Ellipsis:
        return _ELLIPSIS, None
    if item is True or item is False:
        return _BOOL, item
    if type(item) is int:
        return _INT, item
    if type(item) is slice:
        return _SLICE, item
    if not isinstance(item, Tensor):
        if hasattr(item, "__index__") and getattr(item, "ndim", 0) == 0:
            return _INT, operator.index(item)
        item = _as_index_tensor(item)
    if item._data.ndim == 0 and not (item._dtype.is_floating_point or item._dtype.is_complex):
        if item._dtype in _MASK_DTYPES:
            return _BOOL, bool(item.item())
        return _INT, int(item.item())
    return _TENSOR, item


def _sequence_as_tuple(index: list) -> bool:
    """PyTorch's (and old NumPy's) rule: a short list holding slices, lists, tensors, ``None``
    or ``...`` is a tuple of indices, not one index."""
    if len(index) >= 32:
        return False
    return any(
        isinstance(i, Tensor | list | tuple | slice) or i is None or i is Ellipsis for i in index
    )


def _parse(t: Tensor, index):
    """PyTorch's applySlicing: the (shape, strides, byte offset) of the view the basic items
    make, and the advanced items as (dim of that view, tensor or bool) pairs."""
    if type(index) is not tuple:
        index = tuple(index) if type(index) is list and _sequence_as_tuple(index) else (index,)
    items = [_classify(i) for i in index]
    shape, strides, off = _geometry(t)
    ndim = len(shape)
    specified = 0
    for kind, value in items:
        if kind is _INT or kind is _SLICE:
            specified += 1
        elif kind is _TENSOR:
            specified += value._data.ndim if value._dtype in _MASK_DTYPES else 1
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    itemsize = t._dtype.itemsize
    advanced = []
    dim = 0
    for kind, value in items:
        if kind is _ELLIPSIS:
            dim += ndim - specified
            continue
        if kind is _NONE or kind is _BOOL:
            stride = shape[dim] * strides[dim] if dim < len(shape) else 1
            shape.insert(dim, 1)
            strides.insert(dim, stride)
            if kind is _BOOL:
                advanced.append((dim, value))
            dim += 1
            continue
        if kind is _TENSOR:
            advanced.append((dim, value))
            dim += value._data.ndim if value._dtype in _MASK_DTYPES else 1
            continue
        if dim >= len(shape):
            raise IndexError(f"too many indices for tensor of dimension {ndim}")
        size = shape[dim]
        if kind is _INT:
            if not -size <= value < size:
                raise IndexError(
                    f"index {value} is out of bounds for dimension {dim} with size {size}"
                )
            off += (value + size if value < 0 else value) * strides[dim] * itemsize
            del shape[dim], strides[dim]
        else:
            if value.step is not None and operator.index(value.step) <= 0:
                raise ValueError("step must be greater than zero")
            start, stop, step = value.indices(size)
            off += start * strides[dim] * itemsize
            shape[dim] = max(0, (stop - start + step - 1) // step)
            strides[dim] *= step
            dim += 1
    return shape, strides, off, advanced


# -- the advanced part ----------------------------------------------------------------------


class _Advanced:
    """PyTorch's make_info for a view and its advanced items: one index array per indexed dim,
    broadcast together and moved next to each other (to the front when they were apart)."""

    __slots__ = ("arr", "key", "shape", "before", "common", "src_strides", "index_strides",
                 "order")  # fmt: skip

    def __init__(self, view: Tensor, advanced):
        xp = for_device(view._device).xp
        shape, strides = list(view._data.shape), list(view.stride())
        per_dim = [None] * len(shape)  # (index array, its strides as PyTorch's tensor has them)
        for dim, item in advanced:
            if item is True or item is False:
                per_dim[dim] = (xp.zeros(1 if item else 0, _dtype.int64.np), (1,))
                continue
            if item._device != view._device:
                raise RuntimeError(
                    f"indices should be either on cpu or on the same device as the indexed "
                    f"tensor ({view._device})"
                )
            dt = item._dtype
            if dt in _MASK_DTYPES:
                if dt is _dtype.uint8:
                    warnings.warn(
                        "indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                        "torch.bool instead.",
                        UserWarning,
                        stacklevel=3,
                    )
                mask = item._data
                for j, n in enumerate(mask.shape):
                    if n != shape[dim + j]:
                        raise IndexError(
                            f"The shape of the mask {list(mask.shape)} at index {j} does not "
                            f"match the shape of the indexed tensor {shape} at index {dim + j}"
                        )
                # nonzero() gives an (n, k) tensor; each index is one of its columns.
                for j, column in enumerate(xp.nonzero(mask)):
                    per_dim[dim + j] = (column, (mask.ndim,))
            elif dt is _dtype.int64 or dt is _dtype.int32:
                per_dim[dim] = (item._data, item.stride(), dt is _dtype.int32)
            else:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        dims = [d for d in range(len(shape)) if per_dim[d] is not None]
        common = _broadcast_index_shapes([per_dim[d][0].shape for d in dims])
        arr = view._data
        self.order = None
        if dims[-1] - dims[0] + 1 != len(dims):
            order = self.order = dims + [d for d in range(len(shape)) if per_dim[d] is None]
            arr = arr.transpose(order)
            shape, strides, per_dim = ([x[d] for d in order] for x in (shape, strides, per_dim))
            dims = list(range(len(dims)))
        before, end = dims[0], dims[-1] + 1
        if 0 in shape[before:end] and 0 not in common:
            raise IndexError("index is out of bounds for dimension with size 0")
        self.arr = arr
        self.key = tuple(slice(None) if p is None else p[0] for p in per_dim[:end])
        self.shape = shape[:before] + common + shape[end:]
        self.before = before
        self.common = common
        self.src_strides = strides[:before] + [0] * len(common) + strides[end:]
        self.index_strides = [_expanded_strides(per_dim[d], common) for d in dims]

    def read(self):
        try:
            return self.arr[self.key]
        except IndexError as exc:
            raise IndexError(str(exc).replace("axis", "dimension")) from None

    def out_strides(self) -> list[int]:
        """The strides of PyTorch's result, from the TensorIterator over source and indices."""
        shape, before, common = self.shape, self.before, self.common
        index_shape = [1] * before + common + [1] * (len(shape) - before - len(common))
        operands = [(shape, self.src_strides)]
        for st in self.index_strides:
            reshaped = _view_strides(common, st, index_shape)  # PyTorch's reshape_indexer
            operands.append((index_shape, reshaped or list(contiguous_strides(index_shape))))
        if index_shape == shape:  # TensorIterator's fast set-up: all operands one shape
            if all(_is_contiguous(shape, st) for _, st in operands):
                return list(contiguous_strides(shape))
            first = operands[-1][1]
            if all(
                _is_non_overlapping_and_dense(shape, st) and list(st) == list(first)
                for _, st in operands
            ):
                return list(first)
        broadcast = [
            [0 if n == 1 and s != 1 else st for n, s, st in zip(op_shape, shape, op_strides)]
            for op_shape, op_strides in operands
        ]
        return _iterator_strides(shape, broadcast)


def _broadcast_index_shapes(shapes) -> list[int]:
    ndim = max(len(s) for s in shapes)
    out = [1] * ndim
    for s in shapes:
        for i, n in enumerate(s, ndim - len(s)):
            if out[i] == 1:
                out[i] = n
            elif n != 1 and n != out[i]:
                listed = ", ".join(str(list(x)) for x in shapes)
                raise IndexError(
                    "shape mismatch: indexing tensors could not be broadcast together with "
                    f"shapes {listed}"
                )
    return out


def _expanded_strides(entry, common) -> list[int]:
    """An index tensor's strides once expanded to ``common`` (and made int64, if int32)."""
    arr, strides = entry[0], entry[1]
    lead = len(common) - arr.ndim
    out = [0] * lead + [st if n == c else 0 for n, c, st in zip(arr.shape, common[lead:], strides)]
    if len(entry) > 2 and entry[2]:  # .to(int64) keeps dense strides, else their order
        out = list(_preserved_strides(common, out))
    return out


def _is_contiguous(shape, strides) -> bool:
    """PyTorch's is_contiguous: row-major, ignoring dims of size 1 (and any empty tensor)."""
    if 0 in shape:
        return True
    expected = 1
    for n, st in zip(reversed(shape), reversed(strides)):
        if n != 1:
            if st != expected:
                return False
            expected *= n
    return True


def _iterator_strides(shape, operands) -> list[int]:
    """The strides TensorIterator gives a new output of ``shape``: the dims ordered fastest
    first by the operands' strides (the first operand that can tell decides), as PyTorch's
    reorder_dimensions does; row-major where nothing tells."""
    ndim = len(shape)

    def should_swap(d0, d1):
        for st in operands:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = list(range(ndim - 1, -1, -1))
    for i in range(1, ndim):  # insertion sort that keeps ambiguous pairs in place
        dim1 = i
        for dim0 in range(i - 1, -1, -1):
            c = should_swap(perm[dim0], perm[dim1])
            if c > 0:
                perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
                dim1 = dim0
            elif c < 0:
                break
    if perm == list(range(ndim - 1, -1, -1)):
        return list(contiguous_strides(shape))
    strides = [0] * ndim
    acc = 1
    for d in perm:
        strides[d] = acc
        acc *= shape[d]
    return strides


# -- the protocol ---------------------------------------------------------------------------


class _IndexUnsqueeze(Select):
    """A basic index ending on ``None``: named as PyTorch's last step, but its backward
    scatters through the whole basic index."""

    __slots__ = ()

    def name(self) -> str:
        return "UnsqueezeBackward0"


def _basic_node(index):
    """The node PyTorch's getitem ends on for the basic part of ``index``: the last int
    selects, the last slice slices, the last None unsqueezes (full slices in a tuple are
    skipped), and an index of none of those is an alias."""
    if type(index) is slice:
        return Slice
    items = index if type(index) is tuple else (index,)
    for item in reversed(items):
        kind, value = _classify(item)
        if kind is _INT:
            return Select
        if kind is _SLICE and value != slice(None):
            return Slice
        if kind is _NONE or kind is _BOOL:
            return _IndexUnsqueeze
    return Alias


def _basic_recipe(index):
    def recipe(z):
        shape, strides, off, _ = _parse(z, index)
        return _view(z, shape, strides, off)

    return recipe


def _basic_view(t: Tensor, index, shape, strides, off, advanced) -> Tensor:
    """The view made by the basic items, recorded in the graph when ``t`` requires grad (for
    advanced indexing an identity basic part is ``t`` itself)."""
    if advanced and (shape, strides, off) == _geometry(t):
        return t
    view = _view(t, shape, strides, off)
    if _tracked(t):
        if advanced:
            index = _basic_part(index)
        _node(_basic_node(index), t, view, in_shape=tuple(t._data.shape),
              recipe=_basic_recipe(index))  # fmt: skip
    return view


def _basic_part(index) -> tuple:
    """``index`` with each advanced item replaced by full slices over the dims it indexes."""
    if type(index) is not tuple:
        index = tuple(index) if type(index) is list and _sequence_as_tuple(index) else (index,)
    out = []
    for item in index:
        kind, value = _classify(item)
        if kind is _TENSOR:
            n = value._data.ndim if value._dtype in _MASK_DTYPES else 1
            out.extend([slice(None)] * n)
        elif kind is _BOOL:
            out.append(None)
        else:
            out.append(value if kind is _INT else item)
    return tuple(out)


class Index(Primitive):
    """``src[key]`` for advanced keys; backward adds the gradient back at the indexed places
    (duplicates accumulate)."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, a, key, order, out=None):
        ctx.key, ctx.order, ctx.shape = key, order, a.shape
        if out is not None:
            return out
        return (a if order is None else a.transpose(order))[key]

    @staticmethod
    def backward(ctx, grad):
        return IndexPutAdd.apply(grad, key=ctx.key, order=ctx.order, shape=ctx.shape)


class IndexPutAdd(Primitive):
    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, g, key, order, shape):
        ctx.key, ctx.order = key, order
        out = array_module(g).zeros(shape, g.dtype)
        target = out if order is None else out.transpose(order)
        array_module(g).add.at(target, key, g)
        return out

    @staticmethod
    def backward(ctx, grad):
        return Index.apply(grad, key=ctx.key, order=ctx.order)


class IndexPut(Primitive):
    """``a`` with ``values`` written at the advanced ``key`` (out of place)."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, a, values, key, order):
        ctx.key, ctx.order, ctx.values_shape = key, order, values.shape
        out = a.copy()
        target = out if order is None else out.transpose(order)
        while values.ndim and values.shape[0] == 1:
            values = values[0]
        target[key] = values
        return out

    @staticmethod
    def backward(ctx, grad):
        g_a = g_values = None
        if ctx.needs_input_grad[0]:
            zero = scalar_tensor(0, grad._dtype, grad._device)
            g_a = IndexPut.apply(grad, zero, key=ctx.key, order=ctx.order)
        if ctx.needs_input_grad[1]:
            picked = Index.apply(grad, key=ctx.key, order=ctx.order)
            g_values = sum_to_shape(picked, ctx.values_shape)
        return g_a, g_values


def getitem(t: Tensor, index) -> Tensor:
    """``t[index]``: a view for ints, slices, None and ``...``; a copy for tensor/list indices."""
    shape, strides, off, advanced = _parse(t, index)
    if not advanced:
        view = _view(t, shape, strides, off)
        if _tracked(t):
            _node(_basic_node(index), t, view, in_shape=tuple(t._data.shape),
                  recipe=_basic_recipe(index))  # fmt: skip
        return view
    view = _basic_view(t, index, shape, strides, off, advanced)
    info = _Advanced(view, advanced)
    values = info.read()
    strides = info.out_strides()
    itemsize = t._dtype.itemsize
    if not (values.size and [s // itemsize for s in values.strides] == strides):
        out = _empty_strided(for_device(t._device).xp, info.shape, strides, t._dtype.np)
        out[...] = values
        values = out
    if _tracked(view):
        return Index.apply(view, key=info.key, order=info.order, out=values)
    return _wrap(values, t._dtype, t._device)


def setitem(t: Tensor, index, value) -> None:
    """``t[index] = value``, writing into ``t``'s storage (seen by every view of it)."""
    if index is False:
        return  # PyTorch ignores this assignment outright
    if isinstance(value, Tensor):
        if value._device != t._device and value._data.ndim:
            raise RuntimeError(
                f"expected device {t._device} but got device {value._device} for the assigned "
                "value"
            )
    elif isinstance(value, numbers.Number):
        value = _fill_value(value, t._dtype)
    else:
        raise TypeError(f"can't assign a {type(value).__name__} to a {t.type()}")
    shape, strides, off, advanced = _parse(t, index)
    if grad_mode.enabled and needs_history(t, value if isinstance(value, Tensor) else None):
        _setitem_recorded(t, index, value, shape, strides, off, advanced)
        return
    view = _view(t, shape, strides, off)
    if not advanced:
        _copy_to(view, value)
    else:
        _index_put(view, _Advanced(view, advanced), advanced, value)
        view._bump_version()


def _setitem_recorded(t: Tensor, index, value, shape, strides, off, advanced) -> None:
    """``t[index] = value`` in the graph: a copy into a view rebases ``t`` (CopySlices); an
    advanced write is index_put_ (IndexPutBackward0) on ``t`` or its basic view."""
    view = _basic_view(t, index, shape, strides, off, advanced)
    if not advanced:
        _copy_to(view, value)
        return
    check_inplace(view)
    info = _Advanced(view, advanced)
    source = value if isinstance(value, Tensor) else scalar_tensor(value, t._dtype, t._device)
    if source._dtype is not t._dtype:
        source = cast(source, t._dtype)
    result = IndexPut.apply(view, source, key=info.key, order=info.order)
    _index_put(view, info, advanced, value)
    view._bump_version()
    commit_inplace(view, result)


def _strip_leading_ones(value: Tensor) -> Tensor:
    shape, strides, off = _geometry(value)
    lead = 0
    while lead < len(shape) and shape[lead] == 1:
        lead += 1
    if not lead:
        return value
    if _tracked(value):
        return _reshape_view(value, shape[lead:])
    return _view(value, shape[lead:], strides[lead:], off)


def _copy_to(view: Tensor, value) -> None:
    """PyTorch's copy_to: ``value`` copied into a basic-indexed view, broadcast as needed."""
    if not isinstance(value, Tensor):
        if view._data.ndim:
            _check_internal_overlap(view)
        if grad_mode.enabled and needs_history(view, None):
            fill_(view, value)
            return
        view._data[...] = value
        view._bump_version()
    elif value._data.shape == view._data.shape:
        copy_(view, value)
    elif value._data.ndim == 0:
        fill_(view, value)
    else:
        copy_(view, expand(_strip_leading_ones(value), view._data.shape))


def _index_put(view: Tensor, info: _Advanced, advanced, value) -> None:
    """PyTorch's index_put_: write ``value`` at the advanced-indexed places of ``view``."""
    if isinstance(value, Tensor):
        # One value through one boolean mask goes to masked_fill_, which checks no overlap.
        masked = (
            value._data.size == 1
            and len(advanced) == 1
            and isinstance(advanced[0][1], Tensor)
            and advanced[0][1]._dtype in _MASK_DTYPES
        )
        if not masked:
            if value._dtype is not view._dtype:
                raise RuntimeError(
                    "Index put requires the source and destination dtypes match, got "
                    f"{_TYPE_NAMES[view._dtype]} for the destination and "
                    f"{_TYPE_NAMES[value._dtype]} for the source."
                )
            if _overlap(view, value) is not None:
                raise RuntimeError(_PARTIAL_OVERLAP)
        value = _strip_leading_ones(value)._data
    try:
        info.arr[info.key] = value
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(getattr(value, 'shape', ()))} cannot "
            f"be broadcast to indexing result of shape {info.shape}"
        ) from None
    except IndexError as exc:
        raise IndexError(str(exc).replace("axis", "dimension")) from None


for _name, _fn in {"__getitem__": getitem, "__setitem__": setitem}.items():
    setattr(Tensor, _name, _fn)
