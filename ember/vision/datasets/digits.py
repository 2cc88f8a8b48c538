"""The handwritten digits bundled with scikit-learn (UCI optical digits, 1,797 8x8 images)."""

from __future__ import annotations

import gzip
import importlib.util
import os

import ember
from ember.backend import cpu
from ember.vision.datasets.vision import GrayscaleSplit

np = cpu.xp

TRAIN_SIZE = 1437
SPLIT_SEED = 0


def _digits_file():
    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "Digits needs the data file bundled with scikit-learn: pip install scikit-learn"
        )
    for base in spec.submodule_search_locations:
        path = os.path.join(base, "datasets", "data", "digits.csv.gz")
        if os.path.isfile(path):
            return path
    raise RuntimeError("scikit-learn is installed but its datasets/data/digits.csv.gz is missing")


def load_digits_arrays():
    """``(images, labels)``: uint8 ``(1797, 8, 8)`` scaled from 0..16 to 0..255 and int64
    ``(1797,)``."""
    with gzip.open(_digits_file(), "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float64)
    images = np.rint(table[:, :64] * (255.0 / 16.0)).astype(np.uint8).reshape(-1, 8, 8)
    return images, table[:, 64].astype(np.int64)


class Digits(GrayscaleSplit):
    """The real handwritten digits that ship with scikit-learn: 1,797 8x8 greyscale images of
    the digits 0-9, available offline (nothing is downloaded; ``root`` is ignored).

    The split is fixed: the images are shuffled once by ``numpy.random.RandomState(0)``'s
    permutation; ``train=True`` gives the first 1,437 of that order, ``train=False`` the other
    360.  Pixel values 0..16 are scaled to 0..255 (``round(v * 255 / 16)``), so ``data`` is a
    uint8 tensor ``(N, 8, 8)`` like MNIST's and ``ToTensor`` gives values in [0, 1]; ``targets``
    is int64.  An item is ``(PIL image, int)`` before transforms.

    >>> train = Digits(train=True, transform=transforms.ToTensor())
    >>> len(train), train[0][0].shape
    (1437, ember.Size([1, 8, 8]))
    """

    classes = [str(i) for i in range(10)]

    def __init__(
        self,
        root=None,
        train: bool = True,
        transform=None,
        target_transform=None,
        download: bool = False,
    ) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        images, labels = load_digits_arrays()
        order = np.random.RandomState(SPLIT_SEED).permutation(len(images))
        idx = order[:TRAIN_SIZE] if train else order[TRAIN_SIZE:]
        self.data = ember.from_numpy(np.ascontiguousarray(images[idx]))
        self.targets = ember.from_numpy(labels[idx])
