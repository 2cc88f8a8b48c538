"""``torch.relu_(x)``, ``torch.exp_(x)``...: the top-level in-place functions write into their
input and return it, like the methods, with torch's values."""

import numpy as np
import pytest
import torch

import ember

rng = np.random.default_rng(0)

CASES = [
    ("relu_", (), {}), ("exp_", (), {}), ("sigmoid_", (), {}), ("tanh_", (), {}),
    ("neg_", (), {}), ("clamp_", (-0.5, 0.5), {}), ("clamp_min_", (0.1,), {}),
    ("fill_", (3.0,), {}), ("zero_", (), {}), ("sqrt_", (), {}), ("round_", (), {}),
    ("nan_to_num_", (), {"nan": 0.0}),
]  # fmt: skip


@pytest.mark.parametrize("name, args, kwargs", CASES)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 0, 3)])
def test_inplace_function_matches_torch(name, args, kwargs, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    if name == "sqrt_":
        x = np.abs(x)
    t = torch.tensor(x)
    e = ember.tensor(x)
    rt = getattr(torch, name)(t, *args, **kwargs)
    re = getattr(ember, name)(e, *args, **kwargs)
    assert re is e and rt is t
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)


def test_inplace_function_on_a_view_writes_the_base():
    base = ember.tensor([[-1.0, 2.0], [3.0, -4.0]])
    ember.relu_(base[:, 1])
    np.testing.assert_array_equal(base.numpy(), [[-1.0, 2.0], [3.0, 0.0]])


def test_inplace_function_on_a_leaf_requiring_grad_raises():
    x = ember.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        ember.relu_(x)
