"""Numerical checks of gradients: ``gradcheck`` and ``gradgradcheck``, as in PyTorch.

``gradcheck`` builds the Jacobian of ``func`` twice and compares them: numerically, by central
finite differences (each input element is nudged by ``±eps`` in place, through the input's own
storage, and ``func`` is run again), and analytically, by one backward pass per output element
(each seeded with a unit vector).  ``fast_mode`` compares one random projection ``vᵀ J u``
instead of whole Jacobians.  ``gradgradcheck`` runs ``gradcheck`` on the function that maps
(inputs, grad_outputs) to the gradients, which checks second derivatives.

Like ``torch.autograd.gradcheck``, ``ember.autograd.gradcheck`` is the function; this module
is reached with ``from ember.autograd.gradcheck import GradcheckError``.
"""

from __future__ import annotations

import warnings

from ember import _dtype
from ember._tensor import Tensor, _from_array, _wrap
from ember.autograd.engine import grad as _grad
from ember.autograd.function import Function
from ember.backend import array_module, cpu, for_device

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]

# Fast mode's random projections come from their own generator, so a check never moves the
# user's random state (PyTorch does the same with a fresh ``torch.Generator``).
_FAST_MODE_SEED = 67280421310721


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` and ``gradgradcheck`` when a check fails."""


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against finite differences.

    Every input tensor with ``requires_grad=True`` is differentiated; the numerical and the
    analytical Jacobian of each (output, input) pair must satisfy
    ``|analytical - numerical| <= atol + rtol * |numerical|``.  Also checked: backward run twice
    gives the same values (within ``nondet_tol``), gradients have their inputs' shapes, a zero
    ``grad_output`` gives zero gradients and (``check_undefined_grad``) backward copes with
    outputs that receive no gradient.  Use float64 inputs: float32 finite differences are too
    coarse for the default tolerances (a warning says so).

    Args:
        func: a function taking the inputs and returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of arguments for ``func``.
        eps: the finite-difference step.
        atol, rtol: absolute and relative tolerances.
        raise_exception: raise :class:`GradcheckError` naming the failing pair and showing both
            Jacobians (default), or return False.
        nondet_tol: tolerance between two backward passes with the same input.
        fast_mode: compare ``vᵀ J u`` for random unit vectors instead of the full Jacobians.

    Returns:
        True when every check passes.

    >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    >>> ember.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError(
            "Expected at least one of check_forward_ad or check_backward_ad to be True"
        )
    if check_batched_grad and not check_backward_ad:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_backward_ad to be True"
        )
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError(
            "Setting check_batched_forward_grad=True requires check_forward_ad to be True"
        )
    if check_forward_ad or check_batched_grad or check_batched_forward_grad:
        raise NotImplementedError(
            "gradcheck: check_forward_ad, check_batched_grad and check_batched_forward_grad "
            "need forward-mode AD and vmap, which ember does not have"
        )
    try:
        return _gradcheck(
            func,
            inputs,
            eps,
            atol,
            rtol,
            nondet_tol,
            check_undefined_grad,
            check_grad_dtypes,
            fast_mode,
        )
    except GradcheckError:
        if raise_exception:
            raise
        return False


gradcheck.GradcheckError = GradcheckError  # also reachable from the function object


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check second derivatives: ``gradcheck`` of the map (inputs, grad_outputs) → gradients.

    ``grad_outputs`` defaults to random tensors in [-1, 1) shaped like the differentiable
    outputs (non-contiguous ones with ``gen_non_contig_grad_outputs``); they require grad, so
    the check covers the gradients' dependence on them too.  Other arguments as ``gradcheck``.
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError(
            "Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True"
        )
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_undefined_grad=True requires check_rev_over_rev to be True"
        )
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_rev_over_rev to be True"
        )
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = _differentiable_outputs(func(*tupled_inputs))
        gen = cpu.make_bit_generator(_FAST_MODE_SEED + 1)
        tupled_grads = tuple(
            _random_grad_output(o, gen, gen_non_contig_grad_outputs) for o in outputs
        )
    else:
        tupled_grads = _as_tuple(grad_outputs)
    n_grads = len(tupled_grads)
    diff_inputs = {
        i for i, x in enumerate(tupled_inputs) if isinstance(x, Tensor) and x._requires_grad
    }
    diff_grads = {i for i, g in enumerate(tupled_grads) if g._requires_grad}

    def first_derivatives(*args):
        ins = tuple(
            x.requires_grad_() if i in diff_inputs else x
            for i, x in enumerate(args[: len(args) - n_grads])
        )
        outs = _differentiable_outputs(func(*ins))
        gos = tuple(
            g.requires_grad_() if i in diff_grads else g
            for i, g in enumerate(args[len(args) - n_grads :])
        )
        wrt = tuple(x for i, x in enumerate(ins) if i in diff_inputs)
        grads = _grad(outs, wrt, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_derivatives,
        tupled_inputs + tupled_grads,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        fast_mode=fast_mode,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
        masked=masked,
    )


# -- the checks ------------------------------------------------------------------------------


def _gradcheck(
    func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad, check_grad_dtypes, fast_mode
) -> bool:
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    func_out = _as_tuple(func(*inputs))
    # positions of the differentiable outputs among everything func returns
    positions = [k for k, o in enumerate(func_out) if o._requires_grad]
    outputs = tuple(func_out[k] for k in positions)
    for o in outputs:
        if o._dtype.is_complex:
            raise NotImplementedError("gradcheck: complex outputs are not supported by ember yet")
    if not outputs:
        _check_no_differentiable_outputs(func, inputs, func_out, eps)
        return True
    check = _fast_check if fast_mode else _slow_check
    check(func, inputs, outputs, positions, eps, atol, rtol, nondet_tol, check_grad_dtypes)
    _check_backward_mul_by_grad_output(outputs, inputs)
    if check_undefined_grad:
        _check_undefined_grad(func, inputs)
    return True


def _check_inputs(inputs) -> None:
    any_diff = False
    for idx, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x._requires_grad):
            continue
        if x._dtype.is_complex:
            raise NotImplementedError("gradcheck: complex inputs are not supported by ember yet")
        if x._dtype is not _dtype.float64:
            warnings.warn(
                f"Input #{idx} requires gradient and is not a double precision floating point "
                "or complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ",
                UserWarning,
                stacklevel=4,
            )
        if any(st == 0 and n > 1 for st, n in zip(x.stride(), x.shape)):
            raise RuntimeError(
                f"The {idx}th input has a dimension with stride 0. gradcheck only supports "
                "inputs that are non-overlapping to be able to compute the numerical gradients "
                "correctly. You should call .contiguous on the input before passing it to "
                "gradcheck."
            )
        any_diff = True
    if not any_diff:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of "
            "them have requires_grad=True."
        )


def _slow_check(func, inputs, outputs, positions, eps, atol, rtol, nondet_tol, check_grad_dtypes):
    """Full Jacobians, compared pair by pair."""
    diff = _diff_inputs(inputs)
    numerical = _numerical_jacobians(func, inputs, outputs, positions, eps)  # [input][output]
    for j, out in enumerate(outputs):
        analytical = _analytical_jacobians(diff, out, nondet_tol, check_grad_dtypes)
        for i, a in enumerate(analytical):
            n = numerical[i][j]
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(_mismatch_message(a, n, j, i, diff[i]._device))


def _fast_check(func, inputs, outputs, positions, eps, atol, rtol, nondet_tol, check_grad_dtypes):
    """``vᵀ (J u)`` by finite differences along ``u`` against ``(vᵀ J) u`` by one backward,
    for random non-negative unit vectors ``u`` (per input) and ``v`` (per output)."""
    diff = _diff_inputs(inputs)
    gen = cpu.make_bit_generator(_FAST_MODE_SEED)
    all_u = [_unit_vector(x, gen) for x in diff]
    all_v = [_unit_vector(o, gen) for o in outputs]
    numerical = []  # [input][output]: v . (J u)
    for x, u in zip(diff, all_u):
        ju = _directional_differences(func, inputs, x, u * eps, eps, positions)
        xp = array_module(u)
        numerical.append([xp.asarray((v * d).sum()) for v, d in zip(all_v, ju)])
    for j, (out, v) in enumerate(zip(outputs, all_v)):
        seed = _wrap(v.reshape(out.shape), out._dtype, out._device)
        vjs = _check_rows(
            diff,
            [_copied(_vjps(diff, out, seed))],
            [_copied(_vjps(diff, out, seed))],
            nondet_tol,
            check_grad_dtypes,
        )
        for i, (x, u) in enumerate(zip(diff, all_u)):
            a = array_module(u).asarray((vjs[i][:, 0] * u).sum())
            n = numerical[i][j]
            tol = atol * float(u.sum()) * float(v.sum())
            if not _allclose(a, n, rtol, tol):
                raise GradcheckError(
                    _mismatch_message(a, n, j, i, x._device)
                    + _slow_mode_report(func, inputs, x, out, positions[j], eps, atol, rtol)
                )


def _slow_mode_report(func, inputs, x, out, position, eps, atol, rtol) -> str:
    """The full Jacobians of one failing pair, for fast mode's error message."""
    n = _numerical_jacobians(func, inputs, (out,), (position,), eps, only=x)[0][0]
    a = _analytical_jacobians([x], out, float("inf"), False)[0]
    xp = array_module(a)
    max_diff = float(xp.abs(n - a).max()) if a.size else 0.0
    msg = (
        "\nThe above quantities relating the numerical and analytical jacobians are computed \n"
        "in fast mode. Below, we recompute numerical and analytical jacobians in slow mode:\n\n"
        f"Numerical:\n {_as_tensor(n, x._device)}\n"
        f"Analytical:\n{_as_tensor(a, x._device)}\n\n"
        f"The max per-element difference (slow mode) is: {max_diff}.\n"
    )
    if _allclose(a, n, rtol, atol):
        msg += (
            "\nFast gradcheck failed but element-wise differences are small. This means that "
            "the test might've passed in slow_mode! Call gradcheck/gradgradcheck with "
            "fast_mode=False."
        )
    return msg


def _check_no_differentiable_outputs(func, inputs, func_out, eps) -> None:
    positions = range(len(func_out))
    for per_input in _numerical_jacobians(func, inputs, func_out, positions, eps):
        for jac in per_input:
            if bool((jac != 0).any()):
                raise GradcheckError("Numerical gradient for function expected to be zero")


def _check_backward_mul_by_grad_output(outputs, inputs) -> None:
    diff = _diff_inputs(inputs)
    if not outputs:
        return
    from ember._factories import zeros_like

    grads = _grad(outputs, diff, [zeros_like(o) for o in outputs], allow_unused=True)
    for g, x in zip(grads, diff):
        if g is None:
            continue
        if bool((g._data != 0).any()):
            raise GradcheckError("backward not multiplied by grad_output")
        if g._dtype is not x._dtype:
            raise GradcheckError("grad is incorrect type")
        if g._device != x._device:
            raise GradcheckError("grad is incorrect device")
        if tuple(g.shape) != tuple(x.shape):
            raise GradcheckError("grad is incorrect size")


class _UndefinedGrad(Function):
    """Identity whose backward sends no gradient: the output's gradient becomes undefined."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return None


def _check_undefined_grad(func, inputs) -> None:
    """Backward must accept outputs that get no gradient (all at once, then one at a time)."""
    from ember._factories import zeros_like

    diff = _diff_inputs(inputs)

    def check(outs):
        try:
            grads = _grad(outs, diff, [zeros_like(o) for o in outs], allow_unused=True)
        except RuntimeError as e:
            raise GradcheckError(
                "Expected backward function to handle undefined output grads. Please look at "
                '"Notes about undefined output gradients" in "tools/autograd/derivatives.yaml"'
            ) from e
        for g in grads:
            if g is not None and bool((g._data != 0).any()):
                raise GradcheckError(
                    "Expected all input grads to be undefined or zero when all output grads "
                    'are undefined or zero. Please look at "Notes about undefined output '
                    'gradients" in "tools/autograd/derivatives.yaml"'
                )

    outs = _differentiable_outputs(func(*inputs))
    check([_UndefinedGrad.apply(o) for o in outs])
    if len(outs) > 1:
        for k in range(len(outs)):
            outs = _differentiable_outputs(func(*inputs))
            check([_UndefinedGrad.apply(o) if m == k else o for m, o in enumerate(outs)])


# -- Jacobians -------------------------------------------------------------------------------


def _numerical_jacobians(func, inputs, outputs, positions, eps, only=None) -> list:
    """``[input][output]`` arrays of shape (input numel, output numel): central differences.

    ``outputs`` are the checked outputs, found at ``positions`` in what ``func`` returns.
    Each element of each differentiable input (or of the input ``only``) is moved by ``-eps``
    and ``+eps`` in place, in the input's own storage, so ``func`` sees the usual tensors (and
    builds its graph, which ``gradgradcheck`` needs); the value is restored exactly after.
    """
    result = []
    for x in inputs:
        if not (isinstance(x, Tensor) and x._requires_grad) or (only is not None and x is not only):
            continue
        arr = x._data
        xp = array_module(arr)
        jacs = [xp.zeros((arr.size, o.numel()), _jacobian_dtype(o, xp)) for o in outputs]
        flat = arr.reshape(-1) if arr.flags.c_contiguous else None
        for e in range(arr.size):
            if flat is not None:
                target, idx = flat, e
            else:
                target, idx = arr, tuple(int(n) for n in xp.unravel_index(e, arr.shape))
            orig = target[idx].copy()
            target[idx] = orig - eps
            before = _run_snapshot(func, inputs, positions)
            target[idx] = orig + eps
            after = _run_snapshot(func, inputs, positions)
            target[idx] = orig
            _check_same_shapes(before, after, eps, idx)
            for jac, lo, hi in zip(jacs, before, after):
                jac[e] = ((hi - lo) / (2 * eps)).reshape(-1)
        result.append(jacs)
    return result


def _directional_differences(func, inputs, x, delta, eps, positions) -> list:
    """``J u`` for each checked output, flattened, with ``delta = eps * u`` (flat)."""
    arr = x._data
    orig = arr.copy()
    delta = delta.reshape(arr.shape).astype(arr.dtype)
    arr[...] = orig - delta
    before = _run_snapshot(func, inputs, positions)
    arr[...] = orig + delta
    after = _run_snapshot(func, inputs, positions)
    arr[...] = orig
    _check_same_shapes(before, after, eps, None)
    return [((hi - lo) / (2 * eps)).reshape(-1) for lo, hi in zip(before, after)]


def _analytical_jacobians(diff, out, nondet_tol, check_grad_dtypes) -> list:
    """Per input, the (input numel, output numel) array whose column ``j`` is the backward of
    the ``j``-th unit vector; computed twice to catch a nondeterministic backward."""
    xp = for_device(out._device).xp
    basis = xp.zeros(out.shape, out._data.dtype)
    flat = basis.reshape(-1)
    rows1, rows2 = [], []
    for j in range(out.numel()):
        flat[j] = 1
        seed = _wrap(basis, out._dtype, out._device)
        rows1.append(_copied(_vjps(diff, out, seed)))
        rows2.append(_copied(_vjps(diff, out, seed)))
        flat[j] = 0
    return _check_rows(diff, rows1, rows2, nondet_tol, check_grad_dtypes)


def _check_rows(diff, rows1, rows2, nondet_tol, check_grad_dtypes) -> list:
    """Lay backward results out as Jacobian columns; check sizes, dtypes and reentrancy."""
    sizes_ok = types_ok = reentrant = True
    jacobians = []
    for i, x in enumerate(diff):
        xp = for_device(x._device).xp
        j1 = xp.zeros((x.numel(), len(rows1)), x._data.dtype)
        j2 = xp.zeros((x.numel(), len(rows1)), x._data.dtype)
        for j, (r1, r2) in enumerate(zip(rows1, rows2)):
            for jac, g in ((j1, r1[i]), (j2, r2[i])):
                if g is None:
                    continue
                if tuple(g.shape) != tuple(x.shape):
                    sizes_ok = False
                elif g._dtype is not x._dtype:
                    types_ok = False
                if g.numel() == x.numel():
                    jac[:, j] = g._data.reshape(-1)
        if j1.size and float(xp.abs(j1 - j2).max()) > nondet_tol:
            reentrant = False
        jacobians.append(j1)
    if not types_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    if not reentrant:
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with same input and grad_output "
            "multiple times gives different values, although analytical gradient matches "
            f"numerical gradient.The tolerance for nondeterminism was {nondet_tol}."
        )
    return jacobians


def _vjps(diff, out, seed) -> tuple:
    return _grad((out,), diff, (seed,), retain_graph=True, allow_unused=True)


def _copied(grads) -> list:
    # A gradient may alias the seed (an identity backward passes it through), and the seed's
    # array is reused for the next row: keep a copy.
    return [None if g is None else _wrap(g._data.copy(), g._dtype, g._device) for g in grads]


# -- small helpers ---------------------------------------------------------------------------


def _as_tuple(x) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _differentiable_outputs(x) -> tuple:
    return tuple(o for o in _as_tuple(x) if o._requires_grad)


def _diff_inputs(inputs) -> list:
    return [x for x in inputs if isinstance(x, Tensor) and x._requires_grad]


def _run_snapshot(func, inputs, positions) -> list:
    """Run ``func``; copies of the arrays of its outputs at ``positions`` (an output may be a
    view of the input being perturbed)."""
    out = _as_tuple(func(*inputs))
    return [out[k]._data.copy() for k in positions]


def _jacobian_dtype(out, xp):
    return out._data.dtype if out._dtype.is_floating_point else xp.float64


def _check_same_shapes(before, after, eps, idx) -> None:
    where = f"on index {idx} " if idx is not None else ""
    for a, b in zip(before, after):
        if a.shape != b.shape:
            raise AssertionError(
                f"Expected `func` to return outputs with the same shape when inputs are "
                f"perturbed {where}by {eps}, but got: shapes {a.shape} and {b.shape}."
            )
        if a.dtype != b.dtype:
            raise AssertionError(
                f"Expected `func` to return outputs with the same dtype when inputs are "
                f"perturbed {where}by {eps}, but got: dtypes {a.dtype} and {b.dtype}."
            )


def _allclose(a, n, rtol, atol) -> bool:
    xp = array_module(a)
    dt = xp.result_type(a, n)
    return bool(xp.allclose(a.astype(dt), n.astype(dt), rtol=rtol, atol=atol))


def _as_tensor(arr, device) -> Tensor:
    return _wrap(arr, _dtype.from_numpy_dtype(arr.dtype), device)


def _mismatch_message(a, n, out_idx, in_idx, device) -> str:
    return (
        f"Jacobian mismatch for output {out_idx:d} with respect to input {in_idx:d},\n"
        f"numerical:{_as_tensor(n, device)}\nanalytical:{_as_tensor(a, device)}\n"
    )


def _unit_vector(t, gen):
    """A random non-negative vector of ``t.numel()`` entries and unit norm, on ``t``'s device."""
    host = gen.random(t.numel())
    norm = float((host * host).sum()) ** 0.5
    if norm:
        host = host / norm
    return for_device(t._device).from_host(host.astype(t._data.dtype), t._device.index)


def _random_grad_output(out, gen, non_contiguous: bool) -> Tensor:
    """Uniform in [-1, 1), shaped and typed like ``out`` (float64 for integer outputs)."""
    dt = out._dtype if (out._dtype.is_floating_point or out._dtype.is_complex) else _dtype.float64
    shape = tuple(out.shape)
    host = gen.uniform(-1.0, 1.0, shape + ((2,) if non_contiguous else ()))
    arr = for_device(out._device).from_host(host.astype(dt.np), out._device.index)
    if non_contiguous:
        arr = arr[..., 0]
    t = _wrap(arr, dt, out._device) if arr.size else _from_array(arr, out._device, dt)
    t._requires_grad = True  # (an empty one gets PyTorch's strides, not NumPy's zeros)
    return t
