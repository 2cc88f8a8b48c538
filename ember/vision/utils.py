"""``make_grid`` and ``save_image``: tile a batch of images into one and write it as a PNG."""

from __future__ import annotations

import math

import ember
from ember._tensor import Tensor
from ember.nn import functional as F

__all__ = ["make_grid", "save_image"]


def make_grid(
    tensor,
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range=None,
    scale_each: bool = False,
    pad_value: float = 0.0,
) -> Tensor:
    """Tile images ``(B, C, H, W)`` (or a list of ``(C, H, W)``) into one ``(C, H', W')`` image,
    ``nrow`` per row, ``padding`` pixels of ``pad_value`` between and around them.

    Greyscale images become 3-channel; ``normalize`` rescales to [0, 1] by ``value_range`` (default:
    the min and max, of each image when ``scale_each``).

    >>> make_grid(ember.rand(10, 3, 8, 8), nrow=5).shape
    ember.Size([3, 22, 52])
    """
    if isinstance(tensor, (list, tuple)):
        tensor = ember.stack(list(tensor), dim=0)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = ember.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = ember.cat((tensor, tensor, tensor), 1)
    if tensor.dim() != 4:
        raise ValueError(f"make_grid expects a 2-, 3- or 4-D tensor, got {tensor.dim()}-D")
    if normalize:
        tensor = tensor.clone()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError(
                "value_range has to be a tuple (min, max) if specified. min and max are numbers"
            )
        if scale_each:
            if value_range is not None:
                low, high = value_range
                tensor = (tensor.clamp(low, high) - low) / max(high - low, 1e-5)
            else:
                flat = tensor.reshape(tensor.size(0), -1)
                low = flat.min(dim=1).values.view(-1, 1, 1, 1)
                high = flat.max(dim=1).values.view(-1, 1, 1, 1)
                tensor = (tensor - low) / (high - low).clamp(min=1e-5)
        else:
            low, high = (
                value_range
                if value_range is not None
                else (float(tensor.min()), float(tensor.max()))
            )
            tensor = (tensor.clamp(low, high) - low) / max(high - low, 1e-5)
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    n, c, h, w = tensor.shape
    cols = min(nrow, n)
    rows = int(math.ceil(n / cols))
    if rows * cols > n:
        blank = ember.full(
            (rows * cols - n, c, h, w), pad_value, dtype=tensor.dtype, device=tensor.device
        )
        tensor = ember.cat((tensor, blank), 0)
    cells = F.pad(tensor, (padding, 0, padding, 0), value=pad_value)
    cells = cells.reshape(rows, cols, c, h + padding, w + padding).permute(2, 0, 3, 1, 4)
    grid = cells.reshape(c, rows * (h + padding), cols * (w + padding))
    return F.pad(grid, (0, padding, 0, padding), value=pad_value)


def save_image(tensor, fp, format=None, **kwargs) -> None:
    """Save images (a tensor or list, values in [0, 1]) as one image file (PNG by the file name,
    or ``format``) through Pillow; ``kwargs`` go to :func:`make_grid`."""
    from PIL import Image

    grid = make_grid(tensor, **kwargs)
    arr = (grid.detach() * 255 + 0.5).clamp(0, 255).permute(1, 2, 0).to("cpu", ember.uint8).numpy()
    Image.fromarray(arr).save(fp, format=format)
