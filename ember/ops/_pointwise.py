"""Helpers every pointwise module shares: result layouts as PyTorch's TensorIterator makes
them, Python and NumPy numbers as operands, the errors PyTorch raises, ``out=`` and in-place
variants, and undoing broadcasting in gradients."""

from __future__ import annotations

from ember import _dtype
from ember._tensor import Tensor, _empty_strided, _wrap, contiguous_strides
from ember.autograd import grad_mode
from ember.autograd.function import Primitive
from ember.backend import array_module, cpu, for_device, parallel
from ember.ops._util import (
    _TYPE_NAMES,
    cast,
    check_inplace,
    check_same_device,
    needs_history,
    promote,
    write_inplace,
)


def nd(out):
    """``out`` as an array a tensor can hold: NumPy gives a scalar, not a 0-d array, when
    every operand is 0-d, and zero strides for empty arrays, where PyTorch reports
    row-major ones."""
    shape = out.shape
    if shape and out.size:
        return out
    if shape:
        strides = tuple(s * out.itemsize for s in contiguous_strides(shape))
        return array_module(out).lib.stride_tricks.as_strided(out, shape, strides)
    return cpu.asarray(out) if cpu.is_numpy(out) else out


# Result layouts by (shape, input shapes and strides): loops repeat a handful of them.
_LAYOUTS: dict = {}


def fit(out, *inputs):
    """``out``, a fresh pointwise result of the arrays ``inputs``, laid out as PyTorch lays it
    out (see :func:`torch_strides`); NumPy agrees whenever every input is row-major and no
    dim has size 1."""
    if out.ndim < 2:
        return out if out.size and out.ndim else nd(out)
    if out.size and 1 not in out.shape:  # size-1 dims: strides NumPy sets but ignores
        for x in inputs:
            if not x.flags.c_contiguous:
                break
        else:
            return out
    shape = out.shape
    key = (shape, out.itemsize, *[(x.shape, x.strides, x.itemsize) for x in inputs])
    byte_strides = _LAYOUTS.get(key)
    if byte_strides is None:
        strides = torch_strides(shape, inputs)
        if strides is None:
            strides = contiguous_strides(shape)
        byte_strides = tuple(s * out.itemsize for s in strides)
        if len(_LAYOUTS) > 4096:
            _LAYOUTS.clear()
        _LAYOUTS[key] = byte_strides
    if not out.size:
        return array_module(out).lib.stride_tricks.as_strided(out, shape, byte_strides)
    if out.strides == byte_strides:
        return out
    strides = tuple(s // out.itemsize for s in byte_strides)
    placed = _empty_strided(array_module(out), out.shape, strides, out.dtype)
    placed[...] = out
    return placed


def _torch_contiguous(shape, strides) -> bool:
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides), strict=True):
        if size != 1:
            if stride != expected:
                return False
            expected *= size
    return True


def _channels_last(shape, strides) -> bool:
    expected = 1
    for d in (1, 3, 2, 0):
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def _torch_dense(shape, strides) -> bool:
    dims = sorted((i for i, n in enumerate(shape) if n >= 2), key=lambda i: strides[i])
    expected = 1
    for i in dims:
        if strides[i] != expected:
            return False
        expected *= shape[i]
    return True


def torch_strides(shape, inputs):
    """The element strides PyTorch's TensorIterator gives a pointwise result of ``shape``
    over ``inputs`` (arrays), or None for row-major.

    Inputs of the result's shape that are all row-major give a row-major result, all
    channels-last (4-D) a channels-last one, and all dense with equal strides those strides.
    Otherwise the dims are ordered by the inputs' strides, the first input with a strict
    order deciding (broadcast dims do not vote; equal strides put the smaller dim inside),
    and the result is dense in that order.
    """
    if 0 in shape and all(x.shape == shape for x in inputs):
        return None
    n = len(shape)
    element = [tuple(s // x.itemsize for s in x.strides) for x in inputs]
    if all(x.shape == shape for x in inputs):
        if all(_torch_contiguous(shape, st) for st in element):
            return None
        if n == 4 and all(_channels_last(shape, st) for st in element):
            c_stride = shape[1]
            return (c_stride * shape[3] * shape[2], 1, c_stride * shape[3], c_stride)
        first = element[0]
        if all(st == first for st in element) and _torch_dense(shape, first):
            return first
    voters = []
    for x, st in zip(inputs, element, strict=True):
        if not x.ndim:
            continue
        lead = n - x.ndim
        vote = [0] * lead
        for i, (size, stride) in enumerate(zip(x.shape, st, strict=True)):
            vote.append(0 if size == 1 and shape[lead + i] != 1 else stride)
        voters.append(vote)

    def should_swap(d0, d1) -> int:
        for vote in voters:
            s0, s1 = vote[d0], vote[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = list(range(n - 1, -1, -1))  # perm[0] is the fastest-moving dim
    for i in range(1, n):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            order = should_swap(perm[d0], perm[d1])
            if order > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif order < 0:
                break
    if perm == list(range(n - 1, -1, -1)):
        return None
    strides = [0] * n
    step = 1
    for d in perm:
        strides[d] = step
        step *= shape[d]
    return tuple(strides)


def number(x):
    """A NumPy scalar (``np.int64(3)``) as the Python number it holds, which is how PyTorch
    takes it; anything else unchanged."""
    return x.item() if isinstance(x, cpu.xp.generic) else x


def scalar_tensor(value, dtype: _dtype.dtype, device) -> Tensor:
    """A 0-dim constant of ``dtype`` holding a Python number.  Integers outside the dtype's
    range wrap around, as PyTorch's conversion does (``uint8_tensor - (-3)`` adds 3)."""
    return _wrap(scalar_array(value, dtype.np, for_device(device).xp), dtype, device)


def scalar_array(value, np_dtype, xp):
    """A 0-d array of ``np_dtype`` holding ``value``, wrapping out-of-range integers."""
    try:
        return xp.asarray(value, np_dtype)
    except OverflowError:
        return xp.asarray(value).astype(np_dtype)


def operands(a, b, dtype: _dtype.dtype | None = None) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of one dtype (``dtype`` or the promoted one) on one device;
    Python and NumPy numbers become 0-dim tensors."""
    if (
        dtype is None
        and isinstance(b, Tensor)
        and isinstance(a, Tensor)
        and a._dtype is b._dtype
        and a._device is b._device
    ):
        return a, b  # the common case: nothing to promote, move or check
    if isinstance(a, Tensor):
        device = a._device
        if isinstance(b, Tensor):
            check_same_device(a, b)
        else:
            b = number(b)
    elif isinstance(b, Tensor):
        device = b._device
        a = number(a)
    else:
        raise TypeError(
            f"expected at least one Tensor operand, got {type(a).__name__} and {type(b).__name__}"
        )
    dt = promote(a, b) if dtype is None else dtype
    a = cast(a, dt) if isinstance(a, Tensor) else scalar_tensor(a, dt, device)
    b = cast(b, dt) if isinstance(b, Tensor) else scalar_tensor(b, dt, device)
    return a, b


def dense(a) -> bool:
    """Whether ``a`` fills its memory densely in some order (PyTorch then gives pointwise
    results ``a``'s layout; otherwise they come out row-major)."""
    flags = a.flags
    return flags.c_contiguous or flags.f_contiguous


def copy_array(a):
    """A fresh copy of ``a`` laid out as PyTorch lays out a pointwise result."""
    if dense(a):
        return fit(a.copy(order="K"), a)
    return fit(array_module(a).ascontiguousarray(a), a)


def unsupported(name: str, dt: _dtype.dtype) -> NotImplementedError:
    """PyTorch's error for an op that has no kernel for ``dt``."""
    return NotImplementedError(f"\"{name}\" not implemented for '{_TYPE_NAMES[dt]}'")


def require_tensor(name: str, value, position: int, arg: str = "other") -> None:
    """TypeError for a non-tensor where PyTorch's signature only takes tensors."""
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{name}(): argument '{arg}' (position {position}) must be Tensor, "
            f"not {type(value).__name__}"
        )


def shape_error(*shapes) -> RuntimeError:
    """PyTorch's broadcasting error for the first pair of shapes that does not broadcast."""
    acc = tuple(shapes[0])
    for shape in shapes[1:]:
        shape = tuple(shape)
        n = max(len(acc), len(shape))
        a = (1,) * (n - len(acc)) + acc
        b = (1,) * (n - len(shape)) + shape
        for i in range(n - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return RuntimeError(
                    f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) "
                    f"at non-singleton dimension {i}"
                )
        acc = tuple(x if x != 1 else y for x, y in zip(a, b, strict=True))
    return RuntimeError(f"shapes {[list(s) for s in shapes]} cannot be broadcast together")


def apply(op, *tensors, **params) -> Tensor:
    """``op.apply`` with NumPy's broadcasting ValueError turned into PyTorch's RuntimeError."""
    try:
        return op.apply(*tensors, **params)
    except ValueError as exc:
        raise shape_error(*(t.shape for t in tensors)) from exc


def store_out(out: Tensor, result: Tensor) -> Tensor:
    """Write ``result`` into the ``out=`` tensor, as PyTorch's out variants do."""
    from ember.autograd import grad_mode

    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if grad_mode.enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError(
            "functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
    if not _dtype.can_cast(result._dtype, out._dtype):
        raise RuntimeError(
            f"result type {_TYPE_NAMES[result._dtype]} can't be cast to the desired output "
            f"type {_TYPE_NAMES[out._dtype]}"
        )
    if tuple(out.shape) != tuple(result.shape):
        xp = array_module(out._data)
        out._data = xp.empty(result.shape, out._dtype.np)
        out._storage = None
    out._data[...] = result._data
    out._bump_version()
    return out


class Clone(Primitive):
    """A copy of ``self`` that an in-place op computes from, so that what its backward saves
    is not the memory the op then overwrites."""

    save_inputs = False

    @staticmethod
    def forward(ctx, a):
        return copy_array(a)

    @staticmethod
    def backward(ctx, grad):
        return grad


def inplace(op, saves_input: bool = True, kernel=None):
    """The in-place method ``op_`` of a function ``op``: computed, then written into ``self``.

    ``saves_input``: whether ``op``'s backward reads its input; the op then works on a copy
    of ``self`` when a gradient is being recorded, since the write would spoil what it saved.
    ``kernel(array)``: when no graph is recorded, writes the result straight into ``self``'s
    array and returns True (False: it does not handle that array), instead of computing out
    of place and copying back.
    """

    def method(self, *args, **kwargs):
        if kernel is not None and not args and not kwargs:
            grad = grad_mode.enabled
            if not (grad and needs_history(self, None)):
                if grad:
                    check_inplace(self)
                if kernel(self._data):
                    self._bump_version()
                    return self
        if saves_input and self._requires_grad and grad_mode.enabled:
            return write_inplace(self, op(Clone.apply(self), *args, **kwargs))
        return write_inplace(self, op(self, *args, **kwargs))

    method.__name__ = op.__name__ + "_"
    method.__doc__ = f"In-place ``{op.__name__}``: the result is written into ``self``."
    return method


def relu_into(a, out) -> None:
    """``max(0, a)`` into ``out`` (which may be ``a``), both row-major float NumPy arrays of
    one shape.  NumPy's ``maximum`` runs about three times faster against a row of zeros than
    against the number 0 (its scalar case has no vector loop), so from 4096 elements the flat
    array is taken as rows of 512 against one zero row (split over the cores), the last few
    values against 0.  Zero comes first: ``maximum(0, -0.0)`` is -0.0 and a nan keeps its
    sign, bit for bit what torch's relu gives."""
    xp = cpu.xp
    flat, oflat = a.reshape(-1), out.reshape(-1)
    width = 512
    body = a.size // width * width if a.size >= 4096 else 0
    if body:
        rows, orows = flat[:body].reshape(-1, width), oflat[:body].reshape(-1, width)
        zero = xp.zeros(width, dtype=a.dtype)

        def part(lo, hi):
            xp.maximum(zero, rows[lo:hi], out=orows[lo:hi])

        parallel.split(part, rows.shape[0], body)
    if body < a.size:
        xp.maximum(0, flat[body:], out=oflat[body:])


def relu_in_place(a) -> bool:
    """``max(0, a)`` written into ``a`` (the kernel of ``relu_`` without a graph); False when
    ``a`` is not a float NumPy array it can write."""
    if not (cpu.is_numpy(a) and a.dtype.kind == "f" and a.flags.writeable):
        return False
    if a.flags.c_contiguous:
        relu_into(a, a)
    else:
        cpu.xp.maximum(0, a, out=a)
    return True


def reduce_grad(grad: Tensor, shape) -> Tensor:
    """Undo broadcasting of one input's gradient: sum over the dims it was expanded along
    (two sums rather than a sum and a reshape, so that only sums enter the graph).  A
    ``shape`` of None: no broadcasting happened."""
    if shape is None:
        return grad
    gshape = grad._data.shape
    if gshape == shape:  # the common case: no broadcasting happened
        return grad
    shape = tuple(shape)
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    dims = [lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1]
    if dims:
        grad = grad.sum(dims, keepdim=True)
    if lead:
        grad = grad.sum(list(range(lead)))
    return grad
