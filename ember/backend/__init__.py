"""The one door to array libraries: NumPy for ``cpu``, CuPy for ``cuda`` (imported lazily).

Each backend module offers the same small surface: ``xp`` (the array module), ``asarray``,
``to_host``, ``from_host``, ``byte_span``, ``view_from``, ``data_ptr``, ``synchronize`` and
the random generator.  ``for_device`` picks the module; ops then call ``backend.xp.<fn>``.
"""

from __future__ import annotations

from ember.backend import cpu

_cuda = None


def _cuda_module():
    global _cuda
    if _cuda is None:
        from ember.backend import cuda as _mod

        _cuda = _mod
    return _cuda


def for_device(dev):
    """The backend module of a device object."""
    if dev.type == "cpu":
        return cpu
    return _cuda_module()


def array_module(arr):
    """The array module (numpy or cupy) that owns ``arr``."""
    if isinstance(arr, cpu.ndarray):
        return cpu.xp
    return _cuda_module().xp


def cuda_is_available() -> bool:
    try:
        mod = _cuda_module()
    except ImportError:
        return False
    return mod.is_available()


def cuda_device_count() -> int:
    try:
        mod = _cuda_module()
    except ImportError:
        return 0
    return mod.device_count()


def cuda_current_device() -> int:
    if not cuda_is_available():
        raise_no_cuda()
    return _cuda_module().current_device()


def raise_no_cuda():
    raise RuntimeError(
        "CUDA is not available: ember found no usable GPU (the cuda backend needs CuPy and an "
        "NVIDIA driver). Use device='cpu', or check ember.cuda.is_available() first."
    )


def cuda_runtime_version() -> str | None:
    """The CUDA runtime's version as ``"12.4"``, or None without a usable GPU."""
    if not cuda_is_available():
        return None
    v = _cuda_module().xp.cuda.runtime.runtimeGetVersion()
    return f"{v // 1000}.{(v % 1000) // 10}"


def cupy_installed() -> bool:
    """Whether CuPy can be imported (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("cupy") is not None


def cuda_memory_pool():
    """CuPy's default memory pool, or None without a usable GPU."""
    if not cuda_is_available():
        return None
    return _cuda_module().xp.get_default_memory_pool()
