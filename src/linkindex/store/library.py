"""Notes, links and placements: what import writes, and topics/stats queries."""

from __future__ import annotations

from linkindex.store.core import StoreBase


class LibraryMixin(StoreBase):
    """Notes, links and placements: what import writes, and topics/stats queries."""
