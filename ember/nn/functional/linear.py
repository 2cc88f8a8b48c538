"""``linear`` and ``bilinear``: the affine maps of ``nn.Linear`` and ``nn.Bilinear``."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.ops.einsum import einsum
from ember.ops.linalg import addmm, matmul
from ember.ops.linear import Linear


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``.

    Shapes: input ``(*, in_features)``, weight ``(out_features, in_features)`` (or
    ``(in_features,)``), bias ``(out_features,)`` or ``()``; output ``(*, out_features)``.
    """
    dt = input._dtype
    if (
        weight._dtype is dt
        and dt.is_floating_point
        and weight.dim() == 2
        and input.dim() >= 1
        and input.shape[-1] == weight.shape[1]
        and input._device == weight._device
    ):
        if bias is None:
            return Linear.apply(input, weight)
        if bias._dtype is dt and bias.shape == (weight.shape[0],) and bias._device == input._device:
            return Linear.apply(input, weight, bias)
    if input.dim() == 2 and weight.dim() == 2 and bias is not None:
        return addmm(bias, input, weight.t())
    out = matmul(input, weight.t() if weight.dim() == 2 else weight)
    return out if bias is None else out + bias


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1 @ weight[k] @ x2 + bias[k]``; inputs ``(*, in1)``, ``(*, in2)``, weight
    ``(out, in1, in2)``, output ``(*, out)``."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            "bilinear(): input batch dimensions do not match: got "
            f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}"
        )
    if (
        weight.dim() != 3
        or input1.shape[-1] != weight.shape[1]
        or input2.shape[-1] != weight.shape[2]
    ):
        raise RuntimeError(
            f"bilinear(): input1 size {input1.shape[-1]} and input2 size {input2.shape[-1]} do "
            f"not match weight of shape {list(weight.shape)}"
        )
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias
