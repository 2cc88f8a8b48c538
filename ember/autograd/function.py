"""Making graph nodes: ``Primitive`` for ember's own ops and ``Function`` for users' ops.

A primitive's ``forward(ctx, *arrays, **params)`` computes on backend arrays and returns an
array (or a tuple of them); its ``backward(ctx, *grads)`` is written with ember Tensor ops, so
that ``create_graph=True`` differentiates it again.  ``apply`` records the node only when
grad mode is on and some input requires grad: everything else is the bare forward.
"""

from __future__ import annotations

import functools

from ember import _dtype, _grad_state
from ember._tensor import Tensor, _wrap
from ember.autograd import anomaly_mode, grad_mode
from ember.autograd.grad_mode import _state
from ember.autograd.graph import _FREED, ZERO_VERSIONS, Node, edge_of, version_of

_from_np = _dtype._BY_NP
_NO_EDGE = (None, 0)
# ``ctx.shapes`` of a two-input op whose inputs had one shape: nothing to reduce in backward
_UNBROADCAST = (None, None)
# Shared small tuples: every tuple a graph node keeps alive counts toward the garbage
# collector's next pass, and a pass over a long graph costs as much as its ops.
_PAIRS = (((False, False), (False, True)), ((True, False), (True, True)))
_METAS: dict = {}


def _one_meta(shape, dt, device) -> tuple:
    """``((shape, dtype, device),)``, one shared tuple per distinct value (the device by
    identity: its hash is a Python call; the cached tuple keeps it alive)."""
    key = (shape, dt, id(device))
    meta = _METAS.get(key)
    if meta is None:
        if len(_METAS) > 4096:
            _METAS.clear()
        meta = _METAS[key] = ((shape, dt, device),)
    return meta


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

    __slots__ = ("shapes",)
    save_inputs = True
    save_output = False
    save_shapes = False  # whether recording keeps the inputs' shapes in ``ctx.shapes``
    _plain = True
    saved_mask = None

    @classmethod
    def apply(cls, *inputs: Tensor, **params):
        ctx = object.__new__(cls)
        n = len(inputs)
        # (spelled out: a call through ``*``/``**`` costs more than a small op's arithmetic)
        if params:
            out = cls.forward(ctx, *[t._data for t in inputs], **params)
        elif n == 2:
            out = cls.forward(ctx, inputs[0]._data, inputs[1]._data)
        elif n == 1:
            out = cls.forward(ctx, inputs[0]._data)
        else:
            out = cls.forward(ctx, *[t._data for t in inputs])
        device = inputs[0]._device
        if type(out) is tuple:
            return cls._wrap_many(ctx, inputs, out, device)
        dt = inputs[0]._dtype
        if dt.np is not out.dtype:
            dt = _from_np[out.dtype]
        result = _wrap(out, dt, device)
        for t in inputs:  # inputs first: the thread-local grad mode costs more to read
            if t._requires_grad:
                # torch never lets an integer or bool output require grad
                if _state.enabled and (dt.is_floating_point or dt.is_complex):
                    ctx._record(inputs)
                    if cls.save_output:
                        ctx._out = out
                    ctx._out_meta = _one_meta(out.shape, dt, device)
                    result._requires_grad = True
                    result._grad_fn = ctx
                break
        return result

    @classmethod
    def apply2(cls, a: Tensor, b: Tensor):
        """``apply`` for exactly two tensors and no parameters, spelled out with the wrapping
        and the graph recording inlined: the path of every ``x + y`` and ``x * y``.  Only for
        ops whose forward returns one array."""
        ra = a._requires_grad
        rb = b._requires_grad
        # (such an op's forward may use ``ctx`` only when it gets one)
        ctx = object.__new__(cls) if (ra or rb) and _state.enabled else None
        out = cls.forward(ctx, a._data, b._data)
        dt = a._dtype
        if dt.np is not out.dtype:
            dt = _from_np[out.dtype]
        device = a._device
        result = object.__new__(Tensor)
        result._data = out
        result._dtype = dt
        result._device = device
        result._storage = None
        result._grad = None
        if _grad_state.inference_regions and _state.inference:
            result.__dict__["_is_inference"] = True
        if ctx is not None and (dt.is_floating_point or dt.is_complex):
            # edge_of inlined for the common cases: a result of another op, a constant
            if a._view_version is not None or (ra and a._grad_fn is None):
                ea = edge_of(a)
            else:
                ea = (a._grad_fn, a._output_nr) if ra else _NO_EDGE
            if b._view_version is not None or (rb and b._grad_fn is None):
                eb = edge_of(b)
            else:
                eb = (b._grad_fn, b._output_nr) if rb else _NO_EDGE
            ctx.next_functions = (ea, eb)
            ctx.needs_input_grad = needs = _PAIRS[ra][rb]
            if cls.save_shapes:
                sa = a._data.shape
                sb = b._data.shape
                ctx.shapes = _UNBROADCAST if sa == sb else (sa, sb)
            if cls.save_inputs:
                mask = cls.saved_mask
                if mask is not None:
                    ma, mb = mask(needs)
                    if not ma:
                        a = None
                    if not mb:
                        b = None
                ctx._inputs = (a, b)
                sa = None if a is None else a._storage
                sb = None if b is None else b._storage
                if sa is None and sb is None:
                    ctx._versions = ZERO_VERSIONS
                else:
                    ctx._versions = (
                        0 if sa is None else sa._version,
                        0 if sb is None else sb._version,
                    )
            else:
                ctx._inputs = ctx._versions = ()
            ctx._out = out if cls.save_output else None
            ctx._tensor_hooks = ctx._pre_hooks = ctx._post_hooks = None
            ctx._out_meta = _one_meta(out.shape, dt, device)
            if anomaly_mode.enabled:
                anomaly_mode.record(ctx)
            result._requires_grad = True
            result._grad_fn = ctx
        else:
            result._requires_grad = False
            result._grad_fn = None
        return result

    @classmethod
    def _wrap_many(cls, ctx, inputs, outs, device):
        results = tuple(_wrap(o, _from_np[o.dtype], device) for o in outs)
        if not _state.enabled or not any(t._requires_grad for t in inputs):
            return results
        if not any(_differentiable(r._dtype) for r in results):
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
        # Unrolled for the one- and two-input ops that dominate: generator expressions cost
        # about a microsecond each, as much as a small op's arithmetic.
        n = len(inputs)
        if n == 2:
            a, b = inputs
            self.next_functions = (edge_of(a), edge_of(b))
            needs = self.needs_input_grad = _PAIRS[a._requires_grad][b._requires_grad]
            if self.save_shapes:
                sa = a._data.shape
                sb = b._data.shape
                self.shapes = _UNBROADCAST if sa == sb else (sa, sb)
        elif n == 1:
            a = inputs[0]
            self.next_functions = (edge_of(a),)
            needs = self.needs_input_grad = (a._requires_grad,)
            if self.save_shapes:
                self.shapes = (a._data.shape,)
        else:
            self.next_functions = tuple([edge_of(t) for t in inputs])
            needs = self.needs_input_grad = tuple([t._requires_grad for t in inputs])
            if self.save_shapes:
                self.shapes = tuple([t._data.shape for t in inputs])
        if self.save_inputs:
            mask = self.saved_mask
            if mask is not None:
                inputs = tuple([t if m else None for t, m in zip(inputs, mask(needs))])
            self._inputs = inputs
            versions = []
            for t in inputs:
                st = None if t is None else t._storage
                versions.append(0 if st is None else st._version)
            self._versions = tuple(versions)
        else:
            self._inputs = ()
            self._versions = ()
        self._out = None
        self._tensor_hooks = self._pre_hooks = self._post_hooks = None
        if anomaly_mode.enabled:
            anomaly_mode.record(self)

    def output(self, i: int | None = None):
        """The op's output (or its ``i``-th output) as a tensor in the graph, checked against
        in-place changes since the op made it."""
        out = self._out
        if out is _FREED:
            self.saved_tensors  # raises the freed-graph error
        nr = 0 if i is None else i
        arr = out if i is None else out[i]
        meta = self._out_meta[nr]
        storage = version = None
        seen = self.__dict__.get("_out_storages")
        if seen is not None and nr in seen:
            storage, version = seen[nr]
        t = _wrap(arr, meta[1], meta[2], storage)
        if storage is not None and storage._version != version:
            shape = ", ".join(str(n) for n in arr.shape)
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{t.type()} [{shape}]], which is output {nr} of "
                f"{self.name()}, is at version {storage._version}; expected version {version} "
                "instead. Hint: the operation that modified it may be any in-place op (add_, "
                "mul_, [...] = ...) applied to it or to a view of it."
            )
        t._requires_grad = True
        t._grad_fn = self
        if nr:
            t._output_nr = nr
        return t

    def _note_output_storage(self, nr: int, storage) -> None:
        """Output ``nr`` got a storage (it is about to be viewed or written in place): remember
        it with its version, so that ``output()`` can refuse a changed output."""
        seen = self.__dict__.get("_out_storages")
        if seen is None:
            seen = self.__dict__["_out_storages"] = {}
        seen.setdefault(nr, (storage, storage._version))


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
    _fits_by_argument = True

    def name(self) -> str:
        return type(self).__name__

    @staticmethod
    def backward(ctx, *grads):
        return ctx._forward_cls.backward(ctx, *grads)

    @property
    def saved_tensors(self) -> tuple:
        return Node.saved_tensors.fget(self)

    def _fit_result(self, result: tuple) -> tuple:
        """Check ``backward``'s per-argument gradients and keep those of tensor arguments."""
        tensor_at = self._tensor_at
        n = len(tensor_at)
        if len(result) != n:
            if len(result) > n and all(r is None for r in result[n:]):
                result = result[:n]
            else:
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients "
                    f"(expected {n}, got {len(result)})"
                )
        kept = []
        for i, (g, shape) in enumerate(zip(result, tensor_at)):
            if shape is None:
                if g is not None:
                    raise RuntimeError(
                        f"function {self.name()} returned a gradient different than None at "
                        f"position {i + 1}, but the corresponding forward input was not a "
                        "Variable"
                    )
                continue
            if g is not None:
                if not isinstance(g, Tensor):
                    raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
                if tuple(g.shape) != tuple(shape):
                    raise RuntimeError(
                        f"Function {self.name()} returned an invalid gradient at index {i} - "
                        f"got {list(g.shape)} but expected shape compatible with {list(shape)}"
                    )
            kept.append(g)
        return tuple(kept)


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
        ctx.next_functions = tuple(edge_of(a) for a in tensor_args)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        ctx._tensor_at = tuple(a.shape if isinstance(a, Tensor) else None for a in args)
        saved = getattr(ctx, "_to_save", ())
        ctx._inputs = saved
        ctx._versions = tuple(version_of(t) if t is not None else 0 for t in saved)
        ctx._out = None
        ctx._tensor_hooks = ctx._pre_hooks = ctx._post_hooks = None
        if anomaly_mode.enabled:
            anomaly_mode.record(ctx)
        non_diff = getattr(ctx, "_non_differentiable", set())
        dirty_tensors = getattr(ctx, "_dirty", ())
        for t in dirty_tensors:
            t._bump_version()  # forward changed it in place
        dirty = {id(t) for t in dirty_tensors}
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


class _DelayedError(Function):
    """Passes values through; differentiating through it raises the stored message."""

    @staticmethod
    def forward(ctx, message, *tensors):
        ctx.message = message
        out = tuple(t.detach().clone() if t is not None else None for t in tensors)
        return out[0] if len(out) == 1 else out

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(ctx.message)


def once_differentiable(backward):
    """Decorate a custom Function's ``backward`` that cannot itself be differentiated.

    It then always runs without recording a graph; when a higher-order gradient was asked for
    (``create_graph=True`` with gradients that require grad), its results carry a node that
    raises if anyone differentiates through them.
    """

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with grad_mode.no_grad():
            outputs = backward(ctx, *grads)
        if not grad_mode.enabled:
            return outputs
        if not any(isinstance(g, Tensor) and g._requires_grad for g in grads):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        present = [o for o in outs if isinstance(o, Tensor)]
        if not present:
            return outputs
        wrapped = _DelayedError.apply(
            "trying to differentiate twice a function that was marked with @once_differentiable",
            *(o.requires_grad_() if _differentiable(o._dtype) else o for o in present),
        )
        wrapped = iter((wrapped,) if len(present) == 1 else wrapped)
        result = tuple(next(wrapped) if isinstance(o, Tensor) else o for o in outs)
        return result[0] if single else result

    return wrapper
