"""``Variable``: the pre-0.4 wrapper, now the tensor itself (old programs still call it)."""

from __future__ import annotations

from ember._tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor)

    def __call__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        if data is None:
            from ember._factories import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()  # a new leaf over the same memory
        if requires_grad:
            out.requires_grad_(True)
        return out


class Variable(metaclass=_VariableMeta):
    """``Variable(t, requires_grad=False)`` gives a new leaf sharing ``t``'s memory (marked to
    require grad when asked); every tensor is an instance of ``Variable``, as in PyTorch."""
