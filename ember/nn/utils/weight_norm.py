"""The legacy ``weight_norm`` / ``remove_weight_norm``: ``weight = g * v / ||v||`` recomputed
by a forward pre-hook from the parameters ``<name>_g`` and ``<name>_v``.  New code should
prefer ``ember.nn.utils.parametrizations.weight_norm``."""

from __future__ import annotations

from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter


def _norm_except_dim(v, dim):
    if dim == -1:
        return v.norm()
    dims = [d for d in range(v.dim()) if d != dim]
    return (v * v).sum(dims, keepdim=True).sqrt()


class WeightNorm:
    """The pre-hook that recomputes the weight before each forward."""

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    @staticmethod
    def apply(module: Module, name: str, dim: int) -> WeightNorm:
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if fn.dim != -1 and fn.dim < 0:
            fn.dim += weight.dim()
        del module._parameters[name]
        module.register_parameter(
            name + "_g", Parameter(_norm_except_dim(weight, fn.dim).detach().clone())
        )
        module.register_parameter(name + "_v", Parameter(weight.detach().clone()))
        setattr(module, name, fn.compute_weight(module))
        fn.handle = module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))
        self.handle.remove()

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Split ``module.<name>`` into a magnitude ``<name>_g`` and a direction ``<name>_v``."""
    module._weight_norm_hook = WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Fold ``<name>_g`` and ``<name>_v`` back into one parameter ``<name>``."""
    hook = module.__dict__.get("_weight_norm_hook")
    if hook is None or hook.name != name:
        raise ValueError(f"weight_norm of '{name}' not found in {module}")
    hook.remove(module)
    del module._weight_norm_hook
    return module
