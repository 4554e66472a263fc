"""Fetching: the only user of httpx. Polite, robots-aware, retrying, size-capped.

``Fetcher.fetch(url)`` returns a ``models.FetchResult`` whatever happens; see
``fetch.client`` for the order of the concerns.
"""

from __future__ import annotations

from linkindex.fetch.client import Conditional, Fetcher, retry_after
from linkindex.fetch.network import is_public_address, proxy_for
from linkindex.fetch.politeness import HostLimits, Politeness

__all__ = [
    "Conditional",
    "Fetcher",
    "HostLimits",
    "Politeness",
    "is_public_address",
    "proxy_for",
    "retry_after",
]
