"""``ember.special``: PyTorch's ``torch.special`` namespace.

Most entries are ember's own ops under their SciPy-style names (``expit`` is ``sigmoid``,
``gammaln`` is ``lgamma``...).  The functions defined here are composed from differentiable
ops, each written so that its masked branch never feeds an inf or nan into the gradient.
"""

from __future__ import annotations

import math

import ember
from ember._tensor import Tensor
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops._pointwise import fit, operands, reduce_grad, require_tensor
from ember.ops._util import promote

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _float(name: str, t) -> Tensor:
    """``t`` (which must be a tensor); integer and bool inputs compute in the default float
    dtype, as PyTorch's do."""
    require_tensor(f"special_{name}", t, 1, "input")
    return t if t.is_floating_point() else t.to(ember.get_default_dtype())


class _XTimesLog(Primitive):
    """``x * log_fn(y)`` with 0 where ``x`` is 0 (unless ``y`` is nan); PyTorch's gradients:
    ``log_fn(y)`` for ``x`` (even where ``x`` is 0) and ``x * log_fn'(y)`` for ``y``."""

    @staticmethod
    def forward(ctx, x, y, one_plus):
        xp = array_module(x)
        ctx.one_plus = one_plus
        out = x * (xp.log1p(y) if one_plus else xp.log(y))  # (ember silences NumPy's warnings)
        return fit(xp.where((x == 0) & ~xp.isnan(y), xp.zeros((), out.dtype), out), x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need = ctx.needs_input_grad
        one_plus = ctx.one_plus
        gx = gy = None
        if need[0]:
            gx = reduce_grad(grad * (ember.log1p(y) if one_plus else ember.log(y)), x.shape)
        if need[1]:
            gy = reduce_grad(grad * x / ((1 + y) if one_plus else y), y.shape)
        return gx, gy


def _x_times(x, y, one_plus) -> Tensor:
    dt = promote(x, y)  # PyTorch's result type: numbers and 0-dim tensors rank lower
    if not (dt.is_floating_point or dt.is_complex):
        dt = ember.get_default_dtype()
    return _XTimesLog.apply(*operands(x, y, dt), one_plus=one_plus)


def xlogy(input, other, *, out=None) -> Tensor:
    """``input * log(other)``, and 0 where ``input`` is 0 (unless ``other`` is nan)."""
    r = _x_times(input, other, False)
    return r if out is None else out.copy_(r)


def xlog1py(input, other, *, out=None) -> Tensor:
    """``input * log1p(other)``, and 0 where ``input`` is 0 (unless ``other`` is nan)."""
    r = _x_times(input, other, True)
    return r if out is None else out.copy_(r)


class _Entr(Primitive):
    """``-x log x``: 0 at 0, -inf below; gradient ``-(1 + log x)`` as PyTorch's."""

    @staticmethod
    def forward(ctx, x):
        xp = array_module(x)
        out = -x * xp.log(x)
        out = xp.where(x == 0, xp.zeros((), x.dtype), out)
        out = xp.where(x < 0, xp.full((), -xp.inf, x.dtype), out)
        return fit(out, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * -(1 + ember.log(x))


def entr(input, *, out=None) -> Tensor:
    """Elementwise entropy ``-x * log(x)``: 0 at 0, -inf for negative ``x``."""
    r = _Entr.apply(_float("entr", input))
    return r if out is None else out.copy_(r)


def ndtr(input, *, out=None) -> Tensor:
    """The standard normal's cumulative distribution function."""
    x = _float("ndtr", input)
    r = 0.5 * ember.erfc(-x * _SQRT1_2)
    return r if out is None else out.copy_(r)


def log_ndtr(input, *, out=None) -> Tensor:
    """``log(ndtr(x))``, accurate in both tails (an asymptotic series far to the left)."""
    x = _float("log_ndtr", input)
    far = x < -20.0
    mid_x = ember.where(far, ember.full_like(x, -20.0), x)
    right = mid_x > 0
    pos_x = ember.where(right, mid_x, ember.zeros_like(x))
    neg_x = ember.where(right, ember.zeros_like(x), mid_x)
    mid = ember.where(right, ember.log1p(-ndtr(-pos_x)), ember.log(ndtr(neg_x)))
    tail_x = ember.where(far, x, ember.full_like(x, -20.0))
    z2 = 1.0 / (tail_x * tail_x)
    series = 1.0 - z2 + 3.0 * z2 * z2 - 15.0 * z2 * z2 * z2
    tail = -0.5 * tail_x * tail_x - ember.log(-tail_x) - _HALF_LOG_2PI + ember.log(series)
    r = ember.where(far, tail, mid)
    return r if out is None else out.copy_(r)


def sinc(input, *, out=None) -> Tensor:
    """The normalised sinc ``sin(pi x) / (pi x)``, 1 at 0."""
    x = _float("sinc", input)
    zero = x == 0
    safe = ember.where(zero, ember.ones_like(x), x) * math.pi
    r = ember.where(zero, ember.ones_like(x), ember.sin(safe) / safe)
    return r if out is None else out.copy_(r)


def multigammaln(input, p: int, *, out=None) -> Tensor:
    r = ember.mvlgamma(input, p)
    return r if out is None else out.copy_(r)


def psi(input, *, out=None) -> Tensor:
    r = ember.digamma(input)
    return r if out is None else out.copy_(r)


def softmax(input, dim, *, dtype=None) -> Tensor:
    return ember.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None) -> Tensor:
    return ember.log_softmax(input, dim, dtype=dtype)


expit = ember.sigmoid
logit = ember.logit
erf = ember.erf
erfc = ember.erfc
erfinv = ember.erfinv
exp2 = ember.exp2
expm1 = ember.expm1
log1p = ember.log1p
gammaln = ember.lgamma
digamma = ember.digamma
polygamma = ember.polygamma
logsumexp = ember.logsumexp
round = ember.round

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln",
    "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr",
    "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy",
]  # fmt: skip
