"""Utilities around the core: hooks (and, with their issues, data loading)."""

from ember.utils import checkpoint, data, hooks

__all__ = ["checkpoint", "data", "hooks"]
