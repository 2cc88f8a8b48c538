"""The per-thread grad-mode flags, in a module of their own so that the Tensor core can read
them without importing autograd (``ember.autograd.grad_mode`` is their public face)."""

from __future__ import annotations

import threading


class _State(threading.local):
    # class attributes are what every thread sees until it sets its own
    enabled = True
    inference = False


state = _State()
