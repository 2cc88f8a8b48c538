"""``FakeData``: random images, for trying a pipeline without any files."""

from __future__ import annotations

import ember
from ember.vision.datasets.vision import VisionDataset


class FakeData(VisionDataset):
    """``size`` random images of ``image_size`` (C, H, W) with random labels.

    Item ``i`` is drawn from a generator seeded with ``i + random_offset``, so it is the same every
    time, and the global random state is not touched.  Items are ``(PIL image, int)`` before
    transforms, as in torchvision.
    """

    def __init__(
        self,
        size: int = 1000,
        image_size=(3, 224, 224),
        num_classes: int = 10,
        transform=None,
        target_transform=None,
        random_offset: int = 0,
    ) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int):
        from ember.vision.transforms.functional import to_pil_image

        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        g = ember.Generator().manual_seed(index + self.random_offset)
        img = ember.randn(*self.image_size, generator=g)
        target = int(ember.randint(0, self.num_classes, (1,), generator=g).item())
        return self._apply(to_pil_image(img), target)

    def __len__(self) -> int:
        return self.size
