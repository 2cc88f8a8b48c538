"""Autograd's safety errors against torch: freed graphs, in-place changes to saved tensors,
in-place ops on leaves, implicit gradients of non-scalars, detect_anomaly."""

import warnings

import numpy as np
import pytest
import torch

import ember
from tests.autograd._compare import both, leaf, raises_both

X = np.array([0.5, 1.5, 2.5])


def test_backward_twice_through_a_freed_graph():
    def run(lib):
        x = leaf(lib, X)
        out = (x.exp() * x).sum()
        out.backward()
        out.backward()

    raises_both(run, RuntimeError, "Trying to backward through the graph a second time")


def test_in_place_change_of_a_saved_input_names_the_versions():
    def run(lib):
        x = leaf(lib, X)
        y = lib.tensor(np.ones((2, 3)))
        z = x * y
        y.add_(1)
        z.sum().backward()

    for lib in (ember, torch):
        with pytest.raises(RuntimeError) as info:
            run(lib)
        msg = str(info.value)
        assert "one of the variables needed for gradient computation has been modified by an " \
               "inplace operation" in msg
        assert "is at version 1; expected version 0 instead" in msg


def test_two_in_place_changes_count_twice():
    def run(lib):
        x = leaf(lib, X)
        w = x * 1
        z = w * w
        w.mul_(2)
        w.add_(1)
        z.sum().backward()

    raises_both(run, RuntimeError, r"\[\w+\.DoubleTensor \[3\]\].*is at version 2; expected "
                                   r"version 0 instead")


def test_in_place_change_of_a_saved_output_is_detected():
    def run(lib):
        x = leaf(lib, X)
        w = x.exp()
        w.add_(1)
        w.sum().backward()

    raises_both(run, RuntimeError, "modified by an inplace operation")


def test_in_place_change_backward_does_not_read_is_allowed():
    def run(lib):
        x = leaf(lib, X)
        y = x * 2
        z = y + 3  # AddBackward saves nothing
        y.mul_(5)
        z.sum().backward()
        return x.grad

    both(run)


def test_in_place_on_a_leaf_that_requires_grad():
    raises_both(lambda lib: leaf(lib, X).add_(1), RuntimeError,
                "a leaf Variable that requires grad is being used in an in-place operation.")
    raises_both(lambda lib: leaf(lib, X).mul_(2), RuntimeError,
                "a leaf Variable that requires grad is being used in an in-place operation.")

    def allowed(lib):
        x = leaf(lib, X)
        with lib.no_grad():
            x.mul_(2)
        return x, x.is_leaf

    both(allowed)


def test_non_scalar_and_no_grad_outputs():
    raises_both(lambda lib: (leaf(lib, X) * 2).backward(), RuntimeError,
                "grad can be implicitly created only for scalar outputs")
    raises_both(lambda lib: lib.tensor(X).sum().backward(), RuntimeError,
                "element 0 of tensors does not require grad and does not have a grad_fn")
    raises_both(lambda lib: (leaf(lib, X).detach() * 2).sum().backward(), RuntimeError,
                "element 0 of tensors does not require grad and does not have a grad_fn")

    def in_no_grad(lib):
        x = leaf(lib, X)
        with lib.no_grad():
            y = (x * 2).sum()
        y.backward()

    raises_both(in_no_grad, RuntimeError, "does not require grad and does not have a grad_fn")


# -- anomaly detection ---------------------------------------------------------------------------


def _nan_backward(lib):
    x = leaf(lib, np.array([0.0, 1.0]))
    y = x.sqrt()  # d/dx sqrt at 0 is inf; times 0 gives nan
    (y * lib.tensor([0.0, 1.0])).sum().backward()


def test_detect_anomaly_names_the_forward_op_and_warns_with_its_traceback():
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with lib.autograd.detect_anomaly():
                with pytest.raises(RuntimeError,
                                   match="Function 'SqrtBackward0' returned nan values in its "
                                         "0th output."):
                    _nan_backward(lib)
        texts = [str(w.message) for w in caught]
        assert any("Anomaly Detection has been enabled" in t for t in texts), lib
        trace = [t for t in texts if "Traceback of forward call that caused the error" in t]
        assert trace and "x.sqrt()" in trace[0], (lib, texts)
        assert "Error detected in SqrtBackward0" in trace[0]
        assert not lib.is_anomaly_enabled()


def test_set_detect_anomaly_function_and_context():
    def run(lib):
        seen = [lib.is_anomaly_enabled()]
        with lib.autograd.set_detect_anomaly(True):
            seen.append(lib.is_anomaly_enabled())
            with lib.autograd.set_detect_anomaly(False):
                seen.append(lib.is_anomaly_enabled())
            seen.append(lib.is_anomaly_enabled())
        seen.append(lib.is_anomaly_enabled())
        lib.autograd.set_detect_anomaly(True, check_nan=False)
        seen.append((lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()))
        _nan_backward(lib)  # check_nan=False lets the nan through
        lib.autograd.set_detect_anomaly(False)
        seen.append((lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()))
        return seen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both(run)


def test_without_anomaly_mode_nan_passes_silently():
    def run(lib):
        x = leaf(lib, np.array([0.0, 1.0]))
        (x.sqrt() * lib.tensor([0.0, 1.0])).sum().backward()
        return np.isnan(np.asarray(x.grad.tolist())).tolist()

    both(run)
