"""One recurrent layer in one direction as a single graph node: ``RNNLayer``.

The layer runs over time on backend arrays: the input projection of every time step (bias
included) is one matrix product, then each step does one fused gate product with the
recurrent weights and a handful of in-place elementwise ops.  The forward keeps the
activated gates the backward needs; the backward walks back over time on arrays too, and
forms the weight gradients of all steps with one product each at the end.

Sequences are "flat": ``x`` holds the rows of all time steps one after another, and ``steps``
lists ``(start_row, batch)`` per step in the order the direction processes them.  A padded
``(T, B, I)`` input is ``T`` steps of ``B`` rows; a packed sequence has shrinking batches
(the active sequences are always a prefix of the rows, as in ``PackedSequence``).  Rows past a
step's batch keep their state, which makes the final state of a shorter sequence the state
after its own last step, and (walking in reverse) lets a sequence start from its initial state.

Everything is kept in that row layout, ``(rows, features)``: a step's rows are a contiguous
block of the input, the output, the saved gates and the gate gradients, so the output is the
forward's own buffer, and the weight gradients ``dG.T @ x`` and ``dG.T @ h_prev`` and the
input gradient ``dG @ W_ih`` are single products with no transposing copies around them.

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


def _with_ones(xp, x, bias):
    """``[x | 1]`` when the layer has a bias (it then rides along as a weight row), else ``x``."""
    if not bias:
        return x
    x1 = xp.empty((x.shape[0], x.shape[1] + 1), dtype=x.dtype)
    x1[:, :-1] = x
    x1[:, -1] = 1.0
    return x1


def _input_weight(xp, w_ih, b, scale=None):
    """``[W_ih.T ; b]`` (times ``scale`` per gate row): ``x1 @`` it is the input projection."""
    i, g = w_ih.shape[1], w_ih.shape[0]
    w = xp.empty((i + (b is not None), g), dtype=w_ih.dtype)
    if scale is None:
        w[:i] = w_ih.T
        if b is not None:
            w[i] = b
    else:
        xp.multiply(w_ih.T, scale, out=w[:i])
        if b is not None:
            xp.multiply(b, scale, out=w[i])
    return w


def _step_product(xp, a, w_t, buf, out):
    """``out = a @ W`` for one step's rows, given ``w_t = W.T``, computed as ``(W.T @ a.T).T``
    through the flat scratch ``buf``: a form that OpenBLAS runs at full speed in every state
    of its buffers, where ``a @ W`` sometimes runs at half (measured in a fresh process,
    1 thread: 320 against 630 us for 20x1024 @ 1024x256); with 2 threads the LSTM forward's
    20x256 @ 256x1024 steps gain too (bench LSTM fwd+bwd about 40 -> 38.5 ms)."""
    b = a.shape[0]
    t = buf[: out.shape[1] * b].reshape(out.shape[1], b)
    xp.matmul(w_t, a.T, out=t)
    out[...] = t.T


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
    w_ih, w_hh = rest[k], rest[k + 1]
    b_ih, b_hh = (rest[k + 2], rest[k + 3]) if bias else (None, None)
    w_hr = rest[-1] if proj else None
    n_rows = x.shape[0]
    hs = w_hh.shape[0] // {"LSTM": 4, "GRU": 3}.get(mode, 1)
    dt = x.dtype
    h = xp.array(rest[0], dtype=dt, order="C")  # the state, (B, H_out); rows past b keep it
    bmax, ho = h.shape
    x1 = _with_ones(xp, x, bias)
    y = xp.empty((n_rows, ho), dtype=dt)
    hprev = xp.empty((n_rows, ho), dtype=dt) if save else None
    empty = xp.empty
    saved = ()

    if lstm:
        c = xp.array(rest[1], dtype=dt, order="C")
        h4 = 4 * hs
        # scale the i, f, o columns by -1 and the g columns by -2 so that one exp over all
        # gates gives every activation: sigmoid(x) = 1 / (1 + exp(-x)), tanh(x) = 2 sigmoid(2x) - 1
        scale = xp.full(h4, -1.0, dtype=dt)
        scale[2 * hs : 3 * hs] = -2.0
        xw = x1 @ _input_weight(xp, w_ih, b_ih + b_hh if bias else None, scale)
        w_t = empty((h4, ho), dtype=dt)  # W_hh with its rows scaled like the gates
        xp.multiply(w_hh, scale[:, None], out=w_t)
        w_hr_t = w_hr.T if proj else None
        # each step's gates are activated in place over its rows of the input projection
        gates = xw
        if save:
            cprev, tanh_c = empty((n_rows, hs), dtype=dt), empty((n_rows, hs), dtype=dt)
            hpre = empty((n_rows, hs), dtype=dt) if proj else None
        else:
            tbuf = empty((bmax, hs), dtype=dt)
        back = empty(bmax * h4, dtype=dt)
        tmp = empty((bmax, hs), dtype=dt)
        for s, b in steps:
            hb, cb = h[:b], c[:b]
            if save:
                hprev[s : s + b] = hb
                cprev[s : s + b] = cb
            g = gates[s : s + b]
            # the recurrent product as W @ h.T (see _step_product), added straight from
            # its transposed layout: one pass fewer than copying it out first
            t = back[: h4 * b].reshape(h4, b)
            xp.matmul(w_t, hb.T, out=t)
            g += t.T
            xp.exp(g, out=g)
            g += 1.0
            xp.reciprocal(g, out=g)
            gg = g[:, 2 * hs : 3 * hs]
            gg *= 2.0
            gg -= 1.0
            cb *= g[:, hs : 2 * hs]
            t = tmp[:b]
            xp.multiply(g[:, :hs], gg, out=t)
            cb += t
            tc = tanh_c[s : s + b] if save else tbuf[:b]
            _tanh_(xp, cb, tc)
            yb = y[s : s + b]
            if proj:
                hp = hpre[s : s + b] if save else t
                xp.multiply(g[:, 3 * hs :], tc, out=hp)
                xp.matmul(hp, w_hr_t, out=yb)
            else:
                xp.multiply(g[:, 3 * hs :], tc, out=yb)
            hb[...] = yb
        if save:
            saved = (gates, cprev, tanh_c, hpre)
    elif mode == "GRU":
        h3 = 3 * hs
        # b_hh's r and z parts add straight to the input projection's; its n part sits
        # inside r * (W_hn h + b_hn) and is added per step
        b_in = None
        if bias:
            b_in = b_ih.copy()
            b_in[: 2 * hs] += b_hh[: 2 * hs]
        xw = x1 @ _input_weight(xp, w_ih, b_in)
        w = xp.ascontiguousarray(w_hh.T)
        b_hn = b_hh[2 * hs :] if bias else None
        ghbuf = empty((bmax, h3), dtype=dt)
        tmp = empty((bmax, hs), dtype=dt)
        if save:
            gates = empty((n_rows, h3), dtype=dt)
            kn, kz, kr = (empty((n_rows, hs), dtype=dt) for _ in range(3))
            ubuf = empty((bmax, hs), dtype=dt)
        else:
            gbuf = empty((bmax, h3), dtype=dt)
        for s, b in steps:
            hb = h[:b]
            if save:
                hprev[s : s + b] = hb
                g = gates[s : s + b]
            else:
                g = gbuf[:b]
            gh = ghbuf[:b]
            xp.matmul(hb, w, out=gh)
            gi = xw[s : s + b]
            rz = g[:, : 2 * hs]
            xp.add(gi[:, : 2 * hs], gh[:, : 2 * hs], out=rz)
            _sigmoid_(xp, rz)
            ghn = gh[:, 2 * hs :]
            if bias:
                ghn += b_hn
            n = g[:, 2 * hs :]
            xp.multiply(g[:, :hs], ghn, out=n)
            n += gi[:, 2 * hs :]
            xp.tanh(n, out=n)
            t = tmp[:b]
            xp.subtract(hb, n, out=t)
            t *= g[:, hs : 2 * hs]
            yb = y[s : s + b]
            xp.add(t, n, out=yb)
            if save:
                # the factors the backward needs, while the step's values are at hand
                z = g[:, hs : 2 * hs]
                u = ubuf[:b]
                xp.subtract(1.0, z, out=u)
                a = kn[s : s + b]
                xp.multiply(n, n, out=a)
                xp.subtract(1.0, a, out=a)
                a *= u
                a = kz[s : s + b]
                xp.subtract(hb, n, out=a)
                a *= z
                a *= u
                a = kr[s : s + b]
                xp.subtract(1.0, g[:, :hs], out=a)
                a *= g[:, :hs]
                a *= ghn
            hb[...] = yb
        if save:
            saved = (gates, kn, kz, kr)
    else:
        relu = mode == "RNN_RELU"
        xw = x1 @ _input_weight(xp, w_ih, b_ih + b_hh if bias else None)
        w = xp.ascontiguousarray(w_hh.T)
        for s, b in steps:
            hb = h[:b]
            if save:
                hprev[s : s + b] = hb
            a = y[s : s + b]
            xp.matmul(hb, w, out=a)
            a += xw[s : s + b]
            if relu:
                xp.maximum(a, 0, out=a)
            else:
                xp.tanh(a, out=a)
            hb[...] = a
        if save:
            # the activation's derivative, from the output before the caller can touch it
            if relu:
                deriv = (y > 0).astype(dt)
            else:
                deriv = y * y
                xp.subtract(1.0, deriv, out=deriv)
            saved = (deriv,)
    if save:
        ctx._arrays = (hprev, x1) + saved
        ctx._layer = (mode, steps, bias, proj, hs)
    return (y, h, c) if lstm else (y, h)


def _layer_backward(ctx, gy, gh_n, *gc_n):
    mode, steps, bias, proj, hs = ctx._layer
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
    dy = gy._data
    dh = xp.array(gh_n._data, dtype=dt, order="C")
    bmax, ho = dh.shape
    hprev, x1 = ctx._arrays[:2]
    arrays = ctx._arrays[2:]
    empty = xp.empty
    w_hh_t = w_hh.T
    back = empty(bmax * ho, dtype=dt)

    if lstm:
        gates, cprev, tanh_c, hpre = arrays
        dc = xp.array(gc_n[0]._data, dtype=dt, order="C")
        h4 = 4 * hs
        dgi = dgh = empty((n_rows, h4), dtype=dt)
        dhtot = empty((n_rows, ho), dtype=dt) if proj else None
        pbuf = empty((bmax, hs), dtype=dt) if proj else None
        tmp = empty((bmax, hs), dtype=dt)
        ubuf = empty((bmax, h4), dtype=dt)
        # the gates' derivatives: sigmoid' = s (1 - s) for i, f, o and tanh' = (1 + t)(1 - t)
        # for g, i.e. (a - low) (1 - a) with low = -1 on the g columns and 0 elsewhere
        low = xp.zeros(h4, dtype=dt)
        low[2 * hs : 3 * hs] = -1.0
        for s, b in reversed(steps):
            dhb, dcb = dh[:b], dc[:b]
            dhb += dy[s : s + b]
            if proj:
                dhtot[s : s + b] = dhb
                dhp = xp.matmul(dhb, w_hr, out=pbuf[:b])
            else:
                dhp = dhb
            g, dg, tc = gates[s : s + b], dgi[s : s + b], tanh_c[s : s + b]
            o = g[:, 3 * hs :]
            xp.multiply(dhp, tc, out=dg[:, 3 * hs :])
            t = tmp[:b]
            xp.multiply(tc, tc, out=t)
            xp.subtract(1.0, t, out=t)
            t *= o
            t *= dhp
            dcb += t
            xp.multiply(dcb, g[:, 2 * hs : 3 * hs], out=dg[:, :hs])
            xp.multiply(dcb, cprev[s : s + b], out=dg[:, hs : 2 * hs])
            xp.multiply(dcb, g[:, :hs], out=dg[:, 2 * hs : 3 * hs])
            dcb *= g[:, hs : 2 * hs]
            u = ubuf[:b]
            xp.subtract(g, low, out=u)
            dg *= u
            xp.subtract(1.0, g, out=u)
            dg *= u
            _step_product(xp, dg, w_hh_t, back, dhb)
        extra = dc
    elif mode == "GRU":
        gates, kn, kz, kr = arrays
        h3 = 3 * hs
        dgi, dgh = empty((n_rows, h3), dtype=dt), empty((n_rows, h3), dtype=dt)
        tmp = empty((bmax, hs), dtype=dt)
        for s, b in reversed(steps):
            dhb = dh[:b]
            dhb += dy[s : s + b]
            g = gates[s : s + b]
            di, dhh = dgi[s : s + b], dgh[s : s + b]
            dan = di[:, 2 * hs :]
            xp.multiply(dhb, kn[s : s + b], out=dan)
            xp.multiply(dhb, kz[s : s + b], out=di[:, hs : 2 * hs])
            xp.multiply(dan, kr[s : s + b], out=di[:, :hs])
            xp.multiply(dan, g[:, :hs], out=dhh[:, 2 * hs :])
            dhh[:, : 2 * hs] = di[:, : 2 * hs]
            t = tmp[:b]
            xp.multiply(dhb, g[:, hs : 2 * hs], out=t)
            _step_product(xp, dhh, w_hh_t, back, dhb)
            dhb += t
        extra = None
    else:
        (deriv,) = arrays
        dgi = dgh = empty((n_rows, ho), dtype=dt)
        for s, b in reversed(steps):
            dhb = dh[:b]
            dhb += dy[s : s + b]
            dg = dgi[s : s + b]
            xp.multiply(dhb, deriv[s : s + b], out=dg)
            _step_product(xp, dg, w_hh_t, back, dhb)
        extra = None

    device = gy._device
    dtype = gy._dtype

    def wrap(a):
        return _wrap(a, dtype, device)

    grads = [wrap(dgi @ w_ih) if need[0] else None, wrap(dh) if need[1] else None]
    if lstm:
        grads.append(wrap(extra) if need[2] else None)
    j = len(grads)
    # one product gives W_ih's gradient and (from the ones column) b_ih's
    dw1 = dgi.T @ x1 if need[j] or (bias and need[j + 2]) else None
    grads.append(wrap(xp.ascontiguousarray(dw1[:, : x.shape[1]])) if need[j] else None)
    grads.append(wrap(dgh.T @ hprev) if need[j + 1] else None)
    if bias:
        grads.append(wrap(dw1[:, -1].copy()) if need[j + 2] else None)
        if need[j + 3]:
            grads.append(wrap(dw1[:, -1].copy() if dgh is dgi else dgh.sum(0)))
        else:
            grads.append(None)
    if proj:
        grads.append(wrap(dhtot.T @ hpre) if need[-1] else None)
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
