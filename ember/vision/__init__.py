"""``ember.vision``: image transforms, offline datasets, a model zoo and image utilities, as
``torchvision``.

Nothing here downloads: datasets read files already on disk (or bundled with scikit-learn).
"""

from ember.vision import datasets, models, transforms, utils

__all__ = ["datasets", "models", "transforms", "utils"]
