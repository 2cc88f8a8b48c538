"""``Tensor``: an n-dimensional view over a flat storage, with dtype, device and grad state.

The tensor's data is a backend array (``numpy.ndarray`` on cpu, ``cupy.ndarray`` on cuda)
that views its storage's buffer; ``stride()`` and ``storage_offset()`` are read off that
array, never kept beside it.  Operations live in ``ember/ops`` and are installed as methods
there; this file holds what a tensor *is*: metadata, conversion, and Python's protocols.
"""

from __future__ import annotations

import operator
import warnings

from ember import _dtype
from ember._device import CPU, as_device
from ember._device import device as device_cls
from ember._storage import TypedStorage, UntypedStorage, storage_of_array
from ember import _grad_state
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
        "_grad",
        "_grad_fn",
        "__dict__",
        "__weakref__",
    )

    def __new__(cls, *args, size=None, device=None):
        out = _legacy_new(_dtype.get_default_dtype(), args, size, device)
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
        return _new_size(Size, self._data.shape)

    def size(self, dim: int | None = None):
        """The shape as an ``ember.Size``, or the length of one dimension."""
        if dim is None:
            return _new_size(Size, self._data.shape)
        return self._data.shape[_wrap_dim_strict(dim, self._data.ndim)]

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
            # A fresh storage spans exactly the array, which starts at its first byte
            # (ember's strides are never negative).
            self.__dict__["_offc"] = (self._data, 0)
            fn = self._grad_fn
            if fn is not None and fn.save_output:
                # an op's saved output is about to be shared or written: let the op see its
                # version from now on
                fn._note_output_storage(self._output_nr, st)
        return st

    def untyped_storage(self) -> UntypedStorage:
        """The flat byte storage this tensor views (shared with every other view of it)."""
        return self._get_storage()

    def storage(self) -> TypedStorage:
        """The storage read as this tensor's dtype."""
        return TypedStorage(self._get_storage(), self._dtype)

    def _byte_offset(self) -> int:
        # Reading an array's address is slow in NumPy (about 2 µs), so the offset is cached
        # beside the very array it was read from: a tensor whose ``_data`` is replaced
        # recomputes it.
        cached = self.__dict__.get("_offc")
        if cached is not None and cached[0] is self._data:
            return cached[1]
        st = self._get_storage()
        cached = self.__dict__.get("_offc")
        if cached is not None and cached[0] is self._data:
            return cached[1]
        be = for_device(self._device)
        off = be.data_ptr(self._data) - be.data_ptr(st._buf)
        self.__dict__["_offc"] = (self._data, off)
        return off

    def storage_offset(self) -> int:
        """Where the first element sits in the storage, counted in elements."""
        return self._byte_offset() // self._dtype.itemsize

    def stride(self, dim: int | None = None):
        """Steps in elements between neighbours along each dimension (a tuple, or one int)."""
        itemsize = self._dtype.itemsize
        strides = self._data.strides
        if dim is None:
            return tuple(s // itemsize for s in strides)
        return strides[_wrap_dim_strict(dim, self._data.ndim)] // itemsize

    def data_ptr(self) -> int:
        """The address of the first element (0 for a tensor whose storage holds no bytes)."""
        if self._data.size == 0 and self._get_storage().nbytes() == 0:
            return 0
        return for_device(self._device).data_ptr(self._data)

    def is_contiguous(self, memory_format=None) -> bool:
        """Whether the elements lie densely in row-major order (or in ``memory_format``'s)."""
        if memory_format is None or memory_format is contiguous_format:
            return self._data.flags.c_contiguous
        if memory_format is preserve_format:
            raise RuntimeError("is_contiguous() does not accept memory_format=preserve_format")
        if self._data.size == 0:
            return True
        want = _format_strides(self._data.shape, memory_format)
        return all(
            n == 1 or s == w for n, s, w in zip(self._data.shape, self.stride(), want, strict=True)
        )

    @property
    def _version(self) -> int:
        return self._get_storage()._version

    def _bump_version(self) -> None:
        self._get_storage()._version += 1

    # -- autograd state ------------------------------------------------------------------------

    # A view records the tensor it views (``_base``, always a non-view) and the storage
    # version its ``grad_fn`` was made at: when an in-place op has changed the storage since,
    # reading ``grad_fn`` rebuilds it from the base's current history (PyTorch's rule).
    _base = None
    _view_version = None

    def _is_view(self) -> bool:
        """Whether this tensor is a (differentiable) view of another, its ``_base``."""
        return self._base is not None

    @property
    def grad_fn(self):
        fn = self._grad_fn
        version = self._view_version
        if version is not None and self._storage is not None and version != self._storage._version:
            fn = _refresh_view(self)
        return fn

    @grad_fn.setter
    def grad_fn(self, fn) -> None:
        self._grad_fn = fn

    @property
    def grad(self):
        """The gradient accumulated by backward (None until then); leaves only, unless
        ``retain_grad()`` was called."""
        g = self._grad
        if g is None and self._grad_fn is not None and not self.__dict__.get("_retains_grad"):
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by "
                "mistake, make sure you access the leaf Tensor instead. See "
                "github.com/pytorch/pytorch/pull/30531 for more information.",
                UserWarning,
                stacklevel=2,
            )
        return g

    @grad.setter
    def grad(self, value) -> None:
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def requires_grad(self) -> bool:
        if self._view_version is not None and not self._requires_grad:
            _ = self.grad_fn  # a view of a base that came to require grad in place
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if not value and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and not (self._dtype.is_floating_point or self._dtype.is_complex):
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, *args, **kwargs) -> Tensor:
        """Set ``requires_grad`` in place (True by default) and return this tensor."""
        if len(args) + len(kwargs) > 1 or (kwargs and "requires_grad" not in kwargs):
            if len(args) > 1:
                raise TypeError(
                    "requires_grad_() takes from 0 to 1 positional arguments but "
                    f"{len(args)} were given"
                )
            bad = next(k for k in kwargs if k != "requires_grad")
            raise TypeError(f"requires_grad_() got an unexpected keyword argument '{bad}'")
        value = args[0] if args else kwargs.get("requires_grad", True)
        if type(value) is not bool:
            where = " (position 1)" if args else ""
            raise TypeError(
                f"requires_grad_(): argument 'requires_grad'{where} must be bool, not "
                f"{type(value).__name__}"
            )
        self.requires_grad = value
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
        for key in ("_base", "_view_version", "_view_meta"):
            self.__dict__.pop(key, None)
        self._data = other._data
        self._dtype = other._dtype
        self._device = other._device
        self._storage = other._storage

    def detach(self) -> Tensor:
        """A view of the same storage that autograd does not track."""
        return _wrap(self._data, self._dtype, self._device, self._get_storage())

    def detach_(self) -> Tensor:
        """Take this tensor out of the graph in place (not allowed on a view)."""
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._grad_fn = None
        self._requires_grad = False
        self.__dict__.pop("_output_nr", None)
        return self

    def as_subclass(self, cls) -> Tensor:
        """This tensor's data seen as an instance of a Tensor subclass ``cls``."""
        out = object.__new__(cls)
        out._data = self._data
        out._dtype = self._dtype
        out._device = self._device
        out._storage = self._get_storage()
        out._requires_grad = False
        out._grad = None
        out._grad_fn = None
        return out

    # -- conversion ----------------------------------------------------------------------------

    def to(self, *args, **kwargs) -> Tensor:
        """Convert dtype and/or device, as ``torch.Tensor.to``.

        The forms are ``to(dtype, non_blocking=False, copy=False)``,
        ``to(device=None, dtype=None, non_blocking=False, copy=False)`` and
        ``to(other, non_blocking=False, copy=False)`` (``other``'s dtype and device), each
        with a keyword ``memory_format``.  Returns ``self`` when nothing changes, unless
        ``copy=True``; a new tensor keeps this one's strides where they are dense.
        """
        dtype, device, copy, memory_format = _parse_to(args, kwargs)
        return _convert(self, dtype, device, copy, memory_format)

    def type(self, dtype=None, non_blocking: bool = False, **kwargs):
        """Without an argument, the type name (``'ember.FloatTensor'``); else convert.

        ``dtype`` may be a dtype, a legacy type such as ``ember.IntTensor``, or its name
        (``'torch.IntTensor'`` or ``'ember.IntTensor'``; ``'torch.cuda.IntTensor'`` for cuda).
        """
        if dtype is None:
            prefix = "ember.cuda." if self.is_cuda else "ember."
            return prefix + _LEGACY_NAMES[self._dtype]
        device = None
        if isinstance(dtype, str):
            dtype, device = _legacy_type_from_name(dtype)
        elif isinstance(dtype, _LegacyTensorType):
            dtype, device = dtype.dtype, CPU
        elif not isinstance(dtype, _dtype.dtype):
            raise ValueError(f"invalid type: '{dtype!r}'")
        return _convert(self, dtype, device, False)

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
        """The data as a NumPy array sharing memory (cpu tensors that need no grad).

        ``force=True`` also serves tensors that require grad or live on a GPU (a copy there).
        bfloat16 comes back as an ``ml_dtypes.bfloat16`` array, where PyTorch refuses.
        """
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
        if self._requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
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
                "Boolean value of Tensor with more than one value is ambiguous"
                if self._data.size
                else "Boolean value of Tensor with no values is ambiguous"
            )
        return bool(self.item())

    def __float__(self) -> float:
        return float(_python_real(self, "double"))

    def __int__(self) -> int:
        return int(_python_real(self, "int64_t"))

    def __complex__(self) -> complex:
        return complex(_python_scalar(self))

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
        if self._data.ndim == 0:  # f"{loss}" prints the number, as in PyTorch
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor converted to ``other``'s dtype and device."""
        return self.to(device=other._device, dtype=other._dtype)

    def xlogy(self, other) -> Tensor:
        from ember.special import xlogy

        return xlogy(self, other)

    def __reduce_ex__(self, protocol):
        return (
            _rebuild_from_host,
            (
                for_device(self._device).to_host(self._data).copy(),
                self._dtype.name,
                str(self._device),
                self._requires_grad,
            ),
        )


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as ``ember.Size([2, 3])``.

    Slicing, concatenation and repetition give a Size again; ``numel()`` is the product.
    """

    __slots__ = ()

    def __new__(cls, sizes=()):
        items = []
        for i, s in enumerate(sizes):
            try:
                items.append(operator.index(s))
            except TypeError:
                raise TypeError(
                    f"ember.Size() takes an iterable of 'int' (item {i} is '{type(s).__name__}')"
                ) from None
        return tuple.__new__(cls, items)

    def __repr__(self) -> str:
        return f"ember.Size([{', '.join(str(s) for s in self)}])"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, idx):
        out = tuple.__getitem__(self, idx)
        return _new_size(Size, out) if isinstance(idx, slice) else out

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return _new_size(Size, tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return _new_size(Size, tuple.__add__(other, self))

    def __mul__(self, n):
        out = tuple.__mul__(self, n)
        return out if out is NotImplemented else _new_size(Size, out)

    __rmul__ = __mul__


# Builds a Size from a tuple of ints without checking them (the hot path of ``.shape``).
_new_size = tuple.__new__


class memory_format:
    """How a tensor's elements are laid out: ``ember.contiguous_format`` (row-major),
    ``ember.preserve_format`` (like the input), ``ember.channels_last`` (NHWC for 4-D) and
    ``ember.channels_last_3d`` (NDHWC for 5-D)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return "ember." + self.name

    def __reduce__(self):
        return self.name


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


def _wrap(arr, dtype, device, storage=None) -> Tensor:
    """Wrap a backend array as a Tensor, no checks (the hot path of every op)."""
    t = object.__new__(Tensor)
    t._data = arr
    t._dtype = dtype
    t._device = device
    t._storage = storage
    t._requires_grad = False
    t._grad = None
    t._grad_fn = None
    if _grad_state.inference_regions and _grad_state.state.inference:
        t.__dict__["_is_inference"] = True
    return t


def _refresh_view(view: Tensor):
    """Rebuild a view's ``grad_fn`` after its storage changed in place."""
    from ember.ops.shape import refresh_view

    return refresh_view(view)


def _from_array(arr, device=CPU, dtype=None) -> Tensor:
    """Wrap a freshly computed backend array (dtype inferred from it unless given).

    An empty array gets PyTorch's contiguous strides (NumPy reports zeros for those).
    """
    dt = _dtype.from_numpy_dtype(arr.dtype) if dtype is None else dtype
    if arr.size == 0 and arr.ndim:
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


def _suggest_memory_format(t: Tensor) -> memory_format:
    """The layout PyTorch reads off a tensor's strides: channels-last for a 4-D (5-D) tensor
    laid out that way, else contiguous (whatever the actual strides of other tensors)."""
    rank = t._data.ndim
    if rank == 4 and not t.is_contiguous() and t.is_contiguous(channels_last):
        return channels_last
    if rank == 5 and not t.is_contiguous() and t.is_contiguous(channels_last_3d):
        return channels_last_3d
    return contiguous_format


def _format_strides(shape, fmt: memory_format) -> tuple:
    """The strides of a dense tensor of ``shape`` laid out in ``fmt`` (not preserve_format)."""
    if fmt is contiguous_format:
        return contiguous_strides(shape)
    rank = 4 if fmt is channels_last else 5
    if len(shape) != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt.name} format")
    # The channel dim is innermost, then the spatial dims last to first, then the batch.
    strides = [0] * rank
    strides[1] = 1
    acc = shape[1]
    for d in range(rank - 1, 1, -1):
        strides[d] = acc
        acc *= shape[d]
    strides[0] = acc
    return tuple(strides)


def _is_non_overlapping_and_dense(shape, strides) -> bool:
    """Whether the elements fill a block of memory exactly once, in some order of dims."""
    if len(shape) == 1:
        return shape[0] < 2 or strides[0] == 1
    require = 1
    for d in sorted(range(len(shape)), key=lambda d: (shape[d] < 2, strides[d])):
        if shape[d] < 2:
            return True
        if strides[d] != require:
            return False
        require *= shape[d]
    return True


def _preserved_strides(shape, strides) -> tuple:
    """The strides PyTorch gives a new tensor made like one of ``shape`` and ``strides``
    (``memory_format=preserve_format``, as in ``empty_like`` and ``to``).

    Dense strides (and any strides of an empty tensor) are kept as they are; otherwise the
    dims keep their order by stride, with stride-0 dims left where row-major order puts them
    (PyTorch's ``infer_dense_strides``).
    """
    ndim = len(shape)
    if 0 in shape or _is_non_overlapping_and_dense(shape, strides):
        return tuple(strides)
    perm = list(range(ndim - 1, -1, -1))  # innermost first

    def should_swap(d0, d1):
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return -1 if s0 < s1 else 1
        return 1 if shape[d0] > shape[d1] else 0

    for i in range(1, ndim):  # a stable insertion sort, as in PyTorch
        dim1 = i
        for dim0 in range(i - 1, -1, -1):
            c = should_swap(perm[dim0], perm[dim1])
            if c > 0:
                perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
                dim1 = dim0
            elif c < 0:
                break
    out = [0] * ndim
    acc = 1
    for d in perm:
        out[d] = acc
        if shape[d] > 1:
            acc *= shape[d]
    return tuple(out)


def _layout_for(arr, fmt) -> tuple | None:
    """Element strides for a new array holding ``arr``'s values in ``fmt`` (None or
    preserve_format: like ``arr``), or None where plain row-major order is right."""
    shape = arr.shape
    if fmt is None or fmt is preserve_format:
        if arr.flags.c_contiguous and arr.size and 1 not in shape:
            return None
        item = arr.itemsize
        strides = _preserved_strides(shape, tuple(s // item for s in arr.strides))
    else:
        strides = _format_strides(shape, fmt)
    if arr.size and strides == contiguous_strides(shape):
        return None
    return strides


def _empty_strided(xp, shape, strides, np_dtype):
    """An uninitialised array of ``shape`` with element ``strides`` over a fresh buffer."""
    extent = (
        1 + sum((n - 1) * s for n, s in zip(shape, strides, strict=True)) if 0 not in shape else 0
    )
    buf = xp.empty(extent, np_dtype)
    item = buf.itemsize
    return xp.lib.stride_tricks.as_strided(buf, shape, tuple(s * item for s in strides))


def _wrap_dim_strict(dim: int, ndim: int) -> int:
    """``_wrap_dim`` for ``size(dim)`` and ``stride(dim)``, which a 0-dim tensor refuses."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


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


def _python_scalar(t: Tensor):
    """The value of a one-element tensor for ``float()``/``int()``/``complex()``."""
    if t._data.size != 1:
        raise ValueError("only one element tensors can be converted to Python scalars")
    return _host_for_python(t).reshape(()).item()


def _python_real(t: Tensor, ctype: str):
    v = _python_scalar(t)
    if isinstance(v, complex):
        if v.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
        v = v.real
    return v


def _convert(t: Tensor, dtype, device, copy: bool, memory_format=None) -> Tensor:
    dev = t._device if device is None else as_device(device)
    dt = t._dtype if dtype is None else dtype
    if dev == t._device and dt is t._dtype and not copy:
        if memory_format in (None, preserve_format, _suggest_memory_format(t)):
            return t
    if t._requires_grad:
        from ember.ops.shape import to_copy

        return to_copy(t, dt, dev, memory_format)
    return _wrap(_copy_array(t._data, t._dtype, t._device, dt, dev, memory_format), dt, dev)


def _copy_array(arr, src: _dtype.dtype, src_dev, dst: _dtype.dtype, dev, memory_format=None):
    """A new array of ``arr``'s values (on ``src_dev``, of ``src``) as ``dst`` on ``dev``."""
    if dev != src_dev:
        arr = for_device(dev).from_host(for_device(src_dev).to_host(arr), dev.index)
        if dst is src:
            return arr
    return _cast_array(arr, src, dst, for_device(dev).xp, memory_format)


def _cast_array(arr, src: _dtype.dtype, dst: _dtype.dtype, xp, memory_format=None):
    """A new array of ``arr``'s values in ``dst``, cast as PyTorch casts: floats truncate
    toward zero into integers, anything nonzero is True, complex to real keeps the real part.

    The result has the strides PyTorch gives (``memory_format``, by default like ``arr``).
    """
    if src.is_complex and not dst.is_complex:
        warnings.warn(
            "Casting complex values to real discards the imaginary part", UserWarning, stacklevel=3
        )
    strides = _layout_for(arr, memory_format)
    if strides is None and arr.flags.c_contiguous:
        if dst is _dtype.bool:
            return arr != 0
        if src.is_complex and not dst.is_complex:
            arr = arr.real
        return _astype(arr, src, dst, xp)
    if strides is None:
        out = xp.empty(arr.shape, dst.np)
    else:
        out = _empty_strided(xp, arr.shape, strides, dst.np)
    if dst is _dtype.bool:
        xp.not_equal(arr, 0, out=out)
        return out
    if src.is_complex and not dst.is_complex:
        arr = arr.real
    if (src, dst) in _LOSSY_CASTS:
        with xp.errstate(invalid="ignore", over="ignore"):
            xp.copyto(out, arr, casting="unsafe")
    else:
        xp.copyto(out, arr, casting="unsafe")
    return out


def _float_max(dt: _dtype.dtype) -> float:
    return {"float16": 65504.0, "bfloat16": 3.3895313892515355e38,
            "float32": 3.4028234663852886e38}.get(dt.to_real().name, float("inf"))  # fmt: skip


def _may_warn(a: _dtype.dtype, b: _dtype.dtype) -> bool:
    """Whether NumPy may warn casting ``a`` to ``b``: nan or out-of-range floats into
    integers, or values beyond a narrower float type's range."""
    a_float = a.is_floating_point or a.is_complex
    if b is _dtype.bool or not (a_float or b.is_floating_point or b.is_complex):
        return False
    if not (b.is_floating_point or b.is_complex):
        return True
    a_max = _float_max(a) if a_float else (1 if a is _dtype.bool else _dtype.iinfo(a).max)
    return a_max > _float_max(b)


# PyTorch casts silently, so these casts run under errstate.
_LOSSY_CASTS = frozenset(
    (a, b) for a in _dtype.ALL_DTYPES for b in _dtype.ALL_DTYPES if _may_warn(a, b)
)


def _astype(arr, src: _dtype.dtype, dst: _dtype.dtype, xp):
    """``arr.astype(dst)``, silencing NumPy's cast warnings where PyTorch has none."""
    if (src, dst) in _LOSSY_CASTS:
        with xp.errstate(invalid="ignore", over="ignore"):
            return arr.astype(dst.np)
    return arr.astype(dst.np)


# Python's number types stand for dtypes wherever PyTorch takes one (``dtype=float``).
_PY_DTYPES = {
    float: _dtype.float64,
    int: _dtype.int64,
    bool: _dtype.bool,
    complex: _dtype.complex128,
}


_TO_FORMS = {
    "dtype": ("dtype", "non_blocking", "copy"),
    "tensor": ("other", "non_blocking", "copy"),
    "device": ("device", "dtype", "non_blocking", "copy"),
}


def _parse_to(args, kwargs):
    """``to()``'s three signatures, told apart by the first positional argument."""
    if args and (isinstance(args[0], _dtype.dtype) or args[0] in _PY_DTYPES):
        names = _TO_FORMS["dtype"]
    elif args and isinstance(args[0], Tensor):
        names = _TO_FORMS["tensor"]
    else:
        names = _TO_FORMS["device"]
    if len(args) > len(names):
        raise TypeError(f"to() takes at most {len(names)} positional arguments ({len(args)} given)")
    got = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key == "memory_format" or (key in names and key != "other"):
            if key in got:
                raise TypeError(f"to() got multiple values for argument '{key}'")
            got[key] = value
        else:
            raise TypeError(
                f"to() received an invalid combination of arguments - got an unexpected "
                f"keyword argument '{key}' with positional arguments "
                f"({', '.join(type(a).__name__ for a in args)})"
            )
    other = got.get("other")
    dtype = got.get("dtype")
    device = got.get("device")
    if other is not None:
        dtype, device = other._dtype, other._device
    if dtype is not None and not isinstance(dtype, _dtype.dtype):
        if dtype not in _PY_DTYPES:
            raise TypeError(
                f"to(): argument 'dtype' must be ember.dtype, not {type(dtype).__name__}"
            )
        dtype = _PY_DTYPES[dtype]
    if device is not None and not isinstance(device, str | int | device_cls):
        raise TypeError(
            f"to(): argument 'device' must be ember.device, not {type(device).__name__}"
        )
    for flag in ("non_blocking", "copy"):
        if not isinstance(got.get(flag, False), bool):
            raise TypeError(f"to(): argument '{flag}' must be bool, not {type(got[flag]).__name__}")
    fmt = got.get("memory_format")
    if fmt is not None and not isinstance(fmt, memory_format):
        raise TypeError(
            f"to(): argument 'memory_format' must be ember.memory_format, not {type(fmt).__name__}"
        )
    return dtype, device, got.get("copy", False), fmt


def _legacy_new(dtype, args, size, device, strict: bool = False) -> Tensor:
    """PyTorch's legacy constructor ``Tensor(...)``: no argument (an empty tensor), sizes
    (``Tensor(2, 3)``, ``Tensor(ember.Size([2, 3]))``, ``size=``), a tensor (an alias of it) or
    a sequence of values (converted to ``dtype``)."""
    from ember import _factories

    if size is not None:
        if args:
            raise TypeError("new() received both positional sizes and size=")
        return _factories.empty(size, dtype=dtype, device=device)
    if not args:
        return _factories.empty(0, dtype=dtype, device=device)
    if len(args) == 1:
        data = args[0]
        if isinstance(data, Tensor):
            if device is not None:
                raise RuntimeError(
                    "Legacy tensor constructor of the form ember.Tensor(tensor, device=device) "
                    "is not supported.  Use ember.tensor(...) or ember.as_tensor(...) instead."
                )
            if strict and data._dtype is not dtype:
                raise TypeError(f"expected {dtype} (got {data._dtype})")
            return _wrap(data._data, data._dtype, data._device, data._get_storage())
        if isinstance(data, Size):
            return _factories.empty(data, dtype=dtype, device=device)
        tp = type(data)
        if not isinstance(data, bool) and hasattr(tp, "__index__") and not hasattr(tp, "__len__"):
            return _factories.empty(operator.index(data), dtype=dtype, device=device)
        if isinstance(data, dict) or not (hasattr(tp, "__getitem__") and hasattr(tp, "__len__")):
            name = type(data).__name__
            if type(data).__module__ not in ("builtins", None):
                name = f"{type(data).__module__}.{name}"
            raise TypeError(f"new(): data must be a sequence (got {name})")
        return _factories.tensor(data, dtype=dtype, device=device)
    return _factories.empty(*args, dtype=dtype, device=device)


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


def _legacy_type_from_name(name: str):
    """The dtype and device a legacy type name means (``'torch.cuda.IntTensor'``)."""
    for prefix, dev in (("torch.", CPU), ("ember.", CPU), ("torch.cuda.", "cuda"),
                        ("ember.cuda.", "cuda")):  # fmt: skip
        rest = name[len(prefix) :]
        if name.startswith(prefix) and rest in _LEGACY_BY_NAME:
            return _LEGACY_BY_NAME[rest], dev
    raise ValueError(f"invalid type: '{name}'")


class _LegacyTensorType(type):
    """The type of ``ember.FloatTensor`` and its kin.  Calling one is the legacy constructor
    with that dtype; ``isinstance(t, ember.FloatTensor)`` asks for a float32 cpu tensor."""

    def __call__(cls, *args, size=None, device=None):
        return _legacy_new(cls.dtype, args, size, device, strict=True)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._dtype is cls.dtype and obj._device.type == "cpu"

    def __repr__(cls) -> str:
        return f"<class 'ember.{cls.__name__}'>"


# PyTorch has legacy classes for the real dtypes only (no ComplexFloatTensor).
LEGACY_TYPES = {
    name: _LegacyTensorType(name, (), {"dtype": dt, "is_cuda": False, "__module__": "ember"})
    for dt, name in _LEGACY_NAMES.items()
    if not dt.is_complex
}
