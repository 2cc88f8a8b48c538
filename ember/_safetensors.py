"""The safetensors format: an 8-byte little-endian header length, a JSON header naming each
tensor's dtype, shape and byte range, then the raw row-major bytes.  Nothing in it is code,
so loading is safe by construction; files interchange with the ``safetensors`` library."""

from __future__ import annotations

import json
import struct

from ember import _dtype
from ember._device import device as _device_cls
from ember._tensor import Tensor, _wrap
from ember.backend import for_device

_CODES = {
    _dtype.bool: "BOOL", _dtype.uint8: "U8", _dtype.int8: "I8", _dtype.int16: "I16",
    _dtype.int32: "I32", _dtype.int64: "I64", _dtype.float16: "F16", _dtype.bfloat16: "BF16",
    _dtype.float32: "F32", _dtype.float64: "F64", _dtype.complex64: "C64",
}  # fmt: skip
_DTYPES = {code: dt for dt, code in _CODES.items()}
_MAX_HEADER = 100 * 1024 * 1024


def save_safetensors(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write a dict of tensors (names to tensors) as a safetensors file, atomically."""
    from ember.serialization import _atomic_write

    header: dict = {}
    if metadata is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("safetensors metadata must map strings to strings")
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if not isinstance(t, Tensor):
            raise TypeError(f"safetensors stores tensors only; {name!r} is a {type(t).__name__}")
        if t.dtype not in _CODES:
            raise ValueError(f"safetensors has no code for dtype {t.dtype}")
        data = for_device(t.device).to_host(t.detach().contiguous()._data).tobytes()
        header[name] = {
            "dtype": _CODES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((-len(text)) % 8)

    def write(out) -> None:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for b in blobs:
            out.write(b)

    _atomic_write(filename, write)


def load_safetensors(filename, device="cpu") -> dict:
    """Read a safetensors file into a dict of tensors on ``device``."""
    dev = _device_cls(device)
    with open(filename, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise RuntimeError("safetensors file is too short to hold a header")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > min(_MAX_HEADER, len(raw) - 8):
        raise RuntimeError(f"safetensors header length {n} does not fit the file")
    try:
        header = json.loads(raw[8: 8 + n])
    except ValueError as exc:
        raise RuntimeError(f"safetensors header is not valid JSON: {exc}") from exc
    body = memoryview(raw)[8 + n:]
    cpu = for_device(_device_cls("cpu"))
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = _DTYPES.get(info.get("dtype"))
        if dt is None:
            raise RuntimeError(f"safetensors tensor {name!r} has unsupported dtype {info.get('dtype')!r}")
        shape = tuple(info["shape"])
        start, end = info["data_offsets"]
        numel = 1
        for s in shape:
            numel *= s
        if not (0 <= start <= end <= len(body)) or end - start != numel * dt.itemsize:
            raise RuntimeError(f"safetensors tensor {name!r} has a byte range that does not match")
        buf = cpu.bytes_to_buffer(bytes(body[start:end]))
        strides = []
        acc = 1
        for s in reversed(shape):
            strides.append(acc)
            acc *= max(s, 1)
        arr = cpu.view_from(buf, dt.np, shape, tuple(reversed(strides)), 0)
        t = _wrap(arr, dt, _device_cls("cpu"))
        out[name] = t if dev.type == "cpu" else t.to(dev)
    return out


def safetensors_metadata(filename) -> dict | None:
    """The ``__metadata__`` of a safetensors file (None when it has none)."""
    with open(filename, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        if n > _MAX_HEADER:
            raise RuntimeError(f"safetensors header length {n} is too large")
        return json.loads(f.read(n)).get("__metadata__")


