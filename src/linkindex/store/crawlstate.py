"""Crawl state: due links, recording fetch outcomes, pages, snapshots, host cooldowns."""

from __future__ import annotations

from linkindex.store.core import StoreBase


class CrawlStateMixin(StoreBase):
    """Crawl state: due links, recording fetch outcomes, pages, snapshots, host cooldowns."""
