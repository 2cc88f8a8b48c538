"""Whether operations record the autograd graph: ``no_grad``, ``enable_grad``,
``set_grad_enabled``, ``inference_mode``.  The flags live here and nowhere else.

As in PyTorch the flags are per thread: a new thread starts with grad mode on and inference
mode off, whatever the thread that started it is doing.  Ops read them as
``grad_mode.enabled`` and ``grad_mode.inference``; those module attributes are properties
over one ``threading.local`` whose getter is a C-level ``partial(getattr, ...)``, so a read
costs one thread-local lookup and no Python frame.
"""

from __future__ import annotations

import functools
import inspect
import sys
import types


from ember import _grad_state
from ember._grad_state import state as _state


def _set_enabled(_module, value: bool) -> None:
    _state.enabled = value


def _set_inference(_module, value: bool) -> None:
    _state.inference = value


class _GradModeModule(types.ModuleType):
    enabled = property(functools.partial(getattr, _state, "enabled"), _set_enabled)
    inference = property(functools.partial(getattr, _state, "inference"), _set_inference)


sys.modules[__name__].__class__ = _GradModeModule


def is_grad_enabled() -> bool:
    """Whether new operations are recorded for autograd (in this thread)."""
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside ``inference_mode``."""
    return _state.inference


def _set_grad_enabled(mode: bool) -> None:
    _state.enabled = bool(mode)


def _wrap_generator(make_context, gen_fn):
    """A generator function that runs each step of ``gen_fn``'s generator inside a fresh
    context from ``make_context``, and the caller's code between steps outside it."""

    @functools.wraps(gen_fn)
    def wrapper(*args, **kwargs):
        gen = gen_fn(*args, **kwargs)
        try:
            with make_context():
                value = gen.send(None)
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    with make_context():
                        gen.close()
                    raise
                except BaseException as exc:
                    with make_context():
                        value = gen.throw(exc)
                else:
                    with make_context():
                        value = gen.send(sent)
        except StopIteration as stop:
            return stop.value

    return wrapper


class _DecoratorContextManager:
    """Base of the grad-mode switches: a context manager that also decorates functions
    (and generator functions: each step of the generator runs in the mode)."""

    def __call__(self, fn):
        make_context = self.clone
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(make_context, fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with make_context():
                return fn(*args, **kwargs)

        return wrapper

    def clone(self):
        return self.__class__()


class _NoParamDecoratorContextManager(_DecoratorContextManager):
    """A switch that takes no argument, so it decorates with or without parentheses."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecoratorContextManager):
    """Operations inside this context (or decorated function) record no graph.

    >>> with ember.no_grad():
    ...     y = x * 2          # y.requires_grad is False
    """

    def __enter__(self) -> None:
        self.prev = _state.enabled
        _state.enabled = False

    def __exit__(self, *exc) -> None:
        _state.enabled = self.prev


class enable_grad(_NoParamDecoratorContextManager):
    """Turn graph recording back on inside a ``no_grad`` (or ``inference_mode``) region."""

    def __enter__(self) -> None:
        self.prev = _state.enabled
        _state.enabled = True

    def __exit__(self, *exc) -> None:
        _state.enabled = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """Turn recording on or off.  Called as a function it takes effect at once; as a context
    manager or decorator the previous mode comes back on exit.

    >>> ember.set_grad_enabled(False)      # off from here on
    >>> with ember.set_grad_enabled(True):  # on inside the block only
    ...     y = x * 2
    """

    def __init__(self, mode: bool) -> None:
        self.prev = _state.enabled
        self.mode = bool(mode)
        _state.enabled = self.mode

    def __call__(self, fn):
        # decorating must not leave the mode that ``__init__`` switched to
        _state.enabled = self.prev
        return super().__call__(fn)

    def __enter__(self) -> None:
        _state.enabled = self.mode

    def __exit__(self, *exc) -> None:
        _state.enabled = self.prev

    def clone(self) -> set_grad_enabled:
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like ``no_grad``, and also marks the region as inference (``is_inference_mode_enabled``).

    ``inference_mode(False)`` is the opposite switch: grad mode on, inference mode off, as in
    PyTorch.  Works as a context manager and as a decorator, with or without parentheses.
    """

    def __new__(cls, mode_or_orig_func=True):
        if mode_or_orig_func is None or isinstance(mode_or_orig_func, bool):
            return super().__new__(cls)
        return cls()(mode_or_orig_func)

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        self.prev = (_state.enabled, _state.inference)
        _state.enabled = not self.mode
        _state.inference = bool(self.mode)
        _grad_state.enter_inference(1)

    def __exit__(self, *exc) -> None:
        _state.enabled, _state.inference = self.prev
        _grad_state.enter_inference(-1)

    def clone(self) -> inference_mode:
        return self.__class__(self.mode)
