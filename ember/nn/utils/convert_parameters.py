"""Flattening parameters into one vector and back."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad


def parameters_to_vector(parameters) -> Tensor:
    """All of ``parameters`` flattened and concatenated into one 1-D tensor."""
    from ember.ops.join import cat

    if isinstance(parameters, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(parameters).__name__}")
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (replacing their data)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    for p in parameters:
        n = p.numel()
        with no_grad():
            p.copy_(vec[offset : offset + n].reshape(p.shape))
        offset += n
