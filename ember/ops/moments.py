"""Spread and size over ``dim``: var, std, var_mean, std_mean, and vector norms.

Variances divide by ``N - correction`` (``unbiased=True`` is ``correction=1``); at or below
zero degrees of freedom PyTorch warns and divides by zero, and so does ember.  Half-precision
inputs are computed in float32 and cast back.
"""

from __future__ import annotations

import math
import warnings

from ember import _dtype
from ember._tensor import Tensor
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops._util import _TYPE_NAMES, cast
from ember.ops.reduce import (
    _HALF_NP,
    const,
    dense,
    kept_shape,
    reduced_numel,
    reduction_dims,
    restore_dims,
)

_np_float32 = _dtype.float32.np
_INF = math.inf


def _moments(ctx, a, dims, correction, keepdim, name):
    """(variance, mean) arrays of ``a`` over ``dims``; stores what backward needs on ``ctx``."""
    ctx.dims, ctx.keepdim = dims, keepdim
    n = reduced_numel(a.shape, dims)
    ctx.dof = dof = n - correction
    if dof <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=4,
        )
    xp = array_module(a)
    out_dtype = a.dtype
    if out_dtype in _HALF_NP:
        a = a.astype(_np_float32)
    with xp.errstate(invalid="ignore", divide="ignore"):
        m = a.sum(axis=dims, keepdims=True) / n
        d = a - m
        sq = d.real * d.real + d.imag * d.imag if d.dtype.kind == "c" else d * d
        var = sq.sum(axis=dims, keepdims=keepdim) / max(dof, 0)
    if not keepdim:
        m = m.reshape(var.shape)
    real = out_dtype if out_dtype.kind != "c" else var.dtype
    return dense(var.astype(real, copy=False), xp), dense(m.astype(out_dtype, copy=False), xp)


def _var_grad(x: Tensor, grad: Tensor, ctx) -> Tensor:
    """``d var / d x`` applied to ``grad`` (shaped like the variance)."""
    scale = 2.0 / ctx.dof if ctx.dof > 0 else _INF
    g = restore_dims(grad, x.shape, ctx.dims, ctx.keepdim)
    return (g * scale) * (x - x.mean(ctx.dims, keepdim=True))


def _std_to_var_grad(grad: Tensor, std: Tensor) -> Tensor:
    """The gradient reaching the variance from ``grad`` on ``std = sqrt(var)``; zero where
    the deviation is zero (as PyTorch masks it) rather than the infinite slope."""
    zero = std._data == 0
    if not zero.any():
        return grad / (std * 2)
    return grad / ((std + const(zero, std)) * 2) * const(~zero, std)


class Var(Primitive):
    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        return _moments(ctx, a, dims, correction, keepdim, "var")[0]

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return _var_grad(x, grad, ctx)


class Std(Primitive):
    save_output = True

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        var, _ = _moments(ctx, a, dims, correction, keepdim, "std")
        xp = array_module(a)
        return dense(xp.sqrt(var), xp)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return _var_grad(x, _std_to_var_grad(grad, ctx.output()), ctx)


class VarMean(Primitive):
    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        ctx.n = reduced_numel(a.shape, dims)
        return _moments(ctx, a, dims, correction, keepdim, "var_mean")

    @staticmethod
    def backward(ctx, grad_var, grad_mean):
        (x,) = ctx.saved_tensors
        g_mean = restore_dims(grad_mean, x.shape, ctx.dims, ctx.keepdim) / ctx.n
        return _var_grad(x, grad_var, ctx) + g_mean


class StdMean(VarMean):
    save_output = True

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        ctx.n = reduced_numel(a.shape, dims)
        var, m = _moments(ctx, a, dims, correction, keepdim, "std_mean")
        xp = array_module(a)
        return dense(xp.sqrt(var), xp), m

    @staticmethod
    def backward(ctx, grad_std, grad_mean):
        return VarMean.backward(ctx, _std_to_var_grad(grad_std, ctx.output(0)), grad_mean)


def _moment_args(input: Tensor, dim, unbiased, keepdim, correction):
    """PyTorch's two signatures: ``(dim, unbiased, keepdim)`` and ``(dim, *, correction,
    keepdim)``; a bool in the ``dim`` slot is ``unbiased``."""
    dt = input._dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if correction is None:
        correction = 0 if unbiased is False else 1
    elif unbiased is not None:
        raise TypeError("var()/std(): pass either unbiased or correction, not both")
    return reduction_dims(dim, input._data.ndim), correction, keepdim


def var(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    """Variance over ``dim``, dividing by ``N - correction`` (default ``correction=1``)."""
    dims, c, keepdim = _moment_args(input, dim, unbiased, keepdim, correction)
    return Var.apply(input, dims=dims, correction=c, keepdim=keepdim)


def std(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    """Standard deviation over ``dim``: the square root of :func:`var`."""
    dims, c, keepdim = _moment_args(input, dim, unbiased, keepdim, correction)
    return Std.apply(input, dims=dims, correction=c, keepdim=keepdim)


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim`` in one pass."""
    dims, c, keepdim = _moment_args(input, dim, unbiased, keepdim, correction)
    return VarMean.apply(input, dims=dims, correction=c, keepdim=keepdim)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim`` in one pass."""
    dims, c, keepdim = _moment_args(input, dim, unbiased, keepdim, correction)
    return StdMean.apply(input, dims=dims, correction=c, keepdim=keepdim)


# -- norms ------------------------------------------------------------------------------------


class LinalgVectorNorm(Primitive):
    save_output = True

    @staticmethod
    def forward(ctx, a, ord, dims, keepdim):
        ctx.ord, ctx.dims, ctx.keepdim = ord, dims, keepdim
        xp = array_module(a)
        out_dtype = a.real.dtype
        if out_dtype in _HALF_NP:
            a = a.astype(_np_float32)
        if ord == 2:
            sq = a.real * a.real + a.imag * a.imag if a.dtype.kind == "c" else a * a
            r = xp.sqrt(sq.sum(axis=dims, keepdims=keepdim))
        elif ord == 0:
            r = (a != 0).sum(axis=dims, keepdims=keepdim, dtype=a.real.dtype)
        else:
            mag = xp.abs(a)
            if ord == 1:
                r = mag.sum(axis=dims, keepdims=keepdim)
            elif ord == _INF:
                r = mag.max(axis=dims, keepdims=keepdim)
            elif ord == -_INF:
                r = mag.min(axis=dims, keepdims=keepdim)
            else:
                with xp.errstate(divide="ignore", over="ignore"):
                    r = (mag**ord).sum(axis=dims, keepdims=keepdim) ** (1.0 / ord)
        return dense(xp.asarray(r).astype(out_dtype, copy=False), xp)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        norm = ctx.output()
        ord, dims, keepdim = ctx.ord, ctx.dims, ctx.keepdim
        xd = x._data
        xp = array_module(xd)
        if ord == 0:  # piecewise constant: PyTorch leaves the gradient undefined (None)
            return None
        if ord == 1:
            return restore_dims(grad, xd.shape, dims, keepdim) * const(_sgn(xd, xp), x)
        if ord in (_INF, -_INF):
            nd = (
                norm._data
                if keepdim or not dims
                else norm._data.reshape(kept_shape(xd.shape, dims))
            )
            mask = xp.abs(xd) == nd
            with xp.errstate(invalid="ignore", divide="ignore"):
                weight = _sgn(xd, xp) * (mask / mask.sum(axis=dims, keepdims=True))
            return restore_dims(grad, xd.shape, dims, keepdim) * const(weight, x)
        zero = norm._data == 0
        if zero.any():  # the gradient at a zero norm is taken as zero, as in PyTorch
            grad = grad * const(~zero, norm)
            norm = norm + const(zero, norm)
        if ord == 2:
            return x * restore_dims(grad / norm, xd.shape, dims, keepdim)
        if ord < 1:
            scaled = _sgn_tensor(x) * x.abs().pow(ord - 1) * const(xd != 0, x)
            return scaled * restore_dims(grad * norm.pow(1 - ord), xd.shape, dims, keepdim)
        scaled = x * x.abs().pow(ord - 2)
        return scaled * restore_dims(grad / norm.pow(ord - 1), xd.shape, dims, keepdim)


def _sgn(xd, xp):
    """``sign`` for real arrays, ``x / |x|`` (zero at zero) for complex ones."""
    if xd.dtype.kind != "c":
        return xp.sign(xd)
    mag = xp.abs(xd)
    with xp.errstate(invalid="ignore", divide="ignore"):
        return xp.where(mag == 0, 0, xd / mag)


def _sgn_tensor(x: Tensor) -> Tensor:
    return const(_sgn(x._data, array_module(x._data)), x)


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (all entries by default): ``ord`` 2, 1, inf, -inf,
    0 (the count of nonzeros) or any real p, ``(sum |x|^p)^(1/p)``."""
    dt = x._dtype if dtype is None else dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {_TYPE_NAMES[dt]}"
        )
    if dt is not x._dtype:
        x = cast(x, dt)
    if isinstance(ord, str | complex):
        raise TypeError(
            f"linalg.vector_norm(): argument 'ord' must be a number, not {type(ord).__name__}"
        )
    shape = x._data.shape
    dims = reduction_dims(dim, len(shape))
    if (ord < 0 or ord == _INF) and 0 in (shape[d] for d in dims):
        raise RuntimeError(
            f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
            "operation does not have an identity"
        )
    return LinalgVectorNorm.apply(x, ord=float(ord), dims=dims, keepdim=keepdim)


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The ``p``-norm over ``dim`` (``'fro'`` is the 2-norm over the entries)."""
    if isinstance(dim, int):
        dim = (dim,)
    if p == "fro":
        p = 2
    elif isinstance(p, str):
        raise NotImplementedError(
            f"norm(p={p!r}) needs matrix norms, which ember does not have yet"
        )
    if p is None:
        p = 2
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


Tensor.var = var
Tensor.std = std
Tensor.norm = norm
