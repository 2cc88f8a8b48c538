"""Distances and similarities: ``pairwise_distance``, ``cosine_similarity``, ``pdist``,
``normalize``."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.ops.elementwise import clamp


def _norm(x: Tensor, p: float, dim, keepdim: bool = False) -> Tensor:
    return x.norm(p, dim, keepdim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim."""
    ndim = max(x1.dim(), x2.dim())
    d = x1 - x2 + eps
    if ndim == 0:
        return d.abs()
    return _norm(d, p, -1, keepdim)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``x1 . x2 / max(||x1|| * ||x2||, eps)`` along ``dim``."""
    n1 = (x1 * x1).sum(dim)
    n2 = (x2 * x2).sum(dim)
    denom = clamp((n1 * n2).sqrt(), min=eps)
    return (x1 * x2).sum(dim) / denom


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm distances between all pairs of rows of a 2-D ``input`` (upper triangle,
    row-major)."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    from ember import triu_indices

    n = input.shape[0]
    i, j = triu_indices(n, n, 1, device=input.device)
    return _norm(input[i] - input[j], p, -1)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``."""
    denom = clamp(_norm(input, p, dim, True), min=eps).expand_as(input)
    r = input / denom
    if out is not None:
        return out.copy_(r)
    return r
