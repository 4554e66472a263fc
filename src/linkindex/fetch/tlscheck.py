"""TLS checked as the HTTP engine checks it, for the browser's connections.

Told to trust the CAs of ``SSL_CERT_FILE`` (``chromium.extra_ca_hashes``), Chromium
waives every certificate check for a server whose presented chain *contains* one of
them: it verifies neither the chain's signatures nor the host name, so anyone who
appends that (public) CA certificate to a self-made chain would pass. While that flag is
in use, the browser's first request to each https origin waits for this check: a TLS
handshake to the origin, through the same proxy as the HTTP engine would use, with the
same trust (``network.ssl_context``) and the host name verified. Requests to an origin
that fails it are refused. One handshake per origin per crawl, no HTTP request; an
origin that could not be reached is checked again on its next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from urllib.parse import urlsplit

from linkindex.fetch.network import proxy_for, ssl_context


class TlsCheck:
    """Verdicts on https origins, each checked once.

    Args:
        proxies: the environment's proxies (``network.proxies_from_environment``).
        timeout: seconds a check may take.
    """

    def __init__(self, proxies: dict[str, str], timeout: float) -> None:
        self._proxies = proxies
        self._timeout = timeout
        self._context = ssl_context()
        self._verdicts: dict[tuple[str, int], asyncio.Task[str]] = {}

    async def refusal(self, host: str, port: int) -> str:
        """Why TLS to ``host:port`` is not trusted ('' when it is)."""
        key = (host, port)
        task = self._verdicts.get(key)
        if task is None:
            task = asyncio.ensure_future(self._check(host, port))
            self._verdicts[key] = task
        return await asyncio.shield(task)

    async def _check(self, host: str, port: int) -> str:
        proxy = proxy_for("https", host, self._proxies)
        try:
            async with asyncio.timeout(self._timeout):
                if proxy is None:
                    _reader, writer = await asyncio.open_connection(
                        host, port, ssl=self._context, server_hostname=host
                    )
                else:
                    writer = await self._through(proxy, host, port)
        except ssl.SSLCertVerificationError as exc:
            return f"TLS: {exc.verify_message or exc}"
        except ssl.SSLError as exc:
            return f"TLS: {exc}"
        except (OSError, TimeoutError) as exc:
            # Not a verdict on trust: the origin is checked again on its next request.
            self._verdicts.pop((host, port), None)
            where = f"proxy {proxy}" if proxy else f"{host}:{port}"
            return f"{where}: cannot connect ({exc or type(exc).__name__})"
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
        return ""

    async def _through(self, proxy: str, host: str, port: int) -> asyncio.StreamWriter:
        """A TLS connection to ``host:port`` tunnelled through an HTTP proxy (CONNECT)."""
        parts = urlsplit(proxy)
        if parts.scheme not in ("http", "https"):
            raise _ProxyRefused(f"cannot check TLS through a {parts.scheme} proxy")
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        writer.write(
            f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode("ascii")
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1:2]
        if status != [b"200"]:
            writer.close()
            raise _ProxyRefused(f"CONNECT {host}:{port} answered {head.splitlines()[0]!r}")
        await writer.start_tls(self._context, server_hostname=host)
        return writer


class _ProxyRefused(ConnectionError):
    """The proxy would not open the tunnel."""
