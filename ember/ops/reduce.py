"""Reductions."""

from __future__ import annotations

from ember import _dtype
from ember._tensor import Tensor
from ember.autograd.function import Primitive
from ember.ops._util import normalize_dims


class Sum(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        return a.sum(axis=dims, keepdims=keepdim, dtype=dtype.np)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.keepdim:
            for d in ctx.dims:
                grad = grad.unsqueeze(d)
        return grad.expand(ctx.shape)


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` (all dims by default); integers and bools sum as int64."""
    dims = normalize_dims(dim, input.ndim)
    if dtype is None:
        dtype = input._dtype
        if not (dtype.is_floating_point or dtype.is_complex):
            dtype = _dtype.int64
    return Sum.apply(input, dims=dims, keepdim=keepdim, dtype=dtype)


Tensor.sum = sum
