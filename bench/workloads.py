"""The workloads, each written once against the PyTorch API.

``WORKLOADS`` maps a name to ``(make, unit, unit_scale, per)``: ``make(lib)`` builds the inputs
with ``lib`` (ember or torch) and returns the step to time; ``per`` divides the step's time
(1,000 ops → microseconds per op).  New workloads join as the layers they use land.
"""

from __future__ import annotations

import numpy as np


def _matmul(n: int):
    def make(lib):
        rng = np.random.default_rng(0)
        a = lib.tensor(rng.standard_normal((n, n), dtype=np.float32))
        b = lib.tensor(rng.standard_normal((n, n), dtype=np.float32))
        return lambda: a @ b

    return make


def _dispatch(grad: bool, n_ops: int = 1000):
    def make(lib):
        rng = np.random.default_rng(0)
        x0 = lib.tensor(rng.standard_normal(16, dtype=np.float32), requires_grad=grad)
        # close to 1 and 0, so a thousand steps neither overflow nor vanish
        b = lib.tensor(1 + 1e-3 * rng.standard_normal(16, dtype=np.float32))
        c = lib.tensor(1e-3 * rng.standard_normal(16, dtype=np.float32))

        if not grad:

            def step():
                with lib.no_grad():
                    x = x0
                    for _ in range(n_ops // 2):
                        x = x * b
                        x = x + c
                return x

        else:

            def step():
                x = x0
                for _ in range(n_ops // 2):
                    x = x * b
                    x = x + c
                x.sum().backward()
                x0.grad = None

        return step

    return make


WORKLOADS = {
    "matmul 1024 f32": (_matmul(1024), "ms", 1e3, 1, 2 * 1024**3),
    "matmul 256 f32": (_matmul(256), "ms", 1e3, 1, 2 * 256**3),
    "dispatch no-grad": (_dispatch(False), "us/op", 1e6, 1000, 0),
    "dispatch autograd": (_dispatch(True), "us/op", 1e6, 1000, 0),
}
