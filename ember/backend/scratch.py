"""Large temporary arrays kept for reuse between calls (CPU).

A convolution allocates the same few big temporaries on every call: its column matrix, the
GEMM result before the transposing copy that gives NCHW, the output gradient transposed, the
column gradient.  Fresh memory that large comes from the kernel a page at a time, each page
faulted in and zeroed (a 42 MB column matrix costs several milliseconds of that on a virtual
machine, more than copying into it); a buffer kept from the previous call costs nothing.

``take(shape, dtype)`` returns an uninitialised C-contiguous NumPy array, a kept buffer of the
same byte size when there is one; ``give(a)`` hands back an array from ``take`` (or any array
that owns its memory) that nothing references any more.  ``give`` is an owner's promise: the
op that took the buffer gives it back once its last use is over, and never gives an array it
returned to the caller.  Small arrays (under ``MIN_BYTES``, which glibc serves from its heap
anyway) are neither kept nor looked up; at most ``LIMIT`` bytes are kept, the oldest buffers
dropped first.  ``clear()`` drops them all.
"""

from __future__ import annotations

import math
import os
import threading

import numpy as np

MIN_BYTES = 1 << 20
LIMIT = 256 << 20

_lock = threading.Lock()
_kept: list[np.ndarray] = []  # arrays that own their memory, oldest first
_total = 0


def take(shape, dtype) -> np.ndarray:
    """An uninitialised array of ``shape`` and ``dtype``, reusing a kept buffer if one fits."""
    global _total
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes >= MIN_BYTES and _kept:
        with _lock:
            for i in range(len(_kept) - 1, -1, -1):  # the newest first: still in cache
                if _kept[i].nbytes == nbytes:
                    owner = _kept.pop(i)
                    _total -= nbytes
                    return owner.reshape(-1).view(np.uint8).view(dtype).reshape(shape)
    return np.empty(shape, dtype)


def give(a) -> None:
    """Keep the memory under ``a`` for a later ``take``; ``a`` must not be used afterwards."""
    global _total
    if not isinstance(a, np.ndarray) or a.nbytes < MIN_BYTES:
        return
    base = a
    while isinstance(base.base, np.ndarray):
        base = base.base
    # only a buffer NumPy allocated itself, whole and writable (not a memory map, not a view
    # of foreign memory)
    if base.base is not None or not base.flags.owndata or not base.flags.writeable:
        return
    if base.nbytes != a.nbytes or not base.flags.c_contiguous:
        return
    with _lock:
        for kept in _kept:
            if kept is base:
                return  # given twice
        _kept.append(base)
        _total += base.nbytes
        while _total > LIMIT and _kept:
            _total -= _kept.pop(0).nbytes


def _forget() -> None:  # a forked child: the lock may have been held by a parent's thread
    global _lock, _total
    _lock = threading.Lock()
    _kept.clear()  # (the parent's buffers, copy-on-write in the child: not worth keeping)
    _total = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget)


def clear() -> None:
    """Drop every kept buffer."""
    global _total
    with _lock:
        _kept.clear()
        _total = 0


def kept_bytes() -> int:
    return _total
