"""Array kernels for the error function family: ``erf``, ``erfc`` and ``erfinv``.

NumPy has no error function, so ember evaluates its own, through ``xp`` (the same code runs
on NumPy and CuPy).  Two Chebyshev expansions cover the real line, fitted in 40-digit
arithmetic (mpmath) at 64 Chebyshev nodes and truncated where the terms fall below 1e-19 of
the leading one:

* ``|x| < 1``: ``erf(x) / x`` as a series in ``v = 2 x^2 - 1``;
* ``|x| >= 1``: ``x exp(x^2) erfc(x)`` as a series in ``v = (4 u - 1) / 3`` with
  ``u = (x - 3) / (x + 3)``, which maps ``[1, inf)`` onto ``[-1, 1)``.

The factor ``exp(-x^2)`` is formed as ``exp(-h^2) exp(-(x - h)(x + h))`` with ``h`` = ``x``
rounded down to a multiple of 1/16, so that ``h^2`` is exact and ``erfc`` keeps its relative
accuracy far into the tail.  Float64 results agree with correctly rounded values to a few
units in the last place; narrower dtypes are computed in float64 with the series cut to the
terms their precision needs, then rounded once.

``erfinv`` refines an elementary first guess (Winitzki's closed form, about 1e-3 relative
error) by Halley steps on ``erf(r) = y``, written as ``erfc(r) = 1 - y`` for ``|y| > 1/2`` so
that the tail does not cancel; each step cubes the error.
"""

from __future__ import annotations

import math

from ember.backend import array_module, cpu

_ERF_SMALL = (
    9.7547693938265409598e-1,
    -1.4226120510371364238e-1,
    1.0035582187599795576e-2,
    -5.7687646997674847651e-4,
    2.7419931252196061034e-5,
    -1.1043175507344507604e-6,
    3.848875542034503695e-8,
    -1.180858253387546697e-9,
    3.2334215826050909646e-11,
    -7.9910159470045487582e-13,
    1.7990725113961455612e-14,
    -3.7186354878186926382e-16,
    7.1035990037142529712e-18,
    -1.2612455119155225832e-19,
)
_ERFC_LARGE = (
    5.2703276996453453416e-1,
    5.8438373634075015064e-2,
    -2.8760006767845146201e-2,
    9.4233842971967388506e-3,
    -2.3281563723139085348e-3,
    4.3730093384926331358e-4,
    -5.8303544643230864191e-5,
    4.04311456093083279e-6,
    2.7089807277164199962e-7,
    -9.9654205471292344127e-8,
    5.8994192358259974153e-9,
    1.385980286379278391e-9,
    -2.3156333271134691633e-10,
    -1.5604196875242842831e-11,
    6.2836389835256886687e-12,
    1.2178727055545493868e-13,
    -1.6752992531325615303e-13,
    3.1333387323219783488e-16,
    4.754423145110416918e-15,
    -2.4579810618655913432e-17,
    -1.4571109178923862006e-16,
    -1.1939383999583008003e-18,
    4.7419255980580297063e-18,
    1.7736754227671541396e-19,
    -1.5819572551692080086e-19,
)
# Terms enough for float32 and narrower (tails below 3e-10 of the leading term).
_SHORT = {id(_ERF_SMALL): _ERF_SMALL[:8], id(_ERFC_LARGE): _ERFC_LARGE[:13]}

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
# Beyond this erfc underflows in float64; clipping keeps inf out of the series variable.
_ERFC_CLIP = 30.0


def _chebyshev(v, coeffs, xp):
    """Clenshaw's recurrence for ``sum(c_k T_k(v))``, in place on two work arrays."""
    v2 = v + v
    b1 = xp.full_like(v, coeffs[-1])
    b2 = xp.zeros_like(v)
    tmp = xp.empty_like(v)
    for c in coeffs[-2:0:-1]:
        xp.multiply(v2, b1, out=tmp)
        tmp -= b2
        tmp += c
        b1, b2, tmp = tmp, b1, b2
    xp.multiply(v, b1, out=tmp)
    tmp -= b2
    tmp += coeffs[0]
    return tmp


def _erf_small(x, short, xp):
    """erf(x) for float64 ``|x| < 1``."""
    coeffs = _SHORT[id(_ERF_SMALL)] if short else _ERF_SMALL
    v = x * x
    v *= 2.0
    v -= 1.0
    out = _chebyshev(v, coeffs, xp)
    out *= x
    return out


def _erfc_large(ax, short, xp):
    """erfc(ax) for float64 ``ax >= 1`` (inf and nan allowed)."""
    coeffs = _SHORT[id(_ERFC_LARGE)] if short else _ERFC_LARGE
    ax = xp.minimum(ax, _ERFC_CLIP)
    u = (ax - 3.0) / (ax + 3.0)
    u *= 4.0 / 3.0
    u -= 1.0 / 3.0
    out = _chebyshev(u, coeffs, xp)
    hi = xp.floor(ax * 16.0)
    hi *= 1.0 / 16.0
    lo = (ax - hi) * (ax + hi)
    hi *= hi
    out *= xp.exp(-hi)
    out *= xp.exp(-lo)
    out /= ax
    return out


def _erf64(x, short, xp):
    ax = xp.abs(x)
    small = ax < 1.0
    if small.all():
        return _erf_small(x, short, xp)
    out = 1.0 - _erfc_large(ax, short, xp)
    xp.copysign(out, x, out=out)
    if small.any():
        out[small] = _erf_small(x[small], short, xp)
    return out


def _erfc64(x, short, xp):
    ax = xp.abs(x)
    small = ax < 1.0
    if small.all():
        return 1.0 - _erf_small(x, short, xp)
    out = _erfc_large(ax, short, xp)
    neg = x < 0
    if neg.any():
        out[neg] = 2.0 - out[neg]
    if small.any():
        out[small] = 1.0 - _erf_small(x[small], short, xp)
    return out


def _in_float64(kernel, x):
    """Run a float64 kernel on ``x`` and return its result in ``x``'s dtype."""
    xp = array_module(x)
    if not x.ndim:  # work on one element: NumPy turns 0-d results into scalars
        return _in_float64(kernel, x.reshape(1)).reshape(())
    if not (x.flags.c_contiguous or x.flags.f_contiguous):
        x = xp.ascontiguousarray(x)  # results of sparse layouts come out row-major
    if x.dtype == xp.float64:
        return kernel(x, False, xp)
    return kernel(x.astype(xp.float64), True, xp).astype(x.dtype)


_COMPILED_DTYPES = ("float32", "float64")


def _compiled(name: str, x):
    """SciPy's compiled kernel for ``name`` when it applies to ``x`` (a float32/float64 NumPy
    array and SciPy installed), else None; the series below stay the portable fallback."""
    if not cpu.is_numpy(x) or x.dtype.name not in _COMPILED_DTYPES:
        return None
    return cpu.special_function(name)


def _run_compiled(fn, x):
    out = fn(x)
    return out if out.shape else array_module(x).asarray(out, x.dtype)


def erf(x):
    """The error function of a floating array, in its dtype."""
    fn = _compiled("erf", x)
    return _run_compiled(fn, x) if fn is not None else _in_float64(_erf64, x)


def erfc(x):
    """The complementary error function ``1 - erf(x)``, accurate where it is tiny."""
    fn = _compiled("erfc", x)
    if fn is None:
        return _in_float64(_erfc64, x)
    out = _run_compiled(fn, x)
    if x.dtype.name == "float64" and out.ndim:
        # SciPy flushes erfc's subnormal results (x in about (26.5, 27.3)) to zero; PyTorch
        # keeps them: those few elements take the series
        lost = (out == 0) & (x > 26.0) & (x < 27.5)
        if lost.any():
            out[lost] = _in_float64(_erfc64, x[lost])
    return out


def _erfinv_guess(ay, xp):
    """Winitzki's closed-form inverse of erf on ``0 <= ay < 1`` (about 1e-3 relative error)."""
    a = 0.147
    w = xp.log1p(-ay) + xp.log1p(ay)  # log(1 - ay^2) without cancelling near 1
    t = (2.0 / (math.pi * a)) + 0.5 * w
    return xp.sqrt(xp.sqrt(t * t - w / a) - t)


def _halley(r, f):
    """One Halley step for ``erf(r) = y`` given the residual ``f = erf(r) - y``."""
    xp = array_module(r)
    delta = f / (_TWO_OVER_SQRT_PI * xp.exp(-r * r))
    return r - delta / (1.0 + r * delta)


def _erfinv_positive(ay, short, xp, steps: int = 2):
    """erfinv on float64 ``0 <= ay < 1``."""
    r = _erfinv_guess(ay, xp)
    central = ay <= 0.5
    if central.all():
        for _ in range(steps):
            r = _halley(r, _erf_small(r, short, xp) - ay)
        return r
    if not central.any():
        rest = 1.0 - ay  # exact for ay >= 1/2
        for _ in range(steps):
            r = _halley(r, rest - _erfc64(r, short, xp))
        return r
    out = xp.empty_like(r)
    out[central] = _erfinv_positive(ay[central], short, xp, steps)
    tail = ~central
    out[tail] = _erfinv_positive(ay[tail], short, xp, steps)
    return out


def _erfinv64(y, short, xp):
    ay = xp.abs(y)
    inside = ay < 1.0
    if inside.all():
        out = _erfinv_positive(ay, short, xp)
    else:
        out = xp.where(ay == 1.0, xp.inf, xp.nan)
        if inside.any():
            out[inside] = _erfinv_positive(ay[inside], short, xp)
    xp.copysign(out, y, out=out)
    return out


def erfinv(y):
    """The inverse of erf on a floating array: ``±inf`` at ``±1``, nan outside [-1, 1]."""
    fn = _compiled("erfinv", y)
    return _run_compiled(fn, y) if fn is not None else _in_float64(_erfinv64, y)
