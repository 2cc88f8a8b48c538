"""``ember.metrics``: classification metrics on tensors, with scikit-learn's definitions.

Predictions are class indices of shape ``(N,)`` or scores of shape ``(N, C)`` (their argmax is
taken); targets are class indices.  Classes are ``range(num_classes)`` when given, otherwise
the sorted labels that occur in either.  Results are Python floats (a tensor per class for
``average=None``), computed from one confusion matrix built with a single ``bincount``.
"""

from __future__ import annotations

from ember import _dtype
from ember._tensor import Tensor, _from_array
from ember.backend import array_module

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


def _labels_of(x) -> Tensor:
    if not isinstance(x, Tensor):
        from ember._factories import as_tensor

        x = as_tensor(x)
    if x.dim() == 2 and x.is_floating_point():
        x = x.argmax(dim=1)
    if x.dim() != 1:
        raise ValueError(f"expected class indices of shape (N,) or scores (N, C), got {tuple(x.shape)}")
    return x


def _prepare(preds, target, num_classes):
    p, t = _labels_of(preds), _labels_of(target)
    if p.shape[0] != t.shape[0]:
        raise ValueError(
            f"preds and target hold different numbers of samples: {p.shape[0]} and {t.shape[0]}"
        )
    pa, ta = p._data, t._data
    xp = array_module(pa)
    if num_classes is None:
        labels = xp.union1d(xp.unique(pa), xp.unique(ta))
    else:
        labels = xp.arange(num_classes)
    return pa, ta, labels, xp


def _confusion(pa, ta, labels, xp):
    """Counts ``[true, pred]`` over ``labels`` (rows true, columns predicted)."""
    n = len(labels)
    ti = xp.searchsorted(labels, ta)
    pi = xp.searchsorted(labels, pa)
    inside = (ti < n) & (pi < n)
    inside &= labels[xp.minimum(ti, n - 1)] == ta
    inside &= labels[xp.minimum(pi, n - 1)] == pa
    flat = ti[inside] * n + pi[inside]
    return xp.bincount(flat, minlength=n * n).reshape(n, n)


def confusion_matrix(preds, target, num_classes: int | None = None) -> Tensor:
    """The ``(C, C)`` matrix of counts: row = true class, column = predicted class."""
    pa, ta, labels, xp = _prepare(preds, target, num_classes)
    return _from_array(_confusion(pa, ta, labels, xp).astype(xp.int64))


def accuracy(preds, target) -> float:
    """The fraction of samples whose predicted class equals the target."""
    p, t = _labels_of(preds), _labels_of(target)
    if p.shape[0] == 0:
        return 0.0
    return float((p._data == t._data).mean())


def top_k_accuracy(scores, target, k: int = 5) -> float:
    """The fraction of samples whose target is among the ``k`` highest scores."""
    if not isinstance(scores, Tensor) or scores.dim() != 2:
        raise ValueError("top_k_accuracy expects scores of shape (N, C)")
    t = _labels_of(target)
    s = scores._data
    xp = array_module(s)
    k = min(k, s.shape[1])
    top = xp.argpartition(-s, k - 1, axis=1)[:, :k] if k < s.shape[1] else xp.broadcast_to(
        xp.arange(s.shape[1]), s.shape
    )
    return float((top == t._data[:, None]).any(axis=1).mean())


def _safe_div(num, den, zero_division, xp):
    out = xp.full(num.shape, float(zero_division), dtype=xp.float64)
    nz = den != 0
    out[nz] = num[nz] / den[nz]
    return out


def _scores(kind, preds, target, average, num_classes, pos_label, zero_division):
    if average not in _AVERAGES:
        raise ValueError(f"average has to be one of {_AVERAGES}, got {average!r}")
    pa, ta, labels, xp = _prepare(preds, target, num_classes)
    cm = _confusion(pa, ta, labels, xp).astype(xp.float64)
    tp = xp.diagonal(cm)
    predicted = cm.sum(axis=0)
    actual = cm.sum(axis=1)
    if average == "binary":
        present = xp.union1d(xp.unique(pa), xp.unique(ta))
        if len(present) > 2:
            raise ValueError(
                "Target is multiclass but average='binary'. Please choose another average "
                "setting, one of [None, 'micro', 'macro', 'weighted']."
            )
        idx = xp.nonzero(labels == pos_label)[0]
        if len(idx) == 0:
            return 0.0 if len(present) else float(zero_division)
        i = int(idx[0])
        tp, predicted, actual = tp[i: i + 1], predicted[i: i + 1], actual[i: i + 1]
    if average == "micro":
        tp, predicted, actual = tp.sum(keepdims=True), predicted.sum(keepdims=True), actual.sum(keepdims=True)
    p = _safe_div(tp, predicted, zero_division, xp)
    r = _safe_div(tp, actual, zero_division, xp)
    if kind == "precision":
        per = p
    elif kind == "recall":
        per = r
    else:
        per = _safe_div(2 * tp, predicted + actual, zero_division, xp)
    if average is None:
        return _from_array(per, dtype=_dtype.float64)
    if average == "weighted":
        total = actual.sum()
        return float((per * actual).sum() / total) if total else float(zero_division)
    return float(per.mean())


def precision(preds, target, *, average="binary", num_classes=None, pos_label=1, zero_division=0.0):
    """Of the samples predicted as a class, the fraction that belong to it (per class, then
    averaged as ``average`` says: binary, micro, macro, weighted, or None for all)."""
    return _scores("precision", preds, target, average, num_classes, pos_label, zero_division)


def recall(preds, target, *, average="binary", num_classes=None, pos_label=1, zero_division=0.0):
    """Of the samples of a class, the fraction predicted as it."""
    return _scores("recall", preds, target, average, num_classes, pos_label, zero_division)


def f1_score(preds, target, *, average="binary", num_classes=None, pos_label=1, zero_division=0.0):
    """The harmonic mean of precision and recall."""
    return _scores("f1", preds, target, average, num_classes, pos_label, zero_division)


def roc_auc(scores, target) -> float:
    """Area under the ROC curve of a binary problem: the probability that a random positive
    scores above a random negative (ties count half)."""
    s = scores._data if isinstance(scores, Tensor) else scores
    t = _labels_of(target)._data
    xp = array_module(t)
    s = xp.asarray(s, dtype=xp.float64).reshape(-1)
    pos = t == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(
            "Only one class is present in y_true. ROC AUC score is not defined in that case."
        )
    order = xp.argsort(s, kind="mergesort")
    ranks = xp.empty(len(s), dtype=xp.float64)
    sorted_s = s[order]
    # average ranks over ties
    starts = xp.concatenate(([True], sorted_s[1:] != sorted_s[:-1]))
    group = xp.cumsum(starts) - 1
    first = xp.nonzero(starts)[0]
    counts = xp.diff(xp.concatenate((first, [len(s)])))
    mean_rank = first + (counts + 1) / 2.0
    ranks[order] = mean_rank[group]
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))
