"""MNIST and Fashion-MNIST from their IDX files on disk (never downloaded)."""

from __future__ import annotations

import os

import ember
from ember.vision.datasets._files import find_dir, read_idx
from ember.vision.datasets.vision import GrayscaleSplit, no_download_error


class MNIST(GrayscaleSplit):
    """The MNIST handwritten digits (60,000 training and 10,000 test 28x28 greyscale images).

    The four standard IDX files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each raw or ``.gz``) are read from
    ``root/<ClassName>/raw/`` (torchvision's layout), ``root/<ClassName>/``, ``root/raw/`` or
    ``root/`` itself.  ember never downloads them.

    ``data`` is a uint8 tensor ``(N, 28, 28)``, ``targets`` an int64 tensor ``(N,)``; an item is
    ``(PIL image, int)`` before transforms, as in torchvision.

    >>> ds = MNIST("data", train=False, transform=transforms.ToTensor())
    >>> image, label = ds[0]          # image: (1, 28, 28) float in [0, 1]
    """

    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]
    files = {
        True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }
    # Folders searched after root's: where system packages put the files.
    system_dirs: tuple = ()
    how_to_get = (
        "Get the four IDX files (e.g. from a copy of the MNIST distribution) and put them "
        "in ROOT/MNIST/raw/ or ROOT/."
    )

    def __init__(
        self,
        root,
        train: bool = True,
        transform=None,
        target_transform=None,
        download: bool = False,
    ) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        name = type(self).__name__
        folders = [
            os.path.join(self.root, name, "raw"),
            os.path.join(self.root, name),
            os.path.join(self.root, "raw"),
            self.root,
            *self.system_dirs,
        ]
        found = find_dir(folders, self.files[train])
        if found is None:
            err = no_download_error(
                name,
                ", ".join(folders),
                [f + "[.gz]" for f in self.files[train]],
                self.how_to_get.replace("ROOT", str(self.root)),
            )
            raise err
        self.raw_folder, (images_path, labels_path) = found
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise RuntimeError(
                f"{name}: {images_path} and {labels_path} do not match "
                f"(images {images.shape}, labels {labels.shape})"
            )
        self.data = ember.from_numpy(images.astype("uint8", copy=False))
        self.targets = ember.from_numpy(labels.astype("int64"))


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (same format and layout as :class:`MNIST`: 70,000 28x28 images of
    10 kinds of clothing).

    Besides ``root``'s folders, ``/usr/share/datasets/fashion-mnist`` is searched: Debian's
    ``dataset-fashion-mnist`` package (``apt-get install dataset-fashion-mnist``) puts the full
    set there, so ``FashionMNIST("data")`` works offline once it is installed.
    """

    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    how_to_get = (
        "On Debian/Ubuntu: apt-get install dataset-fashion-mnist (installs them in "
        "/usr/share/datasets/fashion-mnist); or copy the four IDX files into "
        "ROOT/FashionMNIST/raw/ or ROOT/."
    )
