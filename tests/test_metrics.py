"""ember.metrics against scikit-learn on random labels and scores."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm

import ember
from ember import metrics

CASES = [(50, 2, 0), (200, 5, 1), (7, 3, 2), (120, 10, 3), (40, 4, 4)]


def labels(n, c, seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, c, n)
    p = np.where(rng.random(n) < 0.6, t, rng.integers(0, c, n))
    return p, t


@pytest.mark.parametrize("n,c,seed", CASES)
def test_accuracy_and_confusion(n, c, seed):
    p, t = labels(n, c, seed)
    assert metrics.accuracy(ember.tensor(p), ember.tensor(t)) == pytest.approx(skm.accuracy_score(t, p))
    cm = metrics.confusion_matrix(ember.tensor(p), ember.tensor(t))
    np.testing.assert_array_equal(cm.numpy(), skm.confusion_matrix(t, p))
    assert cm.dtype == ember.int64
    cm = metrics.confusion_matrix(ember.tensor(p), ember.tensor(t), num_classes=c + 2)
    np.testing.assert_array_equal(cm.numpy(), skm.confusion_matrix(t, p, labels=list(range(c + 2))))


@pytest.mark.parametrize("n,c,seed", CASES)
@pytest.mark.parametrize("average", ["micro", "macro", "weighted", None, "binary"])
@pytest.mark.parametrize("name", ["precision", "recall", "f1_score"])
def test_precision_recall_f1(name, average, n, c, seed):
    p, t = labels(n, c, seed)
    sk = {"precision": skm.precision_score, "recall": skm.recall_score, "f1_score": skm.f1_score}[name]
    ours_fn = getattr(metrics, name)
    if average == "binary" and c > 2:
        with pytest.raises(ValueError):
            ours_fn(ember.tensor(p), ember.tensor(t), average="binary")
        return
    ours = ours_fn(ember.tensor(p), ember.tensor(t), average=average)
    theirs = sk(t, p, average=average, zero_division=0)
    if average is None:
        np.testing.assert_allclose(ours.numpy(), theirs)
    else:
        assert ours == pytest.approx(theirs)


def test_scores_argmax_and_missing_classes():
    rng = np.random.default_rng(9)
    scores = rng.standard_normal((60, 4)).astype(np.float32)
    t = rng.integers(0, 3, 60)  # class 3 never occurs in the targets
    p = scores.argmax(1)
    for average in ("macro", "weighted", "micro"):
        assert metrics.precision(ember.tensor(scores), ember.tensor(t), average=average) == pytest.approx(
            skm.precision_score(t, p, average=average, zero_division=0)
        )
    ours = metrics.recall(ember.tensor(p), ember.tensor(t), average="macro", num_classes=6)
    assert ours == pytest.approx(skm.recall_score(t, p, average="macro", labels=list(range(6)), zero_division=0))


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_accuracy(k):
    rng = np.random.default_rng(k)
    scores = rng.standard_normal((80, 5))
    t = rng.integers(0, 5, 80)
    assert metrics.top_k_accuracy(ember.tensor(scores), ember.tensor(t), k=k) == pytest.approx(
        skm.top_k_accuracy_score(t, scores, k=k, labels=list(range(5)))
    )


@pytest.mark.parametrize("seed", range(4))
def test_roc_auc(seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, 100)
    s = np.round(rng.random(100) + 0.3 * t, 1)  # rounding makes ties
    assert metrics.roc_auc(ember.tensor(s), ember.tensor(t)) == pytest.approx(skm.roc_auc_score(t, s))
    with pytest.raises(ValueError):
        metrics.roc_auc(ember.tensor(s), ember.zeros(100, dtype=ember.int64))


def test_errors():
    with pytest.raises(ValueError):
        metrics.precision(ember.tensor([0, 1]), ember.tensor([0, 1, 1]))
    with pytest.raises(ValueError):
        metrics.precision(ember.tensor([0, 1]), ember.tensor([0, 1]), average="sum")
