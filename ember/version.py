"""``ember.version``: ember's version, and the CUDA runtime's (None without a GPU)."""

from ember import __version__

git_version = None
debug = False


def __getattr__(name: str):
    # asked for lazily: finding the CUDA version means importing CuPy
    if name == "cuda":
        from ember.backend import cuda_runtime_version

        return cuda_runtime_version()
    raise AttributeError(f"module 'ember.version' has no attribute {name!r}")
