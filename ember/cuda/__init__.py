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


def is_initialized() -> bool:
    """Whether ember has touched the GPU in this process."""
    return _backend._cuda is not None and is_available()


def get_device_properties(device=None) -> dict:
    """The GPU's name and total memory."""
    return _properties(device)


def is_bf16_supported() -> bool:
    return is_available()


# -- random seeds: the CUDA generators are seeded lazily, so these are accepted without a GPU --


def manual_seed(seed: int) -> None:
    """Seed the current GPU's generator (ember's generators are shared across devices, so this
    seeds the same stream ``ember.manual_seed`` does; without a GPU it does nothing)."""
    if is_available():
        from ember.random import manual_seed as _seed

        _seed(seed)


def manual_seed_all(seed: int) -> None:
    manual_seed(seed)


def seed() -> None:
    pass


def seed_all() -> None:
    pass


# -- memory: ember keeps no caching allocator of its own; CuPy's pool answers ---------------------


def _pool():
    return _backend.cuda_memory_pool()


def empty_cache() -> None:
    """Give the GPU memory held in CuPy's pool back to the driver."""
    pool = _pool()
    if pool is not None:
        pool.free_all_blocks()


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory in use by tensors (0 without a GPU)."""
    pool = _pool()
    return 0 if pool is None else int(pool.used_bytes())


def memory_reserved(device=None) -> int:
    """Bytes of GPU memory held by the allocator (0 without a GPU)."""
    pool = _pool()
    return 0 if pool is None else int(pool.total_bytes())


def max_memory_allocated(device=None) -> int:
    return memory_allocated(device)


def max_memory_reserved(device=None) -> int:
    return memory_reserved(device)


def reset_peak_memory_stats(device=None) -> None:
    pass
