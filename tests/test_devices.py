"""Device errors: asking for CUDA where there is none, and mixing devices in one op.

This machine has no GPU, so a CPU array labelled ``cuda:0`` stands in for a CUDA tensor: the
device check runs before any kernel, and its message must name both devices as PyTorch's does.
"""

import pytest

import ember
from ember.backend import cuda_is_available

no_gpu = pytest.mark.skipif(cuda_is_available(), reason="a GPU is present")


def _labelled_cuda(t):
    t._device = ember.device("cuda", 0)
    return t


@no_gpu
@pytest.mark.parametrize(
    "make",
    [
        lambda: ember.zeros(2, device="cuda"),
        lambda: ember.tensor([1.0], device="cuda:0"),
        lambda: ember.ones(2).cuda(),
        lambda: ember.ones(2).to("cuda"),
        lambda: ember.arange(3, device=ember.device("cuda", 0)),
    ],
)
def test_cuda_without_gpu_is_a_clear_runtime_error(make):
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        make()


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: b * a,
        lambda a, b: ember.sub(a, b),
        lambda a, b: ember.maximum(b, a),
    ],
)
def test_mixing_devices_names_both(op):
    a = ember.ones(3)
    b = _labelled_cuda(ember.ones(3))
    with pytest.raises(RuntimeError, match="same device") as info:
        op(a, b)
    assert "cpu" in str(info.value) and "cuda:0" in str(info.value)


def test_cuda_queries_without_gpu():
    if cuda_is_available():
        pytest.skip("a GPU is present")
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
