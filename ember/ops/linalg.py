"""Matrix products: matmul and its family (mm, bmm, mv, dot, outer, addmm, ...), kron, trace.

Every product goes straight to BLAS through ``a @ b`` on the backend arrays, with no copy for
the common float case (transposed operands are handed to BLAS as they are).  Backwards are
products again, so ``create_graph=True`` differentiates them once more.  Each public function
checks what PyTorch checks and raises PyTorch's error on bad shapes or dtypes; the shape
messages are built only after the backend has refused, so the hot path carries no checks
beyond the dtype comparison.
"""

from __future__ import annotations

import math
import warnings

from ember import _dtype
from ember._tensor import Tensor, _empty_strided, contiguous_strides
from ember.autograd import grad_mode
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops._util import _TYPE_NAMES, check_same_device, operands, sum_to_shape, write_inplace

_bool = _dtype.bool
_int64 = _dtype.int64
_np_float32 = _dtype.float32.np

# The C++ spelling PyTorch uses in "expected m1 and m2 to have the same dtype" messages.
_CPP_NAMES = {
    _dtype.bool: "bool", _dtype.uint8: "unsigned char", _dtype.int8: "signed char",
    _dtype.int16: "short int", _dtype.int32: "int", _dtype.int64: "long int",
    _dtype.float16: "c10::Half", _dtype.bfloat16: "c10::BFloat16", _dtype.float32: "float",
    _dtype.float64: "double", _dtype.complex64: "c10::complex<float>",
    _dtype.complex128: "c10::complex<double>",
}  # fmt: skip


def _product(a, b):
    """``a @ b`` on backend arrays; half precision is multiplied in float32, as PyTorch does."""
    dt = a.dtype
    if dt.itemsize == 2 and dt.kind in "fV":
        out = (a.astype(_np_float32) @ b.astype(_np_float32)).astype(dt)
    else:
        out = a @ b
    if not out.size:  # NumPy gives empty products zero strides; PyTorch's are contiguous
        return _empty_strided(array_module(a), out.shape, contiguous_strides(out.shape), dt)
    return out


# -- the primitives -------------------------------------------------------------------------


class Dot(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (needs[1], needs[0])

    @staticmethod
    def forward(ctx, a, b):
        return array_module(a).asarray(_product(a, b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None, grad * a if need_b else None)


class Mv(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (needs[1], needs[0])

    @staticmethod
    def forward(ctx, a, b):
        return _product(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return _mv_grads(grad, a, b, need_a, need_b)


class Mm(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (needs[1], needs[0])

    @staticmethod
    def forward(ctx, a, b):
        return _product(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return _mm_grads(grad, a, b, need_a, need_b)


class Bmm(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (needs[1], needs[0])

    @staticmethod
    def forward(ctx, a, b):
        return _product(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return _bmm_grads(grad, a, b, need_a, need_b)


class Matmul(Primitive):
    """The general case: 1-D operands promoted to matrices, batch dims broadcast."""

    @staticmethod
    def saved_mask(needs):
        return (needs[1], needs[0])

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        if b.ndim == 2 and a.ndim > 2:
            # One GEMM over the folded batch instead of one per matrix.
            lead = a.shape[:-1]
            out = _product(a.reshape(math.prod(lead), a.shape[-1]), b)
            return out.reshape(lead + (b.shape[1],))
        return _product(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        sa, sb = ctx.shapes
        if len(sa) == 1:
            grad = grad.unsqueeze(-1).unsqueeze(-1) if len(sb) == 1 else grad.unsqueeze(-2)
            a = a if a is None else a.unsqueeze(0)
        if len(sb) == 1:
            if len(sa) != 1:
                grad = grad.unsqueeze(-1)
            b = b if b is None else b.unsqueeze(-1)
        ga = gb = None
        if need_a:
            ga = Matmul.apply(grad, b.mT)
            ga = sum_to_shape(ga, (1, sa[0]) if len(sa) == 1 else sa).reshape(sa)
        if need_b:
            gb = Matmul.apply(a.mT, grad)
            gb = sum_to_shape(gb, (sb[0], 1) if len(sb) == 1 else sb).reshape(sb)
        return ga, gb


def _mv_grads(grad, a, b, need_a, need_b):
    return (
        grad.unsqueeze(-1) * b if need_a else None,
        Mv.apply(a.mT, grad) if need_b else None,
    )


def _mm_grads(grad, a, b, need_a, need_b):
    return (
        Mm.apply(grad, b.mT) if need_a else None,
        Mm.apply(a.mT, grad) if need_b else None,
    )


def _bmm_grads(grad, a, b, need_a, need_b):
    return (
        Bmm.apply(grad, b.mT) if need_a else None,
        Bmm.apply(a.mT, grad) if need_b else None,
    )


def _addbmm_grads(grad, a, b, need_a, need_b):
    # grad (n, m) meets every matrix of the batch: broadcasting matmul does the repeat.
    return (
        Matmul.apply(grad, b.mT) if need_a else None,
        Matmul.apply(a.mT, grad) if need_b else None,
    )


def _addbmm_product(a, b):
    """The sum over the batch of ``a[i] @ b[i]`` as one GEMM: (n, B*k) @ (B*k, m)."""
    batch, n, k = a.shape
    return _product(a.transpose(1, 0, 2).reshape(n, batch * k), b.reshape(batch * k, b.shape[2]))


class _AddProduct(Primitive):
    """``beta * input + alpha * product(m1, m2)``; subclasses name the product."""

    _product = staticmethod(_product)
    _grads = None

    @staticmethod
    def saved_mask(needs):
        return (False, needs[2], needs[1])

    @staticmethod
    def forward(ctx, c, a, b, beta, alpha):
        ctx.params = (c.shape, beta, alpha)
        dt = a.dtype
        if dt.itemsize == 2 and dt.kind in "fV":  # one rounding at the end, as PyTorch does
            c, a, b = c.astype(_np_float32), a.astype(_np_float32), b.astype(_np_float32)
            return _AddProduct.forward(ctx, c, a, b, beta, alpha).astype(dt)
        out = ctx._product(a, b)
        if alpha != 1:
            out *= alpha
        if beta != 0:
            out += c if beta == 1 else c * beta
        return out

    @staticmethod
    def backward(ctx, grad):
        _, a, b = ctx.saved_tensors
        need_c, need_a, need_b = ctx.needs_input_grad
        c_shape, beta, alpha = ctx.params
        gc = sum_to_shape(grad if beta == 1 else grad * beta, c_shape) if need_c else None
        ga, gb = type(ctx)._grads(grad if alpha == 1 else grad * alpha, a, b, need_a, need_b)
        return gc, ga, gb


class Addmm(_AddProduct):
    _grads = staticmethod(_mm_grads)


class Addmv(_AddProduct):
    _grads = staticmethod(_mv_grads)


class Baddbmm(_AddProduct):
    _grads = staticmethod(_bmm_grads)


class Addbmm(_AddProduct):
    _product = staticmethod(_addbmm_product)
    _grads = staticmethod(_addbmm_grads)


class Outer(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (needs[1], needs[0])

    @staticmethod
    def forward(ctx, a, b):
        return a[:, None] * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (
            Mv.apply(grad, b) if need_a else None,
            Mv.apply(grad.mT, a) if need_b else None,
        )


class Kron(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (needs[1], needs[0])

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a.shape, b.shape)
        return array_module(a).kron(a, b)

    @staticmethod
    def backward(ctx, grad):
        from ember.ops.einsum import einsum

        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        sa, sb = ctx.shapes
        n = max(len(sa), len(sb))
        pa = (1,) * (n - len(sa)) + tuple(sa)
        pb = (1,) * (n - len(sb)) + tuple(sb)
        # Output dim i holds (a's index i, b's index i) with b's varying fastest.
        g = grad.reshape([s for pair in zip(pa, pb) for s in pair])
        la = "".join(chr(97 + i) for i in range(n))
        lb = "".join(chr(65 + i) for i in range(n))
        lg = "".join(x + y for x, y in zip(la, lb))
        ga = einsum(f"{lg},{lb}->{la}", g, b.reshape(pb)).reshape(sa) if need_a else None
        gb = einsum(f"{lg},{la}->{lb}", g, a.reshape(pa)).reshape(sb) if need_b else None
        return ga, gb


class Trace(Primitive):
    save_inputs = False

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.shape = a.shape
        return array_module(a).asarray(a.trace(dtype=dtype.np))

    @staticmethod
    def backward(ctx, grad):
        from ember._factories import eye

        n, m = ctx.shape
        return grad * eye(n, m, dtype=grad._dtype, device=grad._device)


# -- errors ---------------------------------------------------------------------------------


def _shape_str(shape) -> str:
    return "x".join(str(s) for s in shape)


def _require_tensors(name: str, *args) -> None:
    for i, (arg_name, t) in enumerate(args):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{name}(): argument '{arg_name}' (position {i + 1}) must be Tensor, "
                f"not {type(t).__name__}"
            )


def _m1_m2_dtype_error(a: Tensor, b: Tensor):
    return RuntimeError(
        f"expected m1 and m2 to have the same dtype, but got: {_CPP_NAMES[a._dtype]} != "
        f"{_CPP_NAMES[b._dtype]}"
    )


def _scalar_type_error(a: Tensor, b: Tensor):
    return RuntimeError(
        f"expected scalar type {_TYPE_NAMES[a._dtype]} but found {_TYPE_NAMES[b._dtype]}"
    )


def _bool_error(name: str):
    return NotImplementedError(f'"{name}" not implemented for \'Bool\'')


def _dot_size_error(a: Tensor, b: Tensor):
    n, m = a.shape[0], b.shape[0]
    return RuntimeError(
        f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
        f"number of elements, but got {n} and {m} elements respectively"
    )


def _mv_size_error(rows: int, mat_shape, vec_shape):
    return RuntimeError(
        f"size mismatch, got input ({rows}), mat ({_shape_str(mat_shape)}), "
        f"vec ({_shape_str(vec_shape)})"
    )


def _mm_size_error(s1, s2):
    return RuntimeError(
        f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(s1)} and {_shape_str(s2)})"
    )


def _batch_size_error(batch: int, k: int, got):
    return RuntimeError(
        f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {k}] but "
        f"got: [{got[0]}, {got[1]}]."
    )


def _matmul_dtype_error(a: Tensor, b: Tensor):
    na, nb = a.ndim, b.ndim
    if a._dtype is b._dtype:
        return _bool_error("addmm_impl_cpu_")
    if na == 1 and nb == 1:
        return RuntimeError(
            "dot : expected both vectors to have same dtype, but found "
            f"{_TYPE_NAMES[a._dtype]} and {_TYPE_NAMES[b._dtype]}"
        )
    if nb == 1 and na >= 2:
        return RuntimeError(
            "addmv input tensors must have the same dtype, but got "
            f"{_TYPE_NAMES[b._dtype]}, {_TYPE_NAMES[a._dtype]}, and {_TYPE_NAMES[b._dtype]}"
        )
    if na >= 3 and nb >= 3:
        return _scalar_type_error(a, b)
    return _m1_m2_dtype_error(a, b)


def _matmul_shape_error(sa, sb, grad: bool):
    """PyTorch's message for operands that cannot be multiplied: it names the GEMM it tried,
    which for a matrix or vector times a batch depends on whether autograd is recording."""
    na, nb = len(sa), len(sb)
    if na == 0 or nb == 0:
        return RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D"
        )
    if na == 1 and nb == 1:
        n, m = sa[0], sb[0]
        return RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
            f"number of elements, but got {n} and {m} elements respectively"
        )
    if nb == 1:
        rows = math.prod(sa[:-1])
        return _mv_size_error(rows, (rows, sa[-1]), sb)
    if na == 1 and nb == 2:
        return _mm_size_error((1, sa[0]), sb)
    if nb == 2:
        return _mm_size_error((math.prod(sa[:-1]), sa[-1]), sb)
    if na <= 2 and not grad:
        batch = math.prod(sb[:-2])
        return _batch_size_error(batch, sa[-1], (batch, sb[-2]))
    if na == 1:
        rows = math.prod(sb[:-2]) * sb[-1]
        return _mv_size_error(rows, (rows, sb[-2]), sa)
    if na == 2:
        rows = math.prod(sb[:-2]) * sb[-1]
        return _mm_size_error((rows, sb[-2]), (sa[1], sa[0]))
    error = broadcast_error(sa[:-2], sb[:-2])
    if error is not None:
        return error
    n = max(len(sa), len(sb)) - 2
    pa = (1,) * (n - len(sa) + 2) + tuple(sa[:-2])
    pb = (1,) * (n - len(sb) + 2) + tuple(sb[:-2])
    batch = math.prod(max(x, y) for x, y in zip(pa, pb))
    return _batch_size_error(batch, sa[-1], (batch, sb[-2]))


def broadcast_error(sa, sb) -> RuntimeError | None:
    """PyTorch's error for batch shapes that do not broadcast (None when they do)."""
    n = max(len(sa), len(sb))
    pa = (1,) * (n - len(sa)) + tuple(sa)
    pb = (1,) * (n - len(sb)) + tuple(sb)
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            return RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {i}"
            )
    return None


# -- public functions -----------------------------------------------------------------------


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with PyTorch's rules for every rank.

    1-D @ 1-D is a dot product (0-dim result); a 1-D operand is otherwise treated as a row
    (left) or column (right) vector whose added dim is dropped from the result; operands of
    more than two dims are batches of matrices whose batch dims broadcast.  Both operands must
    have the same dtype (integers work; bool does not).

    >>> ember.matmul(ember.ones(5, 2, 3), ember.ones(3, 4)).shape
    ember.Size([5, 2, 4])
    """
    if not (isinstance(input, Tensor) and isinstance(other, Tensor)):
        _require_tensors("matmul", ("input", input), ("other", other))
    if input._dtype is not other._dtype or input._dtype is _bool:
        raise _matmul_dtype_error(input, other)
    if input._device is not other._device:
        check_same_device(input, other)
    na, nb = input._data.ndim, other._data.ndim
    if na == 2:
        cls = Mm if nb == 2 else Mv if nb == 1 else Matmul
    elif na == 1:
        cls = Dot if nb == 1 else Matmul
    elif na == 3 and nb == 3 and input._data.shape[0] == other._data.shape[0]:
        cls = Bmm
    else:
        cls = Matmul
    try:
        return cls.apply(input, other)
    except ValueError:
        grad = grad_mode.enabled and (input._requires_grad or other._requires_grad)
        raise _matmul_shape_error(input.shape, other.shape, grad) from None


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two matrices: (n, k) @ (k, m) -> (n, m)."""
    _require_tensors("mm", ("input", input), ("mat2", mat2))
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input._dtype is not mat2._dtype:
        raise _m1_m2_dtype_error(input, mat2)
    if input._dtype is _bool:
        raise _bool_error("addmm_impl_cpu_")
    if input._data.shape[1] != mat2._data.shape[0]:
        raise _mm_size_error(input.shape, mat2.shape)
    check_same_device(input, mat2)
    return Mm.apply(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product: (b, n, k) @ (b, k, m) -> (b, n, m), no broadcasting."""
    _require_tensors("bmm", ("input", input), ("mat2", mat2))
    if input._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if input._dtype is not mat2._dtype:
        raise _scalar_type_error(input, mat2)
    if input._dtype is _bool:
        raise _bool_error("bmm")
    sa, sb = input._data.shape, mat2._data.shape
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise _batch_size_error(sa[0], sa[2], sb)
    check_same_device(input, mat2)
    return Bmm.apply(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product: (n, k) @ (k,) -> (n,)."""
    _require_tensors("mv", ("input", input), ("vec", vec))
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}"
        )
    if input._dtype is not vec._dtype:
        raise _matmul_dtype_error(input, vec)
    if input._dtype is _bool:
        raise _bool_error("addmv_impl_cpu")
    if input._data.shape[1] != vec._data.shape[0]:
        raise _mv_size_error(input.shape[0], input.shape, vec.shape)
    check_same_device(input, vec)
    return Mv.apply(input, vec)


def _check_vectors(name: str, a: Tensor, b: Tensor) -> None:
    _require_tensors(name, ("input", a), ("tensor", b))
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D tensors"
        )
    if a._dtype is not b._dtype:
        raise RuntimeError(
            f"{name} : expected both vectors to have same dtype, but found "
            f"{_TYPE_NAMES[a._dtype]} and {_TYPE_NAMES[b._dtype]}"
        )
    if a._dtype is _bool:
        raise _bool_error(name)
    if a._data.shape[0] != b._data.shape[0]:
        raise _dot_size_error(a, b)
    check_same_device(a, b)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-D tensors of the same dtype (a 0-dim result)."""
    _check_vectors("dot", input, tensor)
    return Dot.apply(input, tensor)


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two 1-D tensors, conjugating the first (the same as ``dot`` for reals)."""
    _check_vectors("vdot", input, other)
    if input._dtype.is_complex:
        raise NotImplementedError("ember.vdot supports real tensors only")
    return Dot.apply(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors, (n,) x (m,) -> (n, m), promoting dtypes."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    a, b = operands(input, vec2)
    return Outer.apply(a, b)


ger = outer


def _add_product(cls, name, input, a, b, beta, alpha, out_shape):
    if input._dtype is not a._dtype:
        raise RuntimeError(
            f"self and mat2 must have the same dtype, but got {_TYPE_NAMES[input._dtype]} and "
            f"{_TYPE_NAMES[b._dtype]}"
        )
    if a._dtype is _bool:
        raise _bool_error(name)
    if beta == 0 and tuple(input.shape) != out_shape:
        input.expand(out_shape)  # the input is ignored, but its shape must still broadcast
    try:
        return cls.apply(input, a, b, beta=beta, alpha=alpha)
    except ValueError:
        input.expand(out_shape)  # raises PyTorch's broadcast message
        raise


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to (n, m).

    With ``beta=0`` the input is ignored, so NaN or inf in it do not propagate.
    """
    _require_tensors("addmm", ("input", input), ("mat1", mat1), ("mat2", mat2))
    for name, t in (("mat1", mat1), ("mat2", mat2)):
        if t._data.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {t._data.ndim}-D tensor")
    if mat1._dtype is not mat2._dtype:
        raise _m1_m2_dtype_error(mat1, mat2)
    if mat1._data.shape[1] != mat2._data.shape[0]:
        raise _mm_size_error(mat1.shape, mat2.shape)
    out_shape = (mat1._data.shape[0], mat2._data.shape[1])
    return _add_product(Addmm, "addmm_impl_cpu_", input, mat1, mat2, beta, alpha, out_shape)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``; ``input`` broadcasts to (n,)."""
    _require_tensors("addmv", ("input", input), ("mat", mat), ("vec", vec))
    if mat._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got {input._data.ndim}, {mat._data.ndim}, "
            f"{vec._data.ndim}"
        )
    if mat._dtype is not vec._dtype:
        raise _matmul_dtype_error(mat, vec)
    if mat._data.shape[1] != vec._data.shape[0]:
        raise _mv_size_error(mat.shape[0], mat.shape, vec.shape)
    return _add_product(Addmv, "addmv_impl_cpu", input, mat, vec, beta, alpha, (mat.shape[0],))


def _check_batches(name: str, input, b1, b2) -> None:
    _require_tensors(name, ("input", input), ("batch1", b1), ("batch2", b2))
    if b1._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b1._dtype is not b2._dtype:
        raise _scalar_type_error(b1, b2)
    sa, sb = b1._data.shape, b2._data.shape
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise _batch_size_error(sa[0], sa[2], sb)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``; ``input`` broadcasts to (b, n, m)."""
    _check_batches("baddbmm", input, batch1, batch2)
    out_shape = (batch1.shape[0], batch1.shape[1], batch2.shape[2])
    return _add_product(Baddbmm, "baddbmm", input, batch1, batch2, beta, alpha, out_shape)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * sum_i batch1[i] @ batch2[i]``; ``input`` broadcasts to (n, m)."""
    _check_batches("addbmm", input, batch1, batch2)
    out_shape = (batch1.shape[1], batch2.shape[2])
    return _add_product(Addbmm, "addbmm", input, batch1, batch2, beta, alpha, out_shape)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product; the operand with fewer dims gets leading ones, dtypes promote."""
    a, b = operands(input, other)
    return Kron.apply(a, b)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix (integers sum as int64)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    dt = input._dtype
    if dt is _bool:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    if not (dt.is_floating_point or dt.is_complex):
        dt = _int64
    return Trace.apply(input, dtype=dt)


class LinalgCross(Primitive):
    @staticmethod
    def saved_mask(needs):
        return (needs[1], needs[0])

    @staticmethod
    def forward(ctx, a, b, dim):
        xp = array_module(a)
        ctx.params = (a.shape, b.shape, dim)
        out = xp.cross(a, b, axis=dim)
        if not out.size:
            return _empty_strided(xp, out.shape, contiguous_strides(out.shape), out.dtype)
        # NumPy moves the result's vector dim back into place as a view; ours is row-major.
        return out if out.flags.c_contiguous else xp.ascontiguousarray(out)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        sa, sb, dim = ctx.params
        ga = sum_to_shape(LinalgCross.apply(b, grad, dim=dim), sa) if need_a else None
        gb = sum_to_shape(LinalgCross.apply(grad, a, dim=dim), sb) if need_b else None
        return ga, gb


def _cross(name: str, input: Tensor, other: Tensor, dim: int) -> Tensor:
    _require_tensors(name, ("input", input), ("other", other))
    if input.ndim != other.ndim:
        raise RuntimeError(f"{name}: inputs must have the same number of dimensions.")
    if input._dtype is not other._dtype:
        raise _scalar_type_error(input, other)
    nd = input.ndim
    if not -nd <= dim < nd:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})"
        )
    n, m = input.shape[dim], other.shape[dim]
    if n != 3 or m != 3:
        raise RuntimeError(
            f"{name}: inputs dimension {dim} must have length 3. Got {n} and {m}"
        )
    error = broadcast_error(input.shape, other.shape)
    if error is not None:
        raise error
    check_same_device(input, other)
    return LinalgCross.apply(input, other, dim=dim % nd)


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (size 3 in both); other dims broadcast."""
    return _cross("linalg.cross", input, other, dim)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """``torch.cross``: ``linalg.cross``, except that ``dim=None`` picks the first dim of size 3
    (PyTorch's deprecated default) instead of the last."""
    if dim is None:
        sizes = list(input.shape) if isinstance(input, Tensor) else []
        if 3 not in sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes.index(3)
    return _cross("linalg.cross", input, other, dim)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Dot products over the last dim: the result holds ``input``'s other dims, then ``other``'s.

    A 0-dim operand multiplies the other elementwise.
    """
    _require_tensors("inner", ("input", input), ("other", other))
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            "inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    if input._dtype is not other._dtype:
        raise RuntimeError("both inputs should have same dtype")
    if other.ndim == 1:
        return matmul(input, other)
    k = other.shape[-1]
    out = matmul(input, other.reshape(-1, k).mT)
    return out.reshape(tuple(input.shape[:-1]) + tuple(other.shape[:-1]))


def chain_matmul(*matrices) -> Tensor:
    """``torch.chain_matmul`` (deprecated): the product of two or more matrices."""
    from ember.ops.linalg_functions import multi_dot

    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. "
        "Use torch.linalg.multi_dot instead.",
        UserWarning,
        stacklevel=2,
    )
    for t in matrices:
        if t.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {t.ndim}, expected 2 instead.")
    return matrices[0].clone() if len(matrices) == 1 else multi_dot(matrices)


def _matmul_operator(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


def _rmatmul_operator(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


def _inplace(op):
    def method(self, *args, **kwargs):
        return write_inplace(self, op(self, *args, **kwargs))

    method.__name__ = op.__name__ + "_"
    method.__doc__ = f"In-place ``{op.__name__}``: the result is written into ``self``."
    return method


Tensor.__matmul__ = _matmul_operator
Tensor.__rmatmul__ = _rmatmul_operator
Tensor.matmul = matmul
Tensor.mm = mm
Tensor.bmm = bmm
Tensor.mv = mv
Tensor.dot = dot
Tensor.vdot = vdot
Tensor.outer = outer
Tensor.ger = outer
Tensor.addmm = addmm
Tensor.addmv = addmv
Tensor.baddbmm = baddbmm
Tensor.addbmm = addbmm
Tensor.addmm_ = _inplace(addmm)
Tensor.addmv_ = _inplace(addmv)
Tensor.baddbmm_ = _inplace(baddbmm)
Tensor.addbmm_ = _inplace(addbmm)
Tensor.kron = kron
Tensor.trace = trace
Tensor.inner = inner
Tensor.cross = cross
