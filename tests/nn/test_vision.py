"""Resampling against torch: interpolate (every mode, size / scale_factor, align_corners,
recompute_scale_factor), Upsample layers, pixel (un)shuffle, channel shuffle, grid_sample,
affine_grid; values and gradients of every input."""

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F

rng = np.random.default_rng(3)


def _close(t, e, tol):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def compare(tfn, efn, arrays, dtype="float64"):
    tol = 1e-9 if dtype == "float64" else 2e-5
    ts = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in arrays]
    es = [ember.tensor(a, dtype=getattr(ember, dtype), requires_grad=True) for a in arrays]
    ty, ey = tfn(*ts), efn(*es)
    _close(ty, ey, tol)
    g = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(g, dtype=ty.dtype))
    ey.backward(ember.tensor(g, dtype=ey.dtype))
    for t, e in zip(ts, es):
        _close(t.grad, e.grad, tol)


INTERP = [
    ((2, 3, 5, 4), dict(scale_factor=2)),
    ((2, 3, 5, 4), dict(size=(7, 3))),
    ((2, 3, 5, 4), dict(scale_factor=2.5, mode="nearest-exact")),
    ((2, 3, 5), dict(size=8, mode="nearest")),
    ((2, 3, 5, 4), dict(size=(7, 9), mode="bilinear")),
    ((2, 3, 5, 4), dict(size=(7, 9), mode="bilinear", align_corners=True)),
    ((2, 3, 5, 4), dict(scale_factor=(1.7, 2.3), mode="bilinear")),
    ((2, 3, 5, 4), dict(scale_factor=(1.7, 2.3), mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 5, 4), dict(size=(3, 2), mode="bilinear")),
    ((2, 3, 5, 4), dict(scale_factor=(1.7, 2.3), mode="bicubic")),
    ((2, 3, 5, 4), dict(size=(3, 3), mode="bicubic", align_corners=True)),
    ((2, 3, 5, 4), dict(size=(5, 4), mode="bicubic")),
    ((2, 3, 5, 4), dict(size=(3, 2), mode="area")),
    ((2, 3, 5), dict(size=8, mode="linear")),
    ((2, 3, 5), dict(scale_factor=0.5, mode="linear", align_corners=True)),
    ((1, 2, 3, 4, 5), dict(scale_factor=1.5, mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(size=(2, 5, 3), mode="nearest")),
]


@pytest.mark.parametrize("shape,kw", INTERP)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_interpolate(shape, kw, dtype):
    compare(lambda t: torch.nn.functional.interpolate(t, **kw), lambda e: F.interpolate(e, **kw),
            [rng.standard_normal(shape)], dtype)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
@pytest.mark.parametrize("kw", [dict(size=(3, 4)), dict(scale_factor=(0.37, 1.7)),
                                dict(size=(13, 20)), dict(size=(1, 1)),
                                dict(scale_factor=0.3, recompute_scale_factor=True)],
                         ids=["down", "mixed", "up", "to1", "recompute"])
def test_interpolate_antialias(mode, kw):
    x = [rng.standard_normal((2, 3, 8, 7))]
    fn = lambda lib: lambda t: lib.nn.functional.interpolate(t, mode=mode, antialias=True, **kw)
    compare(fn(torch), fn(ember), x)
    if mode != "lanczos":
        fn = lambda lib: lambda t: lib.nn.functional.interpolate(t, mode=mode, antialias=True,
                                                                 align_corners=True, **kw)
        compare(fn(torch), fn(ember), x, "float32")


def test_interpolate_gradgradcheck():
    x = ember.randn(1, 2, 3, 4, dtype=ember.float64, requires_grad=True)
    for mode in ["bilinear", "bicubic", "nearest"]:
        fn = lambda x: F.interpolate(x, size=(5, 3), mode=mode)
        assert ember.autograd.gradcheck(fn, (x,))
        assert ember.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4, 4), size=2, scale_factor=2),
    lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4, 4)),
    lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4, 4), size=2, align_corners=True),
    lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4), size=2, mode="bilinear"),
    lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4, 4), size=(2, 2, 2)),
    lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4, 4), size=2, mode="lanczos"),
    lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4, 4), size=2, mode="lanczos",
                                              antialias=True, align_corners=True),
    lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4, 4), size=2, antialias=True),
    lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4), size=2, mode="linear",
                                              antialias=True),
])
def test_interpolate_errors(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value)):
        call(ember)


def test_native_channel_shuffle():
    x = rng.standard_normal((2, 6, 3, 2))
    t = torch.nn.functional.native_channel_shuffle(torch.tensor(x), 3)
    e = F.native_channel_shuffle(ember.tensor(x), 3)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("name,args,shape", [
    ("Upsample", dict(scale_factor=2), (2, 3, 4, 3)),
    ("Upsample", dict(size=(3, 5), mode="bilinear"), (2, 3, 4, 3)),
    ("Upsample", dict(scale_factor=(2, 1.5), mode="bicubic", align_corners=True), (2, 3, 4, 3)),
    ("UpsamplingNearest2d", dict(scale_factor=2), (2, 3, 4, 3)),
    ("UpsamplingBilinear2d", dict(size=5), (2, 3, 4, 3)),
    ("PixelShuffle", dict(upscale_factor=2), (2, 8, 3, 4)),
    ("PixelUnshuffle", dict(downscale_factor=2), (2, 3, 4, 6)),
    ("ChannelShuffle", dict(groups=3), (2, 6, 3, 2)),
])
def test_resample_modules(name, args, shape):
    tm = getattr(torch.nn, name)(**args)
    em = getattr(ember.nn, name)(**args)
    assert repr(em) == repr(tm)
    compare(tm, em, [rng.standard_normal(shape)], "float32")


@pytest.mark.parametrize("fn,shape", [
    ("pixel_shuffle", (2, 8, 3, 4)), ("pixel_shuffle", (3, 2, 9, 2, 2)),
    ("pixel_unshuffle", (2, 3, 4, 6)), ("channel_shuffle", (2, 6, 3))])
def test_shuffles(fn, shape):
    arg = 3 if shape == (3, 2, 9, 2, 2) else 2
    compare(lambda t: getattr(torch.nn.functional, fn)(t, arg), lambda e: getattr(F, fn)(e, arg),
            [rng.standard_normal(shape)])


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample(mode, padding_mode, align_corners):
    x = rng.standard_normal((2, 3, 5, 4))
    grid = rng.uniform(-1.3, 1.3, (2, 3, 6, 2))
    grid[0, 0, :2] = [[-3.7, 2.9], [4.2, -5.1]]  # several reflections
    compare(lambda a, b: torch.nn.functional.grid_sample(a, b, mode, padding_mode, align_corners),
            lambda a, b: F.grid_sample(a, b, mode, padding_mode, align_corners), [x, grid])


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_3d(mode, padding_mode):
    x = rng.standard_normal((2, 2, 3, 5, 4))
    grid = rng.uniform(-1.3, 1.3, (2, 2, 3, 4, 3))
    for ac in (False, True):
        compare(lambda a, b: torch.nn.functional.grid_sample(a, b, mode, padding_mode, ac),
                lambda a, b: F.grid_sample(a, b, mode, padding_mode, ac), [x, grid])


def test_grid_sample_float32_and_errors():
    x = rng.standard_normal((1, 2, 4, 5))
    grid = rng.uniform(-1.1, 1.1, (1, 3, 3, 2))
    compare(lambda a, b: torch.nn.functional.grid_sample(a, b, "bicubic", align_corners=False),
            lambda a, b: F.grid_sample(a, b, "bicubic", align_corners=False), [x, grid], "float32")
    for call in [
        lambda lib: lib.nn.functional.grid_sample(lib.zeros(1, 2, 3, 3, 3), lib.zeros(1, 2, 2, 2, 3),
                                                  "bicubic", align_corners=False),
        lambda lib: lib.nn.functional.grid_sample(lib.zeros(1, 2, 3, 3), lib.zeros(1, 2, 2, 3)),
        lambda lib: lib.nn.functional.grid_sample(lib.zeros(1, 2, 3, 3), lib.zeros(1, 2, 2, 2),
                                                  "cubic"),
    ]:
        with pytest.raises(Exception) as te:
            call(torch)
        with pytest.raises(type(te.value)):
            call(ember)


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 3, 4, 5, 3)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid(size, align_corners):
    theta = rng.standard_normal((2, 2, 3) if len(size) == 4 else (2, 3, 4))
    compare(lambda t: torch.nn.functional.affine_grid(t, size, align_corners),
            lambda e: F.affine_grid(e, size, align_corners), [theta])


def test_spatial_transformer_pipeline():
    x = rng.standard_normal((2, 3, 6, 5))
    theta = np.tile(np.array([[0.9, 0.1, 0.05], [-0.1, 1.1, 0.0]]), (2, 1, 1))

    def run(F_, a, t):
        grid = F_.affine_grid(t, (2, 3, 4, 4), align_corners=False)
        return F_.grid_sample(a, grid, align_corners=False)

    compare(lambda a, t: run(torch.nn.functional, a, t), lambda a, t: run(F, a, t), [x, theta])
