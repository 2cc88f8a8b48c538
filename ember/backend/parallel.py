"""Large array work split over the CPU's cores.

NumPy runs only its BLAS calls in parallel: copies and ufunc loops run on one core, although
they release the GIL.  ``split(fn, n, size)`` runs ``fn(lo, hi)`` over consecutive ranges
covering ``range(n)``, one range per thread of a small pool (the calling thread takes the
first), when ``size`` (the elements the work touches) is large enough to pay for handing the
ranges out.  ``fn`` must write disjoint parts of its output for disjoint ranges.

The pool has as many threads as ``ember.set_num_threads`` asked for (by default
``OMP_NUM_THREADS``, else the cores this process may run on); it is made on first use and
again after a fork.  Each helper thread is handed its range through a pair of locks (a
``ThreadPoolExecutor``'s futures cost about 26 us more per split); while one thread's split
has the helpers, a split from another thread runs inline.  Before a split, NumPy's OpenBLAS pool is shut down if it is up (see
``_quiet_blas``): its idle threads spin on the very cores a split needs.  ``contiguous``,
``ufunc`` and ``assign`` are the common splits ready-made.
"""

from __future__ import annotations

import os
import threading

# Below this many elements one core finishes before a hand-off to another would pay off.
MIN_SIZE = 1 << 18

_lock = threading.Lock()
_crew: list | None = None  # the helper threads (``_Helper``), made on first use
_busy = threading.Lock()  # held by the thread whose split is using the crew
_workers: int | None = None
_local = threading.local()  # ``inside``: this thread is running a split's range


def _default_workers() -> int:
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:  # the thread count asked of every pool
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # (not on every platform)
        return max(1, os.cpu_count() or 1)


def workers() -> int:
    """How many threads a split uses."""
    global _workers
    if _workers is None:
        _workers = _default_workers()
    return _workers


def set_workers(n: int) -> None:
    """Use ``n`` threads (``ember.set_num_threads`` calls this)."""
    global _workers, _crew
    with _lock, _busy:
        _workers = max(1, int(n))
        old, _crew = _crew, None
    for h in old or ():
        h.stop()


class _Helper:
    """A thread that runs one range of a split at a time, handed over through two locks (the
    leanest wake-up Python has: a pool's futures and queue cost about 30 us more a split)."""

    def __init__(self):
        self._go = threading.Lock()
        self._go.acquire()
        self._done = threading.Lock()
        self._done.acquire()
        self._job = None
        self._error = None
        self.thread = threading.Thread(target=self._loop, name="ember-split", daemon=True)
        self.thread.start()

    def _loop(self):
        while True:
            self._go.acquire()
            job = self._job
            if job is None:
                return
            try:
                _run(*job)
            except BaseException as e:  # (handed to the caller, which raises it)
                self._error = e
            self._job = None
            self._done.release()

    def start(self, fn, lo, hi) -> None:
        self._job = (fn, lo, hi)
        self._go.release()

    def wait(self) -> None:
        self._done.acquire()
        error, self._error = self._error, None
        if error is not None:
            raise error

    def stop(self) -> None:
        self._job = None
        self._go.release()


def _get_crew(n: int) -> list:
    global _crew
    with _lock:
        if _crew is None:
            _crew = [_Helper() for _ in range(n)]
        return _crew


def _forget_pool() -> None:  # a forked child has none of its parent's threads (or locks)
    global _crew, _lock, _busy
    _crew = None
    _lock = threading.Lock()
    _busy = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _run(fn, lo, hi):
    _local.inside = True
    try:
        fn(lo, hi)
    finally:
        _local.inside = False


# NumPy's OpenBLAS keeps its threads spinning for about 0.1 s after each product, on the
# cores a split would use (measured: a split col2im right after a product took 16.5 ms, not
# 9.5).  Before a split, its pool is shut down when it is up and no other Python thread could
# be inside a BLAS call: 18 us, and the next product takes about 40 us longer to start it
# again, which even the smallest split wins back (ResNet-18 forward 72 -> 67 ms, transformer
# layer 39.9 -> 38.5 ms against quieting only splits of 1M elements or more).
QUIET_SIZE = 0
_blas = None  # (shutdown function, ``blas_server_avail`` flag), False when not available


def _find_blas():
    global _blas
    _blas = False
    try:
        import ctypes

        from threadpoolctl import ThreadpoolController

        for lib in ThreadpoolController().lib_controllers:
            if (
                lib.internal_api == "openblas"
                and "numpy" in lib.filepath
                and getattr(lib, "threading_layer", "pthreads") == "pthreads"
            ):
                dll = ctypes.CDLL(lib.filepath)
                _blas = (dll.blas_thread_shutdown_, ctypes.c_int.in_dll(dll, "blas_server_avail"))
                break
    except (ImportError, OSError, AttributeError, ValueError):
        _blas = False


def _quiet_blas(crew) -> None:
    if _blas is None:
        _find_blas()
    if not _blas or not _blas[1].value:
        return
    # only this thread and the crew may exist: another thread may be in a product
    if threading.active_count() <= 1 + len(crew):
        _blas[0]()


def split(fn, n: int, size: int) -> None:
    """``fn(lo, hi)`` over ranges covering ``range(n)``, in parallel when ``size`` is large."""
    w = workers()
    if w < 2 or n < 2 or size < MIN_SIZE or getattr(_local, "inside", False):
        fn(0, n)
        return
    parts = min(w, n, max(1, size // MIN_SIZE))
    if parts < 2:
        fn(0, n)
        return
    if not _busy.acquire(blocking=False):  # another thread's split has the crew
        fn(0, n)
        return
    try:
        crew = _get_crew(w - 1)
        bounds = [n * i // parts for i in range(parts + 1)]
        if size >= QUIET_SIZE:
            _quiet_blas(crew)
        started = []
        try:
            for i in range(1, parts):
                crew[i - 1].start(fn, bounds[i], bounds[i + 1])
                started.append(crew[i - 1])
            _run(fn, bounds[0], bounds[1])
        finally:
            errors = []
            for h in started:
                try:
                    h.wait()
                except BaseException as e:
                    errors.append(e)
            if errors:
                raise errors[0]
    finally:
        _busy.release()


def spread(fn, n: int, arr) -> None:
    """``split(fn, n, arr.size)`` when ``arr`` is a NumPy array, else ``fn(0, n)`` (other
    backends run their own kernels in parallel)."""
    import numpy

    if isinstance(arr, numpy.ndarray):
        split(fn, n, arr.size)
    else:
        fn(0, n)


def flat_ranges(fn, arrays, **kwargs) -> None:
    """``fn(*arrays, **kwargs)`` for an elementwise, in-place ``fn`` of same-size arrays
    (None entries pass through as None), run on ranges of their flat views over the cores
    when they are row-major NumPy arrays."""
    import numpy

    first = next(a for a in arrays if a is not None)
    if not isinstance(first, numpy.ndarray) or not all(
        a is None or a.flags.c_contiguous for a in arrays
    ):
        fn(*arrays, **kwargs)
        return
    flat = [None if a is None else a.reshape(-1) for a in arrays]

    def part(lo, hi):
        fn(*[None if a is None else a[lo:hi] for a in flat], **kwargs)

    split(part, first.size, first.size)


def contiguous(a):
    """``numpy.ascontiguousarray(a)``, the copy split over the cores when it is large."""
    import numpy

    if a.flags.c_contiguous or a.ndim == 0 or a.shape[0] < 2 or a.size < MIN_SIZE:
        return numpy.ascontiguousarray(a)
    out = numpy.empty(a.shape, a.dtype)

    def part(lo, hi):
        out[lo:hi] = a[lo:hi]

    split(part, a.shape[0], a.size)
    return out


def ufunc(f, *args):
    """``f(*args)`` for a NumPy ufunc ``f`` of arrays of one shape, dtype and row-major
    layout (and Python numbers), split over the cores when large; anything else is the
    plain call."""
    import numpy

    first = None
    for a in args:
        if isinstance(a, numpy.ndarray):
            if first is None:
                first = a
            elif a.shape != first.shape or a.dtype != first.dtype or not a.flags.c_contiguous:
                return f(*args)
        elif not isinstance(a, float | int) or isinstance(a, bool):
            return f(*args)
    if (
        first is None
        or first.size < MIN_SIZE
        or not first.flags.c_contiguous
        or first.dtype.kind != "f"
        or workers() < 2
    ):
        return f(*args)
    out = numpy.empty(first.shape, first.dtype)
    flat_out = out.reshape(-1)
    flat = [a.reshape(-1) if isinstance(a, numpy.ndarray) else a for a in args]

    def part(lo, hi):
        f(*[a[lo:hi] if isinstance(a, numpy.ndarray) else a for a in flat], out=flat_out[lo:hi])

    split(part, first.size, first.size)
    return out


def assign(dst, src) -> None:
    """``dst[...] = src``, split over the cores when both are large NumPy arrays of one
    shape (a broadcast or a small copy is the plain assignment)."""
    import numpy

    if (
        isinstance(dst, numpy.ndarray)
        and isinstance(src, numpy.ndarray)
        and dst.shape == src.shape
        and dst.ndim
        and dst.shape[0] > 1
        and dst.size >= MIN_SIZE
        and workers() > 1
        and not numpy.may_share_memory(dst, src)  # (NumPy buffers overlapping copies)
    ):

        def part(lo, hi):
            dst[lo:hi] = src[lo:hi]

        split(part, dst.shape[0], dst.size)
    else:
        dst[...] = src
