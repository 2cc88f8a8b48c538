"""Tensor factories: from data (``tensor``, ``as_tensor``, ``from_numpy``) and by rule
(``zeros``, ``ones``, ``full``, ``empty``, ``arange``, ``linspace``, ``logspace``, ``eye``,
the ``*_like`` family and the ``Tensor.new_*`` methods).  Random factories live in
``ember/ops/random.py``.

Where PyTorch's result depends on how its C++ kernels round (``arange``, ``linspace``,
``logspace``), the arithmetic below follows those kernels step by step, in the same precision.
"""

from __future__ import annotations

import itertools
import math
import numbers
import operator
import warnings

from ember import _dtype
from ember._device import CPU, as_device
from ember._tensor import (
    Tensor,
    _PY_DTYPES,
    _astype,
    _cast_array,
    _convert,
    _empty_strided,
    _float_max,
    _format_strides,
    _from_array,
    _layout_for,
    _wrap,
    contiguous_format,
    preserve_format,
)
from ember.backend import cpu as _host
from ember.backend import for_device

_np_generic = _host.xp.generic


# -- arguments ------------------------------------------------------------------------------


def _size_args(args, size, fname: str) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(Size)``, ``f(size=...)``: shape (2, 3)."""
    if size is not None:
        if args:
            raise TypeError(f"{fname}() got multiple values for argument 'size'")
        args = (size,)
    elif not args:
        raise TypeError(f'{fname}() missing 1 required positional arguments: "size"')
    if len(args) == 1 and type(args[0]) is not int:
        seq = args[0]
        if isinstance(seq, Tensor) and seq.ndim:
            raise TypeError(f"{fname}(): argument 'size' must be tuple of ints, not Tensor")
        if isinstance(seq, tuple | list):
            args = seq
        elif not hasattr(type(seq), "__index__"):
            raise TypeError(
                f"{fname}(): argument 'size' must be tuple of ints, not {type(seq).__name__}"
            )
    try:
        shape = tuple(operator.index(s) for s in args)
    except TypeError:
        bad = next(s for s in args if not hasattr(type(s), "__index__") or isinstance(s, Tensor))
        raise TypeError(
            f"{fname}(): argument 'size' must be tuple of ints, but found element of type "
            f"{type(bad).__name__}"
        ) from None
    for s in shape:
        if s < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: {list(shape)}"
            )
    return shape


def _check_dtype(dtype, fname: str = "tensor"):
    """``dtype`` as an ember dtype (Python's ``float``, ``int``, ``bool`` and ``complex`` name
    float64, int64, bool and complex128, as in PyTorch), or None."""
    if dtype is None or isinstance(dtype, _dtype.dtype):
        return dtype
    if dtype in _PY_DTYPES:
        return _PY_DTYPES[dtype]
    raise TypeError(f"{fname}(): argument 'dtype' must be ember.dtype, not {type(dtype).__name__}")


def _finish(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        t.requires_grad = True
    return t


def _number(x):
    return x.item() if isinstance(x, Tensor) else x


# PyTorch's C++ names for dtypes, used in its overflow messages.
_C_NAMES = {
    _dtype.bool: "bool",
    _dtype.uint8: "uint8_t",
    _dtype.int8: "int8_t",
    _dtype.int16: "int16_t",
    _dtype.int32: "int",
    _dtype.int64: "int64_t",
    _dtype.float16: "c10::Half",
    _dtype.bfloat16: "c10::BFloat16",
    _dtype.float32: "float",
    _dtype.float64: "double",
    _dtype.complex64: "c10::complex<float>",
    _dtype.complex128: "c10::complex<double>",
}


def _overflow(dt: _dtype.dtype, name: str | None = None) -> RuntimeError:
    return RuntimeError(
        f"value cannot be converted to type {name or _C_NAMES[dt]} without overflow"
    )


def _fill_scalar(value, dt: _dtype.dtype):
    """``value`` as a NumPy scalar of ``dt``, converted as PyTorch converts a fill value:
    floats truncate into integers, a negative int wraps into uint8, and a value that does
    not fit (``300`` into uint8, ``1e300`` into float32, ``nan`` into an integer, a complex
    number with an imaginary part into a real type) raises RuntimeError."""
    if dt is _dtype.bool:
        return dt.np.type(bool(value))
    if type(value) is not float and isinstance(value, complex | _host.xp.complexfloating):
        if not dt.is_complex:
            if value.imag != 0:
                raise _overflow(dt)
            value = value.real
    if dt.is_floating_point or dt.is_complex:
        limit = _float_max(dt)
        for part in (value.real, value.imag) if dt.is_complex else (value,):
            if math.isfinite(part) and abs(part) > limit:
                raise _overflow(dt)
        if dt.is_complex:
            return dt.np.type(complex(value))
        # A double reaches half precision through float, as in c10::Half(float).
        return dt.np.type(_dtype.float32.np.type(value)) if dt.itemsize == 2 else dt.np.type(value)
    low, high = _INT_RANGE[dt]
    if isinstance(value, int | _host.xp.integer):
        value = int(value)
        if dt is _dtype.uint8:
            low = -high  # -255..-1 wrap around, as two's complement does
        if not low <= value <= high:
            raise _overflow(dt)
        return dt.np.type(value % 256 if dt is _dtype.uint8 else value)
    value = float(value)
    if not low <= value <= high:  # also refuses nan and inf
        raise _overflow(dt)
    return dt.np.type(int(value))


_INT_RANGE = {
    dt: (_dtype.iinfo(dt).min, _dtype.iinfo(dt).max)
    for dt in _dtype.ALL_DTYPES
    if not (dt.is_floating_point or dt.is_complex or dt is _dtype.bool)
}


def _fill_dtype(value) -> _dtype.dtype:
    """The dtype ``full`` infers from its fill value (numbers.Integral gives int64)."""
    if type(value) is float:
        return _dtype.get_default_dtype()
    if isinstance(value, bool):
        return _dtype.bool
    if isinstance(value, numbers.Integral):
        return _dtype.int64
    if isinstance(value, complex):
        return _dtype.default_complex_dtype()
    return _dtype.get_default_dtype()


def _fill_value(value, fname: str):
    """A fill value as a number: 0-dim tensors give their value, anything else must be one."""
    if type(value) in (float, int, bool):
        return value
    if isinstance(value, Tensor):
        if value.ndim:
            raise TypeError(f"{fname}(): argument 'fill_value' must be Number, not Tensor")
        return value.item()
    if not isinstance(value, numbers.Number) and not _host.is_numpy(value):
        raise TypeError(
            f"{fname}(): argument 'fill_value' must be Number, not {type(value).__name__}"
        )
    return value


def _make(fill, shape, dtype, device, requires_grad, memory_format=None) -> Tensor:
    """A new tensor of ``shape`` filled with ``fill`` (None: uninitialised)."""
    dt = dtype or _dtype.get_default_dtype()
    dev = as_device(device)
    xp = for_device(dev).xp
    if memory_format is None or memory_format is contiguous_format:
        if fill is not None and fill == 0:
            arr = xp.zeros(shape, dt.np)
        else:
            arr = xp.empty(shape, dt.np)
            if fill is not None:
                arr.fill(fill)
        return _finish(_from_array(arr, dev, dt), requires_grad)
    if memory_format is preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    arr = _empty_strided(xp, shape, _format_strides(shape, memory_format), dt.np)
    if fill is not None:
        arr.fill(fill)
    return _finish(_wrap(arr, dt, dev), requires_grad)


def _no_out(out, fname: str) -> None:
    if out is not None:
        raise NotImplementedError(f"{fname}(out=...) is not supported yet; assign the result")


# -- from data ------------------------------------------------------------------------------


def _type_name(x) -> str:
    """A type's name as PyTorch prints it (``numpy.float64``, ``list``)."""
    tp = type(x)
    return f"numpy.{tp.__name__}" if issubclass(tp, _np_generic) else tp.__name__


def _numpy_dtype(np_dtype) -> _dtype.dtype:
    try:
        return _dtype.from_numpy_dtype(np_dtype)
    except TypeError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np_dtype.type.__name__}. The only "
            "supported types are: float64, float32, float16, bfloat16, complex64, complex128, "
            "int64, int32, int16, int8, uint8, and bool."
        ) from None


def _check_ndarray(arr) -> _dtype.dtype:
    """What ``from_numpy`` requires of an array; returns its dtype."""
    if any(s < 0 for s in arr.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with "
            "negative strides are not currently supported. (You can probably work around "
            "this by making a copy of your array with array.copy().)"
        )
    if not arr.dtype.isnative:
        raise ValueError(
            "given numpy array has byte order different from the native byte order. "
            "Conversion between byte orders is currently not supported."
        )
    return _numpy_dtype(arr.dtype)


def _is_sequence(x) -> bool:
    """Python's sequence protocol, as PyTorch tests it (a dict is not one)."""
    return (
        hasattr(type(x), "__getitem__") and hasattr(type(x), "__len__") and not isinstance(x, dict)
    )


_LIST_TYPES = frozenset((list, tuple))
_DEFAULT_FLOAT, _DEFAULT_COMPLEX = "float", "complex"
_LEAF_KINDS: dict = {float: _DEFAULT_FLOAT, int: _dtype.int64, bool: _dtype.bool,
                     complex: _DEFAULT_COMPLEX, list: None, tuple: None}  # fmt: skip


def _leaf_kind(tp):
    """What a scalar of Python type ``tp`` stands for: a dtype, the default float or complex
    dtype, or None where ``tp`` is no scalar type.  Remembered per type."""
    if issubclass(tp, _np_generic):  # NumPy scalars keep their own dtype
        kind = _numpy_dtype(_host.xp.dtype(tp))
    elif issubclass(tp, float):
        kind = _DEFAULT_FLOAT
    elif issubclass(tp, int):
        kind = _dtype.int64
    elif issubclass(tp, complex):
        kind = _DEFAULT_COMPLEX
    else:
        kind = None
    if len(_LEAF_KINDS) < 256:
        _LEAF_KINDS[tp] = kind
    return kind


def _leaf_dtype(tp):
    """The dtype a scalar of Python type ``tp`` stands for, or None if ``tp`` is no scalar."""
    kind = _LEAF_KINDS.get(tp, False)
    if kind is False:
        kind = _leaf_kind(tp)
    if kind is _DEFAULT_FLOAT:
        return _dtype.get_default_dtype()
    if kind is _DEFAULT_COMPLEX:
        return _dtype.default_complex_dtype()
    return kind


def _infer_dtype(obj, tensors: list):
    """PyTorch's dtype for ``obj`` (its ``infer_scalar_type``): the promotion of the dtypes
    of all leaves.  Tensors met inside sequences are collected in ``tensors``."""
    tp = type(obj)
    if tp is not list and tp is not tuple:
        dt = _leaf_dtype(tp)
        if dt is not None:
            return dt
        return _other_dtype(obj, tensors)
    # Nested lists of Python numbers, the common case, in a few C-level passes: descend
    # level by level while every item is a list, then promote the leaves' distinct types.
    level = obj
    types = set(map(type, level))
    while types and types <= _LIST_TYPES:
        level = list(itertools.chain.from_iterable(level))
        types = set(map(type, level))
    result = _dtype.get_default_dtype() if not types else None
    for tp in types:
        dt = _leaf_dtype(tp)
        if dt is None:  # tensors, arrays, ragged nesting, strings: visit item by item
            return _sequence_dtype(obj, tensors)
        result = dt if result is None else _dtype.promote_types(result, dt)
    return result


def _other_dtype(obj, tensors: list):
    """``_infer_dtype`` for what is neither a list, a tuple nor a scalar."""
    if isinstance(obj, Tensor):
        tensors.append(obj)
        return obj._dtype
    if isinstance(obj, _host.ndarray):
        return _numpy_dtype(obj.dtype)
    if isinstance(obj, str | bytes):
        raise TypeError(f"new(): invalid data type '{type(obj).__name__}'")
    if not _is_sequence(obj):
        raise RuntimeError(f"Could not infer dtype of {type(obj).__name__}")
    return _sequence_dtype(obj, tensors)


def _sequence_dtype(seq, tensors: list):
    """The promotion of the dtypes of a sequence's items (the default dtype if empty)."""
    if len(seq) == 0:
        return _dtype.get_default_dtype()
    # One lookup per distinct item type; only non-scalar items are visited one by one.
    leaves = {tp: _leaf_dtype(tp) for tp in set(map(type, seq))}
    result = None
    for dt in leaves.values():
        if dt is not None:
            result = dt if result is None else _dtype.promote_types(result, dt)
    if None in leaves.values():
        for item in seq:
            if leaves[type(item)] is None:
                if item is seq:
                    raise TypeError("new(): self-referential lists are incompatible")
                dt = _infer_dtype(item, tensors)
                result = dt if result is None else _dtype.promote_types(result, dt)
    return result


def _first_shape(data) -> list[int]:
    """The shape PyTorch reads off the first element at each depth."""
    sizes = []
    x = data
    while _is_sequence(x) and not isinstance(x, Tensor):
        if isinstance(x, str):
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        sizes.append(len(x))
        if not sizes[-1]:
            break
        x = x[0]
    return sizes


def _raise_ragged(data) -> None:
    """Raise PyTorch's error for nested data that is not rectangular."""
    sizes = _first_shape(data)

    def walk(obj, dim):
        if dim == len(sizes):
            if _is_sequence(obj) and not isinstance(obj, Tensor):
                raise TypeError(f"'{type(obj).__name__}' object cannot be interpreted as a number")
            return
        if not _is_sequence(obj) or isinstance(obj, Tensor):
            raise TypeError("not a sequence")
        if len(obj) != sizes[dim]:
            raise ValueError(
                f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(obj)})"
            )
        for item in obj:
            walk(item, dim + 1)

    walk(data, 0)


def _untensor(obj, dt: _dtype.dtype):
    """Nested data with each tensor replaced by its value (PyTorch reads tensors inside
    sequences as scalars: as an index for integer results, else as a number)."""
    if isinstance(obj, Tensor):
        if obj.numel() != 1:
            if dt.is_floating_point or dt.is_complex:
                raise ValueError("only one element tensors can be converted to Python scalars")
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return obj.item()
    if isinstance(obj, list | tuple):
        return [_untensor(x, dt) for x in obj]
    return obj


def _wide(dt: _dtype.dtype) -> _dtype.dtype:
    """The widest dtype of ``dt``'s kind, in which Python values are read before the cast."""
    if dt.is_complex:
        return _dtype.complex128
    if dt.is_floating_point:
        return _dtype.float64
    return _dtype.bool if dt is _dtype.bool else _dtype.int64


def _check_store(arr, read: _dtype.dtype, dt: _dtype.dtype) -> None:
    """PyTorch stores Python values into a tensor of ``dt`` one by one, refusing an integer
    tensor any value that overflows it, and a real tensor any complex value."""
    if read.is_complex and not (dt.is_complex or dt is _dtype.bool):
        if dt.is_floating_point:
            raise TypeError("must be real number, not complex")
        raise TypeError("'complex' object cannot be interpreted as an integer")
    if dt.is_floating_point or dt.is_complex or dt is _dtype.bool or read is _dtype.bool:
        return
    if arr.size == 0:
        return
    info = _dtype.iinfo(dt)
    low = -info.max if dt is _dtype.uint8 and read is _dtype.int64 else info.min
    lo, hi = arr.min(), arr.max()
    if not (lo >= low and hi <= info.max):  # also refuses nan
        raise _overflow(dt, dt.name)


def _array_from_python(data, dtype):
    """A host array of nested Python data and the dtype PyTorch infers for it."""
    tensors = []
    try:
        inferred = _infer_dtype(data, tensors)
    except TypeError:
        if type(data) in (list, tuple):
            _first_shape(data)  # PyTorch reads the shape first: a string there is a ValueError
        raise
    if tensors:
        data = _untensor(data, dtype or inferred)
    read = _wide(inferred)
    try:
        arr = _host.asarray(data, read.np)
    except OverflowError:
        if read is _dtype.int64:
            raise ValueError("Overflow when unpacking long long") from None
        raise
    except (ValueError, TypeError):
        _raise_ragged(data)
        raise
    dt = dtype or inferred
    if dt is not read:
        _check_store(arr, read, dt)
        arr = _astype(arr, read, dt, _host.xp)
    return arr, dt


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False):
    """A new tensor copying ``data`` (a number, nested sequences, a NumPy array or a tensor).

    The dtype is inferred as PyTorch does: Python ints give int64, floats the default dtype,
    bools bool, complex the default complex dtype; NumPy arrays and scalars and tensors
    inside sequences bring their own dtypes, and the result is the promotion of them all.

    >>> ember.tensor([[1., 4.], [2., 1.]])
    tensor([[1., 4.],
            [2., 1.]])
    """
    dtype = _check_dtype(dtype)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()"
            ".clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "ember.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        out = _convert(data.detach(), dtype, device, True)
        return _finish(out, requires_grad)
    dev = as_device(device)
    if isinstance(data, _host.ndarray | _np_generic):  # NumPy data keeps NumPy's casts
        if not isinstance(data, _host.ndarray):
            data = _host.asarray(data)
        src = _check_ndarray(data)
        dt = dtype or src
        arr = _cast_array(data, src, dt, _host.xp)  # keeps the array's strides, as PyTorch
        if dev is not CPU:
            arr = for_device(dev).from_host(arr, dev.index)
        return _finish(_wrap(arr, dt, dev), requires_grad)
    arr, dt = _array_from_python(data, dtype)
    if dev is not CPU:
        arr = for_device(dev).from_host(arr, dev.index)
    return _finish(_from_array(arr, dev, dt), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor``, but shares memory with a tensor or NumPy array when no conversion is
    needed (then writes through either are seen by both)."""
    dtype = _check_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    if isinstance(data, _host.ndarray):
        return from_numpy(data).to(device=device, dtype=dtype)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray) -> Tensor:
    """A cpu tensor sharing memory with a NumPy array: writes to either are seen by both."""
    if not isinstance(ndarray, _host.ndarray):
        raise TypeError(f"expected np.ndarray (got {_type_name(ndarray)})")
    dt = _check_ndarray(ndarray)
    if not ndarray.flags.writeable:
        warnings.warn(
            "The given NumPy array is not writable, and PyTorch does not support non-writable "
            "tensors. You may want to copy the array to protect its data or make it writable "
            "before converting it to a tensor.",
            UserWarning,
            stacklevel=2,
        )
    return _wrap(ndarray, dt, CPU)


# -- by rule --------------------------------------------------------------------------------


def empty(
    *args,
    size=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    memory_format=None,
) -> Tensor:
    """An uninitialised tensor of the given shape (``empty(2, 3)`` or ``empty((2, 3))``)."""
    _no_out(out, "empty")
    shape = _size_args(args, size, "empty")
    return _make(None, shape, _check_dtype(dtype, "empty"), device, requires_grad, memory_format)


def zeros(
    *args,
    size=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> Tensor:
    """A tensor of zeros of the given shape (default dtype unless ``dtype``)."""
    _no_out(out, "zeros")
    shape = _size_args(args, size, "zeros")
    return _make(0, shape, _check_dtype(dtype, "zeros"), device, requires_grad)


def ones(
    *args,
    size=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> Tensor:
    """A tensor of ones of the given shape."""
    _no_out(out, "ones")
    shape = _size_args(args, size, "ones")
    return _make(1, shape, _check_dtype(dtype, "ones"), device, requires_grad)


def full(
    size,
    fill_value,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> Tensor:
    """A tensor of shape ``size`` (a sequence) filled with ``fill_value``.

    The dtype follows the value unless given: bool, int64 for integers, the default complex
    dtype for complex numbers, else the default dtype.
    """
    _no_out(out, "full")
    if not isinstance(size, tuple | list):
        raise TypeError(f"full(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    shape = _size_args((size,), None, "full")
    fill_value = _fill_value(fill_value, "full")
    dt = _check_dtype(dtype, "full") or _fill_dtype(fill_value)
    return _make(_fill_scalar(fill_value, dt), shape, dt, device, requires_grad)


def _like(fill, input, dtype, device, requires_grad, memory_format, fname) -> Tensor:
    """A new tensor shaped like ``input``, with PyTorch's strides for ``memory_format``
    (by default ``input``'s own where they are dense)."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{fname}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    dt = _check_dtype(dtype, fname) or input._dtype
    dev = input._device if device is None else as_device(device)
    xp = for_device(dev).xp
    src = input._data
    strides = _layout_for(src, memory_format)
    if strides is None:
        if fill is not None and fill == 0:
            arr = xp.zeros(src.shape, dt.np)
        else:
            arr = xp.empty(src.shape, dt.np)
            if fill is not None:
                arr.fill(fill)
    else:
        arr = _empty_strided(xp, src.shape, strides, dt.np)
        if fill is not None:
            arr.fill(fill)
    return _finish(_wrap(arr, dt, dev), requires_grad)


def empty_like(
    input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    """An uninitialised tensor like ``input`` (shape, dtype, device and strides)."""
    return _like(None, input, dtype, device, requires_grad, memory_format, "empty_like")


def zeros_like(
    input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    """Zeros like ``input`` (shape, dtype, device and strides)."""
    return _like(0, input, dtype, device, requires_grad, memory_format, "zeros_like")


def ones_like(
    input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None
) -> Tensor:
    """Ones like ``input`` (shape, dtype, device and strides)."""
    return _like(1, input, dtype, device, requires_grad, memory_format, "ones_like")


def full_like(
    input,
    fill_value,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
) -> Tensor:
    """``fill_value`` in a tensor like ``input``; the dtype is ``input``'s unless given."""
    fill_value = _fill_value(fill_value, "full_like")
    if isinstance(input, Tensor):
        fill_value = _fill_scalar(fill_value, _check_dtype(dtype, "full_like") or input._dtype)
    return _like(fill_value, input, dtype, device, requires_grad, memory_format, "full_like")


# PyTorch's names for dtypes in "not implemented for" messages.
_ATEN_NAMES = {_dtype.bool: "Bool", _dtype.complex64: "ComplexFloat",
               _dtype.complex128: "ComplexDouble"}  # fmt: skip


def arange(
    start=None,
    end=None,
    step=1,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
) -> Tensor:
    """Values from ``start`` (inclusive) to ``end`` (exclusive), ``step`` apart.

    int64 when all three are integers, else the default dtype.  The length is
    ``ceil((end - start) / step)`` in double precision (exact integer arithmetic for int64);
    integer dtypes step by the truncated ``start`` and ``step``, as in PyTorch.
    """
    _no_out(out, "arange")
    if end is None:
        if start is None:
            raise TypeError("arange() missing required argument 'end' (pos 1)")
        start, end = 0, start
    elif start is None:
        start = 0
    start, end, step = _number(start), _number(end), _number(step)
    integral = all(type(v) is int or isinstance(v, numbers.Integral) for v in (start, end, step))
    dt = _check_dtype(dtype, "arange") or (_dtype.int64 if integral else _dtype.get_default_dtype())
    if dt in _ATEN_NAMES:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_ATEN_NAMES[dt]}'")
    dstart, dend, dstep = float(start), float(end), float(step)
    if not (dstep > 0 or dstep < 0):
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(dstart) and math.isfinite(dend)):
        raise RuntimeError(f"unsupported range: {dstart:g} -> {dend:g}")
    if not ((dstep > 0 and dend >= dstart) or (dstep < 0 and dend <= dstart)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dt is _dtype.int64:
        istart, iend, istep = int(start), int(end), int(step)
        if istep == 0:
            raise ValueError("step must be nonzero")
        count = iend - istart + istep - (1 if istep > 0 else -1)
        if not -(2**63) <= count < 2**63:  # int64 arithmetic overflows in PyTorch
            raise RuntimeError("invalid size, possible overflow?")
        count //= istep  # both operands have the step's sign, so this is C's division
    else:
        ratio = (dend - dstart) / dstep
        if not ratio <= 2.0**63:
            raise RuntimeError("invalid size, possible overflow?")
        count = math.ceil(ratio)
    dev = as_device(device)
    xp = for_device(dev).xp
    idx = xp.arange(count, dtype=_dtype.int64.np)
    if dt in (_dtype.float16, _dtype.bfloat16):  # accumulated in float32, fused multiply-add
        f32 = _dtype.float32
        vals = _astype(
            _fma(xp, float(f32.np.type(dstep)), idx, float(f32.np.type(dstart))),
            _dtype.float64,
            f32,
            xp,
        )
        arr = _astype(vals, f32, dt, xp)
    elif dt.is_floating_point:  # accumulated in double, fused multiply-add
        vals = _fma(xp, dstep, idx, dstart)
        arr = vals if dt is _dtype.float64 else _astype(vals, _dtype.float64, dt, xp)
    else:  # integers step from the truncated start by the truncated step, in int64
        vals = int(start) + int(step) * idx
        arr = vals if dt is _dtype.int64 else vals.astype(dt.np)
    return _finish(_from_array(arr, dev, dt), requires_grad)


def _steps_arg(steps, fname: str) -> int:
    if isinstance(steps, bool) or not hasattr(type(steps), "__index__"):
        raise TypeError(f"{fname}(): argument 'steps' must be int, not {type(steps).__name__}")
    steps = operator.index(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return steps


def _range_dtype(dtype, start, end, fname: str) -> _dtype.dtype:
    dt = _check_dtype(dtype, fname)
    if dt is None:
        if isinstance(start, complex) or isinstance(end, complex):
            return _dtype.default_complex_dtype()
        return _dtype.get_default_dtype()
    if dt is _dtype.bool:
        raise NotImplementedError(f"\"{fname}_cpu\" not implemented for 'Bool'")
    return dt


def _fma(xp, a: float, n, c: float):
    """``a * n + c`` rounded once (as the fused multiply-add of PyTorch's compiled kernels),
    for a float ``a`` and ``c`` and an array ``n`` of integers below 2**27, in float64.

    The product is split exactly into a double and its rounding error (Dekker), the sum
    likewise (Knuth), and the parts are added back smallest first.
    """
    n = n.astype(_dtype.float64.np)
    split = a * 134217729.0  # 2**27 + 1
    a_hi = split - (split - a)
    a_lo = a - a_hi
    p = a * n
    err = (a_hi * n - p) + a_lo * n
    s = p + c
    back = s - p
    return s + (((p - (s - back)) + (c - back)) + err)


def _linspace_real(xp, start, end, steps: int, dt: _dtype.dtype):
    """PyTorch's linspace kernel for a real dtype: the first half counts up from ``start``,
    the second down from ``end``, in ``dt``'s own arithmetic (double steps for integers)."""
    halfway = steps // 2
    up = xp.arange(halfway, dtype=_dtype.int64.np)  # start + step * up
    down = xp.arange(steps - 1 - halfway, -1, -1, dtype=_dtype.int64.np)  # end - step * down
    f64 = _dtype.float64
    if dt.is_floating_point and dt.itemsize == 2:  # half types round after every operation
        t = dt.np.type
        s, e = t(start), t(end)
        step = (e - s) / t(steps - 1)
        return xp.concatenate((s + step * up.astype(dt.np), e - step * down.astype(dt.np)))
    if dt.is_floating_point:  # fused multiply-adds, as the compiled kernel does
        t = dt.np.type
        s, e = t(start), t(end)
        step = float((e - s) / t(steps - 1))
        if dt is f64:
            return xp.concatenate((_fma(xp, step, up, float(s)), _fma(xp, -step, down, float(e))))
        # float32: the product is exact in double, so one double sum rounds like the FMA
        up, down = up.astype(f64.np), down.astype(f64.np)
        vals = xp.concatenate((float(s) + step * up, float(e) - step * down))
        return _astype(vals, f64, dt, xp)
    s, e = int(_fill_scalar(start, dt)), int(_fill_scalar(end, dt))
    step = (float(e) - float(s)) / (steps - 1)
    vals = xp.concatenate((_fma(xp, step, up, float(s)), _fma(xp, -step, down, float(e))))
    return _astype(vals, f64, dt, xp)


def linspace(
    start,
    end,
    steps,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Computed as PyTorch computes it, so values agree to the last bit: both endpoints are
    exact, and the two halves count from opposite ends.
    """
    _no_out(out, "linspace")
    start, end = _number(start), _number(end)
    steps = _steps_arg(steps, "linspace")
    dt = _range_dtype(dtype, start, end, "linspace")
    dev = as_device(device)
    xp = for_device(dev).xp
    if steps == 0:
        arr = xp.empty(0, dt.np)
    elif steps == 1:
        arr = xp.full(1, _fill_scalar(start, dt), dt.np)
    elif dt.is_complex:
        real = dt.to_real()
        start, end = complex(start), complex(end)
        arr = _linspace_real(xp, start.real, end.real, steps, real) + 1j * _linspace_real(
            xp, start.imag, end.imag, steps, real
        )
        arr = arr.astype(dt.np)
    else:
        arr = _linspace_real(xp, start, end, steps, dt)
    return _finish(_from_array(arr, dev, dt), requires_grad)


def logspace(
    start,
    end,
    steps,
    base: float = 10.0,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
) -> Tensor:
    """``base ** linspace(start, end, steps)``, computed as PyTorch computes it: exponents in
    double precision from ``start`` and ``end`` rounded to ``dtype``, then ``pow``."""
    _no_out(out, "logspace")
    start, end = _number(start), _number(end)
    steps = _steps_arg(steps, "logspace")
    dt = _range_dtype(dtype, start, end, "logspace")
    dev = as_device(device)
    xp = for_device(dev).xp
    f64 = _dtype.float64.np
    if steps <= 1:
        arr = xp.empty(0, dt.np)
        if steps:
            first = base ** (complex(start) if dt.is_complex else float(start))
            arr = xp.full(1, _fill_scalar(first, dt), dt.np)
        return _finish(_from_array(arr, dev, dt), requires_grad)
    i = xp.arange(steps, dtype=_dtype.int64.np)
    back = (steps - 1) - i
    up = i < steps // 2
    if dt.is_complex:  # all in the complex dtype; pow(x, y) is exp(y * log(x))
        t = dt.np.type
        s, e = t(start), t(end)
        step = (e - s) / t(steps - 1)
        exps = xp.where(up, s + step * i.astype(dt.np), e - step * back.astype(dt.np))
        arr = xp.exp(exps * xp.log(t(base)))
    else:
        if dt.is_floating_point:  # bounds rounded to the dtype, exponents in double
            t = dt.np.type
            s, e = t(start), t(end)
            step = float(e - s) / (steps - 1)
            s, e, base = float(s), float(e), float(base)
        else:  # integers: bounds truncated to the dtype, the base rounded to float
            s, e = int(_fill_scalar(start, dt)), int(_fill_scalar(end, dt))
            step = float(e - s) / (steps - 1)
            base = float(_dtype.float32.np.type(base))
        # No fused multiply-add here: PyTorch builds logspace outside its vectorised kernels.
        i, back = i.astype(f64), back.astype(f64)
        vals = xp.power(base, xp.where(up, s + step * i, e - step * back))
        if dt.is_floating_point and dt.itemsize == 2:  # a double reaches half via float
            vals = _astype(vals, _dtype.float64, _dtype.float32, xp)
            arr = _astype(vals, _dtype.float32, dt, xp)
        else:
            arr = _astype(vals, _dtype.float64, dt, xp)
    return _finish(_from_array(arr, dev, dt), requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    pin_memory=False,
    requires_grad=False,
) -> Tensor:
    """An ``n x m`` matrix (``n x n`` by default) with ones on the diagonal."""
    _no_out(out, "eye")
    for name, v in (("n", n), ("m", m)):
        if v is not None and (isinstance(v, bool) or not hasattr(type(v), "__index__")):
            raise TypeError(f"eye(): argument '{name}' must be int, not {type(v).__name__}")
    n = operator.index(n)
    m = n if m is None else operator.index(m)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dt = _check_dtype(dtype, "eye") or _dtype.get_default_dtype()
    dev = as_device(device)
    arr = for_device(dev).xp.eye(n, m, dtype=dt.np)
    return _finish(_from_array(arr, dev, dt), requires_grad)


# -- Tensor.new_* -----------------------------------------------------------------------------


def _new(fill, fname):
    def method(
        self,
        *args,
        size=None,
        dtype=None,
        layout=None,
        device=None,
        requires_grad=False,
        pin_memory=False,
    ):
        shape = _size_args(args, size, fname)
        return _make(
            fill,
            shape,
            _check_dtype(dtype, fname) or self._dtype,
            self._device if device is None else device,
            requires_grad,
        )

    method.__name__ = fname
    method.__doc__ = f"Like ``ember.{fname[4:]}``, with this tensor's dtype and device by default."
    return method


def _new_full(
    self,
    size,
    fill_value,
    *,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    """``ember.full`` with this tensor's dtype and device by default."""
    return full(
        size,
        fill_value,
        dtype=dtype or self._dtype,
        device=self._device if device is None else device,
        requires_grad=requires_grad,
    )


def _new_tensor(
    self, data, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False
):
    """``ember.tensor(data)`` with this tensor's dtype and device by default."""
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()"
            ".clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "tensor.new_tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        dev = self._device if device is None else device
        return _finish(_convert(data.detach(), dtype or self._dtype, dev, True), requires_grad)
    return tensor(
        data,
        dtype=dtype or self._dtype,
        device=self._device if device is None else device,
        requires_grad=requires_grad,
    )


Tensor.new_empty = _new(None, "new_empty")
Tensor.new_zeros = _new(0, "new_zeros")
Tensor.new_ones = _new(1, "new_ones")
Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor
