"""ember.vision.datasets: the bundled digits, IDX / CIFAR / folder datasets read from files written
here (compared with torchvision where it reads the same files), FakeData, and the no-download
errors."""

import gzip
import os
import pickle

import numpy as np
import pytest

import ember
import ember.vision.datasets as ED
import ember.vision.transforms as ET
from ember.utils.data import DataLoader
from tests.vision._torchvision import load

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")
tv = load()


# ----------------------------------------------------------------------------- Digits


def test_digits_split_and_contents():
    from sklearn.datasets import load_digits

    train, test = ED.Digits(train=True), ED.Digits(train=False)
    assert len(train) == 1437 and len(test) == 360
    assert train.data.dtype == ember.uint8 and tuple(train.data.shape) == (1437, 8, 8)
    assert train.targets.dtype == ember.int64 and tuple(test.targets.shape) == (360,)
    assert train.classes == [str(i) for i in range(10)]
    ref = load_digits()
    order = np.random.RandomState(0).permutation(1797)
    images = np.rint(ref.images * 255 / 16).astype(np.uint8)
    np.testing.assert_array_equal(train.data.numpy(), images[order[:1437]])
    np.testing.assert_array_equal(test.data.numpy(), images[order[1437:]])
    np.testing.assert_array_equal(train.targets.numpy(), ref.target[order[:1437]])
    np.testing.assert_array_equal(test.targets.numpy(), ref.target[order[1437:]])
    assert int(train.data.max()) == 255 and set(test.targets.tolist()) == set(range(10))
    # the split is fixed: a second instance is identical
    np.testing.assert_array_equal(ED.Digits().targets.numpy(), train.targets.numpy())


def test_digits_items_and_transforms():
    ds = ED.Digits(train=False)
    img, label = ds[3]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (8, 8)
    assert label == int(ds.targets[3]) and isinstance(label, int)
    np.testing.assert_array_equal(np.asarray(img), ds.data[3].numpy())
    ds = ED.Digits(train=False, transform=ET.ToTensor(), target_transform=lambda y: y + 100)
    x, y = ds[3]
    assert tuple(x.shape) == (1, 8, 8) and x.dtype == ember.float32
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0 and y >= 100
    xb, yb = next(iter(DataLoader(ds, batch_size=16)))
    assert tuple(xb.shape) == (16, 1, 8, 8) and tuple(yb.shape) == (16,)
    assert "Number of datapoints: 360" in repr(ds) and "Split: Test" in repr(ds)


# ----------------------------------------------------------------------------- MNIST


def _idx_bytes(arr, code):
    head = bytes([0, 0, code, arr.ndim]) + np.array(arr.shape, dtype=">i4").tobytes()
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def _write_mnist(folder, n_train=6, n_test=4, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        for name, arr in (
            (f"{prefix}-images-idx3-ubyte", images),
            (f"{prefix}-labels-idx1-ubyte", labels),
        ):
            data = _idx_bytes(arr, 0x08)
            path = os.path.join(folder, name + (".gz" if gz else ""))
            with gzip.open(path, "wb") if gz else open(path, "wb") as f:
                f.write(data)
        arrays[prefix] = (images, labels)
    return arrays


@pytest.mark.parametrize("train", [True, False])
def test_mnist_matches_torchvision(tmp_path, train):
    arrays = _write_mnist(tmp_path / "MNIST" / "raw")
    e = ED.MNIST(str(tmp_path), train=train)
    t = tv.datasets.MNIST(str(tmp_path), train=train)
    assert len(e) == len(t)
    assert e.data.dtype == ember.uint8 and e.targets.dtype == ember.int64
    np.testing.assert_array_equal(e.data.numpy(), t.data.numpy())
    np.testing.assert_array_equal(e.targets.numpy(), t.targets.numpy())
    np.testing.assert_array_equal(e.data.numpy(), arrays["train" if train else "t10k"][0])
    assert e.classes == t.classes and e.class_to_idx == t.class_to_idx
    for i in (0, len(e) - 1):
        (ei, el), (ti, tl) = e[i], t[i]
        assert el == tl and type(el) is type(tl) and ei.mode == ti.mode
        np.testing.assert_array_equal(np.asarray(ei), np.asarray(ti))
    tt = tv.transforms
    e2 = ED.MNIST(
        str(tmp_path),
        train=train,
        transform=ET.Compose([ET.ToTensor(), ET.Normalize((0.13,), (0.3,))]),
    )
    t2 = tv.datasets.MNIST(
        str(tmp_path),
        train=train,
        transform=tt.Compose([tt.ToTensor(), tt.Normalize((0.13,), (0.3,))]),
    )
    np.testing.assert_allclose(e2[1][0].numpy(), t2[1][0].numpy(), atol=1e-6)
    assert e.extra_repr() == f"Split: {'Train' if train else 'Test'}"


@pytest.mark.parametrize("layout", ["root", "name", "raw"])
def test_mnist_layouts_and_gzip(tmp_path, layout):
    folder = {
        "root": tmp_path,
        "name": tmp_path / "FashionMNIST",
        "raw": tmp_path / "FashionMNIST" / "raw",
    }[layout]
    arrays = _write_mnist(folder, gz=True, seed=1)
    ds = ED.FashionMNIST(str(tmp_path), train=False)
    np.testing.assert_array_equal(ds.data.numpy(), arrays["t10k"][0])
    np.testing.assert_array_equal(ds.targets.numpy(), arrays["t10k"][1])
    assert ds.classes == tv.datasets.FashionMNIST.classes
    assert ds.raw_folder == str(folder)


def test_mnist_missing_files_and_download(tmp_path):
    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte") as info:
        ED.MNIST(str(tmp_path))
    assert "never downloads" in str(info.value)
    with pytest.raises(RuntimeError, match="never downloads"):
        ED.MNIST(str(tmp_path), train=False, download=True)
    # files present: download=True has nothing to do, as in torchvision
    _write_mnist(tmp_path / "MNIST" / "raw")
    assert len(ED.MNIST(str(tmp_path), download=True)) == 6


def test_mnist_corrupt_file(tmp_path):
    _write_mnist(tmp_path)
    with open(tmp_path / "t10k-images-idx3-ubyte", "wb") as f:
        f.write(b"\x01\x02\x03\x04garbage")
    with pytest.raises(RuntimeError, match="not an IDX file"):
        ED.MNIST(str(tmp_path), train=False)
    with open(tmp_path / "t10k-images-idx3-ubyte", "wb") as f:
        f.write(_idx_bytes(np.zeros((4, 28, 28), np.uint8), 0x08)[:100])
    with pytest.raises(RuntimeError, match="truncated"):
        ED.MNIST(str(tmp_path), train=False)


@pytest.mark.skipif(
    not os.path.isdir("/usr/share/datasets/fashion-mnist"),
    reason="Debian's dataset-fashion-mnist package is not installed",
)
def test_fashion_mnist_from_debian_package(tmp_path):
    ds = ED.FashionMNIST(str(tmp_path / "elsewhere"), train=False)
    assert len(ds) == 10000 and tuple(ds.data.shape) == (10000, 28, 28)
    assert ds.raw_folder == "/usr/share/datasets/fashion-mnist"
    assert sorted(set(ds.targets.tolist())) == list(range(10))
    same = ED.FashionMNIST("/usr/share/datasets/fashion-mnist", train=False)
    np.testing.assert_array_equal(same.targets[:100].numpy(), ds.targets[:100].numpy())


# ----------------------------------------------------------------------------- CIFAR-10


def _write_cifar(folder, per_batch=3, bytes_keys=True):
    rng = np.random.default_rng(2)
    os.makedirs(folder, exist_ok=True)

    def key(k):
        return k.encode() if bytes_keys else k

    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, per_batch).tolist()
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump(
                {key("data"): data, key("labels"): labels, key("batch_label"): name}, f, protocol=2
            )
        batches[name] = (data, labels)
    names = [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ]
    with open(os.path.join(folder, "batches.meta"), "wb") as f:
        pickle.dump(
            {key("label_names"): [n.encode() if bytes_keys else n for n in names]}, f, protocol=2
        )
    return batches, names


@pytest.mark.parametrize("bytes_keys", [True, False])
def test_cifar10_from_local_batches(tmp_path, bytes_keys):
    batches, names = _write_cifar(tmp_path / "cifar-10-batches-py", bytes_keys=bytes_keys)
    train = ED.CIFAR10(str(tmp_path), train=True, transform=ET.ToTensor())
    test = ED.CIFAR10(str(tmp_path), train=False)
    assert len(train) == 15 and len(test) == 3
    assert train.data.shape == (15, 32, 32, 3) and train.data.dtype == np.uint8
    assert train.classes == names and train.class_to_idx["cat"] == 3
    assert train.targets == sum((batches[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    expected = batches["test_batch"][0].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(test.data, expected)
    img, label = test[1]
    assert (
        isinstance(img, Image.Image)
        and img.size == (32, 32)
        and label == batches["test_batch"][1][1]
    )
    np.testing.assert_array_equal(np.asarray(img), expected[1])
    x, _ = train[0]
    assert tuple(x.shape) == (3, 32, 32)
    # torchvision's transform pipeline on the same PIL image gives the same tensor
    np.testing.assert_allclose(
        x.numpy(), tv.transforms.ToTensor()(Image.fromarray(train.data[0])).numpy()
    )


def test_cifar10_missing_and_unsafe_pickles(tmp_path):
    with pytest.raises(RuntimeError, match="data_batch_1"):
        ED.CIFAR10(str(tmp_path))
    _write_cifar(tmp_path)  # directly in root

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with open(tmp_path / "test_batch", "wb") as f:
        pickle.dump({"data": Evil(), "labels": [0]}, f)
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        ED.CIFAR10(str(tmp_path), train=False)
    assert len(ED.CIFAR10(str(tmp_path), train=True)) == 15


# ----------------------------------------------------------------------------- ImageFolder


def _write_folder(root):
    rng = np.random.default_rng(3)
    made = {}
    for cls, n in (("dog", 2), ("cat", 3), ("bird", 1)):
        os.makedirs(root / cls, exist_ok=True)
        for i in range(n):
            arr = rng.integers(0, 256, (5 + i, 7, 3), dtype=np.uint8)
            path = root / cls / f"img{i}.png"
            Image.fromarray(arr).save(path)
            made[str(path)] = arr
    (root / "cat" / "notes.txt").write_text("not an image")
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(root / "cat" / "gray.bmp")
    return made


def test_image_folder_matches_torchvision(tmp_path):
    made = _write_folder(tmp_path)
    e = ED.ImageFolder(str(tmp_path))
    t = tv.datasets.ImageFolder(str(tmp_path))
    assert e.classes == t.classes == ["bird", "cat", "dog"]
    assert e.class_to_idx == t.class_to_idx
    assert e.samples == t.samples and e.imgs == e.samples and e.targets == t.targets
    assert len(e) == 7
    for i in range(len(e)):
        (ei, el), (ti, tl) = e[i], t[i]
        assert el == tl and ei.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(ei), np.asarray(ti))
        if e.samples[i][0] in made:
            np.testing.assert_array_equal(np.asarray(ei), made[e.samples[i][0]])
    tf = ET.Compose([ET.Resize((6, 6)), ET.ToTensor()])
    ds = ED.ImageFolder(str(tmp_path), transform=tf)
    xb, yb = next(iter(DataLoader(ds, batch_size=7)))
    assert tuple(xb.shape) == (7, 3, 6, 6) and yb.tolist() == t.targets


def test_image_folder_filters_and_errors(tmp_path):
    _write_folder(tmp_path)
    only_png = ED.ImageFolder(str(tmp_path), is_valid_file=lambda p: p.endswith(".png"))
    assert len(only_png) == 6
    os.makedirs(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="empty"):
        ED.ImageFolder(str(tmp_path))
    assert len(ED.ImageFolder(str(tmp_path), allow_empty=True).classes) == 4
    with pytest.raises(FileNotFoundError):
        ED.ImageFolder(str(tmp_path / "empty"))
    loaded = ED.DatasetFolder(
        str(tmp_path), loader=lambda p: open(p).read(), extensions=(".txt",), allow_empty=True
    )
    assert [s[1] for s in loaded.samples] == [loaded.class_to_idx["cat"]]
    assert loaded[0][0] == "not an image"


# ----------------------------------------------------------------------------- FakeData


def test_fake_data():
    ds = ED.FakeData(size=6, image_size=(3, 10, 12), num_classes=4)
    assert len(ds) == 6
    img, label = ds[2]
    assert isinstance(img, Image.Image) and img.size == (12, 10) and img.mode == "RGB"
    assert 0 <= label < 4
    again, label2 = ds[2]
    assert label2 == label and np.array_equal(np.asarray(again), np.asarray(img))
    state = ember.get_rng_state()
    ds[0]
    assert ember.equal(state, ember.get_rng_state())
    with pytest.raises(IndexError):
        ds[6]
    labels = {ED.FakeData(200, (1, 2, 2), 4)[i][1] for i in range(200)}
    assert labels == {0, 1, 2, 3}
    x, y = ED.FakeData(3, (1, 5, 5), transform=ET.ToTensor(), target_transform=str)[0]
    assert tuple(x.shape) == (1, 5, 5) and isinstance(y, str)
    # torchvision's FakeData converts the same way: greyscale becomes L, 3-channel RGB
    assert (
        tv.datasets.FakeData(2, (1, 5, 5))[0][0].mode == ED.FakeData(2, (1, 5, 5))[0][0].mode == "L"
    )
