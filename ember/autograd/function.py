"""Making graph nodes: ``Primitive`` for ember's own ops and ``Function`` for users' ops.

A primitive's ``forward(ctx, *arrays, **params)`` computes on backend arrays and returns an
array (or a tuple of them); its ``backward(ctx, *grads)`` is written with ember Tensor ops, so
that ``create_graph=True`` differentiates it again.  ``apply`` records the node only when
grad mode is on and some input requires grad: everything else is the bare forward.
"""

from __future__ import annotations

from ember import _dtype
from ember._tensor import Tensor, _wrap
from ember.autograd import anomaly_mode, grad_mode
from ember.autograd.graph import _FREED, Node, edge_of, version_of

_from_np = _dtype._BY_NP


def _differentiable(dt) -> bool:
    return dt.is_floating_point or dt.is_complex


class Primitive(Node):
    """Base of ember's ops.

    Subclasses set ``save_inputs`` (backward reads the input tensors from ``ctx.saved_tensors``)
    and ``save_output`` (backward reads ``ctx.output()``).  ``saved_mask(needs_input_grad)``
    may narrow which inputs are kept: ``Mul`` keeps ``a`` only when ``b`` needs a gradient, so
    that ``y.mul_(2)`` does not trip the in-place check on a tensor backward never reads.
    Unsaved inputs read as None.
    """

    __slots__ = ()
    save_inputs = True
    save_output = False
    saved_mask = None

    @classmethod
    def apply(cls, *inputs: Tensor, **params):
        ctx = object.__new__(cls)
        out = cls.forward(ctx, *[t._data for t in inputs], **params)
        device = inputs[0]._device
        if type(out) is tuple:
            return cls._wrap_many(ctx, inputs, out, device)
        result = _wrap(out, _from_np[out.dtype], device)
        if grad_mode.enabled:
            for t in inputs:
                if t._requires_grad:
                    ctx._record(inputs)
                    if cls.save_output:
                        ctx._out = out
                    ctx._out_meta = ((out.shape, result._dtype, device),)
                    result._requires_grad = True
                    result._grad_fn = ctx
                    break
        return result

    @classmethod
    def _wrap_many(cls, ctx, inputs, outs, device):
        results = tuple(_wrap(o, _from_np[o.dtype], device) for o in outs)
        if not grad_mode.enabled or not any(t._requires_grad for t in inputs):
            return results
        ctx._record(inputs)
        ctx._out = outs if cls.save_output else None
        ctx._out_meta = tuple((o.shape, r._dtype, device) for o, r in zip(outs, results))
        for i, r in enumerate(results):
            if _differentiable(r._dtype):
                r._requires_grad = True
                r._grad_fn = ctx
                if i:
                    r._output_nr = i
        return results

    def _record(self, inputs) -> None:
        self.next_functions = tuple(edge_of(t) for t in inputs)
        self.needs_input_grad = tuple(t._requires_grad for t in inputs)
        if self.save_inputs:
            mask = self.saved_mask
            if mask is not None:
                inputs = tuple(t if m else None for t, m in zip(inputs, mask(self.needs_input_grad)))
            self._inputs = inputs
            self._versions = tuple(0 if t is None else version_of(t) for t in inputs)
        else:
            self._inputs = ()
            self._versions = ()
        self._out = None
        self._tensor_hooks = self._pre_hooks = self._post_hooks = None
        if anomaly_mode.enabled:
            anomaly_mode.record(self)

    def output(self, i: int | None = None):
        """The op's output (or its ``i``-th output) as a tensor in the graph."""
        out = self._out
        if out is _FREED:
            self.saved_tensors  # raises the freed-graph error
        if i is None:
            arr, meta = out, self._out_meta[0]
        else:
            arr, meta = out[i], self._out_meta[i]
        t = _wrap(arr, meta[1], meta[2])
        t._requires_grad = True
        t._grad_fn = self
        if i:
            t._output_nr = i
        return t


class FunctionCtx:
    """What a custom Function's ``forward`` and ``backward`` share as ``ctx``."""

    def save_for_backward(self, *tensors) -> None:
        self._to_save = tensors

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class BackwardCFunction(Node, FunctionCtx):
    """The node of one call of a custom Function; it calls that Function's ``backward``."""

    _forward_cls = None
    materialize_grads = True

    def name(self) -> str:
        return type(self).__name__

    @staticmethod
    def backward(ctx, *grads):
        return ctx._forward_cls.backward(ctx, *grads)

    @property
    def saved_tensors(self) -> tuple:
        return Node.saved_tensors.fget(self)

    def _run(self, grads: list, create_graph: bool) -> tuple:
        if not self.materialize_grads:
            return self._run_unmaterialized(grads, create_graph)
        result = Node._run(self, grads, create_graph)
        for i, (g, shape) in enumerate(zip(result, self._input_shapes)):
            if g is None or shape is None:
                continue
            if not isinstance(g, Tensor):
                raise TypeError(
                    f"{self.name()} returned a {type(g).__name__} as gradient {i}; "
                    "expected a Tensor or None"
                )
            if tuple(g.shape) != tuple(shape):
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {i} - got "
                    f"{list(g.shape)} but expected shape compatible with {list(shape)}"
                )
        return result

    def _run_unmaterialized(self, grads, create_graph):
        prev = grad_mode.enabled
        grad_mode.enabled = create_graph
        try:
            result = self._forward_cls.backward(self, *grads)
        finally:
            grad_mode.enabled = prev
        return result if isinstance(result, tuple) else (result,)


class _FunctionMeta(type):
    """Gives every Function subclass its own node class, named ``<Name>Backward``."""

    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})


class Function(metaclass=_FunctionMeta):
    """Base for custom differentiable operations, as ``torch.autograd.Function``.

    Subclass with static ``forward(ctx, *args)`` (on tensors, recorded as one node) and
    ``backward(ctx, *grad_outputs)`` returning one gradient (or None) per forward argument;
    call it with ``MyFn.apply(*args)``.  ``forward(*args)`` plus ``setup_context(ctx, inputs,
    output)`` works too.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._backward_cls()
        separate_setup = cls.setup_context is not Function.setup_context
        prev = grad_mode.enabled
        grad_mode.enabled = False
        try:
            if separate_setup:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        finally:
            grad_mode.enabled = prev
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        needs = prev and any(t._requires_grad for t in tensor_args)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if not needs:
            return outputs
        ctx.next_functions = tuple(
            edge_of(a) if isinstance(a, Tensor) else (None, 0) for a in args
        )
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        ctx._input_shapes = tuple(a.shape if isinstance(a, Tensor) else None for a in args)
        saved = getattr(ctx, "_to_save", ())
        ctx._inputs = saved
        ctx._versions = tuple(version_of(t) if t is not None else 0 for t in saved)
        ctx._out = None
        ctx._tensor_hooks = ctx._pre_hooks = ctx._post_hooks = None
        if anomaly_mode.enabled:
            anomaly_mode.record(ctx)
        non_diff = getattr(ctx, "_non_differentiable", set())
        dirty = {id(t) for t in getattr(ctx, "_dirty", ())}
        input_ids = {id(t) for t in tensor_args}
        wrapped, meta = [], []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                meta.append(None)
                continue
            if id(o) in input_ids and id(o) not in dirty:
                o = o.detach()  # an input returned as-is becomes a new node's output
            meta.append((o.shape, o._dtype, o._device))
            if id(o) not in non_diff and _differentiable(o._dtype):
                o._requires_grad = True
                o._grad_fn = ctx
                if i:
                    o._output_nr = i
            wrapped.append(o)
        ctx._out_meta = tuple(meta)
        return wrapped[0] if single else tuple(wrapped)
