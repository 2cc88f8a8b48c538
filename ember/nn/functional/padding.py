"""``F.pad``: constant, reflect, replicate and circular padding of the last dims."""

from __future__ import annotations

from ember import _dtype
from ember._tensor import Tensor, _wrap
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops.index import index_select


def _slices(shape, pads):
    """Source and destination slices of a constant pad whose pads may be negative (crop)."""
    src, dst = [], []
    for n, (lo, hi) in zip(shape, pads):
        src.append(slice(max(-lo, 0), n - max(-hi, 0)))
        dst.append(slice(max(lo, 0), max(lo, 0) + n - max(-lo, 0) - max(-hi, 0)))
    return (Ellipsis,) + tuple(src), (Ellipsis,) + tuple(dst)


class ConstantPadNd(Primitive):
    """Constant padding; the adjoint of padding by ``pads`` is padding by ``-pads`` with 0."""

    __slots__ = ()
    save_inputs = False

    @staticmethod
    def forward(ctx, x, *, pads, value):
        xp = array_module(x)
        k = len(pads)
        lead = x.shape[: x.ndim - k]
        shape = lead + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[x.ndim - k:], pads))
        out = xp.full(shape, value, dtype=x.dtype)
        src, dst = _slices(x.shape[x.ndim - k:], pads)
        if all(s.stop > s.start for s in src[1:]):
            out[dst] = x[src]
        ctx._pads = pads
        return out

    @staticmethod
    def backward(ctx, g):
        return (ConstantPadNd.apply(g, pads=tuple((-lo, -hi) for lo, hi in ctx._pads), value=0),)


def _index(xp, n, lo, hi, mode):
    i = xp.arange(-lo, n + hi)
    if mode == "reflect":
        i = xp.abs(i)
        i = (n - 1) - xp.abs((n - 1) - i)
    elif mode == "replicate":
        i = xp.clip(i, 0, n - 1)
    else:
        i = i % n
    return i


_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims of ``input``.

    ``pad`` lists ``(left, right)`` pairs starting from the last dim, as in torch:
    ``(1, 1, 2, 0)`` pads the last dim by 1 on each side and the one before by 2 at the top.
    Negative values crop.  Modes: ``constant`` (with ``value``, default 0), ``reflect``,
    ``replicate``, ``circular``.
    """
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension "
                           f"but got padding length {len(pad)} and input of dimension {input.dim()}")
    pads = tuple((int(pad[2 * i]), int(pad[2 * i + 1])) for i in reversed(range(k)))
    if mode == "constant":
        shape = input.shape[input.dim() - k:]
        for n, (lo, hi) in zip(shape, pads):
            if n + lo + hi < 0:
                raise RuntimeError(
                    f"The input size {n}, plus negative padding {lo} and {hi} resulted in a negative "
                    f"output size, which is invalid. Check dimension of your input."
                )
        return ConstantPadNd.apply(input, pads=pads, value=0 if value is None else value)
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    dim = input.dim()
    if not (k + 1 <= dim <= k + 2) or k > 3:
        raise NotImplementedError(
            f"Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now"
        )
    xp = array_module(input._data)
    out = input
    for j, (lo, hi) in enumerate(pads):
        d = dim - k + j
        n = input.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension, "
                f"but got: padding ({lo}, {hi}) at dimension {d} of input {list(input.shape)}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if lo == 0 and hi == 0:
            continue
        idx = _wrap(_index(xp, n, lo, hi, mode).astype("int64"), _dtype.int64, input._device)
        out = index_select(out, d, idx)
    return out
