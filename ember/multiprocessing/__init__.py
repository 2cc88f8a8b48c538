"""``ember.multiprocessing``: Python's multiprocessing, with tensors shared instead of copied.

Everything of the standard module is here (``Process``, ``Queue``, ``Pool``, ``get_context``,
``set_start_method``...).  A tensor sent through a queue or pipe, or passed to a spawned
process, travels as the name of a shared-memory block: both sides see the same memory, which
is what Hogwild-style training (several processes updating one model) needs.
"""

from __future__ import annotations

import multiprocessing as _mp
import traceback
from multiprocessing import *  # noqa: F401,F403
from multiprocessing import reduction as _reduction

from ember._shared_memory import reduce_tensor as _reduce_tensor
from ember._tensor import Tensor as _Tensor
from ember.nn.parameter import Parameter as _Parameter

_reduction.ForkingPickler.register(_Tensor, _reduce_tensor)
_reduction.ForkingPickler.register(_Parameter, _reduce_tensor)

get_context = _mp.get_context
set_start_method = _mp.set_start_method
get_start_method = _mp.get_start_method
get_all_start_methods = _mp.get_all_start_methods


class ProcessRaisedException(Exception):
    """A process started by ``spawn`` raised; the message holds its traceback."""

    def __init__(self, msg: str, error_index: int, error_pid: int) -> None:
        super().__init__(msg)
        self.error_index = error_index
        self.pid = error_pid


class ProcessExitedException(Exception):
    """A process started by ``spawn`` exited with a non-zero code (or was killed)."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int) -> None:
        super().__init__(msg)
        self.error_index = error_index
        self.pid = error_pid
        self.exit_code = exit_code


def _wrap(fn, i, args, errors):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        errors.put((i, traceback.format_exc()))
        raise SystemExit(1) from None


class ProcessContext:
    """The processes ``spawn`` started; ``join()`` waits and re-raises the first failure."""

    def __init__(self, processes, errors) -> None:
        self.processes = processes
        self.error_queue = errors

    def pids(self) -> list:
        return [p.pid for p in self.processes]

    def join(self, timeout=None) -> bool:
        for p in self.processes:
            p.join(timeout)
        failed = [(i, p) for i, p in enumerate(self.processes) if p.exitcode not in (0, None)]
        if failed:
            for p in self.processes:
                if p.is_alive():
                    p.terminate()
            if not self.error_queue.empty():
                i, tb = self.error_queue.get()
                raise ProcessRaisedException(
                    f"\n\n-- Process {i} terminated with the following error:\n{tb}",
                    i, self.processes[i].pid,
                )
            i, p = failed[0]
            raise ProcessExitedException(
                f"process {i} terminated with exit code {p.exitcode}", i, p.pid, p.exitcode
            )
        return all(p.exitcode == 0 for p in self.processes)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    ctx = _mp.get_context(start_method)
    errors = ctx.SimpleQueue()
    procs = []
    for i in range(nprocs):
        p = ctx.Process(target=_wrap, args=(fn, i, args, errors), daemon=daemon)
        p.start()
        procs.append(p)
    context = ProcessContext(procs, errors)
    if not join:
        return context
    context.join()
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run ``fn(i, *args)`` for ``i`` in ``range(nprocs)``, each in its own process."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
