"""Activation functions of ``ember.nn.functional``, with their in-place forms."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.autograd import grad_mode
from ember.ops import nn_ops
from ember.ops._pointwise import Clone, unsupported
from ember.ops._util import write_inplace
from ember.ops.pointwise_math import relu as _relu
from ember.ops.pointwise_math import sigmoid as _sigmoid
from ember.ops.pointwise_math import tanh as _tanh
from ember.ops.softmax import log_softmax as _log_softmax
from ember.ops.softmax import softmax as _softmax

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _float_input(input, name: str, kernel: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    if not input._dtype.is_floating_point:
        raise unsupported(kernel, input._dtype)


def _run(op, input, inplace, **params):
    if not inplace:
        return op.apply(input, **params)
    if op.save_inputs and input._requires_grad and grad_mode.enabled:
        return write_inplace(input, op.apply(Clone.apply(input), **params))
    return write_inplace(input, op.apply(input, **params))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)`` elementwise."""
    return input.relu_() if inplace else _relu(input)


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(input, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """``input`` clamped to ``[min_val, max_val]``; the gradient is zero outside."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if isinstance(input, Tensor) and not input._dtype.is_floating_point:
        lo, hi = int(min_val), int(max_val)  # integer inputs keep their dtype
        return input.clamp_(lo, hi) if inplace else input.clamp(lo, hi)
    _float_input(input, "hardtanh", "clamp_cpu")
    return _run(nn_ops.Hardtanh, input, inplace, min_val=min_val, max_val=max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    _float_input(input, "leaky_relu", "leaky_relu_cpu")
    if inplace and negative_slope > 0:
        return _run(nn_ops.LeakyReluInplace, input, True, negative_slope=negative_slope)
    return _run(nn_ops.LeakyRelu, input, inplace, negative_slope=negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, True)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU: in training each negative element is scaled by a slope drawn
    from U(lower, upper); in eval the slope is ``(lower + upper) / 2``."""
    _float_input(input, "rrelu", "leaky_relu_cpu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from ember.backend import array_module

    slopes = input.new_empty(input.shape).uniform_(lower, upper)._data
    x = input._data
    noise = array_module(x).where(x >= 0, x.dtype.type(1), slopes)
    return _run(nn_ops.RreluWithNoise, input, inplace, noise=noise)


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    return rrelu(input, lower, upper, training, True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    _float_input(input, "elu", "elu_cpu")
    return _run(nn_ops.Elu, input, inplace, alpha=alpha, scale=1.0, input_scale=1.0)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    _float_input(input, "selu", "elu_cpu")
    return _run(nn_ops.Elu, input, inplace, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)


def selu_(input: Tensor) -> Tensor:
    return selu(input, True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    _float_input(input, "celu", "elu_cpu")
    return _run(nn_ops.Elu, input, inplace, alpha=alpha, scale=1.0, input_scale=1.0 / alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``, or its tanh approximation with ``approximate='tanh'``."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _float_input(input, "gelu", "GeluKernelImpl")
    return nn_ops.Gelu.apply(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``."""
    _float_input(input, "silu", "silu_cpu")
    return _run(nn_ops.Silu, input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    _float_input(input, "mish", "mish_cpu")
    return _run(nn_ops.Mish, input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    _float_input(input, "hardswish", "hardswish_cpu")
    return _run(nn_ops.Hardswish, input, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    _float_input(input, "hardsigmoid", "hardsigmoid_cpu")
    return _run(nn_ops.Hardsigmoid, input, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, computed without overflow."""
    _float_input(input, "log_sigmoid", "log_sigmoid_cpu")
    return nn_ops.LogSigmoid.apply(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``."""
    _float_input(input, "softplus", "softplus_cpu")
    return nn_ops.Softplus.apply(input, beta=beta, threshold=threshold)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    _float_input(input, "softshrink", "softshrink_cpu")
    return nn_ops.Softshrink.apply(input, lambd=lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, 0 elsewhere."""
    _float_input(input, "hardshrink", "hardshrink_cpu")
    return nn_ops.Hardshrink.apply(input, lambd=lambd)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return input - _tanh(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, ``value`` elsewhere."""
    _float_input(input, "threshold", "threshold_cpu")
    return _run(nn_ops.Threshold, input, inplace, threshold=threshold, value=value)


_threshold = threshold  # the name the functions below shadow with their argument


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _threshold(input, threshold, value, True)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return _sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return _tanh(input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """``a * sigmoid(b)`` where ``a`` and ``b`` are the halves of ``input`` along ``dim``."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim % input.dim()} is size {size}"
        )
    a, b = input.chunk(2, dim)
    return a * _sigmoid(b)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where positive, ``weight * x`` elsewhere; ``weight`` has one slope per channel
    (dim 1) or a single one."""
    from ember.ops.elementwise import where

    n = weight.numel()
    if n != 1:
        if input.dim() < 2 or input.shape[1] != n:
            channels = input.shape[1] if input.dim() >= 2 else 1
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {n} and channel size = {channels}."
            )
        weight = weight.reshape((n,) + (1,) * (input.dim() - 2))
    elif weight.dim() != 0:
        weight = weight.reshape(())
    return where(input > 0, input, weight * input)


def _softmax_dim(name: str, ndim: int) -> int:
    # PyTorch's legacy choice (with a deprecation warning) when no dim is given
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim())
    return _softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim())
    if dtype is not None:
        from ember.ops._util import cast

        input = cast(input, dtype)
    return _softmax(-input, dim)


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim())
    return _log_softmax(input, dim, dtype=dtype)


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """A sample from the Gumbel-softmax distribution; ``hard`` gives one-hot vectors whose
    gradient is the soft sample's (straight-through)."""
    u = logits.detach().new_empty(logits.shape).exponential_()
    gumbels = (logits - u.log()) / tau
    y_soft = _softmax(gumbels, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = logits.new_zeros(logits.shape).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
