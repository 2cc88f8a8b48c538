"""Unary pointwise math: exponentials and logarithms, powers and roots, trigonometric and
hyperbolic functions, sigmoid and logit, the error functions, rounding, sign and abs,
relu, nan_to_num, and the predicates (isnan, isinf, signbit, ...).

Most ops are one row of a table: a name (PyTorch's, so nodes print as ``ExpBackward0``), a
kernel on backend arrays, and the backward as a formula in ember ops (so double backward
works).  Ops of the *float* family promote integer and bool inputs to the default float
dtype, as PyTorch does (``sqrt`` of int64 is float32); the *keep* family (abs, neg, floor,
...) keeps integer dtypes.  Complex inputs follow PyTorch's convention for gradients:
``grad * conj(f'(z))``.
"""

from __future__ import annotations

import math

from ember import _dtype
from ember._tensor import Tensor, _wrap
from ember.autograd.function import Primitive
from ember.backend import array_module, cpu
from ember.ops import _special
from ember.ops._pointwise import (
    copy_array,
    dense,
    fit,
    inplace,
    relu_in_place,
    relu_into,
    store_out,
    unsupported,
)
from ember.ops._util import _TYPE_NAMES, cast
from ember.ops.elementwise import where

_bool = _dtype.bool
_HALF = (_dtype.float16.np, _dtype.bfloat16.np)
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


class Conj(Primitive):
    """Complex conjugate (used by the complex backward formulas)."""

    save_inputs = False

    def name(self) -> str:
        return "ConjPhysicalBackward0"

    @staticmethod
    def forward(ctx, a):
        return fit(array_module(a).conj(a), a)

    @staticmethod
    def backward(ctx, grad):
        return _c(grad)


def _c(t: Tensor) -> Tensor:
    """``conj(t)`` for complex tensors, ``t`` itself for real ones."""
    return Conj.apply(t) if t._dtype.is_complex else t


class _Unary(Primitive):
    """Base of the table's ops: ``kernel(xp, a)`` forward, ``derivative(grad, x, y)`` backward,
    where ``x`` is the saved input and ``y`` the saved output (None when a row needs neither).
    Rows marked ``upcast`` run float16/bfloat16 in float32, rounding once at the end, as
    PyTorch's CPU kernels do for formulas of several steps."""

    __slots__ = ()
    kernel = None
    derivative = None
    upcast = False

    @staticmethod
    def forward(ctx, a):
        cls = type(ctx)
        if not a.ndim:  # NumPy would hand kernels scalars; give them one element instead
            return cls.forward(ctx, a.reshape(1)).reshape(())
        xp = array_module(a)
        if cls.upcast and a.dtype in _HALF:
            return fit(cls.kernel(xp, a.astype(xp.float32)).astype(a.dtype), a)
        return fit(cls.kernel(xp, a), a)

    @staticmethod
    def backward(ctx, grad):
        cls = type(ctx)
        x = ctx.saved_tensors[0] if cls.save_inputs else None
        y = ctx.output() if cls.save_output else None
        return cls.derivative(grad, x, y)


def _op(name: str, kernel, derivative, reads: str, upcast: bool = False) -> type:
    """A ``_Unary`` subclass named ``name``; ``reads`` says what backward uses: 'x', 'y' or ''."""
    return type(
        name,
        (_Unary,),
        {
            "__slots__": (),
            "kernel": staticmethod(kernel),
            "derivative": staticmethod(derivative),
            "save_inputs": "x" in reads,
            "save_output": "y" in reads,
            "upcast": upcast,
        },
    )


def _ufunc(fname: str):
    return lambda xp, a: getattr(xp, fname)(a)


def _sigmoid_kernel(xp, a):
    if a.dtype.kind == "c":
        return 1 / (1 + xp.exp(-a))
    e = xp.abs(a)  # exp(-|a|) never overflows; the two halves meet at 0
    xp.negative(e, out=e)
    xp.exp(e, out=e)
    r = 1 + e
    xp.reciprocal(r, out=r)
    return xp.where(a < 0, e * r, r)


def _zero_grad(grad, x, y):
    return grad.new_zeros(grad.shape)


# Float family: name, kernel, backward, reads, complex supported, upcast half.
_FLOAT_OPS = [
    ("Exp", _ufunc("exp"), lambda g, x, y: g * _c(y), "y", True, False),
    ("Exp2", _ufunc("exp2"), lambda g, x, y: g * _c(y * _LN2), "y", True, False),
    ("Expm1", _ufunc("expm1"), lambda g, x, y: g * _c(y + 1), "y", True, False),
    ("Log", _ufunc("log"), lambda g, x, y: g / _c(x), "x", True, False),
    ("Log2", _ufunc("log2"), lambda g, x, y: g / _c(x * _LN2), "x", True, False),
    ("Log10", _ufunc("log10"), lambda g, x, y: g / _c(x * _LN10), "x", True, False),
    ("Log1p", _ufunc("log1p"), lambda g, x, y: g / _c(x + 1), "x", True, False),
    ("Sqrt", _ufunc("sqrt"), lambda g, x, y: g / _c(2 * y), "y", True, False),
    ("Rsqrt", lambda xp, a: 1 / xp.sqrt(a), lambda g, x, y: g * _c(-0.5 * y.pow(3)), "y",
     True, True),
    ("Reciprocal", _ufunc("reciprocal"), lambda g, x, y: g * _c(-(y * y)), "y", True, False),
    ("Sin", _ufunc("sin"), lambda g, x, y: g * _c(x.cos()), "x", True, False),
    ("Cos", _ufunc("cos"), lambda g, x, y: g * _c(-x.sin()), "x", True, False),
    ("Tan", _ufunc("tan"), lambda g, x, y: g * _c(1 + y * y), "y", True, False),
    ("Asin", _ufunc("arcsin"), lambda g, x, y: g * _c((1 - x * x).rsqrt()), "x", True, False),
    ("Acos", _ufunc("arccos"), lambda g, x, y: g * _c(-(1 - x * x).rsqrt()), "x", True, False),
    ("Atan", _ufunc("arctan"), lambda g, x, y: g / _c(1 + x * x), "x", True, False),
    ("Sinh", _ufunc("sinh"), lambda g, x, y: g * _c(x.cosh()), "x", True, False),
    ("Cosh", _ufunc("cosh"), lambda g, x, y: g * _c(x.sinh()), "x", True, False),
    ("Tanh", _ufunc("tanh"), lambda g, x, y: g * _c(1 - y * y), "y", True, False),
    ("Asinh", _ufunc("arcsinh"), lambda g, x, y: g * _c((x * x + 1).rsqrt()), "x", True, False),
    ("Acosh", _ufunc("arccosh"), lambda g, x, y: g * _c((x * x - 1).rsqrt()), "x", True, False),
    ("Atanh", _ufunc("arctanh"), lambda g, x, y: g / _c(1 - x * x), "x", True, False),
    ("Sigmoid", _sigmoid_kernel, lambda g, x, y: g * _c(y * (1 - y)), "y", True, True),
    ("Erf", lambda xp, a: _special.erf(a),
     lambda g, x, y: g * (_TWO_OVER_SQRT_PI * (-(x * x)).exp()), "x", False, False),
    ("Erfc", lambda xp, a: _special.erfc(a),
     lambda g, x, y: g * (-_TWO_OVER_SQRT_PI * (-(x * x)).exp()), "x", False, False),
    ("Erfinv", lambda xp, a: _special.erfinv(a),
     lambda g, x, y: g * (_SQRT_PI_OVER_TWO * (y * y).exp()), "y", False, False),
]  # fmt: skip


def _not_tensor(name: str, value) -> TypeError:
    return TypeError(
        f"{name}(): argument 'input' (position 1) must be Tensor, not {type(value).__name__}"
    )


def _dtype_of(input, name: str) -> _dtype.dtype:
    try:
        return input._dtype
    except AttributeError:
        raise _not_tensor(name, input) from None


def _float_function(op: type, name: str, complex_ok: bool):
    def fn(input, *, out=None) -> Tensor:
        dt = _dtype_of(input, name)
        if not dt.is_floating_point:
            if dt.is_complex:
                if not complex_ok:
                    raise unsupported(f"{name}_cpu", dt)
            else:
                input = cast(input, _dtype.get_default_dtype())
        r = op.apply(input)
        return r if out is None else store_out(out, r)

    fn.__name__ = fn.__qualname__ = name
    return fn


_FUNCTIONS: dict = {}
for _name, _kernel, _deriv, _reads, _complex, _upcast in _FLOAT_OPS:
    _cls = _op(_name, _kernel, _deriv, _reads, _upcast)
    globals()[_name] = _cls
    _FUNCTIONS[_name.lower()] = _float_function(_cls, _name.lower(), _complex)

exp = _FUNCTIONS["exp"]
exp.__doc__ = "``e ** input``; integer inputs give the default float dtype."
exp2 = _FUNCTIONS["exp2"]
exp2.__doc__ = "``2 ** input``."
expm1 = _FUNCTIONS["expm1"]
expm1.__doc__ = "``exp(input) - 1``, accurate near 0."
log = _FUNCTIONS["log"]
log.__doc__ = "Natural logarithm (``-inf`` at 0, nan for negative numbers)."
log2 = _FUNCTIONS["log2"]
log2.__doc__ = "Base-2 logarithm."
log10 = _FUNCTIONS["log10"]
log10.__doc__ = "Base-10 logarithm."
log1p = _FUNCTIONS["log1p"]
log1p.__doc__ = "``log(1 + input)``, accurate near 0."
sqrt = _FUNCTIONS["sqrt"]
sqrt.__doc__ = "Square root (nan for negative numbers)."
rsqrt = _FUNCTIONS["rsqrt"]
rsqrt.__doc__ = "``1 / sqrt(input)``."
reciprocal = _FUNCTIONS["reciprocal"]
reciprocal.__doc__ = "``1 / input``; integer inputs give the default float dtype."
sin = _FUNCTIONS["sin"]
sin.__doc__ = "Sine (radians)."
cos = _FUNCTIONS["cos"]
cos.__doc__ = "Cosine (radians)."
tan = _FUNCTIONS["tan"]
tan.__doc__ = "Tangent (radians)."
asin = _FUNCTIONS["asin"]
asin.__doc__ = "Inverse sine."
acos = _FUNCTIONS["acos"]
acos.__doc__ = "Inverse cosine."
atan = _FUNCTIONS["atan"]
atan.__doc__ = "Inverse tangent."
sinh = _FUNCTIONS["sinh"]
sinh.__doc__ = "Hyperbolic sine."
cosh = _FUNCTIONS["cosh"]
cosh.__doc__ = "Hyperbolic cosine."
tanh = _FUNCTIONS["tanh"]
tanh.__doc__ = "Hyperbolic tangent."
asinh = _FUNCTIONS["asinh"]
asinh.__doc__ = "Inverse hyperbolic sine."
acosh = _FUNCTIONS["acosh"]
acosh.__doc__ = "Inverse hyperbolic cosine."
atanh = _FUNCTIONS["atanh"]
atanh.__doc__ = "Inverse hyperbolic tangent."
sigmoid = _FUNCTIONS["sigmoid"]
sigmoid.__doc__ = "The logistic function ``1 / (1 + exp(-input))``, without overflow."
erf = _FUNCTIONS["erf"]
erf.__doc__ = "The error function ``2/sqrt(pi) * integral of exp(-t^2) from 0 to input``."
erfc = _FUNCTIONS["erfc"]
erfc.__doc__ = "The complementary error function ``1 - erf(input)``, accurate in the tail."
erfinv = _FUNCTIONS["erfinv"]
erfinv.__doc__ = "The inverse of ``erf`` on [-1, 1] (``±inf`` at ``±1``, nan outside)."


# -- the keep family: integer inputs keep their dtype ---------------------------------------------


def _sign_kernel(xp, a):
    if a.dtype == _bool.np:
        return copy_array(a)
    out = xp.sign(a)
    if a.dtype.kind == "f" or a.dtype in _HALF:
        xp.copyto(out, 0, where=xp.isnan(a))  # PyTorch's sign of nan is 0
    return out


def _sgn_kernel(xp, a):
    if a.dtype.kind != "c":
        return _sign_kernel(xp, a)
    mag = xp.abs(a)
    return xp.where(mag == 0, 0, a / xp.where(mag == 0, 1, mag)).astype(a.dtype)


def _abs_backward(g, x, y):
    if x._dtype.is_complex:
        return g * x.sgn()
    return g * x.sign()


def _sgn_backward(g, x, y):
    if not x._dtype.is_complex:
        return g.new_zeros(g.shape)
    # s = z / |z|: ds/dz = 1 / (2|z|) and ds/dconj(z) = -s^2 / (2|z|), so the gradient is
    # (g - conj(g) s^2) / (2|z|), and 0 where z is 0 (as PyTorch sets it).
    mag = x.abs()
    s = x.sgn()
    return where(mag == 0, 0.0, (g - _c(g) * (s * s)) / (2 * mag))


Abs = _op("Abs", _ufunc("abs"), _abs_backward, "x")
Neg = _op("Neg", _ufunc("negative"), lambda g, x, y: -g, "")
Sign = _op("Sign", _sign_kernel, _zero_grad, "")
Sgn = _op("Sgn", _sgn_kernel, _sgn_backward, "x")
Floor = _op("Floor", _ufunc("floor"), _zero_grad, "")
Ceil = _op("Ceil", _ufunc("ceil"), _zero_grad, "")
Trunc = _op("Trunc", _ufunc("trunc"), _zero_grad, "")
Round = _op("Round", _ufunc("rint"), _zero_grad, "")
Frac = _op("Frac", lambda xp, a: a - xp.trunc(a), lambda g, x, y: g, "")


def _relu_kernel(xp, a):
    """``max(0, a)``, torch's bits (see ``relu_into``)."""
    if not (cpu.is_numpy(a) and a.dtype.kind == "f" and a.flags.c_contiguous):
        return xp.maximum(0, a)
    out = xp.empty(a.shape, dtype=a.dtype)
    relu_into(a, out)
    return out


class ThresholdBackward(Primitive):
    """ReLU's backward as one node, PyTorch's ``threshold_backward(grad, y, 0)``: ``grad``
    where the ReLU's output ``y`` is not ``<= 0`` (a nan ``y`` passes its gradient), else
    +0.0 whatever ``grad`` holds there.  Linear in ``grad``, so its own backward is itself."""

    __slots__ = ()

    @staticmethod
    def saved_mask(needs):
        return (False, True)  # the mask is read from y alone

    @staticmethod
    def forward(ctx, grad, y):
        if cpu.is_numpy(grad):
            return fit(cpu.relu_backward(grad, y), grad, y)
        xp = array_module(grad)
        return fit(xp.where(y <= 0, grad.dtype.type(0), grad), grad, y)

    @staticmethod
    def backward(ctx, gg):
        y = ctx.saved_tensors[1]
        need = ctx.needs_input_grad
        return (
            ThresholdBackward.apply(gg, y) if need[0] else None,
            gg.new_zeros(gg.shape) if need[1] else None,  # (PyTorch's zeros, not None)
        )


Relu = _op("Relu", _relu_kernel, lambda g, x, y: ThresholdBackward.apply(g, y), "y")


def _type_name(dt) -> str:
    return _TYPE_NAMES[dt]


def abs(input: Tensor, *, out=None) -> Tensor:
    """Absolute value; integers keep their dtype, complex numbers give their magnitude."""
    dt = _dtype_of(input, "abs")
    if dt is _bool:
        raise unsupported("abs_cpu", dt)
    r = Abs.apply(input)
    return r if out is None else store_out(out, r)


def neg(input: Tensor, *, out=None) -> Tensor:
    """``-input`` (unsigned integers wrap around, as in PyTorch)."""
    if _dtype_of(input, "neg") is _bool:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    r = Neg.apply(input)
    return r if out is None else store_out(out, r)


def positive(input: Tensor) -> Tensor:
    """``+input``: the tensor itself (bool tensors are refused, as in PyTorch)."""
    if _dtype_of(input, "positive") is _bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def sign(input: Tensor, *, out=None) -> Tensor:
    """-1, 0 or 1 by the sign of each element (0 for nan); bools stay bools."""
    if _dtype_of(input, "sign").is_complex:
        raise NotImplementedError(
            "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
            "torch.sgn instead."
        )
    r = Sign.apply(input)
    return r if out is None else store_out(out, r)


def sgn(input: Tensor, *, out=None) -> Tensor:
    """``sign`` for real tensors; ``z / |z|`` (0 at 0) for complex ones."""
    _dtype_of(input, "sgn")
    r = Sgn.apply(input)
    return r if out is None else store_out(out, r)


def _rounding(op: type, name: str, kernel_name: str):
    def fn(input, *, out=None) -> Tensor:
        dt = _dtype_of(input, name)
        if dt is _bool:
            raise unsupported(f"{kernel_name}_vml_cpu", dt)
        if dt.is_complex:
            raise NotImplementedError(f"{name} is not supported for complex inputs")
        if dt.is_floating_point:
            r = op.apply(input)
        else:
            r = _wrap(copy_array(input._data), dt, input._device)
        return r if out is None else store_out(out, r)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name}`` of each element; integer tensors come back unchanged (a copy)."
    return fn


floor = _rounding(Floor, "floor", "floor")
ceil = _rounding(Ceil, "ceil", "ceil")
trunc = _rounding(Trunc, "trunc", "trunc")
_round_plain = _rounding(Round, "round", "round")


class RoundDecimals(Primitive):
    save_inputs = False

    def name(self) -> str:
        return "RoundBackward1"

    @staticmethod
    def forward(ctx, a, decimals):
        xp = array_module(a)
        src, dt = a, a.dtype
        if dt in _HALF:
            a = a.astype(xp.float32)
        # The scale in the tensor's own precision, as PyTorch computes it.
        if decimals > 0:
            ten = xp.asarray(10.0**decimals, a.dtype)
            out = xp.rint(a * ten) / ten
        else:
            ten = xp.asarray(10.0**-decimals, a.dtype)
            out = xp.rint(a / ten) * ten
        return fit(out.astype(dt) if out.dtype != dt else out, src)

    @staticmethod
    def backward(ctx, grad):
        return grad.new_zeros(grad.shape)


def round(input: Tensor, *, decimals: int = 0, out=None) -> Tensor:
    """Round half to even, to ``decimals`` decimal places (negative: to tens, hundreds...)."""
    if not decimals:
        return _round_plain(input, out=out)
    dt = _dtype_of(input, "round")
    if not dt.is_floating_point:
        raise unsupported("round_cpu", dt)
    r = RoundDecimals.apply(input, decimals=decimals)
    return r if out is None else store_out(out, r)


def frac(input: Tensor, *, out=None) -> Tensor:
    """The fractional part ``input - trunc(input)`` (same sign as ``input``)."""
    if not _dtype_of(input, "frac").is_floating_point:
        raise unsupported("frac_cpu", input._dtype)
    r = Frac.apply(input)
    return r if out is None else store_out(out, r)


def square(input: Tensor, *, out=None) -> Tensor:
    """``input * input`` (``pow(input, 2)``: bools become int64)."""
    from ember.ops.elementwise import pow

    return pow(input, 2, out=out)


def relu(input: Tensor) -> Tensor:
    """``max(input, 0)``; integers keep their dtype."""
    dt = _dtype_of(input, "relu")
    if dt is _bool:
        raise RuntimeError("Boolean inputs not supported for relu")
    if dt.is_complex:
        raise NotImplementedError("clamp is not supported for complex types")
    return Relu.apply(input)


# -- logit, nan_to_num ----------------------------------------------------------------------------


class Logit(Primitive):
    @staticmethod
    def forward(ctx, a, eps):
        ctx.eps = eps
        xp = array_module(a)
        src, dt = a, a.dtype
        if dt in _HALF:
            a = a.astype(xp.float32)
        if eps is not None:
            a = xp.clip(a, eps, 1 - eps)
        out = xp.log(a / (1 - a))
        return fit(out.astype(dt) if out.dtype != dt else out, src)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        eps = ctx.eps
        d = grad / (x * (1 - x))
        if eps is None:
            return where((x < 0) | (x > 1), math.nan, d)
        return where((x < eps) | (x > 1 - eps), 0.0, d)


def logit(input: Tensor, eps: float | None = None, *, out=None) -> Tensor:
    """``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given."""
    dt = _dtype_of(input, "logit")
    if dt.is_complex:
        raise unsupported("logit_cpu", dt)
    if not dt.is_floating_point:
        input = cast(input, _dtype.get_default_dtype())
    r = Logit.apply(input, eps=eps)
    return r if out is None else store_out(out, r)


class NanToNum(Primitive):
    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        xp = array_module(a)
        out = copy_array(a)
        for part, src in (
            ((out.real, a.real), (out.imag, a.imag)) if out.dtype.kind == "c" else ((out, a),)
        ):
            xp.copyto(part, nan, where=xp.isnan(src))
            xp.copyto(part, posinf, where=src == xp.inf)
            xp.copyto(part, neginf, where=src == -xp.inf)
        return out

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * isfinite(x)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None, *, out=None) -> Tensor:  # fmt: skip
    """Replace nan by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (by default the
    dtype's largest and lowest finite values).  Integer tensors come back as a copy."""
    dt = _dtype_of(input, "nan_to_num")
    if dt.is_floating_point or dt.is_complex:
        info = _dtype.finfo(dt)
        r = NanToNum.apply(
            input,
            nan=nan,
            posinf=info.max if posinf is None else posinf,
            neginf=info.min if neginf is None else neginf,
        )
    else:
        r = _wrap(copy_array(input._data), dt, input._device)
    return r if out is None else store_out(out, r)


# -- predicates -----------------------------------------------------------------------------------


def _predicate(name: str, float_kernel, int_value):
    """A bool-valued test: ``float_kernel(xp, a)`` on float and complex data; integers and
    bools give ``int_value`` everywhere (or a kernel of their own)."""

    def fn(input: Tensor) -> Tensor:
        dt = _dtype_of(input, name)
        a = input._data
        xp = array_module(a)
        if dt.is_floating_point or dt.is_complex:
            out = float_kernel(xp, a)
        elif callable(int_value):
            out = int_value(xp, a)
        else:
            out = _constant(xp, a, int_value)
        return _wrap(fit(out, a), _bool, input._device)

    fn.__name__ = fn.__qualname__ = name
    return fn


def _constant(xp, a, value: bool):
    """A bool array of ``value`` shaped and laid out as a pointwise result of ``a``."""
    if dense(a):
        return (xp.ones_like if value else xp.zeros_like)(a, dtype=_bool.np)
    return (xp.ones if value else xp.zeros)(a.shape, dtype=_bool.np)


def _real_only(name, kernel, error):
    def checked(xp, a):
        if a.dtype.kind == "c":
            raise error
        return kernel(xp, a)

    return checked


isnan = _predicate("isnan", lambda xp, a: xp.isnan(a), False)
isnan.__doc__ = "Whether each element is nan."
isinf = _predicate("isinf", lambda xp, a: xp.isinf(a), False)
isinf.__doc__ = "Whether each element is +inf or -inf."
isfinite = _predicate("isfinite", lambda xp, a: xp.isfinite(a), True)
isfinite.__doc__ = "Whether each element is finite (neither inf nor nan)."
isposinf = _predicate(
    "isposinf",
    _real_only("isposinf", lambda xp, a: a == xp.inf,
               RuntimeError("isposinf does not support complex inputs.")),
    False,
)  # fmt: skip
isposinf.__doc__ = "Whether each element is +inf."
isneginf = _predicate(
    "isneginf",
    _real_only("isneginf", lambda xp, a: a == -xp.inf,
               RuntimeError("isneginf does not support complex inputs.")),
    False,
)  # fmt: skip
isneginf.__doc__ = "Whether each element is -inf."
signbit = _predicate(
    "signbit",
    _real_only("signbit", lambda xp, a: xp.signbit(a),
               NotImplementedError("signbit is not implemented for complex tensors.")),
    lambda xp, a: a < 0,
)  # fmt: skip
signbit.__doc__ = "Whether each element's sign bit is set (true for -0.0)."
isreal = _predicate("isreal", lambda xp, a: a.imag == 0 if a.dtype.kind == "c" else
                    _constant(xp, a, True), True)  # fmt: skip
isreal.__doc__ = "Whether each element has no imaginary part."


# -- installing -----------------------------------------------------------------------------------

absolute = abs
negative = neg
fix = trunc
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh

_PUBLIC = {
    "exp": exp, "exp2": exp2, "expm1": expm1, "log": log, "log2": log2, "log10": log10,
    "log1p": log1p, "sqrt": sqrt, "rsqrt": rsqrt, "reciprocal": reciprocal, "sin": sin,
    "cos": cos, "tan": tan, "asin": asin, "acos": acos, "atan": atan, "sinh": sinh,
    "cosh": cosh, "tanh": tanh, "asinh": asinh, "acosh": acosh, "atanh": atanh,
    "arcsin": asin, "arccos": acos, "arctan": atan, "arcsinh": asinh, "arccosh": acosh,
    "arctanh": atanh, "sigmoid": sigmoid, "erf": erf, "erfc": erfc, "erfinv": erfinv,
    "abs": abs, "absolute": abs, "neg": neg, "negative": neg, "sign": sign, "sgn": sgn,
    "floor": floor, "ceil": ceil, "trunc": trunc, "fix": trunc, "round": round,
    "frac": frac, "square": square, "relu": relu, "logit": logit, "nan_to_num": nan_to_num,
}  # fmt: skip
# Ops whose backward reads only the output, or nothing: their in-place forms need no copy.
_KEEPS_NO_INPUT = {row[0].lower() for row in _FLOAT_OPS if "x" not in row[3]} | {
    "neg", "negative", "sign", "floor", "ceil", "trunc", "fix", "round", "frac", "relu",
}  # fmt: skip
for _name, _fn in _PUBLIC.items():
    setattr(Tensor, _name, _fn)
    setattr(Tensor, _name + "_", inplace(_fn, _name not in _KEEPS_NO_INPUT,
                                         relu_in_place if _name == "relu" else None))

for _fn in (isnan, isinf, isfinite, isposinf, isneginf, signbit, isreal, positive):
    setattr(Tensor, _fn.__name__, _fn)

Tensor.__abs__ = abs
Tensor.__neg__ = neg
Tensor.__pos__ = positive
