"""Averaged stochastic gradient descent, as ``torch.optim.ASGD``."""

from __future__ import annotations

from ember import _dtype
from ember._factories import ones, tensor, zeros_like
from ember.optim.adaptive import _decay, _no_differentiable
from ember.optim.optimizer import ArrayOptimizer, check_nonnegative


class ASGD(ArrayOptimizer):
    """SGD whose iterates are averaged (``ax`` in the state) after step ``t0``."""

    def __init__(
        self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
        maximize=False, differentiable=False, capturable=False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("weight_decay value", weight_decay)
        _no_differentiable(differentiable)
        super().__init__(params, dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
            foreach=foreach, maximize=maximize, differentiable=differentiable,
            capturable=capturable,
        ))  # fmt: skip

    def init_state(self, p, state, group):
        state["eta"] = tensor(group["lr"], dtype=_dtype.float32)
        state["mu"] = ones((), dtype=_dtype.float32)
        state["ax"] = zeros_like(p)

    def update(self, p, g, s, step, group):
        lr, lambd = group["lr"], group["lambd"]
        g = _decay(p, g, group)
        eta = float(s["eta"])
        p *= 1 - lambd * eta
        p += -eta * g
        if float(s["mu"]) != 1:
            s["ax"] += (p - s["ax"]) * s["mu"]
        else:
            s["ax"][...] = p
        s["eta"][...] = lr / ((1 + lambd * lr * step) ** group["alpha"])
        s["mu"][...] = 1 / max(1, step - group["t0"])
