"""``ember.autograd``: the dynamic graph, the backward pass, custom Functions and grad modes."""

from ember.autograd import graph
from ember.autograd.engine import backward, grad
from ember.autograd.function import Function, FunctionCtx
from ember.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ember.autograd import tensor_methods as _tensor_methods  # noqa: F401  (installs methods)

__all__ = [
    "Function",
    "FunctionCtx",
    "backward",
    "enable_grad",
    "grad",
    "graph",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
