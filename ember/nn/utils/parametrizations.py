"""Ready-made parametrizations: ``weight_norm`` and ``spectral_norm``."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.nn.modules.module import Module
from ember.nn.utils import parametrize


def _norm_except_dim(v: Tensor, dim: int | None) -> Tensor:
    if dim is None:
        return v.norm()
    dims = [d for d in range(v.dim()) if d != dim]
    return (v * v).sum(dims, keepdim=True).sqrt()


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except_dim(weight_v, self._dim(weight_v)))

    def _dim(self, v):
        return None if self.dim == -1 else self.dim % v.dim()

    def right_inverse(self, weight):
        d = self._dim(weight)
        g = _norm_except_dim(weight, d) if d is not None else weight.norm()
        return g, weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrise ``module.<name>`` as ``g * v / ||v||`` (norm over all dims but ``dim``),
    with ``original0`` = g and ``original1`` = v."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.dim()
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                "Dimension out of range (expected to be in range of "
                f"[-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            mat = self._reshape_weight_to_matrix(weight)
            h, w = mat.shape
            u = weight.new_empty(h).normal_(0, 1)
            v = weight.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", self._normalize(u))
            self.register_buffer("_v", self._normalize(v))
            self._power_method(mat, 15)

    def _normalize(self, x: Tensor) -> Tensor:
        from ember.nn.functional.distance import normalize

        return normalize(x, dim=0, eps=self.eps)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.movedim(self.dim, 0)
        return weight.flatten(1)

    def _power_method(self, mat: Tensor, iterations: int) -> None:
        with no_grad():
            for _ in range(iterations):
                self._u.copy_(self._normalize(mat.mv(self._v)))
                self._v.copy_(self._normalize(mat.t().mv(self._u)))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.dim() == 1:
            return self._normalize(weight)
        mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = (u * mat.mv(v)).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Reparametrise ``module.<name>`` as the weight divided by its largest singular value,
    estimated by power iteration (one step per training forward)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        name_of = type(module).__name__
        dim = 1 if name_of.startswith("ConvTranspose") else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module
