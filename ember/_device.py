"""``ember.device``: where a tensor's memory lives (``cpu``, ``cuda``, ``cuda:N``)."""

from __future__ import annotations

_KNOWN_TYPES = ("cpu", "cuda")


class device:
    """A device: a type (``'cpu'`` or ``'cuda'``) and an optional index.

    ``device('cuda:1')``, ``device('cuda', 1)`` and ``device(1)`` (a bare index means cuda)
    all name the second GPU.
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): an index cannot be given with a device object")
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string, an int or a device, got {type!r}")
        name = type
        if ":" in type:
            if index is not None:
                raise RuntimeError(
                    f"type (string) must not include an index because index was passed "
                    f"explicitly: {type}"
                )
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{name}'")
            index = int(idx)
        if type not in _KNOWN_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_KNOWN_TYPES)} device type at start of device "
                f"string: {name}"
            )
        if index is not None:
            if not isinstance(index, int) or index < 0:
                raise RuntimeError(f"Device index must not be negative, got {index}")
            if type == "cpu" and index != 0:
                raise RuntimeError(f"CPU device index must be -1 or zero, got {index}")
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def as_device(d) -> device:
    """Normalise a ``device=`` argument (string, int, device or None) to a device object.

    ``None`` means cpu; a bare ``'cuda'`` means the current GPU, which a tensor reports as
    ``cuda:0`` (resolved by the cuda backend).
    """
    if d is None:
        return CPU
    if isinstance(d, device):
        dev = d
    else:
        dev = device(d)
    if dev.type == "cpu":
        return CPU
    if dev.index is None:
        from ember.backend import cuda_current_device

        return device("cuda", cuda_current_device())
    return dev
