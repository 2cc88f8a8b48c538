"""``VisionDataset``: the base of the image datasets (root, transforms, repr), and the shared
error for ``download=True``."""

from __future__ import annotations

import os

from ember.utils.data import Dataset


class VisionDataset(Dataset):
    """A dataset of images under ``root``, with ``transform`` (image) and ``target_transform``
    (label), or one joint ``transforms(image, target)``."""

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None) -> None:
        if isinstance(root, (str, bytes, os.PathLike)):
            root = os.path.expanduser(os.fspath(root))
        self.root = root
        has_separate = transform is not None or target_transform is not None
        if transforms is not None and has_separate:
            raise ValueError(
                "Only transforms or transform/target_transform can be passed as argument"
            )
        self.transform = transform
        self.target_transform = target_transform
        if has_separate:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def _apply(self, img, target):
        if self.transforms is not None:
            img, target = self.transforms(img, target)
        return img, target

    def __len__(self) -> int:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += self.extra_repr().splitlines()
        if self.transforms is not None:
            lines += repr(self.transforms).splitlines()
        body = "\n".join(" " * self._repr_indent + line for line in lines)
        return f"Dataset {self.__class__.__name__}\n{body}"


class StandardTransform:
    """Apply ``transform`` to the image and ``target_transform`` to the target."""

    def __init__(self, transform=None, target_transform=None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, img, target):
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self) -> str:
        out = [self.__class__.__name__]
        if self.transform is not None:
            out.append(f"Transform: {self.transform}")
        if self.target_transform is not None:
            out.append(f"Target transform: {self.target_transform}")
        return "\n".join(out)


class GrayscaleSplit(VisionDataset):
    """The train or test split of a dataset of grayscale images held in memory: ``data``
    (uint8, ``(N, H, W)``), ``targets``, ``classes`` and ``train``, set by the subclass;
    items are ``(PIL image, int label)`` through the transforms."""

    def __getitem__(self, index):
        from PIL import Image

        img = Image.fromarray(host_item(self.data, index), mode="L")
        return self._apply(img, int(host_item(self.targets, index)))

    def __len__(self) -> int:
        return len(self.data)

    @property
    def class_to_idx(self) -> dict:
        return {c: i for i, c in enumerate(self.classes)}

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


def host_item(tensor, index):
    """``tensor[index]`` as a host (NumPy) array or scalar, without building an ember tensor:
    the per-sample path of a dataset should cost microseconds."""
    from ember.backend import cpu

    data = tensor._data
    return data[index] if cpu.is_numpy(data) else tensor[index].cpu().numpy()


def no_download_error(name: str, where: str, files, how: str) -> RuntimeError:
    """The error raised when a dataset's files are missing: ember never downloads."""
    listed = ", ".join(files)
    return RuntimeError(
        f"{name}: dataset files not found (looked in {where}; expected {listed}). "
        f"ember never downloads datasets (download=True only accepts files already on disk). {how}"
    )
