"""``ember.linalg``: linear algebra, mirroring ``torch.linalg``."""

from ember.ops.decompositions import (  # noqa: F401
    LinAlgError,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from ember.ops.linalg import linalg_cross as cross  # noqa: F401
from ember.ops.linalg import matmul  # noqa: F401
from ember.ops.linalg_functions import (  # noqa: F401
    lstsq,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    norm,
    pinv,
    vecdot,
)
from ember.ops.moments import vector_norm  # noqa: F401
