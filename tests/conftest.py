"""Shared test settings: deterministic NumPy seeding and a quick hypothesis profile."""

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("ember", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("ember")


@pytest.fixture(autouse=True)
def _seed_numpy():
    np.random.seed(0)
