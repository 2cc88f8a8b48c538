"""Dropout family: ember's random streams differ from torch's, so these compare behaviour:
the rate and scale of the mask, identity in eval, gradient = mask * scale, shapes, errors."""

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F  # noqa: E402


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_rate_scale_and_grad(p):
    ember.manual_seed(0)
    x = ember.ones(200, 500, requires_grad=True)
    y = F.dropout(x, p)
    out = y.detach().numpy()
    kept = out != 0
    assert abs(1 - kept.mean() - p) < 0.01
    np.testing.assert_allclose(out[kept], 1 / (1 - p), rtol=1e-6)
    g = ember.randn(200, 500)
    y.backward(g)
    np.testing.assert_allclose(x.grad.numpy(), g.numpy() * out, rtol=1e-6)


def test_dropout_eval_and_edge_p():
    x = ember.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    m = ember.nn.Dropout(0.4)
    m.eval()
    assert m(x) is x
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError):
            F.dropout(x, bad)
        with pytest.raises(ValueError):
            ember.nn.Dropout(bad)


def test_dropout_inplace():
    ember.manual_seed(1)
    x = ember.ones(100, 100)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x
    assert 0.4 < (x.numpy() == 0).mean() < 0.6
    a = ember.ones(50, 50, requires_grad=True)
    b = a * 1
    ember.nn.Dropout(0.5, inplace=True)(b)
    b.backward(ember.ones(50, 50))
    np.testing.assert_allclose(a.grad.numpy(), b.detach().numpy())


@pytest.mark.parametrize(
    "name,shape",
    [
        ("dropout1d", (40, 30, 7)),
        ("dropout1d", (300, 7)),
        ("dropout2d", (40, 30, 3, 4)),
        ("dropout3d", (20, 30, 2, 3, 2)),
        ("dropout3d", (300, 2, 2, 2)),
    ],
)
def test_channel_dropout(name, shape):
    ember.manual_seed(2)
    p = 0.3
    x = ember.ones(*shape, requires_grad=True)
    y = getattr(F, name)(x, p)
    out = y.detach().numpy()
    batched = (
        len(shape) in (3, 4, 5)
        and not (name == "dropout1d" and len(shape) == 2)
        and not (name == "dropout3d" and len(shape) == 4)
    )
    lead = 2 if batched else 1
    flat = out.reshape(int(np.prod(shape[:lead])), -1)
    # each channel is all kept (scaled) or all dropped
    assert ((flat == 0).all(1) | (flat == 1 / (1 - p)).all(1)).all()
    assert abs((flat[:, 0] == 0).mean() - p) < 0.06
    g = ember.randn(*shape)
    y.backward(g)
    np.testing.assert_allclose(x.grad.numpy(), g.numpy() * out, rtol=1e-6)


def test_channel_dropout_shape_errors():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError):
            lib.nn.functional.dropout1d(lib.randn(2, 3, 4, 5))


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_keeps_moments(feature):
    ember.manual_seed(3)
    p = 0.2
    x = ember.randn(400, 300, 1, 1) if feature else ember.randn(300, 400)
    fn = F.feature_alpha_dropout if feature else F.alpha_dropout
    y = fn(x, p, training=True).numpy()
    assert abs(y.mean()) < 0.03 and abs(y.std() - 1) < 0.03
    # torch's alpha dropout has the same moments
    t = torch.randn(300, 400)
    r = torch.nn.functional.alpha_dropout(t, p, training=True)
    assert abs(r.mean().item()) < 0.03 and abs(r.std().item() - 1) < 0.03
    assert fn(x, p, training=False) is x


def test_alpha_dropout_values_and_grad():
    ember.manual_seed(4)
    p = 0.5
    x = ember.randn(100, 100, requires_grad=True)
    y = F.alpha_dropout(x, p, training=True)
    alpha = 1.7580993408473766
    a = 1 / np.sqrt((alpha**2 * p + 1) * (1 - p))
    xv, yv = x.detach().numpy(), y.detach().numpy()
    dropped = np.isclose(yv, -alpha * a + alpha * a * p)
    kept = np.isclose(yv, xv * a + alpha * a * p, rtol=1e-5, atol=1e-6)
    assert (dropped | kept).all()
    y.backward(ember.ones(100, 100))
    np.testing.assert_allclose(
        x.grad.numpy(),
        np.where(kept & ~dropped, a, 0) + np.where(kept & dropped, x.grad.numpy(), 0),
        rtol=1e-5,
    )


@pytest.mark.parametrize(
    "name",
    ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"],
)
def test_module_repr(name):
    em, tm = getattr(ember.nn, name)(0.25, True), getattr(torch.nn, name)(0.25, True)
    assert repr(em) == repr(tm)
    assert repr(getattr(ember.nn, name)()) == repr(getattr(torch.nn, name)())
