"""The composite matrix functions of ``ember.linalg`` and the older ``torch.*`` spellings:
matrix and general norms, matrix_power, multi_dot, vecdot, pinv, matrix_rank, lstsq, logdet,
inverse, slogdet, svd, qr and cholesky under their legacy names.

Each is written with the differentiable primitives of :mod:`ember.ops.decompositions` and the
products of :mod:`ember.ops.linalg`, so gradients (of any order) come from theirs.
"""

from __future__ import annotations

import math
import warnings

from ember import _dtype
from ember._tensor import Tensor, _wrap, _wrap_dim
from ember.autograd import grad_mode
from ember.backend import array_module
from ember.ops._util import _TYPE_NAMES, cast
from ember.ops.decompositions import (
    _check_matrix,
    _mT,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    qr,
    slogdet,
    svd,
    svdvals,
)
from ember.ops.elementwise import where as ember_where
from ember.ops.linalg import matmul
from ember.ops.moments import vector_norm
from ember.return_types import _structseq

slogdet_result = _structseq("slogdet", ("sign", "logabsdet"))
svd_result = _structseq("svd", ("U", "S", "V"))
qr_result = _structseq("qr", ("Q", "R"))
linalg_lstsq = _structseq("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))

# -- norms -----------------------------------------------------------------------------------

_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """A matrix norm of each matrix of ``A`` (the matrices span ``dim``).

    ``ord``: ``'fro'`` (default), ``'nuc'`` (sum of singular values), ``2`` / ``-2`` (largest /
    smallest singular value), ``1`` / ``-1`` (max / min column abs-sum), ``inf`` / ``-inf``
    (max / min row abs-sum).
    """
    _check_matrix("linalg.matrix_norm", A, square=False)
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if dtype is not None:
        A = cast(A, dtype)
    nd = A.ndim
    d0, d1 = (_wrap_dim(d, nd) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        moved = A if (d0, d1) == (nd - 2, nd - 1) else A.movedim((d0, d1), (-2, -1))
        if moved.numel() == 0:
            out = moved.new_zeros(moved.shape[:-2])
        else:
            s = svdvals(moved)
            out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:  # PyTorch's layout: the kept dims are appended, then moved into place
            out = out.unsqueeze(-1).unsqueeze(-1).movedim((-2, -1), (d0, d1))
        return out
    if ord in (math.inf, -math.inf):
        d0, d1 = d1, d0
    sums = A.abs().sum(d0, keepdim=keepdim)
    if not keepdim and d1 > d0:
        d1 -= 1
    return sums.amax(d1, keepdim=keepdim) if ord > 0 else sums.amin(d1, keepdim=keepdim)


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """A vector or matrix norm, chosen as ``torch.linalg.norm`` chooses.

    With ``ord=None`` it is the 2-norm of ``A`` flattened (or over ``dim``).  Otherwise a 2-D
    ``A`` (or a 2-tuple ``dim``) gets a matrix norm and a 1-D ``A`` (or an int ``dim``) a
    vector norm.
    """
    if isinstance(dim, int):
        dim = (dim,)
    if ord is not None:
        if dim is None:
            if A.ndim not in (1, 2):
                raise RuntimeError(
                    "linalg.norm: If dim is not specified but ord is, the input must be 1D or "
                    f"2D. Got {A.ndim}D."
                )
            if A.ndim == 2:
                return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        elif len(dim) == 2:
            return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    return vector_norm(A, 2, dim, keepdim, dtype=dtype)


# -- composites --------------------------------------------------------------------------------


def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A`` multiplied by itself ``n`` times (``n < 0`` uses the inverse, ``n = 0`` identity)."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            "linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{A.shape[-2] if A.ndim > 1 else 1} by {A.shape[-1] if A.ndim else 1} matrices"
        )
    if n == 0:
        xp = array_module(A._data)
        eye = xp.broadcast_to(xp.eye(A.shape[-1], dtype=A._dtype.np), A.shape).copy()
        return _wrap(eye, A._dtype, A._device)
    if n == 1:
        return A.clone()
    if n < 0:
        A, n = inv(A), -n
    result = None
    while n:  # binary powering: log2(n) products
        if n & 1:
            result = A if result is None else matmul(result, A)
        n >>= 1
        if n:
            A = matmul(A, A)
    return result


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices; the first may be a row vector, the last a column."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(
            f"multi_dot(): expected at least 2 tensors but got {len(tensors)}"
        )
    for i, t in enumerate(tensors):
        ok = t.ndim == 2 or (t.ndim == 1 and i in (0, len(tensors) - 1))
        if not ok:
            raise RuntimeError(
                f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D"
                if 0 < i < len(tensors) - 1
                else f"multi_dot(): the {'first' if i == 0 else 'last'} tensor must be 1D or "
                f"2D but got {t.ndim}D"
            )
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    return out


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Dot products of vectors along ``dim`` (batch dims broadcast); real dtypes."""
    if x.is_complex() or y.is_complex():
        raise NotImplementedError("ember.linalg.vecdot supports real tensors only")
    return (x * y).sum(dim)


def _singular_values(A: Tensor, hermitian: bool) -> Tensor:
    if hermitian:
        return eigvalsh(A).abs()
    return svdvals(A)


def _rank_tolerance(s: Tensor, m: int, n: int, atol, rtol):
    """PyTorch's cut-off ``max(atol, rtol * s_max)``, with ``rtol = eps * max(m, n)`` when
    neither tolerance is given (and 0 when only ``atol`` is)."""
    if rtol is None:
        given = atol is not None and (isinstance(atol, Tensor) or atol > 0)
        rtol = 0.0 if given else _dtype.finfo(s._dtype).eps * max(m, n)
    s_max = s.amax(-1, keepdim=True) if s.shape[-1] else s.new_zeros(s.shape[:-1] + (1,))
    cut = s_max * rtol
    if atol is not None:
        atol = atol.unsqueeze(-1) if isinstance(atol, Tensor) else atol
        cut = cut.maximum(atol) if isinstance(atol, Tensor) else cut.clamp(min=atol)
    return cut


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse of each matrix of ``A``, through its SVD (or its
    eigendecomposition when ``hermitian``); singular values at or under
    ``max(atol, rtol * s_max)`` are treated as zero."""
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg.pinv(): argument 'input' must be Tensor, not {type(A).__name__}")
    dt = A._dtype
    if A.ndim < 2 or not dt.is_floating_point or dt.itemsize == 2:
        raise RuntimeError(
            f"linalg.pinv({_TYPE_NAMES[dt]}{list(A.shape)}): expected a tensor with 2 or more "
            "dimensions of float, double, cfloat or cdouble types"
        )
    m, n = A.shape[-2], A.shape[-1]
    if A.numel() == 0:
        return A.new_zeros(A.shape[:-2] + (n, m))
    if hermitian:
        w, v = eigh(A)
        u, s, vh = v * w.sign().unsqueeze(-2), w.abs(), v.mT
    else:
        u, s, vh = svd(A, full_matrices=False)
    keep = s > _rank_tolerance(s.detach(), m, n, atol, rtol)
    # The kept reciprocals only: 1/s of a dropped value would poison the gradient with inf.
    s_inv = ember_where(keep, 1 / ember_where(keep, s, s.new_ones(())), s.new_zeros(()))
    return matmul(vh.mT * s_inv.unsqueeze(-2), u.mT)


def matrix_rank(A: Tensor, tol=None, hermitian: bool = False, *, atol=None, rtol=None):
    """The number of singular values of each matrix above ``max(atol, rtol * s_max)``
    (int64).  ``tol`` is PyTorch's older spelling of ``atol``."""
    if not isinstance(A, Tensor):
        raise TypeError(
            f"linalg.matrix_rank(): argument 'input' must be Tensor, not {type(A).__name__}"
        )
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_rank: The input tensor input must have at least 2 dimensions."
        )
    if not A._dtype.is_floating_point or A._dtype.itemsize == 2:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol = tol
    m, n = A.shape[-2], A.shape[-1]
    with grad_mode.no_grad():
        if A.numel() == 0:
            return A.new_zeros(A.shape[:-2], dtype=_dtype.int64)
        s = _singular_values(A, hermitian)
        return (s > _rank_tolerance(s, m, n, atol, rtol)).sum(-1)


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    """The least-squares solution ``X`` minimising ``||A X - B||`` for each matrix (through
    the pseudo-inverse).  Returns ``(solution, residuals, rank, singular_values)`` as
    PyTorch's default CPU driver (``gelsy``) does: ``rank`` is filled, the residuals and
    singular values are empty."""
    _check_matrix("linalg.lstsq", A, square=False)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.lstsq(): argument 'b' must be Tensor, not {type(B).__name__}")
    if A._dtype is not B._dtype:
        raise RuntimeError(
            f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
            f"input's dtype {_TYPE_NAMES[A._dtype]} and other's dtype {_TYPE_NAMES[B._dtype]}"
        )
    vector = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    if A.shape[-2] != b.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    rcond_kw = {} if rcond is None else {"rtol": rcond}
    x = matmul(pinv(A, **rcond_kw), b)
    x = x.squeeze(-1) if vector else x
    empty = A.new_zeros((0,))
    rank = matrix_rank(A, **rcond_kw)
    return linalg_lstsq(x, empty, rank, A.new_zeros((0,)))


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """``torch.pinverse``: ``linalg.pinv`` with a relative cut-off ``rcond``."""
    return pinv(input, rtol=rcond)


def logdet(input: Tensor) -> Tensor:
    """The log of each determinant: NaN for a negative one, ``-inf`` for zero."""
    sign, logabsdet = slogdet(input)
    return logabsdet + sign.detach().log()


# -- the older torch.* spellings -----------------------------------------------------------------


def inverse(input: Tensor) -> Tensor:
    """``torch.inverse``: the same as ``linalg.inv``."""
    return inv(input)


def torch_slogdet(input: Tensor):
    """``torch.slogdet``: ``linalg.slogdet`` under its older name."""
    return slogdet_result(*slogdet(input))


def torch_svd(input: Tensor, some: bool = True, compute_uv: bool = True):
    """``torch.svd``: ``(U, S, V)`` with ``V`` (not ``Vh``); ``some`` gives reduced factors."""
    if not compute_uv:
        s = svdvals(input)
        m, n = input.shape[-2], input.shape[-1]
        xp = array_module(input._data)
        batch, dt = tuple(input.shape[:-2]), input._dtype
        u = _wrap(xp.zeros(batch + (m, m), dt.np), dt, input._device)
        v = _wrap(_mT(xp.zeros(batch + (n, n), dt.np)), dt, input._device)  # PyTorch's layouts
        return svd_result(u, s, v)
    u, s, vh = svd(input, full_matrices=not some)
    return svd_result(u, s, vh.mT)


def torch_qr(input: Tensor, some: bool = True):
    """``torch.qr``: ``linalg.qr`` with ``some`` choosing reduced (default) or complete."""
    return qr_result(*qr(input, "reduced" if some else "complete"))


def torch_cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """``torch.cholesky`` (deprecated in PyTorch in favour of ``linalg.cholesky``)."""
    warnings.warn(
        "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in "
        "a future PyTorch release.",
        UserWarning,
        stacklevel=2,
    )
    return cholesky(input, upper=upper)


Tensor.inverse = inverse
Tensor.det = det
Tensor.slogdet = torch_slogdet
Tensor.svd = torch_svd
Tensor.qr = torch_qr
Tensor.cholesky = torch_cholesky
Tensor.matrix_power = matrix_power
Tensor.logdet = logdet
Tensor.pinverse = pinverse
