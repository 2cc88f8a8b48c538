"""Flat storages: the memory that tensors are views of.

An :class:`UntypedStorage` owns (or shares) one flat byte array on a device.  Every tensor
viewing it holds the same storage object, so a write through one view is seen through all,
and the version counter that autograd checks lives here, shared by all those views.
``Tensor.storage()`` returns a :class:`TypedStorage`: the same bytes read as the tensor's
dtype.
"""

from __future__ import annotations

from ember import _dtype
from ember._device import CPU
from ember.backend import for_device


class UntypedStorage:
    """A flat array of bytes on a device, shared by every tensor that views it."""

    __slots__ = ("_buf", "device", "_version", "__weakref__")

    def __init__(self, size: int = 0, *, device=None):
        from ember._device import as_device

        dev = as_device(device)
        self._buf = for_device(dev).empty_bytes(int(size))
        self.device = dev
        self._version = 0

    @classmethod
    def _from_buffer(cls, buf, device) -> UntypedStorage:
        st = cls.__new__(cls)
        st._buf = buf
        st.device = device
        st._version = 0
        return st

    def _backend(self):
        return for_device(self.device)

    def nbytes(self) -> int:
        return self._buf.shape[0]

    def size(self) -> int:
        return self._buf.shape[0]

    def __len__(self) -> int:
        return self._buf.shape[0]

    def element_size(self) -> int:
        return 1

    def data_ptr(self) -> int:
        return self._backend().data_ptr(self._buf)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def tolist(self) -> list:
        return self._backend().to_host(self._buf).tolist()

    def __getitem__(self, idx):
        out = self._buf[idx]
        if isinstance(idx, slice):
            return UntypedStorage._from_buffer(out, self.device)
        return int(out)

    def __setitem__(self, idx, value) -> None:
        self._buf[idx] = value
        self._version += 1

    def __iter__(self):
        return iter(self.tolist())

    def fill_(self, value: int) -> UntypedStorage:
        self._buf.fill(value)
        self._version += 1
        return self

    def _bytes(self) -> bytes:
        """The storage's content as host bytes (used by serialization)."""
        return self._backend().to_host(self._buf).tobytes()

    def __repr__(self) -> str:
        body = "\n".join(f" {v}" for v in self.tolist())
        head = body + "\n" if body else ""
        return f"{head}[ember.storage.UntypedStorage(device={self.device}) of size {len(self)}]"


class TypedStorage:
    """A storage read as elements of one dtype; ``Tensor.storage()`` returns one of these."""

    __slots__ = ("_untyped_storage", "dtype")

    def __init__(self, untyped: UntypedStorage, dtype: _dtype.dtype):
        self._untyped_storage = untyped
        self.dtype = dtype

    def _array(self):
        buf = self._untyped_storage._buf
        n = buf.shape[0] // self.dtype.itemsize
        return buf[: n * self.dtype.itemsize].view(self.dtype.np)

    def untyped(self) -> UntypedStorage:
        return self._untyped_storage

    @property
    def device(self):
        return self._untyped_storage.device

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def size(self) -> int:
        return self._untyped_storage.nbytes() // self.dtype.itemsize

    def __len__(self) -> int:
        return self.size()

    def nbytes(self) -> int:
        return self._untyped_storage.nbytes()

    def element_size(self) -> int:
        return self.dtype.itemsize

    def data_ptr(self) -> int:
        return self._untyped_storage.data_ptr()

    def tolist(self) -> list:
        arr = self._untyped_storage._backend().to_host(self._array())
        if self.dtype is _dtype.bfloat16:
            arr = arr.astype(_dtype.float32.np)
        return arr.tolist()

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            raise TypeError("TypedStorage does not support slicing; use Tensor views instead")
        n = self.size()
        if not -n <= idx < n:
            raise IndexError(f"index {idx} out of range for storage of size {n}")
        return self.tolist()[idx]

    def __setitem__(self, idx, value) -> None:
        self._array()[idx] = value
        self._untyped_storage._version += 1

    def __iter__(self):
        return iter(self.tolist())

    def fill_(self, value) -> TypedStorage:
        self._array().fill(value)
        self._untyped_storage._version += 1
        return self

    def __repr__(self) -> str:
        body = "\n".join(f" {v}" for v in self.tolist())
        head = body + "\n" if body else ""
        return (
            f"{head}[ember.storage.TypedStorage(dtype={self.dtype}, device={self.device}) "
            f"of size {len(self)}]"
        )


def storage_of_array(arr, device=CPU) -> UntypedStorage:
    """A new storage over the memory of a freshly made backend array (shared, not copied)."""
    return UntypedStorage._from_buffer(for_device(device).byte_span(arr), device)
