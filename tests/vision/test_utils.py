"""ember.vision.utils.make_grid / save_image against torchvision.utils."""

import io

import numpy as np
import pytest

import ember
import ember.vision.utils as EU
from tests.vision._torchvision import load

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")
tv = load()
TU = tv.utils

SHAPES = [(10, 3, 8, 8), (1, 3, 5, 5), (3, 1, 4, 6), (6, 8), (1, 7, 7), (4, 2, 5, 5)]
OPTIONS = [
    {},
    {"nrow": 3, "padding": 1, "pad_value": 0.5},
    {"padding": 0},
    {"normalize": True},
    {"normalize": True, "scale_each": True},
    {"normalize": True, "value_range": (0.2, 0.8)},
    {"normalize": True, "scale_each": True, "value_range": (0.2, 0.8)},
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kwargs", OPTIONS, ids=str)
def test_make_grid(shape, kwargs):
    x = np.random.default_rng(0).random(shape, dtype=np.float32) * 3 - 1
    e = EU.make_grid(ember.tensor(x), **kwargs)
    t = TU.make_grid(torch.tensor(x), **kwargs)
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.numpy(), t.numpy(), atol=1e-6)


def test_make_grid_list_and_errors():
    x = np.random.default_rng(1).random((3, 3, 4, 4), dtype=np.float32)
    e = EU.make_grid([ember.tensor(a) for a in x], nrow=2)
    t = TU.make_grid([torch.tensor(a) for a in x], nrow=2)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    with pytest.raises(TypeError):
        EU.make_grid(x)
    with pytest.raises(TypeError):
        EU.make_grid(ember.tensor(x), normalize=True, value_range=[0, 1])


@pytest.mark.parametrize("shape", [(5, 3, 8, 8), (2, 1, 6, 6), (3, 9, 9)])
def test_save_image_png_matches_torchvision(shape, tmp_path):
    x = np.random.default_rng(2).random(shape, dtype=np.float32)
    path = tmp_path / "grid.png"
    EU.save_image(ember.tensor(x), str(path), nrow=2)
    buf = io.BytesIO()
    TU.save_image(torch.tensor(x), buf, format="png", nrow=2)
    with Image.open(path) as ours, Image.open(buf) as theirs:
        assert ours.format == "PNG" and ours.size == theirs.size and ours.mode == theirs.mode
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
