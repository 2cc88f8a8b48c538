"""N-d convolution (1-, 2- and 3-d) as im2col + one batched matmul, and its two adjoints.

Three primitives close the family under differentiation: ``Convolution`` (x, w[, b]) -> y,
``ConvolutionBackwardInput`` (g, w) -> dL/dx (also the forward of a transposed convolution) and
``ConvolutionBackwardWeight`` (x, g) -> dL/dw.  Each is bilinear, so the backward of each is
written with the other two and gradients of any order follow.

Geometry is passed as tuples: ``stride``, ``pads`` (one ``(lo, hi)`` pair per spatial dim),
``dilation``, ``groups``.  The column buffer has layout ``(G, C/G * prod(K), N * prod(out))`` so
that ``w.reshape(G, O/G, -1) @ cols`` is one GEMM per group over the whole batch.
"""

from __future__ import annotations

import itertools

from ember.autograd import grad_mode
from ember.autograd.function import Primitive
from ember.backend import array_module, cpu, parallel, scratch


def _out_size(size, k, s, d, lo, hi):
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def _offsets(kernel, stride, dilation, out):
    """For each kernel offset: the index into the kernel and the slices of the padded input."""
    for offs in itertools.product(*[range(k) for k in kernel]):
        yield offs, tuple(
            slice(o * d, o * d + (n - 1) * s + 1, s) for o, d, s, n in zip(offs, dilation, stride, out)
        )


def _scratch(xp, shape, dtype):
    """A temporary of the op's own (see ``scratch``): a kept buffer when NumPy's."""
    return scratch.take(shape, dtype) if xp is cpu.xp else xp.empty(shape, dtype=dtype)


def _done(a) -> None:
    """Hand a temporary from ``_scratch`` back (only buffers this module allocated itself
    and no longer references: never an input, never a returned array)."""
    if cpu.is_numpy(a):
        scratch.give(a)


def _padded(xp, x, pads):
    if not any(lo or hi for lo, hi in pads):
        return x
    shape = x.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    buf = xp.zeros(shape, dtype=x.dtype)
    buf[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[2:], pads))] = x
    return buf


def _cropped(buf, pads, size):
    if not any(lo or hi for lo, hi in pads):
        return buf
    return buf[(Ellipsis,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(size, pads))]


def _im2col(xp, x, kernel, stride, pads, dilation, out, batch_first=False):
    """Columns of the zero-padded input, one slab copy per kernel offset.

    Layout ``(C, *kernel, N, *out)`` (so that one GEMM covers the whole batch), or
    ``(N, C, *kernel, *out)`` with ``batch_first``.
    """
    xpad = _padded(xp, x, pads)
    n, c = x.shape[:2]
    k = tuple(kernel)
    if batch_first:
        cols = xp.empty((n, c) + k + tuple(out), dtype=x.dtype)
        for offs, sl in _offsets(kernel, stride, dilation, out):
            cols[(slice(None), slice(None)) + offs] = xpad[(slice(None), slice(None)) + sl]
        return cols
    cols = _scratch(xp, (c,) + k + (n,) + tuple(out), x.dtype)
    src = xpad.swapaxes(0, 1)
    offsets = list(_offsets(kernel, stride, dilation, out))

    def part(lo, hi):  # (a range of the batch)
        for offs, sl in offsets:
            cols[(slice(None),) + offs + (slice(lo, hi),)] = src[(slice(None), slice(lo, hi)) + sl]

    parallel.spread(part, n, cols)
    return cols


def _im2col_channels_last(xp, x, kernel, stride, pads, dilation, out, weight_order=False):
    """Columns as ``(N, *out, *kernel, C)``: a row per output position, the window's values
    with channels innermost, one slab copy per kernel offset from an NHWC copy of the padded
    input.  Each slab moves runs of C values, where the ``(C, *kernel, N, *out)`` layout moves
    runs of one output row: the better layout once channels outnumber the row's positions.
    ``weight_order``: ``(N, *out, C, *kernel)`` instead, the weight's own order (slower
    strided writes, but the weight need not be reordered for the GEMM)."""
    n, c = x.shape[:2]
    nd = len(kernel)
    perm = (0,) + tuple(range(2, 2 + nd)) + (1,)
    size = x.shape[2:]
    padded = any(lo or hi for lo, hi in pads)
    inner = tuple(slice(lo, lo + m) for m, (lo, _) in zip(size, pads))
    if padded:
        shape = (n,) + tuple(m + lo + hi for m, (lo, hi) in zip(size, pads)) + (c,)
        xpad = xp.zeros(shape, dtype=x.dtype)
    if weight_order:
        cols = _scratch(xp, (n,) + tuple(out) + (c,) + tuple(kernel), x.dtype)
    else:
        cols = _scratch(xp, (n,) + tuple(out) + tuple(kernel) + (c,), x.dtype)
    offsets = list(_offsets(kernel, stride, dilation, out))
    rows = (slice(None),) * (nd + 1 if weight_order else nd)

    def part(lo, hi):  # (a range of the batch)
        if padded:
            src = xpad[lo:hi]
            src[(slice(None),) + inner] = x[lo:hi].transpose(perm)
        else:
            src = xp.ascontiguousarray(x[lo:hi].transpose(perm))
        dst = cols[lo:hi]
        for offs, sl in offsets:
            dst[(slice(None),) + rows + offs] = src[(slice(None),) + sl]

    parallel.spread(part, n, cols)
    return cols


def _columns(xp, x, kernel, stride, pads, dilation, out, groups, o):
    """``(layout, cols)``: the column matrix for one GEMM over the batch.  ``'cl'``: channels
    last, ``(N * out, prod(kernel) * C)``, or ``'cw'``: ``(N * out, C * prod(kernel))``
    (groups of 1 only); ``'cf'``: ``(G, C/G * prod(kernel), N * out)``."""
    n, c = x.shape[:2]
    k = _prod(kernel)
    if groups == 1 and out and c >= 2 * out[-1]:
        m = n * _prod(out)
        # reordering a weight larger than the columns costs more than strided writes
        weight_order = o * c * k > m * c * k
        cols = _im2col_channels_last(xp, x, kernel, stride, pads, dilation, out, weight_order)
        return ("cw" if weight_order else "cl"), cols.reshape(m, k * c)
    cols = _im2col(xp, x, kernel, stride, pads, dilation, out)
    # explicit sizes (no -1): an empty batch must still reshape
    return "cf", cols.reshape(groups, c // groups * k, n * _prod(out))


def _col2im(xp, cols, size, kernel, stride, pads, dilation, out, batch_first=False):
    """Adjoint of ``_im2col``: scatter-add columns into ``(N, C, *size)``."""
    if batch_first:
        n, c = cols.shape[:2]
    else:
        c, n = cols.shape[0], cols.shape[1 + len(kernel)]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, pads))
    # the padded buffer must also cover windows that reach past it (transposed conv geometry)
    need = tuple((o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(out, stride, dilation, kernel))
    full = tuple(max(p, q) for p, q in zip(padded, need))
    buf = xp.zeros((n, c) + full, dtype=cols.dtype)
    offsets = list(_offsets(kernel, stride, dilation, out))

    def part(lo, hi):  # (a range of the batch)
        dst = buf[lo:hi]
        for offs, sl in offsets:
            if batch_first:
                dst[(slice(None), slice(None)) + sl] += cols[(slice(lo, hi), slice(None)) + offs]
            else:
                dst.swapaxes(0, 1)[(slice(None), slice(None)) + sl] += cols[
                    (slice(None),) + offs + (slice(lo, hi),)
                ]

    parallel.spread(part, n, cols)
    if full != padded:
        buf = buf[(Ellipsis,) + tuple(slice(0, p) for p in padded)]
    return _cropped(buf, pads, size)


def _to_nchw(xp, src, bias, out):
    """``src``, an ``(N, O, P)`` view of a GEMM's result, copied out as ``(N, O, *out)`` plus
    ``bias`` per channel, in one pass split over the cores."""
    n, o, _ = src.shape
    y = xp.empty(src.shape, dtype=src.dtype)

    def part(lo, hi):
        if bias is None:
            y[lo:hi] = src[lo:hi]
        else:
            xp.add(src[lo:hi], bias[:, None], out=y[lo:hi])

    parallel.spread(part, n, y)
    return y.reshape((n, o) + out)


def _conv(x, w, stride, pads, dilation, groups, keep=None, bias=None):
    """The convolution of ``x`` by ``w`` (plus ``bias``); with ``keep`` (a dict) the column
    matrix is left in ``keep['cols']`` (the caller then owns it), else handed back."""
    xp = array_module(x)
    n = x.shape[0]
    o = w.shape[0]
    kernel = w.shape[2:]
    out = tuple(
        _out_size(s, k, st, d, lo, hi)
        for s, k, st, d, (lo, hi) in zip(x.shape[2:], kernel, stride, dilation, pads)
    )
    p = _prod(out)
    layout, cols = _columns(xp, x, kernel, stride, pads, dilation, out, groups, o)
    dt = xp.result_type(cols, w)
    if layout == "cl":
        wt = w.transpose((0,) + tuple(range(2, w.ndim)) + (1,)).reshape(o, -1)
        yt = _scratch(xp, (n * p, o), dt)
        xp.matmul(cols, wt.T, out=yt)
        y = _to_nchw(xp, yt.reshape((n, p, o)).transpose(0, 2, 1), bias, out)
    elif layout == "cw":  # (a large weight: W @ cols.T measured faster, ResNet's last layers)
        yt = _scratch(xp, (o, n * p), dt)
        xp.matmul(w.reshape(o, -1), cols.T, out=yt)
        y = _to_nchw(xp, yt.reshape(o, n, p).transpose(1, 0, 2), bias, out)
    else:
        wm = w.reshape(groups, o // groups, -1)
        # (O, C*k) @ (C*k, N*out): measured faster in OpenBLAS than the transposed product
        # (MNIST net's second convolution 21.5 against 26 ms), and its (O, N, out) result
        # turns into NCHW by copying runs of a whole output plane
        yt = _scratch(xp, (groups, o // groups, n * p), dt)
        if groups > 1 and wm.shape[1] == 1:
            # depthwise: many 1-row products are cheaper as a multiply-reduce than tiny GEMMs
            xp.einsum("gk,gkl->gl", wm[:, 0], cols, out=yt[:, 0])
        else:
            xp.matmul(wm, cols, out=yt)
        y = _to_nchw(xp, yt.reshape(o, n, p).transpose(1, 0, 2), bias, out)
    _done(yt)
    if keep is not None:
        keep["cols"] = (layout, cols)
    else:
        _done(cols)
    return y


def _grad_rows(g, groups):
    """``g`` as ``(G, O/G, N * prod(out))`` (one transposed copy)."""
    n, o = g.shape[:2]
    xp = array_module(g)
    src = g.swapaxes(0, 1)
    rows = _scratch(xp, src.shape, g.dtype)
    parallel.assign(rows, src)
    return rows.reshape(groups, o // groups, -1)


def _conv_input_grad(g, w, size, stride, pads, dilation, groups, rows=None):
    xp = array_module(g)
    n, o = g.shape[:2]
    out = g.shape[2:]
    kernel = w.shape[2:]
    cg = w.shape[1]
    wm = w.reshape(groups, o // groups, -1)
    own_rows = rows is None
    if own_rows:
        rows = _grad_rows(g, groups)
    cols = _scratch(xp, (groups, wm.shape[2], rows.shape[2]), xp.result_type(wm, rows))
    xp.matmul(wm.transpose(0, 2, 1), rows, out=cols)
    if own_rows:
        _done(rows)
    dx = _col2im(xp, cols.reshape((groups * cg,) + tuple(kernel) + (n,) + tuple(out)), size,
                 kernel, stride, pads, dilation, out)
    _done(cols)
    return xp.ascontiguousarray(dx)


def _conv_weight_grad(x, g, kernel, stride, pads, dilation, groups, cols=None, rows=None):
    xp = array_module(x)
    n, c = x.shape[:2]
    o = g.shape[1]
    out = g.shape[2:]
    own_cols, own_rows = cols is None, rows is None
    if own_cols:
        cols = _columns(xp, x, kernel, stride, pads, dilation, out, groups, o)
    layout, cols = cols
    if own_rows:
        rows = _grad_rows(g, groups)
    if layout == "cw":
        gw = xp.matmul(rows[0], cols).reshape((o, c) + tuple(kernel))
    elif layout == "cl":  # (O, N*out) @ (N*out, kernel*C), then channels back to axis 1
        gw = xp.matmul(rows[0], cols).reshape((o,) + tuple(kernel) + (c,))
        gw = xp.ascontiguousarray(xp.moveaxis(gw, -1, 1))
    else:
        if groups == 1:
            # (O, N*out) @ (N*out, C*k): measured faster than the transposed product
            gw = xp.matmul(rows[0], cols[0].T)
        elif rows.shape[1] == 1 and cols.shape[1] == 1:
            gw = xp.einsum("gl,gl->g", rows[:, 0], cols[:, 0])
        else:
            gw = xp.stack([xp.dot(r, cl.T) for r, cl in zip(rows, cols)])
        gw = gw.reshape((o, c // groups) + tuple(kernel))
    if own_cols:
        _done(cols)
    if own_rows:
        _done(rows)
    return gw


def _prod(shape):
    p = 1
    for s in shape:
        p *= s
    return p


# A convolution keeps its column matrix for the weight gradient (which would otherwise build
# it again) when it is at most this large: memory traded for about a third of the backward's
# non-GEMM work.
KEEP_COLUMNS_BYTES = 64 << 20


class Convolution(Primitive):
    """``y = conv(x, w) + b``."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, x, w, *b, stride, pads, dilation, groups, record=True):
        """``record``: whether a graph will be recorded (the columns are worth keeping)."""
        ctx._geom = (stride, pads, dilation, groups)
        keep = {}
        y = _conv(x, w, stride, pads, dilation, groups, keep, b[0] if b else None)
        cols = keep["cols"]
        if record and cols[1].nbytes <= KEEP_COLUMNS_BYTES:
            ctx._cols = cols
        else:
            _done(cols[1])
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors[:2]
        need = ctx.needs_input_grad
        stride, pads, dilation, groups = ctx._geom
        geom = dict(stride=stride, pads=pads, dilation=dilation, groups=groups)
        gx = gw = None
        # both gradients read g transposed to (G, O/G, N*out): transpose it once
        rows = _grad_rows(g._data, groups) if need[0] and need[1] else None
        if need[0]:
            gx = ConvolutionBackwardInput.apply(
                g, w, size=tuple(x.shape[2:]), **geom, rows=rows
            )
        cols = ctx.__dict__.pop("_cols", None)
        if need[1]:
            gw = ConvolutionBackwardWeight.apply(
                x, g, kernel=tuple(w.shape[2:]), **geom, cols=cols, rows=rows
            )
        # (the products above have copied what they need: the buffers can go)
        if rows is not None:
            _done(rows)
        if cols is not None:
            _done(cols[1])
        if len(need) == 2:
            return gx, gw
        gb = g.sum([0] + list(range(2, g.dim()))) if need[2] else None
        return gx, gw, gb

    def _release(self) -> None:
        Primitive._release(self)
        self.__dict__.pop("_cols", None)


class ConvolutionBackwardInput(Primitive):
    """``dL/dx`` of a convolution from ``g = dL/dy`` and ``w``: the transposed convolution."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, g, w, *, size, stride, pads, dilation, groups, rows=None):
        ctx._geom = (stride, pads, dilation, groups)
        return _conv_input_grad(g, w, size, stride, pads, dilation, groups, rows)

    @staticmethod
    def backward(ctx, h):
        g, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        stride, pads, dilation, groups = ctx._geom
        geom = dict(stride=stride, pads=pads, dilation=dilation, groups=groups)
        dg = dw = None
        if need[0]:
            dg = _crop_to(Convolution.apply(h, w, **geom), g.shape)
        if need[1]:
            dw = ConvolutionBackwardWeight.apply(h, g, kernel=tuple(w.shape[2:]), **geom)
        return dg, dw


class ConvolutionBackwardWeight(Primitive):
    """``dL/dw`` of a convolution from the input ``x`` and ``g = dL/dy``."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, x, g, *, kernel, stride, pads, dilation, groups, cols=None, rows=None):
        """``cols``/``rows``: the column matrix of ``x`` (as ``_columns`` gives it) and ``g``
        transposed, when the caller has them."""
        ctx._geom = (stride, pads, dilation, groups)
        return _conv_weight_grad(x, g, kernel, stride, pads, dilation, groups, cols, rows)

    @staticmethod
    def backward(ctx, h):
        x, g = ctx.saved_tensors
        need = ctx.needs_input_grad
        stride, pads, dilation, groups = ctx._geom
        geom = dict(stride=stride, pads=pads, dilation=dilation, groups=groups)
        dx = dg = None
        if need[0]:
            dx = ConvolutionBackwardInput.apply(g, h, size=tuple(x.shape[2:]), **geom)
        if need[1]:
            dg = _crop_to(Convolution.apply(x, h, **geom), g.shape)
        return dx, dg


def _crop_to(t, shape):
    if tuple(t.shape) == tuple(shape):
        return t
    return t[(Ellipsis,) + tuple(slice(0, s) for s in shape[2:])]


def convolution(input, weight, bias, stride, pads, dilation, groups):
    """Run the convolution primitive on normalised geometry (tuples; ``pads`` as (lo, hi) pairs)."""
    geom = dict(stride=stride, pads=pads, dilation=dilation, groups=groups)
    record = grad_mode.enabled and (
        input._requires_grad or weight._requires_grad or (bias is not None and bias._requires_grad)
    )
    if bias is None:
        return Convolution.apply(input, weight, **geom, record=record)
    return Convolution.apply(input, weight, bias, **geom, record=record)


def conv_transpose(input, weight, size, stride, pads, dilation, groups):
    """Transposed convolution without bias: the input-gradient of the matching convolution."""
    return ConvolutionBackwardInput.apply(
        input, weight, size=size, stride=stride, pads=pads, dilation=dilation, groups=groups
    )


class Im2Col(Primitive):
    """``F.unfold``: sliding blocks ``(N, C * prod(kernel), L)``; adjoint of ``Col2Im``."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, x, *, kernel, stride, pads, dilation, out):
        xp = array_module(x)
        ctx._p = (x.shape[2:], kernel, stride, pads, dilation, out)
        cols = _im2col(xp, x, kernel, stride, pads, dilation, out, batch_first=True)
        return cols.reshape(x.shape[0], x.shape[1] * _prod(kernel), _prod(out))

    @staticmethod
    def backward(ctx, g):
        size, kernel, stride, pads, dilation, out = ctx._p
        return (Col2Im.apply(g, size=size, kernel=kernel, stride=stride, pads=pads, dilation=dilation,
                             out=out),)


class Col2Im(Primitive):
    """``F.fold``: sum sliding blocks ``(N, C * prod(kernel), L)`` back into ``(N, C, *size)``."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, g, *, size, kernel, stride, pads, dilation, out):
        xp = array_module(g)
        ctx._p = (kernel, stride, pads, dilation, out)
        n = g.shape[0]
        cols = g.reshape((n, g.shape[1] // _prod(kernel)) + tuple(kernel) + tuple(out))
        return xp.ascontiguousarray(_col2im(xp, cols, size, kernel, stride, pads, dilation, out, True))

    @staticmethod
    def backward(ctx, h):
        kernel, stride, pads, dilation, out = ctx._p
        return (Im2Col.apply(h, kernel=kernel, stride=stride, pads=pads, dilation=dilation, out=out),)
