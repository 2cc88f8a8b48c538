"""Helpers every op family shares: operand preparation with PyTorch's promotion, undoing
broadcasting in gradients, and dim normalisation."""

from __future__ import annotations

from ember import _dtype
from ember._tensor import Tensor, _cast_array, _wrap, _wrap_dim
from ember.autograd.function import Primitive
from ember.backend import array_module, for_device, parallel

_float32 = _dtype.float32
_int64 = _dtype.int64
_bool = _dtype.bool


def check_same_device(a: Tensor, b: Tensor) -> None:
    if a._device is not b._device and a._device != b._device:
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            f"{a._device} and {b._device}!"
        )


def scalar_tensor(value, dtype: _dtype.dtype, device) -> Tensor:
    """A 0-dim constant holding a Python number, for ops that take tensor operands."""
    return _wrap(for_device(device).xp.asarray(value, dtype.np), dtype, device)


def promote(a, b) -> _dtype.dtype:
    """PyTorch's result dtype for a binary op, with fast paths for the common cases."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a._dtype is b._dtype:
                return a._dtype
        elif type(b) is float:
            if a._dtype.is_floating_point or a._dtype.is_complex:
                return a._dtype
            return _dtype.get_default_dtype()
        elif type(b) is int:
            return _int64 if a._dtype is _bool else a._dtype
    return _dtype.result_type(a, b)


class Cast(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.src = _dtype.from_numpy_dtype(a.dtype)
        return _cast_array(a, ctx.src, dtype, array_module(a))

    @staticmethod
    def backward(ctx, grad):
        return cast(grad, ctx.src)


def cast(t: Tensor, dtype: _dtype.dtype) -> Tensor:
    """``t`` converted to ``dtype``; differentiable, so promotion keeps the graph intact."""
    if t._dtype is dtype:
        return t
    return Cast.apply(t, dtype=dtype)


def operands(a, b, dtype: _dtype.dtype | None = None) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of one dtype (``dtype`` or the promoted one) on one device."""
    dt = promote(a, b) if dtype is None else dtype
    if isinstance(a, Tensor):
        device = a._device
        if isinstance(b, Tensor):
            check_same_device(a, b)
    elif isinstance(b, Tensor):
        device = b._device
    else:
        raise TypeError(f"expected at least one Tensor operand, got {type(a).__name__} and {type(b).__name__}")
    a = cast(a, dt) if isinstance(a, Tensor) else scalar_tensor(a, dt, device)
    b = cast(b, dt) if isinstance(b, Tensor) else scalar_tensor(b, dt, device)
    return a, b


def sum_to_shape(grad: Tensor, shape) -> Tensor:
    """Undo broadcasting: sum ``grad`` over the dimensions that were expanded to reach its shape."""
    shape = tuple(shape)
    gshape = tuple(grad.shape)
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    dims = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and gshape[lead + i] != 1:
            dims.append(lead + i)
    out = grad.sum(dims, keepdim=True) if dims else grad
    if lead:
        out = out.reshape(shape)
    return out


def normalize_dims(dim, ndim: int) -> tuple[int, ...]:
    """``dim`` (None, an int or a sequence) as a sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        return (_wrap_dim(dim, ndim),)
    dims = tuple(_wrap_dim(d, ndim) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
    return tuple(sorted(dims))


def check_inplace(self: Tensor) -> None:
    """PyTorch's refusals of an in-place op in grad mode: on a leaf that requires grad, on a
    view of one, on an output of split/unbind, on a view made under no_grad."""
    base = self._base
    if base is not None:
        if base._requires_grad and base._grad_fn is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
        meta = self.__dict__.get("_view_meta")
        if meta is not None:
            raise RuntimeError(meta)
    if self._requires_grad and self.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )


def needs_history(self: Tensor, value) -> bool:
    """Whether an in-place write of ``value`` into ``self`` must be recorded in the graph."""
    if value is not None and value._requires_grad:
        return True
    if self._requires_grad:
        return True
    base = self._base
    return base is not None and base._requires_grad


class Copy(Primitive):
    """The node of ``dst.copy_(src)``: the old ``dst`` gets no gradient, ``src`` all of it.
    Its forward runs after the write and hands back ``dst``'s (new) array."""

    save_inputs = False

    def name(self) -> str:
        return "CopyBackwards"

    @staticmethod
    def forward(ctx, dst, src):
        ctx.src_shape = src.shape
        ctx.src_dtype = _dtype.from_numpy_dtype(src.dtype)
        return dst

    @staticmethod
    def backward(ctx, grad):
        g_dst = g_src = None
        if ctx.needs_input_grad[0]:
            g_dst = grad * 0
        if ctx.needs_input_grad[1]:
            g_src = sum_to_shape(cast(grad, ctx.src_dtype), ctx.src_shape)
        return g_dst, g_src


def commit_inplace(self: Tensor, result: Tensor) -> None:
    """After ``result``'s values were written into ``self``: make the graph say so.

    A plain tensor takes over ``result``'s history; a view hands it to its base, whose new
    history (CopySlices) is its old one with the view's elements replaced.
    """
    if not result._requires_grad:
        result = Copy.apply(self.detach() if self._base is not None else self, result)
    fn = result._grad_fn
    if fn is not None and fn.save_output:
        # ``self`` now holds the output that op saved (``exp_``): changing ``self`` again in
        # place spoils its backward, as in PyTorch
        fn._note_output_storage(result._output_nr, self._get_storage())
    if result._dtype is not self._dtype:
        result = cast(result, self._dtype)
    if tuple(result._data.shape) != tuple(self._data.shape):
        result = result.expand(self._data.shape)
    if self._base is not None:
        from ember.ops.shape import rebase_history

        rebase_history(self, result)
        return
    self._grad_fn = result.grad_fn
    self._requires_grad = True
    if result._output_nr or "_output_nr" in self.__dict__:
        self._output_nr = result._output_nr


def write_inplace(self: Tensor, result: Tensor) -> Tensor:
    """Finish an in-place op (``add_`` and friends): store ``result`` into ``self``'s memory.

    ``result`` was computed out of place; PyTorch's rules decide whether it may land in
    ``self``: its dtype must cast to ``self``'s without changing category and its shape must
    broadcast to ``self``'s.  In the graph, ``self`` then stands for ``result`` (for a view,
    its base is rebased: see ``commit_inplace``).
    """
    from ember.autograd import grad_mode

    grad = grad_mode.enabled
    if grad:
        check_inplace(self)
    if not _dtype.can_cast(result._dtype, self._dtype):
        raise RuntimeError(
            f"result type {_TYPE_NAMES[result._dtype]} can't be cast to the desired output type "
            f"{_TYPE_NAMES[self._dtype]}"
        )
    if tuple(result.shape) != tuple(self.shape):
        xp = for_device(self._device).xp
        try:
            broadcast = xp.broadcast_shapes(result.shape, self.shape)
        except ValueError:
            broadcast = None
        if broadcast != tuple(self.shape):
            raise RuntimeError(
                f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                f"{list(broadcast) if broadcast else list(result.shape)}"
            )
    parallel.assign(self._data, result._data)
    self._bump_version()
    if grad and needs_history(self, result):
        commit_inplace(self, result)
    return self


_TYPE_NAMES = {
    _dtype.bool: "Bool", _dtype.uint8: "Byte", _dtype.int8: "Char", _dtype.int16: "Short",
    _dtype.int32: "Int", _dtype.int64: "Long", _dtype.float16: "Half",
    _dtype.bfloat16: "BFloat16", _dtype.float32: "Float", _dtype.float64: "Double",
    _dtype.complex64: "ComplexFloat", _dtype.complex128: "ComplexDouble",
}  # fmt: skip
