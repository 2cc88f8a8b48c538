"""``ember.autograd.functional`` against ``torch.autograd.functional``: values, the nesting of
the results (Tensor, tuple, tuple of tuples exactly as torch returns them), detaching, strict
mode and the errors on bad arguments."""

import functools

import numpy as np
import pytest
import torch

import ember

F_E = ember.autograd.functional
F_T = torch.autograd.functional
RNG = np.random.default_rng(11)
LIBS = (ember, torch)


def _randn(*shape):
    return RNG.standard_normal(shape)


def _same(ours, theirs, tol=1e-10):
    """Same nesting, shapes, dtypes and values."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            _same(a, b, tol)
        return
    assert isinstance(theirs, torch.Tensor) and isinstance(ours, ember.Tensor), (ours, theirs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).replace("ember.", "") == str(theirs.dtype).replace("torch.", "")
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


def _args(lib, arrays, as_tuple=True):
    ts = tuple(lib.tensor(a) for a in arrays)
    return ts if as_tuple else ts[0]


def _run(name, fn, arrays, *, as_tuple=True, v=None, v_tuple=None, **kwargs):
    """Call functional.<name> on both libraries and compare the results."""
    results = []
    for lib in LIBS:
        args = [
            getattr(lib.autograd.functional, name),
            functools.partial(fn, lib),
            _args(lib, arrays, as_tuple),
        ]
        if v is not None:
            vs = tuple(lib.tensor(x) for x in v)
            args.append(vs if (v_tuple if v_tuple is not None else as_tuple) else vs[0])
        results.append(args[0](*args[1:], **kwargs))
    _same(results[0], results[1])
    return results


# -- jacobian ------------------------------------------------------------------------------------


def _two_in_two_out(lib, x, y):
    return x * y / (x * x + 1) - y, x * x * 3


JACOBIAN_CASES = [
    # (function, input shapes, inputs as a tuple)
    (lambda lib, x: x * x * 2 - x, [(2, 3)], False),
    (lambda lib, x: (x * x).sum(), [(4,)], False),
    (lambda lib, x: x * 3, [()], False),
    (lambda lib, x: (x * 3).sum(0), [(0, 2)], False),
    (lambda lib, x: (x * 2, x.sum(0)), [(3, 2)], False),
    (lambda lib, x, y: x * y + y, [(2, 3), (3,)], True),
    (_two_in_two_out, [(2, 3), (3,)], True),
    (lambda lib, x: x * x, [(3,)], True),  # one input, given as a tuple
]


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("case", range(len(JACOBIAN_CASES)))
def test_jacobian_values_and_nesting(case, vectorize):
    fn, shapes, as_tuple = JACOBIAN_CASES[case]
    arrays = [_randn(*s) for s in shapes]
    _run("jacobian", fn, arrays, as_tuple=as_tuple, vectorize=vectorize)


def test_jacobian_of_an_empty_output_is_empty():
    # torch fails here ("stack expects a non-empty TensorList"); ember returns the empty answer
    jac = F_E.jacobian(lambda t: t * 3, ember.zeros(0, 2, dtype=ember.float64))
    assert tuple(jac.shape) == (0, 2, 0, 2) and jac.dtype is ember.float64


def test_jacobian_of_an_unused_input_is_zero_and_strict_refuses_it():
    arrays = [_randn(3), _randn(2)]
    _run("jacobian", lambda lib, x, y: x * 2, arrays)
    for lib in LIBS:
        with pytest.raises(
            RuntimeError, match="Output 0 of the user-provided function is independent of input 1"
        ):
            lib.autograd.functional.jacobian(lambda x, y: x * 2, _args(lib, arrays), strict=True)


def test_jacobian_strict_refuses_an_output_without_grad():
    for lib in LIBS:
        x = lib.tensor(_randn(3))
        with pytest.raises(
            RuntimeError, match="Output 0 of the user-provided function does not require gradients"
        ):
            lib.autograd.functional.jacobian(lambda t, lib=lib: lib.ones(3), x, strict=True)


def test_jacobian_forward_mode_strategy():
    arrays = [_randn(3)]
    _run(
        "jacobian",
        lambda lib, x: x * x,
        arrays,
        as_tuple=False,
        vectorize=True,
        strategy="forward-mode",
    )
    for lib in LIBS:
        x = lib.tensor(arrays[0])
        with pytest.raises(NotImplementedError):
            lib.autograd.functional.jacobian(lambda t: t * t, x, strategy="forward-mode")
        with pytest.raises(AssertionError):
            lib.autograd.functional.jacobian(lambda t: t * t, x, strategy="sideways")
        with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True`"):
            lib.autograd.functional.jacobian(lambda t: t * t, x, strict=True, vectorize=True)


def test_jacobian_create_graph_of_a_scalar_output_is_differentiable():
    a = _randn()
    grads = []
    for lib in LIBS:
        x = lib.tensor(a, requires_grad=True)
        jac = lib.autograd.functional.jacobian(lambda t: t * t * t, x, create_graph=True)
        assert jac.requires_grad
        (g,) = lib.autograd.grad(jac, x)
        grads.append(g)
    _same(grads[0], grads[1])


@pytest.mark.skipif(not hasattr(ember, "stack"), reason="needs ember.stack")
def test_jacobian_create_graph_keeps_the_graph():
    a, w = _randn(3), _randn(3)
    grads = []
    for lib in LIBS:
        x = lib.tensor(a, requires_grad=True)
        jac = lib.autograd.functional.jacobian(lambda t: t * t * t, x, create_graph=True)
        assert jac.requires_grad and tuple(jac.shape) == (3, 3)
        (g,) = lib.autograd.grad(jac, x, lib.tensor(np.outer(w, w)))
        grads.append(g)
    _same(grads[0], grads[1])


def test_results_are_detached_without_create_graph():
    for lib in LIBS:
        x = lib.tensor(_randn(3), requires_grad=True)
        assert not lib.autograd.functional.jacobian(lambda t: t * t, x).requires_grad
        out, vjp = lib.autograd.functional.vjp(lambda t: t * t, x, lib.ones(3))
        assert not out.requires_grad and not vjp.requires_grad


# -- hessian -------------------------------------------------------------------------------------


def test_hessian_single_input_is_a_tensor():
    _run("hessian", lambda lib, x: (x * x * x).sum(), [_randn(2, 2)], as_tuple=False)
    _run("hessian", lambda lib, x: x * x * x, [_randn()], as_tuple=False)


def test_hessian_of_several_inputs_is_a_tuple_of_tuples():
    fn = lambda lib, x, y: (x * x * y + y * y * y / (x * x + 1)).sum()  # noqa: E731
    ours, theirs = _run("hessian", fn, [_randn(3), _randn(3)])
    assert len(ours) == 2 and all(len(row) == 2 for row in ours)


def test_hessian_needs_a_single_element_output():
    for lib in LIBS:
        x = lib.tensor(_randn(3))
        with pytest.raises(RuntimeError, match="should contain a single element"):
            lib.autograd.functional.hessian(lambda t: t * t, x)
        with pytest.raises(RuntimeError, match="should return a single Tensor"):
            lib.autograd.functional.hessian(lambda t: ((t * t).sum(), t.sum()), x)


# -- vjp / jvp / hvp / vhp -------------------------------------------------------------------------


def test_vjp_single_and_tuple_forms():
    _run("vjp", lambda lib, x: x * x * 2, [_randn(2, 3)], as_tuple=False, v=[_randn(2, 3)])
    _run("vjp", _two_in_two_out, [_randn(2, 3), _randn(3)], v=[_randn(2, 3), _randn(2, 3)])
    # an output with one element needs no v
    _run("vjp", lambda lib, x: (x * x).sum(), [_randn(3)], as_tuple=False)


def test_jvp_single_and_tuple_forms():
    _run("jvp", lambda lib, x: x * x * 2, [_randn(2, 3)], as_tuple=False, v=[_randn(2, 3)])
    _run(
        "jvp",
        lambda lib, x, y: (x * y / (x * x + 1) - y, x * x * 3),
        [_randn(2, 3), _randn(2, 3)],
        v=[_randn(2, 3), _randn(2, 3)],
    )
    _run("jvp", lambda lib, x: x * x * x, [_randn(1)], as_tuple=False)


def test_hvp_and_vhp():
    fn = lambda lib, x, y: (x * x * y + y * y * y / (x * x + 1)).sum()  # noqa: E731
    arrays, v = [_randn(3), _randn(3)], [_randn(3), _randn(3)]
    for name in ("hvp", "vhp"):
        _run(name, fn, arrays, v=v)
        _run(name, lambda lib, x: (x * x * x).sum(), arrays[:1], as_tuple=False, v=v[:1])


def test_hvp_matches_the_hessian_times_v():
    a, v = _randn(4), _randn(4)
    f = lambda t: (t * t * t / (t * t + 1)).sum()  # noqa: E731
    x = ember.tensor(a)
    h = F_E.hessian(f, x).numpy()
    _, hv = F_E.hvp(f, x, ember.tensor(v))
    np.testing.assert_allclose(hv.numpy(), h @ v, rtol=1e-10, atol=1e-12)


def test_create_graph_results_stay_differentiable():
    a, v = _randn(3), _randn(3)
    grads = []
    for lib in LIBS:
        x = lib.tensor(a, requires_grad=True)
        out, vjp = lib.autograd.functional.vjp(
            lambda t: t * t * t, x, lib.tensor(v), create_graph=True
        )
        assert out.requires_grad and vjp.requires_grad
        (g,) = lib.autograd.grad(vjp * vjp, x, lib.tensor(v))
        grads.append(g)
    _same(grads[0], grads[1])


def test_unused_inputs_get_zeros_and_strict_names_them():
    arrays, v = [_randn(3), _randn(3)], [_randn(3)]
    _run("vjp", lambda lib, x, y: x * 2, arrays, v=v, v_tuple=False)
    for lib in LIBS:
        x, y = _args(lib, arrays)
        with pytest.raises(RuntimeError, match="independent of input 1"):
            lib.autograd.functional.vjp(lambda a, b: a * 2, (x, y), lib.tensor(v[0]), strict=True)


@pytest.mark.parametrize("name", ["vjp", "jvp", "hvp", "vhp"])
def test_bad_arguments_raise_like_torch(name):
    for lib in LIBS:
        fn = getattr(lib.autograd.functional, name)
        f = lambda t: (t * t).sum()  # noqa: E731
        x = lib.tensor(_randn(3))
        with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
            fn(f, [x], lib.ones(3))
        with pytest.raises(RuntimeError, match="v has invalid size"):
            fn(f if name != "vjp" else (lambda t: t * t), x, lib.ones(4))
        with pytest.raises(RuntimeError, match="v is a tuple of invalid length"):
            if name == "vjp":
                fn(lambda a, b: (a * b, a), (x, x), (lib.ones(3),))
            else:
                fn(lambda a, b: (a * b).sum(), (x, x), (lib.ones(3),))
    for lib in LIBS:
        fn = getattr(lib.autograd.functional, name)
        x = lib.tensor(_randn(3))
        with pytest.raises(RuntimeError, match="The vector v can only be None"):
            fn(lambda t: t * t if name in ("vjp", "jvp") else (t * t).sum(), x)
