"""Where a request goes: proxies from the environment, TLS trust, and refused addresses.

Proxies come from ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` and ``NO_PROXY``
(read with the standard library, the way curl and requests read them); TLS trust from
``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, else certifi's bundle. A proxied request never
resolves its host name locally: resolving is the proxy's job.

``refused_address`` is the private-address guard's name check, the one both engines
(HTTP and the browser) ask before every request and every redirect hop: an early, cheap
refusal. A name can resolve to another address when the connection is made (DNS
rebinding), so a direct HTTP connection is also checked once made, by the address it
reached (``connections``); through a proxy the proxy resolves names.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import socket
import ssl
import unicodedata
import urllib.request
from urllib.parse import unquote, urlsplit

import idna

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


#: NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address reached.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_public_address(address: str) -> bool:
    """Whether an IP address is an ordinary, globally routable one.

    Every address that is not global is refused: private, loopback, link-local, the
    shared address space 100.64.0.0/10 (carrier-grade NAT, Tailscale's 100.100.100.100),
    benchmarking and documentation ranges, reserved and unspecified ones; multicast too
    (``is_global`` counts it). An IPv6 address that carries an IPv4 one (mapped
    ``::ffff:a.b.c.d``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``) is judged by that one.
    """
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
            address.split("%", 1)[0]
        )
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        else:
            ip = ip.ipv4_mapped or ip.sixtofour or ip
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


#: Names that are this machine wherever they are resolved (RFC 6761's ``localhost`` and
#: its subdomains; the names Debian and Red Hat give it in /etc/hosts), so a proxy too
#: would send them to itself.
LOOPBACK_NAMES = frozenset(
    {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "localhost6"}
)

#: One part of an IPv4 address as inet_aton reads it: hex (0x7f), octal (0177), decimal.
_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")
#: The same part as a reader that ignores leading zeros takes it (``0127`` is 127).
_DECIMAL_PART = re.compile(r"0[xX][0-9a-fA-F]+|[0-9]+")


def ipv4_address(host: str, *, octal: bool = True) -> str | None:
    """The IPv4 address a host name spells in any form resolvers accept, or None.

    The rules of inet_aton, which getaddrinfo (and so every proxy and browser) applies
    before any DNS look-up: one to four parts, each decimal, octal with a leading ``0`` or
    hex with ``0x``; the last part fills the remaining bytes. So ``2130706433``,
    ``0x7f000001``, ``0177.0.0.1``, ``127.1`` and ``0x7f.1`` are all 127.0.0.1. With
    ``octal=False`` a part with leading zeros is read as decimal, as many other parsers
    read it (``127.000.000.001``, ``0127.0.0.1``).

    >>> ipv4_address("0x7f.1")
    '127.0.0.1'
    >>> ipv4_address("0127.0.0.1", octal=False)
    '127.0.0.1'
    """
    parts = host.split(".")
    shape = _IPV4_PART if octal else _DECIMAL_PART
    if not 1 <= len(parts) <= 4 or not all(shape.fullmatch(part) for part in parts):
        return None
    values = [_ipv4_part(part, octal) for part in parts]
    *leading, last = values
    if any(value > 255 for value in leading) or last >= 1 << 8 * (5 - len(values)):
        return None
    number = last
    for position, value in enumerate(leading):
        number |= value << 8 * (3 - position)
    return str(ipaddress.IPv4Address(number))


def _ipv4_part(part: str, octal: bool) -> int:
    """One part's value; any number past 32 bits as 2**32 (int() of thousands of digits
    would be slow, or refused)."""
    base = 16 if part[:2] in ("0x", "0X") else 8 if octal and part[0] == "0" else 10
    digits = (part[2:] if base == 16 else part).lstrip("0") or "0"
    return int(digits, base) if len(digits) <= 11 else 1 << 32


def _as_read(host: str) -> str:
    """A host as a browser's URL parser reads it (and a proxy may): percent-escapes
    decoded, then UTS #46's mapping, as browsers apply it to every host: full-width and
    other compatibility forms folded (``１２７。０。０。１``, ``ｌｏｃａｌｈｏｓｔ``),
    ideographic full stops read as dots, invisible characters such as the soft hyphen
    dropped, lower-case."""
    text = unquote(host.strip("[]"))
    try:
        text = idna.uts46_remap(text, std3_rules=False, transitional=False)
    except (idna.IDNAError, ValueError):  # a character UTS #46 disallows: fold what we can
        text = unicodedata.normalize("NFKC", text)
    return text.replace("\u3002", ".").lower()


def _literal_addresses(host: str) -> list[str]:
    """The addresses a host written as an IP literal may stand for ([] for a name).

    An IPv4 spelling with leading zeros is read both ways (octal, as inet_aton and
    browsers read it, and decimal, as many other parsers do): the guard refuses it when
    either reading is not public.
    """
    text = _as_read(host)
    try:
        return [str(ipaddress.ip_address(text))]
    except ValueError:
        pass
    # A trailing dot is how DNS spells a full name; resolvers drop it from a number too.
    text = text.rstrip(".")
    readings = (ipv4_address(text), ipv4_address(text, octal=False))
    return list(dict.fromkeys(address for address in readings if address is not None))


def literal_refusal(host: str) -> str:
    """Why a host refused for what it says, whatever it resolves to ('' when not).

    Literal addresses — in every IPv4 spelling resolvers accept (``ipv4_address``) — and
    ``localhost`` (``LOOPBACK_NAMES``, a trailing dot or not), judged as a browser's URL
    parser reads them (``_as_read``). Needs no look-up, and is the same with a proxy.
    """
    literals = _literal_addresses(host)
    if literals:
        private = next((a for a in literals if not is_public_address(a)), None)
        if private is None:
            return ""
        if private == host.strip("[]"):
            return f"refused: {private} is a private address"
        return f"refused: {host} is the private address {private}"
    # A trailing dot is the same name written in full (``localhost.``).
    name = _as_read(host).rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return f"refused: {host} is a private address"
    return ""


#: The scheme of an absolute URL (RFC 3986).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
#: What a browser removes from a URL before reading it: tabs and newlines anywhere.
_URL_BLANKS = re.compile(r"[\t\n\r]")


def written_host(url: str) -> str | None:
    """The host a URL (or a redirect's ``Location``) names, as a browser splits it off,
    before anything reads it; None for a reference without one (a path) or a scheme
    that is not http(s).

    The WHATWG URL rules: leading and trailing blanks and control characters dropped,
    tabs and newlines removed; after ``http:`` or ``https:`` (or at the start of a
    reference) any run of ``/`` and ``\\`` opens the authority, which ends at the next
    ``/``, ``\\``, ``?`` or ``#``; what comes before its last ``@`` is user
    information, and the port follows the host's ``:``.

    >>> written_host("HTTP:\\\\user@0177.0.0.1:8080/x")
    '0177.0.0.1'
    """
    text = _URL_BLANKS.sub("", url.strip("".join(map(chr, range(33)))))
    scheme = _SCHEME.match(text)
    if scheme is not None:
        if scheme.group().lower() not in ("http:", "https:"):
            return None
        text = text[scheme.end() :]
    elif not text.startswith(("//", "\\\\", "/\\", "\\/")):
        return None  # a path on the same host
    authority = re.split(r"[/\\?#]", text.lstrip("/\\"), maxsplit=1)[0]
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.partition(":")[0]


def url_refusal(url: str) -> str:
    """Why a URL (or a redirect's ``Location``) is refused for the host it names, read
    as written and before any URL parser rejects the spelling ('' when it is not).

    httpx refuses to parse ``0177.0.0.1`` or ``１２７。０。０。１``, but a browser, a
    proxy or a later crawl with other software reads them as 127.0.0.1: the guard
    decides first, so such a link is refused, not an error to retry.
    """
    host = written_host(url)
    if not host:
        return ""
    return literal_refusal(host.lower())


async def refused_address(host: str, port: int, *, proxied: bool, timeout: float) -> str:
    """Why a request to ``host`` must not be sent ('' when it may).

    Literal addresses — in every IPv4 spelling resolvers accept (``ipv4_address``), with or
    without a proxy — and ``localhost`` (``LOOPBACK_NAMES``, a trailing dot or not) are
    judged as a browser's URL parser reads them (``_as_read``); other names are resolved
    only for direct requests, and refused when any address they resolve to is not public.
    A name that does not resolve is reported as such (an ``error``, not a refusal). This
    look-up is not the one the connection makes: ``connections`` checks the address
    actually reached.
    """
    why = literal_refusal(host)
    if why:
        return why
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
