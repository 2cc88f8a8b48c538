"""``ember.autograd.gradcheck`` / ``gradgradcheck`` against ``torch.autograd``'s: the same
functions pass, the same broken backwards fail with the same error (and, in slow mode, the
same message), and the checks leave their inputs as they found them."""

import functools
import sys
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.autograd.gradcheck import GradcheckError

RNG = np.random.default_rng(7)
LIBS = (ember, torch)


def _inputs(lib, *arrays, grad=None):
    """Tensors of ``lib`` from arrays; ``grad`` lists which require grad (default all)."""
    out = []
    for i, a in enumerate(arrays):
        # an empty tensor made from an array has strides 0 in both libraries, which gradcheck
        # refuses; a factory gives the usual strides
        t = lib.tensor(a) if a.size else lib.zeros(a.shape, dtype=lib.float64)
        if grad is None or grad[i]:
            t.requires_grad_()
        out.append(t)
    return tuple(out)


def _both(check, fn, arrays, grad=None, **kwargs):
    """Run ``check`` (gradcheck or gradgradcheck, by name) on both libraries."""
    results = []
    for lib in LIBS:
        inputs = _inputs(lib, *arrays, grad=grad)
        results.append(getattr(lib.autograd, check)(functools.partial(fn, lib), inputs, **kwargs))
    return results


def _randn(*shape):
    return RNG.standard_normal(shape)


# -- passing functions -------------------------------------------------------------------------

CASES = {
    "mul_div": (lambda lib, x, y: x * y / (x * x + 1.5), [(3, 4), (3, 4)]),
    "broadcast": (lambda lib, x, y: (x - y) * y + x / 2, [(2, 3), (3,)]),
    "add_alpha": (
        lambda lib, x, y: lib.add(x, y, alpha=2.5) - lib.sub(y, x, alpha=0.5),
        [(4,), (4,)],
    ),
    "neg_scalar": (lambda lib, x: -x * 3.0 + 1.0, [(5,)]),
    "zero_dim": (lambda lib, x, y: x * y + x, [(), (2,)]),
    "sum_dim": (lambda lib, x: (x * x).sum(1) + x.sum(), [(3, 2)]),
    "empty": (lambda lib, x, y: x * y, [(0, 3), (3,)]),
    "two_outputs": (lambda lib, x, y: (x * y, (x / (y * y + 1)).sum()), [(2, 2), (2, 2)]),
}


@pytest.mark.parametrize("fast_mode", [False, True])
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_passes_on_correct_functions(name, fast_mode):
    fn, shapes = CASES[name]
    arrays = [_randn(*s) for s in shapes]
    assert _both("gradcheck", fn, arrays, fast_mode=fast_mode) == [True, True]


def test_non_contiguous_inputs():
    base = _randn(4, 3)
    results = []
    for lib in LIBS:
        x = lib.tensor(base).t().requires_grad_()  # a transposed leaf
        y = lib.tensor(_randn(3, 8))[:, ::2].requires_grad_()  # a strided leaf
        assert not x.is_contiguous() and not y.is_contiguous()
        results.append(lib.autograd.gradcheck(lambda a, b: a * b + a / (b * b + 1), (x, y)))
    assert results == [True, True]


def test_mixed_arguments_only_differentiates_tensors_requiring_grad():
    def fn(lib, x, c, scale):
        return x * c * scale

    results = []
    for lib in LIBS:
        x = lib.tensor(_randn(3), requires_grad=True)
        c = lib.tensor(_randn(3))
        results.append(lib.autograd.gradcheck(functools.partial(fn, lib), (x, c, 2.0)))
    assert results == [True, True]


def test_single_tensor_input_and_result_is_true():
    x = ember.tensor(_randn(3), requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: t * t, x) is True
    assert ember.autograd.gradgradcheck(lambda t: t * t * t, x) is True


def test_inputs_are_restored_and_not_versioned():
    a = _randn(2, 3)
    for lib in LIBS:
        x = lib.tensor(a, requires_grad=True)
        v = x._version
        lib.autograd.gradcheck(lambda t: t * t, (x,))
        lib.autograd.gradcheck(lambda t: t * t, (x,), fast_mode=True)
        assert x._version == v
        assert x.grad is None
        np.testing.assert_array_equal(x.detach().numpy(), a)


def test_gradcheck_is_the_function_and_the_module_is_importable():
    assert callable(ember.autograd.gradcheck) and callable(ember.autograd.gradgradcheck)
    assert callable(torch.autograd.gradcheck)
    module = sys.modules["ember.autograd.gradcheck"]
    assert module.GradcheckError is GradcheckError
    assert issubclass(GradcheckError, RuntimeError)


# -- broken backwards --------------------------------------------------------------------------


def _custom(lib, forward, backward):
    """A custom Function of ``lib`` with the given forward(ctx, *args) and backward."""
    return type(
        "Custom",
        (lib.autograd.Function,),
        {"forward": staticmethod(forward), "backward": staticmethod(backward)},
    )


def _wrong_scale(lib):
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y, g * x * 1.1  # the second gradient is 10% off

    return _custom(lib, forward, backward)


def _torch_message(err):
    return str(err).replace("torch.", "ember.")


def test_wrong_backward_raises_with_the_same_message_as_torch():
    x, y = _randn(3), _randn(3)
    messages = []
    for lib in LIBS:
        fn = _wrong_scale(lib).apply
        with pytest.raises(RuntimeError) as info:
            lib.autograd.gradcheck(fn, _inputs(lib, x, y))
        assert type(info.value).__name__ == "GradcheckError"
        messages.append(str(info.value))
    assert messages[0].startswith("Jacobian mismatch for output 0 with respect to input 1,\n")
    assert "numerical:" in messages[0] and "analytical:" in messages[0]
    assert messages[0] == messages[1].replace("torch.", "ember.")


def test_wrong_backward_with_raise_exception_false_returns_false():
    x, y = _randn(2, 2), _randn(2, 2)
    for fast_mode in (False, True):
        results = []
        for lib in LIBS:
            fn = _wrong_scale(lib).apply
            results.append(
                lib.autograd.gradcheck(
                    fn, _inputs(lib, x, y), raise_exception=False, fast_mode=fast_mode
                )
            )
        assert results == [False, False]


def test_fast_mode_failure_reports_the_slow_jacobians():
    x, y = _randn(3), _randn(3)
    fn = _wrong_scale(ember).apply
    with pytest.raises(GradcheckError) as info:
        ember.autograd.gradcheck(fn, _inputs(ember, x, y), fast_mode=True)
    msg = str(info.value)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 1,\n")
    assert "Below, we recompute numerical and analytical jacobians in slow mode" in msg
    assert "The max per-element difference (slow mode) is:" in msg


def test_mismatch_in_a_second_output_names_it():
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2, x * x

    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        return g1 * 2 + g2 * x  # d(x*x) is 2x, not x

    a = _randn(2)
    messages = []
    for lib in LIBS:
        fn = _custom(lib, forward, backward).apply
        with pytest.raises(RuntimeError) as info:
            lib.autograd.gradcheck(fn, _inputs(lib, a))
        messages.append(str(info.value))
    assert messages[0].startswith("Jacobian mismatch for output 1 with respect to input 0,")
    assert messages[0] == messages[1].replace("torch.", "ember.")


def test_backward_not_multiplied_by_grad_output():
    def forward(ctx, x):
        return x * 2

    def backward(ctx, g):
        # right on unit vectors (the Jacobian), wrong on a zero grad_output
        return g * 2 + (1 - g.sum()) * 0.5

    for lib in LIBS:
        fn = _custom(lib, forward, backward).apply
        with pytest.raises(RuntimeError, match="backward not multiplied by grad_output"):
            lib.autograd.gradcheck(fn, _inputs(lib, _randn(3)))


def test_nondeterministic_backward_is_not_reentrant():
    def make(lib):
        calls = [0]

        def forward(ctx, x):
            return x * 3

        def backward(ctx, g):
            calls[0] += 1
            return g * (3 + 1e-9 * calls[0])

        return _custom(lib, forward, backward).apply

    for lib in LIBS:
        with pytest.raises(RuntimeError, match="Backward is not reentrant"):
            lib.autograd.gradcheck(make(lib), _inputs(lib, _randn(3)))
        assert lib.autograd.gradcheck(make(lib), _inputs(lib, _randn(3)), nondet_tol=1e-6)


def test_backward_that_cannot_take_undefined_grads():
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2, x * 3

    def backward(ctx, g1, g2):
        if g1 is None or g2 is None:
            raise RuntimeError("an undefined gradient")
        return g1 * 2 + g2 * 3

    def tolerant(ctx, g1, g2):
        out = None
        if g1 is not None:
            out = g1 * 2
        if g2 is not None:
            out = g2 * 3 if out is None else out + g2 * 3
        return out

    for lib in LIBS:
        # the one-output-at-a-time backward passes of the analytical Jacobian already fail
        with pytest.raises(RuntimeError, match="an undefined gradient"):
            lib.autograd.gradcheck(_custom(lib, forward, backward).apply, _inputs(lib, _randn(2)))
        fn = _custom(lib, forward, tolerant).apply
        assert lib.autograd.gradcheck(fn, _inputs(lib, _randn(2)))


def test_undefined_grad_check_catches_a_backward_that_needs_all_grads():
    # Defined gradients of both outputs work; an undefined one reaches backward as None.
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2, x * 3

    def backward(ctx, g1, g2):
        if g1 is None and g2 is None:
            return None
        if g1 is None or g2 is None:
            raise RuntimeError("half-defined gradients")
        return g1 * 2 + g2 * 3

    for lib in LIBS:
        fn = _custom(lib, forward, backward).apply
        # seeding only one output leaves the other undefined, so analytical rows fail first
        with pytest.raises(RuntimeError, match="half-defined gradients"):
            lib.autograd.gradcheck(fn, _inputs(lib, _randn(2)))


def test_function_without_differentiable_outputs():
    a = _randn(3)
    for lib in LIBS:
        (x,) = _inputs(lib, a)
        assert lib.autograd.gradcheck(lambda t, lib=lib: lib.ones(2, dtype=lib.float64), (x,))
        with pytest.raises(
            RuntimeError, match="Numerical gradient for function expected to be zero"
        ):
            lib.autograd.gradcheck(lambda t: (t * 2).detach(), (x,))


# -- argument checks ---------------------------------------------------------------------------


def test_float32_inputs_warn():
    for lib in LIBS:
        x = lib.tensor(_randn(3).astype(np.float32), requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.autograd.gradcheck(
                lambda t: t * 2, (x,), eps=1e-3, atol=1e-2, raise_exception=False
            )
        msgs = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        assert any(
            m.startswith("Input #0 requires gradient and is not a double precision") for m in msgs
        )


def test_no_input_requiring_grad_is_a_value_error():
    for lib in LIBS:
        with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
            lib.autograd.gradcheck(lambda t: t * 2, (lib.tensor(_randn(2)),))


def test_stride_zero_input_is_refused():
    for lib in LIBS:
        x = lib.tensor(_randn(3)).expand(2, 3).requires_grad_()
        with pytest.raises(RuntimeError, match="has a dimension with stride 0"):
            lib.autograd.gradcheck(lambda t: t * 2, (x,))


# -- second order ------------------------------------------------------------------------------


@pytest.mark.parametrize("fast_mode", [False, True])
def test_gradgradcheck_passes_on_elementwise_functions(fast_mode):
    def fn(lib, x, y):
        return x * y / (x * x + 1) - y * y * x, x * x * x

    arrays = [_randn(2, 3), _randn(2, 3)]
    assert _both("gradgradcheck", fn, arrays, fast_mode=fast_mode) == [True, True]


def test_gradgradcheck_with_given_and_non_contiguous_grad_outputs():
    def fn(lib, x):
        return x * x * x / (x * x + 2)

    a, g = _randn(2, 3), _randn(2, 3)
    for lib in LIBS:
        (x,) = _inputs(lib, a)
        go = lib.tensor(g, requires_grad=True)
        assert lib.autograd.gradgradcheck(functools.partial(fn, lib), (x,), (go,))
        assert lib.autograd.gradgradcheck(
            functools.partial(fn, lib), (x,), gen_non_contig_grad_outputs=True
        )


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * (x * x).detach()  # right value, but cut from the graph

    a = _randn(3)
    for lib in LIBS:
        fn = _custom(lib, forward, backward).apply
        assert lib.autograd.gradcheck(fn, _inputs(lib, a))
        with pytest.raises(
            RuntimeError, match="Jacobian mismatch for output 0 with respect to input 0"
        ):
            lib.autograd.gradgradcheck(fn, _inputs(lib, a))
        assert lib.autograd.gradgradcheck(fn, _inputs(lib, a), raise_exception=False) is False


def test_unsupported_options_say_so():
    x = ember.tensor(_randn(2), requires_grad=True)
    with pytest.raises(NotImplementedError, match="forward-mode AD"):
        ember.autograd.gradcheck(lambda t: t * 2, (x,), check_forward_ad=True)
    with pytest.raises(AssertionError):
        ember.autograd.gradcheck(lambda t: t * 2, (x,), check_backward_ad=False)
