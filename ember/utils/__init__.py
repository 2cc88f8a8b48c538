"""Utilities around the core: hooks (and, with their issues, data loading)."""

from ember.utils import hooks

__all__ = ["hooks"]
