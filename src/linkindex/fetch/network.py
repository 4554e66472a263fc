"""Where a request goes: proxies from the environment, TLS trust, and refused addresses.

Proxies come from ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` and ``NO_PROXY``
(read with the standard library, the way curl and requests read them); TLS trust from
``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, else certifi's bundle. A proxied request never
resolves its host name locally: resolving is the proxy's job.

``refused_address`` is the private-address guard, the one both engines (HTTP and the
browser) ask before every request and every redirect hop.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import socket
import ssl
import urllib.request
from urllib.parse import urlsplit

from linkindex.errors import ConfigError


def proxies_from_environment() -> dict[str, str]:
    """The proxy settings of the environment (``http``, ``https``, ``all``, ``no``).

    Raises:
        ConfigError: a proxy variable that is not a proxy URL (every request would fail).
    """
    proxies = urllib.request.getproxies_environment()
    for scheme, value in proxies.items():
        if scheme != "no" and not _is_proxy_url(value):
            raise ConfigError(
                f"{scheme.upper()}_PROXY={value!r} is not a proxy address; "
                "write it as http://host:port, or unset it"
            )
    return proxies


def _is_proxy_url(value: str) -> bool:
    parts = urlsplit(value if "://" in value else f"http://{value}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https", "socks5", "socks5h") and bool(parts.hostname)


def proxy_for(url_scheme: str, host: str, proxies: dict[str, str] | None = None) -> str | None:
    """The proxy URL the environment sets for a request, or None to go direct."""
    if proxies is None:
        proxies = proxies_from_environment()
    proxy = proxies.get(url_scheme) or proxies.get("all")
    if not proxy:
        return None
    # proxy_bypass_environment is public in CPython but missing from typeshed.
    if urllib.request.proxy_bypass_environment(host, proxies):  # type: ignore[attr-defined]
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def ssl_context() -> ssl.SSLContext:
    """A verifying TLS context that trusts ``SSL_CERT_FILE``/``SSL_CERT_DIR`` if set.

    Raises:
        ConfigError: the CA file or folder named there cannot be loaded.
    """
    cafile = os.environ.get("SSL_CERT_FILE")
    capath = os.environ.get("SSL_CERT_DIR")
    if cafile or capath:
        try:
            return ssl.create_default_context(cafile=cafile or None, capath=capath or None)
        except (OSError, ssl.SSLError) as exc:
            named = f"SSL_CERT_FILE={cafile}" if cafile else f"SSL_CERT_DIR={capath}"
            raise ConfigError(
                f"{named}: cannot load the certificates ({exc}); "
                "point it at a PEM bundle, or unset it"
            ) from exc
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def is_public_address(address: str) -> bool:
    """Whether an IP address is an ordinary public one (not private, loopback, link-local…)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


#: One part of an IPv4 address as inet_aton reads it: hex (0x7f), octal (0177), decimal.
_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")


def ipv4_address(host: str) -> str | None:
    """The IPv4 address a host name spells in any form resolvers accept, or None.

    The rules of inet_aton, which getaddrinfo (and so every proxy and browser) applies
    before any DNS look-up: one to four parts, each decimal, octal with a leading ``0`` or
    hex with ``0x``; the last part fills the remaining bytes. So ``2130706433``,
    ``0x7f000001``, ``0177.0.0.1``, ``127.1`` and ``0x7f.1`` are all 127.0.0.1.

    >>> ipv4_address("0x7f.1")
    '127.0.0.1'
    """
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART.fullmatch(part) for part in parts):
        return None
    values = [
        int(part, 16 if part[:2] in ("0x", "0X") else 8 if part[0] == "0" else 10) for part in parts
    ]
    *leading, last = values
    if any(value > 255 for value in leading) or last >= 1 << 8 * (5 - len(values)):
        return None
    number = last
    for position, value in enumerate(leading):
        number |= value << 8 * (3 - position)
    return str(ipaddress.IPv4Address(number))


def _literal_address(host: str) -> str | None:
    """The address a host written as an IP literal stands for (None for a name)."""
    text = host.strip("[]")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    # A trailing dot is how DNS spells a full name; resolvers drop it from a number too.
    return ipv4_address(text.rstrip("."))


async def refused_address(host: str, port: int, *, proxied: bool, timeout: float) -> str:
    """Why a request to ``host`` must not be sent ('' when it may).

    Literal addresses — in every IPv4 spelling resolvers accept (``ipv4_address``), with or
    without a proxy — and ``localhost`` are judged as written; other names are resolved
    only for direct requests, and refused when any address they resolve to is not public.
    A name that does not resolve is reported as such (an ``error``, not a refusal).
    """
    literal = _literal_address(host)
    if literal is not None:
        if is_public_address(literal):
            return ""
        if literal == host.strip("[]"):
            return f"refused: {literal} is a private address"
        return f"refused: {host} is the private address {literal}"
    if host == "localhost" or host.endswith(".localhost"):
        return f"refused: {host} is a private address"
    if proxied:
        return ""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for info in infos:
        address = str(info[4][0])
        if not is_public_address(address):
            return f"refused: {host} resolves to the private address {address}"
    return ""
