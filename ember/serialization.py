"""``ember.save`` / ``ember.load``: PyTorch's checkpoint format, both ways, loaded safely.

A checkpoint is a zip archive (stored, not compressed) holding ``<name>/data.pkl``, a pickle
(protocol 2) of the object in which every tensor is a call of
``torch._utils._rebuild_tensor_v2`` on a *persistent id* naming a storage record, and one
record ``<name>/data/<key>`` of raw little-endian bytes per storage, aligned to 64 bytes so
that it can be memory-mapped.  ember writes the same globals PyTorch writes (without
importing torch: the pickler emits those names for ember's own stand-ins), so ``torch.load``
reads ember's files and ember reads PyTorch's.

Loading with ``weights_only=True`` (the default) admits only tensors, storages, containers,
numbers, strings and the few globals needed to rebuild them; any other global in the file
raises ``pickle.UnpicklingError`` naming it, before anything runs.
"""

from __future__ import annotations

import collections
import contextlib
import io
import os
import pickle
import struct
import tempfile
import zipfile
from pathlib import Path

from ember import _dtype
from ember._device import device as _device_cls
from ember._storage import TypedStorage, UntypedStorage
from ember._tensor import Size, Tensor, _wrap
from ember.backend import for_device

__all__ = [
    "add_safe_globals", "clear_safe_globals", "get_safe_globals", "load", "load_safetensors",
    "safe_globals", "safetensors_metadata", "save", "save_safetensors",
]  # fmt: skip

_ALIGN = 64
_STORAGE_NAMES = {
    _dtype.float32: "FloatStorage", _dtype.float64: "DoubleStorage",
    _dtype.float16: "HalfStorage", _dtype.bfloat16: "BFloat16Storage",
    _dtype.int64: "LongStorage", _dtype.int32: "IntStorage", _dtype.int16: "ShortStorage",
    _dtype.int8: "CharStorage", _dtype.uint8: "ByteStorage", _dtype.bool: "BoolStorage",
    _dtype.complex64: "ComplexFloatStorage", _dtype.complex128: "ComplexDoubleStorage",
}  # fmt: skip
_DTYPE_OF_STORAGE = {name: dt for dt, name in _STORAGE_NAMES.items()}


# -- stand-ins for PyTorch's globals -----------------------------------------------------------


class _TorchGlobal:
    """An object pickled as the global ``module.name`` of PyTorch."""

    __slots__ = ("module", "name", "dtype")

    def __init__(self, module: str, name: str, dtype=None) -> None:
        self.module, self.name, self.dtype = module, name, dtype

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"

    def __call__(self, *args, **kwargs):  # pickle wants reduction functions to be callable
        raise TypeError(f"{self!r} stands for a PyTorch global and cannot be called")


_REBUILD_TENSOR = _TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchGlobal("torch._utils", "_rebuild_parameter")
_SIZE = _TorchGlobal("torch", "Size")
_DEVICE = _TorchGlobal("torch", "device")
_STORAGE_TYPES = {dt: _TorchGlobal("torch", name, dt) for dt, name in _STORAGE_NAMES.items()}
_DTYPES = {dt: _TorchGlobal("torch", dt.name) for dt in _STORAGE_NAMES}


class _Pickler(pickle._Pickler):
    """The pure-Python pickler, taught to write PyTorch's globals for ember's objects and to
    send storages to ``persistent_id``."""

    def __init__(self, file, protocol, storages: dict) -> None:
        super().__init__(file, protocol)
        self._storages = storages  # id(storage) -> (key, storage, dtype)

    def save_global(self, obj, name=None):
        if isinstance(obj, _TorchGlobal):
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
            self.memoize(obj)
            return
        super().save_global(obj, name)

    def reducer_override(self, obj):
        from ember.nn.parameter import Parameter

        if isinstance(obj, Tensor):
            rebuilt = (
                _REBUILD_TENSOR,
                (
                    _StorageRef(obj),
                    obj.storage_offset(),
                    tuple(obj.shape),
                    tuple(obj.stride()),
                    obj.requires_grad if not isinstance(obj, Parameter) else False,
                    collections.OrderedDict(),
                ),
            )
            if isinstance(obj, Parameter):
                return (
                    _REBUILD_PARAMETER,
                    (_Rebuilt(rebuilt), obj.requires_grad, collections.OrderedDict()),
                )
            return rebuilt
        if isinstance(obj, _Rebuilt):
            return obj.reduction
        if isinstance(obj, _device_cls):
            return (_DEVICE, (str(obj),))
        if isinstance(obj, Size):
            return (_SIZE, (tuple(obj),))
        if isinstance(obj, (UntypedStorage, TypedStorage)):
            raise pickle.PicklingError(
                "ember.save does not save bare storages; save the tensors that view them"
            )
        return NotImplemented

    def persistent_id(self, obj):
        if not isinstance(obj, _StorageRef):
            return None
        t = obj.tensor
        st = t.untyped_storage()
        entry = self._storages.get(id(st))
        if entry is None:
            entry = (str(len(self._storages)), st, t.dtype)
            self._storages[id(st)] = entry
        elif entry[2] is not t.dtype:
            raise pickle.PicklingError(
                f"ember.save: one storage is viewed as both {entry[2]} and {t.dtype}; "
                "saving such views is not supported"
            )
        key, st, dt = entry
        location = "cpu" if st.device.type == "cpu" else f"cuda:{st.device.index or 0}"
        return ("storage", _STORAGE_TYPES[dt], key, location, st.nbytes() // dt.itemsize)


_Pickler.dispatch = dict(pickle._Pickler.dispatch)
_Pickler.dispatch[_TorchGlobal] = lambda self, obj: self.save_global(obj)
_Pickler.dispatch[_dtype.dtype] = lambda self, obj: self.save_global(_DTYPES[obj])


class _StorageRef:
    __slots__ = ("tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self.tensor = tensor


class _Rebuilt:
    """A reduction nested in another (a Parameter's data)."""

    __slots__ = ("reduction",)

    def __init__(self, reduction) -> None:
        self.reduction = reduction


# -- save ----------------------------------------------------------------------------------------


def _write_record(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    """One stored record whose data starts at a multiple of 64 bytes (for mmap)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    start = zf.fp.tell() + 30 + len(name.encode())
    pad = (-(start + 4)) % _ALIGN
    # an extra field (id 'FB', as PyTorch's writer uses) that only pads
    info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
    zf.writestr(info, data)


def _archive_name(f) -> str:
    if isinstance(f, (str, os.PathLike)):
        return Path(f).stem or "archive"
    return "archive"


def _write_archive(obj, stream, name: str, protocol: int) -> None:
    storages: dict = {}
    buf = io.BytesIO()
    _Pickler(buf, protocol, storages).dump(obj)
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        _write_record(zf, f"{name}/data.pkl", buf.getvalue())
        _write_record(zf, f"{name}/.format_version", b"1")
        _write_record(zf, f"{name}/.storage_alignment", str(_ALIGN).encode())
        _write_record(zf, f"{name}/byteorder", b"little")
        for key, st, _ in storages.values():
            data = for_device(st.device).to_host(st._buf).tobytes()
            _write_record(zf, f"{name}/data/{key}", data)
        _write_record(zf, f"{name}/version", b"3\n")


def _atomic_write(path, write) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, flush and fsync it, then
    rename it over ``path``: a crash at any point leaves the old file as it was."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def save(obj, f, pickle_module=None, pickle_protocol: int = 2, _use_new_zipfile_serialization=True) -> None:
    """Save ``obj`` (tensors, state dicts, containers, modules...) in PyTorch's format.

    ``f`` is a path (str or ``os.PathLike``) or a binary file object.  A path is written
    through a temporary file in the same folder and renamed at the end, so a failed save
    leaves any existing file untouched.
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise NotImplementedError("ember.save supports only the standard pickle module")
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("ember.save writes only the zip format (PyTorch >= 1.6)")
    if isinstance(f, (str, os.PathLike)):
        name = _archive_name(f)
        _atomic_write(f, lambda out: _write_archive(obj, out, name, pickle_protocol))
        return
    if not hasattr(f, "write"):
        raise AttributeError(
            f"expected 'f' to be string, path, or a file-like object with a 'write' attribute, "
            f"got {type(f).__name__}"
        )
    _write_archive(obj, f, "archive", pickle_protocol)


# -- safe globals ---------------------------------------------------------------------------------

_user_safe_globals: list = []


def add_safe_globals(safe_globals: list) -> None:
    """Let ``load(weights_only=True)`` rebuild these classes and functions (or
    ``(obj, "module.name")`` pairs) too."""
    _user_safe_globals.extend(safe_globals)


def get_safe_globals() -> list:
    return list(_user_safe_globals)


def clear_safe_globals() -> None:
    _user_safe_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: list):
    """``add_safe_globals`` for the duration of a ``with`` block."""
    before = list(_user_safe_globals)
    _user_safe_globals.extend(safe_globals)
    try:
        yield
    finally:
        _user_safe_globals[:] = before


def _user_global(module: str, name: str):
    for g in _user_safe_globals:
        if isinstance(g, tuple):
            obj, full = g
            if full == f"{module}.{name}":
                return obj
        elif getattr(g, "__module__", None) == module and getattr(g, "__qualname__", None) == name:
            return g
    return None


# -- load ----------------------------------------------------------------------------------------


def _rebuild_tensor(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    st, dt = storage
    be = for_device(st.device)
    item = dt.itemsize
    _check_view(st.nbytes() // item, storage_offset, size, stride)
    arr = be.view_from(st._buf, dt.np, tuple(size), tuple(stride), storage_offset * item)
    t = _wrap(arr, dt, st.device, st)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _check_view(numel: int, offset, size, stride) -> None:
    """Refuse a tensor that would reach outside its storage (a damaged or forged file)."""
    ok = (
        isinstance(offset, int) and offset >= 0
        and isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride)
        and all(isinstance(n, int) and n >= 0 for n in size)
        and all(isinstance(s, int) and s >= 0 for s in stride)
    )  # fmt: skip
    if ok and 0 not in size:
        ok = offset + sum((n - 1) * s for n, s in zip(size, stride)) < numel
    if not ok:
        raise RuntimeError(
            f"checkpoint describes a tensor of size {size}, stride {stride} and offset {offset} "
            f"that does not fit its storage of {numel} elements: the file is damaged"
        )


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    from ember.nn.parameter import Parameter

    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = _rebuild_parameter(data, requires_grad)
    p.__dict__.update(state or {})
    return p


def _rebuild_from_type_v2(func, new_type, args, state):
    out = func(*args)
    if new_type is not Tensor and isinstance(new_type, type) and issubclass(new_type, Tensor):
        out = out.as_subclass(new_type)
    if state:
        out.__dict__.update(state if isinstance(state, dict) else state[0] or {})
    return out


def _device_from_str(spec):
    return _device_cls(spec)


def _torch_globals() -> dict:
    from ember.nn.parameter import Parameter

    table = {
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
        ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
        ("torch", "Tensor"): Tensor,
        ("torch.nn.parameter", "Parameter"): Parameter,
        ("torch", "Size"): Size,
        ("torch", "device"): _device_from_str,
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("builtins", "slice"): slice,
        ("builtins", "complex"): complex,
        ("builtins", "bytearray"): bytearray,
        ("_codecs", "encode"): _latin1_encode,
    }
    for dt, name in _STORAGE_NAMES.items():
        table[("torch", name)] = _StorageType(dt)
    for dt in _STORAGE_NAMES:
        table[("torch", dt.name)] = dt
        for alias in ("float", "double", "half", "long", "int", "short"):
            if getattr(_dtype, alias, None) is dt:
                table[("torch", alias)] = dt
    return table


def _latin1_encode(text, encoding="latin1"):
    # protocol-2 pickles of bytes go through _codecs.encode(str, 'latin1')
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"_codecs.encode with encoding {encoding!r} is not allowed")
    return text.encode(encoding)


class _StorageType:
    """What ``torch.FloatStorage`` and friends unpickle as: a dtype tag."""

    __slots__ = ("dtype",)

    def __init__(self, dtype) -> None:
        self.dtype = dtype


def _unsupported_global(module: str, name: str) -> pickle.UnpicklingError:
    return pickle.UnpicklingError(
        "Weights only load failed. ember.load(weights_only=True) only rebuilds tensors, "
        f"storages, containers, numbers and strings. Unsupported global: GLOBAL {module}.{name} "
        "was not an allowed global by default. If you trust this file, load it with "
        "weights_only=False, or allow the global with "
        f"ember.serialization.add_safe_globals([{name}])."
    )


class _Unpickler(pickle._Unpickler):
    """Reads the pickle of a checkpoint; with ``weights_only`` it resolves only the
    allow-listed globals, so a hostile file cannot name (let alone call) anything else."""

    def __init__(self, file, weights_only: bool, load_storage, **kwargs) -> None:
        super().__init__(file, **kwargs)
        self._weights_only = weights_only
        self._load_storage = load_storage
        self._table = _torch_globals()

    def find_class(self, module, name):
        key = (module, name)
        if key in self._table:
            return self._table[key]
        user = _user_global(module, name)
        if user is not None:
            return user
        if self._weights_only:
            raise _unsupported_global(module, name)
        if module.startswith("torch"):
            raise pickle.UnpicklingError(
                f"ember.load cannot rebuild the PyTorch object {module}.{name}; only tensors, "
                "parameters and containers of them can be read from PyTorch files"
            )
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r} in checkpoint")
        _, stype, key, location, numel = pid
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"unsupported storage type {stype!r} in checkpoint")
        return self._load_storage(str(key), location, stype.dtype, int(numel))

    def load_build(self):
        # BUILD sets state on the object just made; allow it only where checkpoints use it
        if self._weights_only:
            obj = self.stack[-2]
            allowed = isinstance(obj, (collections.OrderedDict, Tensor))
            if not allowed and _user_global(type(obj).__module__, type(obj).__qualname__) is None:
                raise pickle.UnpicklingError(
                    f"Weights only load failed: setting the state of a {type(obj).__name__} "
                    "is not allowed"
                )
        super().load_build()

    dispatch = dict(pickle._Unpickler.dispatch)
    dispatch[pickle.BUILD[0]] = load_build


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "0").strip().lower() in ("1", "y", "yes", "true")


def _resolve_location(location: str, map_location):
    """The device a storage saved at ``location`` goes to."""
    if map_location is None:
        target = location
    elif isinstance(map_location, dict):
        target = map_location.get(location, location)
    elif callable(map_location) and not isinstance(map_location, (str, _device_cls)):
        return map_location
    else:
        target = map_location
    dev = _device_cls(target) if not isinstance(target, _device_cls) else target
    if dev.type == "cuda":
        from ember.backend import cuda_is_available

        if not cuda_is_available():
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use ember.load with "
                "map_location=ember.device('cpu') to map your storages to the CPU."
            )
    return dev


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load an object saved by ``ember.save`` or ``torch.save`` (zip format).

    ``map_location`` (a device, a string, a dict from saved to wanted locations, or a
    function ``(storage, location) -> storage``) moves storages; ``mmap=True`` maps them
    from the file instead of reading them (``f`` must be a path).  ``weights_only`` (default
    True) refuses any global but those needed for tensors and containers.
    """
    if _env_flag("TORCH_FORCE_WEIGHTS_ONLY_LOAD"):
        weights_only = True
    elif weights_only is None:
        weights_only = not _env_flag("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    if pickle_module is not None and pickle_module is not pickle:
        if weights_only:
            raise RuntimeError(
                "Can not safely load weights when explicit pickle_module is specified"
            )
    path = None
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
    elif mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    opened = open(path, "rb") if path is not None else contextlib.nullcontext(f)
    with opened as stream:
        if not zipfile.is_zipfile(stream):
            stream.seek(0)
            raise RuntimeError(
                "ember.load reads only PyTorch's zip checkpoint format (torch.save since "
                "PyTorch 1.6); this file is not a zip archive"
            )
        stream.seek(0)
        try:
            with zipfile.ZipFile(stream) as zf:
                return _load_archive(
                    zf, path if mmap else None, map_location, weights_only, pickle_load_args
                )
        except (pickle.UnpicklingError, RuntimeError):
            raise
        except Exception as exc:  # whatever a damaged archive trips, the user sees one kind
            raise RuntimeError(
                f"ember.load: the checkpoint is damaged or is not a checkpoint ({type(exc).__name__}: {exc})"
            ) from exc


def _load_archive(zf: zipfile.ZipFile, mmap_path, map_location, weights_only, pickle_load_args):
    names = zf.namelist()
    pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
    if not pkl:
        raise RuntimeError("checkpoint has no data.pkl record")
    prefix = pkl[0][: -len("data.pkl")]
    if f"{prefix}byteorder" in names and zf.read(f"{prefix}byteorder") != b"little":
        raise RuntimeError(
            "ember.load reads only little-endian checkpoints; this one says "
            f"{zf.read(prefix + 'byteorder')[:16]!r}"
        )
    loaded: dict = {}

    def load_storage(key, location, dt, numel):
        if key in loaded:
            return loaded[key]
        record = f"{prefix}data/{key}"
        nbytes = numel * dt.itemsize
        if mmap_path is not None:
            info = zf.getinfo(record)
            buf = for_device(_device_cls("cpu")).map_file(mmap_path, _data_offset(zf, info), nbytes)
        else:
            data = zf.read(record)
            if len(data) < nbytes:
                raise RuntimeError(
                    f"storage record {record} holds {len(data)} bytes but the checkpoint needs "
                    f"{nbytes}: the file is damaged"
                )
            buf = for_device(_device_cls("cpu")).bytes_to_buffer(data[:nbytes])
        st = UntypedStorage._from_buffer(buf, _device_cls("cpu"))
        target = _resolve_location(location, map_location)
        if callable(target) and not isinstance(target, _device_cls):
            moved = target(TypedStorage(st, dt), location)
            if moved is not None:
                st = moved.untyped() if isinstance(moved, TypedStorage) else moved
        elif target.type != "cpu":
            be = for_device(target)
            st = UntypedStorage._from_buffer(be.from_host(st._buf, target.index), target)
        loaded[key] = (st, dt)
        return loaded[key]

    encoding = pickle_load_args.pop("encoding", "ASCII")
    unpickler = _Unpickler(
        io.BytesIO(zf.read(pkl[0])), weights_only, load_storage, encoding=encoding,
        **pickle_load_args,
    )
    return unpickler.load()


def _data_offset(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Where a stored record's bytes start in the archive file."""
    if info.compress_type != zipfile.ZIP_STORED:
        raise RuntimeError("mmap=True needs uncompressed storage records")
    zf.fp.seek(info.header_offset)
    header = zf.fp.read(30)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


from ember._safetensors import (  # noqa: E402  (it uses _atomic_write above)
    load_safetensors,
    safetensors_metadata,
    save_safetensors,
)
