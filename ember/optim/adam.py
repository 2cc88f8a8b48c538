"""Adam and AdamW (Adam with decoupled weight decay)."""

from __future__ import annotations

import math

from ember import _dtype
from ember._factories import tensor, zeros_like
from ember.backend import array_module, parallel
from ember.optim.optimizer import Optimizer


def lerp_(a, b, w: float) -> None:
    """``a`` moved toward ``b`` by ``w`` in place, with PyTorch's two-sided lerp formula."""
    if w < 0.5:
        a += w * (b - a)
    else:
        a[...] = b - (b - a) * (1 - w)


def adam_update(
    params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, *, amsgrad, beta1, beta2, lr,
    weight_decay, eps, maximize, decoupled,
):
    """One Adam step on backend arrays, in place; ``steps`` are the step counts after this
    step.  A large parameter's update is split over the cores (it is elementwise)."""
    for i, (p, g) in enumerate(zip(params, grads)):
        step = steps[i]
        vmax = max_exp_avg_sqs[i] if amsgrad else None
        arrays = (p, g, exp_avgs[i], exp_avg_sqs[i], vmax)
        hyper = dict(
            beta1=beta1, beta2=beta2, lr=lr, weight_decay=weight_decay, eps=eps,
            maximize=maximize, decoupled=decoupled, bias1=1 - beta1**step,
            bias2_sqrt=math.sqrt(1 - beta2**step),
        )
        parallel.flat_ranges(_adam_one, arrays, **hyper)


def _adam_one(p, g, m, v, vmax, *, beta1, beta2, lr, weight_decay, eps, maximize, decoupled,
              bias1, bias2_sqrt):
    xp = array_module(p)
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled:
            p *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * p
    lerp_(m, g, 1 - beta1)
    v *= beta2
    v += (1 - beta2) * g * g
    if vmax is not None:
        xp.maximum(vmax, v, out=vmax)
        v = vmax
    denom = xp.sqrt(v)
    denom /= bias2_sqrt
    denom += eps
    step = xp.divide(m, denom, out=denom)
    step *= -lr / bias1
    p += step


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (``amsgrad``, L2 ``weight_decay``, ``maximize``,
    ``decoupled_weight_decay`` for AdamW's behaviour)."""

    _decoupled_default = False

    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
        foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
        decoupled_weight_decay=None,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if differentiable:
            raise NotImplementedError("ember's optimizers do not support differentiable=True")
        if decoupled_weight_decay is None:
            decoupled_weight_decay = self._decoupled_default
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
            maximize=maximize, foreach=foreach, capturable=capturable,
            differentiable=differentiable, fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("decoupled_weight_decay", self._decoupled_default)

    def _update(self, group: dict) -> None:
        params, grads, ms, vs, vmaxs, steps, owners = [], [], [], [], [], [], []
        for p, state in self._with_grads(group):
            if not state:
                state["step"] = tensor(0.0, dtype=_dtype.float32)
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = zeros_like(p)
            state["step"]._data += 1
            steps.append(float(state["step"]._data))
            params.append(p._data)
            grads.append(p.grad._data)
            ms.append(state["exp_avg"]._data)
            vs.append(state["exp_avg_sq"]._data)
            if group["amsgrad"]:
                vmaxs.append(state["max_exp_avg_sq"]._data)
            owners.append((p, state))
        beta1, beta2 = group["betas"]
        adam_update(
            params, grads, ms, vs, vmaxs, steps, amsgrad=group["amsgrad"], beta1=beta1,
            beta2=beta2, lr=group["lr"], weight_decay=group["weight_decay"], eps=group["eps"],
            maximize=group["maximize"], decoupled=group["decoupled_weight_decay"],
        )
        for p, state in owners:
            p._bump_version()
            for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
                if key in state:
                    state[key]._bump_version()


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.01), as ``torch.optim.AdamW``."""

    _decoupled_default = True

    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
        *, maximize=False, foreach=None, capturable=False, differentiable=False, fused=None,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
            capturable=capturable, differentiable=differentiable, fused=fused,
            decoupled_weight_decay=True,
        )
