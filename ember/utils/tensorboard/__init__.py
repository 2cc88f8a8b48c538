"""``ember.utils.tensorboard`` is not part of ember yet: importing it says so.

Programs usually guard it (``try: from torch.utils.tensorboard import SummaryWriter``); the
ImportError below lets such programs carry on without logging, as they do when TensorBoard is
not installed next to PyTorch.
"""

raise ImportError(
    "ember.utils.tensorboard (SummaryWriter) is not supported by ember yet; log metrics another "
    "way (e.g. print or CSV), or guard the import with try/except ImportError"
)
