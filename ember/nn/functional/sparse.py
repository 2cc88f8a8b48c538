"""Lookups: ``embedding``, ``embedding_bag`` and ``one_hot``."""

from __future__ import annotations

from ember import _dtype
from ember._tensor import Tensor, _wrap
from ember.autograd import grad_mode
from ember.backend import array_module
from ember.ops import nn_ops


def _check_indices(input: Tensor, name: str = "embedding") -> None:
    if input._dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.type()} instead (while checking arguments for "
            f"{name})"
        )


def _padding_idx(padding_idx, num: int):
    if padding_idx is None:
        return None
    if padding_idx > 0:
        if padding_idx >= num:
            raise AssertionError("Padding_idx must be within num_embeddings")
    elif padding_idx < 0:
        if padding_idx < -num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = num + padding_idx
    return padding_idx


def _renorm_(weight: Tensor, indices, max_norm: float, norm_type: float) -> None:
    """Scale, in place, each row of ``weight`` at ``indices`` whose norm exceeds ``max_norm``."""
    xp = array_module(indices)
    rows = xp.unique(indices.reshape(-1))
    w = weight._data
    sub = w[rows]
    if norm_type == float("inf"):
        norms = xp.abs(sub).max(axis=1)
    else:
        norms = (xp.abs(sub) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
        w[rows[over]] = sub[over] * scale[:, None]
        weight._bump_version()


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """The rows of ``weight`` at the integer ``input``: output ``(*input.shape, dim)``.
    ``padding_idx``'s row gets no gradient; ``max_norm`` renormalises the looked-up rows of
    ``weight`` in place first."""
    _check_indices(input)
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    num = weight.shape[0]
    idx = input._data
    if idx.size and (idx.min() < -num or idx.max() >= num):
        raise IndexError("index out of range in self")
    if idx.size and idx.min() < 0:
        raise IndexError("index out of range in self")
    padding_idx = _padding_idx(padding_idx, num)
    if max_norm is not None:
        with grad_mode.no_grad():
            _renorm_(weight, idx, max_norm, norm_type)
    return nn_ops.Embedding.apply(
        weight, indices=idx, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq
    )


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxima of bags of embeddings: ``input`` 2-D ``(B, L)`` (one bag per
    row), or 1-D with ``offsets`` giving where each bag starts.  Output ``(B, dim)``."""
    from ember.ops.index import index_add, scatter_reduce

    _check_indices(input, "embedding_bag")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                "on GitHub."
            )
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(
                f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is "
                f"not None, then it must have the same shape as the input "
                f"({tuple(input.shape)})"
            )
    xp = array_module(input._data)
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated "
                "is a mini-batch of fixed length sequences. However, found offsets "
                f"of type {type(offsets)}"
            )
        b, length = input.shape
        bag = xp.repeat(xp.arange(b), length)
        flat = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = offsets._data
        if include_last_offset:
            starts = starts[:-1]
        b = starts.shape[0]
        n = input.shape[0]
        if b and (starts[0] != 0):
            raise RuntimeError(
                f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to "
                f"start from position 0. However, got {int(starts[0])}"
            )
        bag = xp.searchsorted(starts, xp.arange(n), side="right") - 1
        flat = input
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}"
        )
    num = weight.shape[0]
    padding_idx = _padding_idx(padding_idx, num)
    idx = flat._data
    keep = None if padding_idx is None else idx != padding_idx
    if keep is not None:
        bag = bag[keep]
        idx = idx[keep]
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights[_wrap(keep, _dtype.bool, input.device)]
    rows = embedding(
        _wrap(xp.ascontiguousarray(idx), flat._dtype, flat.device),
        weight,
        None,
        max_norm,
        norm_type,
        scale_grad_by_freq,
    )
    dim = weight.shape[1]
    bag_t = _wrap(bag.astype(xp.int64), _dtype.int64, input.device)
    zeros = weight.new_zeros((b, dim))
    if mode == "max":
        index = bag_t.unsqueeze(1).expand(bag.shape[0], dim)
        return scatter_reduce(zeros, 0, index, rows, "amax", include_self=False)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(1)
    out = index_add(zeros, 0, bag_t, rows)
    if mode == "mean":
        counts = xp.bincount(bag, minlength=b).astype(weight._data.dtype)
        counts = xp.maximum(counts, 1)
        out = out / _wrap(counts[:, None], weight._dtype, weight.device)
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class labels as one-hot int64 vectors in a new last dim."""
    if tensor._dtype is not _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = array_module(tensor._data)
    a = tensor._data
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if a.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if a.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (a[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return _wrap(out, _dtype.int64, tensor.device)
