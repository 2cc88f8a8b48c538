"""Shared pieces of the model zoo: the ``weights`` check and ``_make_divisible``."""

from __future__ import annotations


def check_no_weights(weights, kwargs) -> None:
    """ember ships no pretrained weights and never downloads: only ``weights=None`` is accepted."""
    if kwargs.pop("pretrained", False) or weights is not None:
        raise ValueError(
            "ember never downloads pretrained weights: pass weights=None and load a state dict "
            "yourself (e.g. one saved from torchvision with torch.save(model.state_dict(), path), "
            "then model.load_state_dict(ember.load(path)))"
        )
    kwargs.pop("progress", None)


def make_divisible(v: float, divisor: int, min_value=None) -> int:
    """Round a channel count to a multiple of ``divisor`` without going 10% below ``v``."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v
