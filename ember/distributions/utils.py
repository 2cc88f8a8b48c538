"""Helpers the distributions share: broadcasting parameters, converting between probabilities
and logits, and ``lazy_property`` (a parameter computed on first use, then cached)."""

from __future__ import annotations

import numbers
from functools import update_wrapper

import ember
from ember._tensor import Tensor

__all__ = [
    "broadcast_all",
    "clamp_probs",
    "lazy_property",
    "logits_to_probs",
    "probs_to_logits",
]

euler_constant = 0.57721566490153286060


def broadcast_all(*values):
    """Broadcast tensors and numbers to one shape; numbers become tensors of the first tensor's
    dtype and device (of the default dtype when all are numbers)."""
    like = None
    for v in values:
        if isinstance(v, Tensor):
            if like is None:
                like = v
        elif not isinstance(v, numbers.Number):
            raise ValueError(
                "Input arguments must all be instances of Number, ember.Tensor or objects "
                "implementing __torch_function__."
            )
    if like is None:
        dt = ember.get_default_dtype()
        return tuple(ember.tensor(v, dtype=dt) for v in values)
    values = tuple(
        v if isinstance(v, Tensor) else ember.tensor(v, dtype=like.dtype, device=like.device)
        for v in values
    )
    shape = values[0].shape
    if all(v.shape == shape for v in values):
        return values
    return tuple(ember.broadcast_tensors(*values))


def _sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum out the ``dim`` rightmost dimensions of ``value``."""
    if dim == 0:
        return value
    return value.reshape(*value.shape[: value.dim() - dim], -1).sum(-1)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities from logits: a sigmoid for binary outcomes, else a softmax over the last
    dimension."""
    if is_binary:
        return ember.sigmoid(logits)
    return ember.softmax(logits, dim=-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """Clamp probabilities into ``[eps, 1 - eps]`` of their dtype, keeping logs finite."""
    eps = ember.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Logits from probabilities (clamped first): ``log p - log(1 - p)`` for binary outcomes,
    else ``log p``."""
    p = clamp_probs(probs)
    if is_binary:
        return ember.log(p) - ember.log1p(-p)
    return ember.log(p)


def _xlogy(x, y: Tensor) -> Tensor:
    """``x * log(y)``, taken as 0 where ``x`` is 0 (and gradients stay finite there)."""
    if not isinstance(x, Tensor):
        x = ember.tensor(x, dtype=y.dtype, device=y.device)
    zero = x == 0
    safe_y = ember.where(zero, ember.ones_like(y), y)
    return ember.where(zero, ember.zeros_like(x * y), x * ember.log(safe_y))


def _fmt(value):
    """How PyTorch's reprs print a parameter or bound: 0-dim tensors as plain numbers."""
    if isinstance(value, Tensor) and value.dim() == 0:
        return value.item()
    return value


class lazy_property:
    """A property computed once on first access (with grad enabled, as PyTorch does) and then
    stored on the instance, so the distribution's parameter set can be built from either form
    (``probs`` or ``logits``)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with ember.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """What a ``lazy_property`` looks like on the class: both a lazy_property and a property,
    so documentation tools and ``isinstance`` checks see either."""

    def __init__(self, wrapped):
        property.__init__(self, wrapped)
        lazy_property.__init__(self, wrapped)


def _bits(device):
    """The backend bit generator behind the default ember generator of ``device``."""
    from ember import random as _random

    return _random._resolve(None, device)._bits


def _standard_normal(shape, dtype, device) -> Tensor:
    return ember.randn(shape, dtype=dtype, device=device)


def _clamp_by_zero(x: Tensor) -> Tensor:
    """``max(x, 0)`` whose gradient at 0 is 1/2 (what PyTorch's Binomial differentiates)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2
