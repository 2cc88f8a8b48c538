"""Activation checkpointing: run a piece of the forward without keeping its intermediate
results, and run it again during backward to get them back.  Memory for compute."""

from __future__ import annotations

import warnings

from ember._tensor import Tensor
from ember.autograd import grad_mode
from ember.autograd.function import Function


class CheckpointFunction(Function):
    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, kwargs, _anchor, *args):
        from ember.random import get_rng_state

        ctx.run_function = run_function
        ctx.kwargs = kwargs
        ctx.rng_state = get_rng_state() if preserve_rng_state else None
        ctx.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.others = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*(args[i] for i in ctx.positions))
        with grad_mode.no_grad():
            return run_function(*args, **kwargs)

    @staticmethod
    def backward(ctx, *grads):
        from ember.autograd import backward as run_backward
        from ember.random import fork_rng, set_rng_state

        saved = ctx.saved_tensors
        args = list(ctx.others)
        inputs = []
        for i, t in zip(ctx.positions, saved):
            d = t.detach()
            d.requires_grad_(t.requires_grad)
            args[i] = d
            inputs.append(d)
        with fork_rng(enabled=ctx.rng_state is not None):
            if ctx.rng_state is not None:
                set_rng_state(ctx.rng_state)
            with grad_mode.enable_grad():
                outputs = ctx.run_function(*args, **ctx.kwargs)
        if not isinstance(outputs, tuple):
            outputs = (outputs,)
        pairs = [
            (o, g) for o, g in zip(outputs, grads)
            if isinstance(o, Tensor) and o.requires_grad and g is not None
        ]  # fmt: skip
        if pairs:
            run_backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None, None, None) + tuple(
            d.grad if isinstance(d, Tensor) and d.requires_grad else None for d in args
        )


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)``, recomputed in backward instead of storing what it made.

    Gradients reach the tensor arguments and every parameter ``function`` uses.  With
    ``preserve_rng_state`` (the default) the recomputation sees the same random numbers
    (dropout masks) as the first run.
    """
    if use_reentrant is None:
        warnings.warn(
            "ember.utils.checkpoint: the use_reentrant parameter should be passed explicitly; "
            "both values behave the same in ember.",
            stacklevel=2,
        )
    if context_fn is not None:
        raise NotImplementedError("ember.utils.checkpoint does not support context_fn")
    # an anchor that requires grad keeps the node in the graph even when no argument does,
    # so parameters used inside ``function`` still get their gradients
    from ember._factories import zeros

    anchor = zeros(0, requires_grad=grad_mode.is_grad_enabled())
    return CheckpointFunction.apply(function, preserve_rng_state, kwargs, anchor, *args)


def checkpoint_sequential(functions, segments: int, input, use_reentrant=None, **kwargs):
    """Run a Sequential (or list of modules) in ``segments`` checkpointed chunks."""
    if not isinstance(functions, (list, tuple)):
        functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    n = len(functions)
    size = max(1, n // segments)

    def run(start, end):
        def forward(x):
            for f in functions[start:end]:
                x = f(x)
            return x

        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(max(end, 0), n)(input)
