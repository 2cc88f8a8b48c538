"""Dropout layers: active in training mode, the identity in eval mode."""

from __future__ import annotations

from ember.nn.functional.dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from ember.nn.modules.module import Module


class _DropoutNd(Module):
    _fn = None

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p``, scaling the rest by ``1 / (1 - p)``."""

    _fn = staticmethod(dropout)


class Dropout1d(_DropoutNd):
    """Zero whole channels of ``(N, C, L)`` input."""

    _fn = staticmethod(dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of ``(N, C, H, W)`` input."""

    _fn = staticmethod(dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of ``(N, C, D, H, W)`` input."""

    _fn = staticmethod(dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks, keeping zero mean and unit variance."""

    _fn = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels."""

    _fn = staticmethod(feature_alpha_dropout)
