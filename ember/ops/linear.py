"""``F.linear`` as one primitive: ``y = x @ W.T + b`` for ``x`` of shape ``(*, in)``.

One node instead of addmm + transpose (+ view) nodes, and a backward that produces each
gradient in its final layout in one BLAS call: ``dW = g.T @ x`` comes out ``(out, in)`` and
row-major, like the weight, so accumulating it into ``weight.grad`` needs no copy.
"""

from __future__ import annotations

from ember import _dtype
from ember._tensor import _wrap
from ember.autograd import grad_mode
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops.linalg import _product

_HALF = (_dtype.float16.np, _dtype.bfloat16.np)


def _rows(a):
    """``a`` as a 2-D ``(rows, features)`` array (a view when its layout allows)."""
    return a if a.ndim == 2 else a.reshape(-1, a.shape[-1])


class Linear(Primitive):
    """Inputs ``(x, W)`` or ``(x, W, b)``."""

    @staticmethod
    def saved_mask(needs):
        # x is read for dW, W for dx; the bias's gradient needs neither
        return (needs[1], needs[0], False)[: len(needs)]

    @staticmethod
    def forward(ctx, x, w, b=None):
        ctx.x_shape = x.shape
        x2 = _rows(x)
        if x2.shape[0] <= 4 and x2.shape[0] and w.dtype not in _HALF:
            # a few rows against a big weight: OpenBLAS runs W @ x.T several times faster
            out = (w @ x2.T).T.copy()
        else:
            out = _product(x2, w.T)
        if b is not None:
            if out.dtype in _HALF:  # add in float32 and round once, as PyTorch's addmm does
                out = (out.astype(_dtype.float32.np) + b.astype(_dtype.float32.np)).astype(
                    out.dtype
                )
            else:
                out += b
        if x.ndim != 2:
            out = out.reshape(x.shape[:-1] + (w.shape[0],))
        return out

    @staticmethod
    def backward(ctx, grad):
        saved = ctx.saved_tensors
        x, w = saved[0], saved[1]
        need = ctx.needs_input_grad
        g2 = grad if grad.dim() == 2 else grad.reshape(-1, grad.shape[-1])
        gx = gw = gb = None
        if need[0]:
            gx = LinearInputGrad.apply(g2, w)
            if len(ctx.x_shape) != 2:
                gx = gx.reshape(ctx.x_shape)
        if need[1]:
            x2 = x if x.dim() == 2 else x.reshape(-1, x.shape[-1])
            gw = LinearWeightGrad.apply(g2, x2)
        if len(need) == 3 and need[2]:
            gb = _bias_grad(g2)
        return (gx, gw) if len(need) == 2 else (gx, gw, gb)


def _bias_grad(g2):
    """``g2.sum(0)``, the bias's gradient: outside ``create_graph`` one matrix-vector product
    ``ones @ g2`` (BLAS sums the columns about twice as fast as NumPy's reduction does)."""
    if grad_mode.enabled:
        return g2.sum(0)
    d = g2._data
    xp = array_module(d)
    return _wrap(_product(xp.ones(d.shape[0], dtype=d.dtype), d), g2._dtype, g2._device)


class LinearInputGrad(Primitive):
    """``g @ W`` (the input's gradient); bilinear, so its own backward is two products."""

    @staticmethod
    def forward(ctx, g, w):
        return _product(g, w)

    @staticmethod
    def backward(ctx, h):
        g, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (
            LinearInputGrad.apply(h, w.t()) if need[0] else None,
            LinearWeightGrad.apply(g, h) if need[1] else None,
        )


class LinearWeightGrad(Primitive):
    """``g.T @ x`` (the weight's gradient), row-major ``(out, in)``."""

    @staticmethod
    def forward(ctx, g, x):
        return _product(g.T, x)

    @staticmethod
    def backward(ctx, h):
        g, x = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (
            LinearInputGrad.apply(x, h.t()) if need[0] else None,
            LinearInputGrad.apply(g, h) if need[1] else None,
        )
