"""Tensor factories: from data (``tensor``, ``as_tensor``, ``from_numpy``) and by rule
(``zeros``, ``ones``, ``full``, ``empty``, ``arange``, ``linspace``, ``logspace``, ``eye``,
the ``*_like`` family and the ``Tensor.new_*`` methods).  Random factories live in
``ember/ops/random.py``.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Sequence

from ember import _dtype
from ember._device import CPU, as_device
from ember._tensor import Tensor, _from_array, _wrap
from ember.backend import cpu as _host
from ember.backend import for_device


def _size_args(size) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], Sequence | Tensor):
        size = size[0]
        if isinstance(size, Tensor):
            size = size.tolist()
    try:
        shape = tuple(operator.index(s) for s in size)
    except TypeError:
        raise TypeError(f"expected a sequence of integers as the size, got {list(size)!r}") from None
    for s in shape:
        if s < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {s}: {list(shape)}"
            )
    return shape


def _check_dtype(dtype):
    if dtype is not None and not isinstance(dtype, _dtype.dtype):
        raise TypeError(f"dtype must be an ember.dtype, got {dtype!r}")
    return dtype


def _finish(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        t.requires_grad = True
    return t


def _make(fill, shape, dtype, device, requires_grad) -> Tensor:
    dt = _check_dtype(dtype) or _dtype.get_default_dtype()
    dev = as_device(device)
    xp = for_device(dev).xp
    if fill is None:
        arr = xp.empty(shape, dt.np)
    elif fill == 0:
        arr = xp.zeros(shape, dt.np)
    else:
        arr = xp.full(shape, fill, dt.np)
    return _finish(_from_array(arr, dev, dt), requires_grad)


# -- from data ------------------------------------------------------------------------------


def _array_from_data(data, dev):
    """A new backend array holding ``data`` (nested lists, numbers, arrays, tensors), and
    the dtype PyTorch would infer for it."""
    be = for_device(dev)
    if isinstance(data, Tensor):
        arr = for_device(data._device).to_host(data._data)
        return be.from_host(arr.copy(), dev.index), data._dtype
    if isinstance(data, str | bytes):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    from_python = not _host.is_numpy(data)  # NumPy arrays and scalars keep their dtype
    try:
        arr = _host.array(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"could not build a tensor from the given data: {exc}") from None
    if arr.dtype.kind in "USV":
        raise TypeError(f"new(): invalid data type '{type(arr.flat[0].item()).__name__}'")
    if arr.dtype.kind == "O":
        raise RuntimeError("Could not infer dtype: a value is not a number or overflows int64")
    if from_python and arr.dtype.kind == "f" and arr.dtype.itemsize == 8:
        inferred = _dtype.get_default_dtype()
    elif from_python and arr.dtype.kind == "c" and arr.dtype.itemsize == 16:
        inferred = _dtype.default_complex_dtype()
    else:
        inferred = _dtype.from_numpy_dtype(arr.dtype)
    if arr.dtype != inferred.np:
        arr = arr.astype(inferred.np)
    return be.from_host(arr, dev.index), inferred


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False):
    """A new tensor copying ``data`` (a number, nested sequences, a NumPy array or a tensor).

    The dtype is inferred as PyTorch does: Python ints give int64, floats the default dtype,
    bools bool, complex the default complex dtype; NumPy arrays keep theirs.

    >>> ember.tensor([[1., 4.], [2., 1.]])
    tensor([[1., 4.],
            [2., 1.]])
    """
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.clone()"
            ".detach() or sourceTensor.clone().detach().requires_grad_(True), rather than "
            "ember.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
    dev = as_device(device if device is not None or not isinstance(data, Tensor) else data._device)
    _check_dtype(dtype)
    arr, inferred = _array_from_data(data, dev)
    dt = dtype or inferred
    out = _from_array(arr, dev, inferred)
    if dt is not inferred:
        out = out.to(dt)
    return _finish(out, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor``, but shares memory with a tensor or NumPy array when no conversion is needed."""
    _check_dtype(dtype)
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    if isinstance(data, _host.ndarray) and (device is None or as_device(device).type == "cpu"):
        t = from_numpy(data)
        return t if dtype is None else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray) -> Tensor:
    """A cpu tensor sharing memory with a NumPy array: writes to either are seen by both."""
    if not isinstance(ndarray, _host.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if any(s < 0 for s in ndarray.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with "
            "negative strides are not currently supported. (You can probably work around "
            "this by making a copy of your array with array.copy().)"
        )
    if not ndarray.dtype.isnative:
        raise ValueError(
            "given numpy array has byte order different from the native byte order. "
            "Conversion between byte orders is currently not supported."
        )
    dt = _dtype.from_numpy_dtype(ndarray.dtype)
    if ndarray.size == 0:
        return _from_array(ndarray, CPU, dt)
    return _wrap(ndarray, dt, CPU)


# -- by rule --------------------------------------------------------------------------------


def empty(*size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False,
          memory_format=None) -> Tensor:
    """An uninitialised tensor of the given shape."""
    return _make(None, _size_args(size), dtype, device, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False) -> Tensor:
    """A tensor of zeros of the given shape (default dtype unless ``dtype``)."""
    return _make(0, _size_args(size), dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False) -> Tensor:
    """A tensor of ones of the given shape."""
    return _make(1, _size_args(size), dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
         pin_memory=False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value unless given."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value)
    return _make(fill_value, _size_args((size,)), dtype, device, requires_grad)


def _like(fill, input: Tensor, dtype, device, requires_grad) -> Tensor:
    dt = _check_dtype(dtype) or input._dtype
    dev = input._device if device is None else as_device(device)
    xp = for_device(dev).xp
    src = input._data
    if dev != input._device:
        return _make(fill, tuple(src.shape), dt, dev, requires_grad)
    if fill is None:
        arr = xp.empty_like(src, dtype=dt.np, order="K")
    elif fill == 0:
        arr = xp.zeros_like(src, dtype=dt.np, order="K")
    else:
        arr = xp.full_like(src, fill, dtype=dt.np, order="K")
    if not arr.flags.c_contiguous and not arr.flags.f_contiguous:
        arr = xp.ascontiguousarray(arr)
    return _finish(_from_array(arr, dev, dt), requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None) -> Tensor:
    return _like(None, input, dtype, device, requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None) -> Tensor:
    return _like(0, input, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None) -> Tensor:
    return _like(1, input, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None) -> Tensor:
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _like(fill_value, input, dtype, device, requires_grad)


def _number(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False,
           layout=None, out=None) -> Tensor:
    """Values from ``start`` (inclusive) to ``end`` (exclusive), ``step`` apart.

    int64 when all three are integers, else the default dtype.
    """
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    if dtype is None:
        if all(isinstance(v, int) for v in (start, end, step)):
            dtype = _dtype.int64
        else:
            dtype = _dtype.get_default_dtype()
    _check_dtype(dtype)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype.is_floating_point or any(isinstance(v, float) for v in (start, end, step)):
        count = math.ceil((end - start) / step)
    else:
        count = -((start - end) // step)
    dev = as_device(device)
    xp = for_device(dev).xp
    if dtype.is_floating_point or dtype.is_complex:
        arr = (start + xp.arange(count, dtype=_dtype.float64.np) * step).astype(dtype.np)
    else:
        arr = (start + xp.arange(count, dtype=_dtype.int64.np) * int(step)).astype(dtype.np)
        if any(isinstance(v, float) for v in (start, step)):
            vals = start + xp.arange(count, dtype=_dtype.float64.np) * step
            arr = vals.astype(dtype.np)
    return _finish(_from_array(arr, dev, dtype), requires_grad)


def _symmetric_steps(xp, start, end, steps):
    """``steps`` evenly spaced values, computed from both ends (the first half counts up from
    ``start``, the second down from ``end``) so that both endpoints are exact, as in PyTorch."""
    i = xp.arange(steps, dtype=_dtype.float64.np)
    if steps == 1:
        return xp.full(1, start, dtype=_dtype.float64.np)
    step = (end - start) / (steps - 1)
    half = steps // 2
    return xp.where(i < half, start + step * i, end - step * (steps - 1 - i))


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, layout=None,
             out=None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    start, end, steps = _number(start), _number(end), operator.index(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _check_dtype(dtype) or _dtype.get_default_dtype()
    dev = as_device(device)
    xp = for_device(dev).xp
    vals = _symmetric_steps(xp, start, end, steps)
    if dt.is_floating_point or dt.is_complex:
        arr = vals.astype(dt.np)
    else:
        arr = _int_linspace(xp, start, end, steps).astype(dt.np)
    return _finish(_from_array(arr, dev, dt), requires_grad)


def _int_linspace(xp, start, end, steps):
    # Integer linspace steps by the truncated float step from start, as PyTorch does.
    if steps <= 1:
        return xp.full(steps, start, dtype=_dtype.int64.np)
    step = (end - start) / (steps - 1)
    return (start + step * xp.arange(steps, dtype=_dtype.float64.np)).astype(_dtype.int64.np)


def logspace(start, end, steps, base: float = 10.0, *, dtype=None, device=None,
             requires_grad=False, layout=None, out=None) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    start, end, steps = _number(start), _number(end), operator.index(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _check_dtype(dtype) or _dtype.get_default_dtype()
    dev = as_device(device)
    xp = for_device(dev).xp
    arr = xp.power(base, _symmetric_steps(xp, start, end, steps))
    if not (dt.is_floating_point or dt.is_complex):
        arr = xp.trunc(arr)
    return _finish(_from_array(arr.astype(dt.np), dev, dt), requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad=False,
        layout=None, out=None) -> Tensor:
    """An ``n x m`` matrix with ones on the diagonal."""
    m = n if m is None else m
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dt = _check_dtype(dtype) or _dtype.get_default_dtype()
    dev = as_device(device)
    arr = for_device(dev).xp.eye(n, m, dtype=dt.np)
    return _finish(_from_array(arr, dev, dt), requires_grad)


# -- Tensor.new_* -----------------------------------------------------------------------------


def _new(fill):
    def method(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
        return _make(fill, _size_args(size), dtype or self._dtype,
                     self._device if device is None else device, requires_grad)

    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
              layout=None, pin_memory=False):
    return full(size, fill_value, dtype=dtype or self._dtype,
                device=self._device if device is None else device, requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
                pin_memory=False):
    return tensor(data, dtype=dtype or self._dtype,
                  device=self._device if device is None else device, requires_grad=requires_grad)


Tensor.new_empty = _new(None)
Tensor.new_zeros = _new(0)
Tensor.new_ones = _new(1)
Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor
