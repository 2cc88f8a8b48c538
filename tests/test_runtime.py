"""Start-up queries and switches, answered as PyTorch answers them on a CPU-only machine."""

from __future__ import annotations

import pytest
import torch

import ember

NO_GPU = not ember.cuda.is_available()

SAME_ANSWER = [
    "cuda.is_available()",
    "cuda.device_count()",
    "cuda.manual_seed(1)",
    "cuda.manual_seed_all(1)",
    "cuda.empty_cache()",
    "cuda.memory_allocated()",
    "cuda.max_memory_allocated()",
    "cuda.memory_reserved()",
    "cuda.is_initialized()",
    "cuda.is_bf16_supported()",
    "accelerator.is_available()",
    "accelerator.current_accelerator()",
    "accelerator.device_count()",
    "backends.mps.is_available()",
    "backends.mps.is_built()",
    "backends.cudnn.benchmark",
    "backends.cudnn.deterministic",
    "backends.cudnn.enabled",
    "backends.cudnn.allow_tf32",
    "backends.cudnn.is_available()",
    "backends.cuda.matmul.allow_tf32",
    "version.cuda",
    "get_float32_matmul_precision()",
    "are_deterministic_algorithms_enabled()",
    "is_deterministic_algorithms_warn_only_enabled()",
]


@pytest.mark.skipif(not NO_GPU, reason="compares with torch's CPU-only answers")
@pytest.mark.parametrize("expr", SAME_ANSWER)
def test_queries_answer_as_torch(expr):
    ours = eval("ember." + expr)
    theirs = eval("torch." + expr)
    assert ours == theirs


@pytest.mark.skipif(not NO_GPU, reason="needs a machine without a GPU")
@pytest.mark.parametrize("expr", ["cuda.current_device()", "cuda.get_device_name()", "cuda.get_device_properties(0)"])
def test_gpu_queries_raise_without_gpu(expr):
    # torch's CPU-only build raises AssertionError ("not compiled with CUDA"); ember, which can
    # use CUDA through CuPy, raises the RuntimeError a CUDA build raises without a GPU
    with pytest.raises(RuntimeError, match="CUDA"):
        eval("ember." + expr)


def test_switches_are_stored():
    for lib in (ember, torch):
        lib.backends.cudnn.benchmark = True
        lib.backends.cuda.matmul.allow_tf32 = True
        assert lib.backends.cudnn.benchmark and lib.backends.cuda.matmul.allow_tf32
        lib.backends.cudnn.benchmark = False
        lib.backends.cuda.matmul.allow_tf32 = False
        lib.set_float32_matmul_precision("high")
        assert lib.get_float32_matmul_precision() == "high"
        lib.set_float32_matmul_precision("highest")
        lib.use_deterministic_algorithms(True, warn_only=True)
        assert lib.are_deterministic_algorithms_enabled()
        assert lib.is_deterministic_algorithms_warn_only_enabled()
        lib.use_deterministic_algorithms(False)
    with pytest.raises(RuntimeError):
        ember.set_float32_matmul_precision("low")


def test_thread_count_drives_blas():
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
        from threadpoolctl import threadpool_info

        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)
    finally:
        ember.set_num_threads(before)
    with pytest.raises(RuntimeError):
        ember.set_num_threads(0)


def test_compile_and_jit_are_eager():
    def f(x):
        return x * 2

    assert ember.compile(f) is f
    assert ember.compile(mode="max-autotune")(f) is f
    assert ember.jit.script(f) is f and ember.jit.trace(f, ember.ones(1)) is f
    assert not ember.jit.is_scripting()


def test_versions_and_hub():
    assert isinstance(ember.__version__, str) and ember.version.__version__ == ember.__version__
    with pytest.raises(RuntimeError, match="never downloads"):
        ember.hub.load("pytorch/vision", "resnet18")


def test_tensorboard_is_absent_with_a_clear_import_error():
    with pytest.raises(ImportError, match="SummaryWriter"):
        from ember.utils.tensorboard import SummaryWriter  # noqa: F401


def test_legacy_constructors_and_helpers_match_torch():
    import torch

    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor",
                 "BoolTensor"):
        ours, theirs = getattr(ember, name)([1, 0, 2]), getattr(torch, name)([1, 0, 2])
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
        assert ours.type().split(".")[1] == theirs.type().split(".")[1]
        assert ours.tolist() == theirs.tolist()
    assert tuple(ember.FloatTensor(2, 3).shape) == tuple(torch.FloatTensor(2, 3).shape)
    for lib in (ember, torch):
        t = lib.ones(2, dtype=lib.float64)
        assert t.new_tensor([1, 2]).dtype == lib.float64
        assert t.new_zeros(3).dtype == lib.float64 and t.new_ones((1, 2)).shape == (1, 2)
        assert t.new_full((2,), 7).tolist() == [7.0, 7.0] and t.new_empty(4).shape == (4,)
        assert t.data.requires_grad is False and lib.is_tensor(t) and lib.numel(t) == 2
