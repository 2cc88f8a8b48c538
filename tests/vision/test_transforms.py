"""ember.vision.transforms against torchvision.transforms: same outputs for deterministic
transforms (tensor and PIL inputs), same shapes and distributions for random ones."""

import numpy as np
import pytest

import ember
import ember.vision.transforms as ET
import ember.vision.transforms.functional as EF
from tests.vision._torchvision import load

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")
tv = load()
TT = tv.transforms
TF = tv.transforms.functional
IM = TF.InterpolationMode

RNG = np.random.default_rng(0)
FLOAT = RNG.random((3, 17, 23), dtype=np.float32)
BYTE = (RNG.random((3, 17, 23)) * 255).astype(np.uint8)
BATCH = RNG.random((2, 3, 9, 11), dtype=np.float32)
GRAY = (RNG.random((1, 12, 10)) * 255).astype(np.uint8)


def _pil(arr):
    """A PIL image of a (C, H, W) uint8 array."""
    hwc = arr.transpose(1, 2, 0)
    return Image.fromarray(hwc[:, :, 0] if hwc.shape[2] == 1 else hwc)


def _same(e, t, atol=0.0):
    e = e.numpy() if isinstance(e, ember.Tensor) else np.asarray(e)
    t = t.numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    assert e.shape == t.shape
    assert e.dtype == t.dtype
    np.testing.assert_allclose(e.astype(np.float64), t.astype(np.float64), rtol=0, atol=atol)


def _both(fn_e, fn_t, arr, atol=0.0, **kw):
    _same(fn_e(ember.tensor(arr), **kw), fn_t(torch.tensor(arr), **kw), atol)


# ----------------------------------------------------------------------------- conversion


@pytest.mark.parametrize(
    "arr",
    [BYTE.transpose(1, 2, 0), FLOAT.transpose(1, 2, 0), BYTE[0], BYTE.transpose(1, 2, 0)[::2, 1:]],
)
def test_to_tensor_numpy(arr):
    out = ET.ToTensor()(arr)
    _same(out, TT.ToTensor()(arr), 1e-7)
    assert out.is_contiguous()


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "1", "I", "F", "P"])
def test_to_tensor_and_pil_to_tensor_pil(mode):
    img = _pil(BYTE).convert(mode)
    _same(ET.ToTensor()(img), TT.ToTensor()(img), 1e-7)
    if mode != "1":
        _same(ET.PILToTensor()(img), TT.PILToTensor()(img))


def test_to_tensor_errors():
    with pytest.raises(TypeError):
        EF.to_tensor([1, 2, 3])
    with pytest.raises(ValueError):
        EF.to_tensor(np.zeros((1, 2, 3, 4), np.uint8))
    with pytest.raises(TypeError):
        EF.pil_to_tensor(np.zeros((2, 2), np.uint8))


@pytest.mark.parametrize("arr", [FLOAT, BYTE, GRAY])
def test_to_pil_image_round_trip(arr):
    e = EF.to_pil_image(ember.tensor(arr))
    t = TF.to_pil_image(torch.tensor(arr))
    assert e.mode == t.mode and e.size == t.size
    np.testing.assert_array_equal(np.asarray(e), np.asarray(t))


@pytest.mark.parametrize(
    "src,dst",
    [
        ("uint8", "float32"),
        ("float32", "uint8"),
        ("float64", "int16"),
        ("uint8", "int32"),
        ("int32", "uint8"),
        ("float32", "float64"),
    ],
)
def test_convert_image_dtype(src, dst):
    arr = BYTE.astype(src) if "int" in src else FLOAT.astype(src)
    _same(
        ET.ConvertImageDtype(getattr(ember, dst))(ember.tensor(arr)),
        TT.ConvertImageDtype(getattr(torch, dst))(torch.tensor(arr)),
        1e-7,
    )


def test_convert_image_dtype_unsafe_cast():
    with pytest.raises(RuntimeError):
        EF.convert_image_dtype(ember.rand(3, 2, 2), ember.int32)


@pytest.mark.parametrize("arr", [FLOAT, BATCH])
def test_normalize(arr):
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]
    _same(
        ET.Normalize(mean, std)(ember.tensor(arr)), TT.Normalize(mean, std)(torch.tensor(arr)), 1e-6
    )


def test_normalize_inplace_and_errors():
    x = ember.tensor(FLOAT)
    y = EF.normalize(x, [0.5], [0.5])
    assert y is not x and np.array_equal(x.numpy(), FLOAT)
    z = EF.normalize(x, [0.5], [0.5], inplace=True)
    assert z is x
    np.testing.assert_allclose(x.numpy(), (FLOAT - 0.5) / 0.5, rtol=1e-6)
    g = ember.tensor(FLOAT, requires_grad=True)
    EF.normalize(g, [0.5, 0.4, 0.3], [0.5, 0.2, 0.1]).sum().backward()
    np.testing.assert_allclose(g.grad.numpy()[:, 0, 0], [2.0, 5.0, 10.0], rtol=1e-6)
    with pytest.raises(ValueError):
        EF.normalize(ember.tensor(FLOAT), [0.5], [0.0, 1.0, 1.0])
    with pytest.raises(TypeError):
        EF.normalize(ember.tensor(BYTE), [0.5], [0.5])
    with pytest.raises(ValueError):
        EF.normalize(ember.rand(4, 4), [0.5], [0.5])
    with pytest.raises(ValueError):
        EF.normalize(ember.rand(3, 4, 4), [0.5], [0.0])


# ----------------------------------------------------------------------------- geometry


@pytest.mark.parametrize("size", [(8, 9), (30, 40), (17, 50), 10, [12], (17, 23)])
@pytest.mark.parametrize("mode", [IM.BILINEAR, IM.BICUBIC, IM.NEAREST, IM.NEAREST_EXACT])
def test_resize_tensor(size, mode):
    _both(lambda x: ET.Resize(size, mode)(x), lambda x: TT.Resize(size, mode)(x), FLOAT, 1e-5)
    _both(lambda x: ET.Resize(size, mode)(x), lambda x: TT.Resize(size, mode)(x), BATCH, 1e-5)
    # uint8 is resampled in float and rounded; a value at an exact .5 may round either way
    _both(lambda x: EF.resize(x, size, mode), lambda x: TF.resize(x, size, mode), BYTE, 1)


@pytest.mark.parametrize("size", [(8, 9), (30, 40)])
def test_resize_without_antialias_and_max_size(size):
    _both(EF.resize, TF.resize, FLOAT, 1e-5, size=size, antialias=False)
    _both(EF.resize, TF.resize, FLOAT, 1e-5, size=size, interpolation=IM.BICUBIC, antialias=False)
    _both(EF.resize, TF.resize, FLOAT, 1e-6, size=8, max_size=10)
    with pytest.raises(ValueError):
        EF.resize(ember.tensor(FLOAT), [8, 8], max_size=10)
    with pytest.raises(ValueError):
        ET.Resize((1, 2, 3))


@pytest.mark.parametrize("size", [(8, 9), 30, (17, 23)])
@pytest.mark.parametrize("mode", [IM.BILINEAR, IM.NEAREST, IM.BICUBIC])
def test_resize_pil(size, mode):
    img = _pil(BYTE)
    _same(np.asarray(ET.Resize(size, mode)(img)), np.asarray(TT.Resize(size, mode)(img)))


def test_resize_keeps_gradients():
    x = ember.tensor(FLOAT, requires_grad=True)
    y = EF.resize(x, [8, 9])
    xt = torch.tensor(FLOAT, requires_grad=True)
    yt = TF.resize(xt, [8, 9])
    g = RNG.random(y.shape, dtype=np.float32)
    y.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), atol=1e-6)


@pytest.mark.parametrize("size", [(5, 7), 9, (20, 30), (17, 22)])
def test_center_crop(size):
    for arr in (FLOAT, BATCH, BYTE):
        _both(lambda x: ET.CenterCrop(size)(x), lambda x: TT.CenterCrop(size)(x), arr)
    img = _pil(BYTE)
    _same(np.asarray(ET.CenterCrop(size)(img)), np.asarray(TT.CenterCrop(size)(img)))


@pytest.mark.parametrize("box", [(2, 3, 5, 7), (-2, 3, 30, 10), (10, 20, 9, 9)])
def test_crop(box):
    _both(EF.crop, TF.crop, FLOAT, 0, top=box[0], left=box[1], height=box[2], width=box[3])
    img = _pil(BYTE)
    _same(np.asarray(EF.crop(img, *box)), np.asarray(TF.crop(img, *box)))


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("padding", [2, [1, 3], [1, 2, 3, 4], [-1, 2, 3, -4]])
def test_pad(mode, padding):
    for arr in (FLOAT, BYTE, BATCH):
        _both(lambda x: ET.Pad(padding, 3, mode)(x), lambda x: TT.Pad(padding, 3, mode)(x), arr)
    if min(np.atleast_1d(padding)) >= 0:
        img = _pil(BYTE)
        _same(np.asarray(ET.Pad(padding, 3, mode)(img)), np.asarray(TT.Pad(padding, 3, mode)(img)))


def test_pad_errors():
    with pytest.raises(ValueError):
        ET.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError):
        ET.Pad([1, 2, 3])
    with pytest.raises(TypeError):
        ET.Pad("1")


def test_flips():
    for arr in (FLOAT, BATCH, BYTE):
        _both(EF.hflip, TF.hflip, arr)
        _both(EF.vflip, TF.vflip, arr)
        _both(lambda x: ET.RandomHorizontalFlip(1.0)(x), TF.hflip, arr)
        _both(lambda x: ET.RandomVerticalFlip(1.0)(x), TF.vflip, arr)
        _both(lambda x: ET.RandomHorizontalFlip(0.0)(x), lambda x: x, arr)
    img = _pil(BYTE)
    _same(np.asarray(EF.hflip(img)), np.asarray(TF.hflip(img)))
    _same(np.asarray(EF.vflip(img)), np.asarray(TF.vflip(img)))


@pytest.mark.parametrize("angle", [30, 45, 90, -17.5, 180, 77])
@pytest.mark.parametrize("expand", [False, True])
def test_rotate(angle, expand):
    for arr in (FLOAT, BATCH, BYTE):
        _both(EF.rotate, TF.rotate, arr, angle=angle, expand=expand)
        # bilinear uint8 is rounded from float32 sums; an exact .5 may round either way
        _both(
            EF.rotate,
            TF.rotate,
            arr,
            1 if arr is BYTE else 1e-5,
            angle=angle,
            expand=expand,
            center=[3, 5],
            interpolation=IM.BILINEAR,
            fill=[0.5] * arr.shape[-3],
        )
    _both(EF.rotate, TF.rotate, FLOAT, angle=angle, expand=expand, fill=[1.0, 0.5, 0.0])
    img = _pil(BYTE)
    for mode in (IM.NEAREST, IM.BILINEAR):
        _same(
            np.asarray(EF.rotate(img, angle, mode, expand, fill=[10, 20, 30])),
            np.asarray(TF.rotate(img, angle, mode, expand, fill=[10, 20, 30])),
        )


AFFINES = [
    (30, [2, -3], 1.2, [10, 5]),
    (0, [1, 1], 1.0, 0),
    (-45, [0, 0], 0.7, [20]),
    (90, [3, 2], 1.0, 15.5),
]


@pytest.mark.parametrize("angle,translate,scale,shear", AFFINES)
@pytest.mark.parametrize("mode", [IM.NEAREST, IM.BILINEAR])
def test_affine(angle, translate, scale, shear, mode):
    for arr in (FLOAT, BATCH, BYTE):
        for center in (None, [4, 6]):
            atol = 1 if arr is BYTE and mode == IM.BILINEAR else 1e-5
            _both(
                EF.affine,
                TF.affine,
                arr,
                atol,
                angle=angle,
                translate=translate,
                scale=scale,
                shear=shear,
                interpolation=mode,
                center=center,
                fill=[0.5],
            )
    img = _pil(BYTE)
    e = EF.affine(img, angle, translate, scale, shear, interpolation=mode, fill=[1, 2, 3])
    t = TF.affine(img, angle, translate, scale, shear, interpolation=mode, fill=[1, 2, 3])
    _same(np.asarray(e), np.asarray(t))


def test_random_affine():
    ra = ET.RandomAffine(15, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=(-5, 5, -3, 3))
    ember.manual_seed(0)
    draws = [
        ra.get_params(ra.degrees, ra.translate, ra.scale, ra.shear, [23, 17]) for _ in range(200)
    ]
    angles = [d[0] for d in draws]
    assert -15 <= min(angles) < -10 and 10 < max(angles) <= 15
    assert all(abs(d[1][0]) <= 2 and abs(d[1][1]) <= 3 and 0.8 <= d[2] <= 1.2 for d in draws)
    assert all(-5 <= d[3][0] <= 5 and -3 <= d[3][1] <= 3 for d in draws)
    ember.manual_seed(4)
    params = ra.get_params(ra.degrees, ra.translate, ra.scale, ra.shear, [23, 17])
    ember.manual_seed(4)
    _same(ra(ember.tensor(FLOAT)), TF.affine(torch.tensor(FLOAT), *params, fill=[0.0] * 3))
    assert ET.RandomAffine(5)(_pil(BYTE)).size == (23, 17)
    for args in [(-1,), (5, (0.1, 2.0)), (5, None, (0.0, 1.0))]:
        with pytest.raises(ValueError):
            ET.RandomAffine(*args)
    for e, t in [
        (
            ET.RandomAffine(0, shear=(1, 2, 3, 4), interpolation=IM.BILINEAR, fill=3),
            TT.RandomAffine(0, shear=(1, 2, 3, 4), interpolation=IM.BILINEAR, fill=3),
        ),
        (
            ET.RandomAffine(10, (0.1, 0.2), (0.9, 1.1), 5),
            TT.RandomAffine(10, (0.1, 0.2), (0.9, 1.1), 5),
        ),
    ]:
        assert repr(e) == repr(t)


# ----------------------------------------------------------------------------- colour


@pytest.mark.parametrize("channels", [1, 3])
def test_grayscale(channels):
    for arr in (FLOAT, BYTE, BATCH):
        _both(lambda x: ET.Grayscale(channels)(x), lambda x: TT.Grayscale(channels)(x), arr, 1e-6)
    img = _pil(BYTE)
    _same(np.asarray(ET.Grayscale(channels)(img)), np.asarray(TT.Grayscale(channels)(img)))
    _same(ET.RandomGrayscale(1.0)(ember.tensor(BYTE)), TT.RandomGrayscale(1.0)(torch.tensor(BYTE)))


@pytest.mark.parametrize("factor", [0.0, 0.3, 1.0, 1.7])
def test_brightness_contrast_saturation(factor):
    for arr in (FLOAT, BYTE, BATCH, GRAY):
        _both(EF.adjust_brightness, TF.adjust_brightness, arr, 1e-6, brightness_factor=factor)
        _both(EF.adjust_contrast, TF.adjust_contrast, arr, 1e-6, contrast_factor=factor)
        _both(EF.adjust_saturation, TF.adjust_saturation, arr, 1e-6, saturation_factor=factor)
    img = _pil(BYTE)
    for name in ("adjust_brightness", "adjust_contrast", "adjust_saturation"):
        _same(
            np.asarray(getattr(EF, name)(img, factor)), np.asarray(getattr(TF, name)(img, factor))
        )


@pytest.mark.parametrize("hue", [-0.5, -0.4, 0.0, 0.1, 0.5])
def test_hue(hue):
    for arr in (FLOAT, BYTE, BATCH, GRAY):
        _both(EF.adjust_hue, TF.adjust_hue, arr, 1e-6, hue_factor=hue)
    img = _pil(BYTE)
    _same(np.asarray(EF.adjust_hue(img, hue)), np.asarray(TF.adjust_hue(img, hue)))


def test_color_errors():
    x = ember.tensor(FLOAT)
    with pytest.raises(ValueError):
        EF.adjust_hue(x, 0.6)
    with pytest.raises(ValueError):
        EF.adjust_brightness(x, -1)
    with pytest.raises(ValueError):
        ET.ColorJitter(brightness=-1)
    with pytest.raises(TypeError):
        ET.ColorJitter(contrast=[1, 2, 3])
    with pytest.raises(ValueError):
        ET.ColorJitter(hue=0.7)


def test_color_jitter_matches_given_factors():
    """ColorJitter applies the adjustments get_params drew, in its order."""
    cj = ET.ColorJitter(0.4, 0.4, 0.4, 0.1)
    assert cj.brightness == (0.6, 1.4) and cj.hue == (-0.1, 0.1)
    assert ET.ColorJitter().brightness is None
    ember.manual_seed(3)
    order, b, c, s, h = cj.get_params(cj.brightness, cj.contrast, cj.saturation, cj.hue)
    assert sorted(order.tolist()) == [0, 1, 2, 3]
    assert 0.6 <= b <= 1.4 and 0.6 <= c <= 1.4 and 0.6 <= s <= 1.4 and -0.1 <= h <= 0.1
    expected = torch.tensor(BYTE)
    fns = [
        (TF.adjust_brightness, b),
        (TF.adjust_contrast, c),
        (TF.adjust_saturation, s),
        (TF.adjust_hue, h),
    ]
    for i in order.tolist():
        expected = fns[i][0](expected, fns[i][1])
    ember.manual_seed(3)
    _same(cj(ember.tensor(BYTE)), expected, 1)
    ember.manual_seed(3)
    out = cj(_pil(BYTE))
    assert out.size == (23, 17) and out.mode == "RGB"


@pytest.mark.parametrize(
    "kernel_size,sigma", [(3, None), ([5, 3], [1.5, 0.7]), (7, 2.0), (1, None)]
)
def test_gaussian_blur(kernel_size, sigma):
    for arr in (FLOAT, BYTE, BATCH):
        _both(EF.gaussian_blur, TF.gaussian_blur, arr, 1e-6, kernel_size=kernel_size, sigma=sigma)
    img = _pil(BYTE)
    e = EF.gaussian_blur(img, kernel_size, sigma)
    _same(np.asarray(e), np.asarray(TF.gaussian_blur(img, kernel_size, sigma)))
    blur = ET.GaussianBlur(5, (0.5, 1.5))
    ember.manual_seed(2)
    s = blur.get_params(*blur.sigma)
    ember.manual_seed(2)
    _same(blur(ember.tensor(FLOAT)), TF.gaussian_blur(torch.tensor(FLOAT), [5, 5], [s, s]), 1e-6)
    with pytest.raises(ValueError):
        EF.gaussian_blur(ember.tensor(FLOAT), 4)
    with pytest.raises(ValueError):
        ET.GaussianBlur(3, sigma=(2.0, 1.0))


def test_random_erasing():
    x = ember.tensor(FLOAT)
    ember.manual_seed(0)
    for value in (0, [0.1, 0.2, 0.3], "random"):
        out = ET.RandomErasing(p=1.0, value=value)(x)
        changed = out.numpy() != FLOAT
        assert changed.any() and out.shape == x.shape
        rows, cols = np.nonzero(changed.any(axis=0))
        # the erased area is one rectangle
        box = changed[:, rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        assert box.any(axis=0).all() or value == "random"
        if value == [0.1, 0.2, 0.3]:
            assert np.allclose(out.numpy()[:, rows.min(), cols.min()], value)
    assert np.array_equal(x.numpy(), FLOAT)  # not in place by default
    y = ember.tensor(FLOAT)
    ember.manual_seed(1)
    assert ET.RandomErasing(p=1.0, inplace=True)(y) is y
    assert ET.RandomErasing(p=0.0)(x) is x
    with pytest.raises(ValueError):
        ET.RandomErasing(value="noise")
    with pytest.raises(ValueError):
        ET.RandomErasing(p=1.0, value=[1, 2])(x)
    with pytest.raises(ValueError):
        ET.RandomErasing(scale=(0.5, 1.5))


# ----------------------------------------------------------------------------- random transforms


def test_random_crop_params_and_padding():
    x = ember.tensor(FLOAT)
    ember.manual_seed(0)
    seen = set()
    for _ in range(40):
        i, j, h, w = ET.RandomCrop.get_params(x, (10, 20))
        assert (h, w) == (10, 20) and 0 <= i <= 7 and 0 <= j <= 3
        seen.add((i, j))
    assert len(seen) > 5
    with pytest.raises(ValueError):
        ET.RandomCrop.get_params(x, (18, 5))
    assert ET.RandomCrop.get_params(x, (17, 23)) == (0, 0, 17, 23)
    out = ET.RandomCrop(20, padding=4, padding_mode="reflect")(x)
    assert out.shape == (3, 20, 20)
    out = ET.RandomCrop((30, 30), pad_if_needed=True, fill=7)(ember.tensor(BYTE))
    assert out.shape == (3, 30, 30) and out.dtype == ember.uint8
    assert ET.RandomCrop(30, pad_if_needed=True)(_pil(BYTE)).size == (30, 30)


def test_random_crop_window_is_a_crop_of_the_padded_image():
    x = ember.tensor(BATCH)
    ember.manual_seed(1)
    out = ET.RandomCrop(9, padding=2)(x)
    padded = TF.pad(torch.tensor(BATCH), 2)
    wins = [padded[..., i : i + 9, j : j + 9].numpy() for i in range(5) for j in range(7)]
    assert any(np.array_equal(out.numpy(), w) for w in wins)


def test_random_resized_crop():
    x = ember.tensor(FLOAT)
    ember.manual_seed(0)
    areas = []
    for _ in range(200):
        i, j, h, w = ET.RandomResizedCrop.get_params(x, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i and i + h <= 17 and 0 <= j and j + w <= 23 and h > 0 and w > 0
        areas.append(h * w / (17 * 23))
    assert 0.3 < np.mean(areas) < 0.75
    out = ET.RandomResizedCrop((8, 6))(x)
    assert out.shape == (3, 8, 6)
    assert ET.RandomResizedCrop(8)(ember.tensor(BYTE)).dtype == ember.uint8
    assert ET.RandomResizedCrop(8)(_pil(BYTE)).size == (8, 8)
    # the fallback when no draw fits: a centre crop at the clamped ratio
    assert ET.RandomResizedCrop.get_params(ember.rand(3, 10, 100), (2.0, 3.0), (1.0, 1.0)) == (
        0,
        45,
        10,
        10,
    )


def test_random_rotation():
    rr = ET.RandomRotation(30)
    assert rr.degrees == [-30.0, 30.0]
    ember.manual_seed(0)
    angles = [rr.get_params(rr.degrees) for _ in range(300)]
    assert -30 <= min(angles) < -20 and 20 < max(angles) <= 30 and abs(np.mean(angles)) < 4
    ember.manual_seed(5)
    angle = rr.get_params(rr.degrees)
    ember.manual_seed(5)
    _same(rr(ember.tensor(FLOAT)), TF.rotate(torch.tensor(FLOAT), angle, fill=[0.0] * 3))
    assert ET.RandomRotation((10, 20), expand=True)(_pil(BYTE)).size[0] > 23
    with pytest.raises(ValueError):
        ET.RandomRotation(-3)


def test_random_flip_probability():
    x = ember.tensor(FLOAT)
    flip = ET.RandomHorizontalFlip(0.3)
    ember.manual_seed(0)
    flipped = sum(not np.array_equal(flip(x).numpy(), FLOAT) for _ in range(400))
    assert 80 < flipped < 160


def test_seeding_reproduces_pipelines():
    pipe = ET.Compose(
        [
            ET.RandomResizedCrop(12),
            ET.RandomHorizontalFlip(),
            ET.RandomRotation(20),
            ET.ColorJitter(0.3, 0.3, 0.3, 0.05),
        ]
    )
    ember.manual_seed(11)
    a = [pipe(ember.tensor(FLOAT)).numpy() for _ in range(3)]
    ember.manual_seed(11)
    b = [pipe(ember.tensor(FLOAT)).numpy() for _ in range(3)]
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], a[1])


def test_compose_lambda_and_reprs():
    pipe = ET.Compose([ET.ToTensor(), ET.Lambda(lambda t: t * 2), ET.Normalize((0.5,), (0.5,))])
    out = pipe(BYTE.transpose(1, 2, 0))
    np.testing.assert_allclose(out.numpy(), (BYTE / 255.0 * 2 - 0.5) / 0.5, atol=1e-6)
    with pytest.raises(TypeError):
        ET.Lambda(3)
    for e, t in [
        (ET.Normalize((0.5,), (0.5,)), TT.Normalize((0.5,), (0.5,))),
        (ET.Resize(8), TT.Resize(8)),
        (ET.CenterCrop(4), TT.CenterCrop(4)),
        (ET.RandomHorizontalFlip(), TT.RandomHorizontalFlip()),
        (ET.RandomResizedCrop(8), TT.RandomResizedCrop(8)),
        (ET.Grayscale(3), TT.Grayscale(3)),
        (ET.ToTensor(), TT.ToTensor()),
        (ET.RandomRotation(10), TT.RandomRotation(10)),
        (ET.ColorJitter(0.2), TT.ColorJitter(0.2)),
        (ET.GaussianBlur(3), TT.GaussianBlur(3)),
        (ET.RandomErasing(), TT.RandomErasing()),
        (ET.Pad(2), TT.Pad(2)),
        (ET.RandomCrop(4, padding=1), TT.RandomCrop(4, padding=1)),
    ]:
        assert repr(e) == repr(t)
    assert repr(ET.Compose([ET.ToTensor()])) == repr(TT.Compose([TT.ToTensor()]))
    assert isinstance(ET.Normalize((0.5,), (0.5,)), ember.nn.Module)
