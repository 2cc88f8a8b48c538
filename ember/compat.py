"""Run programs written for PyTorch on ember: ``import torch`` resolves to ``ember``.

``install()`` puts an import hook in front of the normal ones: ``torch`` and every submodule
ember has (``torch.nn``, ``torch.nn.functional``, ``torch.optim``, ``torch.utils.data``,
``torch.distributions``, ...) import as ember's, and so do ``torchvision`` (as ``ember.vision``)
and its submodules.  A submodule ember lacks raises ``ModuleNotFoundError`` naming both the
torch name and the ember module it looked for, rather than silently importing real PyTorch.
``python -m ember run script.py`` calls ``install()`` and then runs the script as ``__main__``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import runpy
import sys

# torch name prefix -> ember module prefix
_ALIASES = {"torch": "ember", "torchvision": "ember.vision"}


def _target(fullname: str) -> str | None:
    for src, dst in _ALIASES.items():
        if fullname == src:
            return dst
        if fullname.startswith(src + "."):
            return dst + fullname[len(src):]
    return None


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self._own = (module.__spec__, getattr(module, "__loader__", None))
        return module

    def exec_module(self, module) -> None:
        # The ember module has run already.  The import system stamped the torch name's spec
        # on it; give it its own back, so that it stays ember's module under both names.
        module.__spec__, module.__loader__ = self._own


class _TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``torch.*`` / ``torchvision.*`` and hands back the ember module of that name."""

    def find_spec(self, fullname, path=None, target=None):
        dst = _target(fullname)
        if dst is None:
            return None
        try:
            found = importlib.util.find_spec(dst)
        except ModuleNotFoundError:
            found = None
        if found is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: ember has no {dst!r} (ember runs torch programs "
                "through `python -m ember run`; this part of torch is not supported yet)",
                name=fullname,
            )
        return importlib.util.spec_from_loader(fullname, _AliasLoader(dst))


_FINDER = _TorchAliasFinder()


def install() -> None:
    """Make ``import torch`` (and ``torchvision``) give ember from now on in this process.

    Real torch modules already imported are left in ``sys.modules`` untouched only if they are
    not torch's: any ``torch``/``torchvision`` entry there is replaced by ember's."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    for name in list(sys.modules):
        if _target(name) is not None:
            del sys.modules[name]


def uninstall() -> None:
    """Undo :func:`install`: ``import torch`` finds whatever is installed again."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in list(sys.modules):
        if _target(name) is not None:
            del sys.modules[name]


def run(script: str, args: list[str]) -> None:
    """Run ``script`` as ``__main__`` with ``sys.argv = [script, *args]`` and torch as ember."""
    install()
    saved_argv = sys.argv
    sys.argv = [script, *args]
    try:
        runpy.run_path(script, run_name="__main__")
    finally:
        sys.argv = saved_argv
