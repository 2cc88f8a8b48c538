"""Shared test settings: one BLAS/OpenMP thread per test process, deterministic NumPy
seeding and a quick hypothesis profile.

The suite runs as two xdist workers on two cores; BLAS pools of two spinning threads in each
would oversubscribe the machine, which slows small products tenfold.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(1)

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("ember", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("ember")


@pytest.fixture(autouse=True)
def _seed_numpy():
    np.random.seed(0)
