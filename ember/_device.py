"""``ember.device``: where a tensor's memory lives (``cpu``, ``cuda``, ``cuda:N``)."""

from __future__ import annotations

import re

_KNOWN_TYPES = ("cpu", "cuda")
# PyTorch's grammar: a type made of letters and underscores, then an optional ``:index``
# written without leading zeros.
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::([1-9]\d*|0))?")


class device:
    """A device: a type (``'cpu'`` or ``'cuda'``) and an optional index.

    ``device('cuda:1')``, ``device('cuda', 1)`` and ``device(1)`` (a bare index means cuda)
    all name the second GPU.  Devices compare equal to devices only (``device('cpu') == 'cpu'``
    is False, as in PyTorch).
    """

    __slots__ = ("type", "index")

    def __init__(self, type=None, index: int | None = None, *, device=None):
        if device is not None:
            if type is not None or index is not None:
                raise TypeError("device() takes either a device or a type and an index")
            type = device
        if isinstance(type, self.__class__):
            if index is not None:
                raise TypeError(
                    "device(): argument 'type' (position 1) must be str, not ember.device"
                )
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(
                f"device() expected a string, an int or a device, got {_type_name(type)}"
            )
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
            raise TypeError(
                f"device(): argument 'index' (position 2) must be int, not {_type_name(index)}"
            )
        name = type
        if not name:
            raise RuntimeError("Device string must not be empty")
        match = _DEVICE_STRING.fullmatch(name)
        if match is None:
            raise RuntimeError(f"Invalid device string: '{name}'")
        type, idx = match.groups()
        if idx is not None:
            if index is not None:
                raise RuntimeError(
                    f"type (string) must not include an index because index was passed "
                    f"explicitly: {name}"
                )
            index = int(idx)
        if type not in _KNOWN_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_KNOWN_TYPES)} device type at start of device "
                f"string: {name}"
            )
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


def _type_name(x) -> str:
    return "None" if x is None else type(x).__name__


CPU = device("cpu")


def as_device(d) -> device:
    """Normalise a ``device=`` argument (string, int, device or None) to a device object.

    ``None`` means cpu; a bare ``'cuda'`` means the current GPU, which a tensor reports as
    ``cuda:0`` (resolved by the cuda backend).  Asking for a GPU where none is usable raises
    a RuntimeError that says so.
    """
    if d is None or d is CPU:
        return CPU
    if isinstance(d, device):
        dev = d
    elif isinstance(d, str | int):
        dev = device(d)
    else:
        raise TypeError(f"device must be an ember.device, a string or an int, not {_type_name(d)}")
    if dev.type == "cpu":
        return CPU
    from ember.backend import cuda_current_device, cuda_is_available, raise_no_cuda

    if dev.index is None:
        return device("cuda", cuda_current_device())
    if not cuda_is_available():
        raise_no_cuda()
    return dev
