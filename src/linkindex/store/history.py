"""Runs and events: what each update changed, for reports."""

from __future__ import annotations

from linkindex.store.core import StoreBase


class HistoryMixin(StoreBase):
    """Runs and events: what each update changed, for reports."""
