"""Comparisons, logical and bitwise ops: eq/ne/lt/le/gt/ge, equal, isclose, allclose,
logical_and/or/xor/not, bitwise_and/or/xor/not and the shifts.

None of these has a gradient: results are wrapped directly, outside autograd.  Operands
are compared in their promoted dtype, as PyTorch does (``int_tensor == 2.5`` compares in the
default float dtype).
"""

from __future__ import annotations

from ember import _dtype
from ember._tensor import Tensor, _cast_array, _wrap
from ember.backend import array_module
from ember.ops._pointwise import (
    fit,
    inplace,
    number,
    require_tensor,
    scalar_tensor,
    shape_error,
    store_out,
    unsupported,
)
from ember.ops._util import _TYPE_NAMES, check_same_device, promote

_bool = _dtype.bool
_NUMBER = (int, float, complex)


def _arrays(name: str, input, other, swap: bool = False):
    """The operands as backend arrays in their promoted dtype (a number becomes a 0-d array
    of that dtype, wrapping around like PyTorch's conversion), with that dtype and the device.
    ``swap``: ``input`` is the number and ``other`` the tensor."""
    if isinstance(input, Tensor):
        dt = promote(input, other) if isinstance(other, Tensor) else None
        device = input._device
        if isinstance(other, Tensor):
            check_same_device(input, other)
            b = other._data if other._dtype is dt else _cast(other, dt)
        else:
            other = number(other)
            if not isinstance(other, _NUMBER):
                raise _bad_args(name, other, input) if swap else _bad_args(name, input, other)
            dt = promote(input, other)
            b = scalar_tensor(other, dt, device)._data
        a = input._data if input._dtype is dt else _cast(input, dt)
        return a, b, dt, device
    raise _bad_args(name, input, other)


def _cast(t: Tensor, dt: _dtype.dtype):
    return _cast_array(t._data, t._dtype, dt, array_module(t._data))


def _bad_args(name, input, other) -> TypeError:
    return TypeError(
        f"{name}() received an invalid combination of arguments - got "
        f"({type(input).__name__}, {type(other).__name__}), but expected one of: "
        "(Tensor input, Tensor other), (Tensor input, Number other)"
    )


def _binary(name: str, kernel, kinds: str, number_first: bool = False):
    """A non-differentiable binary op: ``kernel(xp, a, b)`` on promoted arrays.

    ``kinds`` names the dtype categories it accepts: 'all', 'real' (no complex) or 'int'
    (integers and bools); ``number_first``: whether ``input`` may be a number (PyTorch's
    bitwise ops allow it, its comparisons do not).
    """

    def fn(input, other, *, out=None) -> Tensor:
        if isinstance(input, Tensor):
            a, b, dt, device = _arrays(name, input, other)
        elif number_first and isinstance(other, Tensor):
            b, a, dt, device = _arrays(name, other, input, swap=True)
        else:
            raise _bad_args(name, input, other)
        if kinds != "all" and (dt.is_complex or kinds == "int" and dt.is_floating_point):
            raise unsupported(f"{name}_cpu", dt)
        try:
            r = kernel(array_module(a), a, b)
        except ValueError as exc:
            raise shape_error(a.shape, b.shape) from exc
        r = fit(r, a, b)
        r = _wrap(r, _dtype.from_numpy_dtype(r.dtype), device)
        return r if out is None else store_out(out, r)

    fn.__name__ = fn.__qualname__ = name
    return fn


eq = _binary("eq", lambda xp, a, b: a == b, "all")
eq.__doc__ = "Elementwise ``input == other`` as a bool tensor."
ne = _binary("ne", lambda xp, a, b: a != b, "all")
ne.__doc__ = "Elementwise ``input != other`` as a bool tensor."
lt = _binary("lt", lambda xp, a, b: a < b, "real")
lt.__doc__ = "Elementwise ``input < other`` as a bool tensor."
le = _binary("le", lambda xp, a, b: a <= b, "real")
le.__doc__ = "Elementwise ``input <= other`` as a bool tensor."
gt = _binary("gt", lambda xp, a, b: a > b, "real")
gt.__doc__ = "Elementwise ``input > other`` as a bool tensor."
ge = _binary("ge", lambda xp, a, b: a >= b, "real")
ge.__doc__ = "Elementwise ``input >= other`` as a bool tensor."

bitwise_and = _binary("bitwise_and", lambda xp, a, b: xp.bitwise_and(a, b), "int", True)
bitwise_and.__doc__ = "Bitwise AND of integer or bool tensors (logical AND for bools)."
bitwise_or = _binary("bitwise_or", lambda xp, a, b: xp.bitwise_or(a, b), "int", True)
bitwise_or.__doc__ = "Bitwise OR of integer or bool tensors."
bitwise_xor = _binary("bitwise_xor", lambda xp, a, b: xp.bitwise_xor(a, b), "int", True)
bitwise_xor.__doc__ = "Bitwise XOR of integer or bool tensors."


def _shift_amounts(a, b, xp):
    """``b`` with out-of-range amounts (negative, or at least the bit width) flagged: PyTorch
    shifts those all the way out rather than leaving them undefined as C does."""
    bits = a.dtype.itemsize * 8
    bad = (b < 0) | (b >= bits)
    return xp.where(bad, bits - 1, b).astype(a.dtype), bad


def _left_shift(xp, a, b):
    b, bad = _shift_amounts(a, b, xp)
    out = xp.left_shift(a, b)
    return xp.where(bad, 0, out).astype(out.dtype)


def _right_shift(xp, a, b):
    b, bad = _shift_amounts(a, b, xp)  # shifting by width - 1 leaves the sign, as PyTorch does
    out = xp.right_shift(a, b)
    if a.dtype.kind == "u":  # unsigned values shift out to 0
        return xp.where(bad, 0, out).astype(out.dtype)
    return out


_lshift = _binary("lshift", _left_shift, "int", True)
_rshift = _binary("rshift", _right_shift, "int", True)


def _shift(op, name):
    def fn(input, other, *, out=None) -> Tensor:
        if promote(number(input), number(other)) is _bool:
            raise unsupported(f"{name}_cpu", _bool)
        return op(input, other, out=out)

    return fn


bitwise_left_shift = _shift(_lshift, "lshift")
bitwise_left_shift.__name__ = "bitwise_left_shift"
bitwise_left_shift.__doc__ = "``input << other`` for integer tensors (bits shifted out are lost)."
bitwise_right_shift = _shift(_rshift, "rshift")
bitwise_right_shift.__name__ = "bitwise_right_shift"
bitwise_right_shift.__doc__ = "``input >> other`` for integer tensors (arithmetic for signed)."


def bitwise_not(input: Tensor, *, out=None) -> Tensor:
    """Bitwise NOT of an integer tensor (logical NOT for bools)."""
    require_tensor("bitwise_not", input, 1, "input")
    dt = input._dtype
    if dt.is_floating_point or dt.is_complex:
        raise unsupported("bitwise_not_cpu", dt)
    a = input._data
    r = _wrap(fit(array_module(a).invert(a), a), dt, input._device)
    return r if out is None else store_out(out, r)


def _logical(name: str, kernel):
    def fn(input, other, *, out=None) -> Tensor:
        require_tensor(name, input, 1, "input")
        require_tensor(name, other, 2)
        check_same_device(input, other)
        a, b = input._data, other._data
        try:
            r = fit(kernel(array_module(a), a, b), a, b)
        except ValueError as exc:
            raise shape_error(a.shape, b.shape) from exc
        r = _wrap(r, _bool, input._device)
        return r if out is None else store_out(out, r)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise {name.split('_')[1].upper()} of the truth values (nonzero is True)."
    return fn


logical_and = _logical("logical_and", lambda xp, a, b: xp.logical_and(a, b))
logical_or = _logical("logical_or", lambda xp, a, b: xp.logical_or(a, b))
logical_xor = _logical("logical_xor", lambda xp, a, b: xp.logical_xor(a, b))


def logical_not(input: Tensor, *, out=None) -> Tensor:
    """Elementwise NOT of the truth values (nonzero is True), as a bool tensor."""
    require_tensor("logical_not", input, 1, "input")
    a = input._data
    r = _wrap(fit(array_module(a).logical_not(a), a), _bool, input._device)
    return r if out is None else store_out(out, r)


# -- whole-tensor comparisons ---------------------------------------------------------------------


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and the same values (nan is never equal)."""
    require_tensor("equal", input, 1, "input")
    require_tensor("equal", other, 2)
    if tuple(input.shape) != tuple(other.shape):
        return False
    a, b, _, _ = _arrays("equal", input, other)
    return bool((a == b).all())


def _check_tolerances(rtol, atol) -> None:
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:  # fmt: skip
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (equal infinities are close;
    nan is close to nan only with ``equal_nan``)."""
    require_tensor("isclose", input, 1, "input")
    require_tensor("isclose", other, 2)
    if input._dtype is not other._dtype:
        raise RuntimeError(f"{_TYPE_NAMES[input._dtype]} did not match {_TYPE_NAMES[other._dtype]}")
    _check_tolerances(rtol, atol)
    check_same_device(input, other)
    a, b = input._data, other._data
    xp = array_module(a)
    try:
        close = a == b
    except ValueError as exc:
        raise shape_error(a.shape, b.shape) from exc
    dt = input._dtype
    if dt is not _bool and (rtol or atol):
        if dt.is_floating_point or dt.is_complex:
            if equal_nan:
                close |= xp.isnan(a) & xp.isnan(b)
            diff = xp.abs(a - b)
            allowed = atol + rtol * xp.abs(b)
            close |= xp.isfinite(diff) & (diff <= allowed)
        else:
            wide = _dtype.get_default_dtype().np
            diff = xp.abs(a.astype(wide) - b.astype(wide))
            close |= diff <= atol + rtol * xp.abs(b.astype(wide))
    return _wrap(fit(close, a, b), _bool, input._device)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:  # fmt: skip
    """Whether every element of ``input`` is close to ``other`` (see :func:`isclose`)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


# -- installing -----------------------------------------------------------------------------------


def _operator(op):
    """A comparison operator: anything but a tensor or a number makes it step aside, so that
    ``t == None`` is False and ``t < None`` a TypeError, as in PyTorch."""

    def method(self, other):
        other = number(other)
        if isinstance(other, Tensor | int | float | complex):
            return op(self, other)
        return NotImplemented

    method.__name__ = f"__{op.__name__}__"
    return method


def _reflected(op):
    def method(self, other):
        other = number(other)
        if isinstance(other, int | float | complex):
            return op(other, self)
        return NotImplemented

    return method


def _invert(self) -> Tensor:
    if self._dtype.is_floating_point or self._dtype.is_complex:
        raise TypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
        )
    return bitwise_not(self)


_PUBLIC = {
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    "greater": gt, "greater_equal": ge, "less": lt, "less_equal": le, "not_equal": ne,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or,
    "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not,
    "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift,
}  # fmt: skip
for _name, _fn in _PUBLIC.items():
    setattr(Tensor, _name, _fn)
    setattr(Tensor, _name + "_", inplace(_fn))
Tensor.equal = equal
Tensor.isclose = isclose
Tensor.allclose = allclose

Tensor.__eq__ = _operator(eq)
Tensor.__ne__ = _operator(ne)
Tensor.__lt__ = _operator(lt)
Tensor.__le__ = _operator(le)
Tensor.__gt__ = _operator(gt)
Tensor.__ge__ = _operator(ge)
Tensor.__and__ = _operator(bitwise_and)
Tensor.__or__ = _operator(bitwise_or)
Tensor.__xor__ = _operator(bitwise_xor)
Tensor.__rand__ = _reflected(bitwise_and)
Tensor.__ror__ = _reflected(bitwise_or)
Tensor.__rxor__ = _reflected(bitwise_xor)
Tensor.__lshift__ = _operator(bitwise_left_shift)
Tensor.__rshift__ = _operator(bitwise_right_shift)
Tensor.__rlshift__ = _reflected(bitwise_left_shift)
Tensor.__rrshift__ = _reflected(bitwise_right_shift)
Tensor.__iand__ = Tensor.bitwise_and_
Tensor.__ior__ = Tensor.bitwise_or_
Tensor.__ixor__ = Tensor.bitwise_xor_
Tensor.__ilshift__ = Tensor.bitwise_left_shift_
Tensor.__irshift__ = Tensor.bitwise_right_shift_
Tensor.__invert__ = _invert
