"""``Tensor``: an n-dimensional view over a flat storage, with dtype, device and grad state.

The tensor's data is a backend array (``numpy.ndarray`` on cpu, ``cupy.ndarray`` on cuda)
that views its storage's buffer; ``stride()`` and ``storage_offset()`` are read off that
array, never kept beside it.  Operations live in ``ember/ops`` and are installed as methods
there; this file holds what a tensor *is*: metadata, conversion, and Python's protocols.
"""

from __future__ import annotations

from ember import _dtype
from ember._device import CPU, as_device
from ember._device import device as device_cls
from ember._storage import TypedStorage, UntypedStorage, storage_of_array
from ember.backend import for_device

_cpu_backend = for_device(CPU)


class Tensor:
    """A multi-dimensional array with autograd support, mirroring ``torch.Tensor``.

    Build tensors with factories (``ember.tensor``, ``ember.zeros``, ...).  Calling
    ``ember.Tensor(2, 3)`` makes an uninitialised float tensor of that shape and
    ``ember.Tensor([1, 2])`` a float tensor from data, as PyTorch's legacy constructor does.
    """

    __slots__ = (
        "_data",
        "_dtype",
        "_device",
        "_storage",
        "_requires_grad",
        "grad",
        "grad_fn",
        "__dict__",
        "__weakref__",
    )

    def __new__(cls, *args, device=None):
        from ember import _factories

        if not args:
            args = (0,)
        if len(args) == 1 and not isinstance(args[0], int):
            data = args[0]
            if isinstance(data, Tensor):
                return data
            out = _factories.tensor(data, dtype=_dtype.get_default_dtype(), device=device)
        else:
            out = _factories.empty(*args, dtype=_dtype.get_default_dtype(), device=device)
        if cls is not Tensor:
            out = out.as_subclass(cls)
        return out

    def __init__(self, *args, **kwargs):
        pass

    # -- metadata ----------------------------------------------------------------------------

    @property
    def dtype(self) -> _dtype.dtype:
        return self._dtype

    @property
    def device(self):
        return self._device

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape as an ``ember.Size``, or the length of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self._dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.size * self._dtype.itemsize

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self._device.type == "cpu"

    def get_device(self) -> int:
        """The GPU index of a cuda tensor, -1 for a cpu one."""
        return -1 if self._device.index is None else self._device.index

    def is_floating_point(self) -> bool:
        return self._dtype.is_floating_point

    def is_complex(self) -> bool:
        return self._dtype.is_complex

    def is_signed(self) -> bool:
        return self._dtype.is_signed

    # -- storage -----------------------------------------------------------------------------

    def _get_storage(self) -> UntypedStorage:
        st = self._storage
        if st is None:
            st = self._storage = storage_of_array(self._data, self._device)
        return st

    def untyped_storage(self) -> UntypedStorage:
        """The flat byte storage this tensor views (shared with every other view of it)."""
        return self._get_storage()

    def storage(self) -> TypedStorage:
        """The storage read as this tensor's dtype."""
        return TypedStorage(self._get_storage(), self._dtype)

    def _byte_offset(self) -> int:
        be = for_device(self._device)
        return be.data_ptr(self._data) - be.data_ptr(self._get_storage()._buf)

    def storage_offset(self) -> int:
        """Where the first element sits in the storage, counted in elements."""
        return self._byte_offset() // self._dtype.itemsize

    def stride(self, dim: int | None = None):
        """Steps in elements between neighbours along each dimension (a tuple, or one int)."""
        itemsize = self._dtype.itemsize
        strides = self._data.strides
        if dim is None:
            return tuple(s // itemsize for s in strides)
        return strides[_wrap_dim(dim, self._data.ndim)] // itemsize

    def data_ptr(self) -> int:
        """The address of the first element."""
        return for_device(self._device).data_ptr(self._data)

    def is_contiguous(self, memory_format=None) -> bool:
        return self._data.flags.c_contiguous

    @property
    def _version(self) -> int:
        return self._get_storage()._version

    def _bump_version(self) -> None:
        self._get_storage()._version += 1

    # -- autograd state ------------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not (self._dtype.is_floating_point or self._dtype.is_complex):
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients, "
                f"got {self._dtype}"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        """This tensor's values as a tensor outside autograd (shares storage)."""
        return self.detach()

    @data.setter
    def data(self, other: Tensor) -> None:
        self._data = other._data
        self._dtype = other._dtype
        self._device = other._device
        self._storage = other._storage

    def detach(self) -> Tensor:
        """A view of the same storage that autograd does not track."""
        return _wrap(self._data, self._dtype, self._device, self._get_storage())

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def as_subclass(self, cls) -> Tensor:
        """This tensor's data seen as an instance of a Tensor subclass ``cls``."""
        out = object.__new__(cls)
        out._data = self._data
        out._dtype = self._dtype
        out._device = self._device
        out._storage = self._get_storage()
        out._requires_grad = False
        out.grad = None
        out.grad_fn = None
        return out

    # -- conversion ----------------------------------------------------------------------------

    def to(self, *args, **kwargs) -> Tensor:
        """Convert dtype and/or device: ``to(dtype)``, ``to(device, dtype=None)``, ``to(other)``.

        Returns ``self`` when nothing changes, unless ``copy=True``.
        """
        dtype, device, copy = _parse_to(args, kwargs)
        return _convert(self, dtype, device, copy)

    def type(self, dtype=None, non_blocking: bool = False):
        """Without an argument, the type name (``'ember.FloatTensor'``); else convert."""
        if dtype is None:
            prefix = "ember.cuda." if self.is_cuda else "ember."
            return prefix + _LEGACY_NAMES[self._dtype]
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            try:
                dtype = _LEGACY_BY_NAME[name]
            except KeyError:
                raise ValueError(f"invalid type: '{dtype}'") from None
        return _convert(self, dtype, None, False)

    def float(self) -> Tensor:
        return _convert(self, _dtype.float32, None, False)

    def double(self) -> Tensor:
        return _convert(self, _dtype.float64, None, False)

    def half(self) -> Tensor:
        return _convert(self, _dtype.float16, None, False)

    def bfloat16(self) -> Tensor:
        return _convert(self, _dtype.bfloat16, None, False)

    def long(self) -> Tensor:
        return _convert(self, _dtype.int64, None, False)

    def int(self) -> Tensor:
        return _convert(self, _dtype.int32, None, False)

    def short(self) -> Tensor:
        return _convert(self, _dtype.int16, None, False)

    def char(self) -> Tensor:
        return _convert(self, _dtype.int8, None, False)

    def byte(self) -> Tensor:
        return _convert(self, _dtype.uint8, None, False)

    def bool(self) -> Tensor:
        return _convert(self, _dtype.bool, None, False)

    def cfloat(self) -> Tensor:
        return _convert(self, _dtype.complex64, None, False)

    def cdouble(self) -> Tensor:
        return _convert(self, _dtype.complex128, None, False)

    def cpu(self) -> Tensor:
        return _convert(self, None, CPU, False)

    def cuda(self, device=None, non_blocking: bool = False) -> Tensor:
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        dev = as_device(device)
        if dev.type != "cuda":
            raise RuntimeError(f"Invalid device, must be cuda device, got {dev}")
        return _convert(self, None, dev, False)

    def numpy(self, *, force: bool = False):
        """The data as a NumPy array sharing memory (cpu tensors that need no grad)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        if self._device.type != "cpu":
            if not force:
                raise TypeError(
                    f"can't convert {self._device} device type tensor to numpy. "
                    "Use Tensor.cpu() to copy the tensor to host memory first."
                )
            return for_device(self._device).to_host(self._data)
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = for_device(self._device).to_host(self._data)
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        if copy:
            return arr.copy()
        return arr

    def tolist(self):
        """The data as (nested lists of) Python numbers."""
        return _host_for_python(self).tolist()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return _host_for_python(self).reshape(()).item()

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous"
                if self._data.size
                else "Boolean value of Tensor with no values is ambiguous"
            )
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __index__(self) -> int:
        if self._dtype.is_floating_point or self._dtype.is_complex or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    __hash__ = object.__hash__

    def __repr__(self, *, tensor_contents=None) -> str:
        from ember._tensor_str import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol):
        return (_rebuild_from_host, (for_device(self._device).to_host(self._data).copy(),
                                     self._dtype.name, str(self._device), self._requires_grad))


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as ``ember.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"ember.Size([{', '.join(str(s) for s in self)}])"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, idx):
        out = tuple.__getitem__(self, idx)
        return Size(out) if isinstance(idx, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))


def _wrap(arr, dtype, device, storage=None) -> Tensor:
    """Wrap a backend array as a Tensor, no checks (the hot path of every op)."""
    t = object.__new__(Tensor)
    t._data = arr
    t._dtype = dtype
    t._device = device
    t._storage = storage
    t._requires_grad = False
    t.grad = None
    t.grad_fn = None
    return t


def _from_array(arr, device=CPU, dtype=None) -> Tensor:
    """Wrap a freshly computed backend array (dtype inferred from it unless given).

    An empty array gets PyTorch's contiguous strides (NumPy reports zeros for those).
    """
    dt = _dtype.from_numpy_dtype(arr.dtype) if dtype is None else dtype
    if arr.size == 0 and arr.ndim > 1:
        be = for_device(device)
        arr = be.view_from(
            be.empty_bytes(0), arr.dtype, arr.shape, contiguous_strides(arr.shape), 0
        )
    return _wrap(arr, dt, device)


def contiguous_strides(shape) -> tuple:
    """PyTorch's row-major strides for ``shape`` (a size-0 dim counts as 1, as in PyTorch)."""
    strides = []
    acc = 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(strides))


def _wrap_dim(dim: int, ndim: int) -> int:
    """Normalise a possibly negative dim, raising IndexError with the valid range."""
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + n if dim < 0 else dim


def _host_for_python(t: Tensor):
    arr = for_device(t._device).to_host(t._data)
    if t._dtype is _dtype.bfloat16:
        arr = arr.astype(_dtype.float32.np)
    return arr


def _convert(t: Tensor, dtype, device, copy: bool) -> Tensor:
    dev = t._device if device is None else as_device(device)
    dt = t._dtype if dtype is None else dtype
    if dev == t._device and dt is t._dtype and not copy:
        return t
    arr = t._data
    if dev != t._device:
        arr = for_device(dev).from_host(for_device(t._device).to_host(arr), dev.index)
    if dt is not t._dtype:
        arr = _cast_array(arr, t._dtype, dt, for_device(dev).xp)
    elif arr is t._data:
        arr = arr.copy()
    out = _wrap(arr, dt, dev)
    if t._requires_grad and (dt.is_floating_point or dt.is_complex):
        out._requires_grad = True  # autograd records the conversion once it exists
    return out


def _cast_array(arr, src: _dtype.dtype, dst: _dtype.dtype, xp):
    """Cast as PyTorch does: floats truncate toward zero into integers, anything nonzero is True."""
    if dst is _dtype.bool:
        return arr != 0
    if src.is_complex and not dst.is_complex:
        arr = arr.real
    with xp.errstate(invalid="ignore", over="ignore"):
        return arr.astype(dst.np)


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    flags = [a for a in args if isinstance(a, bool)]
    if len(flags) > 1:  # to(dtype, non_blocking, copy)
        copy = flags[1]
    for a in args:
        if isinstance(a, bool):
            continue
        if isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a._dtype, a._device
        elif isinstance(a, (str, int, device_cls)):
            device = a
        else:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    return dtype, device, copy


def _rebuild_from_host(arr, dtype_name, device, requires_grad):
    be = for_device(as_device(device))
    t = _wrap(be.from_host(arr), _dtype._BY_NAME[dtype_name], as_device(device))
    t._requires_grad = requires_grad
    return t


_LEGACY_NAMES = {
    _dtype.float32: "FloatTensor",
    _dtype.float64: "DoubleTensor",
    _dtype.float16: "HalfTensor",
    _dtype.bfloat16: "BFloat16Tensor",
    _dtype.uint8: "ByteTensor",
    _dtype.int8: "CharTensor",
    _dtype.int16: "ShortTensor",
    _dtype.int32: "IntTensor",
    _dtype.int64: "LongTensor",
    _dtype.bool: "BoolTensor",
    _dtype.complex64: "ComplexFloatTensor",
    _dtype.complex128: "ComplexDoubleTensor",
}
_LEGACY_BY_NAME = {v: k for k, v in _LEGACY_NAMES.items()}
