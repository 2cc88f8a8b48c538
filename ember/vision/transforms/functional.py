"""Image transforms as functions, as ``torchvision.transforms.functional``.

Every function takes an ember tensor image ``(..., C, H, W)`` (one image or a batch) or a PIL image
and returns the same kind.  PIL images go through Pillow (``_functional_pil``), exactly as
torchvision does; tensors go through ember ops, so float images keep their autograd history
where the operation is differentiable (crops, flips, pads, resizes, colour blends).

Integer images (uint8 ...) are resampled in float32 and rounded back, as torchvision's tensor
path does.
"""

from __future__ import annotations

import numbers
from enum import Enum

import ember
from ember._tensor import Tensor, _wrap
from ember.backend import array_module, cpu
from ember.vision.transforms import _functional_pil as F_pil
from ember.vision.transforms._functional_tensor import (
    _affine_tensor,
    _hsv_to_rgb,
    _inverse_affine_matrix,
    _pad_index,
    _resize_tensor,
    _rgb_to_hsv,
    _rotation_output_size,
)

np = cpu.xp


class InterpolationMode(Enum):
    """Resampling filters, named as torchvision's."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's resampling constants (Image.Resampling values), so Pillow need not be imported here.
_PIL_MODES = {
    InterpolationMode.NEAREST: 0,
    InterpolationMode.NEAREST_EXACT: 0,
    InterpolationMode.LANCZOS: 1,
    InterpolationMode.BILINEAR: 2,
    InterpolationMode.BICUBIC: 3,
    InterpolationMode.BOX: 4,
    InterpolationMode.HAMMING: 5,
}
_FROM_INT = {
    0: InterpolationMode.NEAREST,
    1: InterpolationMode.LANCZOS,
    2: InterpolationMode.BILINEAR,
    3: InterpolationMode.BICUBIC,
    4: InterpolationMode.BOX,
    5: InterpolationMode.HAMMING,
}


def _interpolation(mode) -> InterpolationMode:
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, int):
        return _FROM_INT[mode]
    value = getattr(mode, "value", mode)  # also another library's enum of the same names
    if isinstance(value, str):
        return InterpolationMode(value)
    raise TypeError(
        "Argument interpolation should be a InterpolationMode or a corresponding Pillow "
        "integer constant"
    )


def _is_tensor_image(img) -> bool:
    if not isinstance(img, Tensor):
        return False
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    return True


def _check_image(img) -> bool:
    """True for a tensor image, False for a PIL image, TypeError otherwise."""
    if isinstance(img, Tensor):
        return _is_tensor_image(img)
    if F_pil.is_pil_image(img):
        return False
    raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def _max_value(dtype) -> int:
    if dtype.is_floating_point:
        return 1
    return int(ember.iinfo(dtype).max) if hasattr(ember, "iinfo") else _INT_MAX[dtype]


_INT_MAX = {
    ember.uint8: 255,
    ember.int8: 127,
    ember.int16: 32767,
    ember.int32: 2**31 - 1,
    ember.int64: 2**63 - 1,
    ember.bool: 1,
}


def get_dimensions(img) -> list[int]:
    """``[channels, height, width]`` of an image."""
    if _check_image(img):
        c = 1 if img.ndim == 2 else img.shape[-3]
        return [c, img.shape[-2], img.shape[-1]]
    return F_pil.get_dimensions(img)


def get_image_size(img) -> list[int]:
    """``[width, height]`` of an image."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    """Number of channels of an image."""
    return get_dimensions(img)[0]


# ----------------------------------------------------------------------------- conversion


def to_tensor(pic) -> Tensor:
    """A PIL image or ``H x W x C`` array as a ``C x H x W`` tensor; uint8 is scaled to [0, 1]."""
    if F_pil.is_pil_image(pic):
        types = {"I": np.int32, "I;16": np.int16, "F": np.float32}
        arr = np.array(pic, dtype=types.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            arr = arr * np.uint8(255)
        arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    elif cpu.is_numpy(pic):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    chw = arr.transpose(2, 0, 1)
    if chw.dtype == np.uint8:
        # the same float division as torchvision's img.to(float).div(255), done on the host
        dtype = ember.get_default_dtype()
        ftype = np.float64 if dtype == ember.float64 else np.float32
        out = np.empty(chw.shape, dtype=ftype)
        out = ember.from_numpy(np.divide(chw, ftype(255), out=out, dtype=ftype))
        return out if out.dtype == dtype else out.to(dtype)
    return ember.from_numpy(np.ascontiguousarray(chw))


def pil_to_tensor(pic) -> Tensor:
    """A PIL image as a ``C x H x W`` tensor of its own dtype (no scaling)."""
    if not F_pil.is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def to_pil_image(pic, mode=None):
    """A ``C x H x W`` tensor or ``H x W x C`` array as a PIL image (floats are scaled by 255)."""
    Image = F_pil._pil()
    if isinstance(pic, Tensor):
        if pic.ndim == 3:
            pic = pic.permute(1, 2, 0)
        pic = pic.detach().cpu().numpy()
    elif not cpu.is_numpy(pic):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = pic[:, :, None]
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    if np.issubdtype(pic.dtype, np.floating) and mode != "F":
        pic = (pic * 255).astype(np.uint8)
    c = pic.shape[2]
    if c == 1:
        pic = pic[:, :, 0]
        expected = {
            np.dtype(np.uint8): "L",
            np.dtype(np.int16): "I;16",
            np.dtype(np.int32): "I",
            np.dtype(np.float32): "F",
        }.get(pic.dtype)
        if mode is not None and mode != expected:
            raise ValueError(
                f"Incorrect mode ({mode}) supplied for input type {pic.dtype}. Should be {expected}"
            )
        mode = expected
    elif mode is None and pic.dtype == np.uint8:
        mode = {2: "LA", 3: "RGB", 4: "RGBA"}[c]
    if mode is None:
        raise TypeError(f"Input type {pic.dtype} is not supported")
    return Image.fromarray(np.ascontiguousarray(pic), mode=mode)


def convert_image_dtype(image: Tensor, dtype=ember.float32) -> Tensor:
    """Convert an image tensor to ``dtype``, rescaling values to the new type's range."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == ember.float32 and dtype in (ember.int32, ember.int64)) or (
            image.dtype == ember.float64 and dtype == ember.int64
        ):
            raise RuntimeError(
                f"The cast from {image.dtype} to {dtype} cannot be performed safely."
            )
        # max + 1 - eps spreads [0, 1] evenly over the integer range (only 1.0 maps to max).
        return image.mul(float(_max_value(dtype)) + 1.0 - 1e-3).to(dtype)
    in_max = _max_value(image.dtype)
    if dtype.is_floating_point:
        return image.to(dtype) / float(in_max)
    out_max = _max_value(dtype)
    if in_max > out_max:
        return ember.div(image, (in_max + 1) // (out_max + 1), rounding_mode="floor").to(dtype)
    return image.to(dtype) * ((out_max + 1) // (in_max + 1))


def normalize(tensor: Tensor, mean, std, inplace: bool = False) -> Tensor:
    """``(tensor - mean) / std`` per channel of a float ``(..., C, H, W)`` image."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(
            "Expected tensor to be a tensor image of size (..., C, H, W). Got "
            f"tensor.size() = {tensor.size()}"
        )
    if not inplace and not tensor.requires_grad:
        # Per-sample hot path of data loading: one array expression instead of five ember ops
        # (the same float arithmetic: subtract, then divide, in the tensor's dtype).
        arr = tensor._data
        xp = array_module(arr)
        m = xp.asarray(mean._data if isinstance(mean, Tensor) else mean, dtype=arr.dtype)
        sd = xp.asarray(std._data if isinstance(std, Tensor) else std, dtype=arr.dtype)
        if bool((sd == 0).any()):
            raise ValueError(
                f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                "division by zero."
            )
        m = m.reshape(-1, 1, 1) if m.ndim == 1 else m
        sd = sd.reshape(-1, 1, 1) if sd.ndim == 1 else sd
        return _wrap((arr - m) / sd, tensor.dtype, tensor.device)
    if not inplace:
        tensor = tensor.clone()
    mean = ember.as_tensor(mean, dtype=tensor.dtype, device=tensor.device)
    std = ember.as_tensor(std, dtype=tensor.dtype, device=tensor.device)
    if bool((std == 0).any()):
        raise ValueError(
            f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
            "division by zero."
        )
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


# ----------------------------------------------------------------------------- geometry


def hflip(img):
    """Flip left to right."""
    return img.flip(-1) if _check_image(img) else F_pil.hflip(img)


def vflip(img):
    """Flip top to bottom."""
    return img.flip(-2) if _check_image(img) else F_pil.vflip(img)


def _parse_padding(padding):
    """``[left, top, right, bottom]`` from an int or a 1-, 2- or 4-sequence."""
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    if len(padding) not in (1, 2, 4):
        raise ValueError(
            f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} "
            "element tuple"
        )
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    return list(padding)


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the last two dims; ``padding`` is an int, ``(lr, tb)`` or ``(left, top, right, bottom)``.

    ``padding_mode``: ``constant`` (with ``fill``), ``edge``, ``reflect`` or ``symmetric``.
    """
    if fill is None:
        fill = 0
    left, top, right, bottom = _parse_padding(padding)
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if not _check_image(img):
        return F_pil.pad(img, [left, top, right, bottom], fill, padding_mode)
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if padding_mode == "constant":
        return ember.nn.functional.pad(img, [left, right, top, bottom], value=float(fill))
    if min(left, top, right, bottom) < 0:
        h, w = img.shape[-2:]
        img = img[..., max(-top, 0) : h - max(-bottom, 0), max(-left, 0) : w - max(-right, 0)]
        left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    xp = array_module(img._data)
    h, w = img.shape[-2:]
    rows = _wrap(_pad_index(xp, h, top, bottom, padding_mode), ember.int64, img.device)
    cols = _wrap(_pad_index(xp, w, left, right, padding_mode), ember.int64, img.device)
    return img.index_select(-2, rows).index_select(-1, cols)


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height x width`` window at ``(top, left)``; parts outside the image are zero."""
    if not _check_image(img):
        return F_pil.crop(img, top, left, height, width)
    h, w = img.shape[-2:]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        pads = [
            max(-left + min(0, right), 0),
            max(-top + min(0, bottom), 0),
            max(right - max(w, left), 0),
            max(bottom - max(h, top), 0),
        ]
        return pad(img[..., max(top, 0) : bottom, max(left, 0) : right], pads, fill=0)
    return img[..., top:bottom, left:right]


def center_crop(img, output_size):
    """Crop the centre; pads with zeros first when the crop is larger than the image."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, h, w = get_dimensions(img)
    ch, cw = output_size
    if cw > w or ch > h:
        pads = [
            (cw - w) // 2 if cw > w else 0,
            (ch - h) // 2 if ch > h else 0,
            (cw - w + 1) // 2 if cw > w else 0,
            (ch - h + 1) // 2 if ch > h else 0,
        ]
        img = pad(img, pads, fill=0)
        _, h, w = get_dimensions(img)
        if cw == w and ch == h:
            return img
    return crop(img, int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0)), ch, cw)


def _resized_output_size(h, w, size, max_size):
    if len(size) == 1:
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = size[0], int(size[0] * long / short)
        if max_size is not None:
            if max_size <= size[0]:
                raise ValueError(
                    f"max_size = {max_size} must be strictly greater than the requested size "
                    f"for the smaller edge size = {size}"
                )
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return [new_long, new_short] if w <= h else [new_short, new_long]
    return [size[0], size[1]]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size``: ``(h, w)``, or an int for the smaller edge (keeping the aspect ratio).

    Tensor bilinear/bicubic resizing applies torch's antialiasing filter by default (as
    torchvision); PIL images are resized by Pillow.
    """
    interpolation = _interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(
                f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} "
                "element tuple/list"
            )
        if max_size is not None and len(size) != 1:
            raise ValueError(
                "max_size should only be passed if size specifies the length of the smaller "
                "edge, i.e. size should be an int or a sequence of length 1 in torchscript mode."
            )
    elif not isinstance(size, int):
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    _, h, w = get_dimensions(img)
    out_size = _resized_output_size(h, w, [size] if isinstance(size, int) else list(size), max_size)
    if [h, w] == out_size:
        return img
    if not isinstance(img, Tensor):
        return F_pil.resize(img, out_size, _PIL_MODES[interpolation])
    squeeze = img.ndim == 2
    x = img.unsqueeze(0) if squeeze else img
    out = _resize_tensor(x, out_size, interpolation.value, bool(antialias))
    return out.squeeze(0) if squeeze else out


def resized_crop(
    img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True
):
    """Crop, then resize to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def rotate(
    img,
    angle: float,
    interpolation=InterpolationMode.NEAREST,
    expand: bool = False,
    center=None,
    fill=None,
):
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (default: the image centre).

    ``expand`` grows the output to hold the whole rotated image; ``fill`` colours the area
    outside it (default 0).
    """
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not _check_image(img):
        return F_pil.rotate(img, angle, _PIL_MODES[interpolation], expand, center, fill)
    _, h, w = get_dimensions(img)
    cxy = (0.0, 0.0) if center is None else (center[0] - w * 0.5, center[1] - h * 0.5)
    matrix = _inverse_affine_matrix(cxy, -angle, (0.0, 0.0), 1.0, (0.0, 0.0))
    out_size = _rotation_output_size(matrix, w, h) if expand else None
    return _affine_tensor(img, matrix, interpolation.value, fill, out_size)


def affine(
    img,
    angle: float,
    translate,
    scale: float,
    shear,
    interpolation=InterpolationMode.NEAREST,
    fill=None,
    center=None,
):
    """Rotate by ``angle`` degrees, scale, shear (degrees, ``(x, y)`` or one number for x) about
    ``center`` (default: the image centre) and shift by ``translate`` ``(dx, dy)`` pixels."""
    interpolation = _interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _, h, w = get_dimensions(img)
    if not _check_image(img):
        cxy = [w * 0.5, h * 0.5] if center is None else center
        matrix = _inverse_affine_matrix(cxy, angle, translate, scale, shear)
        return F_pil.affine(img, matrix, _PIL_MODES[interpolation], fill)
    cxy = (0.0, 0.0) if center is None else (center[0] - w * 0.5, center[1] - h * 0.5)
    matrix = _inverse_affine_matrix(cxy, angle, [float(t) for t in translate], scale, shear)
    return _affine_tensor(img, matrix, interpolation.value, fill)


# ----------------------------------------------------------------------------- colour


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B``, as 1 or 3 channels."""
    if not _check_image(img):
        return F_pil.to_grayscale(img, num_output_channels)
    if img.ndim < 3:
        raise TypeError(
            f"Input image tensor should have at least 3 dimensions, but found {img.ndim}"
        )
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    c = img.shape[-3]
    if c not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {c}")
    if c == 3:
        r, g, b = img.unbind(-3)
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(-3)
    else:
        gray = img.clone()
    return gray.expand(img.shape) if num_output_channels == 3 else gray


to_grayscale = rgb_to_grayscale


def _blend(img1: Tensor, img2, ratio: float) -> Tensor:
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def adjust_brightness(img, brightness_factor: float):
    """Scale the brightness: 0 gives black, 1 the original."""
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    if not _check_image(img):
        return F_pil.adjust_brightness(img, brightness_factor)
    return _blend(img, ember.zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level: 0 gives a solid grey image, 1 the original."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    if not _check_image(img):
        return F_pil.adjust_contrast(img, contrast_factor)
    dtype = img.dtype if img.is_floating_point() else ember.float32
    src = rgb_to_grayscale(img) if get_dimensions(img)[0] == 3 else img
    mean = src.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the greyscale image: 0 gives grey, 1 the original, 2 doubles saturation."""
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    if not _check_image(img):
        return F_pil.adjust_saturation(img, saturation_factor)
    if get_dimensions(img)[0] == 1:
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def adjust_hue(img, hue_factor: float):
    """Rotate the hue by ``hue_factor`` turns (in [-0.5, 0.5]) in HSV space."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not _check_image(img):
        return F_pil.adjust_hue(img, hue_factor)
    c = get_dimensions(img)[0]
    if c == 1:
        return img
    if c != 3:
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {c}")
    dtype = img.dtype
    x = convert_image_dtype(img, ember.float32)
    xp = array_module(x._data)
    h, s, v = _rgb_to_hsv(xp, x._data)
    h = xp.mod(h + xp.float32(hue_factor), 1.0).astype(xp.float32)
    out = _wrap(_hsv_to_rgb(xp, h, s, v).astype(xp.float32), ember.float32, img.device)
    return convert_image_dtype(out, dtype)


def _gaussian_kernel1d(xp, k, sigma):
    half = (k - 1) * 0.5
    pdf = xp.exp(-0.5 * (xp.linspace(-half, half, k) / sigma) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian of odd ``kernel_size`` ``(kx, ky)`` and ``sigma`` ``(sx, sy)`` (default
    ``0.3 * ((k - 1) * 0.5 - 1) + 0.8``), reflecting at the borders."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(
            f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}"
        )
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) == 1:
        kernel_size = [kernel_size[0], kernel_size[0]]
    if len(kernel_size) != 2:
        raise ValueError(
            f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}"
        )
    if any(k % 2 == 0 or k < 0 for k in kernel_size):
        raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    if any(s <= 0.0 for s in sigma):
        raise ValueError(f"sigma should have positive values. Got {sigma}")
    if not _check_image(img):
        out = gaussian_blur(pil_to_tensor(img), kernel_size, sigma)
        return to_pil_image(out, mode=img.mode)
    dtype = img.dtype
    x = img if dtype.is_floating_point else img.to(ember.float32)
    kx, ky = kernel_size
    x = pad(x, [kx // 2, ky // 2], padding_mode="reflect")
    xp = array_module(x._data)
    h, w = img.shape[-2:]
    # separable: one weighted sum of shifted views per kernel tap, rows then columns
    out = None
    for j, wt in enumerate(_gaussian_kernel1d(xp, kx, sigma[0]).tolist()):
        term = x[..., :, j : j + w] * wt
        out = term if out is None else out + term
    x, out = out, None
    for i, wt in enumerate(_gaussian_kernel1d(xp, ky, sigma[1]).tolist()):
        term = x[..., i : i + h, :] * wt
        out = term if out is None else out + term
    if out.dtype != dtype:
        out = ember.round(out).to(dtype)
    return out


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """Set the ``h x w`` window at ``(i, j)`` of a tensor image to ``v``."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if not inplace:
        img = img.clone()
    img[..., i : i + h, j : j + w] = v
    return img


def invert(img):
    """``max - img`` (255 - x for uint8, 1 - x for floats)."""
    if not _check_image(img):
        from PIL import ImageOps

        return ImageOps.invert(img)
    return _max_value(img.dtype) - img
