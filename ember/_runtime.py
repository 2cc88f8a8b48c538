"""Process-wide switches: thread count, determinism, matmul precision, and the no-op
``compile`` / ``jit`` entry points of an eager framework."""

from __future__ import annotations

from ember.backend import parallel

_state = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}
_threads: list = []


def _controller():
    from threadpoolctl import ThreadpoolController

    if not _threads:
        _threads.append(ThreadpoolController())
    return _threads[0]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in the BLAS and OpenMP pools NumPy calls into."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, but got {n}")
    _controller().limit(limits=n)
    _state["threads"] = n
    parallel.set_workers(n)  # ember's own split copies and elementwise loops


def get_num_threads() -> int:
    """The threads the BLAS pool uses."""
    if "threads" in _state:
        return _state["threads"]
    infos = [i for i in _controller().info() if i.get("user_api") == "blas"]
    return max((i["num_threads"] for i in infos), default=1)


def set_num_interop_threads(n: int) -> None:
    _state["interop"] = n


def get_num_interop_threads() -> int:
    return _state.get("interop", 1)


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted: ember's CPU kernels are already deterministic."""
    _state["deterministic"] = bool(mode)
    _state["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(
            f"Invalid precision {precision!r}: expected 'highest', 'high' or 'medium'"
        )
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _state["matmul_precision"]


def compile(model=None, **kwargs):
    """ember runs eagerly: ``compile`` returns ``model`` unchanged (or, used as
    ``@ember.compile(...)``, a decorator that does)."""
    if model is None:
        return lambda m: m
    return model
