"""The command line: ``python -m ember info`` and ``python -m ember demo``."""

from __future__ import annotations

import argparse
import platform
import sys


def _info() -> str:
    import ember
    from ember.backend import cpu

    blas = cpu.blas_info()
    threads = blas["threads"] if blas["threads"] is not None else "unknown"
    lines = [
        f"ember      {ember.__version__}",
        f"Python     {platform.python_version()} ({sys.executable})",
        f"NumPy      {cpu.xp.__version__}",
        f"BLAS       {blas['name']} {blas['version']}".rstrip() + f", {threads} threads",
        f"dtype      default {ember.get_default_dtype()}",
        "devices    cpu",
    ]
    if ember.cuda.is_available():
        for i in range(ember.cuda.device_count()):
            props = ember.cuda._properties(i)
            gib = props["total_memory"] / 2**30
            lines.append(f"           cuda:{i} {props['name']} ({gib:.1f} GiB)")
    else:
        lines.append("           cuda: not available (needs CuPy and an NVIDIA GPU)")
    return "\n".join(lines)


def _demo() -> str:
    import ember

    points = ember.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])
    second = points[1]
    transposed = points.t()
    second[0] = 20.0
    return "\n".join(
        [
            "points = ember.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])",
            f"points.stride() = {points.stride()}",
            f"points.storage() = {points.storage().tolist()}",
            f"points[1].storage_offset() = {second.storage_offset()}",
            f"points.t().stride() = {transposed.stride()} (same storage: "
            f"{transposed.untyped_storage().data_ptr() == points.untyped_storage().data_ptr()})",
            "after points[1][0] = 20.0, points.t() is",
            repr(transposed),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ember", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, BLAS, default dtype and devices")
    sub.add_parser("demo", help="the main job: verify the install and show a tensor example")
    args = parser.parse_args(argv)
    if args.command == "info":
        print(_info())
    elif args.command == "demo":
        print(_info())
        print()
        print(_demo())
    return 0


if __name__ == "__main__":
    sys.exit(main())
