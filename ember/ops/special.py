"""The gamma function family: ``lgamma``, ``digamma`` and ``polygamma``.

NumPy has none of them, so ember evaluates its own through ``xp`` (NumPy or CuPy), in float64,
rounding once to the input's dtype:

* ``lgamma``: Lanczos' approximation (g = 7, nine terms, about 1e-15 relative) for
  ``x >= 1/2`` and the reflection formula ``lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x)``
  below;
* ``digamma``: the recurrence ``psi(x) = psi(x + 1) - 1/x`` lifts ``x`` above 12, where the
  asymptotic series is accurate to about 1e-16; negative arguments use the reflection
  ``psi(x) = psi(1 - x) - pi / tan(pi x)``;
* ``polygamma(n)``, ``n >= 1``: the same lift (``psi_n(x) = psi_n(x + 1) + (-1)^(n+1) n!/x^(n+1)``)
  and the asymptotic series of ``psi_n`` with Bernoulli numbers.

Each op's backward is the next member of the family, so higher derivatives work.
"""

from __future__ import annotations

import math

from ember._tensor import Tensor
from ember.backend import array_module
from ember.ops._special import _in_float64
from ember.ops.pointwise_math import _float_function, _op

_LANCZOS = (
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
# Bernoulli numbers B_2, B_4, ..., B_16.
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def _sinpi_abs(x, xp):
    """``|sin(pi x)|`` with the argument reduced first, so integers give exactly 0."""
    return xp.abs(xp.sin(math.pi * (x - xp.round(x))))


def _lgamma_lanczos(x, xp):
    """lgamma for ``x >= 1/2``."""
    z = x - 1.0
    a = xp.full_like(z, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], 1):
        a += c / (z + i)
    t = z + 7.5
    return _HALF_LOG_2PI + (z + 0.5) * xp.log(t) - t + xp.log(a)


def _lgamma64(x, short, xp):
    with _quiet(xp):
        small = x < 0.5
        out = _lgamma_lanczos(xp.where(small, 1.0 - x, x), xp)
        if bool(small.any()):
            refl = math.log(math.pi) - xp.log(_sinpi_abs(x, xp)) - out
            out = xp.where(small, refl, out)
        return xp.where(xp.isinf(x), xp.inf, out)


def _digamma_positive(x, xp):
    """digamma for ``x >= 1/2`` (nan and inf pass through)."""
    acc = xp.zeros_like(x)
    for _ in range(12):
        low = x < 12.0
        if not bool(low.any()):
            break
        acc -= xp.where(low, 1.0 / x, 0.0)
        x = xp.where(low, x + 1.0, x)
    inv2 = 1.0 / (x * x)
    series = xp.zeros_like(x)
    for k in range(len(_BERNOULLI), 0, -1):
        series = series * inv2 + _BERNOULLI[k - 1] / (2 * k)
    return acc + xp.log(x) - 0.5 / x - series * inv2


def _digamma64(x, short, xp):
    with _quiet(xp):
        small = x < 0.5
        out = _digamma_positive(xp.where(small, 1.0 - x, x), xp)
        if bool(small.any()):
            r = x - xp.round(x)
            # pi / tan(pi x) from the reduced argument (tan has period pi); nan at integers.
            cot = math.pi / xp.tan(math.pi * r)
            refl = xp.where(r == 0, xp.nan, out - cot)
            out = xp.where(small, refl, out)
            # PyTorch: -inf at 0 (either sign), nan at the negative integers.
            out = xp.where(x == 0, -xp.inf, out)
        return xp.where(x == -xp.inf, xp.nan, out)


def _polygamma64(n: int):
    sign = 1.0 if n % 2 else -1.0
    fact_n = math.factorial(n)
    # Coefficients of the asymptotic series: B_2k (2k + n - 1)! / (2k)!.
    coeffs = [b * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
              for k, b in enumerate(_BERNOULLI, 1)]
    floor = 12.0 + n

    def kernel(x, short, xp):
        with _quiet(xp):
            acc = xp.zeros_like(x)
            finite = xp.isfinite(x)
            lo = float(x[finite].min()) if bool(finite.any()) else floor
            for _ in range(max(0, math.ceil(floor - lo))):
                low = x < floor
                acc += xp.where(low, 1.0 / x ** (n + 1), 0.0)
                x = xp.where(low, x + 1.0, x)
            inv = 1.0 / x
            inv2 = inv * inv
            series = xp.zeros_like(x)
            for c in reversed(coeffs):
                series = series * inv2 + c
            head = math.factorial(n - 1) * inv**n + 0.5 * fact_n * inv ** (n + 1)
            out = sign * (fact_n * acc + head + series * inv ** (n + 2))
            if n >= 2:  # PyTorch's values at the infinities
                out = xp.where(x == xp.inf, xp.nan, out)
                out = xp.where(x == -xp.inf, sign * xp.inf, out)
            return out

    return kernel


class _quiet:
    """Silence floating point warnings (poles give inf/nan, as PyTorch returns them)."""

    def __init__(self, xp):
        self.xp = xp

    def __enter__(self):
        self.saved = self.xp.seterr(all="ignore") if hasattr(self.xp, "seterr") else None

    def __exit__(self, *exc):
        if self.saved is not None:
            self.xp.seterr(**self.saved)


_POLYGAMMA_OPS: dict = {}


def _polygamma_op(n: int) -> type:
    op = _POLYGAMMA_OPS.get(n)
    if op is None:
        kern = _polygamma64(n)
        op = _op(
            "Polygamma",
            lambda xp, a: _in_float64(kern, a),
            lambda g, x, y: g * _polygamma_op(n + 1).apply(x),
            "x",
        )
        _POLYGAMMA_OPS[n] = op
    return op


Lgamma = _op(
    "Lgamma",
    lambda xp, a: _in_float64(_lgamma64, a),
    lambda g, x, y: g * Digamma.apply(x),
    "x",
)
Digamma = _op(
    "Digamma",
    lambda xp, a: _in_float64(_digamma64, a),
    lambda g, x, y: g * _polygamma_op(1).apply(x),
    "x",
)

lgamma = _float_function(Lgamma, "lgamma", False)
lgamma.__doc__ = "The natural logarithm of the absolute value of the gamma function."
digamma = _float_function(Digamma, "digamma", False)
digamma.__doc__ = "The logarithmic derivative of the gamma function, ``d/dx lgamma(x)``."


def polygamma(n: int, input: Tensor, *, out=None) -> Tensor:
    """The ``n``-th derivative of ``digamma`` (``n = 0`` is ``digamma`` itself)."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return digamma(input, out=out)
    return _float_function(_polygamma_op(n), "polygamma", False)(input, out=out)


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma function of dimension ``p``."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    from ember._factories import arange

    a = arange(p, dtype=input.dtype, device=input.device) * -0.5
    return lgamma(input.unsqueeze(-1) + a).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


Tensor.lgamma = lambda self: lgamma(self)
Tensor.digamma = lambda self: digamma(self)
Tensor.polygamma = lambda self, n: polygamma(n, self)
Tensor.mvlgamma = lambda self, p: mvlgamma(self, p)
del array_module
