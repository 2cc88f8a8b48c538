"""Scaled dot-product attention as one graph node: ``ScaledDotProductAttention``.

``softmax(q @ k^T * scale + bias) @ v`` over the last two dims, with the batch dims of ``q``,
``k`` and ``v`` equal.  The forward runs the two batched products and a softmax done in place
on the score buffer (one shift for all rows where that is safe, see ``_softmax_in_place``; its
row sums as one matrix-vector product), keeps the attention weights
``p`` and lays its output out in ``q``'s memory order, so that the heads of a multi-head
attention merge back into ``(L, N, E)`` rows without a copy.  The backward on arrays reuses
``p``: ``dv = p^T g``, ``ds = p (g v^T - rowsum(p g v^T)) * scale``, ``dq = ds k``,
``dk = ds^T q``, each laid out like its input; with ``create_graph=True`` it recomputes ``p``
and the same formulas with ember ops, so higher derivatives work.
"""

from __future__ import annotations

import math

from ember._tensor import Tensor, _wrap
from ember.autograd import grad_mode
from ember.autograd.function import Primitive
from ember.backend import array_module, cpu, scratch


def _t(a):
    """The last two dims swapped (a view)."""
    return a.swapaxes(-1, -2)


class ScaledDotProductAttention(Primitive):
    """Inputs ``q (*, L, E)``, ``k (*, S, E)``, ``v (*, S, Ev)``; ``bias`` is None or a
    constant array broadcasting to ``(*, L, S)`` (0 where attending is allowed, -inf where
    not), added to the scaled scores."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, q, k, v, scale, bias):
        xp = array_module(q)

        def scores():
            s = xp.matmul(q, _t(k))
            s *= scale
            if bias is not None:
                s += bias
            return s

        s = _softmax_in_place(scores(), scores, xp)
        shape = q.shape[:-1] + v.shape[-1:]
        out = xp.empty_like(q) if shape == q.shape else xp.empty(shape, dtype=q.dtype)
        xp.matmul(s, v, out=out)
        ctx.p, ctx.scale, ctx.bias = s, scale, bias
        return out

    @staticmethod
    def backward(ctx, grad):
        q, k, v = ctx.saved_tensors
        need = ctx.needs_input_grad
        if grad_mode.enabled:
            return _backward_graph(ctx, grad, q, k, v, need)
        xp = array_module(ctx.p)
        p, g, scale = ctx.p, grad._data, ctx.scale
        dtype, device = grad._dtype, grad._device
        dq = dk = dv = None

        def product(a, b, like):
            # in the input's memory order: heads that were views of one projection go back
            # through the views' backwards without copies
            out = xp.empty_like(like)
            xp.matmul(a, b, out=out)
            return _wrap(out, dtype, device)

        if need[2]:
            dv = product(_t(p), g, v._data)
        if need[0] or need[1]:
            # ds is this backward's own temporary: a kept buffer (no fresh pages to fault in)
            numpy = cpu.is_numpy(p)
            ds = scratch.take(p.shape, p.dtype) if numpy else xp.empty_like(p)
            xp.matmul(g, _t(v._data), out=ds)
            ds -= xp.einsum("...ij,...ij->...i", ds, p)[..., None]
            ds *= p
            ds *= scale
            if need[0]:
                dq = product(ds, k._data, q._data)
            if need[1]:
                dk = product(_t(ds), q._data, k._data)
            if numpy:
                scratch.give(ds)
        return dq, dk, dv


# With no score above _EXP_CAP, exp() of every score, summed over a row of any practical
# length, stays far below overflow; a row whose exponentials sum to at least _MIN_ROW_SUM has
# its largest at least _MIN_ROW_SUM / length, and every value within float precision of that
# one well inside the normal range.
_EXP_CAP = 60.0
_MIN_ROW_SUM = 2.0**-60


def _softmax_in_place(s, scores, xp):
    """``softmax(s)`` over the last dim, written over ``s``; ``scores()`` makes ``s`` again.

    A softmax row is the same whatever is subtracted from it first; the usual shift by each
    row's maximum (a reduction over short rows, slower than the exponential) is replaced by
    one shift for the whole array, its maximum, or none when that is at most _EXP_CAP.  When
    a row's exponentials then sum to too little (a row far below the others, or one with
    nothing to attend to), the scores are made again and shifted row by row.
    """
    top = float(s.max())
    if math.isfinite(top):
        if top > _EXP_CAP:
            s -= top
        xp.exp(s, out=s)
        z = xp.matmul(s, xp.ones(s.shape[-1], dtype=s.dtype))
        if float(z.min()) >= _MIN_ROW_SUM:
            return _divide_rows(s, z, xp)
        s = scores()
    top = s.max(axis=-1, keepdims=True)
    top[top == -math.inf] = 0.0  # a row with nothing to attend to: exp gives zeros
    s -= top
    xp.exp(s, out=s)
    z = xp.matmul(s, xp.ones(s.shape[-1], dtype=s.dtype))
    z[z == 0.0] = 1.0  # ... and it stays zeros, as torch's attention gives it (not NaN)
    return _divide_rows(s, z, xp)


def _divide_rows(s, z, xp):
    """``s`` with each row divided by its entry of ``z``, in place."""
    xp.reciprocal(z, out=z)
    s *= z[..., None]
    return s


def _backward_graph(ctx, grad, q, k, v, need):
    """The same gradients with ember ops, differentiable again."""
    s = (q @ k.transpose(-2, -1)) * ctx.scale
    if ctx.bias is not None:
        s = s + _wrap(ctx.bias, s._dtype, s._device)
    p = safe_softmax(s)
    dv = p.transpose(-2, -1) @ grad if need[2] else None
    dq = dk = None
    if need[0] or need[1]:
        dp = grad @ v.transpose(-2, -1)
        ds = p * (dp - (dp * p).sum(-1, keepdim=True)) * ctx.scale
        dq = ds @ k if need[0] else None
        dk = ds.transpose(-2, -1) @ q if need[1] else None
    return dq, dk, dv


def safe_softmax(scores: Tensor) -> Tensor:
    """``softmax`` over the last dim, except that a row with nothing to attend to (all -inf)
    gives zeros and passes zero gradients, not NaN: PyTorch's attention does the same."""
    from ember.ops.softmax import softmax

    dead = (scores == -math.inf).all(-1, keepdim=True)
    if not bool(dead.any()):
        return softmax(scores, -1)
    return softmax(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, scale: float, bias) -> Tensor:
    """``softmax(q @ k^T * scale + bias) @ v`` as one node (see the module docstring)."""
    return ScaledDotProductAttention.apply(q, k, v, scale=scale, bias=bias)
