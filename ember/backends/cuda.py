"""CUDA math switches, accepted and stored."""


class _MatmulFlags:
    """``ember.backends.cuda.matmul.allow_tf32`` and friends."""

    def __init__(self) -> None:
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    from ember.backend import cupy_installed

    return cupy_installed()
