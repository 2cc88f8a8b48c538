"""The matrix primitives of ``ember.linalg``: inv, det, slogdet, solve and the
decompositions svd, qr, cholesky and eigh, each batched over leading dims, with gradients.

Forwards call ``xp.linalg`` (LAPACK).  Matrices come back in PyTorch's layout, column-major
within each matrix as LAPACK leaves them: ``inv`` and ``svd`` get it for free by factoring the
transpose, the others with one copy of the result.  Backwards are the standard
matrix-calculus formulas written with ember ops, so they differentiate again.  ``svdvals`` /
``eigvalsh`` run the full decomposition only when a gradient is wanted (PyTorch does the
same), so that their gradients differentiate again.
"""

from __future__ import annotations

from ember._tensor import Tensor, _empty_strided, _wrap, contiguous_strides
from ember.autograd import grad_mode
from ember.autograd.function import Primitive
from ember.backend import array_module
from ember.ops._util import _TYPE_NAMES, sum_to_shape
from ember.ops.linalg import broadcast_error, matmul
from ember.return_types import _structseq

linalg_slogdet = _structseq("linalg_slogdet", ("sign", "logabsdet"))
linalg_svd = _structseq("linalg_svd", ("U", "S", "Vh"))
linalg_qr = _structseq("linalg_qr", ("Q", "R"))
linalg_eigh = _structseq("linalg_eigh", ("eigenvalues", "eigenvectors"))


class LinAlgError(RuntimeError):
    """A matrix function could not finish on its input (singular, not positive-definite...)."""


# -- helpers on backend arrays ---------------------------------------------------------------


def _mT(arr):
    return arr.swapaxes(-1, -2)


def _column_major(arr):
    """``arr`` copied so that each matrix is stored column by column, as PyTorch returns it."""
    if not arr.size:
        return _empty(arr, column_major=True)
    return arr.swapaxes(-1, -2).copy().swapaxes(-1, -2)


def _empty(arr, column_major: bool = False):
    """An empty result with PyTorch's strides (NumPy gives empty arrays zero strides)."""
    shape = arr.shape
    if column_major:
        strides = list(contiguous_strides(shape[:-2] + (shape[-1], shape[-2])))
        strides[-1], strides[-2] = strides[-2], strides[-1]
    else:
        strides = contiguous_strides(shape)
    return _empty_strided(array_module(arr), shape, tuple(strides), arr.dtype)


def _tidy(arr):
    """A fresh row-major result, with PyTorch's strides when it is empty."""
    return arr if arr.size else _empty(arr)


def _batch_prefix(failed) -> str:
    """"(Batch element k): " for the first failing matrix of a batch, as PyTorch words it."""
    if failed.ndim == 0:
        return ""
    flat = failed.reshape(-1)
    return f"(Batch element {int(flat.argmax())}): "


def _singular_error(name: str, a) -> LinAlgError:
    xp = array_module(a)
    prefix = _batch_prefix(xp.linalg.det(a) == 0)
    return LinAlgError(
        f"{name}: {prefix}The inversion could not be completed because the input matrix is "
        "singular."
    )


def _triangle_masks(n: int, like: Tensor):
    """Constant (lower-with-diagonal, strictly-lower) 0/1 matrices in ``like``'s dtype."""
    xp = array_module(like._data)
    low = xp.tri(n, n, 0, like._dtype.np)
    strict = xp.tri(n, n, -1, like._dtype.np)
    return _wrap(low, like._dtype, like._device), _wrap(strict, like._dtype, like._device)


def _eye_like(n: int, like: Tensor) -> Tensor:
    xp = array_module(like._data)
    return _wrap(xp.eye(n, dtype=like._dtype.np), like._dtype, like._device)


def _given(g: Tensor) -> bool:
    """Whether an output's gradient carries anything (unused outputs arrive as plain zeros)."""
    return g.grad_fn is not None or g._requires_grad or bool(g._data.any())


def _as_matrix_weight(g: Tensor) -> Tensor:
    """A per-matrix scalar gradient shaped to broadcast over its matrix."""
    return g.unsqueeze(-1).unsqueeze(-1)


# -- inverse, determinants, solve ------------------------------------------------------------


class LinalgInvEx(Primitive):
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        try:
            # inv(A^T)^T is inv(A), already column-major: PyTorch's layout without a copy.
            out = _mT(xp.linalg.inv(_mT(a)))
        except xp.linalg.LinAlgError:
            raise _singular_error("linalg.inv", a) from None
        return out if out.size else _empty(out, column_major=True)

    @staticmethod
    def backward(ctx, grad):
        inv_t = ctx.output().mT
        return -matmul(matmul(inv_t, grad), inv_t)


class LinalgDet(Primitive):
    save_output = True

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        return _tidy(xp.asarray(xp.linalg.det(a)))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        det = ctx.output()
        weight = _as_matrix_weight(grad) * _as_matrix_weight(det)
        if det._data.all():
            return weight * inv(a).mT
        # PyTorch gives singular matrices a zero gradient (det * anything); their inverse is
        # replaced by the identity's so that the others' stay finite.
        xp = array_module(a._data)
        singular = (det._data == 0)[..., None, None]
        safe = xp.where(singular, xp.eye(a.shape[-1], dtype=a._dtype.np), a._data)
        return weight * _wrap(_mT(xp.linalg.inv(safe)), a._dtype, a._device)


class LinalgSlogdet(Primitive):
    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        sign, logabsdet = xp.linalg.slogdet(a)
        return _tidy(xp.asarray(sign)), _tidy(xp.asarray(logabsdet))

    @staticmethod
    def backward(ctx, grad_sign, grad_logabsdet):
        (a,) = ctx.saved_tensors
        return _as_matrix_weight(grad_logabsdet) * inv(a).mT


class LinalgSolveEx(Primitive):
    save_output = True

    @staticmethod
    def saved_mask(needs):
        return (True, False)

    @staticmethod
    def forward(ctx, a, b, vector, left):
        xp = array_module(a)
        ctx.params = (b.shape, vector, left)
        try:
            if vector:  # a batch of vectors comes back laid out as PyTorch lays it out
                x = xp.linalg.solve(a, b[..., None])[..., 0]
                return _column_major(x) if x.ndim > 1 else _tidy(x)
            if left:
                return _column_major(xp.linalg.solve(a, b))
            return _tidy(xp.ascontiguousarray(_mT(xp.linalg.solve(_mT(a), _mT(b)))))
        except xp.linalg.LinAlgError:
            raise LinAlgError(
                "torch.linalg.solve: The solver failed because the input matrix is singular."
            ) from None

    @staticmethod
    def backward(ctx, grad):
        a, _ = ctx.saved_tensors
        b_shape, vector, left = ctx.params
        # The adjoint system: A^T gB = grad (left) or gB A^T = grad (right).
        gb = LinalgSolveEx.apply(a.mT, grad, vector=vector, left=left)
        ga = None
        if ctx.needs_input_grad[0]:
            x = ctx.output()
            if vector:
                ga = gb.unsqueeze(-1) * x.unsqueeze(-2)
            else:
                ga = matmul(gb, x.mT) if left else matmul(x.mT, gb)
            ga = sum_to_shape(-ga, a.shape)
        gb = sum_to_shape(gb, b_shape) if ctx.needs_input_grad[1] else None
        return ga, gb


# -- decompositions --------------------------------------------------------------------------


class LinalgSvd(Primitive):
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, a, full_matrices):
        xp = array_module(a)
        ctx.full_matrices = full_matrices
        try:
            # The SVD of A^T hands back A's factors transposed, i.e. column-major, for free.
            u_t, s, vh_t = xp.linalg.svd(_mT(a), full_matrices=full_matrices)
        except xp.linalg.LinAlgError:
            raise LinAlgError("linalg.svd: The algorithm failed to converge.") from None
        u, vh = _mT(vh_t), _mT(u_t)
        if not a.size:
            u, s, vh = _column_major(u), _tidy(s), _column_major(vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, grad_u, grad_s, grad_vh):
        u, s, vh = ctx.output(0), ctx.output(1), ctx.output(2)
        if ctx.full_matrices:  # only the first k singular vectors are determined by A
            k = s.shape[-1]
            u, grad_u = u.narrow(-1, 0, k), grad_u.narrow(-1, 0, k)
            vh, grad_vh = vh.narrow(-2, 0, k), grad_vh.narrow(-2, 0, k)
        return _svd_grad(u, s, vh, grad_u, grad_s, grad_vh)


def _svd_grad(u, s, vh, gu, gs, gvh):
    """dL/dA for A = U diag(S) Vh (reduced), after Townsend, "Differentiating the SVD"."""
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    use_u, use_v = _given(gu), _given(gvh)
    ga = u * gs.unsqueeze(-2)
    if use_u or use_v:
        s2 = s * s
        # e[i, j] = s_j^2 - s_i^2, with ones on the diagonal where the skew parts vanish.
        e = s2.unsqueeze(-2) - s2.unsqueeze(-1) + _eye_like(k, s)
        inner = None
        if use_u:
            utgu = matmul(u.mT, gu)
            inner = (utgu - utgu.mT) / e * s.unsqueeze(-2)
        if use_v:
            gv = gvh.mT
            vtgv = matmul(vh, gv)
            term = s.unsqueeze(-1) * ((vtgv - vtgv.mT) / e)
            inner = term if inner is None else inner + term
        ga = ga + matmul(u, inner)
    ga = matmul(ga, vh)
    if use_u and m > k:
        ga = ga + matmul((gu - matmul(u, utgu)) / s.unsqueeze(-2), vh)
    if use_v and n > k:
        ga = ga + matmul(u, ((gv - matmul(vh.mT, vtgv)) / s.unsqueeze(-2)).mT)
    return ga


class LinalgEigh(Primitive):
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, a, uplo):
        xp = array_module(a)
        try:
            w, v = xp.linalg.eigh(a, UPLO=uplo)
        except xp.linalg.LinAlgError:
            raise LinAlgError("linalg.eigh: The algorithm failed to converge.") from None
        return _tidy(w), _column_major(v)

    @staticmethod
    def backward(ctx, grad_w, grad_v):
        w, v = ctx.output(0), ctx.output(1)
        inner = v * grad_w.unsqueeze(-2)
        if _given(grad_v):
            # e[i, j] = w_j - w_i, with ones on the diagonal where the skew part vanishes.
            # The skew part keeps the gradient symmetric, as A is (PyTorch returns the same).
            e = w.unsqueeze(-2) - w.unsqueeze(-1) + _eye_like(w.shape[-1], w)
            vtgv = matmul(v.mT, grad_v)
            inner = inner + matmul(v, (vtgv - vtgv.mT) / e * 0.5)
        return matmul(inner, v.mT)


class LinalgCholeskyEx(Primitive):
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, a, upper):
        xp = array_module(a)
        ctx.upper = upper
        try:
            low = xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise _not_positive_definite(a) from None
        return _mT(low) if upper and low.size else _column_major(low)

    @staticmethod
    def backward(ctx, grad):
        low = ctx.output()
        if ctx.upper:
            low, grad = low.mT, grad.mT
        tril, strict = _triangle_masks(low.shape[-1], low)
        # With P = tril(L^T gL): gA = L^-T sym(P) L^-1, sym(P) = (P + strict_tril(P)^T) / 2.
        p = matmul(low.mT, grad) * tril
        sym = (p + (p * strict).mT) * 0.5
        z = LinalgSolveEx.apply(low.mT, sym, vector=False, left=True)
        return LinalgSolveEx.apply(low.mT, z.mT, vector=False, left=True).mT


def _not_positive_definite(a) -> LinAlgError:
    xp = array_module(a)
    failed = xp.zeros(a.shape[:-2], dtype=bool)
    if a.ndim > 2:  # name the first failing matrix, as PyTorch does (error path only)
        flat = a.reshape((-1,) + a.shape[-2:])
        for i in range(flat.shape[0]):
            try:
                xp.linalg.cholesky(flat[i])
            except xp.linalg.LinAlgError:
                failed.reshape(-1)[i] = True
                break
    return LinAlgError(
        f"linalg.cholesky: {_batch_prefix(failed)}The factorization could not be completed "
        "because the input is not positive-definite."
    )


class LinalgQr(Primitive):
    save_inputs = False
    save_output = True

    @staticmethod
    def forward(ctx, a, mode):
        xp = array_module(a)
        ctx.mode = mode
        if mode == "r":
            return _empty(xp.empty((0,), a.dtype)), _column_major(xp.linalg.qr(a, mode="r"))
        q, r = xp.linalg.qr(a, mode=mode)
        return _column_major(q), _column_major(r)

    @staticmethod
    def backward(ctx, grad_q, grad_r):
        q, r = ctx.output(0), ctx.output(1)
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when "
                "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                "differentiate through linalg.qr."
            )
        m, n = q.shape[-2], r.shape[-1]
        if m >= n:
            if q.shape[-1] != n:
                raise RuntimeError(
                    "The QR decomposition is not differentiable when mode='complete' and "
                    "nrows > ncols."
                )
            return _qr_grad_square(q, r, grad_q, grad_r)
        # A = Q [R1 | R2]: R1 is the square factor of A's first m columns and R2 = Q^T A2.
        r1, r2 = r.narrow(-1, 0, m), r.narrow(-1, m, n - m)
        gr1, gr2 = grad_r.narrow(-1, 0, m), grad_r.narrow(-1, m, n - m)
        gq = grad_q + matmul(q, matmul(r2, gr2.mT))
        ga1 = _qr_grad_square(q, r1, gq, gr1)
        xp = array_module(q._data)
        place = _wrap(xp.eye(m, n, dtype=q._dtype.np), q._dtype, q._device)
        right = _wrap((xp.arange(n) >= m).astype(q._dtype.np), q._dtype, q._device)
        return matmul(ga1, place) + matmul(q, grad_r * right)


def _qr_grad_square(q, r, gq, gr):
    """dL/dA for A = QR with R square: [gQ + Q copyutl(gR R^T - Q^T gQ)] R^-T."""
    m = matmul(gr, r.mT) - matmul(q.mT, gq)
    tril, strict = _triangle_masks(r.shape[-1], r)
    sym = m * tril.mT + (m * strict.mT).mT
    b = gq + matmul(q, sym)
    return LinalgSolveEx.apply(r, b.mT, vector=False, left=True).mT


# -- checks and public functions -------------------------------------------------------------


def _check_matrix(name: str, a: Tensor, square: bool = True) -> None:
    if not isinstance(a, Tensor):
        raise TypeError(f"{name}(): argument 'A' must be Tensor, not {type(a).__name__}")
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    dt = a._dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got {_TYPE_NAMES[dt]}"
        )
    if dt.itemsize == 2:
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {_TYPE_NAMES[dt]}")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are {a.shape[-2]} by "
            f"{a.shape[-1]} matrices"
        )


def inv(A: Tensor) -> Tensor:
    """Inverse of each square matrix of ``A`` (raises ``LinAlgError`` when singular)."""
    _check_matrix("linalg.inv", A)
    return LinalgInvEx.apply(A)


def det(A: Tensor) -> Tensor:
    """Determinant of each square matrix of ``A``."""
    _check_matrix("linalg.det", A)
    return LinalgDet.apply(A)


def slogdet(A: Tensor):
    """``(sign, logabsdet)``: the sign and log of the absolute value of each determinant."""
    _check_matrix("linalg.slogdet", A)
    return linalg_slogdet(*LinalgSlogdet.apply(A))


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """The solution ``X`` of ``A X = B`` (or ``X A = B`` with ``left=False``).

    ``B`` is a batch of vectors when it is 1-D or has ``A``'s shape minus the last dim;
    batch dims broadcast.  Raises ``LinAlgError`` when ``A`` is singular.
    """
    _check_matrix("linalg.solve", A)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve(): argument 'B' must be Tensor, not {type(B).__name__}")
    if A._dtype is not B._dtype:
        raise RuntimeError(
            "linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{_TYPE_NAMES[A._dtype]} and B of type {_TYPE_NAMES[B._dtype]} instead"
        )
    n = A.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vector:
        ok = left and B.shape[-1] == n
        got = f"{B.shape[-1]}x1"
    else:
        ok = B.shape[-2 if left else -1] == n
        got = f"{B.shape[-2]}x{B.shape[-1]}"
    if not ok:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{n} and {got})"
        )
    try:
        return LinalgSolveEx.apply(A, B, vector=vector, left=left)
    except ValueError:
        raise broadcast_error(B.shape[: -1 if vector else -2], A.shape[:-2]) from None


def svd(A: Tensor, full_matrices: bool = True, *, driver=None):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh`` for each matrix; S descending.

    ``full_matrices=False`` gives the reduced factors (U: m x k, Vh: k x n, k = min(m, n)).
    Singular vectors are determined up to sign, so only sign-invariant uses have a gradient
    that matches PyTorch's.
    """
    _check_matrix("linalg.svd", A, square=False)
    return linalg_svd(*LinalgSvd.apply(A, full_matrices=full_matrices))


def _needs_vectors(A: Tensor) -> bool:
    return grad_mode.enabled and A._requires_grad


def svdvals(A: Tensor, *, driver=None) -> Tensor:
    """The singular values of each matrix of ``A``, in descending order."""
    _check_matrix("linalg.svdvals", A, square=False)
    if _needs_vectors(A):  # the gradient needs the singular vectors: PyTorch's route too
        return LinalgSvd.apply(A, full_matrices=False)[1]
    xp = array_module(A._data)
    try:
        s = xp.linalg.svd(A._data, compute_uv=False)
    except xp.linalg.LinAlgError:
        raise LinAlgError("linalg.svd: The algorithm failed to converge.") from None
    return _wrap(_tidy(s), A._dtype, A._device)


def qr(A: Tensor, mode: str = "reduced"):
    """``(Q, R)`` with ``A = Q R``; ``mode`` is ``'reduced'``, ``'complete'`` or ``'r'``."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    _check_matrix("linalg.qr", A, square=False)
    return linalg_qr(*LinalgQr.apply(A, mode=mode))


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of each symmetric positive-definite matrix (lower unless ``upper``).

    Only the lower triangle of ``A`` is read.  Raises ``LinAlgError`` when a matrix is not
    positive-definite.
    """
    _check_matrix("linalg.cholesky", A)
    return LinalgCholeskyEx.apply(A, upper=upper)


def _check_uplo(UPLO: str) -> None:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A: Tensor, UPLO: str = "L"):
    """``(eigenvalues, eigenvectors)`` of each symmetric matrix, eigenvalues ascending.

    Only the ``UPLO`` triangle is read.  Eigenvectors are determined up to sign.
    """
    _check_matrix("linalg.eigh", A)
    _check_uplo(UPLO)
    return linalg_eigh(*LinalgEigh.apply(A, uplo=UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of each symmetric matrix, ascending."""
    _check_matrix("linalg.eigvalsh", A)
    _check_uplo(UPLO)
    if _needs_vectors(A):  # the gradient needs the eigenvectors: PyTorch's route too
        return LinalgEigh.apply(A, uplo=UPLO)[0]
    xp = array_module(A._data)
    try:
        w = xp.linalg.eigvalsh(A._data, UPLO=UPLO)
    except xp.linalg.LinAlgError:
        raise LinAlgError("linalg.eigh: The algorithm failed to converge.") from None
    return _wrap(_tidy(w), A._dtype, A._device)
