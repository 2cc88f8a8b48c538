"""LeNet-5 (LeCun et al., 1998) in the form of PyTorch's tutorial network."""

from __future__ import annotations

import ember
from ember import nn
from ember.nn import functional as F

__all__ = ["LeNet5"]


class LeNet5(nn.Module):
    """LeNet-5: two 5x5 convolutions with 2x2 max pooling, then three linear layers.

    Layer names (``conv1``, ``conv2``, ``fc1``, ``fc2``, ``fc3``) are those of the network in
    PyTorch's "Neural Networks" tutorial, so its state dict loads.  It takes 32x32 inputs with
    ``padding=0`` (the original) or 28x28 (MNIST) with ``padding=2`` (the default); resize smaller
    images first (e.g. ``transforms.Resize(28)`` for the 8x8 digits).

    >>> LeNet5()(ember.randn(4, 1, 28, 28)).shape
    ember.Size([4, 10])
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, padding: int = 2) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=padding)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = ember.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)
