"""Utilities around the core: hooks (and, with their issues, data loading)."""

from ember.utils import data, hooks

__all__ = ["data", "hooks"]
