"""Parametrizations: a module's tensor computed on access from ``original`` tensors by a
chain of modules (``register_parametrization``), as ``torch.nn.utils.parametrize``.

Registering swaps the module's class for a subclass with a property under the tensor's name;
``module.parametrizations[name]`` is a :class:`ParametrizationList` holding the originals.
"""

from __future__ import annotations

from contextlib import contextmanager

from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.nn.modules.container import ModuleDict, ModuleList
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter

_cache_enabled = 0
_cache: dict = {}


@contextmanager
def cached():
    """Within the block, each parametrized tensor is computed once and reused."""
    global _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache.clear()


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, and its ``original`` (or ``original0``, ...)."""

    def __init__(self, modules, original: Tensor, unsafe: bool = False) -> None:
        super().__init__(modules)
        self.unsafe = unsafe
        new = original
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    new = module.right_inverse(new)
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if tuple(new.shape) == tuple(original.shape) and new.dtype == original.dtype:
                with no_grad():
                    if new is not original:
                        original.copy_(new)
                param = original if isinstance(original, Parameter) else None
            else:
                param = None
            if param is None:
                param = (
                    Parameter(new.detach().clone(), original.requires_grad)
                    if isinstance(original, Parameter)
                    else new.detach().clone()
                )
            if isinstance(param, Parameter):
                self.register_parameter("original", param)
            else:
                self.register_buffer("original", param)
        else:
            for i, t in enumerate(new):
                if isinstance(original, Parameter):
                    self.register_parameter(
                        f"original{i}", Parameter(t.detach().clone(), original.requires_grad)
                    )
                else:
                    self.register_buffer(f"original{i}", t.detach().clone())

    def right_inverse(self, value: Tensor) -> None:
        """Set the originals so that the parametrized tensor becomes ``value``."""
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    value = module.right_inverse(value)
            if self.is_tensor:
                self.original.copy_(value)
            else:
                for i, t in enumerate(value):
                    getattr(self, f"original{i}").copy_(t)

    def forward(self):
        modules = list(self)
        if self.is_tensor:
            x = modules[0](self.original)
        else:
            x = modules[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in modules[1:]:
            x = module(x)
        return x


def _property(name: str):
    def getter(self):
        parametrization = self.parametrizations[name]
        if _cache_enabled:
            key = (id(self), name)
            if key not in _cache:
                _cache[key] = parametrization()
            return _cache[key]
        return parametrization()

    def setter(self, value):
        self.parametrizations[name].right_inverse(value)

    return property(getter, setter)


def _inject_class(module: Module) -> None:
    cls = module.__class__
    new = type(f"Parametrized{cls.__name__}", (cls,), {"__module__": cls.__module__})
    new._is_parametrized_class = True
    module.__class__ = new


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make ``module.<tensor_name>`` be ``parametrization(original)``, computed on access;
    registering again on the same name chains the parametrizations."""
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(
            f"Module '{module}' does not have a parameter, a buffer, or a parametrized "
            f"element with name '{tensor_name}'"
        )
    original = getattr(module, tensor_name)
    if not unsafe:
        with no_grad():
            y = parametrization(original)
        if not isinstance(y, Tensor):
            raise ValueError(f"A parametrization must return a tensor. Got {type(y).__name__}.")
        if y.dtype != original.dtype:
            raise ValueError(
                "Registering a parametrization may not change the dtype of the tensor, unless "
                "`unsafe` flag is enabled.\n"
                f"unparametrized dtype: {original.dtype}\nparametrized dtype: {y.dtype}"
            )
        if tuple(y.shape) != tuple(original.shape):
            raise ValueError(
                "Registering a parametrization may not change the shape of the tensor, unless "
                "`unsafe` flag is enabled.\n"
                f"unparametrized shape: {original.shape}\nparametrized shape: {y.shape}"
            )
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        _inject_class(module)
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    setattr(type(module), tensor_name, _property(tensor_name))
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` (or its ``tensor_name``) has a parametrization."""
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if parametrizations is None or not isinstance(parametrizations, ModuleDict):
        return False
    if tensor_name is None:
        return len(parametrizations) > 0
    return tensor_name in parametrizations


def remove_parametrizations(
    module: Module, tensor_name: str, leave_parametrized: bool = True
) -> Module:
    """Undo ``register_parametrization`` on ``tensor_name``: the tensor becomes a plain
    parameter again, holding the parametrized value (or the original one)."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            with no_grad():
                if tuple(value.shape) == tuple(original.shape):
                    original.copy_(value)
                else:
                    original = Parameter(value.detach().clone(), original.requires_grad)
    else:
        if not leave_parametrized:
            raise ValueError(
                "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
                "parametrized in terms of a sequence of tensors."
            )
        with no_grad():
            value = getattr(module, tensor_name)
        requires_grad = plist.original0.requires_grad
        original = Parameter(value.detach().clone(), requires_grad)
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(original, Parameter):
        module.register_parameter(tensor_name, original)
    else:
        module.register_buffer(tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The class ``module`` had before any parametrization was registered."""
    cls = type(module)
    return cls.__bases__[0] if getattr(cls, "_is_parametrized_class", False) else cls
