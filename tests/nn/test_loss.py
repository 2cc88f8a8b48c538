"""Every loss against torch: each reduction and option, values and gradients."""

import numpy as np
import pytest
import torch

import ember
from tests.nn._compare import check_fn, close, randn

REDUCTIONS = ["none", "mean", "sum"]
rng = np.random.default_rng(0)


def _labels(shape, n_classes, ignore=None, seed=0):
    t = np.random.default_rng(seed).integers(0, n_classes, shape)
    if ignore is not None and t.size:
        t.reshape(-1)[::3] = ignore
    return t


def _F(lib):
    return lib.nn.functional


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6, 5), (3, 4, 2, 3), (5,), (0, 5)])
@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"label_smoothing": 0.15},
        {"weight": True},
        {"weight": True, "label_smoothing": 0.3},
        {"ignore_index": 1},
        {"ignore_index": -100, "ignore": True},
    ],
)
def test_cross_entropy_indices(reduction, shape, opts):
    opts = dict(opts)
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    target = _labels(tshape, c, -100 if opts.pop("ignore", False) else None)
    arrays = [randn(*shape) * 2, target]
    if opts.pop("weight", False):
        arrays.append(np.random.default_rng(3).random(c).astype(np.float32) + 0.5)
        fn = lambda lib, x, t, w: _F(lib).cross_entropy(x, t, weight=w, reduction=reduction, **opts)  # noqa: E731
    else:
        fn = lambda lib, x, t: _F(lib).cross_entropy(x, t, reduction=reduction, **opts)  # noqa: E731
    check_fn(fn, *arrays, nondiff=(2,), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [{}, {"label_smoothing": 0.2}, {"weight": True}])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (5,)])
def test_cross_entropy_probabilities(reduction, opts, shape):
    opts = dict(opts)
    c = shape[0] if len(shape) == 1 else shape[1]
    probs = np.random.default_rng(1).random(shape).astype(np.float32)
    probs /= probs.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
    arrays = [randn(*shape), probs]
    if opts.pop("weight", False):
        arrays.append(np.random.default_rng(3).random(c).astype(np.float32) + 0.5)
        fn = lambda lib, x, t, w: _F(lib).cross_entropy(x, t, weight=w, reduction=reduction, **opts)  # noqa: E731
    else:
        fn = lambda lib, x, t: _F(lib).cross_entropy(x, t, reduction=reduction, **opts)  # noqa: E731
    check_fn(fn, *arrays, nondiff=(2,), rtol=2e-5, atol=1e-6)


def test_cross_entropy_float64_gradgrad():
    x = ember.tensor(randn(4, 3, dtype="float64"), requires_grad=True)
    t = ember.tensor(np.array([0, 2, 1, 2]))
    w = ember.tensor(np.array([0.5, 1.0, 2.0]))
    for kw in ({}, {"label_smoothing": 0.2, "weight": w}):
        fn = lambda x, kw=kw: ember.nn.functional.cross_entropy(x, t, **kw)  # noqa: E731
        assert ember.autograd.gradcheck(fn, (x,))
        assert ember.autograd.gradgradcheck(fn, (x,))


def test_cross_entropy_errors():
    x = ember.randn(3, 4)
    with pytest.raises(IndexError):
        ember.nn.functional.cross_entropy(x, ember.tensor([0, 4, 1]))
    with pytest.raises(ValueError):
        ember.nn.functional.cross_entropy(x, ember.tensor([0, 1]))
    with pytest.raises(RuntimeError):
        ember.nn.functional.cross_entropy(x, ember.tensor([0, 1, 2]), weight=ember.ones(3))
    for lib in (ember, torch):
        with pytest.raises(IndexError):
            lib.nn.functional.nll_loss(lib.randn(3, 4), lib.tensor([0, 7, 1]))


def test_cross_entropy_half():
    x = randn(6, 5)
    t = _labels((6,), 5)
    e = ember.nn.functional.cross_entropy(ember.tensor(x).half(), ember.tensor(t))
    r = torch.nn.functional.cross_entropy(torch.tensor(x).half(), torch.tensor(t))
    assert e.dtype == ember.float16
    np.testing.assert_allclose(float(e), float(r), rtol=2e-3)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("shape", [(6, 5), (2, 4, 3), (4,)])
def test_nll_loss(reduction, weight, shape):
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = _labels(tshape, c)
    arrays = [randn(*shape), t]
    if weight:
        arrays.append(np.linspace(0.5, 2, c).astype(np.float32))
    check_fn(
        lambda lib, x, t, *w: _F(lib).nll_loss(x, t, *w, ignore_index=2, reduction=reduction),
        *arrays,
        nondiff=(2,),
    )


def _pos(shape, seed=0):
    return (np.random.default_rng(seed).random(shape) * 0.9 + 0.05).astype(np.float32)


def _sign(shape, seed=0):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


ELEMENTWISE = [
    ("mse_loss", lambda: [randn(4, 5), randn(4, 5, seed=1)], {}),
    ("l1_loss", lambda: [randn(4, 5), randn(4, 5, seed=1)], {}),
    ("smooth_l1_loss", lambda: [randn(4, 5), randn(4, 5, seed=1)], {}),
    ("smooth_l1_loss", lambda: [randn(4, 5), randn(4, 5, seed=1)], {"beta": 0.5}),
    ("smooth_l1_loss", lambda: [randn(4, 5), randn(4, 5, seed=1)], {"beta": 0.0}),
    ("huber_loss", lambda: [randn(4, 5), randn(4, 5, seed=1)], {"delta": 0.7}),
    ("binary_cross_entropy", lambda: [_pos((4, 5)), _pos((4, 5), 1)], {}),
    ("binary_cross_entropy", lambda: [_pos((4, 5)), _pos((4, 5), 1), _pos((5,), 2)], {}),
    ("binary_cross_entropy_with_logits", lambda: [randn(4, 5) * 3, _pos((4, 5), 1)], {}),
    ("binary_cross_entropy_with_logits",
     lambda: [randn(4, 5) * 3, _pos((4, 5), 1), _pos((5,), 2)], {"pos_weight": "x"}),
    ("kl_div", lambda: [np.log(_pos((4, 5))), _pos((4, 5), 1)], {}),
    ("kl_div", lambda: [np.log(_pos((4, 5))), np.log(_pos((4, 5), 1))], {"log_target": True}),
    ("poisson_nll_loss", lambda: [randn(4, 5), _pos((4, 5), 1) * 3], {}),
    ("poisson_nll_loss", lambda: [_pos((4, 5)) + 0.5, _pos((4, 5), 1) * 3],
     {"log_input": False, "full": True}),
    ("soft_margin_loss", lambda: [randn(4, 5), _sign((4, 5))], {}),
    ("hinge_embedding_loss", lambda: [randn(4, 5), _sign((4, 5))], {"margin": 0.5}),
    ("multilabel_soft_margin_loss",
     lambda: [randn(4, 5), (_pos((4, 5), 1) > 0.5).astype(np.float32)], {}),
    ("multilabel_soft_margin_loss",
     lambda: [randn(4, 5), (_pos((4, 5), 1) > 0.5).astype(np.float32), _pos((5,), 2)], {}),
]  # fmt: skip


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "name,make,kwargs", ELEMENTWISE, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(ELEMENTWISE)]
)
def test_elementwise_losses(name, make, kwargs, reduction):
    arrays = make()
    kwargs = dict(kwargs)

    def fn(lib, *xs):
        kw = dict(kwargs)
        xs = list(xs)
        if kw.get("pos_weight") == "x":
            kw["pos_weight"] = xs.pop()
        return getattr(_F(lib), name)(*xs, reduction=reduction, **kw)

    diff_target = name in (
        "mse_loss",
        "l1_loss",
        "smooth_l1_loss",
        "huber_loss",
        "kl_div",
        "binary_cross_entropy_with_logits",
        "poisson_nll_loss",
    )
    check_fn(fn, *arrays, nondiff=tuple(range(1 + diff_target, len(arrays))))


def test_kl_div_batchmean():
    check_fn(
        lambda lib, x, t: _F(lib).kl_div(x, t, reduction="batchmean"),
        np.log(_pos((4, 5))),
        _pos((4, 5), 1),
    )


def test_bce_at_zero_and_one():
    # torch's backward stays finite at x = 0 and 1 (denominator clamped at 1e-12); the target
    # gradient is the unclamped log ratio
    x = np.array([0.0, 1.0, 0.5, 0.0, 1.0, 0.3], np.float32)
    t = np.array([0.0, 1.0, 1.0, 1.0, 0.0, 0.2], np.float32)
    for reduction in REDUCTIONS:
        check_fn(lambda lib, x, t: _F(lib).binary_cross_entropy(x, t, reduction=reduction), x, t)


def test_cross_entropy_target_dtypes_and_negative_smoothing():
    x = randn(3, 4)
    for dt in (np.uint8, np.int64):
        check_fn(lambda lib, x, t: _F(lib).cross_entropy(x, t), x, np.array([0, 3, 1], dt))
    check_fn(lambda lib, x, t: _F(lib).nll_loss(x, t), x, np.array([0, 3, 1], np.uint8))
    for lib in (ember, torch):
        for dt in (lib.int32, lib.int16):
            with pytest.raises(RuntimeError):
                _F(lib).cross_entropy(lib.tensor(x), lib.tensor([0, 3, 1], dtype=dt))
            with pytest.raises(RuntimeError):
                _F(lib).nll_loss(lib.tensor(x), lib.tensor([0, 3, 1], dtype=dt))
        with pytest.raises(RuntimeError):
            _F(lib).cross_entropy(lib.tensor(x), lib.tensor([0, 3, 1]), label_smoothing=1.01)
    # torch treats a negative label_smoothing as none
    for target in (np.array([0, 3, 1]), _pos((3, 4))):
        check_fn(lambda lib, x, t: _F(lib).cross_entropy(x, t, label_smoothing=-0.3), x, target,
                 nondiff=(1,))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
                                  "soft_margin_loss", "kl_div"])
def test_integer_inputs(name):
    for reduction in ("mean", "none"):
        try:
            t = getattr(torch.nn.functional, name)(torch.tensor([1, 2]), torch.tensor([1, 3]),
                                                   reduction=reduction)
        except Exception as exc:  # noqa: BLE001
            with pytest.raises(type(exc)):
                getattr(ember.nn.functional, name)(ember.tensor([1, 2]), ember.tensor([1, 3]),
                                                   reduction=reduction)
        else:
            e = getattr(ember.nn.functional, name)(ember.tensor([1, 2]), ember.tensor([1, 3]),
                                                   reduction=reduction)
            close(e, t)


@pytest.mark.parametrize("call", [
    lambda lib, w: _F(lib).nll_loss(lib.randn(3, 4), lib.tensor([0, 1, 2]), weight=w),
    lambda lib, w: _F(lib).cross_entropy(lib.randn(3, 4), lib.tensor([0, 1, 2]), weight=w),
    lambda lib, w: _F(lib).binary_cross_entropy(lib.rand(3, 4), lib.rand(3, 4), weight=w),
    lambda lib, w: _F(lib).binary_cross_entropy_with_logits(lib.rand(3, 4), lib.rand(3, 4), w),
    lambda lib, w: _F(lib).binary_cross_entropy_with_logits(lib.rand(3, 4), lib.rand(3, 4),
                                                            pos_weight=w),
    lambda lib, w: _F(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([0, 1, 2]), weight=w),
], ids=["nll", "ce", "bce", "bce_logits_w", "bce_logits_pw", "multi_margin"])
def test_weight_requiring_grad_is_refused(call):
    for lib in (ember, torch):
        w = lib.ones(4, requires_grad=True)
        with pytest.raises(RuntimeError):
            call(lib, w)
        with lib.no_grad():
            call(lib, w)


def test_bce_out_of_range():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError):
            lib.nn.functional.binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 5), (4, 1), (4,)])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll(reduction, var_shape, full):
    check_fn(
        lambda lib, x, t, v: _F(lib).gaussian_nll_loss(x, t, v, full=full, reduction=reduction),
        randn(4, 5),
        randn(4, 5, seed=1),
        _pos(var_shape, 2),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pairwise_losses(reduction):
    x1, x2, y = randn(6), randn(6, seed=1), _sign((6,))
    check_fn(
        lambda lib, a, b, t: _F(lib).margin_ranking_loss(a, b, t, margin=0.3, reduction=reduction),
        x1,
        x2,
        y,
    )
    check_fn(
        lambda lib, a, b, t: _F(lib).cosine_embedding_loss(
            a, b, t, margin=0.2, reduction=reduction
        ),
        randn(6, 4),
        randn(6, 4, seed=1),
        y,
    )
    for p, swap in ((2, False), (1, True)):
        check_fn(
            lambda lib, a, b, c, p=p, swap=swap: _F(lib).triplet_margin_loss(
                a, b, c, margin=0.5, p=p, swap=swap, reduction=reduction
            ),
            randn(5, 4),
            randn(5, 4, seed=1),
            randn(5, 4, seed=2),
            rtol=1e-5,
            atol=1e-5,
        )
    check_fn(
        lambda lib, a, b, c: _F(lib).triplet_margin_with_distance_loss(
            a, b, c, reduction=reduction
        ),
        randn(5, 4),
        randn(5, 4, seed=1),
        randn(5, 4, seed=2),
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weight", [False, True])
def test_multi_margin(reduction, p, weight):
    arrays = [randn(5, 4), _labels((5,), 4)]
    if weight:
        arrays.append(_pos((4,), 3))
    check_fn(
        lambda lib, x, t, *w: _F(lib).multi_margin_loss(
            x, t, p=p, margin=0.8, weight=w[0] if w else None, reduction=reduction
        ),
        *arrays,
        nondiff=(2,),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin(reduction):
    t = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 2, 0], [-1, 1, 1, 1]])
    check_fn(
        lambda lib, x, t: _F(lib).multilabel_margin_loss(x, t, reduction=reduction), randn(4, 4), t
    )
    check_fn(
        lambda lib, x, t: _F(lib).multilabel_margin_loss(x, t, reduction=reduction), randn(4), t[0]
    )


MODULES = [
    ("L1Loss", {}, lambda: [randn(3, 4), randn(3, 4, seed=1)]),
    ("MSELoss", {"reduction": "sum"}, lambda: [randn(3, 4), randn(3, 4, seed=1)]),
    ("SmoothL1Loss", {"beta": 0.5}, lambda: [randn(3, 4), randn(3, 4, seed=1)]),
    ("HuberLoss", {"delta": 2.0}, lambda: [randn(3, 4), randn(3, 4, seed=1)]),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "ignore_index": 0},
     lambda: [randn(5, 4), _labels((5,), 4)]),
    ("NLLLoss", {}, lambda: [randn(5, 4), _labels((5,), 4)]),
    ("BCELoss", {}, lambda: [_pos((3, 4)), _pos((3, 4), 1)]),
    ("BCEWithLogitsLoss", {}, lambda: [randn(3, 4), _pos((3, 4), 1)]),
    ("KLDivLoss", {"reduction": "batchmean"}, lambda: [np.log(_pos((3, 4))), _pos((3, 4), 1)]),
    ("PoissonNLLLoss", {}, lambda: [randn(3, 4), _pos((3, 4), 1)]),
    ("GaussianNLLLoss", {}, lambda: [randn(3, 4), randn(3, 4, seed=1), _pos((3, 4), 2)]),
    ("MarginRankingLoss", {"margin": 0.1}, lambda: [randn(4), randn(4, seed=1), _sign((4,))]),
    ("HingeEmbeddingLoss", {}, lambda: [randn(3, 4), _sign((3, 4))]),
    ("SoftMarginLoss", {}, lambda: [randn(3, 4), _sign((3, 4))]),
    ("MultiLabelSoftMarginLoss", {}, lambda: [randn(3, 4), (_pos((3, 4)) > .5).astype("f")]),
    ("MultiLabelMarginLoss", {}, lambda: [randn(2, 3), np.array([[2, -1, 0], [0, 1, -1]])]),
    ("MultiMarginLoss", {"p": 2}, lambda: [randn(3, 4), _labels((3,), 4)]),
    ("CosineEmbeddingLoss", {}, lambda: [randn(3, 4), randn(3, 4, seed=1), _sign((3,))]),
    ("TripletMarginLoss", {"margin": 2.0},
     lambda: [randn(3, 4), randn(3, 4, seed=1), randn(3, 4, seed=2)]),
]  # fmt: skip


@pytest.mark.parametrize("name,kwargs,make", MODULES, ids=[m[0] for m in MODULES])
def test_loss_modules(name, kwargs, make):
    em, tm = getattr(ember.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(em) == repr(tm)
    arrays = make()
    check_fn(
        lambda lib, *xs: (em if lib is ember else tm)(*xs),
        *arrays,
        rtol=1e-5,
        atol=1e-6,
        nondiff=(len(arrays) - 1,),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("dist", ["default", "l1", "cosine"])
def test_triplet_margin_with_distance(reduction, swap, dist):
    def make(lib):
        fns = {
            "default": None,
            "l1": lambda a, b: (a - b).abs().sum(-1),
            "cosine": lambda a, b: 1 - lib.nn.functional.cosine_similarity(a, b),
        }
        return lib.nn.TripletMarginWithDistanceLoss(
            distance_function=fns[dist], margin=0.7, swap=swap, reduction=reduction
        )

    em, tm = make(ember), make(torch)
    assert repr(em) == repr(tm)
    arrays = [randn(4, 5), randn(4, 5, seed=1), randn(4, 5, seed=2)]
    check_fn(lambda lib, *xs: (em if lib is ember else tm)(*xs), *arrays, rtol=1e-5, atol=1e-6)
    check_fn(
        lambda lib, a, p, n: _F(lib).triplet_margin_with_distance_loss(
            a, p, n, margin=0.7, swap=swap, reduction=reduction
        ),
        *arrays,
    )
    with pytest.raises(ValueError):
        ember.nn.TripletMarginWithDistanceLoss(margin=0)


def test_weighted_loss_modules():
    w = np.array([0.2, 1.0, 3.0, 0.7], np.float32)
    em = ember.nn.CrossEntropyLoss(weight=ember.tensor(w))
    tm = torch.nn.CrossEntropyLoss(weight=torch.tensor(w))
    assert list(em.state_dict()) == list(tm.state_dict()) == ["weight"]
    check_fn(lambda lib, x, t: (em if lib is ember else tm)(x, t), randn(6, 4), _labels((6,), 4))
    pw = np.array([1.0, 2.0, 0.5, 3.0], np.float32)
    em = ember.nn.BCEWithLogitsLoss(pos_weight=ember.tensor(pw))
    tm = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pw))
    check_fn(lambda lib, x, t: (em if lib is ember else tm)(x, t), randn(6, 4), _pos((6, 4)))


def test_legacy_reduction_args():
    em = ember.nn.MSELoss(size_average=False)
    tm = torch.nn.MSELoss(size_average=False)
    assert em.reduction == tm.reduction == "sum"


def test_bad_reduction():
    with pytest.raises(ValueError):
        ember.nn.functional.mse_loss(ember.randn(3), ember.randn(3), reduction="avg")


def _ctc_case(seed=0, concat=False):
    rng = np.random.default_rng(seed)
    t_len, n, c, s = 12, 3, 5, 4
    x = rng.standard_normal((t_len, n, c)).astype(np.float32)
    tg = rng.integers(1, c, (n, s))
    il = np.array([12, 10, 8])
    tl = np.array([4, 2, 3])
    if concat:
        tg = np.concatenate([tg[i, : tl[i]] for i in range(n)])
    return x, tg, il, tl


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("concat", [False, True])
def test_ctc_loss(reduction, concat):
    # torch's CTC backward is exact only through log_softmax (as CTC is always used), so
    # gradients are compared with respect to the logits
    x, tg, il, tl = _ctc_case(concat=concat)
    check_fn(
        lambda lib, x, t, i, l: _F(lib).ctc_loss(x.log_softmax(2), t, i, l, reduction=reduction),
        x,
        tg,
        il,
        tl,
        rtol=1e-5,
        atol=1e-5,
    )


def test_ctc_loss_raw_input_grad_and_edges():
    # torch's backward is exp(lp) - posterior even when lp is not normalised; ember matches it
    x, tg, il, tl = _ctc_case(seed=1)
    check_fn(lambda lib, x, t, i, l: _F(lib).ctc_loss(x, t, i, l), x, tg, il, tl,
             rtol=1e-5, atol=1e-5)
    # repeated labels, an empty target, int32 lengths, lengths as lists, blank in the middle
    tg = np.array([[1, 1, 2, 2], [3, 3, 3, 3], [0, 2, 0, 2]])
    check_fn(
        lambda lib, x, t: _F(lib).ctc_loss(x.log_softmax(2), t, [12, 9, 7], [4, 3, 0], blank=4),
        x, tg, rtol=1e-5, atol=1e-5,
    )
    check_fn(
        lambda lib, x, t, i, l: _F(lib).ctc_loss(x.log_softmax(2), t, i, l, reduction="none"),
        x, tg + 1, np.array([12, 0, 7], np.int32), np.array([4, 0, 3], np.int32),
        rtol=1e-5, atol=1e-5,
    )
    # unbatched (T, C) input
    check_fn(
        lambda lib, x, t: _F(lib).ctc_loss(x.log_softmax(1), t, (9,), (3,)),
        x[:, 0], np.array([1, 2, 2]), rtol=1e-5, atol=1e-5,
    )
    assert _F(ember).ctc_loss(
        ember.randn(5, 1, 3, requires_grad=True).log_softmax(2), ember.tensor([[1]]), [5], [1],
        reduction="none",
    ).grad_fn.name() == "CtcLossBackward0"


@pytest.mark.parametrize("call", [
    lambda lib: _F(lib).ctc_loss(lib.zeros(5, 2, 4), lib.tensor([[1, 2], [1, 2]]), [6, 5], [2, 2]),
    lambda lib: _F(lib).ctc_loss(lib.zeros(5, 2, 4), lib.tensor([[1, 2], [1, 2]]), [5, 5], [3, 2]),
    lambda lib: _F(lib).ctc_loss(lib.zeros(5, 2, 4), lib.tensor([[1, 2], [1, 2]]), [5, 5], [2, 2],
                                 blank=4),
    lambda lib: _F(lib).ctc_loss(lib.zeros(5, 2, 4), lib.tensor([[1, 2], [1, 2]]), [5, 5, 5],
                                 [2, 2]),
    lambda lib: _F(lib).ctc_loss(lib.zeros(5, 2, 4), lib.tensor([[1, 2], [1, 2]]), [5, 5],
                                 [2, 2, 2]),
], ids=["input_too_long", "target_too_long", "bad_blank", "n_input_lengths", "n_target_lengths"])
def test_ctc_loss_errors(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value)):
        call(ember)


def test_ctc_loss_impossible_and_module():
    x = randn(3, 1, 4)
    tg = np.array([[1, 1, 1]])  # needs 5 frames, only 3 given
    for zero_inf in (False, True):
        check_fn(
            lambda lib, x, t, i, l, zero_inf=zero_inf: _F(lib).ctc_loss(
                x.log_softmax(2), t, i, l, reduction="sum", zero_infinity=zero_inf
            ),
            x,
            tg,
            np.array([3]),
            np.array([3]),
            grad=zero_inf,
        )
    em, tm = ember.nn.CTCLoss(blank=4), torch.nn.CTCLoss(blank=4)
    assert repr(em) == repr(tm)
    x, tg, il, tl = _ctc_case(seed=2)
    check_fn(
        lambda lib, x, t, i, l: (em if lib is ember else tm)(x.log_softmax(2), t, i, l),
        x,
        tg - 1,
        il,
        tl,
        rtol=1e-5,
        atol=1e-5,
    )


def test_ctc_loss_gradcheck_through_log_softmax():
    # the gradient is exact for normalised log-probabilities (as torch's)
    x, tg, il, tl = _ctc_case(seed=3)
    xe = ember.tensor(x[:6].astype(np.float64), requires_grad=True)
    fn = lambda x: _F(ember).ctc_loss(x.log_softmax(2), ember.tensor(tg), [6, 5, 6], [3, 2, 1])
    assert ember.autograd.gradcheck(fn, (xe,))
