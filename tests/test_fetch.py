"""The downloader against real servers on 127.0.0.1: outcomes, retries, politeness, TLS, proxies."""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import trustme
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from crawl_servers import (
    SERVER_LATENESS,
    H2Server,
    Proxy,
    Recorder,
    assert_interval_kept,
    fast_settings,
    fixture,
)
from linkindex.config import SiteSettings, load_settings
from linkindex.errors import ConfigError
from linkindex.fetch import Conditional, Fetcher, retry_after
from linkindex.fetch.network import is_public_address
from linkindex.fetch.politeness import HostLimits
from linkindex.models.pages import FetchResult
from linkindex.urls import site_of

HTML = "<html><head><title>t</title></head><body><p>hello</p></body></html>"


def fetch(url: str, **options: object) -> FetchResult:
    settings = options.pop("settings", None) or fast_settings()

    async def run() -> FetchResult:
        async with Fetcher(settings) as fetcher:  # type: ignore[arg-type]
            return await fetcher.fetch(url, **options)  # type: ignore[arg-type]

    return asyncio.run(run())


def test_ok_page_has_body_headers_and_timing(server: HTTPServer) -> None:
    server.expect_request("/page").respond_with_data(HTML, content_type="text/html")
    result = fetch(server.url_for("/page"))
    assert result.outcome == "ok"
    assert result.http_status == 200
    assert result.body == HTML.encode()
    assert result.bytes == len(HTML)
    assert result.content_type.startswith("text/html")
    assert result.attempts == 1
    assert result.final_url == server.url_for("/page")


def test_sends_honest_user_agent_and_site_headers(server: HTTPServer) -> None:
    seen = Recorder()

    def handler(request: Request) -> Response:
        seen.add(request.path, dict(request.headers))
        return Response(HTML, content_type="text/html")

    server.expect_request("/ua").respond_with_handler(handler)
    settings = fast_settings()
    web = SiteSettings(headers={"X-Team": "notes"}, cookies={"sid": "s3cret", "lang": "zh"})
    settings = replace(settings, sites={**settings.sites, "web": web})
    fetch(server.url_for("/ua"), settings=settings)
    sent = seen.seen[0].headers
    assert sent["User-Agent"].startswith("linkindex/")
    assert sent["X-Team"] == "notes"
    assert sent["Cookie"] == "sid=s3cret; lang=zh"


@pytest.mark.parametrize(
    ("status", "outcome"), [(404, "dead"), (410, "dead"), (403, "blocked"), (400, "error")]
)
def test_http_statuses_become_outcomes(server: HTTPServer, status: int, outcome: str) -> None:
    server.expect_request("/x").respond_with_data("no", status=status)
    result = fetch(server.url_for("/x"))
    assert result.outcome == outcome
    assert result.http_status == status
    assert result.body is None
    assert result.attempts == 1  # these are not worth retrying


def test_500_then_ok_is_retried(server: HTTPServer) -> None:
    answers = iter([Response("boom", status=500), Response(HTML, content_type="text/html")])
    server.expect_request("/flaky").respond_with_handler(lambda request: next(answers))
    result = fetch(server.url_for("/flaky"))
    assert result.outcome == "ok"
    assert result.attempts == 2
    assert len(server.log) == 2


def test_500_forever_gives_up_after_retries(server: HTTPServer) -> None:
    server.expect_request("/down").respond_with_data("boom", status=503)
    result = fetch(server.url_for("/down"), settings=fast_settings(retries=2))
    assert (result.outcome, result.error, result.attempts) == ("error", "HTTP 503", 3)


def test_429_retry_after_is_honoured(server: HTTPServer) -> None:
    seen = Recorder()
    answers = iter(
        [Response("slow down", status=429, headers={"Retry-After": "1"}), Response(HTML)]
    )

    def handler(request: Request) -> Response:
        seen.add(request.path, {})
        return next(answers)

    server.expect_request("/busy").respond_with_handler(handler)
    result = fetch(server.url_for("/busy"))
    assert result.outcome == "ok"
    assert result.attempts == 2
    gap = seen.seen[1].at - seen.seen[0].at
    assert gap >= 1 - SERVER_LATENESS  # the back-off alone would be 0.05 s


def test_429_with_long_retry_after_stops_and_reports_it(server: HTTPServer) -> None:
    server.expect_request("/busy").respond_with_data(
        "later", status=429, headers={"Retry-After": "3600"}
    )
    result = fetch(server.url_for("/busy"))
    assert result.outcome == "blocked"
    assert result.attempts == 1  # no point waiting an hour inside one fetch
    assert result.retry_after == 3600


def test_slow_response_times_out_and_is_retried(server: HTTPServer) -> None:
    import time

    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response(HTML)

    server.expect_request("/slow").respond_with_handler(slow)
    result = fetch(server.url_for("/slow"), settings=fast_settings(timeout=0.3, retries=1))
    assert result.outcome == "error"
    assert "timeout" in result.error
    assert result.attempts == 2


def test_redirects_are_followed_and_recorded(server: HTTPServer) -> None:
    server.expect_request("/a").respond_with_response(
        Response(status=301, headers={"Location": "/b"})
    )
    server.expect_request("/b").respond_with_response(
        Response(status=302, headers={"Location": server.url_for("/c")})
    )
    server.expect_request("/c").respond_with_data(HTML, content_type="text/html")
    result = fetch(server.url_for("/a"))
    assert result.outcome == "ok"
    assert result.final_url == server.url_for("/c")
    assert [(hop.status, hop.url) for hop in result.redirects] == [
        (301, server.url_for("/b")),
        (302, server.url_for("/c")),
    ]


def test_redirect_loop_is_an_error(server: HTTPServer) -> None:
    server.expect_request("/r1").respond_with_response(
        Response(status=301, headers={"Location": "/r2"})
    )
    server.expect_request("/r2").respond_with_response(
        Response(status=301, headers={"Location": "/r1"})
    )
    result = fetch(server.url_for("/r1"))
    assert result.outcome == "error"
    assert "redirect loop" in result.error


def test_too_many_redirects_is_an_error(server: HTTPServer) -> None:
    for n in range(5):
        server.expect_request(f"/hop{n}").respond_with_response(
            Response(status=302, headers={"Location": f"/hop{n + 1}"})
        )
    result = fetch(server.url_for("/hop0"), settings=fast_settings(max_redirects=3))
    assert result.outcome == "error"
    assert "more than 3 redirects" in result.error


def test_body_over_the_cap_is_aborted(server: HTTPServer) -> None:
    big = b"x" * 50_000

    def streamed(request: Request) -> Response:  # no Content-Length: the cap must stream
        return Response(big[i : i + 1000] for i in range(0, len(big), 1000))

    server.expect_request("/big").respond_with_handler(streamed)
    server.expect_request("/declared").respond_with_data(big)
    settings = fast_settings(max_bytes=10_000)
    for path in ("/big", "/declared"):
        result = fetch(server.url_for(path), settings=settings)
        assert result.outcome == "error", path
        assert "10000-byte limit" in result.error
        assert result.attempts == 1


def test_robots_disallow_skips_and_robots_is_fetched_once(server: HTTPServer) -> None:
    server.expect_request("/robots.txt").respond_with_data(
        "User-agent: linkindex\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n"
    )
    server.expect_request("/private/page").respond_with_data(HTML)
    server.expect_request("/public").respond_with_data(HTML)

    async def run() -> list[FetchResult]:
        async with Fetcher(fast_settings(obey_robots=True)) as fetcher:
            return [
                await fetcher.fetch(server.url_for("/private/page")),
                await fetcher.fetch(server.url_for("/public")),
            ]

    private, public = asyncio.run(run())
    assert (private.outcome, private.error) == ("skipped", "robots.txt disallows it")
    assert public.outcome == "ok"
    assert [entry[0].path for entry in server.log] == ["/robots.txt", "/public"]


def test_robots_crawl_delay_lengthens_the_host_interval(server: HTTPServer) -> None:
    seen = Recorder()

    def handler(request: Request) -> Response:
        seen.add(request.path, {})
        return Response(HTML)

    server.expect_request("/robots.txt").respond_with_data(
        "User-agent: linkindex\nCrawl-delay: 0.5\n\nUser-agent: *\nCrawl-delay: 0\n"
    )
    server.expect_request("/p").respond_with_handler(handler)
    settings = fast_settings(obey_robots=True, per_host_interval=0.0, per_host_concurrency=2)

    async def run() -> float:
        async with Fetcher(settings) as fetcher:
            await asyncio.gather(*(fetcher.fetch(server.url_for("/p")) for _ in range(4)))
            return fetcher.politeness.limits("127.0.0.1").interval

    assert asyncio.run(run()) == 0.5
    starts = [s.at for s in seen.seen]
    assert len(starts) == 4
    assert_interval_kept(starts, 0.5)


def test_a_huge_crawl_delay_is_capped(server: HTTPServer) -> None:
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nCrawl-delay: 86400\n")
    server.expect_request("/p").respond_with_data(HTML)

    async def run() -> tuple[str, float]:
        async with Fetcher(fast_settings(obey_robots=True)) as fetcher:
            result = await fetcher.fetch(server.url_for("/p"))
            return result.outcome, fetcher.politeness.limits("127.0.0.1").interval

    assert asyncio.run(run()) == ("ok", 60.0)


def test_wechat_is_fetched_one_at_a_time_five_seconds_apart_by_default(home: Path) -> None:
    # WeChat shows its 环境异常 verification page after bursts: these defaults keep a
    # first crawl of thousands of articles from being blocked.
    fetcher = Fetcher(load_settings(home), site_of=site_of)
    assert fetcher.politeness.limits("mp.weixin.qq.com") == HostLimits(1, 5.0)
    assert fetcher.politeness.limits("zhuanlan.zhihu.com") == HostLimits(1, 3.0)
    assert fetcher.politeness.limits("blog.csdn.net") == HostLimits(2, 2.0)
    assert fetcher.politeness.limits("blog.example.com") == HostLimits(2, 1.0)


def test_conditional_request_gets_not_modified(server: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(HTML, headers={"ETag": '"v1"'})

    server.expect_request("/c").respond_with_handler(handler)
    first = fetch(server.url_for("/c"))
    assert first.outcome == "ok"
    assert first.headers["etag"] == '"v1"'
    again = fetch(server.url_for("/c"), conditional=Conditional(etag='"v1"'))
    assert again.outcome == "not_modified"
    assert again.http_status == 304
    assert again.body is None


def test_per_host_interval_is_kept(server: HTTPServer) -> None:
    seen = Recorder()

    def handler(request: Request) -> Response:
        seen.add(request.path, {})
        return Response(HTML)

    server.expect_request("/robots.txt").respond_with_data("", status=404)
    server.expect_request("/p").respond_with_handler(handler)
    settings = fast_settings(per_host_interval=0.3, per_host_concurrency=2, concurrency=8)

    async def run() -> None:
        async with Fetcher(settings) as fetcher:
            await asyncio.gather(*(fetcher.fetch(server.url_for("/p")) for _ in range(6)))

    asyncio.run(run())
    starts = [s.at for s in seen.seen]
    assert len(starts) == 6
    assert_interval_kept(starts, 0.3)


def test_other_hosts_are_not_held_up_by_a_slow_one() -> None:
    import time

    slow_host = HTTPServer(host="127.0.0.2", threaded=True)
    fast_host = HTTPServer(host="127.0.0.3", threaded=True)
    slow_host.expect_request("/p").respond_with_handler(
        lambda request: (time.sleep(0.5), Response(HTML))[1]
    )
    fast_host.expect_request("/p").respond_with_data(HTML)
    for srv in (slow_host, fast_host):
        srv.expect_request("/robots.txt").respond_with_data("", status=404)
        srv.start()
    settings = fast_settings(per_host_concurrency=1, concurrency=2)
    try:

        async def run() -> tuple[float, float]:
            async with Fetcher(settings) as fetcher:

                async def timed(url: str, times: int) -> float:
                    results = await asyncio.gather(*(fetcher.fetch(url) for _ in range(times)))
                    assert all(r.outcome == "ok" for r in results)
                    return time.monotonic()

                slow, fast = await asyncio.gather(
                    timed(slow_host.url_for("/p"), 3), timed(fast_host.url_for("/p"), 10)
                )
                return slow, fast

        slow_done, fast_done = asyncio.run(run())
    finally:
        slow_host.stop()
        fast_host.stop()
    # The slow host answers its three requests one after the other, 0.5 s each; the fast
    # one is done before the slow one's last answer even started (however busy the
    # machine: the server's sleeps are the long part), not queued behind it.
    assert fast_done < slow_done - 0.5


def test_private_addresses_are_refused_unless_allowed(server: HTTPServer) -> None:
    server.expect_request("/p").respond_with_data(HTML)
    refused = fetch(server.url_for("/p"), settings=fast_settings(allow_private_networks=False))
    assert refused.outcome == "skipped"
    assert "private address" in refused.error
    assert len(server.log) == 0
    named = fetch(
        server.url_for("/p").replace("127.0.0.1", "localhost"),
        settings=fast_settings(allow_private_networks=False),
    )
    assert named.outcome == "skipped"
    assert fetch(server.url_for("/p")).outcome == "ok"


def test_only_http_and_https() -> None:
    result = fetch("ftp://example.com/file")
    assert result.outcome == "skipped"
    assert "scheme" in result.error


def test_is_public_address() -> None:
    assert is_public_address("93.184.216.34")
    for address in ("127.0.0.1", "10.1.2.3", "192.168.1.1", "169.254.1.1", "::1", "fe80::1"):
        assert not is_public_address(address), address


def test_retry_after_parsing() -> None:
    assert retry_after("120") == 120
    assert retry_after(None) is None
    assert retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: go now


# -- TLS and proxies -------------------------------------------------------------------


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    """An HTTPS server whose certificate comes from a private CA named in SSL_CERT_FILE."""
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1", "site-a.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    srv = HTTPServer(host="127.0.0.1", ssl_context=context, threaded=True)
    srv.start()
    yield srv
    srv.stop()


def test_https_with_ca_from_ssl_cert_file(tls: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    tls.expect_request("/secure").respond_with_data(HTML, content_type="text/html")
    url = tls.url_for("/secure")
    assert url.startswith("https://")
    assert fetch(url).outcome == "ok"
    monkeypatch.delenv("SSL_CERT_FILE")
    untrusted = fetch(url)
    assert untrusted.outcome == "error"
    assert untrusted.error.startswith("TLS")
    assert untrusted.attempts == 1


def test_http_through_a_proxy_without_local_dns(
    server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.expect_request("/via").respond_with_data(HTML, content_type="text/html")
    with Proxy({"site-a.test": "127.0.0.1"}) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        url = f"http://site-a.test:{server.port}/via"
        # allow_private_networks off: a proxied name is not resolved, so not refused.
        result = fetch(url, settings=fast_settings(allow_private_networks=False))
    assert result.outcome == "ok", result.error
    assert result.body == HTML.encode()
    assert f"GET {url}" in proxy.requests


def test_https_through_a_proxy_with_connect(
    tls: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow:\n")
    tls.expect_request("/tunnel").respond_with_data(HTML, content_type="text/html")
    with Proxy({"site-a.test": "127.0.0.1"}) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        result = fetch(
            f"https://site-a.test:{tls.port}/tunnel", settings=fast_settings(obey_robots=True)
        )
    assert result.outcome == "ok", result.error
    assert f"CONNECT site-a.test:{tls.port}" in proxy.requests
    assert [entry[0].path for entry in tls.log] == ["/robots.txt", "/tunnel"]


def test_no_proxy_goes_direct(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    server.expect_request("/direct").respond_with_data(HTML)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert fetch(server.url_for("/direct")).outcome == "ok"


def test_an_unreachable_proxy_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    result = fetch("http://site-a.test/p", settings=fast_settings(retries=0))
    assert result.outcome == "error"
    assert result.error.startswith("proxy http://127.0.0.1:9: cannot connect"), result.error


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HTTPS_PROXY", "::bad", "HTTPS_PROXY='::bad' is not a proxy address"),
        ("HTTP_PROXY", "ftp://proxy:21", "HTTP_PROXY='ftp://proxy:21' is not a proxy address"),
        ("SSL_CERT_FILE", "/no/such/ca.pem", "SSL_CERT_FILE=/no/such/ca.pem: cannot load"),
    ],
)
def test_a_broken_environment_is_a_config_error_not_a_failed_link(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=re.escape(message)):
        fetch("http://127.0.0.1:9/p")


def test_http2_when_the_server_offers_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with H2Server(context, HTML.encode()) as server:
        result = fetch(server.url("/h2"))
    assert result.outcome == "ok", result.error
    assert result.body == HTML.encode()
    assert server.protocols == ["h2"]


def test_credentials_stay_with_their_host(server: HTTPServer) -> None:
    other = HTTPServer(host="127.0.0.2", threaded=True)
    other.expect_request("/landing").respond_with_data(HTML)
    other.start()
    try:
        server.expect_request("/api").respond_with_response(
            Response(status=302, headers={"Location": other.url_for("/landing")})
        )
        result = fetch(server.url_for("/api"), headers={"Authorization": "Bearer t0ken"})
        assert result.outcome == "ok"
        assert server.log[0][0].headers["Authorization"] == "Bearer t0ken"
        assert "Authorization" not in other.log[0][0].headers
    finally:
        other.stop()


def test_a_javascript_challenge_is_blocked_at_once_and_marked(server: HTTPServer) -> None:
    page = fixture("zhihu_challenge.html")
    server.expect_request("/p/1").respond_with_data(page, status=503, content_type="text/html")
    server.expect_request("/p/2").respond_with_data(page, status=403, content_type="text/html")
    server.expect_request("/busy").respond_with_data("<html>busy</html>", status=503)
    first = fetch(server.url_for("/p/1"))
    assert (first.outcome, first.challenge, first.attempts) == ("blocked", True, 1)  # no retries
    assert first.error == "JavaScript challenge (zh-zse-ck) (HTTP 503)"
    assert first.body is None
    second = fetch(server.url_for("/p/2"))
    assert (second.outcome, second.challenge) == ("blocked", True)
    busy = fetch(server.url_for("/busy"))
    assert (busy.outcome, busy.challenge, busy.attempts) == ("error", False, 3)


def test_a_socks_proxy_in_the_environment_is_spoken_not_an_import_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ALL_PROXY=socks5://... (the README documents it) needs socksio: declared, installed."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:9")  # nothing listens there
    result = fetch("https://example.com/x", settings=fast_settings(retries=0))
    assert result.outcome == "error"
    assert "ImportError" not in result.error and "socksio" not in result.error
    assert "proxy" in result.error.lower()
