"""Grad modes against torch: no_grad, enable_grad, set_grad_enabled, inference_mode as context
managers and decorators, their nesting, generators, and thread-locality."""

import threading

import pytest
import torch

import ember
from tests.autograd._compare import both


@pytest.fixture(autouse=True)
def _restore_modes():
    yield
    for lib in (ember, torch):
        lib.set_grad_enabled(True)


def _state(lib):
    return (lib.is_grad_enabled(), lib.is_inference_mode_enabled())


def test_context_managers_and_nesting():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        seen = [_state(lib)]
        with lib.no_grad():
            seen.append(_state(lib))
            a = x * 2
            with lib.enable_grad():
                seen.append(_state(lib))
                b = x * 2
            with lib.set_grad_enabled(True):
                c = x * 2
                with lib.set_grad_enabled(False):
                    seen.append(_state(lib))
                seen.append(_state(lib))
            seen.append(_state(lib))
        seen.append(_state(lib))
        return seen, [t.requires_grad for t in (a, b, c)], [t.grad_fn is None for t in (a, b, c)]

    both(run)


def test_set_grad_enabled_as_a_function_and_as_a_decorator():
    def run(lib):
        seen = []
        lib.set_grad_enabled(False)
        seen.append(lib.is_grad_enabled())
        lib.set_grad_enabled(True)

        @lib.set_grad_enabled(False)
        def off():
            return lib.is_grad_enabled()

        seen.append(lib.is_grad_enabled())  # decorating leaves the mode as it was
        seen.append(off())
        seen.append(lib.is_grad_enabled())
        return seen

    both(run)


def test_decorators_with_and_without_parentheses():
    def run(lib):
        @lib.no_grad()
        def a():
            return _state(lib)

        @lib.no_grad
        def b():
            return _state(lib)

        @lib.enable_grad
        def c():
            return _state(lib)

        @lib.inference_mode()
        def d():
            return _state(lib)

        @lib.inference_mode
        def e():
            return _state(lib)

        @lib.inference_mode(False)
        def f():
            return _state(lib)

        with lib.no_grad():
            inner = (c(), f())
        return a(), b(), d(), e(), inner, a.__name__, _state(lib)

    both(run)


def test_decorated_generators_switch_per_step():
    def run(lib):
        @lib.no_grad()
        def gen():
            got = yield lib.is_grad_enabled()
            yield (got, lib.is_grad_enabled())

        it = gen()
        first = next(it)
        between = lib.is_grad_enabled()
        second = it.send("hi")
        return first, between, second, lib.is_grad_enabled()

    both(run)


def test_inference_mode_states():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        out = []
        with lib.inference_mode():
            out.append(_state(lib))
            y = x * 2
            out.append((y.requires_grad, y.grad_fn is None))
            with lib.inference_mode(False):
                out.append(_state(lib))
                with lib.enable_grad():
                    out.append(_state(lib))
            with lib.enable_grad():
                out.append(_state(lib))
        with lib.no_grad():
            with lib.inference_mode(False):  # mode=False switches grad mode on
                out.append(_state(lib))
            out.append(_state(lib))
        out.append(_state(lib))
        return out

    both(run)


def test_tensors_made_in_inference_mode_are_inference_tensors():
    def run(lib):
        x = lib.ones(2)
        with lib.inference_mode():
            y = x * 2
            z = lib.zeros(2)
        return x.is_inference(), y.is_inference(), z.is_inference()

    both(run)


def test_is_inference_is_false_outside_inference_mode():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        return x.is_inference(), (x * 2).is_inference()

    both(run)


def test_switch_objects_are_not_reentrant_like_torch():
    def run(lib):
        g = lib.no_grad()
        with g:
            with g:
                pass
            inner = lib.is_grad_enabled()
        return inner, lib.is_grad_enabled()

    both(run)


def test_state_is_restored_after_an_exception():
    def run(lib):
        out = []
        for cm in (lib.no_grad(), lib.inference_mode(), lib.set_grad_enabled(False)):
            try:
                with cm:
                    raise KeyError("x")
            except KeyError:
                pass
            out.append(_state(lib))
        return out

    both(run)


def test_grad_mode_is_thread_local():
    def run(lib):
        seen = []

        def worker():
            seen.append(_state(lib))
            lib.set_grad_enabled(False)  # only this thread
            seen.append(_state(lib))

        with lib.inference_mode():
            t = threading.Thread(target=worker)
            t.start()
            t.join()
            seen.append(_state(lib))
        lib.set_grad_enabled(False)
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        seen.append(_state(lib))
        lib.set_grad_enabled(True)
        return seen

    both(run)


def test_ops_in_another_thread_follow_that_threads_mode():
    x = ember.ones(2, requires_grad=True)
    out = {}

    def worker():
        out["y"] = x * 2

    with ember.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert out["y"].requires_grad


def test_backward_in_no_grad_still_computes_gradients():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        with lib.no_grad():
            y.backward()
        return x.grad

    both(run)


def test_module_names():
    assert ember.autograd.grad_mode.no_grad is ember.no_grad
    assert ember.autograd.inference_mode is ember.inference_mode
    assert ember.autograd.grad_mode.is_inference_mode_enabled is ember.is_inference_mode_enabled
