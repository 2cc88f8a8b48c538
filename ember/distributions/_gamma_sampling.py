"""Reparameterised gamma draws: ``standard_gamma(alpha)`` with implicit gradients.

A draw ``x ~ Gamma(alpha, 1)`` is a function of ``alpha`` and a uniform ``u`` through the CDF,
``P(alpha, x) = u``. Differentiating that identity at fixed ``u`` gives the pathwise gradient
``dx/dalpha = -(dP/dalpha) / p(x; alpha)`` (implicit reparameterisation, as PyTorch does).
ember evaluates it in float64: ``log P`` by its power series below ``x = alpha + 1`` and
``log Q = log(1 - P)`` by its continued fraction above, and ``d log P / d alpha`` (or
``log Q``) by a central difference with a step of ``1e-5 alpha``, good to about 1e-9 relative.
"""

from __future__ import annotations

from ember import random as _random
from ember._tensor import Tensor, _from_array
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops._util import sum_to_shape
from ember.ops.special import _lgamma64

_TINY = 1e-300
_MAX_TERMS = 20_000


class _Iteration:
    """Run a vectorised recurrence until each element converges, checking every few steps
    and dropping converged elements from the arrays, so that a few slow elements (large
    ``a`` near ``x``) do not keep the whole batch iterating."""

    CHECK_EVERY = 8

    def __init__(self, xp, n: int, state: dict):
        self.xp = xp
        self.state = state
        self.index = xp.arange(n)
        self.result = None

    def converge(self, step, done, output: str):
        xp = self.xp
        self.result = xp.empty_like(self.state[output])
        for i in range(1, _MAX_TERMS):
            step(self.state, i, xp)
            if i % self.CHECK_EVERY:
                continue
            finished = done(self.state, xp)
            if bool(finished.all()):
                break
            # Compacting costs a copy of every array: worth it once a quarter has finished.
            if 4 * int(finished.sum()) > finished.shape[0]:
                self.result[self.index[finished]] = self.state[output][finished]
                keep = ~finished
                self.index = self.index[keep]
                self.state = {k: v[keep] for k, v in self.state.items()}
        self.result[self.index] = self.state[output]
        return self.result


def _series_step(s, i, xp):
    s["denom"] += 1.0
    s["term"] *= s["x"] / s["denom"]
    s["total"] += s["term"]


def _series_done(s, xp):
    return s["term"] <= s["total"] * 1e-17


def _log_p_series(a, x, xp):
    """``log P(a, x)``, the regularised lower incomplete gamma function (for x < a + 1)."""
    state = {"x": x, "denom": a.copy(), "term": xp.ones_like(x), "total": xp.ones_like(x)}
    total = _Iteration(xp, x.shape[0], state).converge(_series_step, _series_done, "total")
    return a * xp.log(x) - x - _lgamma64(a + 1.0, False, xp) + xp.log(total)


def _fraction_step(s, i, xp):
    an = -i * (i - s["a"])
    s["b"] += 2.0
    d = an * s["d"] + s["b"]
    d = xp.where(xp.abs(d) < _TINY, _TINY, d)
    c = s["b"] + an / s["c"]
    s["c"] = xp.where(xp.abs(c) < _TINY, _TINY, c)
    s["d"] = 1.0 / d
    s["delta"] = s["d"] * s["c"]
    s["h"] *= s["delta"]


def _fraction_done(s, xp):
    # |delta - 1| can sit at one ulp forever, so the tolerance is a few ulps.
    return xp.abs(s["delta"] - 1.0) <= 1e-15


def _log_q_fraction(a, x, xp):
    """``log Q(a, x) = log(1 - P(a, x))`` by Lentz's continued fraction (for x >= a + 1)."""
    b = x + 1.0 - a
    d = 1.0 / b
    state = {
        "a": a,
        "b": b,
        "c": xp.full_like(x, 1.0 / _TINY),
        "d": d,
        "h": d.copy(),
        "delta": xp.zeros_like(x),
    }
    h = _Iteration(xp, x.shape[0], state).converge(_fraction_step, _fraction_done, "h")
    return a * xp.log(x) - x - _lgamma64(a, False, xp) + xp.log(h)


def _log_tail(a, x, lower, xp):
    out = xp.empty_like(x)
    if bool(lower.any()):
        out[lower] = _log_p_series(a[lower], x[lower], xp)
    upper = ~lower
    if bool(upper.any()):
        out[upper] = _log_q_fraction(a[upper], x[upper], xp)
    return out


def _tails(a, x, xp):
    """For float64 arrays of one shape: which entries use the lower tail (``x < a + 1``),
    ``log P`` there and ``log Q`` elsewhere, and the derivative of that log w.r.t. ``a``."""
    lower = x < a + 1.0
    step = 1e-5 * a
    hi = _log_tail(a + step, x, lower, xp)
    lo = _log_tail(a - step, x, lower, xp)
    mid = _log_tail(a, x, lower, xp)
    return lower, mid, (hi - lo) / (2.0 * step)


def _flat64(alpha, x, xp):
    a, x = xp.broadcast_arrays(alpha.astype(xp.float64), x.astype(xp.float64))
    return a.shape, a.ravel(), x.ravel()


def standard_gamma_grad(alpha, x):
    """``dx/dalpha`` of a standard gamma draw ``x`` at concentration ``alpha`` (arrays)."""
    xp = array_module(alpha)
    shape, a, x = _flat64(alpha, x, xp)
    x = xp.maximum(x, _TINY)
    with _quiet(xp):
        lower, log_tail, dlog = _tails(a, x, xp)
        log_pdf = (a - 1.0) * xp.log(x) - x - _lgamma64(a, False, xp)
        ratio = xp.exp(log_tail - log_pdf) * dlog
        grad = xp.where(lower, -ratio, ratio)
    return grad.reshape(shape).astype(alpha.dtype)


class Igamma(Primitive):
    """The regularised lower incomplete gamma function ``P(a, x)`` (``torch.special.gammainc``),
    differentiable in both arguments (the derivative in ``a`` is not differentiable again)."""

    save_inputs = True

    @staticmethod
    def forward(ctx, a, x):
        xp = array_module(a)
        shape, af, xf = _flat64(a, x, xp)
        with _quiet(xp):
            lower, log_tail, _ = _tails(af, xp.maximum(xf, _TINY), xp)
            p = xp.where(lower, xp.exp(log_tail), -xp.expm1(log_tail))
        p = xp.where(xf <= 0, 0.0, xp.where(xf == xp.inf, 1.0, p))
        p = xp.where(xf < 0, xp.nan, p)
        return p.reshape(shape).astype(xp.result_type(a, x))

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        xp = array_module(a._data)
        shape, af, xf = _flat64(a._data, x._data, xp)
        dt = grad._data.dtype
        grad_a = grad_x = None
        with _quiet(xp):
            xs = xp.maximum(xf, _TINY)
            if ctx.needs_input_grad[0]:
                lower, log_tail, dlog = _tails(af, xs, xp)
                dp = xp.exp(log_tail) * dlog
                dp = xp.where(lower, dp, -dp)
                dp = xp.where((xf <= 0) | (xf == xp.inf), 0.0, dp)
                da = _from_array(dp.reshape(shape).astype(dt), grad.device)
                grad_a = sum_to_shape(grad * da, a.shape)
            if ctx.needs_input_grad[1]:
                log_pdf = (af - 1.0) * xp.log(xs) - xs - _lgamma64(af, False, xp)
                dens = xp.where(xf <= 0, 0.0, xp.exp(log_pdf))
                dx = _from_array(dens.reshape(shape).astype(dt), grad.device)
                grad_x = sum_to_shape(grad * dx, x.shape)
        return grad_a, grad_x


def gammainc(a: Tensor, x: Tensor) -> Tensor:
    """``P(a, x)``, the regularised lower incomplete gamma function (the CDF of
    ``Gamma(a, 1)`` at ``x``)."""
    return Igamma.apply(a, x)


class _quiet:
    def __init__(self, xp):
        self.xp = xp

    def __enter__(self):
        self.saved = self.xp.seterr(all="ignore") if hasattr(self.xp, "seterr") else None

    def __exit__(self, *exc):
        if self.saved is not None:
            self.xp.seterr(**self.saved)


class StandardGamma(Primitive):
    """A draw from ``Gamma(alpha, 1)`` whose gradient w.r.t. ``alpha`` is the implicit
    reparameterisation gradient."""

    save_inputs = True
    save_output = True

    @staticmethod
    def forward(ctx, alpha, *, generator=None, device=None):
        xp = array_module(alpha)
        bits = _random._resolve(generator, device)._bits
        draw = bits.standard_gamma(alpha.astype(xp.float64))
        # PyTorch keeps draws away from zero so that log(x) stays finite.
        tiny = float(xp.finfo(alpha.dtype).tiny)
        return xp.maximum(xp.asarray(draw, dtype=alpha.dtype), tiny)

    @staticmethod
    def backward(ctx, grad):
        (alpha,) = ctx.saved_tensors
        out = ctx.output()
        dx = standard_gamma_grad(alpha._data, out._data)
        return grad * _from_array(dx, alpha.device, alpha.dtype)


def standard_gamma(alpha: Tensor, generator=None) -> Tensor:
    """Draws from ``Gamma(alpha, 1)``, one per element of ``alpha``, differentiable in
    ``alpha``."""
    return StandardGamma.apply(alpha, generator=generator, device=alpha.device)
