"""Padding layers: ``ZeroPad*``, ``ConstantPad*``, ``ReflectionPad*``, ``ReplicationPad*``,
``CircularPad*``; each calls ``F.pad``."""

from __future__ import annotations

from ember.nn.functional.padding import pad as _pad
from ember.nn.modules.module import Module


def _ntuple(v, n):
    if isinstance(v, (tuple, list)):
        return tuple(v)
    return (v,) * n


class _PadNd(Module):
    _mode = "constant"
    _n = 2

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _ntuple(padding, self._n)

    def forward(self, input):
        return _pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return _pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``: ``padding`` is an int or ``(left, right)``."""

    _n = 2


class ConstantPad2d(_ConstantPadNd):
    """Pad the last 2 dims with ``value``: ``(left, right, top, bottom)``."""

    _n = 4


class ConstantPad3d(_ConstantPadNd):
    """Pad the last 3 dims with ``value``: ``(left, right, top, bottom, front, back)``."""

    _n = 6


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last 2 dims with zeros: ``(left, right, top, bottom)``."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last 3 dims with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Reflect the last dim at its edges (the edge itself is not repeated)."""

    _mode, _n = "reflect", 2


class ReflectionPad2d(_PadNd):
    """Reflect the last 2 dims at their edges."""

    _mode, _n = "reflect", 4


class ReflectionPad3d(_PadNd):
    """Reflect the last 3 dims at their edges."""

    _mode, _n = "reflect", 6


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last dim."""

    _mode, _n = "replicate", 2


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last 2 dims."""

    _mode, _n = "replicate", 4


class ReplicationPad3d(_PadNd):
    """Repeat the edge values of the last 3 dims."""

    _mode, _n = "replicate", 6


class CircularPad1d(_PadNd):
    """Wrap the last dim around."""

    _mode, _n = "circular", 2


class CircularPad2d(_PadNd):
    """Wrap the last 2 dims around."""

    _mode, _n = "circular", 4


class CircularPad3d(_PadNd):
    """Wrap the last 3 dims around."""

    _mode, _n = "circular", 6
