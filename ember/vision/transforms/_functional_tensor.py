"""Tensor kernels behind ``ember.vision.transforms.functional``: padding indices, resampling
matrices (with torch's antialias filter), affine (rotation) sampling and HSV conversion, on
backend arrays through ``xp``."""

from __future__ import annotations

import math

import ember
from ember._tensor import Tensor, _wrap
from ember.backend import array_module, cpu

np = cpu.xp


def _pad_index(xp, n, lo, hi, mode):
    i = xp.arange(-lo, n + hi)
    if mode == "edge":
        return xp.clip(i, 0, n - 1)
    if mode == "reflect":
        if lo >= n or hi >= n:
            raise RuntimeError(
                f"Padding size should be less than the corresponding input dimension, but "
                f"got: padding ({lo}, {hi}) at dimension of input {n}"
            )
        period = 2 * (n - 1) if n > 1 else 1
        i = i % period
        return xp.where(i >= n, period - i, i)
    i = i % (2 * n)  # symmetric: the edge pixel is repeated
    return xp.where(i >= n, 2 * n - 1 - i, i)


def _filter_weights(xp, n_in, n_out, mode, antialias):
    """The ``(n_out, n_in)`` resampling matrix of torch's ``interpolate(align_corners=False)``.

    With ``antialias`` the filter is stretched by the downscale factor (Pillow's scheme, which torch
    follows): each output pixel averages every input pixel under its footprint.
    """
    scale = n_in / n_out
    rows = xp.arange(n_out)
    m = xp.zeros((n_out, n_in), dtype=xp.float64)
    if mode == "bilinear":
        half, a = 1.0, None
    else:
        half, a = 2.0, (-0.5 if antialias else -0.75)
    if not antialias:
        from ember.nn.functional.vision import _matrix

        return _matrix(xp, n_in, n_out, scale, mode, False, xp.float64)
    support = half * scale if scale >= 1.0 else half
    inv = 1.0 / scale if scale >= 1.0 else 1.0
    center = scale * (rows + 0.5)
    lo = xp.maximum(xp.trunc(center - support + 0.5), 0).astype(xp.int64)
    hi = xp.minimum(xp.trunc(center + support + 0.5), n_in).astype(xp.int64)
    width = int((hi - lo).max()) if n_out else 0
    j = lo[:, None] + xp.arange(width)[None, :]
    x = xp.abs((j - center[:, None] + 0.5) * inv)
    if a is None:
        w = xp.clip(1.0 - x, 0.0, None)
    else:
        w = xp.where(
            x < 1.0,
            ((a + 2) * x - (a + 3)) * x * x + 1,
            xp.where(x < 2.0, (((x - 5) * x + 8) * x - 4) * a, 0.0),
        )
    w = xp.where(j < hi[:, None], w, 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = w / xp.where(total == 0, 1.0, total)
    xp.add.at(m, (xp.broadcast_to(rows[:, None], j.shape), xp.minimum(j, n_in - 1)), w)
    return m


def _resize_tensor(img: Tensor, size, mode: str, antialias: bool) -> Tensor:
    oh, ow = size
    h, w = img.shape[-2:]
    dtype = img.dtype
    x = img if dtype in (ember.float32, ember.float64) else img.to(ember.float32)
    xp = array_module(img._data)
    if mode in ("nearest", "nearest-exact"):
        off = 0.5 if mode == "nearest-exact" else 0.0
        for dim, n, o in ((-2, h, oh), (-1, w, ow)):
            if n == o:
                continue
            # float32 index arithmetic, as torch's nearest kernels compute it
            src = xp.floor((xp.arange(o, dtype=xp.float32) + off) * xp.float32(n / o))
            src = xp.minimum(src.astype(xp.int64), n - 1)
            x = x.index_select(dim, _wrap(src, ember.int64, img.device))
        out = x
    else:
        if mode not in ("bilinear", "bicubic"):
            raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
        out = x
        lead = tuple(x.shape[:-2])
        # Each pass is one 2-D GEMM over all rows of the batch: (rows, n) @ (n, out).
        if w != ow or mode == "bicubic":
            mw = _filter_weights(xp, w, ow, mode, antialias).T.astype(x._data.dtype)
            mw = _wrap(xp.ascontiguousarray(mw), x.dtype, img.device)
            out = out.reshape(-1, w).matmul(mw).reshape(*lead, h, ow)
        if h != oh or mode == "bicubic":
            mh = _filter_weights(xp, h, oh, mode, antialias).T.astype(x._data.dtype)
            mh = _wrap(xp.ascontiguousarray(mh), x.dtype, img.device)
            cols = out.shape[-1]
            out = out.transpose(-1, -2).reshape(-1, h).matmul(mh)
            out = out.reshape(*lead, cols, oh).transpose(-1, -2).contiguous()
        if out is x:
            out = x.clone()
        if mode == "bicubic" and dtype == ember.uint8:
            out = out.clamp(0, 255)
    if out.dtype != dtype:
        if not dtype.is_floating_point:
            out = ember.round(out)
        out = out.to(dtype)
    return out


def _rotation_output_size(matrix, w, h):
    # float32, as torchvision computes it: in float64 cos(90 deg) noise can add a whole pixel
    f32 = np.float32
    pts = np.array(
        [[-0.5 * w, -0.5 * h], [-0.5 * w, 0.5 * h], [0.5 * w, 0.5 * h], [0.5 * w, -0.5 * h]],
        dtype=f32,
    )
    theta = np.array(matrix, dtype=f32).reshape(2, 3)
    new = pts @ theta[:, :2].T + theta[:, 2]
    half = np.array([w * 0.5, h * 0.5], dtype=f32)
    lo, hi = new.min(axis=0) + half, new.max(axis=0) + half
    tol = f32(1e-4)  # trim ~1e-7 noise that would ceil to a whole extra pixel
    size = np.ceil(np.trunc(hi / tol) * tol) - np.floor(np.trunc(lo / tol) * tol)
    return int(size[0]), int(size[1])


def _sample(img: Tensor, sx, sy, mode, fill):
    """Sample ``img`` (N, C, H, W) at pixel coordinates ``sx, sy`` (oh, ow), zero/fill outside."""
    xp = array_module(img._data)
    data = img._data
    n, c, h, w = data.shape
    ftype = data.dtype
    if mode == "nearest":
        ix = xp.rint(sx).astype(xp.int64)  # round half to even, as grid_sample's nearest
        iy = xp.rint(sy).astype(xp.int64)
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        out = data[:, :, xp.clip(iy, 0, h - 1), xp.clip(ix, 0, w - 1)]
        fillv = xp.asarray(fill if fill is not None else [0.0], dtype=ftype).reshape(1, -1, 1, 1)
        out = xp.where(inside, out, fillv)
    elif mode == "bilinear":
        x0, y0 = xp.floor(sx), xp.floor(sy)
        fx, fy = (sx - x0).astype(ftype), (sy - y0).astype(ftype)
        x0, y0 = x0.astype(xp.int64), y0.astype(xp.int64)
        out = xp.zeros((n, c) + sx.shape, dtype=ftype)
        mask = xp.zeros(sx.shape, dtype=ftype)
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                xi, yi = x0 + dx, y0 + dy
                ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
                wgt = xp.where(ok, wx * wy, 0).astype(ftype)
                out += data[:, :, xp.clip(yi, 0, h - 1), xp.clip(xi, 0, w - 1)] * wgt
                mask += wgt
        if fill is not None:
            fillv = xp.asarray(fill, dtype=ftype).reshape(1, -1, 1, 1)
            out = out * mask + (1.0 - mask) * fillv
    else:
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    return _wrap(xp.ascontiguousarray(out), img.dtype, img.device)


def _rgb_to_hsv(xp, rgb):
    r, g, b = rgb[..., 0, :, :], rgb[..., 1, :, :], rgb[..., 2, :, :]
    maxc, minc = rgb.max(axis=-3), rgb.min(axis=-3)
    eq = maxc == minc
    cr = maxc - minc
    s = cr / xp.where(eq, 1, maxc)
    div = xp.where(eq, 1, cr)
    rc, gc, bc = (maxc - r) / div, (maxc - g) / div, (maxc - b) / div
    h = xp.where(maxc == r, bc - gc, xp.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = xp.where(eq, 0, h)
    h = xp.fmod(h / 6.0 + 1.0, 1.0)
    return h, s, maxc


def _hsv_to_rgb(xp, h, s, v):
    i = xp.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(xp.int64) % 6
    p = xp.clip(v * (1.0 - s), 0.0, 1.0)
    q = xp.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = xp.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    chans = [xp.choose(i, [ch[k] for ch in choices]) for k in range(3)]
    return xp.stack(chans, axis=-3)


def _inverse_affine_matrix(center, angle, translate, scale, shear):
    """The 2x3 map from output to input pixel coordinates (row-major list of 6) of the affine
    ``translate . (rotate by angle, scale, shear about center)``; angles in degrees."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # forward linear part [[a, b], [c, d]] = rotation . shear (shear y then x), times scale
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    # its inverse (det = 1 before scaling), then the translations undone about the centre
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    m[2] = m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] = m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _affine_tensor(img, matrix, mode, fill, out_size=None):
    """Resample a tensor image through ``matrix`` (output -> input, centred coordinates)."""
    h, w = img.shape[-2:]
    c = 1 if img.ndim == 2 else img.shape[-3]
    ow, oh = out_size or (w, h)
    if fill is not None:
        fill = [float(fill)] * c if isinstance(fill, (int, float)) else [float(f) for f in fill]
        if len(fill) not in (1, c):
            raise ValueError(
                "The number of elements in 'fill' cannot broadcast to match the number of "
                f"channels of the image ({len(fill)} != {c})"
            )
    x = img.reshape(-1, c, h, w)
    dtype = img.dtype
    if not dtype.is_floating_point:
        x = x.to(ember.float32)
    xp = array_module(x._data)
    ftype = x._data.dtype
    # The grid is computed as torchvision does (normalised to [-1, 1], then mapped back to pixels
    # as grid_sample(align_corners=False) does), in the image's float type, so nearest sampling
    # rounds the same way at half-pixel ties.
    t = ftype.type
    gx = xp.arange(ow, dtype=ftype) - t(ow * 0.5 - 0.5)
    gy = xp.arange(oh, dtype=ftype)[:, None] - t(oh * 0.5 - 0.5)
    m = [t(v) / t(0.5 * s) for v, s in zip(matrix, (w, w, w, h, h, h), strict=True)]
    nx = gx * m[0] + gy * m[1] + m[2]
    ny = gx * m[3] + gy * m[4] + m[5]
    sx = ((nx + t(1)) * t(w) - t(1)) / t(2)
    sy = ((ny + t(1)) * t(h) - t(1)) / t(2)
    out = _sample(x, sx, sy, mode, fill)
    if out.dtype != dtype:
        out = ember.round(out).to(dtype)
    return out.reshape(*img.shape[:-3], c, oh, ow) if img.ndim >= 3 else out.reshape(oh, ow)
