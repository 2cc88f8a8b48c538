"""Resilient backpropagation, as ``torch.optim.Rprop``."""

from __future__ import annotations

from ember._factories import full_like, zeros_like
from ember.backend import array_module
from ember.optim.adaptive import _no_differentiable
from ember.optim.optimizer import ArrayOptimizer, check_nonnegative


class Rprop(ArrayOptimizer):
    """Per-coordinate step sizes that grow while the gradient keeps its sign and shrink when
    it flips; only the gradient's sign moves the parameter."""

    def __init__(
        self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
        foreach=None, maximize=False, differentiable=False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _no_differentiable(differentiable)
        super().__init__(params, dict(
            lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
            differentiable=differentiable, capturable=capturable,
        ))  # fmt: skip

    def init_state(self, p, state, group):
        state["prev"] = zeros_like(p)
        state["step_size"] = full_like(p, group["lr"])

    def update(self, p, g, s, step, group):
        xp = array_module(p)
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        prod = g * s["prev"]
        factor = xp.where(prod > 0, etaplus, xp.where(prod < 0, etaminus, 1)).astype(p.dtype)
        size = s["step_size"]
        size *= factor
        xp.clip(size, lo, hi, out=size)
        g = xp.where(prod < 0, 0, g).astype(p.dtype)
        p -= xp.sign(g) * size
        s["prev"][...] = g
