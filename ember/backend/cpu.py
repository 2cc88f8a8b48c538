"""The cpu backend: NumPy arrays in host memory."""

from __future__ import annotations

import numpy as np

from ember.backend import parallel

xp = np
name = "cpu"

# PyTorch computes overflow, 0/0 and log(0) silently (inf, nan, -inf); NumPy would warn on
# each.  ember follows PyTorch, which means turning NumPy's floating-point warnings off for
# the process (README, known differences).
np.seterr(all="ignore")
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
        return np.asarray(_Span(arr, data_ptr(arr), 0))  # no bytes, but at arr's address
    lo = hi = data_ptr(arr)
    for size, stride in zip(arr.shape, arr.strides):
        if size == 0:
            return np.asarray(_Span(arr, data_ptr(arr), 0))
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
    byte_strides = tuple(s * itemsize for s in strides)
    if 0 in shape:
        # An empty view may sit anywhere, even past the end of its storage (PyTorch allows
        # it, NumPy's buffer check does not): build it at that address without the check.
        start = np.asarray(_Span(buf, data_ptr(buf) + byte_offset, 0)).view(np_dtype)
        return np.lib.stride_tricks.as_strided(start, shape, byte_strides)
    return np.ndarray(shape, np_dtype, buffer=buf, offset=byte_offset, strides=byte_strides)


def empty_bytes(nbytes: int) -> np.ndarray:
    return np.empty(nbytes, np.uint8)


def synchronize() -> None:
    """Nothing to wait for: NumPy runs synchronously."""


def make_bit_generator(seed: int) -> np.random.Generator:
    """A NumPy generator on PCG64 seeded with ``seed`` (an int in [0, 2**64))."""
    return np.random.Generator(np.random.PCG64(seed))


# A generator's state as bytes: seven little-endian uint64 words (the ember seed, PCG64's
# 128-bit state and increment as low/high halves, and its cached half of a 64-bit draw).
GENERATOR_STATE_NBYTES = 56
_WORD = (1 << 64) - 1


def generator_state(gen: np.random.Generator, seed: int) -> np.ndarray:
    """``gen``'s full state and ``seed`` packed into a new uint8 array."""
    st = gen.bit_generator.state
    pcg, inc = st["state"]["state"], st["state"]["inc"]
    words = [seed, pcg & _WORD, pcg >> 64, inc & _WORD, inc >> 64, st["has_uint32"],
             st["uinteger"]]
    return np.array(words, dtype="<u8").view(np.uint8)


def set_generator_state(gen: np.random.Generator, data: np.ndarray) -> int:
    """Restore ``gen`` from bytes made by :func:`generator_state`; returns the seed they hold."""
    words = [int(w) for w in np.ascontiguousarray(data, dtype=np.uint8).view("<u8")]
    seed, pcg_lo, pcg_hi, inc_lo, inc_hi, has_uint32, uinteger = words
    gen.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": pcg_lo | pcg_hi << 64, "inc": inc_lo | inc_hi << 64},
        "has_uint32": has_uint32,
        "uinteger": uinteger,
    }
    return seed


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


def is_string_array(x) -> bool:
    """Whether a NumPy array or scalar holds strings, bytes or objects (not numbers)."""
    return x.dtype.kind in "SaUO"


def seed_global(seed: int) -> None:
    """Seed NumPy's legacy global generator (DataLoader workers do, as PyTorch's do)."""
    np.random.seed(seed)


def bytes_to_buffer(data: bytes) -> np.ndarray:
    """A writable flat byte array holding a copy of ``data``."""
    return np.frombuffer(bytearray(data), dtype=np.uint8)


def map_file(path: str, offset: int, nbytes: int) -> np.ndarray:
    """``nbytes`` of the file at ``path`` from ``offset``, memory-mapped copy-on-write."""
    if nbytes == 0:
        return np.empty(0, dtype=np.uint8)
    return np.memmap(path, dtype=np.uint8, mode="c", offset=offset, shape=(nbytes,))


_BITS = {2: np.int16, 4: np.int32, 8: np.int64}


def where(cond: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``numpy.where``, branch-free for large arrays of 2-, 4- or 8-byte elements.

    NumPy's ``where`` branches per element and runs several times slower on an unpredictable
    mask (a ReLU's, a dropout's) than on a sorted one; selecting through bit masks,
    ``(a & m) | (b & ~m)`` on the elements' bits, costs the same whatever the mask.  The bits
    are copied exactly, so nan, inf and -0.0 come through as ``where`` gives them.
    """
    if cond.size < 4096:  # (checked first: most calls are small)
        return np.where(cond, a, b)
    bits = _BITS.get(a.dtype.itemsize)
    if bits is None or a.dtype != b.dtype or a.dtype.kind not in "fiu" or cond.dtype != np.bool_:
        return np.where(cond, a, b)
    shape = np.broadcast_shapes(cond.shape, a.shape)
    if np.broadcast_shapes(shape, b.shape) != shape:
        return np.where(cond, a, b)
    if a.ndim == 0 and b.shape == shape and not a.view(bits).any():
        return where(~cond, b, a)  # where(c, 0, b): select b by the inverted mask
    fb = None if not b.view(bits).any() else b  # a b of +0.0 adds no bits
    if cond.shape == a.shape == shape and (fb is None or fb.shape == shape):
        # (on ranges of the flat arrays over the cores, when they are row-major)
        out = np.empty(shape, a.dtype)
        parallel.flat_ranges(lambda c, x, y, o: _select_bits(c, x, y, bits, o), [cond, a, fb, out])
        return out
    return _select_bits(cond, a, fb, bits)


def _select_bits(cond, a, b, bits, out=None):
    """``where(cond, a, b)`` through bit masks (``b`` None: zeros); into ``out`` if given."""
    mask = cond.view(np.uint8).astype(bits)
    np.negative(mask, out=mask)  # 0 or all ones
    res = np.bitwise_and(a.view(bits), mask, out=None if out is None else out.view(bits))
    if b is not None:
        np.invert(mask, out=mask)
        res |= b.view(bits) & mask
    return res.view(a.dtype)


def relu_backward(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``where(y <= 0, 0, grad)`` for float arrays of one shape, bit-exact (PyTorch's
    ``threshold_backward`` at 0): a nan ``y`` passes ``grad``, and where ``y <= 0`` the
    result is +0.0 even for a nan or infinite ``grad`` (so not ``grad * (y > 0)``).

    Large arrays go branch-free: the comparison is written straight into an integer array as
    0/1, less 1 that is an all-ones mask where ``grad`` passes, and ``grad``'s bits are
    and-ed with it; three passes and one allocation, where ``numpy.where`` branches on the
    unpredictable mask of a ReLU.
    """
    bits = _BITS.get(grad.dtype.itemsize)
    if (
        grad.size < 4096
        or bits is None
        or grad.dtype.kind != "f"
        or grad.dtype != y.dtype
        or grad.shape != y.shape
    ):
        return np.where(y <= 0, grad.dtype.type(0), grad)
    out = np.empty(y.shape, bits)
    parallel.flat_ranges(_masked_bits, [grad.view(bits), y, out])  # (over the cores)
    return out.view(grad.dtype)


def _masked_bits(g, y, out):
    """``out = g & -(not y <= 0)`` on integer views (``relu_backward``'s kernel)."""
    np.less_equal(y, 0, out=out)
    out -= 1
    out &= g


_SPECIAL: dict = {}


def special_function(name: str):
    """SciPy's ufunc ``scipy.special.<name>`` (compiled, about 50 times faster than ember's
    vectorised series), or None when SciPy is not installed."""
    if name not in _SPECIAL:
        try:
            import scipy.special
        except ImportError:
            _SPECIAL[name] = None
        else:
            _SPECIAL[name] = getattr(scipy.special, name, None)
    return _SPECIAL[name]
