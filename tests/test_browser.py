"""The browser engine against real servers on 127.0.0.1: challenges, script-written text,
and the HTTP engine's rules kept (addresses, robots.txt, headers, cookies, 304, limits).

One Chromium serves the whole module: the engine lives on an event loop of its own in a
thread, with private networks refused. Every site is reached by a name that the tests'
proxy maps to a local server (so the name itself is not refused), and each test uses
names of its own, because robots.txt and address verdicts are kept per engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import replace
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from browser_sites import ZHIHU_TITLE, ChallengeSite, browser_tests, serve_scripted
from crawl_servers import Proxy, Recorder, fast_settings
from linkindex.config import BrowserSettings, Settings, SiteSettings
from linkindex.fetch import BrowserFetcher, Conditional, Fetcher
from linkindex.models.pages import FetchResult
from linkindex.urls import site_of

pytestmark = browser_tests

TIMEOUT = 6.0  # seconds a page load may take here; the endless challenge waits this long
PAGE = (
    "<html><head><title>{title}</title></head><body><article><p>{text}</p></article></body></html>"
)


class Engine:
    """A Fetcher and a BrowserFetcher on an event loop of their own (one Chromium)."""

    def __init__(self, settings: Settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fetcher, self.browser = self.run(self._open(settings))

    async def _open(self, settings: Settings) -> tuple[Fetcher, BrowserFetcher]:
        fetcher = Fetcher(settings, site_of=site_of)
        return fetcher, BrowserFetcher(fetcher, settings, site_of=site_of)

    def run(self, work: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=60)

    def fetch(self, url: str, **options: Any) -> FetchResult:
        return self.run(self.browser.fetch(url, **options))  # type: ignore[no-any-return]

    def close(self) -> None:
        self.run(self.browser.aclose())
        self.run(self.fetcher.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def proxy() -> Iterator[Proxy]:
    with Proxy({}) as running:
        yield running


@pytest.fixture(scope="module")
def engine(proxy: Proxy) -> Iterator[Engine]:
    base = fast_settings(allow_private_networks=False, obey_robots=True, max_bytes=200_000)
    sites = {
        **base.sites,
        "web": SiteSettings(headers={"X-Team": "notes"}, cookies={"sid": "s3cret"}),
    }
    settings = replace(base, sites=sites, browser=BrowserSettings(timeout=TIMEOUT))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HTTP_PROXY", proxy.url)
        for name in ("HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "no_proxy", "SSL_CERT_FILE"):
            patch.delenv(name, raising=False)
        running = Engine(settings)
    yield running
    running.close()


_names = itertools.count(1)


@pytest.fixture
def site(proxy: Proxy, server: HTTPServer) -> str:
    """A host name of this test's own, reached through the proxy at ``server``."""
    name = f"site{next(_names)}.test"
    proxy.names[name] = f"127.0.0.1:{server.port}"
    return name


def paths(server: HTTPServer) -> list[str]:
    return [entry[0].path for entry in server.log]


def test_a_challenge_is_passed_once_and_its_cookie_kept(
    engine: Engine, server: HTTPServer, site: str
) -> None:
    challenged = ChallengeSite()
    challenged.serve(server, "/p/1", "/p/2")
    first = engine.fetch(f"http://{site}/p/1")
    assert (first.outcome, first.http_status, first.engine) == ("ok", 200, "browser"), first.error
    assert ZHIHU_TITLE in (first.body or b"").decode()
    assert first.content_type == "text/html; charset=utf-8"
    second = engine.fetch(f"http://{site}/p/2")
    assert second.outcome == "ok", second.error
    assert challenged.served == {"challenge": 1, "script": 1, "article": 2}
    agent = next(e[0] for e in server.log if e[0].path == "/p/1").headers["User-Agent"]
    assert "Chrome/" in agent and agent.endswith(engine.fetcher.crawl.user_agent)


def test_a_challenge_that_never_lets_go_is_blocked(
    engine: Engine, server: HTTPServer, site: str
) -> None:
    # The script sets a cookie the site never accepts: it reloads, and reloads again.
    challenged = ChallengeSite(script=b'document.cookie = "__zse_ck=wrong"; location.reload();')
    challenged.serve(server, "/endless")
    result = engine.fetch(f"http://{site}/endless")
    assert (result.outcome, result.http_status) == ("blocked", 403)
    assert result.error.startswith("JavaScript challenge (")
    assert result.error.endswith(f") not passed in {TIMEOUT:g}s")
    assert challenged.served["challenge"] >= 2  # it did run and reload


def test_text_written_by_script_without_images_or_fonts(
    engine: Engine, server: HTTPServer, site: str
) -> None:
    serve_scripted(server, "/post")
    result = engine.fetch(f"http://{site}/post")
    assert result.outcome == "ok", result.error
    assert "FuseOps" in (result.body or b"").decode()
    assert paths(server) == ["/robots.txt", "/post", "/api/post.json"]


def test_304_is_not_modified_and_validators_are_kept(
    engine: Engine, server: HTTPServer, site: str
) -> None:
    def page(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(
            PAGE.format(title="t", text="kept"),
            content_type="text/html",
            headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"},
        )

    server.expect_request("/a").respond_with_handler(page)
    first = engine.fetch(f"http://{site}/a")
    assert first.outcome == "ok", first.error
    assert first.headers["etag"] == '"v1"'
    assert first.headers["last-modified"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    again = engine.fetch(f"http://{site}/a", conditional=Conditional(first.headers["etag"], None))
    assert (again.outcome, again.http_status, again.error) == ("not_modified", 304, "")


def test_private_addresses_are_refused_for_the_page_its_redirects_and_its_requests(
    engine: Engine, server: HTTPServer, site: str
) -> None:
    inside = HTTPServer(host="127.0.0.2", threaded=True)
    inside.expect_request("/secret").respond_with_data("secret")
    inside.start()
    try:
        leaky = PAGE.format(title="leaky", text="public words") + (
            f'<script src="{inside.url_for("/secret")}?script"></script>'
            f'<script>fetch("{inside.url_for("/secret")}?xhr")</script>'
            f'<iframe src="{inside.url_for("/secret")}?frame"></iframe>'
            f'<script>try {{ new WebSocket("ws://127.0.0.2:{inside.port}/secret?socket"); }}'
            " catch (error) {}</script>"
        )
        server.expect_request("/leaky").respond_with_data(leaky, content_type="text/html")
        server.expect_request("/jump").respond_with_response(
            Response(status=302, headers={"Location": inside.url_for("/secret")})
        )
        page = engine.fetch(f"http://{site}/leaky")
        assert page.outcome == "ok", page.error
        assert "public words" in (page.body or b"").decode()
        hop = engine.fetch(f"http://{site}/jump")
        direct = engine.fetch(inside.url_for("/secret"))
    finally:
        inside.stop()
    assert (hop.outcome, hop.error) == ("skipped", "refused: 127.0.0.2 is a private address")
    assert [(r.status, r.url) for r in hop.redirects] == [(302, inside.url_for("/secret"))]
    assert (direct.outcome, direct.error) == ("skipped", "refused: 127.0.0.2 is a private address")
    assert inside.log == []


@pytest.mark.parametrize(
    "host", ["0177.0.0.1", "127.000.000.001", "１２７。０。０。１", "ｌｏｃａｌｈｏｓｔ"]
)
def test_a_spelling_httpx_cannot_parse_is_refused_by_the_browser_engine(
    engine: Engine, server: HTTPServer, host: str
) -> None:
    server.expect_request("/secret").respond_with_data("secret")
    result = engine.fetch(f"http://{host}:{server.port}/secret")
    named = "a private address" if "ｌ" in host else "the private address 127.0.0.1"
    assert (result.outcome, result.error) == ("skipped", f"refused: {host} is {named}")
    assert server.log == []


def test_robots_txt_is_obeyed_for_the_page_and_every_redirect(
    engine: Engine, proxy: Proxy, server: HTTPServer, site: str
) -> None:
    other = f"other-{site}"
    proxy.names[other] = proxy.names[site]
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private\n")
    server.expect_request("/private/a").respond_with_data(PAGE.format(title="no", text="no"))
    server.expect_request("/near").respond_with_response(
        Response(status=301, headers={"Location": "/private/a"})
    )
    server.expect_request("/far").respond_with_response(
        Response(status=302, headers={"Location": f"http://{other}/private/a"})
    )
    results = [engine.fetch(f"http://{site}{path}") for path in ("/private/a", "/near", "/far")]
    assert [(r.outcome, r.error) for r in results] == [("skipped", "robots.txt disallows it")] * 3
    assert results[2].redirects[-1].url == f"http://{other}/private/a"
    assert "/private/a" not in paths(server)
    assert paths(server).count("/robots.txt") == 2  # once per origin


def test_site_headers_and_cookies_stay_with_their_site(
    engine: Engine, proxy: Proxy, server: HTTPServer, site: str
) -> None:
    proxy.names["zhuanlan.zhihu.com"] = proxy.names[site]
    seen = Recorder()

    def record(request: Request) -> Response:
        seen.add(request.path, dict(request.headers))
        if request.path == "/page":
            body = PAGE.format(title="t", text="words") + (
                '<script src="http://zhuanlan.zhihu.com/widget.js"></script>'
            )
            return Response(body, content_type="text/html")
        return Response("var widget = 1;", content_type="application/javascript")

    server.expect_request("/page").respond_with_handler(record)
    server.expect_request("/widget.js").respond_with_handler(record)
    assert engine.fetch(f"http://{site}/page").outcome == "ok"
    page, widget = seen.seen
    assert page.headers["X-Team"] == "notes" and "sid=s3cret" in page.headers["Cookie"]
    assert "X-Team" not in widget.headers and "Cookie" not in widget.headers


def test_limits_and_files(engine: Engine, server: HTTPServer, site: str) -> None:
    big = PAGE.format(title="big", text="x" * 300_000)
    server.expect_request("/big").respond_with_data(big, content_type="text/html")
    server.expect_request("/paper.pdf").respond_with_data(
        b"%PDF-1.4 not really", content_type="application/pdf"
    )
    too_big = engine.fetch(f"http://{site}/big")
    assert too_big.outcome == "error"
    assert too_big.error == f"body of {len(big)} bytes is over the 200000-byte limit"
    paper = engine.fetch(f"http://{site}/paper.pdf")
    # A file is not a page: the HTTP engine fetches it.
    assert (paper.outcome, paper.engine, paper.body) == ("ok", "http", b"%PDF-1.4 not really")


def test_failures_are_outcomes(engine: Engine, proxy: Proxy) -> None:
    proxy.names["nothing-listens.test"] = "127.0.0.1:9"
    result = engine.fetch("http://nothing-listens.test/")
    assert result.outcome == "error"
    assert result.engine == "browser"
    assert engine.fetch("ftp://example.com/file").outcome == "skipped"


def test_a_failed_load_does_not_reach_into_the_next(
    engine: Engine, proxy: Proxy, server: HTTPServer, site: str
) -> None:
    # Chromium commits its error page after Playwright has reported the failure, while
    # the engine is already leaving the page for the next load; the next load, on
    # another site at once, must find the page at rest.
    proxy.names["refused.test"] = "127.0.0.1:9"
    server.expect_request("/next").respond_with_data(
        PAGE.format(title="next", text="loaded"), content_type="text/html"
    )
    for attempt in range(5):
        assert engine.fetch("http://refused.test/").outcome == "error"
        after = engine.fetch(f"http://{site}/next?{attempt}")
        assert after.outcome == "ok", after.error
        assert "loaded" in (after.body or b"").decode()


def test_a_page_that_hangs_its_tab_costs_only_its_own_load(
    engine: Engine, server: HTTPServer, site: str
) -> None:
    # A script that never yields keeps the page from being left: its tab is closed
    # rather than loaded in again (where every later load would time out).
    spinning = PAGE.format(title="busy", text="spins") + "<script>while (true) {}</script>"
    server.expect_request("/busy").respond_with_data(spinning, content_type="text/html")
    server.expect_request("/next").respond_with_data(
        PAGE.format(title="next", text="loaded"), content_type="text/html"
    )
    hung = engine.fetch(f"http://{site}/busy")
    assert (hung.outcome, hung.error) == ("error", f"timeout after {TIMEOUT:g}s")
    after = engine.fetch(f"http://{site}/next")
    assert after.outcome == "ok", after.error
    assert "loaded" in (after.body or b"").decode()


def test_a_chromium_that_crashed_is_started_again(
    engine: Engine, server: HTTPServer, site: str
) -> None:
    server.expect_request("/a").respond_with_data(PAGE.format(title="a", text="alive"))

    async def crash() -> None:
        chromium = engine.browser._browser
        session = await chromium.new_browser_cdp_session()
        with contextlib.suppress(Exception):
            await session.send("Browser.crash")
        for _ in range(100):
            if not chromium.is_connected():
                return
            await asyncio.sleep(0.05)
        raise AssertionError("Chromium did not go away")

    assert engine.fetch(f"http://{site}/a?before").outcome == "ok"
    engine.run(crash())
    after = engine.fetch(f"http://{site}/a?after")
    assert after.outcome == "ok", after.error
    assert "alive" in (after.body or b"").decode()
