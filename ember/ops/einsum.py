"""Einstein summation: ``einsum`` (equations with ``...``, implicit output, broadcasting) and
``tensordot``, which is one einsum.

An equation is parsed once into explicit labels (``...`` becomes fresh letters), then the
forward is a single ``xp.einsum`` (``optimize`` for two or more operands, so pairs go to BLAS
through tensordot).  The gradient of each operand is another einsum over the same labels: the
output's gradient contracted with the other operands.  Labels repeated within an operand (a
diagonal) get identity matrices in that einsum; labels summed away inside one operand alone
are restored by broadcasting.
"""

from __future__ import annotations

import functools
import string

from ember import _dtype
from ember._tensor import Tensor, _wrap_dim, contiguous_strides
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops._util import _TYPE_NAMES

_LETTERS = string.ascii_uppercase + string.ascii_lowercase


def _error(msg: str) -> RuntimeError:
    return RuntimeError(f"einsum(): {msg}")


@functools.lru_cache(maxsize=512)
def _parse(equation: str, shapes: tuple) -> tuple:
    """(terms, output, sizes): the equation with explicit labels, each label's size."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise _error("fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise _error("more operands were provided than specified in the equation")
    used = {c for c in eq if c in _LETTERS}
    ell_dims = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        body = term.replace("...", "", 1)
        for c in body:
            if c == ".":
                raise _error(f"found '.' for operand {i} that is not part of any ellipsis")
            if c not in _LETTERS:
                raise _error(f"invalid subscript given at index {lhs.index(c)} in the equation "
                             "string, subscripts must be in [a-zA-Z]")
        if "..." in term:
            if len(body) > len(shape):
                raise _error(
                    f"the number of subscripts in the equation ({len(body)}) is more than the "
                    f"number of dimensions ({len(shape)}) for operand {i}"
                )
            ell_dims.append(len(shape) - len(body))
        else:
            if len(body) != len(shape):
                raise _error(
                    f"the number of subscripts in the equation ({len(body)}) does not match "
                    f"the number of dimensions ({len(shape)}) for operand {i} and no ellipsis "
                    "was given"
                )
            ell_dims.append(0)
    n_ell = max(ell_dims, default=0)
    fresh = "".join(c for c in _LETTERS if c not in used)[:n_ell]
    terms = [t.replace("...", fresh[n_ell - e:], 1) for t, e in zip(terms, ell_dims)]
    sizes = {}
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        for c, s in zip(term, shape):
            seen = sizes.get(c)
            if seen is None or seen == 1:
                sizes[c] = s
            elif s != seen and s != 1:
                raise _error(
                    f"subscript {c} has size {s} for operand {i} which does not broadcast with "
                    f"previously seen size {seen}"
                )
    if arrow:
        out = rhs.replace("...", fresh, 1)
        for c in out:
            if c not in _LETTERS:
                raise _error(f"invalid subscript {c} in the output")
            if out.count(c) > 1:
                raise _error(f"output subscript {c} appears more than once in the output")
            if c not in sizes:
                raise _error(
                    f"output subscript {c} does not appear in the equation for any input operand"
                )
    else:
        counts = {}
        for term in terms:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        out = fresh + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in fresh))
    return tuple(terms), out, sizes


def _run(equation: str, arrays) -> object:
    xp = array_module(arrays[0])
    dt = arrays[0].dtype
    low = dt.itemsize == 2 and dt.kind in "fV"
    if low:
        arrays = [a.astype("float32") for a in arrays]
    out = xp.asarray(xp.einsum(equation, *arrays, optimize=len(arrays) > 1))
    if low:
        out = out.astype(dt)
    # The contraction path may leave the result transposed, and a pure relabelling comes
    # back as a view of the input: ours is a row-major array of its own.
    if not out.flags.c_contiguous or any(xp.may_share_memory(out, a) for a in arrays):
        return out.copy()
    # NumPy calls an array with odd strides on its size-1 dims contiguous; PyTorch's strides
    # there are the row-major ones, which a copy gives.
    if 1 in out.shape and out.ndim > 1:
        item = out.itemsize
        if tuple(st // item for st in out.strides) != contiguous_strides(out.shape):
            return out.copy()
    return out


class Einsum(Primitive):
    @staticmethod
    def saved_mask(needs):
        n = sum(needs)
        return tuple(n > need for need in needs)  # operand k serves the others' gradients

    @staticmethod
    def forward(ctx, *arrays, terms, out):
        ctx.labels = (terms, out, tuple(a.shape for a in arrays))
        return _run(f"{','.join(terms)}->{out}", arrays)

    @staticmethod
    def backward(ctx, grad):
        terms, out, shapes = ctx.labels
        inputs = ctx.saved_tensors
        sizes = {}
        for term, shape in zip(terms, shapes):
            for c, s in zip(term, shape):
                if sizes.get(c, 1) == 1:
                    sizes[c] = s
        free = [c for c in _LETTERS if c not in sizes]
        return tuple(
            _operand_grad(grad, inputs, terms, out, sizes, i, shapes[i], free) if need else None
            for i, need in enumerate(ctx.needs_input_grad)
        )


def _operand_grad(grad, inputs, terms, out, sizes, i, shape, free):
    """The gradient of operand ``i``: one einsum of ``grad`` with the other operands."""
    from ember._factories import eye

    others = [k for k in range(len(terms)) if k != i]
    in_terms = [out] + [terms[k] for k in others]
    operands = [grad] + [inputs[k] for k in others]
    available = set("".join(in_terms))
    term = terms[i]
    target, keep = [], []
    seen = set()
    fresh = iter(free)
    for p, c in enumerate(term):
        if shape[p] == 1 and sizes[c] != 1:
            continue  # broadcast inside the op: the einsum sums it, we restore the 1
        if c in seen:
            f = next(fresh)
            in_terms.append(c + f)
            operands.append(eye(shape[p], dtype=grad._dtype, device=grad._device))
            target.append(f)
            keep.append(p)
            continue
        seen.add(c)
        if c in available or term.count(c) > 1:
            target.append(c)
            keep.append(p)
    g = Einsum.apply(*operands, terms=tuple(in_terms), out="".join(target))
    if len(keep) != len(shape):
        got = dict(zip(keep, g.shape))
        g = g.reshape([got.get(p, 1) for p in range(len(shape))])
    if tuple(g.shape) != shape:
        g = g.expand(shape)  # labels this operand alone carried, or broadcast by the others
    return g


def _sublist_equation(args) -> tuple[str, list]:
    """``einsum(op1, [0, 1], op2, [1, 2], [0, 2])`` as an equation and its operands."""

    def labels(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)

    ops, subs = list(args[0::2]), list(args[1::2])
    out = None
    if len(args) % 2:  # an odd count ends with the output's sublist
        out = ops.pop()
    eq = ",".join(labels(s) for s in subs)
    return (eq if out is None else f"{eq}->{labels(out)}"), ops


def einsum(*args) -> Tensor:
    """Sum of products over the labels of an Einstein-notation equation.

    ``einsum("ij,jk->ik", a, b)`` is ``a @ b``; ``...`` stands for broadcast batch dims;
    without ``->`` the output holds the labels that appear once, in alphabetical order.  The
    operands may also be given as one list, or in the sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.

    >>> ember.einsum("bij,bjk->bik", ember.ones(2, 3, 4), ember.ones(2, 4, 5)).shape
    ember.Size([2, 3, 5])
    """
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand")
    if isinstance(args[0], str):
        equation, ops = args[0], list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], list | tuple):
            ops = list(ops[0])
    else:
        equation, ops = _sublist_equation(args)
    if not ops:
        raise _error("must provide at least one operand")
    for t in ops:
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): expected Tensor operands, got {type(t).__name__}")
    dt = ops[0]._dtype
    for t in ops[1:]:
        if t._dtype is not dt:
            raise RuntimeError(
                f"expected scalar type {_TYPE_NAMES[dt]} but found {_TYPE_NAMES[t._dtype]}"
            )
    if dt is _dtype.bool and len(ops) > 1:
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    terms, out, _ = _parse(equation, tuple(tuple(t._data.shape) for t in ops))
    return Einsum.apply(*ops, terms=terms, out=out)


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Contract ``a``'s dims ``dims[0]`` with ``b``'s dims ``dims[1]`` (or ``a``'s last
    ``dims`` with ``b``'s first ``dims``); the result holds ``a``'s free dims, then ``b``'s."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(
                f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}"
            )
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    else:
        dims_a, dims_b = dims
        for d in (dims_a, dims_b):
            if not isinstance(d, list | tuple):
                raise TypeError(
                    "tensordot(): argument 'dims_self' (position 3) must be tuple of ints, "
                    f"not {type(d).__name__}"
                )
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._dtype is not b._dtype:
        raise RuntimeError("both inputs should have same dtype")
    if a._dtype is _dtype.bool:
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    la = list(_LETTERS[: a.ndim])
    lb = list(_LETTERS[a.ndim : a.ndim + b.ndim])
    for da, db in zip(dims_a, dims_b):
        ia, ib = _wrap_dim(da, a.ndim), _wrap_dim(db, b.ndim)
        if a.shape[ia] != b.shape[ib]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[ia]} in "
                f"dim {da} and second has size {b.shape[ib]} in dim {db}"
            )
        lb[ib] = la[ia]
    contracted = set(lb) & set(la)
    out_labels = "".join(c for c in la if c not in contracted) + "".join(
        c for c in lb if c not in contracted
    )
    return Einsum.apply(a, b, terms=("".join(la), "".join(lb)), out=out_labels)
