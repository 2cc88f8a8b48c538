"""``ember.vision.datasets``: image datasets read from local files, never downloaded."""

from ember.vision.datasets.cifar import CIFAR10, CIFAR100
from ember.vision.datasets.digits import Digits
from ember.vision.datasets.fakedata import FakeData
from ember.vision.datasets.folder import DatasetFolder, ImageFolder
from ember.vision.datasets.mnist import MNIST, FashionMNIST
from ember.vision.datasets.vision import StandardTransform, VisionDataset

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "DatasetFolder",
    "Digits",
    "FakeData",
    "FashionMNIST",
    "ImageFolder",
    "MNIST",
    "StandardTransform",
    "VisionDataset",
]
