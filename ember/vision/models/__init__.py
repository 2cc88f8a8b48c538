"""``ember.vision.models``: a model zoo with torchvision's architectures and parameter names
(``weights=None`` only: ember never downloads; load a state dict to use trained weights)."""

from ember.vision.models.lenet import LeNet5
from ember.vision.models.mobilenetv2 import MobileNetV2, mobilenet_v2
from ember.vision.models.resnet import (
    ResNet,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
)
from ember.vision.models.vgg import VGG, vgg11, vgg11_bn, vgg13, vgg16, vgg16_bn, vgg19

__all__ = [
    "LeNet5",
    "MobileNetV2",
    "ResNet",
    "VGG",
    "mobilenet_v2",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg16",
    "vgg16_bn",
    "vgg19",
]
