"""Anomaly mode against torch's: the switches, the NaN check naming the backward that made the
NaN, the warning that shows the forward call, and the normal path left alone."""

import functools
import math
import warnings

import pytest
import torch

import ember
from ember.autograd import anomaly_mode

LIBS = (ember, torch)


def _nan_backward(lib):
    """x / x at x = 0: DivBackward0's gradient for the divisor is nan."""
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    y = x / x  # the forward call the warning must show
    return x, y


def _caught(fn):
    """Run fn; return (the exception or None, the UserWarning messages)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn()
            err = None
        except Exception as e:  # noqa: BLE001
            err = e
    return err, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def test_switches_and_their_state():
    for lib in LIBS:
        assert not lib.is_anomaly_enabled()
        with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
            ctx = lib.autograd.detect_anomaly()
        assert not lib.is_anomaly_enabled()  # detect_anomaly starts on entering
        with ctx:
            assert lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
            with lib.autograd.set_detect_anomaly(False):
                assert not lib.is_anomaly_enabled()
            assert lib.is_anomaly_enabled()
        assert not lib.is_anomaly_enabled()
        with pytest.warns(UserWarning):
            with lib.autograd.detect_anomaly(check_nan=False):
                assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
        assert lib.is_anomaly_check_nan_enabled()
        mode = lib.autograd.set_detect_anomaly(True)  # takes effect at once
        assert lib.is_anomaly_enabled()
        with mode:
            pass
        assert not lib.is_anomaly_enabled()
        lib.set_anomaly_enabled(True)
        assert lib.is_anomaly_enabled()
        lib.set_anomaly_enabled(False)
        assert not lib.is_anomaly_enabled()


def test_nan_in_backward_names_the_function_and_shows_the_forward_call():
    results = []
    for lib in LIBS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ctx = lib.autograd.detect_anomaly()

        def run(lib=lib, ctx=ctx):
            with ctx:
                x, y = _nan_backward(lib)
                y.sum().backward()

        results.append(_caught(run))
    for err, msgs in results:
        assert isinstance(err, RuntimeError)
        assert str(err) == "Function 'DivBackward0' returned nan values in its 1th output."
        detail = [m for m in msgs if m.startswith("Error detected in DivBackward0.")]
        assert len(detail) == 1
        assert "Traceback of forward call that caused the error:" in detail[0]
        assert __file__ in detail[0] and "y = x / x" in detail[0]


def test_custom_function_returning_nan():
    results = []
    for lib in LIBS:

        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * float("nan")

        x = lib.ones(2, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.set_detect_anomaly(True):
                y = Bad.apply(x)
                err, msgs = _caught(y.sum().backward)
        results.append((str(err), any("Error detected in BadBackward" in m for m in msgs)))
    assert (
        results[0]
        == results[1]
        == ("Function 'BadBackward' returned nan values in its 0th output.", True)
    )


def test_check_nan_false_and_anomaly_off_let_nan_through():
    for lib in LIBS:
        x, y = _nan_backward(lib)
        err, msgs = _caught(y.sum().backward)  # off: nan arrives silently
        assert err is None and not msgs and math.isnan(x.grad.tolist()[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly(check_nan=False):
                x, y = _nan_backward(lib)
                y.sum().backward()
        assert math.isnan(x.grad.tolist()[0])


def test_an_error_in_any_backward_warns_with_the_forward_trace():
    for lib in LIBS:

        class Boom(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                raise ValueError("boom")

        x = lib.ones(2, requires_grad=True)
        with lib.autograd.set_detect_anomaly(True):
            y = Boom.apply(x)
            err, msgs = _caught(y.sum().backward)
        assert isinstance(err, ValueError)
        detail = [m for m in msgs if m.startswith("Error detected in BoomBackward.")]
        assert len(detail) == 1 and "y = Boom.apply(x)" in detail[0]


def test_node_recorded_outside_anomaly_mode_has_no_trace():
    for lib in LIBS:
        x, y = _nan_backward(lib)
        with lib.autograd.set_detect_anomaly(True):
            err, msgs = _caught(y.sum().backward)
        assert str(err) == "Function 'DivBackward0' returned nan values in its 1th output."
        assert any(
            m.startswith("Error detected in DivBackward0. No forward pass information available.")
            for m in msgs
        )


def test_double_backward_names_the_backward_that_made_the_node():
    for lib in LIBS:
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        with lib.autograd.set_detect_anomaly(True):
            y = (x * x).sum()
            (g,) = lib.autograd.grad(y, x, create_graph=True)
            seed = lib.tensor([float("nan"), 1.0])
            err, msgs = _caught(functools.partial(g.backward, seed))
        assert str(err) == "Function 'AddBackward0' returned nan values in its 0th output."
        assert any(m.startswith("Error detected in AddBackward0.") for m in msgs)
        previous = [m for m in msgs if "Previous calculation was induced by MulBackward0" in m]
        assert len(previous) == 1 and "y = (x * x).sum()" in previous[0]


def test_normal_path_records_nothing_and_gives_the_same_gradients():
    grads = []
    for anomaly in (False, True):
        x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with ember.autograd.set_detect_anomaly(anomaly):
            y = x * x / (x + 1) - x
            assert hasattr(y.grad_fn, "_anomaly_trace") == anomaly
            y.sum().backward()
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1]
    assert anomaly_mode._current_node is None


def test_state_is_restored_after_an_error():
    x, y = _nan_backward(ember)
    with ember.autograd.set_detect_anomaly(True):
        x, y = _nan_backward(ember)
        err, _ = _caught(y.sum().backward)
    assert isinstance(err, RuntimeError)
    assert anomaly_mode._current_node is None
    assert not ember.is_anomaly_enabled()
