"""View operations: new tensors over the same storage, with PyTorch's sizes and strides.

Every view is computed as (shape, strides, offset) by PyTorch's rules and then built over the
base's storage buffer, so ``stride()`` and ``storage_offset()`` agree with PyTorch even where
NumPy would choose differently (NumPy gives a new axis stride 0; PyTorch does not).
"""

from __future__ import annotations

import math
import numbers
import operator
import warnings
from collections.abc import Sequence

from ember import _dtype
from ember._tensor import (
    Tensor,
    _empty_strided,
    _format_strides,
    _is_non_overlapping_and_dense,
    _preserved_strides,
    _wrap,
    _wrap_dim,
    contiguous_format,
    contiguous_strides,
    preserve_format,
)
from ember.autograd import grad_mode
from ember.autograd.function import Primitive
from ember.backend import array_module, for_device
from ember.ops._util import Copy, check_inplace, commit_inplace, needs_history, sum_to_shape


def _view(base: Tensor, shape, strides, byte_offset: int, dtype=None, track: bool = True):
    """A tensor over ``base``'s storage; ``byte_offset`` counts from the storage start.

    With ``track`` (and no new ``dtype``) the result is a view in autograd's sense: it
    records its ``_base`` and the storage version, so that in-place changes made through it
    or to its base are seen by the graph (``write_inplace``, ``refresh_view``).
    """
    st = base._get_storage()
    dt = base._dtype if dtype is None else dtype
    arr = for_device(base._device).view_from(
        st._buf, dt.np, tuple(shape), tuple(strides), byte_offset
    )
    t = _wrap(arr, dt, base._device, st)
    d = t.__dict__
    d["_offc"] = (arr, byte_offset)
    if track and dtype is None:
        root = base._base
        d["_base"] = base if root is None else root
        d["_view_version"] = st._version
        if base._requires_grad and not grad_mode.enabled:
            d["_view_meta"] = _NO_GRAD_VIEW
    return t


# -- autograd of views ----------------------------------------------------------------------

_NO_GRAD_VIEW = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. "
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
    "your code by moving both the view and the inplace either both inside the no_grad block "
    "(if you don't want the inplace to be tracked) or both outside (if you want the inplace to "
    "be tracked)."
)


def _tracked(input: Tensor) -> bool:
    return input._requires_grad and grad_mode.enabled


def _node(cls, input: Tensor, out: Tensor, **attrs) -> Tensor:
    """Record ``out`` (a view of ``input``) in the graph under a node of class ``cls``."""
    node = object.__new__(cls)
    node._record((input,))
    node._out_meta = ((out._data.shape, out._dtype, out._device),)
    if attrs:
        node.__dict__.update(attrs)
    out._requires_grad = True
    out._grad_fn = node
    return out


class _ViewNode(Primitive):
    """A view's node: nothing saved, backward reads the attributes set by ``_node``."""

    __slots__ = ()
    save_inputs = False


class View(_ViewNode):
    __slots__ = ()

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.in_shape)


class UnsafeView(View):
    __slots__ = ()


class Squeeze(View):
    __slots__ = ()


class SqueezeDim(View):
    __slots__ = ()

    def name(self) -> str:
        return "SqueezeBackward1"


class SqueezeDims(View):
    __slots__ = ()

    def name(self) -> str:
        return "SqueezeBackward2"


class Unsqueeze(View):
    __slots__ = ()


class Alias(_ViewNode):
    __slots__ = ()

    @staticmethod
    def backward(ctx, grad):
        return grad


class Permute(_ViewNode):
    __slots__ = ()

    @staticmethod
    def backward(ctx, grad):
        return permute(grad, ctx.inverse)


class Transpose(_ViewNode):
    __slots__ = ()

    @staticmethod
    def backward(ctx, grad):
        return transpose(grad, ctx.dim0, ctx.dim1)


class T(_ViewNode):
    __slots__ = ()

    @staticmethod
    def backward(ctx, grad):
        return t(grad)


class Expand(_ViewNode):
    __slots__ = ()

    @staticmethod
    def backward(ctx, grad):
        return sum_to_shape(grad, ctx.in_shape)


class Select(_ViewNode):
    """Backward of a view that picks some elements once each (select, slices, diagonal,
    basic indexing): the gradient written into the same view of zeros."""

    __slots__ = ()

    @staticmethod
    def backward(ctx, grad):
        return ViewScatter.apply(grad, shape=ctx.in_shape, recipes=(ctx.recipe,),
                                 device=grad._device)  # fmt: skip


class Slice(Select):
    __slots__ = ()


class Diagonal(Select):
    __slots__ = ()


class Split(_ViewNode):
    """One node for all the pieces of split / chunk / unbind, as in PyTorch."""

    __slots__ = ()

    @staticmethod
    def backward(ctx, *grads):
        return ViewScatter.apply(*grads, shape=ctx.in_shape, recipes=ctx.recipes,
                                 device=grads[0]._device)  # fmt: skip


class SplitWithSizes(Split):
    __slots__ = ()


class Unbind(Split):
    __slots__ = ()


class ViewScatter(Primitive):
    """Zeros of ``shape`` with each gradient written into (added to, where windows overlap)
    its view ``recipe(zeros)``; its own backward reads those views again."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, *grads, shape, recipes, device, accumulate=False):
        ctx.recipes = recipes
        xp = array_module(grads[0])
        out = xp.zeros(shape, grads[0].dtype)
        zeros = _wrap(out, _dtype.from_numpy_dtype(out.dtype), device)
        with grad_mode.no_grad():
            for g, recipe in zip(grads, recipes, strict=True):
                region = recipe(zeros)._data
                if accumulate:
                    region += g
                else:
                    region[...] = g
        return out

    @staticmethod
    def backward(ctx, grad):
        return tuple(recipe(grad) for recipe in ctx.recipes)


class Unfold(_ViewNode):
    __slots__ = ()

    @staticmethod
    def backward(ctx, grad):
        # Windows may overlap: each window element adds into the place it was read from.
        d, step, size = ctx.dim, ctx.step, ctx.size
        if not ctx.in_shape:
            return grad.sum()
        count = grad.shape[d]
        recipes = tuple(
            (lambda z, j=j: narrow(z, d, j, step * (count - 1) + 1)[
                (slice(None),) * d + (slice(None, None, step),)])
            for j in range(size)
        ) if count else ()
        if not recipes:
            from ember._factories import zeros

            return zeros(ctx.in_shape, dtype=grad._dtype, device=grad._device)
        pieces = tuple(select(grad, -1, j) for j in range(size))
        return ViewScatter.apply(*pieces, shape=ctx.in_shape, recipes=recipes,
                                 device=grad._device, accumulate=True)  # fmt: skip


class AsStrided(_ViewNode):
    """Backward of a view with arbitrary strides over the input's storage: each element of
    the gradient adds into the input element at the same storage position."""

    __slots__ = ()

    @staticmethod
    def backward(ctx, grad):
        return FlatPutAdd.apply(grad, index=ctx.index, shape=ctx.in_shape)


def _positions(shape, strides, offset: int, xp):
    """The storage position (in elements) of every element of a strided layout."""
    pos = xp.full((), offset, dtype=xp.int64)
    for n, st in zip(shape, strides, strict=True):
        pos = pos[..., None] + xp.arange(n, dtype=xp.int64) * st
    return pos


def storage_index(base: Tensor, shape, strides, offset: int):
    """For a layout over ``base``'s storage, each element's flat (row-major) index in
    ``base``, or ``base.numel()`` where no element of ``base`` sits at that place."""
    xp = for_device(base._device).xp
    b = _positions(base._data.shape, base.stride(), base.storage_offset(), xp).reshape(-1)
    v = _positions(shape, strides, offset, xp)
    if not v.size:
        return v
    n = b.size
    lo = min(int(b.min()), int(v.min())) if n else int(v.min())
    hi = max(int(b.max()), int(v.max())) if n else int(v.max())
    inverse = xp.full(hi - lo + 1, n, dtype=xp.int64)
    inverse[b - lo] = xp.arange(n, dtype=xp.int64)
    return inverse[v - lo]


class FlatTake(Primitive):
    """``x.reshape(-1)[index]`` with index ``x.numel()`` reading as zero."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.shape = index, x.shape
        xp = array_module(x)
        flat = xp.concatenate([x.reshape(-1), xp.zeros(1, x.dtype)])
        return flat[index]

    @staticmethod
    def backward(ctx, grad):
        return FlatPutAdd.apply(grad, index=ctx.index, shape=ctx.shape)


class FlatPutAdd(Primitive):
    """Zeros of ``shape`` with ``g`` added at flat ``index`` (``numel`` drops it)."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, g, index, shape):
        ctx.index = index
        xp = array_module(g)
        n = 1
        for s in shape:
            n *= s
        out = xp.zeros(n + 1, g.dtype)
        xp.add.at(out, index.reshape(-1), g.reshape(-1))
        return out[:n].reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return FlatTake.apply(grad, index=ctx.index)


class FlatZero(Primitive):
    """A copy of ``x`` with the elements at flat ``index`` set to zero (self-adjoint)."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, x, index):
        ctx.index = index
        xp = array_module(x)
        n = x.size
        out = xp.concatenate([x.reshape(-1), xp.zeros(1, x.dtype)])
        out[index.reshape(-1)] = 0
        return out[:n].reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        return FlatZero.apply(grad, index=ctx.index)


class CopySlices(Primitive):
    """The node a base gets when one of its views is written in place: the base's new value
    is its old one with the view's elements replaced by the in-place result."""

    __slots__ = ()
    save_inputs = False

    def name(self) -> str:
        return "CopySlices"

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        g_base = FlatZero.apply(grad, index=ctx.index) if needs[0] else None
        g_view = FlatTake.apply(grad, index=ctx.index) if needs[1] else None
        return g_base, g_view


def rebase_history(view: Tensor, result: Tensor) -> None:
    """``view`` (of a base) now holds ``result``: give its base a CopySlices node."""
    base = view._base
    index = storage_index(base, view._data.shape, view.stride(), view.storage_offset())
    node = object.__new__(CopySlices)
    node._record((base, result))
    node._out_meta = ((base._data.shape, base._dtype, base._device),)
    node.index = index
    base._grad_fn = node
    base._requires_grad = True
    base.__dict__.pop("_output_nr", None)
    view._grad_fn = None  # rebuilt from the base on the next read (the version moved on)
    view._requires_grad = True
    view.__dict__.pop("_output_nr", None)


def refresh_view(view: Tensor):
    """A view's ``grad_fn`` after an in-place change of its storage: an as_strided view of
    the base's current history (PyTorch's rule), or None when nothing requires grad."""
    base = view._base
    if view._storage is not base._storage:  # its data was replaced: no longer a view
        for key in ("_base", "_view_version", "_view_meta"):
            view.__dict__.pop(key, None)
        return view._grad_fn
    view.__dict__["_view_version"] = view._storage._version
    if view._grad_fn is None and not base._requires_grad:
        return None
    if view.__dict__.get("_view_meta") is _NO_GRAD_VIEW:
        return view._grad_fn  # made under no_grad: a constant, whatever its base does
    view.__dict__.pop("_output_nr", None)
    if not base._requires_grad:
        view._grad_fn = None
        view._requires_grad = False
        return None
    index = storage_index(base, view._data.shape, view.stride(), view.storage_offset())
    _node(AsStrided, base, view, in_shape=tuple(base._data.shape), index=index)
    return view._grad_fn


class Clone(Primitive):
    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, a, strides):
        out = _empty_strided(array_module(a), a.shape, strides, a.dtype)
        out[...] = a
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad


class ToCopy(Primitive):
    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, a, src, src_device, dtype, device, memory_format):
        from ember._tensor import _copy_array

        ctx.src, ctx.src_device = src, src_device
        return _copy_array(a, src, src_device, dtype, device, memory_format)

    @staticmethod
    def backward(ctx, grad):
        return to_copy(grad, ctx.src, ctx.src_device, None)


def to_copy(input: Tensor, dtype, device, memory_format) -> Tensor:
    """``input`` converted to ``dtype`` on ``device`` (a new tensor), recorded in the graph
    when the result can carry a gradient (ToCopyBackward0)."""
    from ember._tensor import _copy_array

    if not (_tracked(input) and (dtype.is_floating_point or dtype.is_complex)):
        arr = _copy_array(input._data, input._dtype, input._device, dtype, device, memory_format)
        return _wrap(arr, dtype, device)
    out = ToCopy.apply(input, src=input._dtype, src_device=input._device, dtype=dtype,
                       device=device, memory_format=memory_format)  # fmt: skip
    if out._device != device:
        out._device = device
        out._grad_fn._out_meta = ((out._data.shape, dtype, device),)
    return out


def _geometry(t: Tensor):
    """(shape list, element-stride list, byte offset into the storage) of ``t``."""
    return list(t._data.shape), list(t.stride()), t._byte_offset()


def _shape_args(args, name: str = "view", what: str = "size") -> list[int]:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike (``f()`` is a TypeError)."""
    if not args:
        raise TypeError(f'{name}() missing 1 required positional arguments: "{what}"')
    if len(args) == 1 and isinstance(args[0], Sequence | Tensor):
        args = args[0]
        if isinstance(args, Tensor):
            args = args.tolist()
    try:
        return [operator.index(s) for s in args]
    except TypeError:
        raise TypeError(
            f"expected a sequence of ints for the shape, got {list(args)!r}"
        ) from None


def _infer_shape(shape: list[int], numel: int) -> list[int]:
    """Resolve one ``-1`` in ``shape`` so that it holds ``numel`` elements."""
    infer_at = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer_at is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer_at = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s}")
        else:
            known *= s
    if infer_at is not None and known != 0 and numel % known == 0:
        shape = list(shape)
        shape[infer_at] = numel // known
        return shape
    if infer_at is None and known == numel:
        return list(shape)
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def _view_strides(old_shape, old_strides, new_shape):
    """Strides that let ``new_shape`` view memory laid out as (old_shape, old_strides).

    Dimensions are grouped into chunks that are contiguous with each other; a new shape is a
    view only if its dimensions can be carved out of those chunks.  Returns None if not.
    """
    numel = 1
    for s in old_shape:
        numel *= s
    if not old_shape:
        return [1] * len(new_shape)
    if numel == 0:
        if list(old_shape) == list(new_shape):
            return list(old_strides)
        return _contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_stride = old_strides[-1]
    tensor_numel = 1
    view_numel = 1
    for d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[d]
        chunk_ends = d == 0 or (
            old_shape[d - 1] != 1 and old_strides[d - 1] != tensor_numel * chunk_stride
        )
        if chunk_ends:
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_stride = old_strides[d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return new_strides


def _contiguous_strides(shape) -> list[int]:
    return list(contiguous_strides(shape))


# -- reshaping ------------------------------------------------------------------------------


def view(input: Tensor, *shape) -> Tensor:
    """The same data with a new shape (no copy); ``view(dtype)`` reinterprets the bytes."""
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return _view_dtype(input, shape[0])
    old_shape, old_strides, off = _geometry(input)
    new_shape = _infer_shape(_shape_args(shape), input._data.size)
    strides = _view_strides(old_shape, old_strides, new_shape)
    if strides is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    out = _view(input, new_shape, strides, off)
    if _tracked(input):
        _node(View, input, out, in_shape=tuple(old_shape))
    return out


def _view_dtype(input: Tensor, dtype: _dtype.dtype) -> Tensor:
    old, new = input._dtype, dtype
    shape, strides, off = _geometry(input)
    if old.itemsize == new.itemsize:
        return _view(input, shape, strides, off, dtype)
    what = f"to view {old} as {new} (different element sizes)"
    if not shape:
        raise RuntimeError(f"self.dim() cannot be 0 {what}")
    if strides[-1] != 1:
        raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {strides[-1]}")
    if old.itemsize > new.itemsize:
        r = old.itemsize // new.itemsize
        strides = [s * r for s in strides[:-1]] + [1]
        shape[-1] *= r
    else:
        r = new.itemsize // old.itemsize
        if shape[-1] % r:
            raise RuntimeError(f"self.size(-1) must be divisible by {r} {what}, but got {shape[-1]}")
        if off % new.itemsize:
            raise RuntimeError(f"self.storage_offset() must be divisible by {r} {what}")
        for s in strides[:-1]:
            if s % r:
                raise RuntimeError(f"self.stride(dim) must be divisible by {r} {what}")
        strides = [s // r for s in strides[:-1]] + [1]
        shape[-1] //= r
    return _view(input, shape, strides, off, dtype)


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return view(input, other.shape)


def contiguous(input: Tensor, memory_format=contiguous_format) -> Tensor:
    """``input`` itself if laid out in ``memory_format`` (row-major by default), else a copy."""
    if input.is_contiguous(memory_format):
        return input
    return clone(input, memory_format=memory_format)


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy with its own storage.

    By default (``preserve_format``) the copy keeps ``input``'s strides when they are dense,
    and otherwise its order of dims by stride, as PyTorch does.
    """
    shape, strides = input._data.shape, input.stride()
    if memory_format is None or memory_format is preserve_format:
        strides = _preserved_strides(shape, strides)
    else:
        strides = _format_strides(shape, memory_format)
    if _tracked(input):
        return Clone.apply(input, strides=strides)
    be = for_device(input._device)
    arr = _empty_strided(be.xp, shape, strides, input._dtype.np)
    arr[...] = input._data
    return _wrap(arr, input._dtype, input._device)


def reshape(input: Tensor, *shape) -> Tensor:
    """The data with a new shape: a view when the layout allows one, else a copy."""
    old_shape, old_strides, off = _geometry(input)
    new_shape = _infer_shape(_shape_args(shape, "reshape", "shape"), input._data.size)
    strides = _view_strides(old_shape, old_strides, new_shape)
    if strides is not None:
        out = _view(input, new_shape, strides, off)
        if _tracked(input):
            _node(View, input, out, in_shape=tuple(old_shape))
        return out
    # PyTorch's _unsafe_view of a copy: the result is not a view of anything.
    copy = contiguous(input)
    out = _view(copy, new_shape, _contiguous_strides(new_shape), copy._byte_offset(), track=False)
    if _tracked(copy):
        _node(UnsafeView, copy, out, in_shape=tuple(old_shape))
    return out


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, other.shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one (a view when possible)."""
    ndim = input._data.ndim
    start = _wrap_dim(start_dim, ndim)
    end = _wrap_dim(end_dim, ndim)
    if ndim == 0:
        return reshape(input, 1)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    shape = list(input._data.shape)
    merged = 1
    for s in shape[start : end + 1]:
        merged *= s
    return reshape(input, shape[:start] + [merged] + shape[end + 1 :])


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one entry may be -1)."""
    if input._data.ndim == 0:
        raise RuntimeError(
            f"unflatten got an unexpected error:\nDimension specified as {dim} but tensor has "
            "no dimensions"
        )
    d = _wrap_dim(dim, input._data.ndim)
    sizes = _shape_args((sizes,))
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    shape = list(input._data.shape)
    try:
        inner = _infer_shape(sizes, shape[d])
    except RuntimeError:
        raise RuntimeError(
            f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {dim} "
            f"({shape[d]}) in the input tensor"
        ) from None
    return view(input, shape[:d] + inner + shape[d + 1 :])


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove dimensions of size 1 (all of them, or those among ``dim``)."""
    shape, strides, off = _geometry(input)
    ndim = len(shape)
    if dim is None:
        dims = set(range(ndim))
    elif isinstance(dim, Sequence):
        dims = set()
        for d in dim:
            d = _wrap_dim(d, ndim)
            if d in dims:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
            dims.add(d)
    else:
        dims = {_wrap_dim(dim, ndim)}
    keep = [i for i in range(ndim) if not (i in dims and shape[i] == 1)]
    out = _view(input, [shape[i] for i in keep], [strides[i] for i in keep], off)
    if _tracked(input):
        cls = Squeeze if dim is None else SqueezeDims if isinstance(dim, Sequence) else SqueezeDim
        _node(cls, input, out, in_shape=tuple(shape))
    return out


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``."""
    shape, strides, off = _geometry(input)
    d = _wrap_dim(dim, len(shape) + 1)
    new_stride = shape[d] * strides[d] if d < len(shape) else 1
    out = _view(input, shape[:d] + [1] + shape[d:], strides[:d] + [new_stride] + strides[d:], off)
    if _tracked(input):
        _node(Unsqueeze, input, out, in_shape=tuple(shape))
    return out


# -- reordering dimensions ----------------------------------------------------------------


def _permuted(input: Tensor, dims, cls=None, **attrs) -> Tensor:
    """The view with dims reordered by ``dims`` (checked), recorded under ``cls``."""
    shape, strides, off = _geometry(input)
    out = _view(input, [shape[d] for d in dims], [strides[d] for d in dims], off)
    if _tracked(input):
        if cls is None:
            inverse = [0] * len(dims)
            for i, d in enumerate(dims):
                inverse[d] = i
            cls, attrs = Permute, {"inverse": inverse}
        _node(cls, input, out, **attrs)
    return out


def permute(input: Tensor, *dims) -> Tensor:
    """Reorder the dimensions: output dim ``i`` is input dim ``dims[i]``."""
    shape = input._data.shape
    ndim = len(shape)
    dims = _shape_args(dims, "permute", "dims")
    if len(dims) != ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    dims = [_wrap_dim(d, ndim) for d in dims]
    if len(set(dims)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permuted(input, dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    ndim = input._data.ndim
    perm = list(range(ndim))
    if ndim == 0:
        a, b = _wrap_dim(dim0, 0), _wrap_dim(dim1, 0)
    else:
        a, b = _wrap_dim(dim0, ndim), _wrap_dim(dim1, ndim)
        perm[a], perm[b] = perm[b], perm[a]
    return _permuted(input, perm, Transpose, dim0=a, dim1=b)


def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dimensions ``source`` to positions ``destination``, keeping the others' order."""
    ndim = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({src} dims) should contain "
            f"the same number of dims as destination ({dst} dims)"
        )
    src = [_wrap_dim(d, ndim) for d in src]
    dst = [_wrap_dim(d, ndim) for d in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({src})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({dst})")
    if ndim == 0:
        return _permuted(input, [])
    order = [None] * ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in src)
    order = [next(rest) if o is None else o for o in order]
    return _permuted(input, order)


def t(input: Tensor) -> Tensor:
    """Transpose a matrix; 0-D and 1-D tensors come back as they are."""
    ndim = input._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    return _permuted(input, [1, 0] if ndim == 2 else list(range(ndim)), T)


def _T(input: Tensor) -> Tensor:
    if input._data.ndim != 2:
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*range(x.ndim - 1, -1, -1))` to "
            "reverse the dimensions of a tensor.",
            UserWarning,
            stacklevel=2,
        )
    return _permuted(input, list(range(input._data.ndim))[::-1])


def _mT(input: Tensor) -> Tensor:
    if input._data.ndim == 0:
        warnings.warn(
            "Tensor.mT is deprecated on 0-D tensors. This function is the identity in these "
            "cases.",
            UserWarning,
            stacklevel=2,
        )
        return input
    if input._data.ndim < 2:
        raise RuntimeError(
            "tensor.mT is only supported on matrices or batches of matrices. "
            f"Got {input._data.ndim}-D tensor."
        )
    return transpose(input, -2, -1)


# -- broadcasting and sub-ranges ------------------------------------------------------------


def expand(input: Tensor, *sizes) -> Tensor:
    """Broadcast to ``sizes`` without copying: expanded dimensions get stride 0."""
    shape, strides, off = _geometry(input)
    sizes = _shape_args(sizes, "expand")
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand({input.type()}{{{shape}}}, size={sizes}): the number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    out_shape, out_strides = [], []
    for i, target in enumerate(sizes):
        if i < lead:
            if target < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({target}) isn't allowed in a leading, "
                    f"non-existing dimension {i}"
                )
            out_shape.append(target)
            out_strides.append(0)
            continue
        size, stride = shape[i - lead], strides[i - lead]
        if target == -1:
            target = size
        if size == target:
            out_shape.append(size)
            out_strides.append(stride)
        elif size == 1 and target >= 0:
            out_shape.append(target)
            out_strides.append(0)
        else:
            raise RuntimeError(
                f"The expanded size of the tensor ({target}) must match the existing size "
                f"({size}) at non-singleton dimension {i}.  Target sizes: {sizes}.  "
                f"Tensor sizes: {shape}"
            )
    out = _view(input, out_shape, out_strides, off)
    if _tracked(input):
        _node(Expand, input, out, in_shape=tuple(shape))
    return out


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other.shape)


def broadcast_to(input: Tensor, *size) -> Tensor:
    return expand(input, *size)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """Elements ``start .. start+length`` along ``dim``."""
    shape, strides, off = _geometry(input)
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    start, length = operator.index(start), operator.index(length)
    size = shape[d]
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -size <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})"
        )
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(
            f"start ({start}) + length ({length}) exceeds dimension size ({size})."
        )
    in_shape = tuple(shape)
    shape[d] = length
    out = _view(input, shape, strides, off + start * strides[d] * input._dtype.itemsize)
    if _tracked(input):
        _node(Slice, input, out, in_shape=in_shape,
              recipe=lambda z: narrow(z, d, start, length))  # fmt: skip
    return out


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, with that dimension removed."""
    shape, strides, off = _geometry(input)
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    index = operator.index(index)
    size = shape[d]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {shape} at dimension {d}"
        )
    if index < 0:
        index += size
    off += index * strides[d] * input._dtype.itemsize
    out = _view(input, shape[:d] + shape[d + 1 :], strides[:d] + strides[d + 1 :], off)
    if _tracked(input):
        _node(Select, input, out, in_shape=tuple(shape),
              recipe=lambda z: select(z, d, index))  # fmt: skip
    return out


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """All windows of ``size`` elements, ``step`` apart, along ``dimension`` (a new last dim)."""
    shape, strides, off = _geometry(input)
    d = _wrap_dim(dimension, len(shape))
    dim_size = shape[d] if shape else 1
    dim_stride = strides[d] if shape else 1
    if size > dim_size:
        raise RuntimeError(
            f"maximum size for tensor at dimension {d} is {dim_size} but size is {size}"
        )
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    count = (dim_size - size) // step + 1
    in_shape = tuple(shape)
    if shape:
        shape[d] = count
        strides[d] = step * dim_stride
    out = _view(input, shape + [size], strides + [dim_stride], off)
    if _tracked(input):
        _node(Unfold, input, out, in_shape=in_shape, dim=d, size=size, step=step)
    return out


def as_strided(input: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    """A view with explicit sizes, strides and storage offset (in elements)."""
    size, stride = _shape_args((size,)), _shape_args((stride,))
    if len(size) != len(stride):
        raise RuntimeError(
            f"mismatch in length of strides and shape: got {len(stride)} strides and "
            f"{len(size)} sizes"
        )
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {stride}")
    itemsize = input._dtype.itemsize
    offset = input.storage_offset() if storage_offset is None else storage_offset
    needed = 0 if 0 in size else offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
    available = input._get_storage().nbytes() // itemsize
    if needed > available:
        raise RuntimeError(
            f"setStorage: sizes {size}, strides {stride}, storage offset {offset}, and itemsize "
            f"{itemsize} requiring a storage size of {needed * itemsize} are out of bounds for "
            f"storage of size {available * itemsize}"
        )
    out = _view(input, size, stride, offset * itemsize)
    if _tracked(input):
        index = storage_index(input, size, stride, offset)
        _node(AsStrided, input, out, in_shape=tuple(input._data.shape), index=index)
    return out


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal over ``dim1`` and ``dim2`` (``offset`` above or below), as a last dim."""
    shape, strides, off = _geometry(input)
    ndim = len(shape)
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if offset >= 0:
        length = max(min(shape[d1], shape[d2] - offset), 0)
        start = offset * strides[d2]
    else:
        length = max(min(shape[d1] + offset, shape[d2]), 0)
        start = -offset * strides[d1]
    if length > 0:
        off += start * input._dtype.itemsize
    keep = [i for i in range(ndim) if i not in (d1, d2)]
    out = _view(
        input,
        [shape[i] for i in keep] + [length],
        [strides[i] for i in keep] + [strides[d1] + strides[d2]],
        off,
    )
    if _tracked(input):
        _node(Diagonal, input, out, in_shape=tuple(shape),
              recipe=lambda z: diagonal(z, offset, d1, d2))  # fmt: skip
    return out


# -- splitting ------------------------------------------------------------------------------


def split(input: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of the given sizes."""
    if input._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if isinstance(split_size_or_sections, Sequence):
        sizes = [operator.index(s) for s in split_size_or_sections]
        if sum(sizes) != size or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}"
            )
    else:
        step = operator.index(split_size_or_sections)
        if step < 0 or (step == 0 and size != 0):
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        count = max((size + step - 1) // step, 1) if step else 1
        sizes = [step] * (count - 1) + [size - step * (count - 1)]
    with grad_mode.no_grad():
        out, start, starts = [], 0, []
        for s in sizes:
            out.append(narrow(input, d, start, s))
            starts.append(start)
            start += s
    recipes = [lambda z, a=a, n=n: narrow(z, d, a, n) for a, n in zip(starts, sizes, strict=True)]
    cls = SplitWithSizes if isinstance(split_size_or_sections, Sequence) else Split
    return _pieces(input, out, cls, recipes)


def _pieces(input: Tensor, out: list, cls, recipes) -> tuple:
    """Views made by split / unbind: one node for all, and no in-place writes allowed."""
    if _tracked(input):
        node = object.__new__(cls)
        node._record((input,))
        node._out_meta = tuple((o._data.shape, o._dtype, o._device) for o in out)
        node.in_shape = tuple(input._data.shape)
        node.recipes = tuple(recipes)
        what = cls.__name__
        for i, o in enumerate(out):
            o._requires_grad = True
            o._grad_fn = node
            d = o.__dict__
            if i:
                d["_output_nr"] = i
            d["_view_meta"] = (
                f"Output {i} of {what} is a view and is being modified inplace. This view is "
                "the output of a function that returns multiple views. Such functions do not "
                "allow the output views to be modified inplace. You should replace the "
                "inplace operation by an out-of-place one."
            )
    return tuple(out)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """``chunks`` nearly equal pieces along ``dim`` (fewer when the dim is too short)."""
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    step = (size + chunks - 1) // chunks
    if step == 0 and size == 0:
        return split(input, [0] * chunks, d)
    return split(input, step, d)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """All slices along ``dim``, each with that dimension removed."""
    if input._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    with grad_mode.no_grad():
        out = [select(input, d, i) for i in range(n)]
    return _pieces(input, out, Unbind, [lambda z, i=i: select(z, d, i) for i in range(n)])


# -- in-place writes ------------------------------------------------------------------------

_INTERNAL_OVERLAP = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation."
)
_PARTIAL_OVERLAP = (
    "unsupported operation: some elements of the input tensor and the written-to tensor refer "
    "to a single memory location. Please clone() the tensor before performing the operation."
)
_INT_RANGES = {
    dt: (-_dtype.iinfo(dt).max if dt is _dtype.uint8 else _dtype.iinfo(dt).min, _dtype.iinfo(dt).max)
    for dt in (_dtype.uint8, _dtype.int8, _dtype.int16, _dtype.int32, _dtype.int64)
}
_C_NAMES = {
    _dtype.uint8: "uint8_t", _dtype.int8: "int8_t", _dtype.int16: "int16_t",
    _dtype.int32: "int", _dtype.int64: "int64_t", _dtype.float32: "float",
}  # fmt: skip
_FLOAT32_MAX = _dtype.finfo(_dtype.float32).max


def _check_internal_overlap(t: Tensor) -> None:
    """Refuse to write through a view that shows one element at several places (stride 0)."""
    arr = t._data
    if arr.size and 0 in arr.strides and any(n > 1 and st == 0 for n, st in zip(arr.shape, arr.strides)):
        raise RuntimeError(_INTERNAL_OVERLAP)


def _overlap(a: Tensor, b: Tensor) -> str | None:
    """PyTorch's memory-overlap status of two tensors: "full", "partial", or None when they
    do not overlap or when telling would be too costly (either is not dense)."""
    if a is b:
        return "full"
    st = a._storage
    if st is None or st is not b._storage or not a._data.size or not b._data.size:
        return None
    a_strides, b_strides = a.stride(), b.stride()
    if not (
        _is_non_overlapping_and_dense(a._data.shape, a_strides)
        and _is_non_overlapping_and_dense(b._data.shape, b_strides)
    ):
        return None
    a0, b0 = a._byte_offset(), b._byte_offset()
    a1, b1 = a0 + a._data.nbytes, b0 + b._data.nbytes
    if a0 == b0 and a1 == b1:
        return "full" if a_strides == b_strides else "partial"
    return "partial" if a0 < b1 and b0 < a1 else None


def _overflow(value, dtype: _dtype.dtype) -> RuntimeError:
    name = _C_NAMES.get(dtype, dtype.name)
    return RuntimeError(f"value cannot be converted to type {name} without overflow")


def _fill_value(value, dtype: _dtype.dtype):
    """``value`` as the Python number PyTorch stores into ``dtype``: floats truncate toward
    zero in integer dtypes, negative values wrap in uint8, and values out of range raise."""
    if dtype is _dtype.bool:
        return bool(value)
    if dtype.is_complex:
        return complex(value)
    if not isinstance(value, numbers.Real):
        if value.imag != 0:
            raise _overflow(value, dtype)
        value = value.real
    if dtype.is_floating_point:
        value = float(value)
        if dtype is _dtype.float32 and math.isfinite(value) and abs(value) > _FLOAT32_MAX:
            raise _overflow(value, dtype)
        return value
    if not isinstance(value, numbers.Integral):
        if not math.isfinite(value):
            raise _overflow(value, dtype)
        value = math.trunc(value)
    value = int(value)
    low, high = _INT_RANGES[dtype]
    if not low <= value <= high:
        raise _overflow(value, dtype)
    return value + high + 1 if value < 0 and dtype is _dtype.uint8 else value


def fill_(input: Tensor, value) -> Tensor:
    """Set every element to ``value`` (a number or a 0-dim tensor)."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions."
            )
        if value._device == input._device:
            # PyTorch copies a tensor value, with copy_'s overlap checks.
            if value._storage is not None and value._storage is input._storage:
                value = clone(value)
            return copy_(input, value)
        value = value.item()
    if not isinstance(value, numbers.Number):
        raise TypeError(
            f"fill_() received an invalid combination of arguments - got ({type(value).__name__})"
        )
    grad = grad_mode.enabled
    if grad:
        check_inplace(input)
    input._data[...] = _fill_value(value, input._dtype)
    input._bump_version()
    if grad and needs_history(input, None):
        commit_inplace(input, input.detach())
    return input


def zero_(input: Tensor) -> Tensor:
    return fill_(input, 0)


def _broadcast_error(out_shape, shape) -> RuntimeError:
    """PyTorch's message for ``shape`` that does not broadcast into ``out_shape``."""
    n = max(len(out_shape), len(shape))
    for i in range(1, n + 1):
        a = out_shape[-i] if i <= len(out_shape) else 1
        b = shape[-i] if i <= len(shape) else 1
        if a != b and a != 1 and b != 1:
            return RuntimeError(
                f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                f"non-singleton dimension {n - i}"
            )
    full = [max(a, b) for a, b in zip((1,) * (n - len(out_shape)) + tuple(out_shape),
                                      (1,) * (n - len(shape)) + tuple(shape))]
    return RuntimeError(
        f"output with shape {list(out_shape)} doesn't match the broadcast shape {full}"
    )


def copy_(input: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast to this shape, cast to this dtype) into ``input``."""
    if src is input:
        return input
    if not isinstance(src, Tensor):
        raise TypeError(
            f"copy_(): argument 'src' (position 1) must be Tensor, not {type(src).__name__}"
        )
    grad = grad_mode.enabled
    if grad:
        check_inplace(input)
    be = for_device(input._device)
    arr, out = src._data, input._data
    if src._device != input._device:
        arr = be.from_host(for_device(src._device).to_host(arr), input._device.index)
    elif (
        src._storage is not None
        and src._storage is input._storage
        and src._dtype is input._dtype
        and arr.shape == out.shape
        and arr.strides == out.strides
        and src._byte_offset() == input._byte_offset()
    ):
        return input  # the very same elements
    _check_internal_overlap(input)
    if _overlap(input, src) == "partial":
        raise RuntimeError(_PARTIAL_OVERLAP)
    if arr.shape != out.shape and (
        len(arr.shape) > len(out.shape)
        or any(s not in (1, o) for s, o in zip(arr.shape[::-1], out.shape[::-1]))
    ):
        raise _broadcast_error(out.shape, arr.shape)
    if src._dtype is _dtype.bool or input._dtype is not _dtype.bool:
        out[...] = arr
    else:
        out[...] = arr != 0
    input._bump_version()
    if grad and needs_history(input, src):
        target = input.detach() if input._base is not None else input
        if not (input._dtype.is_floating_point or input._dtype.is_complex):
            src = src.detach()
        commit_inplace(input, Copy.apply(target, src))
    return input


_METHODS = {
    "view": view,
    "view_as": view_as,
    "contiguous": contiguous,
    "clone": clone,
    "reshape": reshape,
    "reshape_as": reshape_as,
    "flatten": flatten,
    "unflatten": unflatten,
    "squeeze": squeeze,
    "unsqueeze": unsqueeze,
    "permute": permute,
    "transpose": transpose,
    "swapaxes": transpose,
    "swapdims": transpose,
    "movedim": movedim,
    "moveaxis": movedim,
    "t": t,
    "expand": expand,
    "expand_as": expand_as,
    "broadcast_to": broadcast_to,
    "narrow": narrow,
    "select": select,
    "unfold": unfold,
    "as_strided": as_strided,
    "diagonal": diagonal,
    "split": split,
    "chunk": chunk,
    "unbind": unbind,
    "fill_": fill_,
    "zero_": zero_,
    "copy_": copy_,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.T = property(_T)
Tensor.mT = property(_mT)
