"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from ember._factories import zeros_like
from ember.backend import parallel
from ember.optim.optimizer import Optimizer, required


def sgd_update(params, grads, bufs, *, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """One SGD step on backend arrays, in place; ``bufs`` holds momentum buffers (None for a
    parameter's first step, replaced by a copy of its gradient).  A large parameter's update
    is split over the cores (it is elementwise)."""
    hyper = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                 nesterov=nesterov, maximize=maximize)
    for i, (p, g) in enumerate(zip(params, grads)):
        fresh = momentum != 0 and bufs[i] is None
        if fresh:
            bufs[i] = _first_buffer(g, p, weight_decay, maximize)
        buf = bufs[i] if momentum != 0 else None
        parallel.flat_ranges(_sgd_one, (p, g, buf), fresh=fresh, **hyper)


def _first_buffer(g, p, weight_decay, maximize):
    """The momentum buffer of a first step: the (decayed, signed) gradient itself."""
    if maximize:
        g = -g
    if weight_decay != 0:
        return g + weight_decay * p
    return g.copy()


def _sgd_one(p, g, buf, *, fresh, lr, momentum, dampening, weight_decay, nesterov, maximize):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * p
    if buf is not None:
        if not fresh:
            buf *= momentum
            buf += g if dampening == 0 else (1 - dampening) * g  # (1 * g is g exactly)
        g = g + momentum * buf if nesterov else buf
    p -= lr * g


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    >>> opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> loss.backward(); opt.step(); opt.zero_grad()
    """

    def __init__(
        self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
        maximize=False, foreach=None, differentiable=False, fused=None,
    ) -> None:
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        if differentiable:
            raise NotImplementedError("ember's optimizers do not support differentiable=True")
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
            nesterov=nesterov, maximize=maximize, foreach=foreach,
            differentiable=differentiable, fused=fused,
        )
        super().__init__(params, defaults)

    def _update(self, group: dict) -> None:
        params, grads, bufs, states = [], [], [], []
        for p, state in self._with_grads(group):
            params.append(p._data)
            grads.append(p.grad._data)
            buf = state.get("momentum_buffer")
            bufs.append(None if buf is None else buf._data)
            states.append((p, state))
        sgd_update(
            params, grads, bufs, lr=group["lr"], momentum=group["momentum"],
            dampening=group["dampening"], weight_decay=group["weight_decay"],
            nesterov=group["nesterov"], maximize=group["maximize"],
        )
        for (p, state), buf in zip(states, bufs):
            p._bump_version()
            if group["momentum"] != 0:
                old = state.get("momentum_buffer")
                if old is None or old._data is not buf:
                    t = zeros_like(p)
                    t._data[...] = buf
                    state["momentum_buffer"] = t
