"""The op library, one module per family; importing it installs the Tensor methods."""

from ember.ops import elementwise, indexing, reduce, shape  # noqa: F401
from ember.ops import moments, scan, softmax, sort  # noqa: F401
from ember.ops import compare, pointwise_math  # noqa: F401
from ember.ops import random  # noqa: F401
from ember.ops import decompositions, einsum, linalg  # noqa: F401
from ember.ops import index, join  # noqa: F401
