"""Resampling: ``interpolate``, ``pixel_shuffle`` / ``pixel_unshuffle``, ``channel_shuffle``,
``grid_sample`` and ``affine_grid``.

Interpolation is separable: along each resized dim the output is a fixed sparse mix of input
rows, built once as a small ``(out, in)`` matrix and applied with one matmul, so gradients (of
any order) come from matmul's own.  ``grid_sample`` gathers the corner values with ember ops, so
the input and the grid both get gradients.
"""

from __future__ import annotations

import math

import ember
from ember._tensor import Tensor, _wrap
from ember.backend import array_module

_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3, "lanczos": 2}


def _source(xp, n_in, n_out, scale, align_corners, cubic=False):
    dst = xp.arange(n_out, dtype=xp.float64)
    if align_corners:
        return dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    src = (dst + 0.5) * scale - 0.5
    return src if cubic else xp.maximum(src, 0.0)


def _cubic_weights(t, a=-0.75):
    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _matrix(xp, n_in, n_out, scale, mode, align_corners, dtype):
    """The ``(n_out, n_in)`` interpolation matrix along one dim."""
    m = xp.zeros((n_out, n_in), dtype=xp.float64)
    rows = xp.arange(n_out)
    if mode in ("nearest", "nearest-exact"):
        dst = xp.arange(n_out, dtype=xp.float64)
        off = 0.5 if mode == "nearest-exact" else 0.0
        src = xp.minimum(xp.floor((dst + off) * scale).astype(xp.int64), n_in - 1)
        m[rows, src] = 1.0
    elif mode == "bicubic":
        src = _source(xp, n_in, n_out, scale, align_corners, cubic=True)
        i0 = xp.floor(src)
        t = src - i0
        for j, w in enumerate(_cubic_weights(t)):
            idx = xp.clip(i0.astype(xp.int64) - 1 + j, 0, n_in - 1)
            xp.add.at(m, (rows, idx), w)
    else:
        src = _source(xp, n_in, n_out, scale, align_corners)
        i0 = xp.floor(src).astype(xp.int64)
        i0 = xp.minimum(i0, n_in - 1)
        i1 = xp.minimum(i0 + 1, n_in - 1)
        lam = src - i0
        xp.add.at(m, (rows, i0), 1.0 - lam)
        xp.add.at(m, (rows, i1), lam)
    return m.astype(dtype)


def _aa_matrix(xp, n_in, n_out, scale, mode, align_corners, dtype):
    """The ``(n_out, n_in)`` matrix of torch's antialiased resampling (``antialias=True``): a
    triangle (bilinear) or Keys a=-0.5 cubic (bicubic) filter, widened by the scale when
    downsampling, each row normalised to sum 1."""
    if align_corners:
        scale = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    size = {"bilinear": 2, "bicubic": 4, "lanczos": 6}[mode]
    support = size * 0.5 * scale if scale >= 1.0 else size * 0.5
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    center = scale * (xp.arange(n_out, dtype=xp.float64) + 0.5)
    # C++ truncation toward zero of center -/+ support + 0.5
    xmin = xp.maximum(xp.trunc(center - support + 0.5), 0).astype(xp.int64)
    xmax = xp.minimum(xp.trunc(center + support + 0.5).astype(xp.int64), n_in)
    cols = xp.arange(n_in)
    inside = (cols[None, :] >= xmin[:, None]) & (cols[None, :] < xmax[:, None])
    x = xp.abs((cols[None, :] - center[:, None] + 0.5) * invscale)
    if mode == "bilinear":
        w = xp.maximum(1.0 - x, 0.0)
    elif mode == "lanczos":  # Lanczos-3: sinc(x) sinc(x / 3) on |x| < 3
        w = xp.where(x < 3.0, xp.sinc(x) * xp.sinc(x / 3.0), 0.0)
    else:
        a = -0.5
        w = xp.where(x < 1.0, ((a + 2) * x - (a + 3)) * x * x + 1,
                     xp.where(x < 2.0, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, 0.0))
    w = xp.where(inside, w, 0.0)
    total = w.sum(1, keepdims=True)
    w = w / xp.where(total == 0, 1.0, total)
    return w.astype(dtype)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of ``(N, C, *spatial)`` by ``size`` or ``scale_factor``.

    Modes: ``nearest``, ``nearest-exact``, ``linear`` (3-D input), ``bilinear`` / ``bicubic``
    (4-D), ``trilinear`` (5-D), ``area`` (adaptive average pooling), ``lanczos`` (4-D, needs
    ``antialias=True``).  ``antialias=True`` (bilinear, bicubic, lanczos) widens the filter
    when downsampling, as torch (and Pillow) do.

    >>> F.interpolate(ember.randn(1, 3, 4, 4), scale_factor=2, mode="bilinear").shape
    ember.Size([1, 3, 8, 8])
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif mode not in _DIMS:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: "
            f"nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got {mode})")
    if align_corners is None:
        align_corners = False
    nd = input.dim() - 2
    if antialias and (mode not in ("bilinear", "bicubic", "lanczos") or nd != 2):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    if mode == "lanczos" and nd == 2:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if nd < 1 or nd > 3:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D)")
    if mode in _DIMS and _DIMS[mode] != nd:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {_DIMS[mode] + 2}D input")
    in_size = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        out = tuple(size) if isinstance(size, (tuple, list)) else (size,) * nd
        if len(out) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got "
                             f"input with spatial dimensions of {list(in_size)} and output size of {out}. "
                             "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size "
                             "in (o1, o2, ...,oK) format.")
        scales = [n / o for n, o in zip(in_size, out)]
    elif scale_factor is not None:
        sf = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * nd
        if len(sf) != nd:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but "
                             f"got input with spatial dimensions of {list(in_size)} and scale_factor of "
                             f"shape {sf}.")
        out = tuple(int(math.floor(n * s)) for n, s in zip(in_size, sf))
        if recompute_scale_factor:
            scales = [n / o for n, o in zip(in_size, out)]
        else:
            scales = [1.0 / s for s in sf]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if mode == "area":
        from ember.nn.functional import pooling

        return (pooling.adaptive_avg_pool1d, pooling.adaptive_avg_pool2d,
                pooling.adaptive_avg_pool3d)[nd - 1](input, out)
    aa_scales = scales
    if align_corners:
        scales = [n / o for n, o in zip(in_size, out)]
    xp = array_module(input._data)
    y = input
    for i, (n, o, s) in enumerate(zip(in_size, out, scales)):
        if antialias:
            m = _aa_matrix(xp, n, o, aa_scales[i], mode, align_corners, input._data.dtype)
            mt = _wrap(xp.ascontiguousarray(m.T), input._dtype, input._device)
            y = y.matmul(mt) if i == nd - 1 else y.transpose(2 + i, -1).matmul(mt).transpose(2 + i, -1)
            continue
        if n == o and mode != "bicubic" and (mode.startswith("nearest") or align_corners or s == 1.0):
            continue
        if mode.startswith("nearest"):
            dst = xp.arange(o, dtype=xp.float64)
            off = 0.5 if mode == "nearest-exact" else 0.0
            src = xp.minimum(xp.floor((dst + off) * s).astype(xp.int64), n - 1)
            y = y.index_select(2 + i, _wrap(src, ember.int64, input._device))
            continue
        m = _matrix(xp, n, o, s, mode, align_corners, input._data.dtype)
        mt = _wrap(xp.ascontiguousarray(m.T), input._dtype, input._device)
        if i == nd - 1:
            y = y.matmul(mt)
        else:
            y = y.transpose(2 + i, -1).matmul(mt).transpose(2 + i, -1)
    return y.contiguous() if y is not input else y.clone()


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """``interpolate(..., mode='nearest')``."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """``interpolate(..., mode='bilinear', align_corners=True)``."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C * r^2, H, W) -> (*, C, H * r, W * r)``."""
    r = upscale_factor
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
                           f"square of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    lead = tuple(lead)
    k = len(lead)
    y = input.reshape(lead + (c // (r * r), r, r, h, w))
    y = y.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return y.reshape(lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H * r, W * r) -> (*, C * r^2, H, W)``."""
    r = downscale_factor
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={h} is not divisible by {r}" if h % r else
                           f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r}")
    lead = tuple(lead)
    k = len(lead)
    y = input.reshape(lead + (c, h // r, r, w // r, r))
    y = y.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return y.reshape(lead + (c * r * r, h // r, w // r))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``(N, C, *)`` from ``groups`` groups."""
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c = input.shape[:2]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape((n, groups, c // groups) + rest).transpose(1, 2).reshape((n, c) + rest)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """The same as ``channel_shuffle`` (torch's non-quantised kernel name)."""
    return channel_shuffle(input, groups)


def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """Sampling grid ``(N, H, W, 2)`` (or ``(N, D, H, W, 3)``) of the affine maps ``theta``."""
    if align_corners is None:
        align_corners = False
    if not theta._dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = list(size)
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {list(theta.shape)}.")
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {list(theta.shape)}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine "
                                  f"transforms, respectively. Got size {size}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    xp = array_module(theta._data)
    spatial = size[2:][::-1]  # x (W) first, as the grid's last dim is ordered
    axes = []
    for n in spatial:
        lin = xp.linspace(-1.0, 1.0, n) if n > 1 else xp.zeros(1)
        if not align_corners:
            lin = lin * (n - 1) / n
        axes.append(lin)
    mesh = xp.meshgrid(*axes[::-1], indexing="ij")  # D, H, W order
    base = xp.stack(list(mesh[::-1]) + [xp.ones_like(mesh[0])], axis=-1).reshape(-1, len(spatial) + 1)
    base = _wrap(base.astype(theta._data.dtype), theta._dtype, theta._device)
    grid = base.matmul(theta.transpose(1, 2))
    return grid.reshape([size[0]] + size[2:] + [len(spatial)])


def _unnormalize(coord, n, align_corners):
    if align_corners:
        return (coord + 1) * ((n - 1) / 2)
    return ((coord + 1) * n - 1) / 2


def _reflect(coord, low2, high2):
    if low2 == high2:
        return coord * 0
    lo = low2 / 2
    span = (high2 - low2) / 2
    c = (coord - lo).abs()
    extra = c.fmod(span)
    flips = (c / span).floor().detach()
    even = flips.fmod(2) == 0
    return ember.where(even, extra + lo, span - extra + lo)


def _source_coord(coord, n, padding_mode, align_corners):
    c = _unnormalize(coord, n, align_corners)
    if padding_mode == "border":
        c = c.clamp(0, n - 1)
    elif padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (n - 1)) if align_corners else _reflect(c, -1, 2 * n - 1)
        c = c.clamp(0, n - 1)
    return c


def _cubic_coeffs(t, a=-0.75):
    """Keys' cubic convolution weights of the four taps around a point at fraction ``t``."""
    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None) -> Tensor:
    """Sample ``input (N, C, H, W)`` at ``grid (N, H_out, W_out, 2)`` points in ``[-1, 1]``
    (or ``(N, C, D, H, W)`` at ``(N, D_out, H_out, W_out, 3)``).

    Modes ``bilinear`` (trilinear on 5-D input), ``nearest`` and ``bicubic`` (4-D only);
    ``padding_mode`` ``zeros``, ``border`` or ``reflection``.  The input and the grid both get
    gradients (the grid's is zero in nearest mode, as in torch).
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
                         f"'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        align_corners = False
    nd = input.dim() - 2
    if nd not in (2, 3) or grid.dim() != input.dim() or grid.shape[-1] != nd \
            or grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of "
                           f"dimensions, but got input with sizes {list(input.shape)} and grid with "
                           f"sizes {list(grid.shape)}")
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    n, c = input.shape[:2]
    sizes = tuple(input.shape[2:])  # (D,) H, W
    out_sp = tuple(grid.shape[1:-1])
    npts = 1
    for o in out_sp:
        npts *= o
    strides = [1] * nd
    for d in range(nd - 2, -1, -1):
        strides[d] = strides[d + 1] * sizes[d + 1]
    flat = input.reshape(n, c, strides[0] * sizes[0])
    # grid's last dim runs x, y(, z): x indexes the last spatial dim
    raw = [grid[..., nd - 1 - d] for d in range(nd)]

    def tap(idx):
        """Values at integer positions ``idx`` (one detached tensor per spatial dim), and a
        0/1 mask of the positions inside the input."""
        valid = None
        lin = 0
        for d in range(nd):
            ok = (idx[d] >= 0) & (idx[d] <= sizes[d] - 1)
            valid = ok if valid is None else valid & ok
            lin = lin + idx[d].clamp(0, sizes[d] - 1) * strides[d]
        lin = lin.to(ember.int64).reshape(n, 1, npts)
        vals = flat.gather(2, lin.expand(n, c, npts)).reshape((n, c) + out_sp)
        return vals, valid.to(input.dtype).unsqueeze(1)

    if mode == "bicubic":
        # taps at integer positions around the unpadded coordinate; padding applies to each tap
        coord = [_unnormalize(g, sizes[d], align_corners) for d, g in enumerate(raw)]
        base = [cd.detach().floor() for cd in coord]
        weights = [[w.unsqueeze(1) for w in _cubic_coeffs(cd - b)] for cd, b in zip(coord, base)]
        out = None
        for i in range(4):
            for j in range(4):
                pos = [base[0] + (i - 1), base[1] + (j - 1)]
                pos = [_source_coord_int(p, sizes[d], padding_mode, align_corners) for d, p in enumerate(pos)]
                vals, valid = tap(pos)
                term = vals * valid * (weights[0][i] * weights[1][j])
                out = term if out is None else out + term
        return out
    src = [_source_coord(g, sizes[d], padding_mode, align_corners) for d, g in enumerate(raw)]
    if mode == "nearest":
        vals, valid = tap([s.detach().round() for s in src])
        # torch gives the grid a zero gradient in nearest mode
        return vals * valid + sum(s for s in src).unsqueeze(1) * 0
    lo = [s.detach().floor() for s in src]
    frac = [(s - f).unsqueeze(1) for s, f in zip(src, lo)]
    out = None
    for corner in range(1 << nd):
        pos, wgt = [], None
        for d in range(nd):
            hi = (corner >> (nd - 1 - d)) & 1
            pos.append(lo[d] + hi)
            w = frac[d] if hi else 1 - frac[d]
            wgt = w if wgt is None else wgt * w
        vals, valid = tap(pos)
        term = vals * (wgt * valid)
        out = term if out is None else out + term
    return out


def _source_coord_int(pos, n, padding_mode, align_corners):
    """Padding applied to an integer tap position (bicubic): clamp or reflect into range."""
    if padding_mode == "border":
        return pos.clamp(0, n - 1)
    if padding_mode == "reflection":
        pos = _reflect(pos, 0, 2 * (n - 1)) if align_corners else _reflect(pos, -1, 2 * n - 1)
        return pos.clamp(0, n - 1).floor()
    return pos
