"""Handles returned by the ``register_*_hook`` methods of modules."""

from __future__ import annotations

import itertools

_ids = itertools.count()


class RemovableHandle:
    """Removes a registered hook (``handle.remove()``, or leaving a ``with`` block).

    The hook lives in ``hooks_dict`` under ``handle.id``; ``extra_dict`` (one dict or a list)
    holds per-hook flags under the same key and is cleaned up with it.
    """

    __slots__ = ("hooks_dict", "id", "extra_dicts")

    def __init__(self, hooks_dict: dict, *, extra_dict=None):
        self.hooks_dict = hooks_dict
        self.id = next(_ids)
        if extra_dict is None:
            extra_dict = []
        elif isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dicts = list(extra_dict)

    def remove(self) -> None:
        self.hooks_dict.pop(self.id, None)
        for d in self.extra_dicts:
            d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
