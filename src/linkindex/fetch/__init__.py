"""Fetching: the only user of httpx and of the browser. Polite, robots-aware, size-capped.

Two engines behind one interface: ``Fetcher.fetch(url)`` (plain HTTP, ``fetch.client``)
and ``BrowserFetcher.fetch(url)`` (headless Chromium, ``fetch.browser``) each return a
``models.pages.FetchResult`` whatever happens. The browser shares the HTTP engine's
robots.txt rules, politeness and address checks.
"""

from __future__ import annotations

from linkindex.fetch.browser import BrowserFetcher
from linkindex.fetch.client import Conditional, Fetcher, retry_after
from linkindex.fetch.network import is_public_address, proxy_for
from linkindex.fetch.politeness import HostLimits, Politeness

__all__ = [
    "BrowserFetcher",
    "Conditional",
    "Fetcher",
    "HostLimits",
    "Politeness",
    "is_public_address",
    "proxy_for",
    "retry_after",
]
