"""The cuda backend: CuPy arrays in GPU memory.

Importing this module imports CuPy, so ``ember.backend`` loads it only when a cuda device is
asked for; ``import ember`` alone never touches CuPy.  Where CuPy is missing, or present with
no usable GPU, ``is_available()`` is False and every cuda request raises a RuntimeError.
"""

from __future__ import annotations

import cupy as cp

xp = cp
name = "cuda"
ndarray = cp.ndarray


def is_available() -> bool:
    try:
        return cp.cuda.runtime.getDeviceCount() > 0
    except cp.cuda.runtime.CUDARuntimeError:
        return False


def device_count() -> int:
    return cp.cuda.runtime.getDeviceCount() if is_available() else 0


def current_device() -> int:
    return cp.cuda.runtime.getDevice()


def device_properties(index: int) -> dict:
    props = cp.cuda.runtime.getDeviceProperties(index)
    name = props["name"]
    return {
        "name": name.decode() if isinstance(name, bytes) else name,
        "total_memory": props["totalGlobalMem"],
    }


def asarray(data, np_dtype=None, index: int = 0):
    with cp.cuda.Device(index):
        return cp.asarray(data, dtype=np_dtype)


def from_host(arr, index: int = 0):
    with cp.cuda.Device(index):
        return cp.asarray(arr)


def to_host(arr):
    return cp.asnumpy(arr)


def data_ptr(arr) -> int:
    return arr.data.ptr


def byte_span(arr):
    """A flat uint8 array over exactly the memory ``arr`` covers (sharing it, never copying)."""
    if arr.size == 0:
        return cp.empty(0, cp.uint8)
    lo = hi = arr.data.ptr
    for size, stride in zip(arr.shape, arr.strides):
        if stride < 0:
            lo += (size - 1) * stride
        else:
            hi += (size - 1) * stride
    nbytes = hi - lo + arr.itemsize
    memptr = arr.data + (lo - arr.data.ptr)
    return cp.ndarray((nbytes,), cp.uint8, memptr=memptr)


def view_from(buf, np_dtype, shape, strides, byte_offset: int):
    itemsize = np_dtype.itemsize
    return cp.ndarray(
        shape,
        np_dtype,
        memptr=buf.data + byte_offset,
        strides=tuple(s * itemsize for s in strides),
    )


def empty_bytes(nbytes: int, index: int = 0):
    with cp.cuda.Device(index):
        return cp.empty(nbytes, cp.uint8)


def synchronize() -> None:
    cp.cuda.get_current_stream().synchronize()
