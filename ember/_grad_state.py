"""The per-thread grad-mode flags, in a module of their own so that the Tensor core can read
them without importing autograd (``ember.autograd.grad_mode`` is their public face)."""

from __future__ import annotations

import threading


class _State(threading.local):
    # class attributes are what every thread sees until it sets its own
    enabled = True
    inference = False


state = _State()


# How many inference_mode regions are open in any thread: while none is, making a tensor need
# not read the thread-local flag at all.
inference_regions = 0
_lock = threading.Lock()


def enter_inference(delta: int) -> None:
    global inference_regions
    with _lock:
        inference_regions += delta
