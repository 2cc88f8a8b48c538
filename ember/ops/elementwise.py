"""Pointwise arithmetic on two or more operands: add, sub, mul, div and its rounding modes,
remainder, fmod, pow, atan2, hypot, maximum/minimum, fmax/fmin, lerp, addcmul, addcdiv,
clamp and where.

Each primitive's forward (arrays) and backward (tensors) stand together; the public function
prepares the operands (PyTorch's promotion, Python scalars) and applies it.  The helpers the
pointwise modules share live in ``_pointwise``.
"""

from __future__ import annotations

import math

from ember import _dtype
from ember._tensor import Tensor, _wrap
from ember.autograd.function import Primitive
from ember.backend import array_module, cpu
from ember.ops._pointwise import (
    apply,
    copy_array,
    fit,
    inplace,
    number,
    operands,
    reduce_grad,
    require_tensor,
    scalar_array,
    scalar_tensor,
    shape_error,
    store_out,
    unsupported,
)
from ember.ops._util import _TYPE_NAMES, cast, promote

_bool = _dtype.bool


def _integral(dt: _dtype.dtype) -> bool:
    return not (dt.is_floating_point or dt.is_complex)


def _check_nonzero(b, xp) -> None:
    """Integer division by zero is an error in PyTorch, not a silent zero."""
    if not b.all():
        raise RuntimeError("ZeroDivisionError")


# -- add, sub, mul, div ---------------------------------------------------------------------------


class Add(Primitive):
    save_inputs = False
    save_shapes = True
    alpha = 1  # (set on the node only when another alpha is given)

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        if alpha == 1:
            return fit(a + b, a, b)
        ctx.alpha = alpha
        if a.dtype.kind in "biu":  # alpha in the integer dtype, wrapping as PyTorch does
            alpha = scalar_array(alpha, a.dtype, array_module(a))
        return fit(a + alpha * b, a, b)

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        gb = None
        if ctx.needs_input_grad[1]:
            gb = reduce_grad(grad if ctx.alpha == 1 else grad * ctx.alpha, sb)
        return (reduce_grad(grad, sa) if ctx.needs_input_grad[0] else None), gb


class Sub(Primitive):
    save_inputs = False
    save_shapes = True
    alpha = 1  # (set on the node only when another alpha is given)

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        if alpha == 1:
            return fit(a - b, a, b)
        ctx.alpha = alpha
        if a.dtype.kind in "biu":  # alpha in the integer dtype, wrapping as PyTorch does
            alpha = scalar_array(alpha, a.dtype, array_module(a))
        return fit(a - alpha * b, a, b)

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        gb = None
        if ctx.needs_input_grad[1]:
            gb = reduce_grad(-grad if ctx.alpha == 1 else grad * -ctx.alpha, sb)
        return (reduce_grad(grad, sa) if ctx.needs_input_grad[0] else None), gb


class Mul(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (needs[1], needs[0])

    save_shapes = True

    @staticmethod
    def forward(ctx, a, b):
        out = a * b
        if out.dtype is not a.dtype and out.dtype != a.dtype:  # a half tensor by a float32 number
            out = out.astype(a.dtype)
        return fit(out, a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        # (the primitive itself: the operands already have the dtypes ``mul`` gave them)
        return (
            reduce_grad(Mul.apply2(grad, b), sa) if need_a else None,
            reduce_grad(Mul.apply2(grad, a), sb) if need_b else None,
        )


class Div(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (needs[1], True)

    save_shapes = True

    @staticmethod
    def forward(ctx, a, b):
        out = a / b
        if out.dtype != a.dtype:  # a float16/bfloat16 tensor by a float32 number
            out = out.astype(a.dtype)
        return fit(out, a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = grad / b
        return (
            reduce_grad(ga, ctx.shapes[0]) if ctx.needs_input_grad[0] else None,
            reduce_grad(-ga * a / b, ctx.shapes[1]) if ctx.needs_input_grad[1] else None,
        )


def _floor_div(a, b, xp):
    return xp.floor_divide(a, b)


class DivRounding(Primitive):
    """``div`` with ``rounding_mode`` 'trunc' or 'floor': piecewise constant, zero gradient."""

    save_inputs = False

    def name(self) -> str:
        return "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, mode):
        ctx.shapes = (a.shape, b.shape)
        xp = array_module(a)
        if a.dtype.kind in "iu":
            _check_nonzero(b, xp)
            q = a // b
            if mode == "trunc":  # floor division rounds down; step back up where inexact
                q += (q < 0) & (q * b != a)
            return fit(q, a, b)
        if mode == "trunc":  # the quotient rounds to the dtype first, as in PyTorch
            return fit(xp.trunc(a / b), a, b)
        return fit(_half_safe(_floor_div, a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        return tuple(
            grad.new_zeros(s) if need else None
            for s, need in zip(ctx.shapes, ctx.needs_input_grad, strict=True)
        )


class FloorDivide(DivRounding):
    """``floor_divide``, which PyTorch leaves without a derivative."""

    def name(self) -> str:
        return "FloorDivideBackward0"

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("the derivative for 'floor_divide' is not implemented.")


def _check_alpha(alpha, dt: _dtype.dtype) -> None:
    alpha = number(alpha)
    if isinstance(alpha, bool):
        if dt is not _bool:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
    elif isinstance(alpha, float) and _integral(dt):
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )
    elif isinstance(alpha, complex) and not dt.is_complex:
        raise RuntimeError(
            "For non-complex input tensors, argument alpha must not be a complex number."
        )


def add(input, other, *, alpha=1, out=None) -> Tensor:
    """``input + alpha * other``, broadcasting and promoting like PyTorch."""
    if (
        type(other) is Tensor
        and type(input) is Tensor
        and input._dtype is other._dtype
        and input._device is other._device
        and out is None
        and type(alpha) is int
        and alpha == 1
    ):  # the common case in one test
        try:
            return Add.apply2(input, other)
        except ValueError as exc:
            raise shape_error(input.shape, other.shape) from exc
    a, b = operands(input, other)
    try:
        if alpha == 1 and alpha is not True:
            r = Add.apply(a, b)
        else:
            _check_alpha(alpha, a._dtype)
            r = Add.apply(a, b, alpha=alpha)
    except ValueError as exc:
        raise shape_error(a.shape, b.shape) from exc
    return r if out is None else store_out(out, r)


def _bool_sub_error(input, other) -> RuntimeError:
    if isinstance(input, Tensor) and isinstance(other, Tensor | bool) or isinstance(input, bool):
        return RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    return RuntimeError(
        "Subtraction, the `-` operator, with a bool tensor is not supported. "
        "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
    )


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """``input - alpha * other``."""
    if (
        type(other) is Tensor
        and type(input) is Tensor
        and input._dtype is other._dtype
        and input._device is other._device
        and input._dtype is not _bool
        and out is None
        and type(alpha) is int
        and alpha == 1
    ):  # the common case in one test
        try:
            return Sub.apply2(input, other)
        except ValueError as exc:
            raise shape_error(input.shape, other.shape) from exc
    a, b = operands(input, other)
    if a._dtype is _bool or _is_bool(input) or _is_bool(other):
        raise _bool_sub_error(input, other)
    try:
        if alpha == 1 and alpha is not True:
            r = Sub.apply(a, b)
        else:
            _check_alpha(alpha, a._dtype)
            r = Sub.apply(a, b, alpha=alpha)
    except ValueError as exc:
        raise shape_error(a.shape, b.shape) from exc
    return r if out is None else store_out(out, r)


def _is_bool(x) -> bool:
    return x._dtype is _bool if isinstance(x, Tensor) else isinstance(x, bool)


def rsub(input, other, *, alpha=1) -> Tensor:
    """``other - alpha * input``."""
    return sub(other, input, alpha=alpha)


_HALF_DTYPES = (_dtype.float16, _dtype.bfloat16)
_FLOAT_NOT_HALF = frozenset({_dtype.float32, _dtype.float64})


def _half_by_number(input, other):
    """``other`` as a float32 0-dim tensor when ``input`` is a float16/bfloat16 tensor and
    ``other`` a real number (or a 0-dim float tensor that needs no gradient), else None.

    PyTorch's CPU mul and div then take the number at float32 precision and round the
    product once (``half_tensor * 0.1`` is not ``half_tensor * half(0.1)``)."""
    if isinstance(other, Tensor):
        if other._data.ndim or other._requires_grad or not other._dtype.is_floating_point:
            return None
        return cast(other, _dtype.float32)
    other = number(other)
    if type(other) is float or type(other) is int:
        return scalar_tensor(other, _dtype.float32, input._device)
    return None


def mul(input, other, *, out=None) -> Tensor:
    """Elementwise product."""
    if (
        type(other) is Tensor
        and type(input) is Tensor
        and input._dtype is other._dtype
        and input._device is other._device
        and out is None
        and input._dtype not in _HALF_DTYPES
    ):  # the common case in one test
        try:
            return Mul.apply2(input, other)
        except ValueError as exc:
            raise shape_error(input.shape, other.shape) from exc
    if isinstance(input, Tensor) and input._dtype in _HALF_DTYPES:
        b = _half_by_number(input, other)
        if b is not None:
            r = Mul.apply(input, b)
            return r if out is None else store_out(out, r)
    a, b = operands(input, other)
    try:
        r = Mul.apply(a, b)
    except ValueError as exc:
        raise shape_error(a.shape, b.shape) from exc
    return r if out is None else store_out(out, r)


def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    """Division.  True division (the default) gives integer inputs the default float dtype;
    ``rounding_mode='trunc'`` rounds toward zero and ``'floor'`` down, keeping integer dtypes
    (integer division by zero is an error)."""
    if rounding_mode is None:
        if (
            type(other) is Tensor
            and type(input) is Tensor
            and input._dtype is other._dtype
            and input._device is other._device
            and out is None
            and input._dtype in _FLOAT_NOT_HALF
        ):  # the common case in one test
            try:
                return Div.apply2(input, other)
            except ValueError as exc:
                raise shape_error(input.shape, other.shape) from exc
        if isinstance(input, Tensor) and input._dtype in _HALF_DTYPES:
            b = _half_by_number(input, other)
            if b is not None:
                r = Div.apply(input, b)
                return r if out is None else store_out(out, r)
        dt = promote(number(input), number(other))
        if _integral(dt):
            dt = _dtype.get_default_dtype()
        a, b = operands(input, other, dt)
        try:
            r = Div.apply(a, b)
        except ValueError as exc:
            raise shape_error(a.shape, b.shape) from exc
    elif rounding_mode in ("trunc", "floor"):
        a, b = operands(input, other)
        if a._dtype is _bool or a._dtype.is_complex:
            raise unsupported(f"div_{rounding_mode}_cpu", a._dtype)
        r = apply(DivRounding, a, b, mode=rounding_mode)
    else:
        raise ValueError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )
    return r if out is None else store_out(out, r)


def true_divide(input, other, *, out=None) -> Tensor:
    """Alias of ``div`` without rounding."""
    return div(input, other, out=out)


def floor_divide(input, other, *, out=None) -> Tensor:
    """Division rounded down (``//``); not differentiable, as in PyTorch."""
    a, b = operands(input, other)
    if a._dtype is _bool or a._dtype.is_complex:
        raise unsupported("div_floor_cpu", a._dtype)
    r = apply(FloorDivide, a, b, mode="floor")
    return r if out is None else store_out(out, r)


# -- remainder, fmod ------------------------------------------------------------------------------


class Remainder(Primitive):
    """Python's modulus: the result takes the divisor's sign."""

    @staticmethod
    def saved_mask(needs):
        return (needs[1], needs[1])

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        xp = array_module(a)
        if a.dtype.kind in "iu":
            _check_nonzero(b, xp)
        return fit(xp.remainder(a, b), a, b)

    def name(self) -> str:
        return "RemainderBackward1" if self.needs_input_grad[1] else "RemainderBackward0"

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        return (
            reduce_grad(grad, sa) if ctx.needs_input_grad[0] else None,
            reduce_grad(-grad * div(a, b, rounding_mode="floor"), sb)
            if ctx.needs_input_grad[1]
            else None,
        )


class Fmod(Primitive):
    """C's modulus: the result takes the dividend's sign."""

    @staticmethod
    def saved_mask(needs):
        return (needs[1], needs[1])

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        xp = array_module(a)
        if a.dtype.kind in "iu":
            _check_nonzero(b, xp)
        return fit(xp.fmod(a, b), a, b)

    def name(self) -> str:
        return "FmodBackward1" if self.needs_input_grad[1] else "FmodBackward0"

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        return (
            reduce_grad(grad, sa) if ctx.needs_input_grad[0] else None,
            reduce_grad(-grad * div(a, b, rounding_mode="trunc"), sb)
            if ctx.needs_input_grad[1]
            else None,
        )


def remainder(input, other, *, out=None) -> Tensor:
    """Elementwise remainder with the sign of the divisor (Python's ``%``)."""
    a, b = operands(input, other)
    if a._dtype is _bool or a._dtype.is_complex:
        raise unsupported("remainder_cpu", a._dtype)
    r = apply(Remainder, a, b)
    return r if out is None else store_out(out, r)


def fmod(input, other, *, out=None) -> Tensor:
    """Elementwise remainder with the sign of the dividend (C's ``fmod``)."""
    require_tensor("fmod", input, 1, "input")
    a, b = operands(input, other)
    if a._dtype is _bool or a._dtype.is_complex:
        raise unsupported("fmod_cpu", a._dtype)
    r = apply(Fmod, a, b)
    return r if out is None else store_out(out, r)


# -- pow ------------------------------------------------------------------------------------------


def _int_pow(a, b, xp):
    """Integer powers as PyTorch computes them: a negative exponent gives 1/a**-b truncated
    toward zero (so 0 unless ``|a| == 1``), where NumPy refuses."""
    neg = b < 0
    if not neg.any():
        return xp.power(a, b)
    out = xp.power(a, xp.where(neg, 0, b))
    odd = (b & 1).astype(_bool.np)
    tiny = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0)).astype(out.dtype)
    return xp.where(neg, tiny, out)


class Pow(Primitive):
    """``input ** exponent`` with a Python number as the exponent."""

    @staticmethod
    def forward(ctx, a, exponent):
        ctx.exponent = exponent
        xp = array_module(a)
        if exponent == 2:
            return fit(a * a, a)
        if a.dtype == _bool.np:  # True ** e is True, False ** e is False unless e is 0
            return copy_array(a) if exponent else fit(xp.ones_like(a), a)
        return fit(xp.power(a, exponent), a)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        e = ctx.exponent
        if e == 0:
            return grad.new_zeros(x.shape)
        return grad * (e * x.pow(e - 1))


class PowTensor(Primitive):
    """``input ** exponent`` with both as tensors."""

    def name(self) -> str:
        return "PowBackward1"

    save_output = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        xp = array_module(a)
        if a.dtype.kind in "iu":
            return fit(_int_pow(a, b, xp), a, b)
        return fit(xp.power(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        x, e = ctx.saved_tensors
        sa, sb = ctx.shapes
        gx = ge = None
        if ctx.needs_input_grad[0]:
            gx = where(e == 0, 0.0, grad * (e * x.pow(e - 1)))
            gx = reduce_grad(gx, sa)
        if ctx.needs_input_grad[1]:
            y = ctx.output()
            ge = grad * where((x == 0) & (e >= 0), 0.0, y * x.log())
            ge = reduce_grad(ge, sb)
        return gx, ge


class PowScalarBase(Primitive):
    """``base ** exponent`` with a Python number as the base."""

    save_output = True

    def name(self) -> str:
        return "PowBackward2"

    @staticmethod
    def forward(ctx, e, base):
        ctx.base = base
        xp = array_module(e)
        b = scalar_array(base, e.dtype, xp)
        if e.dtype.kind in "iu":
            return fit(_int_pow(b, e, xp), e)
        return fit(xp.power(b, e), e)

    @staticmethod
    def backward(ctx, grad):
        base = ctx.base
        y = ctx.output()
        if base == 0:  # d/de 0**e is 0 where e >= 0 (PyTorch's convention), else inf * log 0
            (e,) = ctx.saved_tensors
            return grad * where(e >= 0, 0.0, y * -math.inf)
        if isinstance(base, complex) or y._dtype.is_complex:
            import cmath

            log_base = cmath.log(base)
        else:
            log_base = math.log(base) if base > 0 else math.nan
        return grad * (y * log_base)


def pow(input, exponent, *, out=None) -> Tensor:
    """``input ** exponent``; either may be a Python number.  Integer tensors raised to a
    negative integer number raise, as in PyTorch."""
    if isinstance(input, Tensor):
        if isinstance(exponent, Tensor):
            a, b = operands(input, exponent)
            if a._dtype is _bool:
                raise unsupported("pow", _bool)
            r = apply(PowTensor, a, b)
        else:
            exponent = number(exponent)
            dt = promote(input, exponent)
            if _integral(dt) and dt is not _bool and exponent < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            r = Pow.apply(cast(input, dt), exponent=exponent)
    else:
        require_tensor("pow", exponent, 2, "exponent")
        input = number(input)
        dt = _dtype.result_type(input, exponent)
        if dt is _bool:
            raise unsupported("pow", _bool)
        r = PowScalarBase.apply(cast(exponent, dt), base=input)
    return r if out is None else store_out(out, r)


def float_power(input, exponent, *, out=None) -> Tensor:
    """``pow`` computed in double precision (complex128 for complex operands)."""
    complex_ = any(
        (x._dtype.is_complex if isinstance(x, Tensor) else isinstance(x, complex))
        for x in (input, exponent)
    )
    dt = _dtype.complex128 if complex_ else _dtype.float64
    if isinstance(input, Tensor):
        input = cast(input, dt)
    if isinstance(exponent, Tensor):
        exponent = cast(exponent, dt)
    return pow(input, exponent, out=out)


# -- atan2, hypot ---------------------------------------------------------------------------------


class Atan2(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return fit(array_module(a).arctan2(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        scaled = grad / (a * a + b * b)
        return (
            reduce_grad(scaled * b, ctx.shapes[0]) if ctx.needs_input_grad[0] else None,
            reduce_grad(scaled * -a, ctx.shapes[1]) if ctx.needs_input_grad[1] else None,
        )


class Hypot(Primitive):
    save_output = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return fit(array_module(a).hypot(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        scaled = grad / ctx.output()
        return (
            reduce_grad(scaled * a, ctx.shapes[0]) if ctx.needs_input_grad[0] else None,
            reduce_grad(scaled * b, ctx.shapes[1]) if ctx.needs_input_grad[1] else None,
        )


def _float_operands(name, input, other):
    """Both tensors in their promoted dtype, integers going to the default float dtype."""
    require_tensor(name, input, 1, "input")
    require_tensor(name, other, 2)
    dt = promote(input, other)
    if _integral(dt):
        dt = _dtype.get_default_dtype()
    return operands(input, other, dt)


def atan2(input, other, *, out=None) -> Tensor:
    """The angle of the point ``(other, input)``: ``atan(input / other)`` in the right quadrant."""
    a, b = _float_operands("atan2", input, other)
    if a._dtype.is_complex:
        raise unsupported("atan2_cpu", a._dtype)
    r = apply(Atan2, a, b)
    return r if out is None else store_out(out, r)


def hypot(input, other, *, out=None) -> Tensor:
    """``sqrt(input**2 + other**2)`` without overflow; floating dtypes only."""
    require_tensor("hypot", input, 1, "input")
    require_tensor("hypot", other, 2)
    a, b = operands(input, other)
    if not a._dtype.is_floating_point:
        raise unsupported("hypot_cpu", a._dtype)
    r = apply(Hypot, a, b)
    return r if out is None else store_out(out, r)


# -- maximum, minimum, fmax, fmin -----------------------------------------------------------------


class Maximum(Primitive):
    """Elementwise max, nan winning; a tie splits the gradient evenly, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return fit(array_module(a).maximum(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_grad(ctx, grad, a, b, a < b, a > b)


class Minimum(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return fit(array_module(a).minimum(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_grad(ctx, grad, a, b, a > b, a < b)


def _split_grad(ctx, grad, a, b, a_loses, b_loses):
    tied = where(a == b, grad / 2, grad)
    return (
        reduce_grad(where(a_loses, 0.0, tied), ctx.shapes[0]) if ctx.needs_input_grad[0] else None,
        reduce_grad(where(b_loses, 0.0, tied), ctx.shapes[1]) if ctx.needs_input_grad[1] else None,
    )


class Fmax(Primitive):
    """Elementwise max ignoring nan; ties send the gradient to ``input``."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return fit(array_module(a).fmax(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _pick_grad(ctx, grad, (a >= b) | b.isnan())


class Fmin(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return fit(array_module(a).fmin(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _pick_grad(ctx, grad, (a <= b) | b.isnan())


def _pick_grad(ctx, grad, a_wins):
    return (
        reduce_grad(where(a_wins, grad, 0.0), ctx.shapes[0]) if ctx.needs_input_grad[0] else None,
        reduce_grad(where(a_wins, 0.0, grad), ctx.shapes[1]) if ctx.needs_input_grad[1] else None,
    )


def _extremum(op, name):
    def fn(input, other, *, out=None) -> Tensor:
        require_tensor(name, input, 1, "input")
        require_tensor(name, other, 2)
        a, b = operands(input, other)
        if a._dtype.is_complex:
            raise RuntimeError(f"{name} not implemented for complex tensors.")
        r = apply(op, a, b)
        return r if out is None else store_out(out, r)

    fn.__name__ = fn.__qualname__ = name
    return fn


maximum = _extremum(Maximum, "maximum")
maximum.__doc__ = "Elementwise maximum of two tensors; nan propagates."
minimum = _extremum(Minimum, "minimum")
minimum.__doc__ = "Elementwise minimum of two tensors; nan propagates."
fmax = _extremum(Fmax, "fmax")
fmax.__doc__ = "Elementwise maximum of two tensors, taking the number where one side is nan."
fmin = _extremum(Fmin, "fmin")
fmin.__doc__ = "Elementwise minimum of two tensors, taking the number where one side is nan."


# -- lerp, addcmul, addcdiv -----------------------------------------------------------------------


def _lerp_array(a, b, w, xp):
    """``a + w (b - a)``, from the nearer end so that ``w == 1`` gives ``b`` exactly."""
    d = b - a
    if not hasattr(w, "shape"):
        return a + w * d if abs(w) < 0.5 else b - d * (1 - w)
    return xp.where(xp.abs(w) < 0.5, a + w * d, b - d * (1 - w))


class Lerp(Primitive):
    """Linear interpolation with a Python number as the weight."""

    save_inputs = False

    @staticmethod
    def forward(ctx, a, b, weight):
        ctx.shapes = (a.shape, b.shape)
        ctx.weight = weight
        return fit(_half_safe(_lerp_array, a, b, weight), a, b)

    @staticmethod
    def backward(ctx, grad):
        w = ctx.weight
        return (
            reduce_grad(grad * (1 - w), ctx.shapes[0]) if ctx.needs_input_grad[0] else None,
            reduce_grad(grad * w, ctx.shapes[1]) if ctx.needs_input_grad[1] else None,
        )


class LerpTensor(Primitive):
    def name(self) -> str:
        return "LerpBackward1"

    @staticmethod
    def saved_mask(needs):
        return (needs[2], needs[2], True)

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.shapes = (a.shape, b.shape, w.shape)
        return fit(_half_safe(_lerp_array, a, b, w), a, b, w)

    @staticmethod
    def backward(ctx, grad):
        a, b, w = ctx.saved_tensors
        sa, sb, sw = ctx.shapes
        need = ctx.needs_input_grad
        return (
            reduce_grad(grad * (1 - w), sa) if need[0] else None,
            reduce_grad(grad * w, sb) if need[1] else None,
            reduce_grad(grad * (b - a), sw) if need[2] else None,
        )


def _half_safe(kernel, *arrays):
    """Run a multi-step kernel in float32 for float16/bfloat16 arrays (one rounding at the
    end, as PyTorch's CPU kernels do), else as is."""
    a = arrays[0]
    xp = array_module(a)
    if a.dtype in _HALF:
        up = [x.astype(xp.float32) if hasattr(x, "dtype") else x for x in arrays]
        return kernel(*up, xp).astype(a.dtype)
    return kernel(*arrays, xp)


_HALF = (_dtype.float16.np, _dtype.bfloat16.np)


def _check_same_dtype(a: Tensor, other: Tensor, arg: str) -> None:
    if other._dtype is not a._dtype:
        raise RuntimeError(
            f"expected dtype {_short(a._dtype)} for `{arg}` but got dtype {_short(other._dtype)}"
        )


def _short(dt: _dtype.dtype) -> str:
    return {"float32": "float", "float64": "double", "float16": "half"}.get(dt.name, dt.name)


def lerp(input, end, weight, *, out=None) -> Tensor:
    """``input + weight * (end - input)``; ``weight`` a Python number or a tensor."""
    require_tensor("lerp", input, 1, "input")
    require_tensor("lerp", end, 2, "end")
    _check_same_dtype(input, end, "end")
    if not (input._dtype.is_floating_point or input._dtype.is_complex):
        raise unsupported("lerp_kernel_scalar", input._dtype)
    if isinstance(weight, Tensor):
        _check_same_dtype(input, weight, "weight")
        r = apply(LerpTensor, input, end, weight)
    else:
        r = apply(Lerp, input, end, weight=weight)
    return r if out is None else store_out(out, r)


def _addcmul_array(a, t1, t2, value, xp):
    if a.dtype.kind in "biu":
        value = scalar_array(value, a.dtype, xp)
    return a + value * t1 * t2 if value != 1 else a + t1 * t2


def _addcdiv_array(a, t1, t2, value, xp):
    if a.dtype.kind in "biu":
        value = scalar_array(value, a.dtype, xp)
    return a + value * (t1 / t2) if value != 1 else a + t1 / t2


class Addcmul(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (False, needs[2], needs[1])

    @staticmethod
    def forward(ctx, a, t1, t2, value):
        ctx.shapes = (a.shape, t1.shape, t2.shape)
        ctx.value = value
        return fit(_half_safe(_addcmul_array, a, t1, t2, value), a, t1, t2)

    @staticmethod
    def backward(ctx, grad):
        _, t1, t2 = ctx.saved_tensors
        sa, s1, s2 = ctx.shapes
        need, v = ctx.needs_input_grad, ctx.value
        g = grad if v == 1 else grad * v
        return (
            reduce_grad(grad, sa) if need[0] else None,
            reduce_grad(g * t2, s1) if need[1] else None,
            reduce_grad(g * t1, s2) if need[2] else None,
        )


class Addcdiv(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (False, needs[2], needs[1] or needs[2])

    @staticmethod
    def forward(ctx, a, t1, t2, value):
        ctx.shapes = (a.shape, t1.shape, t2.shape)
        ctx.value = value
        return fit(_half_safe(_addcdiv_array, a, t1, t2, value), a, t1, t2)

    @staticmethod
    def backward(ctx, grad):
        _, t1, t2 = ctx.saved_tensors
        sa, s1, s2 = ctx.shapes
        need, v = ctx.needs_input_grad, ctx.value
        g = grad if v == 1 else grad * v
        return (
            reduce_grad(grad, sa) if need[0] else None,
            reduce_grad(g / t2, s1) if need[1] else None,
            reduce_grad(-g * t1 / (t2 * t2), s2) if need[2] else None,
        )


def _addc_operands(name, input, tensor1, tensor2, value):
    require_tensor(name, input, 1, "input")
    require_tensor(name, tensor1, 2, "tensor1")
    require_tensor(name, tensor2, 3, "tensor2")
    dt = _dtype.result_type(input, tensor1, tensor2)
    if _integral(dt) and dt is not _bool:
        value = int(value)
    return cast(input, dt), cast(tensor1, dt), cast(tensor2, dt), value


def addcmul(input, tensor1, tensor2, *, value=1, out=None) -> Tensor:
    """``input + value * tensor1 * tensor2``."""
    a, t1, t2, value = _addc_operands("addcmul", input, tensor1, tensor2, value)
    r = apply(Addcmul, a, t1, t2, value=value)
    return r if out is None else store_out(out, r)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None) -> Tensor:
    """``input + value * tensor1 / tensor2`` (true division; integer tensors are refused)."""
    if isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor):
        if _integral(tensor1._dtype) and _integral(tensor2._dtype):
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future release "
                "addcdiv will perform a true division of tensor1 and tensor2. The historic "
                "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / "
                "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
                "tensor2) for float inputs. The future addcdiv behavior is just the latter "
                "implementation: (input + value * tensor1 / tensor2), for all dtypes."
            )
    a, t1, t2, value = _addc_operands("addcdiv", input, tensor1, tensor2, value)
    r = apply(Addcdiv, a, t1, t2, value=value)
    return r if out is None else store_out(out, r)


# -- clamp ----------------------------------------------------------------------------------------
# The gradient masks are taken in the forward (only when a gradient is wanted), so that
# ``clamp_`` may overwrite its input, as PyTorch allows.


class Clamp(Primitive):
    """``clamp`` with Python numbers (or None) as bounds."""

    save_inputs = False

    def name(self) -> str:
        return "ClampBackward1"

    @staticmethod
    def forward(ctx, a, lo, hi, track):
        xp = array_module(a)
        out = a
        if lo is not None:
            lo = scalar_array(lo, a.dtype, xp)
            out = xp.maximum(out, lo)
        if hi is not None:
            hi = scalar_array(hi, a.dtype, xp)
            out = xp.minimum(out, hi)
        if track:
            if hi is None:
                ctx.keep = a >= lo
            elif lo is None:
                ctx.keep = a <= hi
            else:
                ctx.keep = (a >= lo) & (a <= hi)
        return fit(out, a)

    @staticmethod
    def backward(ctx, grad):
        return where(_wrap(ctx.keep, _bool, grad._device), grad, 0.0)


class ClampMin(Clamp):
    def name(self) -> str:
        return "ClampMinBackward0"


class ClampMax(Clamp):
    def name(self) -> str:
        return "ClampMaxBackward0"


class ClampTensor(Primitive):
    """``clamp`` with tensor bounds; a missing bound is passed as its own input ``x``."""

    save_inputs = False

    def name(self) -> str:
        return "ClampBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi, has_lo, has_hi, track):
        ctx.shapes = (x.shape, lo.shape, hi.shape)
        xp = array_module(x)
        out = x
        if has_lo:
            out = xp.maximum(out, lo)
        if has_hi:
            out = xp.minimum(out, hi)
        if track:
            ctx.masks = _clamp_masks(x, lo, hi, has_lo, has_hi, track)
        return fit(out, x, lo, hi)

    @staticmethod
    def backward(ctx, grad):
        return tuple(
            None
            if mask is None
            else reduce_grad(where(_wrap(mask, _bool, grad._device), grad, 0.0), shape)
            for mask, shape in zip(ctx.masks, ctx.shapes, strict=True)
        )


def _clamp_masks(x, lo, hi, has_lo, has_hi, need):
    """Where each input of a tensor-bound clamp receives the gradient (PyTorch's rule: where
    ``min > max`` the result is ``max``, so ``max`` gets it)."""
    keep_x = keep_lo = keep_hi = None
    if has_lo and has_hi:
        if need[0]:
            keep_x = (x >= lo) & (x <= hi)
        if need[1]:
            keep_lo = (x < lo) & (lo < hi)
        if need[2]:
            keep_hi = (x > hi) | (hi < lo)
    elif has_lo:
        keep_x = (x >= lo) if need[0] else None
        keep_lo = (x < lo) if need[1] else None
    else:
        keep_x = (x <= hi) if need[0] else None
        keep_hi = (x > hi) if need[2] else None
    return keep_x, keep_lo, keep_hi


def clamp(input, min=None, max=None, *, out=None) -> Tensor:
    """Limit ``input`` to ``[min, max]``; either bound may be None, a number or a tensor
    (both bounds of one kind).  Where ``min > max`` the result is ``max``, as in PyTorch."""
    require_tensor("clamp", input, 1, "input")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    lo_tensor, hi_tensor = isinstance(min, Tensor), isinstance(max, Tensor)
    if lo_tensor or hi_tensor:
        if (min is not None and not lo_tensor) or (max is not None and not hi_tensor):
            raise TypeError(
                "clamp() received an invalid combination of arguments - got (Tensor, "
                f"{type(min).__name__}, {type(max).__name__}), but expected one of: (Tensor "
                "input, Tensor min = None, Tensor max = None), (Tensor input, Number min = "
                "None, Number max = None)"
            )
        if input._dtype.is_complex:
            raise NotImplementedError("clamp is not supported for complex types")
        r = _clamp_tensor(input, min, max)
    else:
        min, max = number(min), number(max)
        dt = input._dtype
        if dt.is_complex:
            raise NotImplementedError("clamp is not supported for complex types")
        if not dt.is_floating_point:  # a float bound makes an integer input float
            dt = _dtype.result_type(input, *(x for x in (min, max) if x is not None))
        if max is None:
            op, kernel = ClampMin, "clamp_min_scalar_cpu"
        elif min is None:
            op, kernel = ClampMax, "clamp_max_scalar_cpu"
        else:
            op, kernel = Clamp, "clamp_scalar_cpu"
        if dt is _bool:
            raise unsupported(kernel, _bool)
        r = op.apply(cast(input, dt), lo=min, hi=max, track=input._requires_grad)
    return r if out is None else store_out(out, r)


def _clamp_tensor(input, lo, hi):
    dt = _dtype.result_type(*(x for x in (input, lo, hi) if x is not None))
    if dt is _bool and lo is not None and hi is not None:
        raise unsupported("clamp_cpu", _bool)
    x = cast(input, dt)
    lo_t = x if lo is None else cast(lo, dt)
    hi_t = x if hi is None else cast(hi, dt)
    track = (x._requires_grad, lo is not None and lo_t._requires_grad,
             hi is not None and hi_t._requires_grad)  # fmt: skip
    return apply(ClampTensor, x, lo_t, hi_t, has_lo=lo is not None, has_hi=hi is not None,
                 track=track if any(track) else None)  # fmt: skip


def clamp_min(input, min, *, out=None) -> Tensor:
    """``clamp(input, min=min)``."""
    return clamp(input, min=min, out=out)


def clamp_max(input, max, *, out=None) -> Tensor:
    """``clamp(input, max=max)``."""
    return clamp(input, max=max, out=out)


# -- where ----------------------------------------------------------------------------------------


class Where(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (True, False, False)

    @staticmethod
    def forward(ctx, c, a, b):
        ctx.shapes = (a.shape, b.shape)
        select = cpu.where if cpu.is_numpy(a) else array_module(a).where
        return fit(select(c, a, b), c, a, b)

    @staticmethod
    def backward(ctx, grad):
        c = ctx.saved_tensors[0]
        sa, sb = ctx.shapes
        return (
            None,
            reduce_grad(where(c, grad, 0.0), sa) if ctx.needs_input_grad[1] else None,
            reduce_grad(where(c, 0.0, grad), sb) if ctx.needs_input_grad[2] else None,
        )


def where(condition, input=None, other=None, *, out=None):
    """``input`` where ``condition`` holds, else ``other`` (either may be a Python number);
    with the condition alone, the indices of its nonzero elements (``nonzero(as_tuple=True)``).
    """
    if input is None or other is None:
        if input is None and other is None:
            from ember.ops.index import nonzero

            return nonzero(condition, as_tuple=True)
        raise TypeError(
            "where() received an invalid combination of arguments - expected (Tensor "
            "condition), or (Tensor condition, Tensor input, Tensor other) with numbers allowed "
            "for input and other"
        )
    require_tensor("where", condition, 1, "condition")
    if condition._dtype is not _bool:
        if condition._dtype is not _dtype.uint8:
            raise RuntimeError(
                "where expected condition to be a boolean tensor, but got a tensor with dtype "
                f"{_TYPE_NAMES[condition._dtype]}"
            )
        condition = cast(condition, _bool)
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        a, b = operands(input, other)
    else:
        dt = _dtype.result_type(input, other)
        a = scalar_tensor(input, dt, condition._device)
        b = scalar_tensor(other, dt, condition._device)
    try:
        r = Where.apply(condition, a, b)
    except ValueError as exc:
        raise shape_error(condition.shape, a.shape, b.shape) from exc
    return r if out is None else store_out(out, r)


arctan2 = atan2
clip = clamp
subtract = sub
multiply = mul
divide = div


# -- installing -----------------------------------------------------------------------------------


def _rtruediv(self, other):
    """``number / tensor``, which PyTorch computes as ``tensor.reciprocal() * number``."""
    if isinstance(other, Tensor):
        return div(other, self)
    return self.reciprocal() * other


_NO_INPLACE = ("maximum", "minimum", "fmax", "fmin")  # PyTorch has no maximum_ and the like
# Backward formulas that never read ``input`` (clamp keeps masks made in the forward).
_KEEPS_NO_INPUT = ("add", "sub", "subtract", "clamp", "clip", "clamp_min", "clamp_max")


def _reflected(op):
    def method(self, other):
        return op(other, self)

    method.__name__ = "__r" + op.__name__ + "__"
    return method


for _name, _fn in {
    "add": add, "sub": sub, "mul": mul, "div": div, "true_divide": true_divide,
    "floor_divide": floor_divide, "remainder": remainder, "fmod": fmod, "pow": pow,
    "float_power": float_power, "atan2": atan2, "arctan2": atan2, "hypot": hypot,
    "maximum": maximum, "minimum": minimum, "fmax": fmax, "fmin": fmin, "lerp": lerp,
    "addcmul": addcmul, "addcdiv": addcdiv, "clamp": clamp, "clip": clamp,
    "clamp_min": clamp_min, "clamp_max": clamp_max, "subtract": sub, "multiply": mul,
    "divide": div,
}.items():  # fmt: skip
    setattr(Tensor, _name, _fn)
    if _name not in _NO_INPLACE:
        setattr(Tensor, _name + "_", inplace(_fn, _name not in _KEEPS_NO_INPUT))

Tensor.rsub = rsub
# NumPy scalars on the left (``np.float64(2) * t``) defer to the tensor's reflected operator.
Tensor.__array_priority__ = 1000
Tensor.where = lambda self, condition, y: where(condition, self, y)
Tensor.__add__ = add
Tensor.__radd__ = _reflected(add)
Tensor.__sub__ = sub
Tensor.__rsub__ = _reflected(sub)
Tensor.__mul__ = mul
Tensor.__rmul__ = mul  # number * tensor is tensor * number, as in PyTorch
Tensor.__truediv__ = div
Tensor.__rtruediv__ = _rtruediv
Tensor.__floordiv__ = floor_divide
Tensor.__rfloordiv__ = _reflected(floor_divide)
Tensor.__mod__ = remainder
Tensor.__rmod__ = _reflected(remainder)
Tensor.__pow__ = pow
Tensor.__rpow__ = _reflected(pow)
Tensor.__iadd__ = Tensor.add_
Tensor.__isub__ = Tensor.sub_
Tensor.__imul__ = Tensor.mul_
Tensor.__itruediv__ = Tensor.div_
Tensor.__ifloordiv__ = Tensor.floor_divide_
Tensor.__imod__ = Tensor.remainder_
Tensor.__ipow__ = Tensor.pow_
