"""The command line.

``python -m ember info``                 versions, BLAS, default dtype and devices
``python -m ember demo [options]``       train and evaluate a CNN on the bundled digits
``python -m ember run SCRIPT [ARGS]``    run a PyTorch program with ``torch`` resolved to ember
"""

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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["run"]:
        # everything after the script belongs to the script, flags included
        if len(argv) < 2 or argv[1].startswith("-"):
            print("usage: python -m ember run SCRIPT [ARGS...]", file=sys.stderr)
            return 2
        from ember import compat

        compat.run(argv[1], argv[2:])
        return 0
    from ember import _demo

    parser = argparse.ArgumentParser(
        prog="python -m ember", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="versions, BLAS, default dtype and devices")
    demo = sub.add_parser("demo", help="train and evaluate a CNN on the bundled digits")
    _demo.add_arguments(demo)
    sub.add_parser("run", help="run a PyTorch program on ember: run SCRIPT [ARGS...]")
    args = parser.parse_args(argv)
    if args.command == "info":
        print(_info())
    elif args.command == "demo":
        _demo.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
