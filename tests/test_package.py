"""Package-wide rules: who may import what, and the command line."""

import ast
import pathlib
import subprocess
import sys

import ember

ROOT = pathlib.Path(ember.__file__).parent
ARRAY_LIBS = {"numpy", "cupy", "ml_dtypes"}
# Only the backend touches array libraries; _dtype needs NumPy's dtype objects to name types.
ALLOWED = {"backend", "_dtype.py"}


def _imported_modules(path: pathlib.Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def test_ember_never_imports_torch():
    offenders = [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.py")
        if "torch" in set(_imported_modules(p))
    ]
    assert offenders == []


def test_only_the_backend_imports_array_libraries():
    offenders = []
    for p in ROOT.rglob("*.py"):
        rel = p.relative_to(ROOT)
        if rel.parts[0] in ALLOWED:
            continue
        if ARRAY_LIBS & set(_imported_modules(p)):
            offenders.append(str(rel))
    assert offenders == []


def test_import_ember_loads_neither_torch_nor_cupy():
    code = "import sys, ember; print(sorted(m for m in ('torch', 'cupy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_info_command_reports_versions_and_devices():
    out = subprocess.run(
        [sys.executable, "-m", "ember", "info"], capture_output=True, text=True, check=True
    ).stdout
    import numpy

    assert ember.__version__ in out
    assert numpy.__version__ in out
    assert "BLAS" in out and "threads" in out
    assert "default ember.float32" in out
    assert "cpu" in out and "cuda" in out


def test_help_lists_the_commands():
    out = subprocess.run(
        [sys.executable, "-m", "ember", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("info", "demo", "run"):
        assert command in out
