"""The PIL-image side of ``ember.vision.transforms.functional``.

Each function takes and returns a ``PIL.Image.Image`` and does what torchvision does for PIL
input (which is Pillow's own resampling, cropping and enhancement), so results match it exactly.
Pillow is imported lazily: ``import ember.vision`` works without it.
"""

from __future__ import annotations

from ember.backend import cpu

np = cpu.xp


def _pil():
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - pillow is a runtime dependency
        raise ImportError("ember.vision needs Pillow for PIL images: pip install pillow") from e
    return Image


def is_pil_image(img) -> bool:
    """Whether ``img`` is a PIL image (without importing Pillow when it is not loaded)."""
    import sys

    mod = sys.modules.get("PIL.Image")
    return mod is not None and isinstance(img, mod.Image)


def get_dimensions(img):
    w, h = img.size
    return [len(img.getbands()), h, w]


def _fill(fill, img, name="fillcolor"):
    """Fill colour in the form Pillow wants for ``img``'s mode (one int per band)."""
    c = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and c > 1:
        fill = tuple([fill] * c)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * c
        elif len(fill) != c:
            raise ValueError(
                "The number of elements in 'fill' does not match the number of channels "
                f"of the image ({len(fill)} != {c})"
            )
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def hflip(img):
    return img.transpose(_pil().Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    return img.transpose(_pil().Transpose.FLIP_TOP_BOTTOM)


def crop(img, top, left, height, width):
    return img.crop((left, top, left + width, top + height))


def resize(img, size, resample):
    h, w = size
    return img.resize((w, h), resample)


def pad(img, padding, fill=0, padding_mode="constant"):
    """``padding`` is ``[left, top, right, bottom]``; negative values crop."""
    Image = _pil()
    left, top, right, bottom = padding
    if min(padding) < 0:
        w, h = img.size
        img = img.crop((max(-left, 0), max(-top, 0), w - max(-right, 0), h - max(-bottom, 0)))
        left, top, right, bottom = (max(p, 0) for p in padding)
    if padding_mode == "constant":
        out = Image.new(
            img.mode,
            (img.size[0] + left + right, img.size[1] + top + bottom),
            **_fill(fill, img, "color"),
        )
        if img.mode == "P":
            out.putpalette(img.getpalette())
        out.paste(img, (left, top))
        return out
    arr = np.asarray(img)
    widths = ((top, bottom), (left, right)) + ((0, 0),) * (arr.ndim - 2)
    out = Image.fromarray(np.pad(arr, widths, mode=padding_mode))
    if img.mode == "P":
        out.putpalette(img.getpalette())
    return out


def rotate(img, angle, resample, expand=False, center=None, fill=None):
    return img.rotate(angle, resample, expand, center, **_fill(fill, img))


def affine(img, matrix, resample, fill=None):
    return img.transform(img.size, _pil().Transform.AFFINE, matrix, resample, **_fill(fill, img))


def to_grayscale(img, num_output_channels):
    Image = _pil()
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        g = np.asarray(img.convert("L"))
        return Image.fromarray(np.dstack([g, g, g]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def adjust_brightness(img, factor):
    from PIL import ImageEnhance

    return ImageEnhance.Brightness(img).enhance(factor)


def adjust_contrast(img, factor):
    from PIL import ImageEnhance

    return ImageEnhance.Contrast(img).enhance(factor)


def adjust_saturation(img, factor):
    from PIL import ImageEnhance

    return ImageEnhance.Color(img).enhance(factor)


def adjust_hue(img, hue_factor):
    Image = _pil()
    mode = img.mode
    if mode in ("L", "1", "I", "F"):
        return img
    h, s, v = img.convert("HSV").split()
    # Pillow's hue is a byte: shifting it wraps around modulo 256, as a hue circle should.
    shift = np.int8(int(hue_factor * 255)).astype(np.uint8)
    hue = (np.asarray(h, dtype=np.uint8) + shift).astype(np.uint8)
    return Image.merge("HSV", (Image.fromarray(hue, "L"), s, v)).convert(mode)
