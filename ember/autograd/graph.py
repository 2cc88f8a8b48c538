"""Graph nodes: what a tensor's ``grad_fn`` is.

A node knows the edges to the nodes of its inputs (``next_functions``), what its backward
needs (saved input tensors with the versions they had, or its output's array), and the hooks
registered on it.  The engine (``engine.py``) walks nodes; ops (``function.py``) make them.
"""

from __future__ import annotations

import sys
import weakref


_FREED = object()
ZERO_VERSIONS = (0, 0)  # the versions of two saved inputs that had no storage (shared)


def version_of(t) -> int:
    """A tensor's in-place version; a tensor that never had a storage made is at 0."""
    st = t._storage
    return 0 if st is None else st._version


class RemovableHandle:
    """Returned by ``register_*hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_key")
    _next_key = 0

    def __init__(self, hooks: dict):
        self._hooks = hooks
        RemovableHandle._next_key += 1
        self._key = RemovableHandle._next_key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Node:
    """A step of the recorded graph; subclasses define ``backward(ctx, *grad_outputs)``.

    The node is also the ``ctx`` its op's forward and backward see: ops may set attributes
    on it (it has a ``__dict__``) to pass what backward needs.
    """

    __slots__ = (
        "next_functions",
        "needs_input_grad",
        "_inputs",
        "_versions",
        "_out",
        "_out_meta",
        "_tensor_hooks",
        "_pre_hooks",
        "_post_hooks",
        "__dict__",
        "__weakref__",
    )
    save_output = False  # whether backward reads the op's output (``Primitive.output``)
    _plain = False  # whether the engine may call backward directly (``Primitive`` nodes)
    materialize_grads = True  # a missing output gradient reaches backward as zeros, not None
    _fits_by_argument = False  # custom Functions check and filter gradients per forward argument

    def name(self) -> str:
        return type(self).__name__ + "Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    # -- what backward may read --------------------------------------------------------------

    @property
    def saved_tensors(self) -> tuple:
        """The saved input tensors, checked against in-place changes since they were saved."""
        inputs = self._inputs
        if inputs is _FREED:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward."
            )
        versions = self._versions
        if versions is ZERO_VERSIONS:  # two inputs, neither had a storage when saved
            a, b = inputs
            if (a is None or a._storage is None) and (b is None or b._storage is None):
                return inputs  # (a storage appears before any in-place write)
        for t, v in zip(inputs, versions):
            if t is None:
                continue
            st = t._storage
            if (0 if st is None else st._version) != v:
                shape = ", ".join(str(n) for n in t.shape)
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t.type()} [{shape}]], which is input to "
                    f"{self.name()}, is at version {version_of(t)}; expected version {v} "
                    "instead. Hint: the operation that modified it may be any in-place op "
                    "(add_, mul_, [...] = ...) applied to it or to a view of it."
                )
        return inputs

    def _release(self) -> None:
        self._inputs = _FREED
        self._out = _FREED
        if self.save_output:
            self.__dict__.pop("_out_storages", None)

    # -- hooks ---------------------------------------------------------------------------------

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward; may return new grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = {}
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle._key] = fn
        return handle

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node's backward; may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle._key] = fn
        return handle

    def _register_tensor_hook(self, output_nr: int, fn):
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        hooks = self._tensor_hooks.setdefault(output_nr, {})
        handle = RemovableHandle(hooks)
        hooks[handle._key] = fn
        return handle

    # -- running -------------------------------------------------------------------------------

    def _apply_tensor_hooks(self, grads: list) -> None:
        for nr, hooks in self._tensor_hooks.items():
            for fn in list(hooks.values()):
                if grads[nr] is None:
                    break
                new = fn(grads[nr])
                if new is not None:
                    grads[nr] = new

    def _run(self, grads: list, create_graph: bool) -> tuple:
        """Hooks, then backward (run by the engine with grad mode set to ``create_graph``);
        one grad per input edge."""
        if self._tensor_hooks:
            self._apply_tensor_hooks(grads)
        if self._pre_hooks:
            for fn in list(self._pre_hooks.values()):
                new = fn(tuple(grads))
                if new is not None:
                    grads = list(new)
        if self.materialize_grads:
            for i, g in enumerate(grads):
                if g is None:
                    meta = self._out_meta_at(i)
                    if meta is not None:  # a non-tensor output of a custom Function gets None
                        grads[i] = _zeros_for(meta)
        # the engine has set grad mode to ``create_graph`` for the whole pass
        result = type(self).backward(self, *grads)
        if type(result) is not tuple:
            result = (result,)
        if len(result) != len(self.next_functions) or self._fits_by_argument:
            result = self._fit_result(result)
        if self._post_hooks:
            for fn in list(self._post_hooks.values()):
                new = fn(result, tuple(grads))
                if new is not None:
                    result = tuple(new)
        return result

    def _fit_result(self, result: tuple) -> tuple:
        """One gradient per input edge (trailing Nones beyond them are dropped)."""
        n = len(self.next_functions)
        if len(result) != n:
            if len(result) > n and all(r is None for r in result[n:]):
                result = result[:n]
            else:
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients "
                    f"(expected {n}, got {len(result)})"
                )
        return result

    @property
    def num_outputs(self) -> int:
        return len(self._out_meta)

    def _out_meta_at(self, i: int):
        """(shape, dtype, device) of output ``i``."""
        return self._out_meta[i]


def _zeros_for(meta):
    shape, dtype, device = meta
    from ember._factories import zeros

    return zeros(shape, dtype=dtype, device=device)


class AccumulateGrad(Node):
    """The node of a leaf tensor that requires grad: adds incoming gradients into ``.grad``."""

    __slots__ = ("_variable",)

    def __init__(self, variable):
        self._variable = weakref.ref(variable)
        self.next_functions = ()
        self.needs_input_grad = ()
        self._inputs = ()
        self._versions = ()
        self._out = None
        self._out_meta = ((variable.shape, variable._dtype, variable._device),)
        self._tensor_hooks = None
        self._pre_hooks = None
        self._post_hooks = None

    def name(self) -> str:
        return "AccumulateGrad"

    @property
    def variable(self):
        return self._variable()

    def _release(self) -> None:
        pass

    def _run(self, grads: list, create_graph: bool) -> tuple:
        if self._tensor_hooks:
            self._apply_tensor_hooks(grads)
        if self._pre_hooks:
            for fn in list(self._pre_hooks.values()):
                new = fn(tuple(grads))
                if new is not None:
                    grads = list(new)
        t = self._variable()
        g = grads[0]
        if t is not None and g is not None:
            accumulate_into_grad(t, g, create_graph)
        if self._post_hooks:
            for fn in list(self._post_hooks.values()):
                fn((), tuple(grads))
        return ()


# How many references a gradient has inside AccumulateGrad when nothing but the engine's buffer
# holds it; measured once (``_calibrate``) rather than assumed, as it depends on the interpreter.
_SOLE_REFS = None


def _calibrate() -> int:
    global _SOLE_REFS
    from ember._factories import ones

    from ember.autograd.grad_mode import enable_grad

    _SOLE_REFS = 0  # while measuring, nothing is adopted
    x = ones(2, requires_grad=True)
    with enable_grad():  # (the first backward pass may be the one calling this)
        (x * 2.0).sum().backward()
    _SOLE_REFS = x.__dict__.pop("_refs_seen")
    return _SOLE_REFS


def _adoptable(t, g) -> bool:
    """Whether ``g`` can become ``t.grad`` as it is: nothing else refers to it or to its array,
    it owns its memory, and it has the leaf's layout (PyTorch steals such gradients too)."""
    arr = g._data
    return (
        arr.base is None
        # the references a sole gradient has in accumulate_into_grad, plus this function's
        # parameter and getrefcount's argument
        and sys.getrefcount(g) <= _SOLE_REFS + 2
        # g's reference, the local ``arr`` and getrefcount's argument
        and sys.getrefcount(arr) <= 3
        and arr.strides == t._data.strides
        and g._grad_fn is None
        and not g._requires_grad
    )


def accumulate_into_grad(t, g, create_graph: bool) -> None:
    """Add ``g`` into ``t.grad``.  The first gradient becomes ``.grad`` itself when nothing else
    holds it, and is copied otherwise, so that no two leaves (or a hook) share one."""
    from ember._tensor import _wrap

    if g._dtype is not t._dtype:
        g = g.to(t._dtype)
    if t._grad is None:
        if create_graph:
            t._grad = g
            return
        if _SOLE_REFS is None:
            _calibrate()
        if _SOLE_REFS == 0:  # calibrating: record what a sole gradient looks like
            t.__dict__["_refs_seen"] = sys.getrefcount(g) - 1
            t._grad = _wrap(g._data.copy(), g._dtype, g._device)
        elif _adoptable(t, g):
            t._grad = g
        else:
            t._grad = _wrap(g._data.copy(), g._dtype, g._device)
    elif create_graph or t._grad._grad_fn is not None:
        t._grad = t._grad + g
    else:
        dst = t._grad._data
        if dst.shape == g._data.shape:
            dst += g._data
            t._grad._bump_version()
        else:
            t._grad = _wrap(dst + g._data, t._dtype, t._device)


def grad_accumulator(t) -> AccumulateGrad:
    """The (cached) AccumulateGrad node of a leaf that requires grad."""
    acc = t.__dict__.get("_accumulator")
    if acc is None:
        acc = t.__dict__["_accumulator"] = AccumulateGrad(t)
    return acc


def edge_of(t):
    """Where a gradient for ``t`` should flow: (its node, which output of it), or (None, 0)."""
    fn = t._grad_fn
    if t._view_version is not None:
        fn = t.grad_fn  # a view whose storage changed in place gets its history rebuilt
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        return (grad_accumulator(t), 0)
    return (None, 0)
