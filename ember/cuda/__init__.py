"""``ember.cuda``: GPU queries.  Answers without importing CuPy unless a GPU is asked about."""

from __future__ import annotations

from ember import backend as _backend


def is_available() -> bool:
    """Whether a CUDA GPU is usable (CuPy installed and a device visible)."""
    return _backend.cuda_is_available()


def device_count() -> int:
    """The number of visible CUDA GPUs (0 without CuPy or a GPU)."""
    return _backend.cuda_device_count()


def current_device() -> int:
    return _backend.cuda_current_device()


def get_device_name(device=None) -> str:
    return _properties(device)["name"]


def _properties(device) -> dict:
    if not is_available():
        _backend.raise_no_cuda()
    index = current_device() if device is None else _index(device)
    return _backend.for_device(_cuda_device(index)).device_properties(index)


def _index(device) -> int:
    from ember._device import device as device_cls

    if isinstance(device, int):
        return device
    return device_cls(device).index or 0


def _cuda_device(index: int):
    from ember._device import device as device_cls

    return device_cls("cuda", index)


def synchronize(device=None) -> None:
    """Wait for all queued GPU work to finish (nothing to do without a GPU)."""
    if is_available():
        _backend.for_device(_cuda_device(0)).synchronize()
