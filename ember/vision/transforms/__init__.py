"""``ember.vision.transforms``: image transforms, as ``torchvision.transforms``."""

from ember.vision.transforms import functional, transforms
from ember.vision.transforms.transforms import *  # noqa: F403  (the names of its __all__)

__all__ = [*transforms.__all__, "functional"]
