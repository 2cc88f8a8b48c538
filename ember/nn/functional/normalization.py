"""Normalisation functions: batch, layer, group, instance and RMS normalisation, and local
response normalisation.  The first four run as one fused primitive with a hand-written
backward (``ember.ops.nn_ops.normalize``)."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.ops import nn_ops


def _update_running(running: Tensor, value, momentum: float) -> None:
    data = running._data
    data[...] = ((1 - momentum) * data + momentum * value.reshape(data.shape)).astype(data.dtype)
    running._bump_version()


def _check_per_channel(input: Tensor) -> None:
    size = input.numel() // input.shape[1] if input.dim() > 1 and input.shape[1] else 0
    if size == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {input.shape}"
        )


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) over the batch and spatial dims; in training, with the
    batch's moments (updating the running ones), else with the running ones."""
    if input.dim() < 2:
        raise ValueError(f"expected 2D or more input (got {input.dim()}D input)")
    ndim = input.dim()
    c = input.shape[1]
    pshape = (1, c) + (1,) * (ndim - 2)
    axes = (0,) + tuple(range(2, ndim))
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    if training:
        _check_per_channel(input)
        out, mean, var = nn_ops.normalize(
            nn_ops.NativeBatchNorm, input, weight, bias, axes, pshape, eps
        )
        if running_mean is not None:
            _update_running(running_mean, mean, momentum)
        if running_var is not None:
            n = input.numel() // c
            _update_running(running_var, var * (n / max(n - 1, 1)), momentum)
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    mean = running_mean._data.reshape(pshape)
    var = running_var._data.reshape(pshape)
    out, _, _ = nn_ops.normalize(
        nn_ops.NativeBatchNorm, input, weight, bias, axes, pshape, eps, mean=mean, var=var
    )
    return out


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    ndim = input.dim()
    if k == 0 or ndim < k or tuple(input.shape[ndim - k :]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size"
            f"{list(input.shape)}"
        )
    axes = tuple(range(ndim - k, ndim))
    pshape = (1,) * (ndim - k) + normalized_shape
    return nn_ops.layer_norm(input, weight, bias, axes, pshape, eps)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each group of ``C / num_groups`` channels over its channels and spatial dims."""
    if input.dim() < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.dim()}"
        )
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}"
        )
    grouped = input.reshape(n, num_groups, -1)
    out, _, _ = nn_ops.normalize(
        nn_ops.NativeGroupNorm, grouped, None, None, (2,), (1, num_groups, 1), eps
    )
    out = out.reshape(input.shape)
    pshape = (1, c) + (1,) * (input.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(pshape)
    if bias is not None:
        out = out + bias.reshape(pshape)
    return out


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample over its spatial dims."""
    ndim = input.dim()
    c = input.shape[1]
    pshape = (1, c) + (1,) * (ndim - 2)
    axes = tuple(range(2, ndim))
    if use_input_stats:
        spatial = input.numel() // (input.shape[0] * c) if input.numel() else 0
        if spatial == 1:
            raise ValueError(
                f"Expected more than 1 spatial element when training, got input size {input.shape}"
            )
        out, mean, var = nn_ops.normalize(
            nn_ops.NativeBatchNorm, input, weight, bias, axes, pshape, eps
        )
        if running_mean is not None:
            _update_running(running_mean, mean.mean(axis=0), momentum)
        if running_var is not None:
            n = input.numel() // (input.shape[0] * c)
            _update_running(running_var, (var * (n / max(n - 1, 1))).mean(axis=0), momentum)
        return out
    mean = running_mean._data.reshape(pshape)
    var = running_var._data.reshape(pshape)
    out, _, _ = nn_ops.normalize(
        nn_ops.NativeBatchNorm, input, weight, bias, axes, pshape, eps, mean=mean, var=var
    )
    return out


def rms_norm(
    input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None
) -> Tensor:
    """``input / sqrt(mean(input**2) + eps) * weight`` over the last dims; ``eps`` defaults
    to the dtype's machine epsilon."""
    from ember._dtype import finfo

    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    k = len(normalized_shape)
    if tuple(input.shape[input.dim() - k :]) != tuple(normalized_shape):
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size"
            f"{list(input.shape)}"
        )
    if eps is None:
        eps = finfo(input.dtype).eps
    dims = list(range(input.dim() - k, input.dim()))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Normalise each element by the sum of squares of ``size`` neighbouring channels."""
    from ember.ops.join import cat

    if input.dim() < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.dim()} dimensions)"
        )
    if input.numel() == 0:
        return input
    sq = input * input
    before, after = size // 2, (size - 1) // 2
    shape = list(sq.shape)
    parts = []
    zero = sq.new_zeros([shape[0], 1] + shape[2:])
    parts.append(zero.expand([shape[0], before + 1] + shape[2:]))
    parts.append(sq)
    if after:
        parts.append(zero.expand([shape[0], after] + shape[2:]))
    csum = cat(parts, 1).cumsum(1)
    c = shape[1]
    window = csum.narrow(1, size, c) - csum.narrow(1, 0, c)
    div = (window * (alpha / size) + k) ** beta
    return input / div
