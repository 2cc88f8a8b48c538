"""``ember.optim``: optimizers and learning-rate schedulers, as ``torch.optim``."""

from ember.optim.adam import Adam, AdamW
from ember.optim.adaptive import Adadelta, Adagrad, Adamax, NAdam, RAdam, RMSprop
from ember.optim.asgd import ASGD
from ember.optim.lbfgs import LBFGS
from ember.optim.rprop import Rprop
from ember.optim import lr_scheduler
from ember.optim.optimizer import Optimizer
from ember.optim.sgd import SGD

__all__ = [
    "ASGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "Optimizer", "RAdam",
    "RMSprop", "Rprop", "SGD", "lr_scheduler",
]
