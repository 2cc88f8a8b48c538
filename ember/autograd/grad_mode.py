"""Whether operations record the autograd graph: ``no_grad``, ``enable_grad``,
``set_grad_enabled``, ``inference_mode``.  The flag lives here and nowhere else."""

from __future__ import annotations

import functools

# Read on every op (``grad_mode.enabled``): a plain module attribute is the cheapest lookup.
enabled = True


def is_grad_enabled() -> bool:
    """Whether new operations are recorded for autograd."""
    return enabled


class _GradModeContext:
    """Base of the grad-mode switches: a context manager that also decorates functions."""

    _target: bool

    def __enter__(self):
        global enabled
        self._prev = enabled
        enabled = self._target
        return self

    def __exit__(self, *exc):
        global enabled
        enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__._fresh(self):
                return fn(*args, **kwargs)

        return wrapper

    def _fresh(self):
        return self.__class__()

    def clone(self):
        return self._fresh()


class no_grad(_GradModeContext):
    """Operations inside this context (or decorated function) record no graph.

    >>> with ember.no_grad():
    ...     y = x * 2          # y.requires_grad is False
    """

    _target = False


class enable_grad(_GradModeContext):
    """Turn graph recording back on inside a ``no_grad`` region."""

    _target = True


class set_grad_enabled(_GradModeContext):
    """Turn recording on or off; takes effect at once and also works as a context manager."""

    def __init__(self, mode: bool):
        global enabled
        self._target = bool(mode)
        self._prev = enabled
        enabled = self._target

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global enabled
        enabled = self._prev
        return False

    def _fresh(self):
        return _Switch(self._target)


class _Switch(_GradModeContext):
    def __init__(self, mode: bool):
        self._target = mode

    def _fresh(self):
        return _Switch(self._target)


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (ember has no separate inference tensors); ``inference_mode(False)``
    leaves the mode as it is."""

    def __init__(self, mode: bool = True):
        self._mode = bool(mode)

    def __enter__(self):
        global enabled, inference
        self._prev = (enabled, inference)
        if self._mode:
            enabled, inference = False, True
        return self

    def __exit__(self, *exc):
        global enabled, inference
        enabled, inference = self._prev
        return False

    def _fresh(self):
        return inference_mode(self._mode)


inference = False


def is_inference_mode_enabled() -> bool:
    return inference
