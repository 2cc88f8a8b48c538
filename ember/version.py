"""``ember.version``: ember's version, and the CUDA runtime's (None without a GPU)."""

from ember import __version__

git_version = None
debug = False


def __getattr__(name: str):
    # asked for lazily: finding the CUDA version means importing CuPy
    if name == "cuda":
        from ember.backend import cuda_is_available

        if not cuda_is_available():
            return None
        import cupy

        v = cupy.cuda.runtime.runtimeGetVersion()
        return f"{v // 1000}.{(v % 1000) // 10}"
    raise AttributeError(f"module 'ember.version' has no attribute {name!r}")
