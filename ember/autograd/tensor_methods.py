"""The autograd side of Tensor: ``backward``, ``register_hook``,
``register_post_accumulate_grad_hook``, ``retain_grad``, ``is_inference``."""

from __future__ import annotations

import weakref

from ember._tensor import Tensor
from ember.autograd import engine
from ember.autograd.graph import grad_accumulator


def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradient of this tensor into the leaves' ``.grad``
    (see ``autograd.backward``)."""
    engine.backward(self, gradient, retain_graph, create_graph, inputs)


def _hook_table(self):
    """The node holding this tensor's hooks and the output slot they sit under."""
    if self.grad_fn is not None:
        return self.grad_fn, self._output_nr
    return grad_accumulator(self), 0


def register_hook(self, hook):
    """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces
    it.  Hooks run in the order they were registered; returns a handle with ``remove()``.

    >>> h = y.register_hook(lambda g: g * 2)
    """
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    node, nr = _hook_table(self)
    handle = node._register_tensor_hook(nr, hook)
    keep = self.__dict__.get("_retain_handle")
    if keep is not None and keep._hooks is handle._hooks:
        # as in PyTorch, .grad of a tensor that retains it is taken after all its hooks
        keep._hooks[keep._key] = keep._hooks.pop(keep._key)
    return handle


def register_post_accumulate_grad_hook(self, hook):
    """Call ``hook(tensor)`` on this leaf after backward has accumulated into its ``.grad``."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    ref = weakref.ref(self)

    def call(grad_inputs, grad_outputs):
        t = ref()
        if t is not None and grad_outputs and grad_outputs[0] is not None:
            hook(t)

    return grad_accumulator(self).register_hook(call)


def retain_grad(self) -> None:
    """Keep ``.grad`` for this non-leaf tensor after backward (a no-op on leaves)."""
    if not self._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if self.grad_fn is None or self.__dict__.get("_retain_handle") is not None:
        return
    ref = weakref.ref(self)

    def keep(grad):
        t = ref()
        if t is not None:
            # under create_graph the gradient is in the graph and so is this copy, as in PyTorch
            t.grad = grad.clone() if t.grad is None else t.grad + grad

    self.__dict__["_retain_handle"] = self.grad_fn._register_tensor_hook(self._output_nr, keep)
    self.__dict__["_retains_grad"] = True  # read by ``Tensor.grad`` (no non-leaf warning)


def _retains_grad(self) -> bool:
    return self.__dict__.get("_retains_grad", False)


def is_inference(self) -> bool:
    """Whether this tensor was made inside ``inference_mode``."""
    return self.__dict__.get("_is_inference", False)


Tensor._output_nr = 0
Tensor.backward = backward
Tensor.register_hook = register_hook
Tensor.register_post_accumulate_grad_hook = register_post_accumulate_grad_hook
Tensor.retain_grad = retain_grad
Tensor.retains_grad = property(_retains_grad)
Tensor.is_inference = is_inference
