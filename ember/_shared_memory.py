"""Tensors in shared memory: ``Tensor.share_memory_()`` / ``is_shared()``, and how shared
tensors travel between processes (by the name of their memory block, never by copying).

A shared storage's bytes live in a POSIX shared-memory block.  The process that created the
block unlinks its name when the storage is garbage collected (memory still mapped elsewhere
stays valid).  As with PyTorch, a process that sends a tensor through a queue must keep it
alive until the receiver has it.
"""

from __future__ import annotations

import os
import weakref
from multiprocessing import shared_memory

from ember._tensor import Tensor, _wrap

_blocks: dict = {}  # id(storage) -> block, for storages this process made or attached


class _Block(shared_memory.SharedMemory):
    """A shared-memory block whose mapping lives as long as the arrays viewing it (the
    standard class would try to unmap it under them when collected)."""

    def __init__(self, name=None, create=False, size=0) -> None:
        super().__init__(name=name, create=create, size=size)
        os.close(self._fd)  # the mapping keeps the memory; the descriptor is not needed
        self._fd = -1

    def __del__(self) -> None:
        pass


def _attach_or_create(nbytes: int | None = None, name: str | None = None):
    if name is None:
        block = _Block(create=True, size=max(nbytes, 1))
        block._owner_pid = os.getpid()
        return block
    return _Block(name=name)


_exported: dict = {}  # name -> block sent to another process: unlinked at this process's exit


def _unlink(shm) -> None:
    try:
        shm.unlink()
    except FileNotFoundError:
        pass


def _unlink_exported() -> None:
    for shm in list(_exported.values()):
        _unlink(shm)
    _exported.clear()


def _adopt(storage, shm, owner: bool) -> None:
    _blocks[id(storage)] = shm
    key = id(storage)
    creator = os.getpid()

    def release(shm=shm, owner=owner):
        _blocks.pop(key, None)
        # a forked child must not unlink its parent's blocks; a block another process may
        # still be about to attach to waits for this process's exit
        if owner and os.getpid() == creator and shm.name not in _exported:
            _unlink(shm)

    weakref.finalize(storage, release)


def _export(shm) -> None:
    if not _exported:
        from multiprocessing import util

        # runs at exit in the main process and in multiprocessing's children alike
        util.Finalize(None, _unlink_exported, exitpriority=0)
    _exported[shm.name] = shm


def is_shared(self: Tensor) -> bool:
    """Whether this tensor's storage lives in shared memory."""
    return id(self._get_storage()) in _blocks


def share_memory_(self: Tensor) -> Tensor:
    """Move this tensor's storage into shared memory (in place), so that processes it is sent
    to see its updates.  Views made before the move keep the old memory: share first, then
    make views (``Module.share_memory()`` on a fresh model does)."""
    if self._device.type != "cpu" or is_shared(self):
        return self
    from ember.backend import cpu

    st = self._get_storage()
    offset = self._byte_offset()
    shm = _attach_or_create(st.nbytes())
    buf = cpu.xp.frombuffer(shm.buf, dtype=cpu.xp.uint8, count=st.nbytes())
    buf[...] = st._buf
    st._buf = buf
    _adopt(st, shm, owner=True)
    self._data = cpu.view_from(buf, self._dtype.np, self.shape, self.stride(), offset)
    self.__dict__.pop("_offc", None)
    return self


def reduce_tensor(t: Tensor):
    """How ``multiprocessing`` pickles a tensor: by shared-memory block name (moving the
    storage to shared memory first, as PyTorch does)."""
    from ember.nn.parameter import Parameter

    share_memory_(t)
    st = t._get_storage()
    shm = _blocks[id(st)]
    if shm.name not in _exported and _is_owner(shm):
        _export(shm)
    return (
        rebuild_tensor,
        (
            _blocks[id(st)].name, st.nbytes(), t.dtype.name, tuple(t.shape), t.stride(),
            t.storage_offset(), t.requires_grad, isinstance(t, Parameter),
        ),
    )


def _is_owner(shm) -> bool:
    return getattr(shm, "_owner_pid", None) == os.getpid()


_attached: dict = {}  # block name -> storage, so that views sent separately share it again


def rebuild_tensor(name, nbytes, dtype_name, shape, stride, offset, requires_grad, is_param):
    from ember import _dtype
    from ember._device import CPU
    from ember._storage import UntypedStorage
    from ember.backend import cpu

    dt = getattr(_dtype, dtype_name)
    st = _attached.get(name)
    st = st() if st is not None else None
    if st is None:
        shm = _attach_or_create(name=name)
        buf = cpu.xp.frombuffer(shm.buf, dtype=cpu.xp.uint8, count=nbytes)
        st = UntypedStorage._from_buffer(buf, CPU)
        _adopt(st, shm, owner=False)
        _attached[name] = weakref.ref(st)
    arr = cpu.view_from(st._buf, dt.np, shape, stride, offset * dt.itemsize)
    t = _wrap(arr, dt, CPU, st)
    if is_param:
        from ember.nn.parameter import Parameter

        return Parameter(t, requires_grad)
    if requires_grad:
        t.requires_grad_(True)
    return t


Tensor.share_memory_ = share_memory_
Tensor.is_shared = is_shared
