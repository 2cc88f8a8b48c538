"""The op library, one module per family; importing it installs the Tensor methods."""

from ember.ops import shape  # noqa: F401
