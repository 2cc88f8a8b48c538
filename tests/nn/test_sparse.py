"""Embedding, EmbeddingBag, one_hot and the distance functions against torch."""

import numpy as np
import pytest
import torch

import ember
from tests.nn._compare import check_fn, check_module, close, randn


def _idx(shape, n, seed=0):
    return np.random.default_rng(seed).integers(0, n, shape)


@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"padding_idx": 2},
        {"padding_idx": -1},
        {"scale_grad_by_freq": True},
        {"padding_idx": 0, "scale_grad_by_freq": True},
    ],
)
@pytest.mark.parametrize("shape", [(4, 5), (7,), ()])
def test_embedding_module(opts, shape):
    tm = torch.nn.Embedding(6, 3, **opts)
    em = ember.nn.Embedding(6, 3, **opts)
    check_module(em, tm, _idx(shape, 6))


def test_embedding_padding_row_zero_and_no_grad():
    em = ember.nn.Embedding(5, 4, padding_idx=1)
    assert (em.weight[1].detach().numpy() == 0).all()
    out = em(ember.tensor([1, 1, 2]))
    out.backward(ember.randn(3, 4))
    assert (em.weight.grad[1].numpy() == 0).all()
    assert (em.weight.grad[2].numpy() != 0).all()


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm(norm_type):
    w = randn(6, 4) * 3
    idx = np.array([[0, 2], [2, 5]])
    et, tt = ember.tensor(w.copy()), torch.tensor(w.copy())
    e = ember.nn.functional.embedding(ember.tensor(idx), et, max_norm=1.0, norm_type=norm_type)
    t = torch.nn.functional.embedding(torch.tensor(idx), tt, max_norm=1.0, norm_type=norm_type)
    close(e, t)
    close(et, tt)  # the looked-up rows were renormalised in place, the others left alone


def test_embedding_from_pretrained():
    w = randn(4, 3)
    em = ember.nn.Embedding.from_pretrained(ember.tensor(w))
    tm = torch.nn.Embedding.from_pretrained(torch.tensor(w))
    assert em.weight.requires_grad is False
    assert repr(em) == repr(tm)
    close(em(ember.tensor([3, 0])), tm(torch.tensor([3, 0])))
    em = ember.nn.Embedding.from_pretrained(ember.tensor(w), freeze=False, padding_idx=1)
    assert em.weight.requires_grad and em.padding_idx == 1


def test_embedding_errors():
    w = ember.randn(5, 3)
    with pytest.raises(IndexError):
        ember.nn.functional.embedding(ember.tensor([5]), w)
    with pytest.raises(RuntimeError):
        ember.nn.functional.embedding(ember.tensor([1.0]), w)
    with pytest.raises(AssertionError):
        ember.nn.Embedding(5, 3, padding_idx=7)


def test_embedding_repr_and_init():
    for kw in (
        {},
        {"padding_idx": 3, "max_norm": 2.0, "norm_type": 1.0, "scale_grad_by_freq": True},
    ):
        assert repr(ember.nn.Embedding(10, 4, **kw)) == repr(torch.nn.Embedding(10, 4, **kw))
    w = ember.nn.Embedding(1000, 100).weight.detach().numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("layout", ["2d", "offsets", "last_offset"])
@pytest.mark.parametrize("padding_idx", [None, 1])
def test_embedding_bag(mode, layout, padding_idx):
    kw = {"mode": mode, "padding_idx": padding_idx, "include_last_offset": layout == "last_offset"}
    tm = torch.nn.EmbeddingBag(7, 3, **kw)
    em = ember.nn.EmbeddingBag(7, 3, **kw)
    if layout == "2d":
        arrays = [_idx((4, 3), 7)]
    else:
        offsets = np.array([0, 2, 2, 5]) if layout == "offsets" else np.array([0, 2, 2, 5, 8])
        arrays = [_idx((8,), 7, seed=1), offsets]
    check_module(em, tm, *arrays)


@pytest.mark.parametrize("layout", ["2d", "offsets"])
def test_embedding_bag_per_sample_weights(layout):
    tm = torch.nn.EmbeddingBag(6, 4, mode="sum")
    em = ember.nn.EmbeddingBag(6, 4, mode="sum")
    if layout == "2d":
        arrays = [_idx((3, 4), 6), None, randn(3, 4)]
    else:
        arrays = [_idx((7,), 6), np.array([0, 3, 4]), randn(7)]
    ember.nn.modules.sparse  # noqa: B018
    from tests.nn._compare import copy_state

    copy_state(em, tm)
    check_fn(
        lambda lib, x, *r: (em if lib is ember else tm)(x, None if layout == "2d" else r[0], r[-1]),
        *[a for a in arrays if a is not None],
    )
    close(em.weight.grad, tm.weight.grad)


def test_embedding_bag_errors():
    em = ember.nn.EmbeddingBag(5, 2, mode="mean")
    with pytest.raises(NotImplementedError):
        em(ember.tensor([[1, 2]]), per_sample_weights=ember.ones(1, 2))
    with pytest.raises(ValueError):
        em(ember.tensor([1, 2]))
    with pytest.raises(ValueError):
        ember.nn.functional.embedding_bag(
            ember.tensor([1]), ember.randn(5, 2), ember.tensor([0]), mode="avg"
        )
    with pytest.raises(ValueError):
        ember.nn.functional.embedding_bag(
            ember.tensor([[1]]), ember.randn(5, 2), mode="max", scale_grad_by_freq=True
        )
    assert repr(em) == repr(torch.nn.EmbeddingBag(5, 2, mode="mean"))


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq(mode):
    # torch 2.13's CPU kernel divides by the count of the wrong index (counts[indices[i]] with i
    # the unique-group number), so compare with the documented rule: each row's gradient
    # divided by how often it occurs in the whole input, as F.embedding does
    idx = np.array([[1, 2, 1], [4, 4, 4], [0, 2, 3]])
    w = randn(6, 3)

    def fn(lib, w, i):
        if lib is ember:
            return lib.nn.functional.embedding_bag(i, w, mode=mode, scale_grad_by_freq=True)
        rows = lib.nn.functional.embedding(i, w, scale_grad_by_freq=True)
        return rows.sum(1) if mode == "sum" else rows.mean(1)

    check_fn(fn, w, idx)


@pytest.mark.parametrize("shape,n", [((5,), -1), ((2, 3), 7), ((), 4), ((0,), 3)])
def test_one_hot(shape, n):
    check_fn(lambda lib, x: lib.nn.functional.one_hot(x, n), _idx(shape, 3), grad=False)


def test_one_hot_errors():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError):
            lib.nn.functional.one_hot(lib.tensor([1, 5]), 3)
        with pytest.raises(RuntimeError):
            lib.nn.functional.one_hot(lib.tensor([1.0]), 3)
        with pytest.raises(RuntimeError):
            lib.nn.functional.one_hot(lib.tensor([-1]), 3)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
@pytest.mark.parametrize("shapes", [((4, 5), (4, 5)), ((4, 5), (5,)), ((5,), (5,))])
def test_pairwise_distance(p, shapes):
    check_fn(
        lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p),
        randn(*shapes[0]),
        randn(*shapes[1], seed=1),
        rtol=1e-5,
        atol=1e-6,
    )
    check_fn(
        lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p, keepdim=True),
        randn(*shapes[0]),
        randn(*shapes[1], seed=1),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "dim,shapes", [(1, ((4, 5), (4, 5))), (0, ((4, 5), (4, 1))), (-1, ((2, 3, 4), (2, 3, 4)))]
)
def test_cosine_similarity(dim, shapes):
    check_fn(
        lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim),
        randn(*shapes[0]),
        randn(*shapes[1], seed=1),
        rtol=1e-5,
        atol=1e-6,
    )


def test_cosine_similarity_zero_vector():
    check_fn(
        lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b),
        np.zeros((2, 3), np.float32),
        randn(2, 3),
        grad=False,
    )


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5])
def test_pdist(p):
    check_fn(lambda lib, x: lib.nn.functional.pdist(x, p), randn(5, 3), rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError):
        ember.nn.functional.pdist(ember.randn(2, 3, 4))


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize(p, dim):
    check_fn(
        lambda lib, x: lib.nn.functional.normalize(x, p, dim), randn(4, 5), rtol=1e-5, atol=1e-6
    )


def test_distance_modules():
    for em, tm in (
        (ember.nn.CosineSimilarity(0), torch.nn.CosineSimilarity(0)),
        (
            ember.nn.PairwiseDistance(1.0, keepdim=True),
            torch.nn.PairwiseDistance(1.0, keepdim=True),
        ),
    ):
        check_module(em, tm, randn(4, 5), randn(4, 5, seed=1), rtol=1e-5, atol=1e-6)
