"""Pooling kernels: max pooling with indices (1-3 d, dilation, ceil_mode), average pooling
as a window sum over a divisor, and the adaptive variants' index tables.

Windows are visited one kernel offset at a time (a strided slab of the padded input per offset),
so the Python loop runs ``prod(kernel)`` times and everything else is vectorised.  Max pooling
returns torch's indices: flat positions within each ``(N, C)`` plane of the unpadded input.
"""

from __future__ import annotations

import itertools

from ember import _dtype
from ember._tensor import _wrap
from ember.autograd.function import Primitive
from ember.backend import array_module


def _slabs(kernel, stride, dilation, out):
    for offs in itertools.product(*[range(k) for k in kernel]):
        yield offs, (Ellipsis,) + tuple(
            slice(o * d, o * d + (n - 1) * s + 1, s) for o, d, s, n in zip(offs, dilation, stride, out)
        )


def _pad_to(xp, x, pads, fill):
    nd = len(pads)
    shape = x.shape[: x.ndim - nd] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[x.ndim - nd:], pads))
    if shape == x.shape:
        return x
    buf = xp.full(shape, fill, dtype=x.dtype)
    buf[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[x.ndim - nd:], pads))] = x
    return buf


def _right_pads(size, kernel, stride, padding, dilation, out):
    """(lo, hi) pads so that every window of the output fits inside the padded input."""
    return tuple(
        (p, max(p, (o - 1) * s + d * (k - 1) + 1 - n - p))
        for n, k, s, p, d, o in zip(size, kernel, stride, padding, dilation, out)
    )


def max_pool_kernel(x, kernel, stride, padding, dilation, out):
    """``(values, indices)`` of a max pool over the last ``len(kernel)`` dims of ``x``."""
    xp = array_module(x)
    nd = len(kernel)
    size = x.shape[x.ndim - nd:]
    floating = x.dtype.kind in "fc"
    low = -xp.inf if floating else xp.iinfo(x.dtype).min
    xpad = _pad_to(xp, x, _right_pads(size, kernel, stride, padding, dilation, out), low)
    # flat index of each output position's window origin, per dim, broadcastable over out
    plane = [1] * nd
    for i in range(nd - 2, -1, -1):
        plane[i] = plane[i + 1] * size[i + 1]
    best = idx = None
    for offs, sl in _slabs(kernel, stride, dilation, out):
        slab = xpad[sl]
        here = 0
        for i in range(nd):
            pos = xp.arange(out[i]) * stride[i] + offs[i] * dilation[i] - padding[i]
            here = here + (pos * plane[i]).reshape((-1,) + (1,) * (nd - 1 - i))
        if best is None:
            best = slab.copy()
            idx = xp.broadcast_to(xp.asarray(here, dtype=xp.int64), slab.shape).copy()
            continue
        mask = slab > best
        if floating:
            mask |= xp.isnan(slab)
        xp.copyto(best, slab, where=mask)
        xp.copyto(idx, xp.asarray(here, dtype=xp.int64), where=mask)
    return best, idx


class MaxPoolWithIndices(Primitive):
    """``(values, indices)`` of a max pool; the gradient goes to each window's argmax."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, x, *, kernel_fn, nd):
        values, idx = kernel_fn(x)
        ctx._idx = idx
        ctx._shape = x.shape
        ctx._nd = nd
        return values, idx

    @staticmethod
    def backward(ctx, g, *_):
        shape = ctx._shape
        nd = ctx._nd
        lead = shape[: len(shape) - nd]
        plane = 1
        for n in shape[len(shape) - nd:]:
            plane *= n
        idx = _wrap(ctx._idx.reshape(lead + (-1,)), _dtype.int64, g._device)
        from ember._factories import zeros

        base = zeros(lead + (plane,), dtype=g.dtype, device=g.device)
        return (base.scatter_add(len(lead), idx, g.reshape(lead + (-1,))).reshape(shape),)


def window_sum(x, kernel, stride, pads, out):
    xp = array_module(x)
    xpad = _pad_to(xp, x, pads, 0)
    total = None
    for _, sl in _slabs(kernel, stride, (1,) * len(kernel), out):
        total = xpad[sl].copy() if total is None else total.__iadd__(xpad[sl])
    return total


def window_sum_adjoint(g, size, kernel, stride, pads, out):
    xp = array_module(g)
    nd = len(kernel)
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(size, pads))
    buf = xp.zeros(g.shape[: g.ndim - nd] + padded, dtype=g.dtype)
    for _, sl in _slabs(kernel, stride, (1,) * nd, out):
        buf[sl] += g
    return xp.ascontiguousarray(buf[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(size, pads))])


class AvgPool(Primitive):
    """Window sums divided by ``divisor`` (an array broadcast over the output)."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, x, *, kernel, stride, pads, divisor):
        out = divisor.shape
        ctx._p = (x.shape[x.ndim - len(kernel):], kernel, stride, pads, divisor)
        y = window_sum(x, kernel, stride, pads, out)
        if y.dtype.kind in "iu":
            # torch divides integer sums with C++ integer division (truncation toward zero)
            return (y / divisor).astype(y.dtype)
        y /= divisor
        return y

    @staticmethod
    def backward(ctx, g):
        size, kernel, stride, pads, divisor = ctx._p
        return (AvgPoolBackward.apply(g, size=size, kernel=kernel, stride=stride, pads=pads, divisor=divisor),)


class AvgPoolBackward(Primitive):
    """The adjoint of ``AvgPool``: spread ``g / divisor`` over each window."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, g, *, size, kernel, stride, pads, divisor):
        ctx._p = (kernel, stride, pads, divisor)
        return window_sum_adjoint(g / divisor.astype(g.dtype, copy=False), size, kernel, stride, pads, divisor.shape)

    @staticmethod
    def backward(ctx, h):
        kernel, stride, pads, divisor = ctx._p
        return (AvgPool.apply(h, kernel=kernel, stride=stride, pads=pads, divisor=divisor),)


def avg_divisor(xp, dtype, size, kernel, stride, padding, out, count_include_pad, divisor_override):
    """Per-output divisor of an average pool, as torch counts it (a product of 1-d counts)."""
    if divisor_override:
        return xp.full(out, divisor_override, dtype=dtype)
    div = xp.ones((), dtype=dtype)
    nd = len(kernel)
    for i, (n, k, s, p, o) in enumerate(zip(size, kernel, stride, padding, out)):
        start = xp.arange(o) * s - p
        end = xp.minimum(start + k, n + p)
        if count_include_pad:
            cnt = end - start
        else:
            cnt = xp.minimum(end, n) - xp.maximum(start, 0)
        div = div * cnt.astype(dtype).reshape((-1,) + (1,) * (nd - 1 - i))
    return xp.ascontiguousarray(xp.broadcast_to(div, out))


def adaptive_ranges(xp, n, o):
    """Start/end of torch's adaptive windows along one dim and the widest window."""
    i = xp.arange(o)
    start = (i * n) // o
    end = ((i + 1) * n + o - 1) // o
    return start, end, int((end - start).max()) if o else 0


def adaptive_max_kernel(x, out):
    xp = array_module(x)
    nd = len(out)
    size = x.shape[x.ndim - nd:]
    flat = 0
    stride = 1
    axes_shape = []
    for i in range(nd - 1, -1, -1):
        start, end, kmax = adaptive_ranges(xp, size[i], out[i])
        pos = xp.minimum(start[:, None] + xp.arange(kmax)[None, :], end[:, None] - 1)
        shape = [1] * (2 * nd)
        shape[i], shape[nd + i] = out[i], kmax
        flat = flat + (pos * stride).reshape(shape)
        stride *= size[i]
        axes_shape.append(kmax)
    flat = flat.reshape(tuple(out) + (-1,))
    lead = x.shape[: x.ndim - nd]
    windows = x.reshape(lead + (-1,))[..., flat]
    if x.dtype.kind in "fc":
        nan = xp.isnan(windows)
        arg = xp.where(nan.any(-1), nan.argmax(-1), windows.argmax(-1))
    else:
        arg = windows.argmax(-1)
    idx = xp.take_along_axis(xp.broadcast_to(flat, windows.shape), arg[..., None], -1)[..., 0]
    values = xp.take_along_axis(windows, arg[..., None], -1)[..., 0]
    return values, idx.astype(xp.int64)
