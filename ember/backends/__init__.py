"""``ember.backends``: the switches PyTorch programs set at start-up.

ember stores them so that programs run unchanged; its kernels are NumPy's and CuPy's, so
``cudnn.benchmark`` and the TF32 switches change nothing, and ``mps`` is never available.
"""

from ember.backends import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
