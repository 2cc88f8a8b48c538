"""Readers for the dataset file formats: IDX (MNIST's, raw or gzip) and pickled batches with
only NumPy arrays, lists and numbers inside (CIFAR's)."""

from __future__ import annotations

import gzip
import io
import os
import pickle

from ember.backend import cpu

np = cpu.xp

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def open_maybe_gzip(path):
    """Open ``path`` for reading bytes, decompressing ``.gz`` files."""
    return gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")


def read_idx(path):
    """An IDX file (``*-idx3-ubyte`` images, ``*-idx1-ubyte`` labels) as a NumPy array."""
    with open_maybe_gzip(path) as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise RuntimeError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">i4", count=ndim, offset=4).astype(np.int64)
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    count = int(np.prod(dims)) if ndim else 1
    offset = 4 + 4 * ndim
    if len(raw) - offset < count * dtype.itemsize:
        raise RuntimeError(f"{path} is truncated: expected {count} values of shape {tuple(dims)}")
    arr = np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(tuple(dims))
    return arr.astype(dtype.newbyteorder("="), copy=True)


_SAFE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),  # how protocol-2 pickles spell bytes
}


class _SafeUnpickler(pickle.Unpickler):
    """Unpickle data only: NumPy arrays and builtins, never arbitrary callables."""

    def find_class(self, module, name):
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset batch file")


def load_pickle(path):
    """A pickled batch file (Python 2 ``latin1`` strings accepted), loaded without running code."""
    with open(path, "rb") as f:
        data = f.read()
    return _SafeUnpickler(io.BytesIO(data), encoding="latin1").load()


def find_dir(candidates, names):
    """The first folder among ``candidates`` that holds every file in ``names`` (each plain or .gz).

    Returns ``(folder, [path per name])`` or ``None``.
    """
    for folder in candidates:
        if folder is None or not os.path.isdir(folder):
            continue
        paths = []
        for name in names:
            for candidate in (name, name + ".gz"):
                p = os.path.join(folder, candidate)
                if os.path.isfile(p):
                    paths.append(p)
                    break
            else:
                break
        if len(paths) == len(names):
            return folder, paths
    return None
