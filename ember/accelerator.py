"""``ember.accelerator``: which accelerator this process can use (CUDA through CuPy, or none)."""

from __future__ import annotations

from ember import cuda as _cuda


def is_available() -> bool:
    return _cuda.is_available()


def current_accelerator(check_available: bool = False):
    """``device('cuda')`` when a GPU is usable, else ``None``."""
    from ember._device import device

    return device("cuda") if _cuda.is_available() else None


def device_count() -> int:
    return _cuda.device_count()


def synchronize(device=None) -> None:
    _cuda.synchronize()
