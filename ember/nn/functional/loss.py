"""Loss functions of ``ember.nn.functional``.

Cross-entropy and NLL over class indices run as fused primitives (``ember.ops.nn_ops``);
the others are short compositions of differentiable ops.  ``reduction`` is 'none', 'mean'
or 'sum' everywhere (``kl_div`` also takes 'batchmean').
"""

from __future__ import annotations

import math
import warnings

from ember._tensor import Tensor
from ember.autograd import grad_mode
from ember.ops import nn_ops
from ember.ops.elementwise import clamp, where
from ember.ops.softmax import log_softmax

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_sizes(input: Tensor, target: Tensor) -> None:
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def _class_dim_input(input: Tensor, target: Tensor, name: str):
    """``input`` with a batch dim, and whether one was added (unbatched ``(C,)`` input)."""
    if input.dim() == 0:
        raise ValueError("Expected input batch_size to be at least 1 dimension")
    if input.dim() == 1:
        if target.dim() != 0:
            raise RuntimeError(
                f"{name}: expected target to be 0-D for 1-D input, got {target.dim()}-D"
            )
        return input.unsqueeze(0), target.reshape(1), True
    if target.dim() == 0 or input.shape[0] != target.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0] if target.dim() else 0})."
        )
    if tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(
            f"size mismatch (got input: {list(input.shape)}, target: {list(target.shape)})"
        )
    return input, target, False


def _weight_array(weight, n_classes: int):
    if weight is None:
        return None
    if weight.dim() != 1 or weight.shape[0] != n_classes:
        raise RuntimeError(
            f"weight tensor should be defined either for all {n_classes} classes or no classes "
            f"but got weight tensor of shape: {list(weight.shape)}"
        )
    return weight._data


def _index_reduce(loss, target_arr, weight_arr, ignore_index, reduction, squeeze):
    if reduction == "none":
        return loss.reshape(()) if squeeze else loss
    if reduction == "sum":
        return loss.sum()
    _check_reduction(reduction)
    valid = target_arr != ignore_index
    if weight_arr is None:
        denom = float(valid.sum())
    else:
        from ember.backend import array_module

        xp = array_module(weight_arr)
        denom = float((weight_arr[xp.where(valid, target_arr, 0)] * valid).sum())
    if denom == 0:  # every target ignored: NaN, with the zero gradient PyTorch gives
        return loss.sum() + float("nan")
    return loss.sum() / denom


def _not_differentiable(t, fn: str, arg: str) -> None:
    """torch's fused kernels take no gradient for ``weight``-like arguments and refuse one
    that requires it."""
    if t is not None and t.requires_grad and grad_mode.enabled:
        raise RuntimeError(
            f"The function '{fn}' is not differentiable with respect to argument '{arg}'. "
            "This input cannot have requires_grad True."
        )


_SCALAR_NAMES = {"int8": "Char", "int16": "Short", "int32": "Int", "bool": "Bool"}


def _check_target(target: Tensor) -> None:
    name = str(target._dtype).split(".")[-1]
    if target._dtype.is_floating_point or target._dtype.is_complex:
        raise RuntimeError(f"expected scalar type Long but found {name.title()}")
    if name not in ("int64", "uint8"):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {_SCALAR_NAMES.get(name, name)}"
        )


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (class dim 1) at ``target``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_target(target)
    _not_differentiable(weight, "nll_loss_forward", "weight")
    input, target, squeeze = _class_dim_input(input, target, "nll_loss")
    w = _weight_array(weight, input.shape[1])
    loss = nn_ops.NllLoss.apply(input, target=target._data, weight=w, ignore_index=ignore_index)
    return _index_reduce(loss, target._data, w, ignore_index, reduction, squeeze)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between logits ``input`` (class dim 1: ``(N, C)``, ``(N, C, d1, ...)``
    or ``(C,)``) and ``target``: class indices, or class probabilities of ``input``'s
    shape.  ``label_smoothing`` mixes the target with the uniform distribution."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    # torch accepts a negative value and treats it as no smoothing
    label_smoothing = max(label_smoothing, 0.0)
    if target._dtype.is_floating_point:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    _check_target(target)
    _not_differentiable(weight, "nll_loss_forward", "weight")
    input, target, squeeze = _class_dim_input(input, target, "cross_entropy")
    w = _weight_array(weight, input.shape[1])
    loss = nn_ops.CrossEntropyLoss.apply(
        input, target=target._data, weight=w, ignore_index=ignore_index, smoothing=label_smoothing
    )
    return _index_reduce(loss, target._data, w, ignore_index, reduction, squeeze)


def _cross_entropy_probs(input, target, weight, reduction, smoothing):
    if tuple(input.shape) != tuple(target.shape):
        raise RuntimeError(
            "Expected floating point type target with same shape as input, got target shape "
            f"{list(target.shape)} and input shape {list(input.shape)}"
        )
    dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[dim]
    if smoothing:
        target = target * (1 - smoothing) + smoothing / n_classes
    logp = log_softmax(input, dim)
    prod = logp * target
    if weight is not None:
        _weight_array(weight, n_classes)
        prod = prod * weight.reshape((-1,) + (1,) * (input.dim() - dim - 1))
    loss = -prod.sum(dim)
    if reduction == "mean":
        n = input.numel() // n_classes if n_classes else 0
        return loss.sum() / n if input.dim() > 1 else loss
    return _reduce(loss, reduction)


def _float_kernel(input, target, kernel):
    """torch's kernels for these losses exist only for floating types."""
    for t in (input, target):
        if isinstance(t, Tensor) and not (t._dtype.is_floating_point or t._dtype.is_complex):
            name = str(t._dtype).split(".")[-1]
            name = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                    "uint8": "Byte", "bool": "Bool"}.get(name, name)
            raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_sizes(input, target)
    _float_kernel(input, target, "mse_cpu")
    d = input - target
    loss = d * d
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_sizes(input, target)
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def smooth_l1_loss(
    input, target, size_average=None, reduce=None, reduction="mean", beta: float = 1.0
):
    """Squared error below ``beta`` (scaled by ``0.5 / beta``), absolute error above."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _check_sizes(input, target)
    _float_kernel(input, target, "smooth_l1_cpu")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    loss = where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta: float = 1.0, weight=None):
    """Squared error below ``delta``, ``delta``-scaled absolute error above."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _check_sizes(input, target)
    _float_kernel(input, target, "huber_cpu")
    d = (input - target).abs()
    loss = where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """``-(t log x + (1 - t) log(1 - x))``, the logs clamped at -100 as in PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    data = input._data
    if data.size and ((data < 0).any() or (data > 1).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    _not_differentiable(weight, "binary_cross_entropy", "weight")
    loss = nn_ops.BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    """Sigmoid and binary cross-entropy in one stable expression; ``pos_weight`` scales the
    positive term per class."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    _not_differentiable(weight, "binary_cross_entropy_with_logits", "weight")
    _not_differentiable(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    # log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|))
    softplus_neg = clamp(-input, min=0) + (-input.abs()).exp().log1p()
    if pos_weight is None:
        loss = (1 - target) * input + softplus_neg
    else:
        lw = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + lw * softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(
    input, target, size_average=None, reduce=None, reduction="mean", log_target: bool = False
):
    """``target * (log(target) - input)`` (``input`` holds log-probabilities)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not (input._dtype.is_floating_point or input._dtype.is_complex) or not (
        target._dtype.is_floating_point or target._dtype.is_complex
    ):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        from ember.ops.elementwise import mul

        logt = where(target > 0, target, target * 0 + 1).log()
        loss = mul(target, logt) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() else loss.sum()
    return _reduce(loss, reduction)


def poisson_nll_loss(
    input,
    target,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction="mean",
):
    """Negative log-likelihood of a Poisson distribution with rate ``input``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        safe = where(target > 1, target, target * 0 + 1)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + where(target > 1, stirling, stirling * 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6, reduction="mean"):
    """Negative log-likelihood of a Gaussian with mean ``input`` and variance ``var``."""
    if isinstance(var, (int, float)):
        var = input.new_full((), float(var))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1:
            pass
        elif var.dim() == 0:
            pass
        else:
            raise ValueError("var is of incorrect size")
    _check_reduction(reduction)
    if (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    with grad_mode.no_grad():
        floor = clamp(var.detach(), min=eps) - var.detach()
    var = var + floor  # clamped, with the gradient of the unclamped variance
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def margin_ranking_loss(
    input1, input2, target, margin: float = 0.0, size_average=None, reduce=None, reduction="mean"
):
    """``max(0, -target * (input1 - input2) + margin)``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    loss = clamp(-target * (input1 - input2) + margin, min=0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(
    input, target, margin: float = 1.0, size_average=None, reduce=None, reduction="mean"
):
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where ``target == -1``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    zeros = input * 0
    margin_part = where(target != 1, clamp(margin - input, min=0), zeros)
    self_part = where(target != -1, input, zeros)
    return _reduce(margin_part + self_part, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-target * input))``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not input._dtype.is_floating_point and not target._dtype.is_floating_point:
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type "
            f"{_SCALAR_NAMES.get(str(input._dtype).split('.')[-1], 'Long')}"
        )
    z = -target * input
    loss = clamp(z, min=0) + (-z.abs()).exp().log1p()
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """One-vs-all logistic loss averaged over classes."""
    from ember.nn.functional.activation import logsigmoid

    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) / input.shape[-1]
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Hinge loss between every target class (listed in ``target`` up to the first -1) and
    every other class, averaged over classes."""
    from ember._tensor import _wrap
    from ember.backend import array_module

    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(input.shape) != tuple(target.shape) or input.dim() > 2:
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    squeeze = input.dim() < 2
    x = input.reshape(1, -1) if squeeze else input
    t = target._data.reshape(x.shape)
    xp = array_module(t)
    n, c = x.shape
    listed = xp.cumprod(t != -1, axis=1).astype(bool)  # entries before the first -1
    safe = xp.where(listed, t, 0)
    is_target = xp.zeros((n, c), bool)
    rows = xp.broadcast_to(xp.arange(n)[:, None], (n, c))
    is_target[rows[listed], safe[listed]] = True
    pair_mask = listed[:, :, None] & ~is_target[:, None, :]
    picked = x.gather(1, _wrap(safe.astype(xp.int64), _int64(), x.device))
    margins = clamp(1 - picked.unsqueeze(2) + x.unsqueeze(1), min=0)
    mask = _wrap(pair_mask.astype(x._dtype.np), x._dtype, x.device)
    loss = (margins * mask).sum((1, 2)) / c
    if squeeze:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def _int64():
    from ember import _dtype

    return _dtype.int64


def multi_margin_loss(
    input,
    target,
    p: int = 1,
    margin: float = 1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """Multi-class hinge loss: ``sum_k max(0, margin - x[y] + x[k])^p / C`` over ``k != y``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    _not_differentiable(weight, "multi_margin_loss", "weight")
    squeeze = input.dim() < 2
    x = input.reshape(1, -1) if squeeze else input
    t = target.reshape(-1, 1)
    c = x.shape[1]
    picked = x.gather(1, t)
    h = clamp(margin - picked + x, min=0)
    if p == 2:
        h = h * h
    if weight is not None:
        h = h * weight[t]
    own = x.new_zeros(x.shape).scatter_(1, t, 1.0)
    loss = (h * (1 - own)).sum(1) / c
    if squeeze:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def cosine_embedding_loss(
    input1, input2, target, margin: float = 0.0, size_average=None, reduce=None, reduction="mean"
):
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos - margin)`` where -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    eps = 1e-12
    dim = input1.dim() - 1
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod / (mag1 * mag2).sqrt()
    zeros = cos * 0
    pos = where(target == 1, 1 - cos, zeros)
    neg = where(target == -1, clamp(cos - margin, min=0), zeros)
    return _reduce(pos + neg, reduction)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the p-norm pairwise distance."""
    from ember.nn.functional.distance import pairwise_distance

    reduction = _legacy_reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(
            f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead"
        )
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        from ember.ops.elementwise import minimum

        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(clamp(d_pos - d_neg + margin, min=0), reduction)


def triplet_margin_with_distance_loss(
    anchor,
    positive,
    negative,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction="mean",
):
    """Triplet loss with any distance function (pairwise L2 by default)."""
    from ember.nn.functional.distance import pairwise_distance

    dist = pairwise_distance if distance_function is None else distance_function
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        from ember.ops.elementwise import minimum

        d_neg = minimum(d_neg, dist(positive, negative))
    return _reduce(clamp(d_pos - d_neg + margin, min=0), reduction)


def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
):
    """Connectionist temporal classification loss of ``log_probs`` ``(T, N, C)`` (or
    ``(T, C)``) against ``targets`` (padded ``(N, S)`` or concatenated 1-D).

    One primitive computes the per-sample negative log-likelihoods (alpha recursion over time,
    vectorised over batch and labels); 'mean' divides each by its target length, then
    averages over the batch.
    """
    from ember._factories import tensor as make_tensor
    from ember.backend import array_module

    _check_reduction(reduction)
    unbatched = log_probs.dim() == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.reshape(1, -1) if targets.dim() == 1 else targets
    if log_probs.dim() != 3:
        raise RuntimeError(
            f"ctc_loss: expected log_probs to be 2-D or 3-D, but got {log_probs.dim()}-D"
        )
    t_max, n, n_classes = log_probs.shape
    xp = array_module(targets._data)

    def _lengths(x):
        if isinstance(x, Tensor):
            return x._data.reshape(-1).astype(xp.int64)
        return xp.asarray([x] if isinstance(x, int) else list(x), dtype=xp.int64)

    in_len = _lengths(input_lengths)
    tg_len = _lengths(target_lengths)
    if in_len.shape[0] != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tg_len.shape[0] != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    if in_len.size and int(in_len.max()) > t_max:
        raise RuntimeError(
            f"Expected input_lengths to have value at most {t_max}, but got value "
            f"{int(in_len.max())}"
        )
    if not 0 <= blank < n_classes:
        raise RuntimeError("blank must be in label range")
    tg = targets._data
    if tg.ndim == 1:  # concatenated targets: pad them into rows
        s_max = int(tg_len.max()) if n else 0
        starts = xp.concatenate([xp.zeros(1, xp.int64), xp.cumsum(tg_len)[:-1]])
        cols = xp.arange(s_max)
        pos = starts[:, None] + cols
        valid = cols < tg_len[:, None]
        tg = xp.where(valid, tg[xp.minimum(pos, max(tg.shape[0] - 1, 0))], blank)
    elif tg_len.size and int(tg_len.max()) > tg.shape[1]:
        raise RuntimeError(
            f"Expected tensor to have size at least {int(tg_len.max())} at dimension 1, but got "
            f"size {tg.shape[1]} for argument #2 'targets' (while checking arguments for "
            "ctc_loss_cpu)"
        )
    s_max = tg.shape[1]
    length = 2 * s_max + 1
    ext = xp.full((n, length), blank, xp.int64)
    ext[:, 1::2] = tg
    skip = xp.zeros((n, length), bool)
    if length > 2:
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    loss = nn_ops.CtcLoss.apply(
        log_probs, ext=ext, skip=skip, in_len=in_len, tg_len=tg_len, zero_infinity=zero_infinity
    )
    if reduction == "none":
        return loss.reshape(()) if unbatched else loss
    if reduction == "sum":
        return loss.sum()
    divisor = make_tensor(
        xp.maximum(tg_len, 1).astype(log_probs._dtype.np), dtype=log_probs._dtype,
        device=log_probs.device,
    )
    return (loss / divisor).mean()
