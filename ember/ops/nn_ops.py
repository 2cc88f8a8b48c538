"""Fused kernels of ``ember.nn.functional``: pointwise activations with parameters, the
cross-entropy family, and batch/layer normalisation with hand-written backwards.

Each op is a Primitive: forward on backend arrays (float16/bfloat16 computed in float32 and
rounded once), backward in ember ops, so ``create_graph=True`` differentiates it again.
Activations whose derivative can be read from their output save only the output, which
lets their in-place forms (``relu_``, ``elu_``...) overwrite the input.
"""

from __future__ import annotations

import math

from ember import _dtype
from ember._tensor import Tensor
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops import _special
from ember.ops._pointwise import fit
from ember.ops.elementwise import where

_HALF = (_dtype.float16.np, _dtype.bfloat16.np)
_SQRT1_2 = 1.0 / math.sqrt(2.0)
_SQRT_2_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _upcast(a, xp):
    return a.astype(xp.float32) if a.dtype in _HALF else a


def _finish(r, a):
    """``r`` (computed from ``a``, perhaps in float32) in ``a``'s dtype and PyTorch's layout."""
    if r.dtype != a.dtype:
        r = r.astype(a.dtype)
    return fit(r, a)


class _Activation(Primitive):
    """``kernel(xp, a, ctx)`` forward on arrays, ``derivative(ctx, grad, x, y)`` backward."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, a, **params):
        ctx.__dict__.update(params)
        xp = array_module(a)
        if not a.ndim:
            return _finish(type(ctx).kernel(xp, _upcast(a.reshape(1), xp), ctx).reshape(()), a)
        return _finish(type(ctx).kernel(xp, _upcast(a, xp), ctx), a)

    @staticmethod
    def backward(ctx, grad):
        cls = type(ctx)
        x = ctx.saved_tensors[0] if cls.save_inputs else None
        y = ctx.output() if cls.save_output else None
        return cls.derivative(ctx, grad, x, y)


def _activation(name: str, kernel, derivative, reads: str) -> type:
    return type(
        name,
        (_Activation,),
        {
            "__slots__": (),
            "kernel": staticmethod(kernel),
            "derivative": staticmethod(derivative),
            "save_inputs": reads == "x",
            "save_output": reads == "y",
        },
    )


def _softplus_kernel(xp, a, c):
    z = a * c.beta
    with xp.errstate(over="ignore"):
        soft = xp.logaddexp(0, z) / c.beta
    return xp.where(z > c.threshold, a, soft)


def _mish_kernel(xp, a, c):
    return a * xp.tanh(xp.logaddexp(0, a))


def _mish_grad(c, g, x, y):
    sp = x.exp().log1p()
    t = sp.tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


def _elu_kernel(xp, a, c):
    neg = xp.expm1(xp.minimum(a, 0) * c.input_scale) * (c.alpha * c.scale)
    return xp.where(a > 0, a * c.scale, neg)


def _elu_grad(c, g, x, y):
    # from the output: for y <= 0, dy/dx = input_scale * (y + scale * alpha)
    return where(y > 0, g * c.scale, g * ((y + c.scale * c.alpha) * c.input_scale))


def _gelu_kernel(xp, a, c):
    if c.approximate == "tanh":
        inner = _SQRT_2_PI * (a + 0.044715 * a * a * a)
        return 0.5 * a * (1 + xp.tanh(inner))
    return 0.5 * a * (1 + _special.erf(a * _SQRT1_2))


def _gelu_grad(c, g, x, y):
    if c.approximate == "tanh":
        x2 = x * x
        t = (_SQRT_2_PI * (x + 0.044715 * x2 * x)).tanh()
        dinner = _SQRT_2_PI * (1 + 3 * 0.044715 * x2)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)
    cdf = 0.5 * (1 + (x * _SQRT1_2).erf())
    pdf = (-0.5 * x * x).exp() * _INV_SQRT_2PI
    return g * (cdf + x * pdf)


def _silu_kernel(xp, a, c):
    with xp.errstate(over="ignore"):
        return a / (1 + xp.exp(-a))


def _silu_grad(c, g, x, y):
    s = x.sigmoid()
    return g * (s * (1 + x * (1 - s)))


def _logsigmoid_kernel(xp, a, c):
    return -xp.logaddexp(0, -a)


def _hardswish_kernel(xp, a, c):
    return a * xp.clip(a + 3, 0, 6) / 6


def _hardswish_grad(c, g, x, y):
    inner = where(x <= 3, g * (x / 3 + 0.5), g)
    return where(x < -3, g * 0, inner)


def _hardsigmoid_kernel(xp, a, c):
    return xp.clip(a + 3, 0, 6) / 6


# PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, in every dtype
_ONE_SIXTH_F32 = 0.1666666716337204


def _hardsigmoid_grad(c, g, x, y):
    return where((x > -3) & (x < 3), g * _ONE_SIXTH_F32, g * 0)


def _leaky_kernel(xp, a, c):
    return xp.where(a > 0, a, a * c.negative_slope)


def _leaky_grad(c, g, x, y):
    return where((x if x is not None else y) > 0, g, g * c.negative_slope)


def _hardtanh_kernel(xp, a, c):
    return xp.clip(a, c.min_val, c.max_val)


def _hardtanh_grad(c, g, x, y):
    return where((y > c.min_val) & (y < c.max_val), g, g * 0)


def _threshold_kernel(xp, a, c):
    return xp.where(a > c.threshold, a, xp.asarray(c.value, a.dtype))


def _threshold_grad(c, g, x, y):
    return where(x > c.threshold, g, g * 0)


def _softshrink_kernel(xp, a, c):
    lam = c.lambd
    return xp.where(a > lam, a - lam, xp.where(a < -lam, a + lam, a * 0))


def _shrink_grad(c, g, x, y):
    return where((x > c.lambd) | (x < -c.lambd), g, g * 0)


def _hardshrink_kernel(xp, a, c):
    return xp.where((a > c.lambd) | (a < -c.lambd), a, a * 0)


def _softplus_grad(c, g, x, y):
    z = x * c.beta
    return where(z > c.threshold, g, g * z.sigmoid())


LeakyRelu = _activation("LeakyRelu", _leaky_kernel, _leaky_grad, "x")
LeakyReluInplace = _activation("LeakyRelu", _leaky_kernel, _leaky_grad, "y")
Hardtanh = _activation("Hardtanh", _hardtanh_kernel, _hardtanh_grad, "y")
Elu = _activation("Elu", _elu_kernel, _elu_grad, "y")
Gelu = _activation("Gelu", _gelu_kernel, _gelu_grad, "x")
Silu = _activation("Silu", _silu_kernel, _silu_grad, "x")
Mish = _activation("Mish", _mish_kernel, _mish_grad, "x")
LogSigmoid = _activation(
    "LogSigmoid", _logsigmoid_kernel, lambda c, g, x, y: g * (-x).sigmoid(), "x"
)
Hardswish = _activation("Hardswish", _hardswish_kernel, _hardswish_grad, "x")
Hardsigmoid = _activation("Hardsigmoid", _hardsigmoid_kernel, _hardsigmoid_grad, "x")
Threshold = _activation("Threshold", _threshold_kernel, _threshold_grad, "x")
Softplus = _activation("Softplus", _softplus_kernel, _softplus_grad, "x")
Softshrink = _activation("Softshrink", _softshrink_kernel, _shrink_grad, "x")
Hardshrink = _activation("Hardshrink", _hardshrink_kernel, _shrink_grad, "x")


def activation(op: type, input: Tensor, **params) -> Tensor:
    """Run the activation ``op`` on ``input`` (a floating tensor)."""
    return op.apply(input, **params)


# -- negative log-likelihood and cross-entropy over class indices -----------------------------


def _class_targets(target, n_classes, ignore_index, xp):
    """(valid mask, target with ignored entries set to 0) for class-index targets."""
    valid = target != ignore_index
    safe = xp.where(valid, target, 0)
    if safe.size and (safe.min() < 0 or safe.max() >= n_classes):
        bad = safe[(safe < 0) | (safe >= n_classes)].reshape(-1)[0]
        raise IndexError(f"Target {int(bad)} is out of bounds.")
    return valid, safe


def _picked_weight(weight, safe, valid, dtype, xp):
    """Each sample's class weight (1 without weights), 0 where the target is ignored."""
    w = valid.astype(dtype) if weight is None else weight.astype(dtype)[safe] * valid
    return w


def _onehot_scaled(shape, safe, coef, dtype, xp):
    """An array of ``shape`` (N, C, ...) holding ``coef`` at each sample's target class."""
    out = xp.zeros(shape, dtype)
    xp.put_along_axis(out, xp.expand_dims(safe, 1), xp.expand_dims(coef, 1), axis=1)
    return out


class NllLoss(Primitive):
    """Per-sample ``-weight[t] * input[t]`` over class dim 1; reductions are done outside."""

    save_inputs = False

    @staticmethod
    def forward(ctx, a, target, weight, ignore_index):
        xp = array_module(a)
        valid, safe = _class_targets(target, a.shape[1], ignore_index, xp)
        w = _picked_weight(weight, safe, valid, a.dtype, xp)
        picked = xp.take_along_axis(a, xp.expand_dims(safe, 1), axis=1)[:, 0]
        ctx.shape, ctx.safe, ctx.w = a.shape, safe, w
        return fit(xp.ascontiguousarray(-(picked * w)), target)

    @staticmethod
    def backward(ctx, grad):
        xp = array_module(ctx.w)
        b = _onehot_scaled(ctx.shape, ctx.safe, -ctx.w, ctx.w.dtype, xp)
        return grad.unsqueeze(1) * _const(b, grad)


def _const(arr, like: Tensor) -> Tensor:
    from ember._tensor import _wrap

    return _wrap(arr, like._dtype, like._device)


class CrossEntropyLoss(Primitive):
    """Per-sample cross-entropy of logits (class dim 1) against class indices, fused:
    ``log_softmax`` and the pick in one pass, with class weights, ignored targets and label
    smoothing; backward is ``A * softmax - B`` with constant ``A``, ``B``."""

    @staticmethod
    def forward(ctx, a, target, weight, ignore_index, smoothing):
        xp = array_module(a)
        src = a
        a = _upcast(a, xp)
        n_classes = a.shape[1]
        valid, safe = _class_targets(target, n_classes, ignore_index, xp)
        w_t = _picked_weight(weight, safe, valid, a.dtype, xp)
        shift = a.max(axis=1, keepdims=True) if a.size else xp.zeros_like(a[:, :1])
        lse = xp.log(xp.exp(a - shift).sum(axis=1)) + shift[:, 0]
        picked = xp.take_along_axis(a, xp.expand_dims(safe, 1), axis=1)[:, 0]
        loss = (lse - picked) * w_t
        ctx.safe, ctx.w_t, ctx.valid, ctx.weight = safe, w_t, valid, weight
        ctx.smoothing = smoothing
        if smoothing:
            if weight is None:
                total_w = float(n_classes)
                wx = a.sum(axis=1)
            else:
                wc = weight.astype(a.dtype).reshape((-1,) + (1,) * (a.ndim - 2))
                total_w = weight.astype(a.dtype).sum()
                wx = (a * wc).sum(axis=1)
            smooth = (lse * total_w - wx) * valid
            loss = loss * (1 - smoothing) + smooth * (smoothing / n_classes)
        return _finish(xp.ascontiguousarray(loss), src[:, 0])

    @staticmethod
    def backward(ctx, grad):
        from ember.ops.softmax import softmax

        (x,) = ctx.saved_tensors
        xp = array_module(ctx.w_t)
        eps = ctx.smoothing
        n_classes = x.shape[1]
        dt = x._dtype.np
        w_t = ctx.w_t.astype(dt)
        coef = w_t * (1 - eps)
        b = _onehot_scaled(tuple(x.shape), ctx.safe, coef, dt, xp)
        if eps:
            valid = ctx.valid.astype(dt)
            if ctx.weight is None:
                coef = coef + valid * eps
                b += xp.expand_dims(valid * (eps / n_classes), 1)
            else:
                wc = ctx.weight.astype(dt)
                coef = coef + valid * (eps / n_classes * wc.sum())
                wc = wc.reshape((1, -1) + (1,) * (x.dim() - 2))
                b += xp.expand_dims(valid * (eps / n_classes), 1) * wc
        g = grad.unsqueeze(1)
        p = softmax(x, 1)
        return g * (p * _const(xp.expand_dims(coef, 1), x) - _const(b, x))


# -- normalisation ------------------------------------------------------------------------------


def _batch_moments(a, axes):
    """Mean and biased variance of ``a`` over ``axes`` (kept), in at least float32."""
    xp = array_module(a)
    a = _upcast(a, xp)
    mean = a.mean(axis=axes, keepdims=True)
    d = a - mean
    var = (d * d).mean(axis=axes, keepdims=True)
    return mean, var


class _Norm(Primitive):
    """``(x - mean) * rstd * weight + bias``: ``mean`` and ``rstd`` are arrays shaped to
    broadcast against ``x``; ``batch_stats`` says they are ``x``'s own moments over ``axes``
    (so the gradient flows through them), otherwise they are constants (running stats).
    ``pshape`` is the shape weight and bias broadcast as."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, a, *wb, axes, mean, rstd, pshape, batch_stats, has_w, has_b, eps):
        xp = array_module(a)
        ctx.eps = eps
        ctx.axes, ctx.mean, ctx.rstd, ctx.pshape = axes, mean, rstd, pshape
        ctx.batch_stats, ctx.has_w, ctx.has_b = batch_stats, has_w, has_b
        if not batch_stats:
            # constant statistics (eval mode): per-channel scale and shift first, then one
            # multiply-add over the input, as PyTorch's CPU kernel computes it
            scale = rstd * _upcast(wb[0], xp).reshape(pshape) if has_w else rstd
            shift = -mean * scale
            if has_b:
                shift += _upcast(wb[-1], xp).reshape(pshape)
            x = _upcast(a, xp)
            if x.ndim > 2 and x.flags.c_contiguous and scale.shape == shift.shape == (
                (1, x.shape[1]) + (1,) * (x.ndim - 2)
            ):
                # per channel over (N, C, *spatial): scale and shift repeated over each plane
                # so the loops run over whole samples, not one short plane at a time
                # (ResNet-18's 2x2 planes: 50 -> 27 us)
                plane = math.prod(x.shape[2:])
                flat = x.reshape(x.shape[0], x.shape[1] * plane)
                y = flat * xp.repeat(scale.reshape(-1), plane)
                y += xp.repeat(shift.reshape(-1), plane)
                return _finish(y.reshape(x.shape), a)
            y = x * scale
            y += shift
            return _finish(y, a)
        y = (_upcast(a, xp) - mean) * rstd
        if has_w:
            y *= _upcast(wb[0], xp).reshape(pshape)
        if has_b:
            y += _upcast(wb[-1], xp).reshape(pshape)
        return _finish(y, a)

    @staticmethod
    def backward(ctx, grad):
        from ember.autograd import grad_mode

        x, *wb = ctx.saved_tensors
        if grad_mode.enabled:
            return _norm_backward_graph(ctx, grad, x, wb)
        return _norm_backward_arrays(ctx, grad, x, wb)


def _param_axes(pshape, ndim):
    return tuple(i for i in range(ndim) if i >= len(pshape) or pshape[i] == 1)


def _norm_backward_arrays(ctx, grad, x, wb):
    from ember._tensor import _wrap

    xp = array_module(x._data)
    xa = _upcast(x._data, xp)
    g = _upcast(grad._data, xp)
    xhat = (xa - ctx.mean) * ctx.rstd
    paxes = _param_axes(ctx.pshape, xa.ndim)
    need = ctx.needs_input_grad
    out = [None] * len(need)
    i = 1
    if ctx.has_w:
        w = wb[0]
        if need[i]:
            dw = (g * xhat).sum(axis=paxes).reshape(w.shape)
            out[i] = _wrap(dw.astype(w._data.dtype), w._dtype, w._device)
        g_x = g * _upcast(w._data, xp).reshape(ctx.pshape)
        i += 1
    else:
        g_x = g
    if ctx.has_b:
        b = wb[-1]
        if need[i]:
            db = g.sum(axis=paxes).reshape(b.shape)
            out[i] = _wrap(db.astype(b._data.dtype), b._dtype, b._device)
    if need[0]:
        if ctx.batch_stats:
            axes = ctx.axes
            dx = g_x - g_x.mean(axis=axes, keepdims=True)
            dx -= xhat * (g_x * xhat).mean(axis=axes, keepdims=True)
            dx *= ctx.rstd
        else:
            dx = g_x * ctx.rstd
        out[0] = _wrap(_finish(dx, x._data), x._dtype, x._device)
    return tuple(out)


def _norm_backward_graph(ctx, grad, x, wb):
    """The same gradients in ember ops, differentiable again (``create_graph=True``)."""
    axes = list(ctx.axes)
    if ctx.batch_stats:
        mean = x.mean(axes, keepdim=True)
        var = ((x - mean) ** 2).mean(axes, keepdim=True)
        rstd = (var + ctx.eps).rsqrt()
    else:
        mean = _const(ctx.mean.astype(x._dtype.np), x)
        rstd = _const(ctx.rstd.astype(x._dtype.np), x)
    xhat = (x - mean) * rstd
    paxes = list(_param_axes(ctx.pshape, x.dim()))
    need = ctx.needs_input_grad
    out = [None] * len(need)
    i = 1
    g_x = grad
    if ctx.has_w:
        w = wb[0]
        if need[i]:
            out[i] = (grad * xhat).sum(paxes).reshape(w.shape)
        g_x = grad * w.reshape(ctx.pshape)
        i += 1
    if ctx.has_b and need[i]:
        out[i] = grad.sum(paxes).reshape(wb[-1].shape)
    if need[0]:
        if ctx.batch_stats:
            dx = g_x - g_x.mean(axes, keepdim=True) - xhat * (g_x * xhat).mean(axes, keepdim=True)
            out[0] = dx * rstd
        else:
            out[0] = g_x * rstd
    return tuple(out)


class NativeBatchNorm(_Norm):
    __slots__ = ()


class NativeLayerNorm(_Norm):
    """Layer norm over the last ``d`` elements of every row, fused: the forward takes each
    row's moments (its sum as one matrix-vector product, its squared deviations as one
    row-wise dot) and keeps the normalised input ``xhat`` and ``rstd``, which the array
    backward reuses instead of recomputing them; ``create_graph=True`` takes ``_Norm``'s
    differentiable backward."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, a, *wb, axes, pshape, has_w, has_b, eps):
        xp = array_module(a)
        ctx.eps, ctx.axes, ctx.pshape = eps, axes, pshape
        ctx.batch_stats, ctx.has_w, ctx.has_b = True, has_w, has_b
        x = _upcast(a, xp)
        lead = a.ndim - len(axes)
        d = math.prod(a.shape[lead:])
        x2 = x.reshape(math.prod(a.shape[:lead]), d)
        scale = 1.0 / d if d else 0.0
        xhat = x2 - (x2 @ xp.ones(d, dtype=x.dtype) * scale)[:, None]
        rstd = xp.einsum("ij,ij->i", xhat, xhat)
        rstd *= scale
        rstd += eps
        xp.sqrt(rstd, out=rstd)
        xp.reciprocal(rstd, out=rstd)
        rstd = rstd[:, None]
        xhat *= rstd
        ctx.xhat, ctx.rstd = xhat, rstd
        if has_w:
            y = xhat * _upcast(wb[0], xp).reshape(d)
        else:
            y = xhat.copy()  # (xhat is kept for the backward; the output is the caller's)
        if has_b:
            y += _upcast(wb[-1], xp).reshape(d)
        return _finish(y.reshape(a.shape), a)

    @staticmethod
    def backward(ctx, grad):
        from ember._tensor import _wrap
        from ember.autograd import grad_mode

        x, *wb = ctx.saved_tensors
        if grad_mode.enabled:
            return _norm_backward_graph(ctx, grad, x, wb)
        xp = array_module(x._data)
        xhat, rstd = ctx.xhat, ctx.rstd
        rows, d = xhat.shape
        g = _upcast(grad._data, xp).reshape(rows, d)
        need = ctx.needs_input_grad
        out = [None] * len(need)
        # Every sum is a matrix-vector product: over rows against ones, over each row
        # against the weight (``g_x = g w`` is never formed just to be summed).
        gxhat = g * xhat
        w = _upcast(wb[0]._data, xp).reshape(d) if ctx.has_w else xp.ones(d, dtype=g.dtype)
        i = 1
        if ctx.has_w:
            if need[i]:
                out[i] = _param_grad(xp.ones(rows, dtype=g.dtype) @ gxhat, wb[0])
            i += 1
        if ctx.has_b and need[i]:
            out[i] = _param_grad(xp.ones(rows, dtype=g.dtype) @ g, wb[-1])
        if need[0]:
            # dx = rstd (g_x - mean(g_x) - xhat mean(g_x xhat)), the means over each row
            scale = 1.0 / d if d else 0.0
            r = rstd[:, 0]
            dx = g * w if ctx.has_w else g * r[:, None]
            if ctx.has_w:
                dx *= rstd
            xp.multiply(xhat, ((gxhat @ w) * (r * scale))[:, None], out=gxhat)
            dx -= gxhat
            dx -= ((g @ w) * (r * scale))[:, None]
            out[0] = _wrap(_finish(dx.reshape(x.shape), x._data), x._dtype, x._device)
        return tuple(out)


def _param_grad(arr, p):
    """``arr`` as the gradient of the parameter tensor ``p`` (its shape and dtype)."""
    from ember._tensor import _wrap

    arr = arr.reshape(p._data.shape).astype(p._data.dtype, copy=False)
    return _wrap(arr, p._dtype, p._device)


class NativeGroupNorm(_Norm):
    __slots__ = ()


def normalize(op: type, input: Tensor, weight, bias, axes, pshape, eps, mean=None, var=None):
    """Run the normalisation ``op``: over ``input``'s own moments on ``axes`` when ``mean``
    is None, else with the given (constant) ``mean`` and ``var`` arrays, shaped to
    broadcast.  Returns (output, batch mean, batch biased variance)."""
    xp = array_module(input._data)
    batch_stats = mean is None
    if batch_stats:
        mean, var = _batch_moments(input._data, axes)
    rstd = 1.0 / xp.sqrt(var + eps)
    tensors = [input]
    if weight is not None:
        tensors.append(weight)
    if bias is not None:
        tensors.append(bias)
    out = op.apply(
        *tensors,
        axes=axes,
        mean=mean,
        rstd=rstd,
        pshape=pshape,
        batch_stats=batch_stats,
        has_w=weight is not None,
        has_b=bias is not None,
        eps=eps,
    )
    return out, mean, var


def layer_norm(input: Tensor, weight, bias, axes, pshape, eps):
    """Layer norm of ``input`` over its last ``len(axes)`` dims (``NativeLayerNorm``)."""
    tensors = [input]
    if weight is not None:
        tensors.append(weight)
    if bias is not None:
        tensors.append(bias)
    return NativeLayerNorm.apply(
        *tensors,
        axes=axes,
        pshape=pshape,
        has_w=weight is not None,
        has_b=bias is not None,
        eps=eps,
    )


# -- embedding ----------------------------------------------------------------------------------


class Embedding(Primitive):
    """Rows of ``weight`` at integer ``indices``; the backward adds each gradient row into
    the row it came from, except ``padding_idx``'s, optionally scaled by 1 / frequency."""

    save_inputs = False

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        xp = array_module(weight)
        ctx.indices, ctx.padding_idx, ctx.scale = indices, padding_idx, scale_grad_by_freq
        ctx.num = weight.shape[0]
        return xp.take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, grad):
        from ember._tensor import _wrap
        from ember.ops.index import index_add

        xp = array_module(ctx.indices)
        flat = ctx.indices.reshape(-1)
        g = grad.reshape(flat.shape[0], -1)
        keep = None
        if ctx.padding_idx is not None:
            keep = (flat != ctx.padding_idx).astype(grad._dtype.np)
        if ctx.scale:
            counts = xp.bincount(flat, minlength=ctx.num)
            inv = 1.0 / counts[flat].astype(grad._dtype.np)
            keep = inv if keep is None else keep * inv
        if keep is not None:
            g = g * _wrap(keep[:, None], grad._dtype, grad._device)
        index = _wrap(flat.astype(xp.int64, copy=False), _dtype.int64, grad._device)
        return index_add(g.new_zeros((ctx.num, g.shape[1])), 0, index, g)


# -- binary cross-entropy -----------------------------------------------------------------------


def _quiet(xp):
    errstate = getattr(xp, "errstate", None)
    return errstate(divide="ignore", invalid="ignore") if errstate is not None else _nullcontext()


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


class BinaryCrossEntropy(Primitive):
    """Unreduced ``-(t log x + (1 - t) log(1 - x))`` with both logs clamped at -100.

    The backward is PyTorch's: ``(x - t) / max(x (1 - x), 1e-12)``, finite at x = 0 and x = 1
    where differentiating the clamped logs would give NaN."""

    @staticmethod
    def forward(ctx, x, t):
        xp = array_module(x)
        with _quiet(xp):
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log(1 - x), -100)
        return (t - 1) * log_1mx - t * log_x

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = gt = None
        if need[0]:
            gx = g * (x - t) / ((1 - x) * x).clamp(min=1e-12)
        if need[1]:
            # unclamped, as PyTorch's (infinite where x is 0 or 1)
            gt = g * ((1 - x).log() - x.log())
        return gx, gt


# -- connectionist temporal classification -------------------------------------------------------


def _ctc_shift(xp, a, k, fill):
    """``a`` shifted right by ``k`` along the last dim, ``fill`` entering on the left."""
    out = xp.empty_like(a)
    out[..., :k] = fill
    out[..., k:] = a[..., : a.shape[-1] - k]
    return out


class CtcLoss(Primitive):
    """Per-sample CTC negative log-likelihood of ``log_probs`` ``(T, N, C)`` against padded
    targets ``ext`` (the blank-interleaved label rows ``(N, 2S + 1)``).

    The alpha recursion runs over time, vectorised over batch and labels; the beta recursion
    runs in the backward.  The gradient is PyTorch's, ``exp(lp) - posterior``: the derivative
    with respect to the logits of a ``log_softmax``, which is what CTC is fed in practice (it
    passes through ``log_softmax``'s backward unchanged).
    """

    save_inputs = False

    @staticmethod
    def forward(ctx, log_probs, *, ext, skip, in_len, tg_len, zero_infinity):
        xp = array_module(log_probs)
        t_max, n, _ = log_probs.shape
        length = ext.shape[1]
        ninf = -xp.inf
        lpe = xp.take_along_axis(log_probs, xp.broadcast_to(ext, (t_max, n, length)), axis=2)
        alpha = xp.full((t_max, n, length), ninf, dtype=log_probs.dtype)
        with _quiet(xp):
            if t_max:
                alpha[0, :, :2] = lpe[0, :, :2]
            for t in range(1, t_max):
                a = alpha[t - 1]
                r = xp.logaddexp(a, _ctc_shift(xp, a, 1, ninf))
                xp.logaddexp(r, xp.where(skip, _ctc_shift(xp, a, 2, ninf), ninf), out=r)
                xp.add(r, lpe[t], out=alpha[t])
            rows = xp.arange(n)
            last = xp.maximum(in_len - 1, 0)
            end = 2 * tg_len
            nll = -xp.logaddexp(
                alpha[last, rows, end],
                xp.where(tg_len > 0, alpha[last, rows, xp.maximum(end - 1, 0)], ninf),
            )
        # an empty input sequence matches only an empty target
        nll = xp.where(in_len > 0, nll, xp.where(tg_len > 0, xp.inf, 0)).astype(log_probs.dtype)
        ctx.ctc = (log_probs, lpe, alpha, ext, skip, in_len, tg_len, nll, zero_infinity)
        if zero_infinity:
            nll = xp.where(xp.isinf(nll), 0, nll).astype(log_probs.dtype)
        return nll

    @staticmethod
    def backward(ctx, g):
        from ember._tensor import _wrap

        log_probs, lpe, alpha, ext, skip, in_len, tg_len, nll, zero_inf = ctx.ctc
        xp = array_module(log_probs)
        t_max, n, c = log_probs.shape
        length = ext.shape[1]
        ninf = -xp.inf
        s_idx = xp.arange(length)
        last = 2 * tg_len[:, None]
        ends = (s_idx == last) | ((s_idx == last - 1) & (tg_len[:, None] > 0))
        beta = xp.full_like(alpha, ninf)
        skip_next = xp.zeros_like(skip)
        skip_next[:, :-2] = skip[:, 2:]
        with _quiet(xp):
            nxt = xp.full((n, length), ninf, dtype=alpha.dtype)
            for t in range(t_max - 1, -1, -1):
                r = xp.logaddexp(nxt, _ctc_shift_left(xp, nxt, 1, ninf))
                xp.logaddexp(r, xp.where(skip_next, _ctc_shift_left(xp, nxt, 2, ninf), ninf), out=r)
                r += lpe[t]
                start = xp.where(ends, lpe[t], ninf)
                here = t < in_len - 1
                cur = xp.where(here[:, None], r, xp.where((t == in_len - 1)[:, None], start, ninf))
                beta[t] = cur
                nxt = cur
            post = xp.exp(alpha + beta - lpe + nll[None, :, None])
        post = xp.where(xp.isnan(post), 0, post)
        flat = (xp.arange(t_max * n).reshape(t_max, n, 1) * c + ext[None]).reshape(-1)
        occ = xp.bincount(flat, weights=post.reshape(-1), minlength=t_max * n * c)
        grad = xp.exp(log_probs) - occ.reshape(t_max, n, c).astype(log_probs.dtype)
        active = xp.arange(t_max)[:, None] < in_len[None, :]
        grad = xp.where(active[:, :, None], grad, 0)
        bad = xp.isinf(nll)
        if bad.any():
            grad[:, bad] = 0 if zero_inf else xp.nan
        grad = xp.ascontiguousarray(grad.astype(log_probs.dtype, copy=False))
        grad = _wrap(grad, g._dtype, g._device)
        return grad * g.reshape(1, n, 1)


def _ctc_shift_left(xp, a, k, fill):
    out = xp.empty_like(a)
    out[..., a.shape[-1] - k:] = fill
    out[..., : a.shape[-1] - k] = a[..., k:]
    return out


class RreluWithNoise(Primitive):
    """``x * noise`` for randomized leaky ReLU: ``noise`` is 1 where ``x >= 0`` and a slope
    drawn from U(lower, upper) elsewhere; the gradient is ``grad * noise``."""

    save_inputs = False

    @staticmethod
    def forward(ctx, x, *, noise):
        ctx.noise = noise
        return x * noise

    @staticmethod
    def backward(ctx, g):
        from ember._tensor import _wrap

        return g * _wrap(ctx.noise, g._dtype, g._device)
