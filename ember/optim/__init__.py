"""``ember.optim``: optimizers and learning-rate schedulers, as ``torch.optim``."""

from ember.optim.adam import Adam, AdamW
from ember.optim.optimizer import Optimizer
from ember.optim.sgd import SGD

__all__ = ["Adam", "AdamW", "Optimizer", "SGD"]
