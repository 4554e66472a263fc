"""The library's SQLite store: the single source of truth (only user of sqlite-utils)."""

from __future__ import annotations

from linkindex.store.core import DB_NAME, LibraryLock, StoreBase
from linkindex.store.crawlstate import CrawlStateMixin
from linkindex.store.history import HistoryMixin
from linkindex.store.library import LibraryMixin
from linkindex.store.lost import LostSnapshotsMixin
from linkindex.store.records import (
    ImageRecord,
    LinkRecord,
    PageRecord,
    PlacementRecord,
    RecordsMixin,
)


class Store(
    LibraryMixin, CrawlStateMixin, LostSnapshotsMixin, HistoryMixin, RecordsMixin, StoreBase
):
    """One library database: ``with Store(home) as store:`` (or ``close()`` it yourself)."""


__all__ = [
    "DB_NAME",
    "ImageRecord",
    "LibraryLock",
    "LinkRecord",
    "PageRecord",
    "PlacementRecord",
    "Store",
]
