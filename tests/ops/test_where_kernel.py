"""The branch-free CPU ``where`` (large arrays) against torch: bit-exact, broadcasting, every
4- and 8-byte dtype, nan / inf / -0.0 carried through, and gradients."""

import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
@pytest.mark.parametrize("shapes", [((64, 100), (64, 100), (64, 100)),
                                    ((64, 100), (64, 100), ()),
                                    ((100,), (64, 100), (1, 100)),
                                    ((64, 1), (64, 100), (64, 100))])
def test_where_matches_torch_bit_for_bit(dtype, shapes):
    rng = np.random.default_rng(0)
    cs, as_, bs = shapes
    c = rng.random(cs) > 0.5
    a = (rng.standard_normal(as_) * 10).astype(dtype)
    b = (rng.standard_normal(bs) * 10).astype(dtype)
    if dtype.startswith("float"):
        a.flat[:3] = [np.nan, np.inf, -0.0]
        b.flat[0] = -0.0
    ours = ember.where(ember.tensor(c), ember.tensor(a), ember.tensor(b)).numpy()
    theirs = torch.where(torch.tensor(c), torch.tensor(a), torch.tensor(b)).numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert ours.tobytes() == theirs.tobytes()


def test_where_on_a_transposed_input_and_its_gradient():
    rng = np.random.default_rng(1)
    c = rng.random((80, 90)) > 0.3
    a = rng.standard_normal((90, 80)).astype(np.float32)
    b = rng.standard_normal((80, 90)).astype(np.float32)
    g = rng.standard_normal((80, 90)).astype(np.float32)
    results = []
    for lib in (ember, torch):
        ta, tb = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = lib.where(lib.tensor(c), ta.t(), tb)
        out.backward(lib.tensor(g))
        results.append((out.detach().numpy(), ta.grad.numpy(), tb.grad.numpy()))
    for x, y in zip(*results, strict=True):
        np.testing.assert_array_equal(x, y)
