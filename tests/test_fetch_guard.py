"""The private-address guard: no spelling of a private address, no name that resolves to
one, on the first URL or on any redirect hop, with a proxy or without, is fetched."""

from __future__ import annotations

import asyncio
import os
import socket
import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Response

from crawl_servers import Proxy, fast_settings
from linkindex.fetch import Fetcher
from linkindex.fetch.network import (
    ipv4_address,
    is_public_address,
    refused_address,
    url_refusal,
    written_host,
)
from linkindex.models.pages import FetchResult

HTML = "<html><head><title>t</title></head><body><p>secret</p></body></html>"
GUARDED = fast_settings(allow_private_networks=False, retries=0)

#: 127.0.0.1 as resolvers (and so proxies) read it.
LOOPBACK_SPELLINGS = [
    "2130706433",  # decimal
    "0x7f000001",  # hex
    "0X7F000001",
    "0177.0.0.1",  # octal
    "017700000001",
    "127.1",  # short forms
    "127.0.1",
    "0x7f.1",  # mixed
    "0x7f.0.0x0.1",
    "0177.0.1",
    "127.0.0.1.",  # the full-name dot
    "%31%32%37.0.0.1",  # percent-escapes, which browsers' URL parsers decode
    "127.0.0.1%2e",
]


def fetch(url: str) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(GUARDED) as fetcher:
            return await fetcher.fetch(url)

    return asyncio.run(run())


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch, no_proxy_env: None) -> Iterator[Proxy]:
    """A proxy that would reach 127.0.0.1 for every spelling: only the guard stops it."""
    names = {"site-a.test": "127.0.0.1", **dict.fromkeys(LOOPBACK_SPELLINGS, "127.0.0.1")}
    with Proxy(names) as running:
        monkeypatch.setenv("HTTP_PROXY", running.url)
        yield running


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Names the test resolves itself (no DNS): name -> address."""
    names: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host in names:
            return real(names[host], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


@given(st.text(alphabet=string.hexdigits + "xX.", max_size=24))
def test_ipv4_spellings_are_read_as_inet_aton_reads_them(text: str) -> None:
    try:
        expected: str | None = socket.inet_ntoa(socket.inet_aton(text))
    except OSError:
        expected = None
    assert ipv4_address(text) == expected


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS)
def test_every_spelling_of_a_private_address_is_refused(spelling: str) -> None:
    for proxied in (False, True):
        why = asyncio.run(refused_address(spelling, 80, proxied=proxied, timeout=2))
        assert why.startswith("refused: ") and "127.0.0.1" in why, (spelling, proxied, why)
    for private in ("10.0.0.1", "0xa.1", "012.0.0.1", "167772161", "0xc0a80001", "0xa9fea9fe"):
        assert asyncio.run(refused_address(private, 80, proxied=True, timeout=2))
    public = ("93.184.216.34", "1572395042", "0x5db8d822", "0135.0270.0330.042")
    for address in public:
        assert asyncio.run(refused_address(address, 80, proxied=True, timeout=2)) == ""


@pytest.mark.parametrize("spelling", ["2130706433", "0x7f.1", "017700000001", "127.1"])
def test_a_spelled_address_is_refused_on_the_first_url_without_a_proxy(
    server: HTTPServer, no_proxy_env: None, spelling: str
) -> None:
    server.expect_request("/secret").respond_with_data(HTML)
    result = fetch(f"http://{spelling}:{server.port}/secret")
    assert result.outcome == "skipped"
    assert result.error == f"refused: {spelling} is the private address 127.0.0.1"
    assert server.log == []


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS)
def test_a_spelled_address_is_refused_on_the_first_url_through_a_proxy(
    server: HTTPServer, proxy: Proxy, spelling: str
) -> None:
    server.expect_request("/secret").respond_with_data(HTML)
    result = fetch(f"http://{spelling}:{server.port}/secret")
    assert (result.outcome, result.error) == (
        "skipped",
        f"refused: {spelling.lower()} is the private address 127.0.0.1",
    )
    assert proxy.requests == [] and server.log == []


#: Spellings httpx refuses to parse ("Invalid IPv4 address", "Invalid IDNA hostname") that
#: browsers, resolvers or other parsers read as 127.0.0.1 or localhost: refused, which is
#: final, rather than a bad URL (an error a later crawl would try again).
UNPARSED_SPELLINGS = {
    "0177.0.0.1": "127.0.0.1",  # octal
    "0177.0000.0000.0001": "127.0.0.1",
    "127.000.000.001": "127.0.0.1",  # zero-padded: 0 and 1 read either way
    "0127.0.0.1": "127.0.0.1",  # 87.0.0.1 as octal, 127.0.0.1 to decimal readers
    "012.0.0.1": "10.0.0.1",  # 10.0.0.1 as octal: refused though 12.0.0.1 is public
    "１２７。０。０。１": "127.0.0.1",  # full-width digits, ideographic full stops
    "１２７.０.０.１": "127.0.0.1",
    "127｡0｡0｡1": "127.0.0.1",  # half-width ideographic full stops
    "①②⑦.0.0.1": "127.0.0.1",  # circled digits (UTS #46 maps them)
    "ｌｏｃａｌｈｏｓｔ": "",  # full-width letters
    "local\u00adhost": "",  # a soft hyphen, which browsers drop
    "ⓛⓞⓒⓐⓛⓗⓞⓢⓣ": "",
}


class RawLocation(Response):
    """A redirect whose ``Location`` leaves as UTF-8 bytes, as written (werkzeug would
    IDNA-encode it, and fails to for these spellings)."""

    def __init__(self, location: str) -> None:
        super().__init__(status=302)
        self.location = location

    def get_wsgi_headers(self, environ: Any) -> Any:
        headers = super().get_wsgi_headers(environ)
        headers["Location"] = self.location.encode().decode("latin-1")  # WSGI: bytes as str
        return headers


def _refusal_of(spelling: str) -> str:
    address = UNPARSED_SPELLINGS[spelling]
    if address:
        return f"refused: {spelling} is the private address {address}"
    return f"refused: {spelling} is a private address"


@pytest.mark.parametrize("spelling", UNPARSED_SPELLINGS)
@pytest.mark.parametrize("proxied", [False, True])
def test_a_spelling_httpx_cannot_parse_is_refused_on_the_first_url(
    server: HTTPServer, no_proxy_env: None, spelling: str, proxied: bool
) -> None:
    server.expect_request("/secret").respond_with_data(HTML)
    with Proxy({}) as running:
        if proxied:
            os.environ["HTTP_PROXY"] = os.environ["HTTPS_PROXY"] = running.url
        try:
            plain = fetch(f"http://{spelling}:{server.port}/secret")
            tls = fetch(f"https://{spelling}/secret")
        finally:
            os.environ.pop("HTTP_PROXY", None)
            os.environ.pop("HTTPS_PROXY", None)
        assert (plain.outcome, plain.error) == ("skipped", _refusal_of(spelling))
        assert (tls.outcome, tls.error) == ("skipped", _refusal_of(spelling))
        assert running.requests == [] and server.log == []


@pytest.mark.parametrize("spelling", UNPARSED_SPELLINGS)
@pytest.mark.parametrize("form", ["http://{host}:{port}/secret", "//{host}:{port}/secret"])
def test_a_redirect_to_a_spelling_httpx_cannot_parse_is_refused_through_a_proxy(
    server: HTTPServer, proxy: Proxy, spelling: str, form: str
) -> None:
    location = form.format(host=spelling, port=server.port)
    server.expect_request("/start").respond_with_response(RawLocation(location))
    result = fetch(f"http://site-a.test:{server.port}/start")
    assert (result.outcome, result.error) == ("skipped", _refusal_of(spelling))
    assert [hop.url for hop in result.redirects] == [urljoin("http://site-a.test/", location)]
    assert [entry[0].path for entry in server.log] == ["/start"]
    assert proxy.requests == [f"GET http://site-a.test:{server.port}/start"]


def test_the_guard_reads_a_url_as_a_browser_splits_it() -> None:
    assert written_host("HTTP:\\\\user:pw@0177.0.0.1:8080\\x?y#z") == "0177.0.0.1"
    assert written_host(" \thttps://a.example@b.example/x") == "b.example"
    assert written_host("http://[::1]:80/") == "[::1]"
    assert written_host("/path/only") is None
    assert written_host("mailto:someone@127.0.0.1") is None
    assert url_refusal("http://x.example/") == ""
    assert url_refusal("http://0135.0270.0330.042/") == ""  # 93.184.216.34 as octal
    assert url_refusal("http://08.8.8.8/") == ""  # no private reading: httpx says bad URL
    long = "http://" + "0" * 5000 + "127.0.0.1/"
    assert url_refusal(long).endswith("is the private address 127.0.0.1")


@pytest.mark.parametrize(
    "target", ["2130706433", "0x7f000001", "017700000001", "127.1", "127.0.0.1", "localhost"]
)
def test_a_redirect_to_a_private_address_is_refused_through_a_proxy(
    server: HTTPServer, proxy: Proxy, target: str
) -> None:
    secret = f"http://{target}:{server.port}/secret"
    server.expect_request("/start").respond_with_response(
        Response(status=302, headers={"Location": secret})
    )
    server.expect_request("/secret").respond_with_data(HTML)
    result = fetch(f"http://site-a.test:{server.port}/start")
    assert result.outcome == "skipped"
    assert result.error.startswith("refused: ") and "private address" in result.error
    assert [hop.url for hop in result.redirects] == [secret]
    assert [entry[0].path for entry in server.log] == ["/start"]
    assert proxy.requests == [f"GET http://site-a.test:{server.port}/start"]


def test_a_name_that_resolves_to_a_private_address_is_refused(
    server: HTTPServer, no_proxy_env: None, resolver: dict[str, str]
) -> None:
    resolver["intranet.test"] = "127.0.0.1"
    server.expect_request("/secret").respond_with_data(HTML)
    result = fetch(f"http://intranet.test:{server.port}/secret")
    assert (result.outcome, result.error) == (
        "skipped",
        "refused: intranet.test resolves to the private address 127.0.0.1",
    )
    assert server.log == []


def test_a_redirect_to_a_name_that_resolves_privately_is_refused(
    server: HTTPServer,
    proxy: Proxy,
    resolver: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first hop goes through the proxy (not resolved here); the redirect goes direct
    # (NO_PROXY), so the guard resolves its name, and finds a private address.
    monkeypatch.setenv("NO_PROXY", "intranet.test")
    resolver["intranet.test"] = "127.0.0.1"
    secret = f"http://intranet.test:{server.port}/secret"
    server.expect_request("/start").respond_with_response(
        Response(status=301, headers={"Location": secret})
    )
    server.expect_request("/secret").respond_with_data(HTML)
    result = fetch(f"http://site-a.test:{server.port}/start")
    assert (result.outcome, result.error) == (
        "skipped",
        "refused: intranet.test resolves to the private address 127.0.0.1",
    )
    assert [entry[0].path for entry in server.log] == ["/start"]


def test_a_name_that_rebinds_to_a_private_address_when_connecting_is_refused(
    server: HTTPServer, no_proxy_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: the guard's look-up gets a public address, the connection's own
    # look-up a moment later gets 127.0.0.1. The address connected to is what counts.
    real = socket.getaddrinfo
    answers = ["93.184.216.34", "127.0.0.1"]
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("rebind.test", b"rebind.test"):
            asked.append(str(host))
            return real(answers[min(len(asked), len(answers)) - 1], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    server.expect_request("/secret").respond_with_data(HTML)
    result = fetch(f"http://rebind.test:{server.port}/secret")
    assert (result.outcome, result.error) == (
        "skipped",
        "refused: rebind.test connected to the private address 127.0.0.1",
    )
    assert result.body is None and result.attempts == 1
    assert len(asked) == 2  # the guard's look-up, then the connection's
    assert server.log == []  # closed before a byte of the request was sent


@pytest.mark.parametrize(
    "address",
    [
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "100.100.100.100",  # Tailscale's resolver
        "198.18.0.1",  # benchmarking
        "192.0.2.1",  # documentation
        "224.0.0.1",  # multicast (global to ``is_global``)
        "255.255.255.255",
        "0.0.0.0",
        "ff02::1",
        "fe80::1",
        "fc00::1",
        "::127.0.0.1",  # IPv4-compatible
        "::ffff:10.0.0.1",  # IPv4-mapped
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2001:db8::1",
        "fe80::1%eth0",
        "not an address",
    ],
)
def test_every_address_that_is_not_globally_routable_is_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "2606:4700::1111",
        "::ffff:93.184.216.34",
        "64:ff9b::5db8:d822",
        "2002:5db8:d822::1",
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "name",
    [
        "localhost.",
        "LOCALHOST.",
        "foo.localhost.",
        "Foo.LocalHost",
        "localhost.localdomain",
        "ip6-localhost",
    ],
)
def test_localhost_is_refused_however_it_is_written_through_a_proxy(
    server: HTTPServer, proxy: Proxy, name: str
) -> None:
    assert asyncio.run(refused_address(name, 80, proxied=True, timeout=2)) == (
        f"refused: {name} is a private address"
    )
    server.expect_request("/secret").respond_with_data(HTML)
    result = fetch(f"http://{name}:{server.port}/secret")
    assert result.outcome == "skipped" and result.error.startswith("refused: ")
    assert proxy.requests == [] and server.log == []


@pytest.mark.parametrize(
    "host", ["１２７。０。０。１", "１２７．０．０．１", "[::FFFF:127.0.0.1]", "LOCALHOST%2E"]
)
def test_a_host_is_judged_as_a_browser_reads_it(host: str) -> None:
    for proxied in (False, True):
        why = asyncio.run(refused_address(host, 80, proxied=proxied, timeout=2))
        assert why.startswith("refused: "), (host, proxied, why)
