"""logsumexp, softmax and log_softmax, computed stably by shifting by the maximum first.

Half-precision inputs are computed in float32 and cast back, as in PyTorch.  Backwards are
written with ember ops, so ``create_graph=True`` differentiates them again.
"""

from __future__ import annotations

from ember import _dtype
from ember._tensor import Tensor, _wrap_dim
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops._util import _TYPE_NAMES, cast
from ember.ops.reduce import _HALF_NP, dense, kept_shape, reduction_dims, restore_dims

_np_float32 = _dtype.float32.np


def _shifted(a, dims, xp):
    """``a`` minus its maximum over ``dims`` (kept), the maximum taken as 0 where infinite
    or where there is nothing to take it over; returns (shifted, shift)."""
    if 0 in (a.shape[d] for d in dims):
        shift = xp.zeros(kept_shape(a.shape, dims), a.dtype)
    else:
        shift = a.max(axis=dims, keepdims=True)
        shift = xp.where(xp.isinf(shift), 0, shift)
    return a - shift, shift


def _softmax_array(a, dims, log: bool):
    xp = array_module(a)
    out_dtype = a.dtype
    if out_dtype in _HALF_NP:
        a = a.astype(_np_float32)
    if not a.size:
        return dense(a.astype(out_dtype), xp)
    with xp.errstate(invalid="ignore"):  # a slice of all -inf gives NaN, as in PyTorch
        z = a - a.max(axis=dims, keepdims=True)
        if log:
            r = z - xp.log(xp.exp(z).sum(axis=dims, keepdims=True))
        else:
            r = xp.exp(z)
            r /= r.sum(axis=dims, keepdims=True)
    return dense(r.astype(out_dtype, copy=False), xp)


class Softmax(Primitive):
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return _softmax_array(a, dims, log=False)

    @staticmethod
    def backward(ctx, grad):
        y = ctx.output()
        return y * (grad - (grad * y).sum(ctx.dims, keepdim=True))


class LogSoftmax(Primitive):
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return _softmax_array(a, dims, log=True)

    @staticmethod
    def backward(ctx, grad):
        return grad - ctx.output().exp() * grad.sum(ctx.dims, keepdim=True)


class Logsumexp(Primitive):
    save_output = True

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        xp = array_module(a)
        out_dtype = a.dtype
        if out_dtype in _HALF_NP:
            a = a.astype(_np_float32)
        z, shift = _shifted(a, dims, xp)
        with xp.errstate(divide="ignore"):
            r = xp.log(xp.exp(z).sum(axis=dims, keepdims=True)) + shift
        if not keepdim:
            r = r.reshape([s for i, s in enumerate(r.shape) if i not in dims])
        return dense(r.astype(out_dtype, copy=False), xp)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        shape, dims, keepdim = x.shape, ctx.dims, ctx.keepdim
        out = restore_dims(ctx.output(), shape, dims, keepdim)
        return restore_dims(grad, shape, dims, keepdim) * (x - out).exp()


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input)))`` over ``dim``, without overflow; integers give the default float."""
    dt = input._dtype
    if not (dt.is_floating_point or dt.is_complex):
        input = cast(input, _dtype.get_default_dtype())
    dims = reduction_dims(dim, input._data.ndim)
    return Logsumexp.apply(input, dims=dims, keepdim=keepdim)


def _prepare(name: str, input: Tensor, dim, dtype):
    """The input cast to ``dtype`` and the dims to normalise over; PyTorch's errors for a
    non-float input (named after the kernel, which differs for the last dim), except that an
    empty one passes through unchanged."""
    if not isinstance(dim, int):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    ndim = input._data.ndim
    d = _wrap_dim(dim, ndim)
    if dtype is not None:
        input = cast(input, dtype)
    elif not input._dtype.is_floating_point and input._data.size:
        kernel = "lastdim_kernel_impl" if d == ndim - 1 or not ndim else "kernel_impl"
        raise NotImplementedError(
            f"\"{name}_{kernel}\" not implemented for '{_TYPE_NAMES[input._dtype]}'"
        )
    return input, ((d,) if ndim else ())


def softmax(input: Tensor, dim, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``; ``dtype`` casts the input first.

    Example: ``ember.softmax(ember.tensor([0.0, 0.0]), 0)`` is ``tensor([0.5, 0.5])``.
    """
    input, dims = _prepare("softmax", input, dim, dtype)
    return Softmax.apply(input, dims=dims)


def log_softmax(input: Tensor, dim, dtype=None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed as ``x - logsumexp(x)`` for stability."""
    input, dims = _prepare("log_softmax", input, dim, dtype)
    return LogSoftmax.apply(input, dims=dims)


Tensor.logsumexp = logsumexp
Tensor.softmax = softmax
Tensor.log_softmax = log_softmax
