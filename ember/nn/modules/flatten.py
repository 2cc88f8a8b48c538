"""``Flatten`` and ``Unflatten``: reshape a range of dims into one, or one dim into several."""

from __future__ import annotations

from ember.nn.modules.module import Module


class Flatten(Module):
    """Flattens dims ``start_dim`` to ``end_dim`` into one (by default all but the batch dim).

    >>> ember.nn.Flatten()(ember.zeros(32, 1, 5, 5)).shape
    ember.Size([32, 25])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dim ``dim`` into ``unflattened_size``.

    >>> ember.nn.Unflatten(1, (2, 5, 5))(ember.zeros(2, 50)).shape
    ember.Size([2, 2, 5, 5])
    """

    def __init__(self, dim, unflattened_size) -> None:
        super().__init__()
        if isinstance(dim, int):
            if not isinstance(unflattened_size, (tuple, list)):
                raise TypeError(
                    "unflattened_size must be tuple of ints, but found type "
                    f"{type(unflattened_size).__name__}"
                )
            for i, s in enumerate(unflattened_size):
                if not isinstance(s, int):
                    raise TypeError(
                        "unflattened_size must be tuple of ints, but found element "
                        f"of type {type(s).__name__} at pos {i}"
                    )
        elif isinstance(dim, str):
            raise NotImplementedError("named tensors are not supported by ember")
        else:
            raise TypeError("invalid argument type for dim parameter")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
