"""The Chromium the browser engine drives: where it is, how it starts, whom it trusts.

linkindex uses a Chromium already on the machine (Debian's ``chromium``, installed by
``scripts/install-browser``): the one ``[browser] executable`` names, else the first of
``chromium``, ``chromium-browser``, ``google-chrome`` on PATH. Playwright drives it through
``executable_path``; its own browser download (``playwright install``) is never used.

Chromium reads neither ``HTTP(S)_PROXY``/``NO_PROXY`` nor ``SSL_CERT_FILE``, so both become
flags here. Proxies become ``--proxy-server`` and ``--proxy-bypass-list``; the bypass list
starts with ``<-loopback>`` because Chromium would otherwise never proxy loopback
addresses, which the HTTP engine does unless ``NO_PROXY`` says so. The CAs of
``SSL_CERT_FILE`` become ``--ignore-certificate-errors-spki-list`` (base64 sha256 of each
CA's SubjectPublicKeyInfo): Chromium then accepts a server whose presented chain holds
one of those CAs, as a TLS-intercepting proxy's does. Only CAs that certifi's bundle does
not hold are listed: a system bundle in ``SSL_CERT_FILE`` (as many images set) adds
nothing, and never turns a public root into a key that waives checks.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from linkindex.errors import ConfigError

#: Programs tried on PATH, in order, when ``[browser] executable`` is not set. Debian's
#: ``chromium-headless-shell`` comes first: it is Chromium's old headless mode, the one
#: Playwright itself runs headless, without the full browser's machinery (measured on
#: 200 challenged pages, two at a time: 1,624 -> 1,127 MB summed RSS, 2.3 -> 2.8 pages/s).
CHROMIUM_NAMES: tuple[str, ...] = (
    "chromium-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
)
#: How to get a Chromium, for messages.
INSTALL_HINT = "run scripts/install-browser, or set [browser] executable in config.toml"

#: Flags of every launch. No GPU (headless, servers); no QUIC, because proxies and test
#: servers speak TCP; none of Chromium's own background traffic (component updates,
#: sync, safe-browsing lists): a crawl's requests are only the pages' own.
FLAGS: tuple[str, ...] = (
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

#: Fewer processes for the same pages: the GPU and network services run inside the
#: browser process, and the renderers are as many as the pages open at once (2 by
#: default). Each saved process is 50-90 MB (measured with the headless shell: 1,127 ->
#: ~820 MB summed RSS, at the same pages per second).
LEAN_FLAGS: tuple[str, ...] = (
    "--in-process-gpu",
    "--enable-features=NetworkServiceInProcess2",
)

#: Without the sandbox (as root) the zygote processes, which only exist to start
#: sandboxed renderers, are not needed either (~100 MB).
UNSANDBOXED_FLAGS: tuple[str, ...] = ("--no-zygote",)


def find_chromium(executable: str = "") -> str | None:
    """The Chromium program to run, or None when the machine has none.

    Raises:
        ConfigError: ``executable`` is set but names no program (one line, at start).
    """
    if executable:
        found = shutil.which(os.path.expanduser(executable))
        if found is None:
            raise ConfigError(
                f"config.toml: browser.executable = {executable!r} is not a program; "
                "name a Chromium or Chrome binary, or remove the key to use chromium on PATH"
            )
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def launch_flags(
    proxies: Mapping[str, str], ca_hashes: list[str], *, pages: int = 2, sandbox: bool = True
) -> list[str]:
    """Every flag Chromium is started with, from the proxies and the extra CAs in use.

    Args:
        proxies: the environment's proxies (``network.proxies_from_environment``).
        ca_hashes: ``extra_ca_hashes`` of ``SSL_CERT_FILE``.
        pages: pages open at once (``[browser] pages``): the most renderers needed.
        sandbox: whether Chromium runs sandboxed (``can_sandbox``).
    """
    flags = [*FLAGS, *LEAN_FLAGS, f"--renderer-process-limit={max(pages, 1)}"]
    if not sandbox:
        flags += UNSANDBOXED_FLAGS
    flags += proxy_flags(proxies)
    if ca_hashes:
        flags.append(f"--ignore-certificate-errors-spki-list={','.join(ca_hashes)}")
    return flags


def can_sandbox() -> bool:
    """Whether Chromium may keep its sandbox: not as root, which it refuses to sandbox."""
    return not (hasattr(os, "geteuid") and os.geteuid() == 0)


def proxy_flags(proxies: Mapping[str, str]) -> list[str]:
    """``--proxy-server`` / ``--proxy-bypass-list`` for the environment's proxy settings.

    ``proxies`` is what ``fetch.network.proxies_from_environment`` returns.
    """
    no_proxy = [entry.strip() for entry in proxies.get("no", "").split(",") if entry.strip()]
    if "*" in no_proxy:
        return []
    servers = []
    for scheme in ("http", "https"):
        proxy = proxies.get(scheme) or proxies.get("all")
        if proxy:
            servers.append(f"{scheme}={_proxy_uri(proxy)}")
    if not servers:
        return []
    bypass = ["<-loopback>", *(rule for entry in no_proxy for rule in _bypass_rules(entry))]
    return [f"--proxy-server={';'.join(servers)}", f"--proxy-bypass-list={';'.join(bypass)}"]


def _proxy_uri(proxy: str) -> str:
    """A proxy as Chromium writes it: scheme://host:port, without credentials."""
    uri = proxy if "://" in proxy else f"http://{proxy}"
    scheme, rest = uri.split("://", 1)
    rest = rest.rsplit("@", 1)[-1].rstrip("/")
    # Chromium's socks5 already leaves name resolution to the proxy.
    return f"{'socks5' if scheme.lower() == 'socks5h' else scheme.lower()}://{rest}"


def _bypass_rules(entry: str) -> list[str]:
    """Chromium's bypass rules for one NO_PROXY entry: the name and its subdomains."""
    if "/" in entry or ":" in entry or re.fullmatch(r"[\d.]+", entry):
        return [entry]  # an address, a CIDR block or host:port: as written
    name = entry.lstrip(".").lstrip("*").lstrip(".")
    return [name, f"*.{name}"] if name else []


def extra_ca_hashes(ca_file: str | None) -> list[str]:
    """SPKI hashes of the CAs in ``ca_file`` that certifi's bundle does not already hold.

    Raises:
        ConfigError: the file cannot be read.
    """
    if not ca_file:
        return []
    try:
        text = Path(ca_file).read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise ConfigError(
            f"SSL_CERT_FILE={ca_file}: cannot load the certificates ({exc}); "
            "point it at a PEM bundle, or unset it"
        ) from exc
    known = _certifi_hashes()
    own = {spki_hash(der) for der in pem_certificates(text)}
    return sorted(own - known)


@cache
def _certifi_hashes() -> frozenset[str]:
    import certifi

    text = Path(certifi.where()).read_text(encoding="ascii", errors="replace")
    return frozenset(spki_hash(der) for der in pem_certificates(text))


_PEM = re.compile(r"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----", re.DOTALL)


def pem_certificates(text: str) -> list[bytes]:
    """The DER bytes of every certificate in a PEM bundle."""
    found = []
    for block in _PEM.findall(text):
        try:
            found.append(base64.b64decode("".join(block.split())))
        except ValueError:
            continue
    return found


def spki_hash(der: bytes) -> str:
    """Base64 sha256 of a certificate's SubjectPublicKeyInfo (RFC 7469 section 2.4)."""
    return base64.b64encode(hashlib.sha256(subject_public_key_info(der)).digest()).decode()


def subject_public_key_info(der: bytes) -> bytes:
    """The DER SubjectPublicKeyInfo of an X.509 certificate.

    Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
    serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, … }, … }.

    Raises:
        ValueError: the bytes are not a certificate.
    """
    _tag, at, _end = _element(der, 0)  # the certificate
    _tag, at, _end = _element(der, at)  # tbsCertificate: step into it
    if der[at] == 0xA0:  # explicit version
        at = _element(der, at)[2]
    for _field in range(5):  # serialNumber, signature, issuer, validity, subject
        at = _element(der, at)[2]
    tag, _content, end = _element(der, at)
    if tag != 0x30:
        raise ValueError("not an X.509 certificate")
    return der[at:end]


def _element(der: bytes, at: int) -> tuple[int, int, int]:
    """(tag, where its content starts, where it ends) of the DER element at ``at``."""
    if at + 2 > len(der):
        raise ValueError("truncated DER")
    tag, length = der[at], der[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[at : at + count], "big")
        at += count
    if at + length > len(der):
        raise ValueError("truncated DER")
    return tag, at, at + length


def user_agent(chromium: str, own: str) -> str:
    """Chromium's own User-Agent with linkindex's product token added to it."""
    return f"{chromium} {own}".strip()
