"""End to end: ``linkindex serve`` on a temporary library, driven in headless Chromium.

Uses Debian's ``chromium`` (scripts/install-browser) through Playwright's
``executable_path``; Playwright's own browser download is never used. Screenshots of
every page land in tests/artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from web_library import HOSTILE_TITLE, WECHAT_TITLE, build_from_fixtures
from web_server import Server

from children import child_env
from linkindex.fetch.chromium import FLAGS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", *FLAGS]  # the crawler's browser starts with the same flags
TOKEN = "e2e-token-0123456789"
WECHAT = "https://mp.weixin.qq.com/s/zhkaenFdnB5KgaEYb-XDEQ"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (run scripts/install-browser)",
    ),
]


@pytest.fixture(scope="module")
def library_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """Notes imported by the importer, fixture pages extracted and recorded, indexed."""
    base = tmp_path_factory.mktemp("web-e2e")
    return base / "home", build_from_fixtures(base / "home", base / "notes", bulk=30)


@pytest.fixture(scope="module")
def server(library_home: tuple[Path, dict[str, int]]) -> Iterator[Server]:
    running = Server(library_home[0])
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env=child_env()
        )
        yield chromium
        chromium.close()


class Watch:
    """What a page did that it must not: dialogs, console errors, failed requests."""

    def __init__(self, page: Page) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)


@pytest.fixture
def page(browser: Browser) -> Iterator[tuple[Page, Watch]]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="zh-CN"
    )
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    watch = Watch(opened)
    yield opened, watch
    context.close()
    assert watch.dialogs == [], "a dialog opened: some script ran"
    assert watch.errors == [], "the page logged errors (a CSP violation?)"


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def test_type_a_chinese_query_and_see_the_first_hit_highlighted(
    server: Server, page: tuple[Page, Watch]
) -> None:
    tab, _ = page
    tab.goto(server.url + "/")
    tab.locator("#q").press_sequentially("显存优化", delay=40)
    first = tab.locator("ol.hits > li.hit").first
    first.locator("a.title").filter(has_text=WECHAT_TITLE).wait_for()
    marks = first.locator(".snippet mark")
    assert marks.count() >= 1
    assert any(term in marks.first.inner_text() for term in ("显存", "优化"))
    tab.wait_for_function("() => location.search.includes('q=')")
    assert "q=%E6%98%BE%E5%AD%98" in tab.url  # the address is the bookmarkable query
    shoot(tab, "search")
    tab.reload()
    assert tab.locator("#q").input_value() == "显存优化"
    assert tab.locator("ol.hits a.title").first.inner_text() == WECHAT_TITLE


def test_click_a_topic_facet(server: Server, page: tuple[Page, Watch]) -> None:
    tab, _ = page
    tab.goto(server.url + "/")
    tab.locator(".facets .tree.root > li > details > summary a", has_text="NN中间语言").click()
    tab.wait_for_url("**/?topic=NN*")
    assert tab.locator("#summary").inner_text().startswith("3 links")
    assert tab.locator(".chip").first.inner_text() == "topic: NN中间语言 ×"
    titles = tab.locator("ol.hits a.title").all_inner_texts()
    assert "从NNVM和ONNX看AI芯片的基础运算算子" in titles
    assert WECHAT_TITLE not in titles
    shoot(tab, "search-topic")


def test_pages_of_results(server: Server, page: tuple[Page, Watch]) -> None:
    tab, _ = page
    tab.goto(server.url + "/")
    shoot(tab, "browse")
    tab.locator(".pager a[rel=next]").click()
    tab.wait_for_url("**/?page=2")
    assert "page 2 of 2" in tab.locator("#summary").inner_text()


def test_open_a_links_reader_view(
    server: Server, library_home: tuple[Path, dict[str, int]], page: tuple[Page, Watch]
) -> None:
    tab, _ = page
    link_id = library_home[1][WECHAT]
    tab.goto(f"{server.url}/link/{link_id}")
    assert tab.locator("h1#title").inner_text() == WECHAT_TITLE
    assert tab.locator("table.placements").inner_text().count("深度学习框架") == 1
    shoot(tab, "link")
    tab.locator("#reader-link").click()
    tab.wait_for_url(f"**/link/{link_id}/read")
    text = tab.locator("#reader .text").inner_text()
    assert "要真正做好显存优化" in text
    assert tab.locator("#reader h1").inner_text() == WECHAT_TITLE
    shoot(tab, "reader")


def test_the_reader_draws_the_figures_from_the_library(
    server: Server, library_home: tuple[Path, dict[str, int]], page: tuple[Page, Watch]
) -> None:
    tab, _ = page
    asked: list[str] = []
    tab.on("request", lambda request: asked.append(request.url))
    tab.goto(f"{server.url}/link/{library_home[1][WECHAT]}/read")
    figures = tab.locator("#reader .text figure img")
    assert figures.count() == 2
    for index in range(figures.count()):
        figure = figures.nth(index)
        figure.scroll_into_view_if_needed()  # they load lazily
        figure.evaluate("img => img.decode()")  # resolves once the picture is drawable
        assert figure.get_attribute("src", timeout=0).startswith("/image/")  # type: ignore[union-attr]
        assert figure.evaluate("img => img.naturalWidth") > 0
        assert figure.evaluate("img => img.currentSrc").startswith(server.url + "/image/")
    # each figure after the paragraph it followed in the article
    blocks = tab.locator("#reader .text > *")
    tags = blocks.evaluate_all("nodes => nodes.map(node => node.tagName)")
    assert tags[:2] == ["P", "FIGURE"]
    before_last = blocks.nth(tags.index("FIGURE", 2) - 1).inner_text()
    assert before_last.startswith("显存优化的关键是先测量再动手")
    assert all(url.startswith(server.url) for url in asked), asked  # never a hotlink
    shoot(tab, "reader-figures")


def test_export_a_topic_as_markdown(server: Server, page: tuple[Page, Watch]) -> None:
    tab, _ = page
    tab.goto(server.url + "/topics?topic=NN中间语言")
    assert tab.locator("ol.reading > li").count() == 3
    shoot(tab, "topics")
    with tab.expect_download() as waiting:
        tab.locator("#export a", has_text="md").first.click()
    download = waiting.value
    assert download.suggested_filename == "linkindex-NN中间语言.md"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert "从NNVM和ONNX看AI芯片的基础运算算子" in text
    assert "腾讯的移动端推理框架" in text
    assert WECHAT_TITLE not in text


def test_load_the_health_page(server: Server, page: tuple[Page, Watch]) -> None:
    tab, _ = page
    tab.goto(server.url + "/health")
    assert tab.locator("svg.chart").count() == 2
    assert tab.locator("svg.chart rect").count() > 8
    assert "一篇已被删除的文章" in tab.locator("#latest-update").inner_text()
    shoot(tab, "health")


def test_every_page_fits_a_phone(
    server: Server, library_home: tuple[Path, dict[str, int]], browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    tab = context.new_page()
    link = library_home[1][WECHAT]
    paths = ["/", "/?q=显存优化", "/topics?topic=Pytorch", "/health", f"/link/{link}"]
    try:
        for path in [*paths, f"/link/{link}/read"]:
            tab.goto(server.url + path)
            wide = tab.evaluate("document.documentElement.scrollWidth")
            assert wide <= 390, f"{path} is {wide}px wide on a 390px phone"
        shoot(tab, "phone-link")
    finally:
        context.close()


def test_a_hostile_title_stays_text_and_no_dialog_opens(
    server: Server, library_home: tuple[Path, dict[str, int]], page: tuple[Page, Watch]
) -> None:
    tab, watch = page
    hostile = library_home[1]["https://example.com/hostile"]
    tab.goto(f"{server.url}/link/{hostile}")
    assert tab.locator("h1#title").inner_text() == HOSTILE_TITLE
    assert tab.locator("main img").count() == 0
    tab.goto(server.url + "/?topic=工具")
    assert HOSTILE_TITLE in tab.locator("ol.hits").inner_text()
    tab.locator("#q").press_sequentially("onerror", delay=20)
    tab.wait_for_timeout(600)  # let the as-you-type update land
    assert tab.locator("main img").count() == 0
    tab.goto(f"{server.url}/link/{hostile}/read")
    assert tab.locator("#reader h1").inner_text() == HOSTILE_TITLE
    text = tab.locator("#reader .text").inner_text()
    assert "<script>alert('snapshot')</script>" in text  # shown as text, never run
    shoot(tab, "hostile")
    assert watch.dialogs == []


def test_beyond_loopback_a_request_without_the_token_is_refused(
    library_home: tuple[Path, dict[str, int]], page: tuple[Page, Watch]
) -> None:
    tab, watch = page
    exposed = Server(library_home[0], "--host", "0.0.0.0", "--token", TOKEN)
    try:
        refused = tab.goto(exposed.url + "/health")
        assert refused is not None and refused.status == 401
        assert "needs its token" in tab.locator("body").inner_text()
        tab.goto(f"{exposed.url}/health?token={TOKEN}")
        tab.wait_for_url(exposed.url + "/health")  # the token left the address bar
        assert tab.locator("svg.chart").count() == 2
        again = tab.goto(exposed.url + "/topics")  # the cookie carries it now
        assert again is not None and again.status == 200
    finally:
        exposed.stop()
    # Chromium logs each refused request itself; nothing else may have failed
    watch.errors[:] = [e for e in watch.errors if "401 (Unauthorized)" not in e]
