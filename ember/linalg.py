"""``ember.linalg``: linear algebra, mirroring ``torch.linalg``."""

from ember.ops.decompositions import (  # noqa: F401
    LinAlgError,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    matrix_norm,
    matrix_power,
    multi_dot,
    norm,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
    vecdot,
)
from ember.ops.linalg import matmul  # noqa: F401
from ember.ops.moments import vector_norm  # noqa: F401
from ember.ops.moments import vector_norm  # noqa: F401
