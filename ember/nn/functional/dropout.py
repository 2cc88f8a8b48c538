"""Dropout: elementwise, channel-wise (1d/2d/3d) and the alpha variants for SELU networks.

In training each kept element is scaled so the expected value is unchanged; in eval mode
(``training=False``) or with ``p == 0`` the input comes back as it is.
"""

from __future__ import annotations

import warnings

from ember._tensor import Tensor
from ember.autograd import grad_mode
from ember.ops._util import write_inplace

_SELU_ALPHA_SCALED = 1.7580993408473766  # SELU's scale * alpha: where alpha dropout saturates


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise(input: Tensor, p: float, feature: bool) -> Tensor:
    """A 0/1 keep-mask (probability ``1 - p``), one per element or one per (sample, channel)."""
    shape = tuple(input.shape)
    if feature:
        shape = shape[:2] + (1,) * (len(shape) - 2)
    with grad_mode.no_grad():
        return input.new_empty(shape).bernoulli_(1 - p)


def _dropout(
    input: Tensor, p: float, training: bool, inplace: bool, feature: bool, alpha: bool
) -> Tensor:
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:  # PyTorch multiplies by zero, alpha variants included
        out = input * 0
        return write_inplace(input, out) if inplace else out
    noise = _noise(input, p, feature)
    if alpha:
        a = 1.0 / ((_SELU_ALPHA_SCALED**2 * p + 1) * (1 - p)) ** 0.5
        with grad_mode.no_grad():
            b = (noise - 1) * (_SELU_ALPHA_SCALED * a) + _SELU_ALPHA_SCALED * a * p
            noise = noise * a
        out = input * noise + b
    else:
        with grad_mode.no_grad():
            noise = noise * (1.0 / (1 - p))
        out = input * noise
    return write_inplace(input, out) if inplace else out


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``."""
    return _dropout(input, p, training, inplace, False, False)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Dropout that keeps SELU's zero mean and unit variance (dropped units saturate)."""
    return _dropout(input, p, training, inplace, False, True)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
):
    """Alpha dropout of whole channels."""
    return _dropout(input, p, training, inplace, True, True)


def _feature(input: Tensor, p: float, training: bool, inplace: bool, batched: int, name: str):
    ndim = input.dim()
    if ndim not in (batched - 1, batched):
        raise RuntimeError(
            f"{name}: Expected {batched - 1}D or {batched}D input, but received a {ndim}D input. "
            f"Note that {name} exists to provide channel-wise dropout on inputs with "
            f"{batched - 2} spatial dimension{'s' if batched > 3 else ''}, a channel dimension, "
            "and an optional batch dimension (i.e. "
            f"{batched - 1}D or {batched}D inputs)."
        )
    if ndim == batched - 1:
        out = _dropout(input.unsqueeze(0), p, training, False, True, False).squeeze(0)
        if inplace and training and p:
            return write_inplace(input, out)
        return out if training and p else input
    return _dropout(input, p, training, inplace, True, False)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` input."""
    _check_p(p)
    return _feature(input, p, training, inplace, 3, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of ``(N, C, H, W)`` input (3-D input is read as ``(N, C, L)``)."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release.",
            stacklevel=2,
        )
    if ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim.",
            stacklevel=2,
        )
    return _dropout(input, p, training, inplace, True, False)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {ndim}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release.",
            stacklevel=2,
        )
    if ndim == 4:
        out = _dropout(input.unsqueeze(0), p, training, False, True, False).squeeze(0)
        if inplace and training and p:
            return write_inplace(input, out)
        return out if training and p else input
    return _dropout(input, p, training, inplace, True, False)
