"""ember.nn.init against torch.nn.init: gains, fans, errors exactly; random fills by their
distribution (bounds, mean, std on large tensors, loose tolerances)."""

import math

import numpy as np
import pytest
import torch

import ember

init = ember.nn.init
tinit = torch.nn.init


@pytest.mark.parametrize(
    "nl,param",
    [
        ("linear", None),
        ("conv1d", None),
        ("conv2d", None),
        ("conv3d", None),
        ("conv_transpose1d", None),
        ("conv_transpose2d", None),
        ("conv_transpose3d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 3),
        ("selu", None),
    ],
)
def test_calculate_gain(nl, param):
    assert init.calculate_gain(nl, param) == pytest.approx(tinit.calculate_gain(nl, param))


def test_calculate_gain_errors():
    for lib in (init, tinit):
        with pytest.raises(ValueError):
            lib.calculate_gain("softmax")
        with pytest.raises(ValueError):
            lib.calculate_gain("leaky_relu", "x")
        with pytest.raises(ValueError):
            lib.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (4, 3, 2, 2), (2, 3, 1, 2, 2), (0, 3)])
def test_fans(shape):
    assert init._calculate_fan_in_and_fan_out(
        ember.empty(shape)
    ) == tinit._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_fan_errors():
    for lib, mod in ((ember, init), (torch, tinit)):
        with pytest.raises(ValueError):
            mod._calculate_fan_in_and_fan_out(lib.empty(3))
        with pytest.raises(ValueError):
            mod.kaiming_uniform_(lib.empty(3, 4), mode="fan_avg")
        with pytest.raises(ValueError):
            mod.xavier_uniform_(lib.empty(5))
        with pytest.raises(ValueError):
            mod.eye_(lib.empty(2, 2, 2))
        with pytest.raises(ValueError):
            mod.dirac_(lib.empty(2, 2))
        with pytest.raises(ValueError):
            mod.orthogonal_(lib.empty(4))
        with pytest.raises(ValueError):
            mod.sparse_(lib.empty(2, 2, 2), 0.5)


def _stats(fn_e, fn_t, shape=(300, 400)):
    e = fn_e(ember.empty(shape)).numpy()
    t = fn_t(torch.empty(shape)).numpy()
    return e, t


@pytest.fixture(autouse=True)
def _seeded():
    ember.manual_seed(0)
    torch.manual_seed(0)


def _same_distribution(e, t, bounded=False):
    scale = t.std()
    tol = 6 * scale / math.sqrt(e.size)  # six standard errors
    assert abs(e.mean() - t.mean()) < tol
    assert abs(e.std() - t.std()) < tol
    if bounded:  # uniform draws: both fill (nearly) the same interval
        assert abs(e.min() - t.min()) < 0.01 * scale and abs(e.max() - t.max()) < 0.01 * scale


def test_uniform_and_normal():
    e, t = _stats(lambda x: init.uniform_(x, -2, 3), lambda x: tinit.uniform_(x, -2, 3))
    assert e.min() >= -2 and e.max() < 3
    _same_distribution(e, t, bounded=True)
    e, t = _stats(lambda x: init.normal_(x, 1.5, 0.3), lambda x: tinit.normal_(x, 1.5, 0.3))
    _same_distribution(e, t)


@pytest.mark.parametrize("mean,std,a,b", [(0, 1, -2, 2), (0.5, 2, -1, 3), (0, 0.02, -0.04, 0.04)])
def test_trunc_normal(mean, std, a, b):
    e, t = _stats(
        lambda x: init.trunc_normal_(x, mean, std, a, b),
        lambda x: tinit.trunc_normal_(x, mean, std, a, b),
    )
    assert e.min() >= a and e.max() <= b
    _same_distribution(e, t, bounded=(b - a) / std < 3)


def test_constants():
    for fe, ft in (
        (lambda x: init.constant_(x, 0.7), lambda x: tinit.constant_(x, 0.7)),
        (init.ones_, tinit.ones_),
        (init.zeros_, tinit.zeros_),
        (init.eye_, tinit.eye_),
    ):
        for shape in ((3, 5), (4, 2)):
            np.testing.assert_array_equal(
                fe(ember.empty(shape)).numpy(), ft(torch.empty(shape)).numpy()
            )


@pytest.mark.parametrize(
    "shape,groups", [((4, 3, 3), 1), ((6, 2, 3, 3), 2), ((4, 4, 1, 3, 3), 1), ((2, 5, 3), 1)]
)
def test_dirac(shape, groups):
    np.testing.assert_array_equal(
        init.dirac_(ember.empty(shape), groups).numpy(),
        tinit.dirac_(torch.empty(shape), groups).numpy(),
    )


@pytest.mark.parametrize("shape", [(300, 400), (64, 32, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier(shape, gain):
    e, t = _stats(
        lambda x: init.xavier_uniform_(x, gain), lambda x: tinit.xavier_uniform_(x, gain), shape
    )
    fan_in, fan_out = tinit._calculate_fan_in_and_fan_out(torch.empty(shape))
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(e).max() <= bound
    _same_distribution(e, t, bounded=True)
    e, t = _stats(
        lambda x: init.xavier_normal_(x, gain), lambda x: tinit.xavier_normal_(x, gain), shape
    )
    _same_distribution(e, t)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"a": math.sqrt(5)},
        {"mode": "fan_out"},
        {"nonlinearity": "relu"},
        {"nonlinearity": "tanh", "a": 0.1},
    ],
)
@pytest.mark.parametrize("shape", [(300, 400), (64, 32, 3, 3)])
def test_kaiming(kw, shape):
    e, t = _stats(
        lambda x: init.kaiming_uniform_(x, **kw), lambda x: tinit.kaiming_uniform_(x, **kw), shape
    )
    _same_distribution(e, t, bounded=True)
    e, t = _stats(
        lambda x: init.kaiming_normal_(x, **kw), lambda x: tinit.kaiming_normal_(x, **kw), shape
    )
    _same_distribution(e, t)


def test_kaiming_empty_tensor():
    assert init.kaiming_uniform_(ember.empty(0, 3)).shape == (0, 3)


@pytest.mark.parametrize("shape,gain", [((5, 8), 1.0), ((8, 5), 2.0), ((6, 2, 2, 2), 0.5)])
def test_orthogonal(shape, gain):
    w = init.orthogonal_(ember.empty(shape), gain).numpy().reshape(shape[0], -1)
    rows, cols = w.shape
    if rows <= cols:
        np.testing.assert_allclose(w @ w.T, gain**2 * np.eye(rows), atol=1e-5)
    else:
        np.testing.assert_allclose(w.T @ w, gain**2 * np.eye(cols), atol=1e-5)


@pytest.mark.parametrize("sparsity", [0.1, 0.5, 0.9])
def test_sparse(sparsity):
    e = init.sparse_(ember.empty(200, 300), sparsity, std=0.1).numpy()
    t = tinit.sparse_(torch.empty(200, 300), sparsity, std=0.1).numpy()
    np.testing.assert_array_equal((e == 0).sum(0), (t == 0).sum(0))
    assert abs(e[e != 0].std() - t[t != 0].std()) < 0.005


def test_inits_do_not_record_grad():
    w = ember.nn.Parameter(ember.empty(4, 5))
    for fn in (
        init.xavier_uniform_,
        init.kaiming_normal_,
        init.orthogonal_,
        init.zeros_,
        lambda x: init.trunc_normal_(x, std=0.02),
    ):
        out = fn(w)
        assert out is w and w.grad_fn is None and w.requires_grad


def test_generator_reproducible():
    g1, g2 = ember.Generator().manual_seed(3), ember.Generator().manual_seed(3)
    a = init.kaiming_uniform_(ember.empty(10, 10), generator=g1).numpy()
    b = init.kaiming_uniform_(ember.empty(10, 10), generator=g2).numpy()
    np.testing.assert_array_equal(a, b)
