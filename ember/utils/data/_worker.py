"""What runs inside a DataLoader worker process, and what it sends back.

A worker takes ``(task_id, indices)`` from its index queue (``None`` means stop), fetches and
collates the batch, and puts ``(task_id, batch)`` on the shared result queue.  Errors travel
back as an ``ExceptionWrapper`` carrying the worker's traceback; an exhausted iterable
dataset answers ``IterableStop``.  Workers exit on their own when the main process is gone.
"""

from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    """Inside a worker: its ``id``, the ``num_workers``, its ``seed`` and its copy of the
    ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info() -> WorkerInfo | None:
    """The current worker's ``WorkerInfo``, or ``None`` in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, re-raised in the main process with its traceback."""

    def __init__(self, exc_info, where: str) -> None:
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


class _KeyErrorMessage(str):
    # KeyError shows repr() of its argument; keep the traceback readable
    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class IterableStop:
    """An iterable dataset's worker has run out of samples."""

    worker_id: int


class Fetcher:
    """Turns indices into a batch: a map-style dataset is indexed (all at once when it
    allows), an iterable one is advanced."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last, iterable) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.iterable = iterable
        self.it = iter(dataset) if iterable else None
        self.ended = False

    def fetch(self, index):
        if self.iterable:
            if self.ended:
                raise StopIteration
            if not self.auto_collation:
                return self.collate_fn(next(self.it))
            data = []
            for _ in range(index):
                try:
                    data.append(next(self.it))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < index):
                raise StopIteration
            return self.collate_fn(data)
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        fast = _gather_batch(self.dataset, index, self.collate_fn)
        if fast is not None:
            return fast
        getitems = getattr(self.dataset, "__getitems__", None)
        data = getitems(index) if getitems is not None else [self.dataset[i] for i in index]
        return self.collate_fn(data)


def _gather_batch(dataset, index, collate_fn):
    """A TensorDataset batch under ``default_collate``: one gather per tensor, equal to
    stacking the samples one by one."""
    from ember._factories import tensor
    from ember.utils.data._collate import default_collate
    from ember.utils.data.dataset import TensorDataset

    if collate_fn is not default_collate or type(dataset) is not TensorDataset:
        return None
    if not dataset.tensors:
        return None
    idx = tensor(index)
    return [t.index_select(0, idx) for t in dataset.tensors]


def _parent_alive(ppid: int) -> bool:
    return os.getppid() == ppid


def worker_loop(
    dataset, index_queue, result_queue, done_event, auto_collation, collate_fn, drop_last,
    base_seed, init_fn, worker_id, num_workers, iterable, ppid,
):
    """The body of one worker process."""
    global _worker_info
    from ember.backend import cpu
    from ember.random import manual_seed

    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    cpu.seed_global((base_seed + worker_id) % (2**32))
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)

    init_error = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = Fetcher(dataset, auto_collation, collate_fn, drop_last, iterable)
    except Exception:
        init_error = ExceptionWrapper(
            sys.exc_info(), f"in DataLoader worker process {worker_id}"
        )
    while True:
        try:
            task = index_queue.get(timeout=1.0)
        except queue.Empty:
            if not _parent_alive(ppid) or done_event.is_set():
                return
            continue
        if task is None:
            return
        if isinstance(task, _Reset):
            if init_error is None:
                fetcher = Fetcher(dataset, auto_collation, collate_fn, drop_last, iterable)
            continue
        task_id, index = task
        if init_error is not None:
            result, init_error = init_error, None
        else:
            try:
                result = fetcher.fetch(index)
            except StopIteration:
                result = IterableStop(worker_id)
            except Exception:
                result = ExceptionWrapper(
                    sys.exc_info(), f"in DataLoader worker process {worker_id}"
                )
        result_queue.put((task_id, result))
        del result


class _Reset:
    """Sent to persistent workers at a new epoch: start the dataset's iteration again."""
