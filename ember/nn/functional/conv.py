"""``conv1d/2d/3d`` and ``conv_transpose1d/2d/3d``: the math of ``nn.Conv*`` layers."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.ops.conv import conv_transpose, convolution


def _tuple(v, n: int, name: str) -> tuple:
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(x) for x in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values "
                           f"to match the convolution dimensions, but got {name}={list(v)}")
    return v


def _conv_nd(nd, name, input, weight, bias, stride, padding, dilation, groups):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{name}() argument 'input' (position 1) must be Tensor")
    batched = input.dim() == nd + 2
    if not batched:
        if input.dim() != nd + 1:
            raise RuntimeError(
                f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
                f"input of size: {list(input.shape)}")
        input = input.unsqueeze(0)
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    if weight.dim() != nd + 2:
        raise RuntimeError(f"weight should have at least three dimensions")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            pads = tuple(pads)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        p = _tuple(padding, nd, "padding")
        if any(x < 0 for x in p):
            raise RuntimeError("negative padding is not supported")
        pads = tuple((x, x) for x in p)
    c = input.shape[1]
    if weight.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {list(weight.shape)} instead")
    if c != weight.shape[1] * groups or weight.shape[0] % groups:
        if weight.shape[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                               f"dimension 0, but got weight of size {list(weight.shape)} instead")
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {weight.shape[1] * groups} channels, but got {c} channels instead")
    for n, k, d, (lo, hi) in zip(input.shape[2:], kernel, dilation, pads):
        if n + lo + hi < d * (k - 1) + 1:
            raise RuntimeError(
                f"Calculated padded input size per channel: ({n + lo + hi}). Kernel size: ({d * (k - 1) + 1}). "
                "Kernel size can't be greater than actual input size")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != weight.shape[0]):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional "
                           f"with {weight.shape[0]} elements, but got bias of size {list(bias.shape)} instead")
    if input._dtype != weight._dtype or (bias is not None and bias._dtype != input._dtype):
        raise RuntimeError(
            f"Input type ({input._dtype}) and weight type ({weight._dtype}) should be the same")
    if not input._dtype.is_floating_point:
        raise RuntimeError(f'"{name}" not implemented for \'{input._dtype}\'')
    out = convolution(input, weight, bias, stride, pads, dilation, groups)
    return out if batched else out.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-d convolution (cross-correlation) over ``(N, C_in, L)``; weight ``(C_out, C_in/groups, k)``.

    ``padding`` is an int, a tuple, ``'valid'`` or ``'same'`` (stride 1 only)."""
    return _conv_nd(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-d convolution over ``(N, C_in, H, W)``; weight ``(C_out, C_in/groups, kH, kW)``.

    >>> F.conv2d(ember.randn(1, 3, 8, 8), ember.randn(4, 3, 3, 3), padding=1).shape
    ember.Size([1, 4, 8, 8])
    """
    return _conv_nd(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """3-d convolution over ``(N, C_in, D, H, W)``; weight ``(C_out, C_in/groups, kD, kH, kW)``."""
    return _conv_nd(3, "conv3d", input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose_nd(nd, name, input, weight, bias, stride, padding, output_padding, groups, dilation):
    batched = input.dim() == nd + 2
    if not batched:
        if input.dim() != nd + 1:
            raise RuntimeError(
                f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
                f"input of size: {list(input.shape)}")
        input = input.unsqueeze(0)
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    padding = _tuple(padding, nd, "padding")
    output_padding = _tuple(output_padding, nd, "output_padding")
    if weight.dim() != nd + 2:
        raise RuntimeError("weight should have at least three dimensions")
    if input.shape[1] != weight.shape[0] or weight.shape[0] % groups:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input "
            f"{list(input.shape)} to have {weight.shape[0]} channels, but got {input.shape[1]} channels instead")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                               f"output_padding: {list(output_padding)}, stride: {list(stride)}, "
                               f"dilation: {list(dilation)}")
    if input._dtype != weight._dtype:
        raise RuntimeError(
            f"Input type ({input._dtype}) and weight type ({weight._dtype}) should be the same")
    kernel = weight.shape[2:]
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                 for n, s, p, d, k, op in zip(input.shape[2:], stride, padding, dilation, kernel, output_padding))
    if any(s <= 0 for s in size):
        raise RuntimeError(f"Given input size per channel: {list(input.shape[2:])}. "
                           f"Calculated output size per channel: {list(size)}. Output size is too small")
    pads = tuple((p, p) for p in padding)
    out = conv_transpose(input, weight, size, stride, pads, dilation, groups)
    if bias is not None:
        out = out + bias.reshape((-1,) + (1,) * nd)
    return out if batched else out.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """1-d transposed convolution; weight ``(C_in, C_out/groups, k)``."""
    return _conv_transpose_nd(1, "conv_transpose1d", input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """2-d transposed convolution; weight ``(C_in, C_out/groups, kH, kW)``."""
    return _conv_transpose_nd(2, "conv_transpose2d", input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """3-d transposed convolution; weight ``(C_in, C_out/groups, kD, kH, kW)``."""
    return _conv_transpose_nd(3, "conv_transpose3d", input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


def _pair(v, name):
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    if len(v) == 1:
        return v * 2
    if len(v) != 2:
        raise RuntimeError(f"{name} must be an int or a pair of ints")
    return v


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding blocks: ``(N, C, H, W) -> (N, C * kH * kW, L)`` (im2col).

    >>> F.unfold(ember.randn(2, 3, 5, 5), 3).shape
    ember.Size([2, 27, 9])
    """
    from ember.ops.conv import Im2Col

    if input.dim() < 3:  # torch indexes dim 2 first
        raise IndexError(f"Dimension out of range (expected to be in range of [-{input.dim()}, "
                         f"{input.dim() - 1}], but got 2)")
    if input.dim() != 4 and input.dim() != 3:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(input.shape)}")
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    k, d, p, s = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"), _pair(padding, "padding"),
                  _pair(stride, "stride"))
    out = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(x.shape[2:], k, d, p, s))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input with spatial size {list(x.shape[2:])}, kernel_size={list(k)}, "
                           f"dilation={list(d)}, padding={list(p)}, calculated shape of the array of sliding "
                           f"blocks as {list(out)}, but its components must be at least one.")
    y = Im2Col.apply(x, kernel=k, stride=s, pads=tuple((q, q) for q in p), dilation=d, out=out)
    return y if batched else y.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum sliding blocks back into an image: ``(N, C * kH * kW, L) -> (N, C, *output_size)`` (col2im)."""
    from ember.ops.conv import Col2Im

    if input.dim() not in (2, 3):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size "
                           f"and non-zero dimensions for input, but got: {list(input.shape)}")
    batched = input.dim() == 3
    x = input if batched else input.unsqueeze(0)
    size = _pair(output_size, "output_size")
    k, d, p, s = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"), _pair(padding, "padding"),
                  _pair(stride, "stride"))
    out = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(size, k, d, p, s))
    kk = k[0] * k[1]
    if x.shape[1] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={k}")
    if x.shape[2] != out[0] * out[1]:
        raise RuntimeError(f"Given output_size={list(size)}, kernel_size={list(k)}, dilation={list(d)}, "
                           f"padding={list(p)}, stride={list(s)}, expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {out[0]} * {out[1]} = "
                           f"{out[0] * out[1]}, but got input.size(2)={x.shape[2]}.")
    y = Col2Im.apply(x, size=size, kernel=k, stride=s, pads=tuple((q, q) for q in p), dilation=d, out=out)
    return y if batched else y.squeeze(0)
