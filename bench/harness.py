"""Timing ember against PyTorch in one process.

A workload is a function ``make(lib) -> step`` written once against the PyTorch API: ``make``
builds inputs with ``lib`` (``ember`` or ``torch``) and returns a zero-argument callable doing
one sample of work.  :func:`compare` times both libraries' steps and reports the median of each
and the ratio ember/torch.

Both libraries keep their thread pools spinning for a while after a call (OpenMP about 10 ms,
OpenBLAS about 100 ms), which slows whichever library runs next on a small machine.  So samples
are taken in blocks, alternating libraries block by block, with an untimed settle before each
block; within a block the same library runs back to back.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

SETTLE_S = 0.15


@dataclass
class Result:
    name: str
    ours: float  # median seconds per sample
    theirs: float
    unit_scale: float = 1.0  # multiply seconds to get the reported unit
    unit: str = "ms"
    extra: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.theirs


def _block(step: Callable[[], object], n: int, inner: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        for _ in range(inner):
            step()
        times.append((time.perf_counter() - t0) / inner)
    return times


def _calibrate(step: Callable[[], object], target_s: float) -> int:
    """How many calls make one sample last about ``target_s``."""
    inner = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(inner):
            step()
        dt = time.perf_counter() - t0
        if dt >= target_s or inner >= 1 << 20:
            return max(1, int(inner * target_s / max(dt, 1e-9)))
        inner *= 4


def compare(
    name: str,
    ours: Callable[[], object],
    theirs: Callable[[], object],
    *,
    blocks: int = 6,
    per_block: int = 5,
    sample_s: float = 0.02,
    unit: str = "ms",
    unit_scale: float = 1e3,
) -> Result:
    """Median time per call of ``ours`` and ``theirs``, measured in alternating blocks."""
    for step in (ours, theirs):  # warm-up: caches, lazy imports, allocator
        for _ in range(3):
            step()
    inner = {id(ours): _calibrate(ours, sample_s), id(theirs): _calibrate(theirs, sample_s)}
    samples: dict[int, list[float]] = {id(ours): [], id(theirs): []}
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for b in range(blocks):
            order = (ours, theirs) if b % 2 == 0 else (theirs, ours)
            for step in order:
                gc.collect()
                time.sleep(SETTLE_S)
                samples[id(step)] += _block(step, per_block, inner[id(step)])
    finally:
        if gc_was:
            gc.enable()
    return Result(
        name,
        statistics.median(samples[id(ours)]),
        statistics.median(samples[id(theirs)]),
        unit_scale=unit_scale,
        unit=unit,
    )


def table(results: list[Result], ours: str = "ember", against: str = "torch") -> str:
    """The results as a text table with a geometric mean of the ratios."""
    w = max([len(r.name) for r in results] + [8])
    lines = [f"{'workload':<{w}}  {ours:>12}  {against:>12}  {'ratio':>6}  notes"]
    for r in results:
        lines.append(
            f"{r.name:<{w}}  {r.ours * r.unit_scale:>9.3f} {r.unit:<2}  "
            f"{r.theirs * r.unit_scale:>9.3f} {r.unit:<2}  {r.ratio:>6.2f}  {r.extra}"
        )
    geo = math.exp(sum(math.log(r.ratio) for r in results) / len(results))
    lines.append(f"{'geometric mean':<{w}}  {'':>12}  {'':>12}  {geo:>6.2f}")
    return "\n".join(lines)
