"""Module backward hooks: identity nodes around a module's inputs and outputs.

The node after the outputs sees the gradients of the outputs (it runs the backward pre-hooks
and remembers them); the node before the inputs sees the gradients of the inputs, which is
when ``register_full_backward_hook`` hooks run.  Both pass gradients through unchanged unless
a hook returns replacements.
"""

from __future__ import annotations

from ember._tensor import Tensor
from ember.autograd.function import Function


class BackwardHookFunction(Function):
    @staticmethod
    def forward(ctx, callback, *tensors):
        ctx.callback = callback
        ctx.set_materialize_grads(False)
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.callback(grads))


def _through(callback, values: tuple):
    """``values`` with its tensors replaced by identity outputs whose backward calls
    ``callback``; returns the new values and the positions of the tensors."""
    positions = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
    if not positions:
        return values, positions
    outs = BackwardHookFunction.apply(callback, *(values[i] for i in positions))
    new = list(values)
    for i, o in zip(positions, outs):
        new[i] = o
    return tuple(new), positions


def _pack(positions, grads, n) -> tuple:
    full = [None] * n
    for i, g in zip(positions, grads):
        full[i] = g
    return tuple(full)


class BackwardHook:
    """The backward hooks of one call of one module."""

    def __init__(self, module):
        self.module = module
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_positions: list = []
        self.inputs_need_grad = False

    def setup_input_hook(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        self.inputs_need_grad = any(isinstance(a, Tensor) and a.requires_grad for a in args)
        if not self.inputs_need_grad:
            return args
        new, self.input_positions = _through(self._on_input_grads, args)
        return new

    def setup_output_hook(self, output):
        single = not isinstance(output, tuple)
        values = (output,) if single else output
        positions = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
        n = len(values)

        def on_output_grads(grads):
            full = _pack(positions, grads, n)
            for hook in self.module._backward_pre_hooks.values():
                result = hook(self.module, full)
                if result is not None:
                    full = self._checked(result, full, "backward pre hook")
            self.grad_outputs = full
            if not self.inputs_need_grad:
                for hook in self.module._backward_hooks.values():
                    if hook(self.module, (None,) * self.n_inputs, full) is not None:
                        raise RuntimeError(
                            "Backward hook for Modules where no input requires gradient should "
                            "always return None or None for all gradients."
                        )
            return tuple(full[i] for i in positions)

        new, _ = _through(on_output_grads, values)
        return new[0] if single else new

    def _on_input_grads(self, grads):
        full = _pack(self.input_positions, grads, self.n_inputs)
        for hook in self.module._backward_hooks.values():
            result = hook(self.module, full, self.grad_outputs)
            if result is not None:
                full = self._checked(result, full, "backward hook")
        return tuple(full[i] for i in self.input_positions)

    @staticmethod
    def _checked(result, old, what: str) -> tuple:
        result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        if len(result) != len(old):
            raise RuntimeError(
                f"{what} returned an invalid number of grad_input, got {len(result)}, but "
                f"expected {len(old)}"
            )
        return result
