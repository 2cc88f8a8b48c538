"""The autograd side of Tensor: ``backward``, ``register_hook``, ``retain_grad``."""

from __future__ import annotations

import weakref

from ember._tensor import Tensor
from ember.autograd import engine
from ember.autograd.graph import grad_accumulator


def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradient of this tensor into the leaves' ``.grad`` (see ``autograd.backward``)."""
    engine.backward(self, gradient, retain_graph, create_graph, inputs)


def register_hook(self, hook):
    """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        return self.grad_fn._register_tensor_hook(self._output_nr, hook)
    return grad_accumulator(self)._register_tensor_hook(0, hook)


def retain_grad(self) -> None:
    """Keep ``.grad`` for this non-leaf tensor after backward."""
    if not self._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if self.grad_fn is None or self.__dict__.get("_retains_grad"):
        return
    ref = weakref.ref(self)

    def keep(grad):
        t = ref()
        if t is not None:
            if t.grad is None:
                t.grad = grad.detach().clone()
            else:
                t.grad = t.grad + grad.detach()

    self.__dict__["_retains_grad"] = True
    self.grad_fn._register_tensor_hook(self._output_nr, keep)


def _retains_grad(self) -> bool:
    return bool(self.__dict__.get("_retains_grad"))


Tensor._output_nr = 0
Tensor.backward = backward
Tensor.register_hook = register_hook
Tensor.retain_grad = retain_grad
Tensor.retains_grad = property(_retains_grad)
