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
from ember.backend import array_module, cpu, parallel


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


def _tiled_max_pool2d(x, kernel, out):
    """``_tiled_planes`` over ranges of the first dim, split over the cores when large."""
    lead = x.shape[:-2]
    if not (cpu.is_numpy(x) and lead and lead[0] > 1 and parallel.workers() > 1
            and x.size >= parallel.MIN_SIZE):
        return _tiled_planes(x, kernel, out)
    xp = array_module(x)
    best = xp.empty(lead + tuple(out), dtype=x.dtype)
    idx = xp.empty(lead + tuple(out), dtype=xp.int64)

    def part(lo, hi):
        best[lo:hi], idx[lo:hi] = _tiled_planes(x[lo:hi], kernel, out)

    parallel.split(part, lead[0], x.size)
    return best, idx


def _tiled_planes(x, kernel, out):
    """The common 2-d pool whose windows tile the plane (stride = kernel, no padding or
    dilation): one copy into ``(kh*kw, ..., oh, ow)``, one ``max`` over the first axis, and
    the first position equal to it (or nan) as the index, all in whole-array passes without
    per-element branches.  The first maximum wins and nan counts as the maximum, as in
    PyTorch's kernel."""
    xp = array_module(x)
    (kh, kw), (oh, ow) = kernel, out
    lead = x.shape[:-2]
    nl = len(lead)
    width = x.shape[-1]
    nk = kh * kw
    win = x[..., : oh * kh, : ow * kw].reshape(lead + (oh, kh, ow, kw))
    order = (nl + 1, nl + 3) + tuple(range(nl)) + (nl, nl + 2)
    win = xp.ascontiguousarray(win.transpose(order)).reshape((nk,) + lead + (oh, ow))
    best = win.max(0)  # (nan propagates: it is the maximum)
    nan = x.dtype.kind in "fc" and bool(xp.isnan(best).any())
    # the first k holding the maximum: walk k downwards, each match overwriting the later
    # one (arg -= hit * (arg - k), branch-free in uint8)
    arg = xp.full(best.shape, nk - 1, dtype=xp.uint8)
    for k in range(nk - 2, -1, -1):
        hit = win[k] == best
        if nan:
            hit |= xp.isnan(win[k])
        hit = hit.view(xp.uint8)
        hit *= arg - xp.uint8(k)
        arg -= hit
    # window position k -> offset within the plane, plus each window's origin
    offset = (xp.arange(kh)[:, None] * width + xp.arange(kw)).reshape(-1)
    idx = xp.take(offset, arg)
    idx += (xp.arange(oh) * (kh * width))[:, None] + xp.arange(ow) * kw
    return best, idx


def max_pool_kernel(x, kernel, stride, padding, dilation, out):
    """``(values, indices)`` of a max pool over the last ``len(kernel)`` dims of ``x``."""
    xp = array_module(x)
    nd = len(kernel)
    if (
        nd == 2
        and tuple(stride) == tuple(kernel)
        and not any(padding)
        and all(d == 1 for d in dilation)
        and kernel[0] * kernel[1] < 256  # (window positions are counted in uint8)
        and x.size
        and all(o * k <= n for o, k, n in zip(out, kernel, x.shape[-2:], strict=True))
    ):
        return _tiled_max_pool2d(x, kernel, out)
    size = x.shape[x.ndim - nd:]
    floating = x.dtype.kind in "fc"
    low = -xp.inf if floating else xp.iinfo(x.dtype).min
    xpad = _pad_to(xp, x, _right_pads(size, kernel, stride, padding, dilation, out), low)
    # flat index of each output position's window origin, per dim, broadcastable over out
    plane = [1] * nd
    for i in range(nd - 2, -1, -1):
        plane[i] = plane[i + 1] * size[i + 1]
    best = idx = None
    select = cpu.where if cpu.is_numpy(x) else xp.where
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
        # branch-free updates: copyto(where=...) mispredicts on a max-pool's random masks
        xp.maximum(best, slab, out=best)  # (nan wins, as in the mask)
        idx = select(mask, xp.asarray(here, dtype=xp.int64), idx)
    return best, idx


class MaxPoolWithIndices(Primitive):
    """``(values, indices)`` of a max pool; the gradient goes to each window's argmax."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, x, *, kernel_fn, nd, disjoint=False):
        values, idx = kernel_fn(x)
        ctx._idx = idx
        ctx._shape = x.shape
        ctx._nd = nd
        ctx._disjoint = disjoint
        return values, idx

    @staticmethod
    def backward(ctx, g, *_):
        return (
            MaxPoolBackward.apply(
                g, idx=ctx._idx, shape=ctx._shape, nd=ctx._nd, disjoint=ctx._disjoint
            ),
        )


class MaxPoolBackward(Primitive):
    """The gradient of a max pool: each output's gradient added at its argmax ``idx`` (flat
    positions within each plane of an input of ``shape``).  With ``disjoint`` windows (no
    input position in two windows) every position gets at most one gradient, so one indexed
    assignment does it; overlapping windows sum repeats.  Its own gradient gathers at
    ``idx``."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, g, *, idx, shape, nd, disjoint):
        ctx._idx = idx
        ctx._shape = shape
        ctx._nd = nd
        xp = array_module(g)
        lead = shape[: len(shape) - nd]
        planes = _prod(lead)
        plane = _prod(shape[len(lead):])
        keys = idx.reshape(planes, -1) if planes else idx.reshape(0, idx.size)
        vals = g.reshape(keys.shape)
        out = xp.zeros((planes, plane), dtype=g.dtype)
        if disjoint and keys.size and keys.min() >= 0 and keys.max() < plane:

            def part(lo, hi):  # (a range of planes)
                flat = keys[lo:hi] + (xp.arange(hi - lo, dtype=keys.dtype) * plane)[:, None]
                out[lo:hi].reshape(-1)[flat.reshape(-1)] = vals[lo:hi].reshape(-1)

            parallel.spread(part, planes, out)
        else:
            from ember.ops.index import _at

            _at("add", out, (xp.arange(planes)[:, None], keys), vals)
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, h):
        shape, nd, idx = ctx._shape, ctx._nd, ctx._idx
        lead = shape[: len(shape) - nd]
        nout = _prod(idx.shape[len(lead):])
        keys = _wrap(idx.reshape(lead + (nout,)), _dtype.int64, h._device)
        flat = h.reshape(lead + (_prod(shape[len(lead):]),))
        return (flat.gather(len(lead), keys).reshape(idx.shape),)


def _prod(shape) -> int:
    p = 1
    for n in shape:
        p *= n
    return p


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


def max_pool_values(x, kernel, stride, padding, dilation, out):
    """Max pool values only (the no-grad path): a running ``maximum``, which propagates NaN
    as torch; split over the first dim across the cores when large."""
    nd = len(kernel)
    if not (cpu.is_numpy(x) and x.ndim > nd and x.shape[0] > 1 and parallel.workers() > 1
            and x.size >= parallel.MIN_SIZE):
        return _max_values(x, kernel, stride, padding, dilation, out)
    best = array_module(x).empty(x.shape[: x.ndim - nd] + tuple(out), dtype=x.dtype)

    def part(lo, hi):
        best[lo:hi] = _max_values(x[lo:hi], kernel, stride, padding, dilation, out)

    parallel.split(part, x.shape[0], x.size)
    return best


def _max_values(x, kernel, stride, padding, dilation, out):
    xp = array_module(x)
    nd = len(kernel)
    size = x.shape[x.ndim - nd:]
    low = -xp.inf if x.dtype.kind in "fc" else xp.iinfo(x.dtype).min
    xpad = _pad_to(xp, x, _right_pads(size, kernel, stride, padding, dilation, out), low)
    best = None
    for _, sl in _slabs(kernel, stride, dilation, out):
        if best is None:
            best = xpad[sl].copy()
        else:
            xp.maximum(best, xpad[sl], out=best)
    return best


def _fractional_intervals(xp, sample, n, o, k):
    """Window starts of fractional max pooling along one dim, per plane: torch's pseudo-random
    sequence, computed in the input's float type as torch does (so the same windows come out)."""
    dt = sample.dtype
    starts = xp.empty(sample.shape + (o,), dtype=xp.int64)
    if o > 1:
        alpha = xp.asarray(n - k, dtype=dt) / xp.asarray(o - 1, dtype=dt)
        i = xp.arange(o - 1).astype(dt)
        starts[..., :-1] = (xp.trunc((i + sample[..., None]) * alpha).astype(xp.int64)
                            - xp.trunc(sample * alpha).astype(xp.int64)[..., None])
    starts[..., -1] = n - k
    return starts


def fractional_max_kernel(x, samples, kernel, out):
    """``(values, indices)`` of fractional max pooling over the last ``len(kernel)`` dims of
    ``(N, C, *size)``; ``samples`` ``(N, C, nd)`` in [0, 1) place the windows of each plane."""
    xp = array_module(x)
    nd = len(kernel)
    lead = x.shape[:2]
    size = x.shape[2:]
    strides = [1] * nd
    for d in range(nd - 2, -1, -1):
        strides[d] = strides[d + 1] * size[d + 1]
    # torch's 2-d kernel reads sample 0 for the width and 1 for the height; 3-d reads T, H, W
    order = (1, 0) if nd == 2 else (0, 1, 2)
    flat = 0
    for d in range(nd):
        starts = _fractional_intervals(xp, samples[..., order[d]], size[d], out[d], kernel[d])
        pos = starts[..., :, None] + xp.arange(kernel[d])
        shape = list(lead) + [1] * (2 * nd)
        shape[2 + d], shape[2 + nd + d] = out[d], kernel[d]
        flat = flat + (pos * strides[d]).reshape(shape)
    n_out = _size(out)
    flat = xp.broadcast_to(flat, tuple(lead) + tuple(out) + tuple(kernel))
    flat = flat.reshape(lead + (n_out, -1))
    windows = xp.take_along_axis(x.reshape(lead + (-1,)), flat.reshape(lead + (-1,)), axis=2)
    windows = windows.reshape(flat.shape)
    if x.dtype.kind in "fc":
        nan = xp.isnan(windows)
        arg = xp.where(nan.any(-1), nan.argmax(-1), windows.argmax(-1))
    else:
        arg = windows.argmax(-1)
    idx = xp.take_along_axis(flat, arg[..., None], -1)[..., 0]
    values = xp.take_along_axis(windows, arg[..., None], -1)[..., 0]
    return values.reshape(lead + tuple(out)), idx.reshape(lead + tuple(out)).astype(xp.int64)


def _size(shape):
    p = 1
    for s in shape:
        p *= s
    return p
