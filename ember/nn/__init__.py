"""``ember.nn``: modules, parameters and (with their issue) layers, as ``torch.nn``."""

from ember.nn.modules import (
    Module,
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from ember.nn.modules.module import (
    register_module_forward_hook,
    register_module_forward_pre_hook,
)
from ember.nn import functional, init
from ember.nn.parameter import Buffer, Parameter

__all__ = [
    "Buffer",
    "Module",
    "ModuleDict",
    "ModuleList",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "Sequential",
    "register_module_forward_hook",
    "register_module_forward_pre_hook",
]
