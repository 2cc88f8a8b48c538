"""Run the benchmark suite: ``python -m bench.run [--self] [-k NAME]``.

Prints a table of median times for ember and PyTorch and their ratio.  ``--self`` times PyTorch
against itself, to check the harness: every ratio should come out 1.00 ± 0.05.
"""

from __future__ import annotations

import argparse
import os

import torch

import ember
from bench.harness import compare, table
from bench.workloads import WORKLOADS


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--self", action="store_true", help="time torch against torch")
    p.add_argument("-k", default="", help="only workloads whose name contains this")
    args = p.parse_args(argv)
    torch.set_num_threads(os.cpu_count() or 1)
    ours_lib = torch if args.self else ember
    results = []
    for name, (make, unit, scale, per, flops) in WORKLOADS.items():
        if args.k not in name:
            continue
        r = compare(name, make(ours_lib), make(torch), unit=unit, unit_scale=scale / per)
        if flops:
            r.extra = f"{flops / r.ours / 1e9:.0f} vs {flops / r.theirs / 1e9:.0f} GFLOP/s"
        results.append(r)
        print(f"  {name}: ratio {r.ratio:.2f}", flush=True)
    print(table(results, "torch" if args.self else "ember", "torch"))


if __name__ == "__main__":
    main()
