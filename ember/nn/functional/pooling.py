"""Pooling: max / average / adaptive / lp pooling and max unpooling, 1-3 d, as torch.nn.functional."""

from __future__ import annotations

import functools

from ember import _dtype
from ember._tensor import Tensor, _wrap
from ember.autograd import grad_mode
from ember.backend import array_module
from ember.ops import pool as _pool


def _tuple(v, n):
    if isinstance(v, int):
        return (v,) * n
    v = tuple(v)
    return v * n if len(v) == 1 else v


def _batched(input, nd, name):
    if input.dim() == nd + 2:
        return input, True
    if input.dim() == nd + 1:
        return input.unsqueeze(0), False
    raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D input tensor, but got {list(input.shape)}")


def _out_sizes(size, kernel, stride, padding, dilation, ceil_mode, name):
    out = []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        if s <= 0:
            raise RuntimeError(f"{name}: stride should be greater than zero, but got stride: {s}")
        if k <= 0:
            raise RuntimeError(f"{name}: kernel_size should be greater than zero, but got kernel: {k}")
        if p > (d * (k - 1) + 1) // 2 and p * 2 > k:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
        num = n + 2 * p - d * (k - 1) - 1
        o = (-(-num // s) if ceil_mode else num // s) + 1
        if ceil_mode and (o - 1) * s >= n + p:
            o -= 1
        if o <= 0:
            raise RuntimeError(f"Given input size: ({n}). Calculated output size: ({o}). Output size is too small")
        out.append(o)
    return tuple(out)


def _max_pool(nd, name, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, batched = _batched(input, nd, name)
    kernel = _tuple(kernel_size, nd)
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _tuple(stride, nd)
    padding = _tuple(padding, nd)
    dilation = _tuple(dilation, nd)
    for p, k in zip(padding, kernel):
        if p * 2 > k:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={dilation[0]}")
    out = _out_sizes(x.shape[2:], kernel, stride, padding, dilation, ceil_mode, name)
    if not return_indices and not (grad_mode.enabled and x._requires_grad):
        y = _pool.max_pool_values(x._data, kernel, stride, padding, dilation, out)
        y = _wrap(y, x._dtype, x._device)
        return y if batched else y.squeeze(0)
    fn = functools.partial(_pool.max_pool_kernel, kernel=kernel, stride=stride, padding=padding,
                           dilation=dilation, out=out)
    # windows are disjoint when each stride reaches past the window's extent
    disjoint = all(s >= d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel))
    values, idx = _pool.MaxPoolWithIndices.apply(x, kernel_fn=fn, nd=nd, disjoint=disjoint)
    if not batched:
        values, idx = values.squeeze(0), idx.squeeze(0)
    return (values, idx) if return_indices else values


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-d max pooling over ``(N, C, L)``; ``return_indices`` gives flat positions per plane."""
    return _max_pool(1, "max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-d max pooling over ``(N, C, H, W)``; stride defaults to ``kernel_size``.

    >>> F.max_pool2d(ember.randn(1, 1, 4, 4), 2).shape
    ember.Size([1, 1, 2, 2])
    """
    return _max_pool(2, "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-d max pooling over ``(N, C, D, H, W)``."""
    return _max_pool(3, "max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


max_pool1d_with_indices = functools.partial(max_pool1d, return_indices=True)
max_pool2d_with_indices = functools.partial(max_pool2d, return_indices=True)
max_pool3d_with_indices = functools.partial(max_pool3d, return_indices=True)


def _avg_pool(nd, name, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    x, batched = _batched(input, nd, name)
    kernel = _tuple(kernel_size, nd)
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _tuple(stride, nd)
    padding = _tuple(padding, nd)
    for p, k in zip(padding, kernel):
        if p * 2 > k:
            raise RuntimeError(f"pad should be at most half of kernel size, but got pad={p} and kernel_size={k}")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    size = x.shape[2:]
    out = _out_sizes(size, kernel, stride, padding, (1,) * nd, ceil_mode, name)
    xp = array_module(x._data)
    ddt = x._data.dtype if x._dtype.is_floating_point else xp.float64
    div = _pool.avg_divisor(xp, ddt, size, kernel, stride, padding, out, count_include_pad,
                            divisor_override)
    pads = _pool._right_pads(size, kernel, stride, padding, (1,) * nd, out)
    y = _pool.AvgPool.apply(x, kernel=kernel, stride=stride, pads=pads, divisor=div)
    return y if batched else y.squeeze(0)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-d average pooling over ``(N, C, L)``."""
    return _avg_pool(1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-d average pooling over ``(N, C, H, W)``; ``count_include_pad`` counts zero padding in the mean."""
    return _avg_pool(2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-d average pooling over ``(N, C, D, H, W)``."""
    return _avg_pool(3, "avg_pool3d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def _adaptive_out(nd, output_size, size, name="adaptive_pool"):
    out = _tuple(output_size, nd)
    out = tuple(n if o is None else int(o) for o, n in zip(out, size))
    if any(o < 0 for o in out):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 "
                           f"but received {list(out)}")
    return out


def _adaptive_avg(nd, name, input, output_size):
    x, batched = _batched(input, nd, name)
    size = tuple(x.shape[2:])
    out = _adaptive_out(nd, output_size, size, name)
    if any(n == 0 for n in x.shape[1:]):
        raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, "
                           f"but input has sizes {list(input.shape)} with dimension 1 being empty")
    if all(o == 1 for o in out):
        y = x.mean(tuple(range(2, nd + 2)), keepdim=True)
    elif all(n % o == 0 for n, o in zip(size, out)):
        k = tuple(n // o for n, o in zip(size, out))
        xp = array_module(x._data)
        div = xp.full(out, float(_prod(k)), dtype=x._data.dtype)
        y = _pool.AvgPool.apply(x, kernel=k, stride=k, pads=((0, 0),) * nd, divisor=div)
    else:
        # adaptive averaging is separable: one averaging matrix per dim
        xp = array_module(x._data)
        y = x
        for i, (n, o) in enumerate(zip(size, out)):
            start, end, _ = _pool.adaptive_ranges(xp, n, o)
            j = xp.arange(n)
            m = ((j[None, :] >= start[:, None]) & (j[None, :] < end[:, None])).astype(x._data.dtype)
            m /= (end - start)[:, None].astype(x._data.dtype)
            mt = _wrap(xp.ascontiguousarray(m.T), x._dtype, x._device)
            y = y.transpose(2 + i, -1).matmul(mt).transpose(2 + i, -1)
        y = y.contiguous()
    return y if batched else y.squeeze(0)


def _prod(v):
    p = 1
    for a in v:
        p *= a
    return p


def adaptive_avg_pool1d(input, output_size):
    """Average pooling to a fixed output length (torch's window rule: floor start, ceil end)."""
    return _adaptive_avg(1, "adaptive_avg_pool1d", input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed ``(H_out, W_out)``; ``None`` keeps that dim's size."""
    return _adaptive_avg(2, "adaptive_avg_pool2d", input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling to a fixed ``(D_out, H_out, W_out)``."""
    return _adaptive_avg(3, "adaptive_avg_pool3d", input, output_size)


def _adaptive_max(nd, name, input, output_size, return_indices):
    x, batched = _batched(input, nd, name)
    out = _adaptive_out(nd, output_size, x.shape[2:], name)
    fn = functools.partial(_pool.adaptive_max_kernel, out=out)
    values, idx = _pool.MaxPoolWithIndices.apply(x, kernel_fn=fn, nd=nd)
    if not batched:
        values, idx = values.squeeze(0), idx.squeeze(0)
    return (values, idx) if return_indices else values


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling to a fixed output length."""
    return _adaptive_max(1, "adaptive_max_pool1d", input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed ``(H_out, W_out)``."""
    return _adaptive_max(2, "adaptive_max_pool2d", input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling to a fixed ``(D_out, H_out, W_out)``."""
    return _adaptive_max(3, "adaptive_max_pool3d", input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    """``adaptive_max_pool1d`` returning ``(values, indices)``."""
    return _adaptive_max(1, "adaptive_max_pool1d", input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    """``adaptive_max_pool2d`` returning ``(values, indices)``."""
    return _adaptive_max(2, "adaptive_max_pool2d", input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    """``adaptive_max_pool3d`` returning ``(values, indices)``."""
    return _adaptive_max(3, "adaptive_max_pool3d", input, output_size, True)


def _max_unpool(nd, name, input, indices, kernel_size, stride, padding, output_size):
    kernel = _tuple(kernel_size, nd)
    stride = kernel if stride is None else _tuple(stride, nd)
    padding = _tuple(padding, nd)
    size = input.shape[input.dim() - nd:]
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(size, stride, padding, kernel))
    if output_size is None:
        out = default
    else:
        out = tuple(output_size)[-nd:]
        for o, d, s in zip(out, default, stride):
            if not d - s < o < d + s:
                raise ValueError(f"invalid output_size {list(output_size)} (dim must be between "
                                 f"{d - s} and {d + s})")
    if indices.shape != input.shape:
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}")
    lead = tuple(input.shape[: input.dim() - nd])
    from ember._factories import zeros

    base = zeros(lead + (_prod(out),), dtype=input.dtype, device=input.device)
    flat_idx = indices.reshape(lead + (-1,))
    return base.scatter(len(lead), flat_idx, input.reshape(lead + (-1,))).reshape(lead + out)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool1d``: put each value at its index, zeros elsewhere."""
    return _max_unpool(1, "max_unpool1d", input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool2d``: put each value at its index, zeros elsewhere."""
    return _max_unpool(2, "max_unpool2d", input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool3d``."""
    return _max_unpool(3, "max_unpool3d", input, indices, kernel_size, stride, padding, output_size)


def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode):
    kernel = _tuple(kernel_size, nd)
    avg = (avg_pool1d, avg_pool2d, avg_pool3d)[nd - 1]
    out = avg(input.pow(norm_type), kernel, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(_prod(kernel)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling ``(sum x^p)^(1/p)`` over 1-d windows."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling ``(sum x^p)^(1/p)`` over 2-d windows."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling ``(sum x^p)^(1/p)`` over 3-d windows."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


def _fractional_max(nd, name, input, kernel_size, output_size, output_ratio, return_indices,
                    _random_samples):
    if output_size is None and output_ratio is None:
        raise ValueError(
            f"{name} requires specifying either an output_size or an output_ratio"
        )
    x, batched = _batched(input, nd, name)
    kernel = _tuple(kernel_size, nd)
    size = tuple(x.shape[2:])
    if output_size is None:
        ratio = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
        out = tuple(int(n * r) for n, r in zip(size, ratio))
    else:
        out = _tuple(output_size, nd)
    dims = ("time", "height", "width")[3 - nd:]
    for n, o, k, dim in zip(size, out, kernel, dims):
        if o + k - 1 > n:
            raise RuntimeError(
                f"{name}(): pool {dim} {k} too large relative to input {dim} {n}"
            )
    if _random_samples is None:
        from ember.ops.random import rand

        _random_samples = rand(x.shape[0], x.shape[1], nd, dtype=x.dtype, device=x.device)
    samples = _random_samples._data
    if samples.shape != (x.shape[0], x.shape[1], nd):
        raise RuntimeError(
            f"Expect _random_samples to be of shape ({x.shape[0]}, {x.shape[1]}, {nd}), but got "
            f"{list(samples.shape)}"
        )
    fn = functools.partial(_pool.fractional_max_kernel, samples=samples.astype(x._data.dtype),
                           kernel=kernel, out=out)
    values, idx = _pool.MaxPoolWithIndices.apply(x, kernel_fn=fn, nd=nd)
    if not batched:
        values, idx = values.squeeze(0), idx.squeeze(0)
    return (values, idx) if return_indices else values


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Max pooling over ``kernel_size`` windows placed at pseudo-random fractional strides,
    to ``output_size`` or ``output_ratio`` of the input (Graham, 2014)."""
    return _fractional_max(2, "fractional_max_pool2d", input, kernel_size, output_size,
                           output_ratio, return_indices, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """3-d fractional max pooling over ``(N, C, T, H, W)``."""
    return _fractional_max(3, "fractional_max_pool3d", input, kernel_size, output_size,
                           output_ratio, return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """``fractional_max_pool2d`` returning ``(values, indices)``."""
    return _fractional_max(2, "fractional_max_pool2d", input, kernel_size, output_size,
                           output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """``fractional_max_pool3d`` returning ``(values, indices)``."""
    return _fractional_max(3, "fractional_max_pool3d", input, kernel_size, output_size,
                           output_ratio, True, _random_samples)
