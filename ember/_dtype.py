"""Data types, PyTorch's type-promotion rules and the default dtype.

A :class:`dtype` is a small immutable object naming one element type.  Every dtype knows
its NumPy counterpart (``bfloat16`` comes from ``ml_dtypes``), which is how a backend
array's element type maps back to ember.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

__all__ = [
    "dtype",
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "get_default_dtype",
    "set_default_dtype",
    "promote_types",
    "result_type",
    "can_cast",
    "finfo",
    "iinfo",
]

_builtin_bool = bool

# Category order used by promotion: bool < integral < floating < complex.
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """An element type, such as ``ember.float32``."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_complex", "is_signed", "_cat")

    def __init__(self, name: str, np_dtype, category: int, signed: _builtin_bool):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self._cat = category
        self.is_floating_point = category == _FLOAT
        self.is_complex = category == _COMPLEX
        self.is_signed = signed

    def __repr__(self) -> str:
        return "ember." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self) -> dtype:
        """The real dtype of a complex one (``complex64 -> float32``); real dtypes map to themselves."""
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self) -> dtype:
        """The complex dtype whose parts have this float dtype (``float32 -> complex64``)."""
        if self.is_complex:
            return self
        if self is float64:
            return complex128
        if self.is_floating_point:
            return complex64
        raise RuntimeError(f"to_complex is not supported for {self}")

    @property
    def is_bool(self) -> _builtin_bool:
        return self._cat == _BOOL


bool = dtype("bool", np.bool_, _BOOL, False)
uint8 = dtype("uint8", np.uint8, _INT, False)
int8 = dtype("int8", np.int8, _INT, True)
int16 = dtype("int16", np.int16, _INT, True)
int32 = dtype("int32", np.int32, _INT, True)
int64 = dtype("int64", np.int64, _INT, True)
float16 = dtype("float16", np.float16, _FLOAT, True)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, _FLOAT, True)
float32 = dtype("float32", np.float32, _FLOAT, True)
float64 = dtype("float64", np.float64, _FLOAT, True)
complex64 = dtype("complex64", np.complex64, _COMPLEX, True)
complex128 = dtype("complex128", np.complex128, _COMPLEX, True)

ALL_DTYPES = (
    bool, uint8, int8, int16, int32, int64,
    float16, bfloat16, float32, float64, complex64, complex128,
)  # fmt: skip

# PyTorch's aliases, exported by ember/__init__.py.
ALIASES = {
    "half": float16,
    "float": float32,
    "double": float64,
    "short": int16,
    "int": int32,
    "long": int64,
    "cfloat": complex64,
    "cdouble": complex128,
}

_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_NP = {d.np: d for d in ALL_DTYPES}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The ember dtype of a NumPy (or CuPy) dtype; TypeError for one ember lacks."""
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        pass
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
            "float64, float32, float16, bfloat16, complex64, complex128, int64, int32, int16, int8, "
            "uint8, and bool."
        ) from None


# ---------------------------------------------------------------------------------------------
# Promotion.  Two dtypes promote to the smallest type that holds both, as in PyTorch: within the
# integers by width (uint8 with a signed type needs the next signed width), float16 and bfloat16
# meet at float32, and a complex type widens to hold the other side's float precision.

_INT_ORDER = (int8, int16, int32, int64)
_FLOAT_ORDER = (float16, float32, float64)


def _promote_pair(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a._cat != b._cat:
        lo, hi = (a, b) if a._cat < b._cat else (b, a)
        if hi._cat == _COMPLEX and lo._cat == _FLOAT and lo is float64:
            return complex128
        return hi
    cat = a._cat
    if cat == _INT:
        if a is uint8 or b is uint8:
            other = b if a is uint8 else a
            return int16 if other is int8 else other
        return max(a, b, key=_INT_ORDER.index)
    if cat == _FLOAT:
        if bfloat16 in (a, b):
            other = b if a is bfloat16 else a
            return float32 if other is float16 else other
        return max(a, b, key=_FLOAT_ORDER.index)
    if cat == _COMPLEX:
        return complex128
    return a  # both bool


_PROMOTE = {(a, b): _promote_pair(a, b) for a in ALL_DTYPES for b in ALL_DTYPES}


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """The smallest dtype to which both ``type1`` and ``type2`` can be converted without loss."""
    return _PROMOTE[(type1, type2)]


_default_dtype = float32


def get_default_dtype() -> dtype:
    """The dtype that Python floats and float factories produce (``float32`` unless changed)."""
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype: one of float16, bfloat16, float32, float64."""
    global _default_dtype
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(
            f"only floating-point types are supported as the default type, got {d!r}"
        )
    _default_dtype = d


def default_complex_dtype() -> dtype:
    """The dtype of Python complex numbers: complex128 under a float64 default, else complex64.

    PyTorch uses complex32 under a float16 default; ember has no complex32 and uses complex64.
    """
    if _default_dtype is bfloat16:
        raise RuntimeError("invalid default scalar type for complex")
    return complex128 if _default_dtype is float64 else complex64


def scalar_dtype(value) -> dtype:
    """The dtype PyTorch gives a Python number standing alone (``tensor(3)`` is int64)."""
    if isinstance(value, _builtin_bool):
        return bool
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return _default_dtype
    if isinstance(value, complex):
        return default_complex_dtype()
    raise TypeError(f"expected a Python number, got {type(value).__name__}")


def _combine(higher, lower):
    """Merge the result of a higher-priority group with that of a lower one.

    A lower group only matters when it belongs to a higher category: ``int_tensor + 2.5`` is
    float, but ``float32_tensor + float64_scalar_tensor`` stays float32.
    """
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher._cat == _COMPLEX:
        return higher
    if lower._cat == _COMPLEX:
        return higher.to_complex() if higher._cat == _FLOAT else lower
    if higher._cat == _FLOAT:
        return higher
    if higher is bool or lower._cat == _FLOAT:
        return _PROMOTE[(higher, lower)]
    return higher


def result_type(*operands) -> dtype:
    """The dtype an arithmetic op on ``operands`` (tensors and Python numbers) produces.

    Priority goes to tensors with dimensions, then to 0-dim tensors, then to Python numbers,
    each of which only raises the category (bool < integer < float < complex).
    """
    dim_result = zero_result = wrapped_result = None
    for x in operands:
        dt = getattr(x, "_dtype", None)
        if dt is not None:
            if x._data.ndim:
                dim_result = dt if dim_result is None else _PROMOTE[(dim_result, dt)]
            else:
                zero_result = dt if zero_result is None else _PROMOTE[(zero_result, dt)]
        else:
            dt = scalar_dtype(x)
            wrapped_result = dt if wrapped_result is None else _PROMOTE[(wrapped_result, dt)]
    return _combine(dim_result, _combine(zero_result, wrapped_result))


def can_cast(from_: dtype, to: dtype) -> _builtin_bool:
    """Whether PyTorch's casting rules allow ``from_`` to ``to`` (no category narrowing)."""
    if from_._cat > to._cat:
        return False
    return not (from_._cat != _BOOL and to._cat == _BOOL)


class finfo:
    """Machine limits of a floating dtype: ``bits``, ``eps``, ``max``, ``min``, ``tiny``, ``resolution``."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type: dtype | None = None):
        type = _default_dtype if type is None else type
        if not (type.is_floating_point or type.is_complex):
            raise TypeError(f"finfo() requires a floating point input type, got {type}")
        info = ml_dtypes.finfo(type.to_real().np)
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.tiny)
        self.smallest_normal = self.tiny
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = type.to_real().name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:
    """Machine limits of an integer dtype: ``bits``, ``max``, ``min``."""

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type: dtype):
        if type.is_floating_point or type.is_complex or type is bool:
            raise TypeError(f"iinfo() requires an integer input type, got {type}")
        info = np.iinfo(type.np)
        self.bits = info.bits
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = type.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
