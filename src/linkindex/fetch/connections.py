"""HTTP clients: one per (proxy, host), the least recently used idle ones closed.

One shared connection pool would do, but httpcore checks every pooled connection on
every request (``has_expired`` through anyio's attribute lookups), which made the pool
the crawler's biggest CPU cost once a crawl spans many hosts. Connections are only ever
reused for their own host anyway, so a small pool per host loses nothing; capping the
number of clients keeps a crawl over thousands of hosts within its file descriptors.

Unless private networks are allowed, a direct connection is checked once it is made:
the address it reached must be public (``network.is_public_address``), else it is closed
before a byte is sent and the request fails with ``RefusedConnection``. The name check
before the request (``network.refused_address``) resolves the name on its own, and a
name can answer that look-up with a public address and the connection's with a private
one (DNS rebinding); the address a socket is connected to cannot change. Through a
proxy the proxy resolves and connects, so there is nothing to check here.
"""

from __future__ import annotations

import ssl
import sys
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpcore
import httpx

from linkindex.config import CrawlSettings
from linkindex.fetch.network import is_public_address, ssl_context

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


class RefusedConnection(Exception):
    """A connection reached an address the private-address guard refuses."""


class _PublicOnly(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, keeping only connections to public addresses."""

    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        peer = stream.get_extra_info("server_addr")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if not is_public_address(address):
            await stream.aclose()
            raise RefusedConnection(
                f"refused: {host} connected to the private address {address}"
                if address
                else f"refused: cannot tell which address {host} connected to"
            )
        return stream

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedConnection(f"refused: {path} is a local socket")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _PublicOnlyTransport(httpx.AsyncHTTPTransport):
    """httpx's transport for direct requests, its connections made by ``_PublicOnly``."""

    def __init__(self, *, context: ssl.SSLContext, http2: bool, limits: httpx.Limits) -> None:
        super().__init__(verify=context, http2=http2, limits=limits, trust_env=False)
        # httpx 0.28 takes no network backend (encode/httpx#3749 proposes one); its
        # transport sends everything through the httpcore pool it keeps in ``_pool``, so
        # that pool is made again with the same settings and ours. Should a later httpx
        # keep it elsewhere, stop here rather than fetch unguarded.
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError(
                f"httpx {httpx.__version__} keeps no httpcore pool where linkindex puts its "
                "private-address guard; install the httpx version pyproject.toml names"
            )
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=_PublicOnly(),
        )


class _OneHopClient(httpx.AsyncClient):
    """A client that leaves every redirect to the caller, whatever its ``Location``.

    httpx builds the next request of a redirect even when it does not follow it, and
    raises on a ``Location`` it cannot parse (``0177.0.0.1``): the fetcher, which follows
    redirects itself, would never see it to judge it (a refused address, not an error).
    """

    def _build_redirect_request(
        self, request: httpx.Request, response: httpx.Response
    ) -> httpx.Request:
        try:
            return super()._build_redirect_request(request, response)
        except httpx.RemoteProtocolError:  # an unparsable Location: the fetcher judges it
            return request  # (as ``next_request``, which nothing reads)


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
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=per_host)
        transport: httpx.AsyncHTTPTransport
        if proxy is None and not self._crawl.allow_private_networks:
            transport = _PublicOnlyTransport(
                context=self._ssl, http2=self._crawl.http2, limits=limits
            )
        else:
            transport = httpx.AsyncHTTPTransport(
                verify=self._ssl,
                http2=self._crawl.http2,
                limits=limits,
                proxy=proxy,
                trust_env=False,  # proxies and CA files are chosen in fetch.network
            )
        return _OneHopClient(
            transport=transport,
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(self._crawl.timeout or None),
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
