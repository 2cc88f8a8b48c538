"""The op library, one module per family; importing it installs the Tensor methods."""

from ember.ops import elementwise, reduce, shape  # noqa: F401
