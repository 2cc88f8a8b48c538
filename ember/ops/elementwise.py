"""Pointwise arithmetic.  Each primitive's forward (arrays) and backward (tensors) stand
together; the public function prepares operands (promotion, scalars) and applies it."""

from __future__ import annotations

from ember import _dtype
from ember._tensor import Tensor
from ember.autograd.function import Primitive
from ember.ops._util import operands, sum_to_shape, write_inplace


class Add(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a + b

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        return (
            sum_to_shape(grad, sa) if ctx.needs_input_grad[0] else None,
            sum_to_shape(grad, sb) if ctx.needs_input_grad[1] else None,
        )


class Sub(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a - b

    @staticmethod
    def backward(ctx, grad):
        sa, sb = ctx.shapes
        return (
            sum_to_shape(grad, sa) if ctx.needs_input_grad[0] else None,
            sum_to_shape(-grad, sb) if ctx.needs_input_grad[1] else None,
        )


class Mul(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (needs[1], needs[0])

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        return (
            sum_to_shape(grad * b, sa) if ctx.needs_input_grad[0] else None,
            sum_to_shape(grad * a, sb) if ctx.needs_input_grad[1] else None,
        )


class Div(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (needs[1], True)

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = grad / b
        return (
            sum_to_shape(ga, ctx.shapes[0]) if ctx.needs_input_grad[0] else None,
            sum_to_shape(-ga * a / b, b.shape) if ctx.needs_input_grad[1] else None,
        )


class Neg(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


def add(input, other, *, alpha=1, out=None) -> Tensor:
    """``input + alpha * other``, broadcasting and promoting like PyTorch."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b = operands(input, other)
    return Add.apply(a, b)


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """``input - alpha * other``."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b = operands(input, other)
    return Sub.apply(a, b)


def mul(input, other, *, out=None) -> Tensor:
    """Elementwise product."""
    a, b = operands(input, other)
    return Mul.apply(a, b)


def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    """True division; integer inputs give the default float dtype."""
    dt = _dtype.result_type(input, other)
    if not (dt.is_floating_point or dt.is_complex):
        dt = _dtype.get_default_dtype()
    a, b = operands(input, other, dt)
    return Div.apply(a, b)


def neg(input: Tensor) -> Tensor:
    return Neg.apply(input)


Tensor.__add__ = add
Tensor.__radd__ = lambda self, other: add(other, self)
Tensor.__sub__ = sub
Tensor.__rsub__ = lambda self, other: sub(other, self)
Tensor.__mul__ = mul
Tensor.__rmul__ = lambda self, other: mul(other, self)
Tensor.__truediv__ = div
Tensor.__rtruediv__ = lambda self, other: div(other, self)
Tensor.__neg__ = neg
Tensor.add = add
Tensor.sub = sub
Tensor.mul = mul
Tensor.div = div
Tensor.neg = neg


def _inplace(op):
    def method(self, other, **kwargs):
        return write_inplace(self, op(self, other, **kwargs))

    method.__name__ = op.__name__ + "_"
    method.__doc__ = f"In-place ``{op.__name__}``: the result is written into ``self``."
    return method


Tensor.add_ = Tensor.__iadd__ = _inplace(add)
Tensor.sub_ = Tensor.__isub__ = _inplace(sub)
Tensor.mul_ = Tensor.__imul__ = _inplace(mul)
Tensor.div_ = Tensor.__itruediv__ = _inplace(div)
Tensor.neg_ = lambda self: write_inplace(self, neg(self))
