"""Anomaly detection: ``detect_anomaly`` and ``set_detect_anomaly``, as in PyTorch.

While enabled, every graph node remembers where its forward was called (a short traceback,
taken only in this mode so that the usual path stays fast), and the engine checks what each
backward returns: a NaN raises ``RuntimeError("Function 'XBackward0' returned nan values in
its 0th output.")``, and any error inside a backward first warns with the traceback of the
forward call that made the failing node (and of the nodes whose backward created it, for
higher-order gradients).
"""

from __future__ import annotations

import os
import traceback
import warnings

# Read when a node is recorded and when a backward pass starts (``anomaly_mode.enabled``).
enabled = False
nan_check = True

# The node whose backward is running (anomaly mode only): nodes created meanwhile (with
# ``create_graph=True``) remember it as their parent.
_current_node = None

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ember's own op machinery: frames here are the op, not the user's call (PyTorch's C++ part)
_INTERNAL = tuple(
    os.path.join(_PACKAGE, p) for p in ("ops" + os.sep, "autograd" + os.sep, "_tensor.py")
)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    return enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection also checks backward results for NaN."""
    return nan_check


def set_anomaly_enabled(mode: bool, check_nan: bool = True) -> None:
    """Turn anomaly detection on or off (the function form of ``set_detect_anomaly``)."""
    global enabled, nan_check
    enabled = bool(mode)
    nan_check = bool(check_nan)


class detect_anomaly:
    """Context manager that turns on anomaly detection for the autograd engine.

    Inside it, a backward that returns NaN raises a RuntimeError naming the node (when
    ``check_nan``), and an error in any backward is preceded by a warning showing the forward
    call that created the failing node.  It slows everything down: use it for debugging.

    >>> with ember.autograd.detect_anomaly():
    ...     y = x.sqrt()          # x holds a 0
    ...     (y * 0).sum().backward()
    RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = enabled
        self.check_nan = check_nan
        self.prev_check_nan = nan_check
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            UserWarning,
            stacklevel=2,
        )

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Turn anomaly detection on or off; takes effect at once, and as a context manager the
    previous setting comes back on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = enabled
        self.prev_check_nan = nan_check
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


# -- used by the graph and the engine --------------------------------------------------------


def record(node) -> None:
    """Remember where ``node``'s forward was called, and which backward (if any) created it."""
    stack = traceback.extract_stack()[:-1]
    end = len(stack)
    while end > 1 and stack[end - 1].filename.startswith(_INTERNAL):
        end -= 1
    node._anomaly_trace = traceback.StackSummary.from_list(stack[:end])
    node._anomaly_parent = _current_node


def run_graph(run, *args):
    """Run a backward pass (``run(*args)``) in anomaly mode; the node being processed is
    tracked so that nodes created meanwhile (``create_graph=True``, including the sums of
    gradients) know which backward made them."""
    global _current_node
    prev = _current_node
    try:
        return run(*args)
    finally:
        _current_node = prev


def run_node(node, grads: list, create_graph: bool) -> tuple:
    """``node._run`` with the checks of anomaly mode around it."""
    global _current_node
    _current_node = node
    try:
        result = node._run(grads, create_graph)
        if nan_check:
            for i, g in enumerate(result):
                if g is not None and _has_nan(g):
                    raise RuntimeError(
                        f"Function '{node.name()}' returned nan values in its {i}th output."
                    )
    except Exception:
        _warn_forward_trace(node)
        raise
    return result


def _has_nan(t) -> bool:
    if not (t._dtype.is_floating_point or t._dtype.is_complex):
        return False
    arr = t._data
    return bool((arr != arr).any())


def _warn_forward_trace(node) -> None:
    trace = getattr(node, "_anomaly_trace", None)
    if trace is None:
        warnings.warn(
            f"Error detected in {node.name()}. No forward pass information available. Enable "
            "detect anomaly during forward pass for more information.",
            UserWarning,
            stacklevel=2,
        )
        return
    warnings.warn(
        f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
        + "".join(trace.format()),
        UserWarning,
        stacklevel=2,
    )
    parent = getattr(node, "_anomaly_parent", None)
    while parent is not None:
        trace = getattr(parent, "_anomaly_trace", None)
        if trace is None:
            break
        warnings.warn(
            f"\n\nPrevious calculation was induced by {parent.name()}. Traceback of forward "
            "call that induced the previous calculation:\n" + "".join(trace.format()),
            UserWarning,
            stacklevel=2,
        )
        parent = getattr(parent, "_anomaly_parent", None)
