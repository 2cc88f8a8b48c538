"""CIFAR-10 and CIFAR-100 from their Python pickle batches on disk (never downloaded)."""

from __future__ import annotations

import os

from ember.backend import cpu
from ember.vision.datasets._files import load_pickle
from ember.vision.datasets.vision import VisionDataset, no_download_error

np = cpu.xp


def _get(d, key):
    """A batch dict value by name: keys are bytes in the original Python 2 pickles."""
    return d[key] if key in d else d[key.encode()]


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes.

    Reads the "python version" batches (``data_batch_1`` ... ``data_batch_5``, ``test_batch``,
    ``batches.meta``) from ``root/cifar-10-batches-py/`` or ``root/``.  The pickles are loaded
    with a restricted unpickler that accepts only arrays, lists and numbers.

    As in torchvision, ``data`` is a NumPy uint8 array ``(N, 32, 32, 3)``, ``targets`` a list of
    ints, and an item is ``(PIL image, int)`` before transforms.
    """

    base_folder = "cifar-10-batches-py"
    train_list = [f"data_batch_{i}" for i in range(1, 6)]
    test_list = ["test_batch"]
    meta = {"filename": "batches.meta", "key": "label_names"}
    labels_key = "labels"

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
        names = self.train_list if train else self.test_list
        folders = [os.path.join(self.root, self.base_folder), self.root]
        folder = next(
            (f for f in folders if all(os.path.isfile(os.path.join(f, n)) for n in names)), None
        )
        if folder is None:
            raise no_download_error(
                type(self).__name__,
                ", ".join(folders),
                names + [self.meta["filename"]],
                f"Extract the python version of the dataset (the {self.base_folder} folder) "
                f"into {self.root}.",
            )
        data, targets = [], []
        for name in names:
            entry = load_pickle(os.path.join(folder, name))
            data.append(np.asarray(_get(entry, "data"), dtype=np.uint8))
            targets.extend(int(t) for t in _get(entry, self.labels_key))
        self.data = np.ascontiguousarray(
            np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        )
        self.targets = targets
        meta_path = os.path.join(folder, self.meta["filename"])
        if os.path.isfile(meta_path):
            labels = _get(load_pickle(meta_path), self.meta["key"])
            self.classes = [c.decode() if isinstance(c, bytes) else c for c in labels]
        else:
            self.classes = [str(i) for i in range(max(targets, default=-1) + 1)]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index):
        from PIL import Image

        return self._apply(Image.fromarray(self.data[index]), self.targets[index])

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100 (``cifar-100-python/train``, ``test``, ``meta``; fine labels), as
    :class:`CIFAR10`."""

    base_folder = "cifar-100-python"
    train_list = ["train"]
    test_list = ["test"]
    meta = {"filename": "meta", "key": "fine_label_names"}
    labels_key = "fine_labels"
