"""A triangular solve for the Gaussian distributions.

``MultivariateNormal`` needs ``L^-1 b`` for its Cholesky factor ``L``, and its gradient must
stay in ``L``'s lower triangle (as ``torch.linalg.solve_triangular``'s does), so that
optimising ``scale_tril`` keeps it triangular. ember's ``linalg`` has no triangular solver
yet; this primitive reads only one triangle, solves through the backend's LU solver, and
writes its backward with itself (so higher derivatives work).
"""

from __future__ import annotations

from ember._tensor import Tensor
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops._util import sum_to_shape


class LinalgSolveTriangular(Primitive):
    """``X`` with ``A X = B`` for triangular ``A`` (lower unless ``upper``), batched with
    broadcasting."""

    save_inputs = True
    save_output = True

    @staticmethod
    def forward(ctx, A, B, *, upper: bool):
        xp = array_module(A)
        ctx.upper = upper
        tri = xp.triu(A) if upper else xp.tril(A)
        return xp.linalg.solve(tri, B)

    @staticmethod
    def backward(ctx, grad):
        A, B = ctx.saved_tensors
        X = ctx.output()
        upper = ctx.upper
        # A X = B  =>  dB = A^-T dX,  dA = -dB X^T (restricted to A's triangle).
        grad_B = solve_triangular(A.mT, grad, upper=not upper)
        grad_A = None
        if ctx.needs_input_grad[0]:
            full = -(grad_B @ X.mT)
            grad_A = sum_to_shape(full.triu() if upper else full.tril(), A.shape)
        if ctx.needs_input_grad[1]:
            grad_B = sum_to_shape(grad_B, B.shape)
        else:
            grad_B = None
        return grad_A, grad_B


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool) -> Tensor:
    """``A^-1 B`` for a triangular matrix ``A`` (batch dimensions broadcast)."""
    return LinalgSolveTriangular.apply(A, B, upper=upper)
