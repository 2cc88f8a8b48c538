"""``Parameter`` (a tensor a Module trains) and ``Buffer`` (a tensor a Module keeps)."""

from __future__ import annotations

from ember._tensor import Tensor


class Parameter(Tensor):
    """A tensor that, assigned as a Module attribute, is registered as one of its parameters.

    It shares ``data``'s storage and is a leaf that requires grad unless told otherwise.
    Results of operations on a Parameter are plain tensors.

    >>> w = ember.nn.Parameter(ember.zeros(2, 3))
    >>> w.requires_grad, w.is_leaf
    (True, True)
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            from ember._factories import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter(): argument 'data' must be a Tensor, not {type(data).__name__}"
            )
        out = data.detach().as_subclass(cls)
        out._requires_grad = bool(requires_grad)
        return out

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(self.detach().clone(), self._requires_grad)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self._requires_grad))


def _rebuild_parameter(data: Tensor, requires_grad: bool) -> Parameter:
    return Parameter(data, requires_grad)


class _BufferMeta(type(Tensor)):
    # ``Buffer(t)`` hands back a plain tensor carrying a mark; isinstance reads the mark.
    def __instancecheck__(cls, obj) -> bool:
        if cls is Buffer:
            return isinstance(obj, Tensor) and getattr(obj, "_is_buffer", False)
        return super().__instancecheck__(obj)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute.

    ``persistent=False`` keeps it out of ``state_dict``.
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            from ember._factories import empty

            data = empty(0)
        out = data.detach().requires_grad_(data.requires_grad)
        out.persistent = persistent
        out._is_buffer = True
        return out
