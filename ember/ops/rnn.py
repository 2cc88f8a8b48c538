"""One recurrent layer in one direction as a single graph node: ``RNNLayer``.

The layer runs over time on backend arrays: the input projection of every time step is one
matrix product, then each step does one fused gate product with the recurrent weights and a
handful of in-place elementwise ops.  The forward keeps the activated gates and the per-step
factors the backward needs; the backward walks back over time on arrays too, and forms the
weight gradients of all steps with one product each at the end.

Sequences are "flat": ``x`` holds the rows of all time steps one after another, and ``steps``
lists ``(start_row, batch)`` per step in the order the direction processes them.  A padded
``(T, B, I)`` input is ``T`` steps of ``B`` rows; a packed sequence has shrinking batches
(the active sequences are always a prefix of the rows, as in ``PackedSequence``).  Rows past a
step's batch keep their state, which makes the final state of a shorter sequence the state
after its own last step, and (walking in reverse) lets a sequence start from its initial state.

Inside the loop everything per row is kept transposed, one contiguous ``(features, batch)``
block per step: the recurrent products are then ``W @ h`` and ``W.T @ dG``, which BLAS runs
about twice as fast as ``h @ W.T`` and ``dG @ W`` for the small batches of a recurrent step.

The backward computes on arrays, so it has no graph of its own: a ``create_graph=True``
backward through it raises (use the cells, which are composed of differentiable ops).

Gate layouts are PyTorch's: LSTM ``i, f, g, o``; GRU ``r, z, n``.
"""

from __future__ import annotations

from ember._tensor import _wrap
from ember.autograd import grad_mode
from ember.autograd.function import Primitive
from ember.backend import array_module


def _sigmoid_(xp, a):
    # 1 / (1 + exp(-x)) in place: numpy's exp is about twice as fast as its tanh; an overflow
    # to inf gives the right limit 0 (ember runs numpy with floating-point warnings off)
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    a += 1.0
    xp.reciprocal(a, out=a)
    return a


def _tanh_(xp, a, out):
    # 2 / (1 + exp(-2a)) - 1: faster than numpy's tanh for float32
    xp.multiply(a, -2.0, out=out)
    xp.exp(out, out=out)
    out += 1.0
    xp.divide(2.0, out, out=out)
    out -= 1.0
    return out


def _block(flat, s, b, f):
    """Step ``(s, b)``'s block of a per-row array kept transposed: ``(f, b)``, contiguous."""
    return flat[s * f : (s + b) * f].reshape(f, b)


def _to_blocks(xp, a, steps, uniform):
    """Rows ``(N, f)`` -> the flat transposed-block layout (block of a step = its rows, ``.T``)."""
    n, f = a.shape
    if uniform:
        b = steps[0][1] if steps else 1
        return xp.ascontiguousarray(a.reshape(n // b, b, f).transpose(0, 2, 1)).reshape(-1)
    out = xp.empty(n * f, dtype=a.dtype)
    for s, b in steps:
        _block(out, s, b, f)[...] = a[s : s + b].T
    return out


def _from_blocks(xp, flat, steps, f, uniform):
    """The inverse of ``_to_blocks``: ``(N, f)`` rows."""
    n = flat.size // f
    if uniform:
        b = steps[0][1] if steps else 1
        return xp.ascontiguousarray(flat.reshape(n // b, f, b).transpose(0, 2, 1)).reshape(n, f)
    out = xp.empty((n, f), dtype=flat.dtype)
    for s, b in steps:
        out[s : s + b] = _block(flat, s, b, f).T
    return out


def _project(xp, x, w, bias, steps, uniform):
    """``x @ w.T + bias`` for every row (one product) in the transposed-block layout.  For a
    padded batch the product is ``w @ x.T``, whose (G, T, B) result regroups into the
    (T, G, B) blocks with contiguous runs of B; a batched ``w @ x_t.T`` would land there
    directly but measured slower (its strided operand takes numpy off the BLAS path)."""
    if uniform and steps:
        b = steps[0][1]
        g = w.shape[0]
        xw = xp.matmul(w, x.T)
        if bias is not None:
            xw += bias[:, None]
        t = x.shape[0] // b
        return xp.ascontiguousarray(xw.reshape(g, t, b).transpose(1, 0, 2)).reshape(-1)
    xw = xp.matmul(x, w.T)
    if bias is not None:
        xw += bias
    return _to_blocks(xp, xw, steps, uniform)


class RNNLayer(Primitive):
    """``(y, h_n[, c_n])`` of one layer and direction; see the module docstring.

    Inputs: ``x (N, I)``, ``h0 (B, H_out)``, [``c0 (B, H)`` for the LSTM], ``w_ih``, ``w_hh``,
    [``b_ih``, ``b_hh``], [``w_hr`` for a projected LSTM].
    """

    __slots__ = ()

    @staticmethod
    def forward(ctx, x, *rest, **params):
        return _layer_forward(ctx, x, *rest, **params)

    @staticmethod
    def backward(ctx, gy, gh_n, *gc_n):
        if grad_mode.enabled:
            raise RuntimeError(
                "RNN layers do not support double backward (create_graph=True): their backward "
                "runs on arrays. Unroll the sequence with RNNCell/LSTMCell/GRUCell instead."
            )
        return _layer_backward(ctx, gy, gh_n, *gc_n)


def _layer_forward(ctx, x, *rest, mode, steps, bias, proj, save):
    xp = array_module(x)
    lstm = mode == "LSTM"
    k = 2 if lstm else 1
    h0 = rest[0]
    w_ih, w_hh = rest[k], rest[k + 1]
    b_ih, b_hh = (rest[k + 2], rest[k + 3]) if bias else (None, None)
    w_hr = rest[-1] if proj else None
    n_rows = x.shape[0]
    hs = w_hh.shape[0] // {"LSTM": 4, "GRU": 3}.get(mode, 1)
    ho = h0.shape[1]
    dt = x.dtype
    bmax = h0.shape[0]
    uniform = all(b == bmax for _, b in steps)
    # states are kept transposed, (features, batch): the recurrent product is then
    # W (G, H) @ h (H, b), which BLAS runs about twice as fast as h (b, H) @ W.T for small b
    h = xp.ascontiguousarray(h0.T)
    yb = xp.empty(n_rows * ho, dtype=dt)
    hprev = xp.empty(n_rows * ho, dtype=dt) if save else None
    empty = xp.empty
    saved = None

    if lstm:
        c = xp.ascontiguousarray(rest[1].T)
        h4 = 4 * hs
        # scale the i, f, o rows by -1 and the g rows by -2 so that one exp over all gates
        # gives every activation: sigmoid(x) = 1 / (1 + exp(-x)), tanh(x) = 2 sigmoid(2x) - 1
        scale = xp.full(h4, -1.0, dtype=dt)
        scale[2 * hs : 3 * hs] = -2.0
        w = w_hh * scale[:, None]
        b_all = (b_ih + b_hh) * scale if bias else None
        xw = _project(xp, x, w_ih * scale[:, None], b_all, steps, uniform)
        if save:
            gates, deriv = empty(n_rows * h4, dtype=dt), empty(n_rows * h4, dtype=dt)
            cprev, tanh_c, kc = (empty(n_rows * hs, dtype=dt) for _ in range(3))
            hpre = empty(n_rows * hs, dtype=dt) if proj else None
            low = xp.zeros((h4, 1), dtype=dt)
            low[2 * hs : 3 * hs] = -1.0
            ubuf = empty(bmax * h4, dtype=dt)
        else:
            gbuf = empty(bmax * h4, dtype=dt)
            tbuf = empty(bmax * hs, dtype=dt)
        tmp = empty(bmax * hs, dtype=dt)
        for s, b in steps:
            hb, cb = h[:, :b], c[:, :b]
            if save:
                _block(hprev, s, b, ho)[...] = hb
                _block(cprev, s, b, hs)[...] = cb
                g = _block(gates, s, b, h4)
            else:
                g = gbuf[: h4 * b].reshape(h4, b)
            xp.matmul(w, hb, out=g)
            g += _block(xw, s, b, h4)
            xp.exp(g, out=g)
            g += 1.0
            xp.reciprocal(g, out=g)
            gg = g[2 * hs : 3 * hs]
            gg *= 2.0
            gg -= 1.0
            cb *= g[hs : 2 * hs]
            t = tmp[: hs * b].reshape(hs, b)
            xp.multiply(g[:hs], gg, out=t)
            cb += t
            tc = _block(tanh_c, s, b, hs) if save else tbuf[: hs * b].reshape(hs, b)
            _tanh_(xp, cb, tc)
            y = _block(yb, s, b, ho)
            if proj:
                hp = _block(hpre, s, b, hs) if save else t
                xp.multiply(g[3 * hs :], tc, out=hp)
                xp.matmul(w_hr, hp, out=y)
            else:
                xp.multiply(g[3 * hs :], tc, out=y)
            hb[...] = y
            if save:
                d = _block(deriv, s, b, h4)
                xp.subtract(g, low, out=d)
                u = ubuf[: h4 * b].reshape(h4, b)
                xp.subtract(1.0, g, out=u)
                d *= u
                kk = _block(kc, s, b, hs)
                xp.multiply(tc, tc, out=kk)
                xp.subtract(1.0, kk, out=kk)
                kk *= g[3 * hs :]
        if save:
            saved = (gates, deriv, cprev, tanh_c, kc, hpre)
    elif mode == "GRU":
        h3 = 3 * hs
        xw = _project(xp, x, w_ih, b_ih, steps, uniform)
        b_col = b_hh[:, None] if bias else None
        ghbuf = empty(bmax * h3, dtype=dt)
        tmp = empty(bmax * hs, dtype=dt)
        if save:
            gates = empty(n_rows * h3, dtype=dt)
            kn, kz, kr = (empty(n_rows * hs, dtype=dt) for _ in range(3))
            ubuf = empty(bmax * hs, dtype=dt)
        else:
            gbuf = empty(bmax * h3, dtype=dt)
        for s, b in steps:
            hb = h[:, :b]
            if save:
                _block(hprev, s, b, ho)[...] = hb
                g = _block(gates, s, b, h3)
            else:
                g = gbuf[: h3 * b].reshape(h3, b)
            gh = ghbuf[: h3 * b].reshape(h3, b)
            xp.matmul(w_hh, hb, out=gh)
            if bias:
                gh += b_col
            gi = _block(xw, s, b, h3)
            rz = g[: 2 * hs]
            xp.add(gi[: 2 * hs], gh[: 2 * hs], out=rz)
            _sigmoid_(xp, rz)
            n = g[2 * hs :]
            xp.multiply(g[:hs], gh[2 * hs :], out=n)
            n += gi[2 * hs :]
            xp.tanh(n, out=n)
            t = tmp[: hs * b].reshape(hs, b)
            xp.subtract(hb, n, out=t)
            t *= g[hs : 2 * hs]
            y = _block(yb, s, b, ho)
            xp.add(t, n, out=y)
            if save:
                # the factors the backward needs, while the step's values are at hand
                z = g[hs : 2 * hs]
                u = ubuf[: hs * b].reshape(hs, b)
                xp.subtract(1.0, z, out=u)
                a = _block(kn, s, b, hs)
                xp.multiply(n, n, out=a)
                xp.subtract(1.0, a, out=a)
                a *= u
                a = _block(kz, s, b, hs)
                xp.subtract(hb, n, out=a)
                a *= z
                a *= u
                a = _block(kr, s, b, hs)
                xp.subtract(1.0, g[:hs], out=a)
                a *= g[:hs]
                a *= gh[2 * hs :]
            hb[...] = y
        if save:
            saved = (gates, kn, kz, kr)
    else:
        relu = mode == "RNN_RELU"
        xw = _project(xp, x, w_ih, b_ih + b_hh if bias else None, steps, uniform)
        for s, b in steps:
            hb = h[:, :b]
            if save:
                _block(hprev, s, b, ho)[...] = hb
            a = _block(yb, s, b, ho)
            xp.matmul(w_hh, hb, out=a)
            a += _block(xw, s, b, ho)
            if relu:
                xp.maximum(a, 0, out=a)
            else:
                xp.tanh(a, out=a)
            hb[...] = a
        if save:
            saved = (yb,)
    if save:
        ctx._arrays = (hprev,) + saved
        ctx._layer = (mode, steps, bias, proj, hs, uniform)
    y = _from_blocks(xp, yb, steps, ho, uniform)
    h_n = xp.ascontiguousarray(h.T)
    return (y, h_n, xp.ascontiguousarray(c.T)) if lstm else (y, h_n)


def _layer_backward(ctx, gy, gh_n, *gc_n):
    mode, steps, bias, proj, hs, uniform = ctx._layer
    saved = ctx.saved_tensors
    need = ctx.needs_input_grad
    x = saved[0]._data
    lstm = mode == "LSTM"
    k = 2 if lstm else 1
    w_ih, w_hh = saved[k + 1]._data, saved[k + 2]._data
    w_hr = saved[-1]._data if proj else None
    xp = array_module(x)
    dt = x.dtype
    n_rows = x.shape[0]
    ho = w_hh.shape[1]
    dyb = _to_blocks(xp, gy._data, steps, uniform)
    dh = xp.ascontiguousarray(gh_n._data.T, dtype=dt)
    bmax = dh.shape[1]
    hprev = ctx._arrays[0]
    arrays = ctx._arrays[1:]
    w_hh_t = w_hh.T
    empty = xp.empty

    if lstm:
        gates, deriv, cprev, tanh_c, kc, hpre = arrays
        dc = xp.ascontiguousarray(gc_n[0]._data.T, dtype=dt)
        h4 = 4 * hs
        dgb = empty(n_rows * h4, dtype=dt)
        dhtot = empty(n_rows * ho, dtype=dt) if proj else None
        w_hr_t = w_hr.T if proj else None
        tmp = empty(bmax * hs, dtype=dt)
        for s, b in reversed(steps):
            dhb, dcb = dh[:, :b], dc[:, :b]
            dhb += _block(dyb, s, b, ho)
            if proj:
                _block(dhtot, s, b, ho)[...] = dhb
                dhp = xp.matmul(w_hr_t, dhb)
            else:
                dhp = dhb
            g, dg = _block(gates, s, b, h4), _block(dgb, s, b, h4)
            xp.multiply(dhp, _block(tanh_c, s, b, hs), out=dg[3 * hs :])
            t = tmp[: hs * b].reshape(hs, b)
            xp.multiply(dhp, _block(kc, s, b, hs), out=t)
            dcb += t
            xp.multiply(dcb, g[2 * hs : 3 * hs], out=dg[:hs])
            xp.multiply(dcb, _block(cprev, s, b, hs), out=dg[hs : 2 * hs])
            xp.multiply(dcb, g[:hs], out=dg[2 * hs : 3 * hs])
            dcb *= g[hs : 2 * hs]
            dg *= _block(deriv, s, b, h4)
            xp.matmul(w_hh_t, dg, out=dhb)
        dgi = dgh = _from_blocks(xp, dgb, steps, h4, uniform)
        extra = xp.ascontiguousarray(dc.T)
    elif mode == "GRU":
        gates, kn, kz, kr = arrays
        h3 = 3 * hs
        dgib, dghb = empty(n_rows * h3, dtype=dt), empty(n_rows * h3, dtype=dt)
        tmp = empty(bmax * hs, dtype=dt)
        for s, b in reversed(steps):
            dhb = dh[:, :b]
            dhb += _block(dyb, s, b, ho)
            g = _block(gates, s, b, h3)
            di, dhh = _block(dgib, s, b, h3), _block(dghb, s, b, h3)
            dan = di[2 * hs :]
            xp.multiply(dhb, _block(kn, s, b, hs), out=dan)
            xp.multiply(dhb, _block(kz, s, b, hs), out=di[hs : 2 * hs])
            xp.multiply(dan, _block(kr, s, b, hs), out=di[:hs])
            xp.multiply(dan, g[:hs], out=dhh[2 * hs :])
            dhh[: 2 * hs] = di[: 2 * hs]
            t = tmp[: hs * b].reshape(hs, b)
            xp.multiply(dhb, g[hs : 2 * hs], out=t)
            xp.matmul(w_hh_t, dhh, out=dhb)
            dhb += t
        dgi = _from_blocks(xp, dgib, steps, h3, uniform)
        dgh = _from_blocks(xp, dghb, steps, h3, uniform)
        extra = None
    else:
        (yb,) = arrays
        if mode == "RNN_RELU":
            deriv = (yb > 0).astype(dt)
        else:
            deriv = yb * yb
            xp.subtract(1.0, deriv, out=deriv)
        dgb = empty(n_rows * ho, dtype=dt)
        for s, b in reversed(steps):
            dhb = dh[:, :b]
            dhb += _block(dyb, s, b, ho)
            dg = _block(dgb, s, b, ho)
            xp.multiply(dhb, _block(deriv, s, b, ho), out=dg)
            xp.matmul(w_hh_t, dg, out=dhb)
        dgi = dgh = _from_blocks(xp, dgb, steps, ho, uniform)
        extra = None

    device = gy._device
    dtype = gy._dtype

    def wrap(a):
        return _wrap(a, dtype, device)

    grads = [
        wrap(xp.matmul(dgi, w_ih)) if need[0] else None,
        wrap(xp.ascontiguousarray(dh.T)) if need[1] else None,
    ]
    if lstm:
        grads.append(wrap(extra) if need[2] else None)
    j = len(grads)
    grads.append(wrap(xp.matmul(dgi.T, x)) if need[j] else None)
    if need[j + 1]:
        grads.append(wrap(xp.matmul(dgh.T, _from_blocks(xp, hprev, steps, ho, uniform))))
    else:
        grads.append(None)
    if bias:
        gb = dgi.sum(0) if need[j + 2] else None
        grads.append(wrap(gb) if need[j + 2] else None)
        if need[j + 3]:
            grads.append(wrap(gb if dgh is dgi and gb is not None else dgh.sum(0)))
        else:
            grads.append(None)
    if proj:
        if need[-1]:
            dht = _from_blocks(xp, dhtot, steps, ho, uniform)
            grads.append(wrap(xp.matmul(dht.T, _from_blocks(xp, hpre, steps, hs, uniform))))
        else:
            grads.append(None)
    return tuple(grads)


def rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, steps):
    """Run one layer in one direction over the flat rows ``x``; returns ``(y, h_n, c_n)``
    (``c_n`` None except for the LSTM).  ``steps`` as in the module docstring."""
    inputs = [x, h0]
    if c0 is not None:
        inputs.append(c0)
    inputs += [w_ih, w_hh]
    bias = b_ih is not None
    if bias:
        inputs += [b_ih, b_hh]
    proj = w_hr is not None
    if proj:
        inputs.append(w_hr)
    save = grad_mode.enabled and any(t._requires_grad for t in inputs)
    out = RNNLayer.apply(*inputs, mode=mode, steps=steps, bias=bias, proj=proj, save=save)
    return out if len(out) == 3 else (out[0], out[1], None)
