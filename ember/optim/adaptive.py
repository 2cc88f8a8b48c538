"""The Adam family's relatives: Adamax, NAdam, RAdam, and the per-coordinate step-size
methods RMSprop, Adagrad, Adadelta.  Each update is PyTorch's single-tensor algorithm, step
for step, on backend arrays."""

from __future__ import annotations

import math

from ember._factories import full_like, zeros_like
from ember.backend import array_module
from ember.optim.adam import lerp_
from ember.optim.optimizer import ArrayOptimizer, check_nonnegative, step_counter


def _check_betas(betas) -> None:
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b}")


def _decay(p, g, group, decoupled: bool = False):
    wd = group["weight_decay"]
    if wd == 0:
        return g
    if decoupled:
        p *= 1 - group["lr"] * wd
        return g
    return g + wd * p


def _no_differentiable(differentiable) -> None:
    if differentiable:
        raise NotImplementedError("ember's optimizers do not support differentiable=True")


class Adamax(ArrayOptimizer):
    """Adam with the infinity norm, as ``torch.optim.Adamax``."""

    state_keys = ("exp_avg", "exp_inf")

    def __init__(
        self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
        maximize=False, differentiable=False, capturable=False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("epsilon value", eps)
        _check_betas(betas)
        check_nonnegative("weight_decay value", weight_decay)
        _no_differentiable(differentiable)
        super().__init__(params, dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
            maximize=maximize, differentiable=differentiable, capturable=capturable,
        ))  # fmt: skip

    def update(self, p, g, s, step, group):
        xp = array_module(p)
        beta1, beta2 = group["betas"]
        g = _decay(p, g, group)
        lerp_(s["exp_avg"], g, 1 - beta1)
        s["exp_inf"] *= beta2
        xp.maximum(s["exp_inf"], xp.abs(g) + group["eps"], out=s["exp_inf"])
        clr = group["lr"] / (1 - beta1**step)
        p += -clr * (s["exp_avg"] / s["exp_inf"])


class NAdam(ArrayOptimizer):
    """Adam with Nesterov momentum, as ``torch.optim.NAdam``."""

    state_keys = ("exp_avg", "exp_avg_sq")

    def __init__(
        self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
        momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None, maximize=False,
        capturable=False, differentiable=False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("epsilon value", eps)
        _check_betas(betas)
        check_nonnegative("weight_decay value", weight_decay)
        check_nonnegative("momentum_decay value", momentum_decay)
        _no_differentiable(differentiable)
        super().__init__(params, dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
            momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize, foreach=foreach, capturable=capturable,
            differentiable=differentiable,
        ))  # fmt: skip

    def init_state(self, p, state, group):
        from ember._factories import ones

        state["mu_product"] = ones((), dtype=step_counter().dtype)
        super().init_state(p, state, group)

    def update(self, p, g, s, step, group):
        xp = array_module(p)
        beta1, beta2 = group["betas"]
        lr, decay = group["lr"], group["momentum_decay"]
        g = _decay(p, g, group, group["decoupled_weight_decay"])
        bias2 = 1 - beta2**step
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * decay))
        s["mu_product"] *= mu  # a float32 product, as PyTorch keeps it
        mu_product = float(s["mu_product"])
        lerp_(s["exp_avg"], g, 1 - beta1)
        s["exp_avg_sq"] *= beta2
        s["exp_avg_sq"] += (1 - beta2) * g * g
        denom = xp.sqrt(s["exp_avg_sq"] / bias2) + group["eps"]
        p += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
        p += (-lr * mu_next / (1.0 - mu_product * mu_next)) * (s["exp_avg"] / denom)


class RAdam(ArrayOptimizer):
    """Rectified Adam, as ``torch.optim.RAdam``."""

    state_keys = ("exp_avg", "exp_avg_sq")

    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
        decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
        differentiable=False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("epsilon value", eps)
        _check_betas(betas)
        check_nonnegative("weight_decay value", weight_decay)
        _no_differentiable(differentiable)
        super().__init__(params, dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
            foreach=foreach, capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay, differentiable=differentiable,
        ))  # fmt: skip

    def update(self, p, g, s, step, group):
        xp = array_module(p)
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        g = _decay(p, g, group, group["decoupled_weight_decay"])
        lerp_(s["exp_avg"], g, 1 - beta1)
        s["exp_avg_sq"] *= beta2
        s["exp_avg_sq"] += (1 - beta2) * g * g
        bias1 = 1 - beta1**step
        bias2 = 1 - beta2**step
        corrected = s["exp_avg"] / bias1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias2
        if rho_t > 5.0:
            rect = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            adaptive = bias2**0.5 / (xp.sqrt(s["exp_avg_sq"]) + group["eps"])
            p -= corrected * lr * adaptive * rect
        else:
            p -= corrected * lr


class RMSprop(ArrayOptimizer):
    """RMSprop (``centered``, ``momentum``), as ``torch.optim.RMSprop``."""

    def __init__(
        self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
        centered=False, capturable=False, foreach=None, maximize=False, differentiable=False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("epsilon value", eps)
        check_nonnegative("momentum value", momentum)
        check_nonnegative("weight_decay value", weight_decay)
        check_nonnegative("alpha value", alpha)
        _no_differentiable(differentiable)
        super().__init__(params, dict(
            lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
            weight_decay=weight_decay, capturable=capturable, foreach=foreach,
            maximize=maximize, differentiable=differentiable,
        ))  # fmt: skip

    def init_state(self, p, state, group):
        state["square_avg"] = zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = zeros_like(p)

    def update(self, p, g, s, step, group):
        xp = array_module(p)
        alpha, lr = group["alpha"], group["lr"]
        g = _decay(p, g, group)
        sq = s["square_avg"]
        sq *= alpha
        sq += (1 - alpha) * g * g
        if group["centered"]:
            lerp_(s["grad_avg"], g, 1 - alpha)
            avg = xp.sqrt(sq - s["grad_avg"] * s["grad_avg"])
        else:
            avg = xp.sqrt(sq)
        avg += group["eps"]
        if group["momentum"] > 0:
            buf = s["momentum_buffer"]
            buf *= group["momentum"]
            buf += g / avg
            p -= lr * buf
        else:
            p += -lr * (g / avg)


class Adagrad(ArrayOptimizer):
    """Adagrad, as ``torch.optim.Adagrad`` (its state exists from construction on)."""

    def __init__(
        self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
        eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None,
    ) -> None:
        check_nonnegative("learning rate", lr)
        check_nonnegative("lr_decay value", lr_decay)
        check_nonnegative("weight_decay value", weight_decay)
        check_nonnegative("initial_accumulator_value value", initial_accumulator_value)
        check_nonnegative("epsilon value", eps)
        _no_differentiable(differentiable)
        super().__init__(params, dict(
            lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value, foreach=foreach,
            maximize=maximize, differentiable=differentiable, fused=fused,
        ))  # fmt: skip
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = step_counter()
                state["sum"] = full_like(p, group["initial_accumulator_value"])

    def update(self, p, g, s, step, group):
        xp = array_module(p)
        g = _decay(p, g, group)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        s["sum"] += g * g
        p += -clr * (g / (xp.sqrt(s["sum"]) + group["eps"]))


class Adadelta(ArrayOptimizer):
    """Adadelta, as ``torch.optim.Adadelta``."""

    state_keys = ("square_avg", "acc_delta")

    def __init__(
        self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
        capturable=False, maximize=False, differentiable=False,
    ) -> None:
        check_nonnegative("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative("epsilon value", eps)
        check_nonnegative("weight_decay value", weight_decay)
        _no_differentiable(differentiable)
        super().__init__(params, dict(
            lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
            capturable=capturable, foreach=foreach, differentiable=differentiable,
        ))  # fmt: skip

    def update(self, p, g, s, step, group):
        xp = array_module(p)
        rho, eps = group["rho"], group["eps"]
        g = _decay(p, g, group)
        sq, acc = s["square_avg"], s["acc_delta"]
        sq *= rho
        sq += (1 - rho) * g * g
        delta = xp.sqrt(acc + eps) / xp.sqrt(sq + eps) * g
        acc *= rho
        acc += (1 - rho) * delta * delta
        p -= group["lr"] * delta
