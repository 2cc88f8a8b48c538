"""``Optimizer``: parameter groups, per-parameter state, ``step``, and state dicts in
PyTorch's layout.

A concrete optimizer gives its defaults to ``__init__`` and implements ``_update(group)``,
which gathers the parameters that have gradients and hands their backend arrays to a plain
update function.  Updates work on the arrays in place, outside autograd, vectorised over each
parameter: no graph, no per-element Python.
"""

from __future__ import annotations

import copy
import functools
from collections import OrderedDict, defaultdict

from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.utils.hooks import RemovableHandle


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_pre_hooks: dict = OrderedDict()
_global_post_hooks: dict = OrderedDict()


def register_optimizer_step_pre_hook(hook) -> RemovableHandle:
    """``hook(optimizer, args, kwargs)`` runs before every optimizer's ``step``."""
    handle = RemovableHandle(_global_pre_hooks)
    _global_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook) -> RemovableHandle:
    """``hook(optimizer, args, kwargs)`` runs after every optimizer's ``step``."""
    handle = RemovableHandle(_global_post_hooks)
    _global_post_hooks[handle.id] = hook
    return handle


def _with_hooks(step):
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        for hook in (*_global_pre_hooks.values(), *self._step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{hook} must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {result}."
                    )
                args, kwargs = result
        out = step(self, *args, **kwargs)
        for hook in (*self._step_post_hooks.values(), *_global_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    wrapper._hooked = True
    return wrapper


class Optimizer:
    """Base class of the optimizers.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts, each dict a
    parameter group with its own options (``{"params": [...], "lr": 0.1}``); options a group
    leaves out come from ``defaults``.
    """

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        self._step_pre_hooks: dict = OrderedDict()
        self._step_post_hooks: dict = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {params.type()}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _with_hooks(step)

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_step_post_hooks", OrderedDict())

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # -- groups ------------------------------------------------------------------------------

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (e.g. a layer unfrozen later)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = []
        if params and isinstance(params[0], tuple):
            names = [n for n, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + type(p).__name__
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group)
        group["params"] = params
        if names:
            group["param_names"] = names
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {key}"
                )
            group.setdefault(key, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient (to ``None``, or to zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    # -- stepping ----------------------------------------------------------------------------

    @_with_hooks
    def step(self, closure=None):
        """One update of every parameter that has a gradient; ``closure`` re-evaluates the
        loss (called with grad enabled) and its result is returned."""
        loss = None
        if closure is not None:
            from ember.autograd.grad_mode import enable_grad

            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update(group)
        return loss

    def _update(self, group: dict) -> None:
        raise NotImplementedError

    def _with_grads(self, group: dict):
        """The parameters of ``group`` that have gradients, with their state dicts."""
        for p in group["params"]:
            if p.grad is not None:
                yield p, self.state[p]

    def register_step_pre_hook(self, hook) -> RemovableHandle:
        handle = RemovableHandle(self._step_pre_hooks)
        self._step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook) -> RemovableHandle:
        handle = RemovableHandle(self._step_post_hooks)
        self._step_post_hooks[handle.id] = hook
        return handle

    # -- state dicts -------------------------------------------------------------------------

    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``,
        parameters numbered in group order, as PyTorch lays it out."""
        index: dict = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = list(range(start, start + len(group["params"])))
            for i, p in zip(ids, group["params"]):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(ids)
            groups.append(packed)
        state = {
            index[id(p)]: s
            for p, s in self.state.items()
            if s and isinstance(p, Tensor) and id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore options and state saved by ``state_dict`` (ours or PyTorch's layout)."""
        state_dict = copy.deepcopy(state_dict)
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = {
            old: p
            for g, s in zip(groups, saved_groups)
            for old, p in zip(s["params"], g["params"])
        }
        self.state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                p = id_map[key]
                self.state[p] = {k: self._cast_state(p, k, v) for k, v in value.items()}
        new_groups = []
        for g, s in zip(groups, saved_groups):
            s = dict(s)
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            new_groups.append(s)
        self.param_groups = new_groups

    @staticmethod
    def _cast_state(param: Tensor, key: str, value):
        # floating state follows the parameter's dtype; the step counter stays as saved
        if not isinstance(value, Tensor):
            return value
        if key == "step":
            return value
        if value.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)


def step_counter():
    """A new per-parameter step count: a 0-dim float32 tensor, as PyTorch keeps it."""
    from ember import _dtype
    from ember._factories import tensor

    return tensor(0.0, dtype=_dtype.float32)


def check_nonnegative(what: str, value) -> None:
    """PyTorch's ValueError for a negative hyper-parameter (``Invalid learning rate: -1``)."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what}: {value}")


class ArrayOptimizer(Optimizer):
    """An optimizer whose update is one function over each parameter's arrays.

    Subclasses list ``state_keys`` (state tensors shaped like the parameter, created as
    zeros, or by ``init_state``) and implement ``update(p, g, state_arrays, step, group)`` on
    backend arrays, in place; ``step`` is the step count after this step.
    """

    state_keys: tuple = ()
    counts_steps = True

    def init_state(self, p, state: dict, group: dict) -> None:
        from ember._factories import zeros_like

        for key in self.state_keys:
            state[key] = zeros_like(p)

    def update(self, p, g, arrays: dict, step: float, group: dict) -> None:
        raise NotImplementedError

    def _update(self, group: dict) -> None:
        maximize = group.get("maximize", False)
        for p, state in self._with_grads(group):
            if not state:
                if self.counts_steps:
                    state["step"] = step_counter()
                self.init_state(p, state, group)
            step = 0.0
            if self.counts_steps:
                state["step"]._data += 1
                step = float(state["step"]._data)
            g = p.grad._data
            if maximize:
                g = -g
            arrays = {k: v._data for k, v in state.items() if k != "step" and hasattr(v, "_data")}
            self.update(p._data, g, arrays, step, group)
            p._bump_version()
