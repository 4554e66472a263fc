"""HTTP clients: one per (proxy, host), the least recently used idle ones closed.

One shared connection pool would do, but httpcore checks every pooled connection on
every request (``has_expired`` through anyio's attribute lookups), which made the pool
the crawler's biggest CPU cost once a crawl spans many hosts. Connections are only ever
reused for their own host anyway, so a small pool per host loses nothing; capping the
number of clients keeps a crawl over thousands of hosts within its file descriptors.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from linkindex.config import CrawlSettings
from linkindex.fetch.network import ssl_context

# httpcore asks ``import sniffio`` on every request which async library runs it. Without
# sniffio installed (anyio 4 no longer needs it) each failed import searches sys.path
# again, about a millisecond per request. Recording the absence makes the answer instant
# (httpcore then assumes asyncio, which is what we run).
try:
    import sniffio  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

#: Idle clients kept open beyond the ones in use.
IDLE_CLIENTS = 64


@dataclass(slots=True)
class _Entry:
    client: httpx.AsyncClient
    busy: int = 0


class Clients:
    """The httpx clients of one Fetcher."""

    def __init__(self, crawl: CrawlSettings) -> None:
        self._crawl = crawl
        # Made now, so that a bad SSL_CERT_FILE stops the crawl with one ConfigError
        # instead of failing every https link.
        self._ssl = ssl_context()
        self._entries: OrderedDict[tuple[str | None, str], _Entry] = OrderedDict()

    def _new(self, proxy: str | None) -> httpx.AsyncClient:
        per_host = max(self._crawl.per_host_concurrency, 1) * 2
        return httpx.AsyncClient(
            http2=self._crawl.http2,
            verify=self._ssl,
            proxy=proxy,
            trust_env=False,  # proxies and CA files are chosen in fetch.network
            follow_redirects=False,
            timeout=httpx.Timeout(self._crawl.timeout or None),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=per_host),
        )

    @asynccontextmanager
    async def client(self, proxy: str | None, host: str) -> AsyncIterator[httpx.AsyncClient]:
        """The client for requests to ``host`` (through ``proxy``), held while in use."""
        key = (proxy, host)
        entry = self._entries.get(key)
        if entry is None:
            entry = _Entry(self._new(proxy))
            self._entries[key] = entry
        self._entries.move_to_end(key)
        entry.busy += 1
        try:
            yield entry.client
        finally:
            entry.busy -= 1
            await self._trim()

    async def _trim(self) -> None:
        idle = [key for key, entry in self._entries.items() if not entry.busy]
        for key in idle[: max(len(idle) - IDLE_CLIENTS, 0)]:
            entry = self._entries.pop(key)
            await entry.client.aclose()

    async def aclose(self) -> None:
        """Close every client."""
        entries, self._entries = list(self._entries.values()), OrderedDict()
        for entry in entries:
            await entry.client.aclose()
