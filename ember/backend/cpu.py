"""The cpu backend: NumPy arrays in host memory."""

from __future__ import annotations

import numpy as np

xp = np
name = "cpu"
ndarray = np.ndarray


def asarray(data, np_dtype=None):
    return np.asarray(data, dtype=np_dtype)


def is_numpy(x) -> bool:
    """Whether ``x`` is a NumPy array or NumPy scalar."""
    return isinstance(x, np.ndarray | np.generic)


def array(data) -> np.ndarray:
    """A new host array copying ``data`` (nested sequences, numbers, arrays)."""
    return np.array(data)


def from_host(arr: np.ndarray, index: int | None = None) -> np.ndarray:
    return arr


def to_host(arr: np.ndarray) -> np.ndarray:
    return arr


def data_ptr(arr: np.ndarray) -> int:
    return arr.__array_interface__["data"][0]


class _Span:
    """An ``__array_interface__`` over raw bytes; keeps the owning array alive as ``base``."""

    def __init__(self, owner, address: int, nbytes: int):
        self.base = owner
        self.__array_interface__ = {
            "data": (address, False),
            "shape": (nbytes,),
            "typestr": "|u1",
            "version": 3,
        }


def byte_span(arr: np.ndarray) -> np.ndarray:
    """A flat uint8 array over exactly the memory ``arr`` covers (sharing it, never copying)."""
    if arr.flags.c_contiguous or arr.flags.f_contiguous:
        flat = arr.ravel(order="K")
        if flat.dtype.itemsize and flat.size:
            return flat.view(np.uint8)
        return np.empty(0, np.uint8)
    lo = hi = data_ptr(arr)
    for size, stride in zip(arr.shape, arr.strides):
        if size == 0:
            return np.empty(0, np.uint8)
        if stride < 0:
            lo += (size - 1) * stride
        else:
            hi += (size - 1) * stride
    span = np.asarray(_Span(arr, lo, hi - lo + arr.itemsize))
    if not arr.flags.writeable:
        span.flags.writeable = False
    return span


def view_from(buf: np.ndarray, np_dtype, shape, strides, byte_offset: int) -> np.ndarray:
    """An array of ``shape`` and element ``strides`` starting ``byte_offset`` bytes into ``buf``."""
    itemsize = np_dtype.itemsize
    return np.ndarray(
        shape,
        np_dtype,
        buffer=buf,
        offset=byte_offset,
        strides=tuple(s * itemsize for s in strides),
    )


def empty_bytes(nbytes: int) -> np.ndarray:
    return np.empty(nbytes, np.uint8)


def synchronize() -> None:
    """Nothing to wait for: NumPy runs synchronously."""


def make_bit_generator(seed: int):
    return np.random.Generator(np.random.PCG64(seed))


def blas_info() -> dict:
    """Name, version and thread count of the BLAS behind NumPy (what ``ember info`` prints)."""
    info = {"name": "unknown", "version": "", "threads": None}
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info["name"] = blas.get("name", "unknown")
        info["version"] = blas.get("version", "")
    except Exception:  # older NumPy prints instead of returning a dict
        pass
    try:
        from threadpoolctl import threadpool_info

        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            info["threads"] = pools[0].get("num_threads")
            info["name"] = pools[0].get("internal_api", info["name"])
    except ImportError:
        pass
    return info
