"""The HTML pages: what they show, and that crawled text never becomes markup or script."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from web_library import HOSTILE_TITLE, WECHAT_TITLE

from linkindex.export import FORMATS
from linkindex.web.rendering import safe_href, snippet_html

if TYPE_CHECKING:
    from starlette.testclient import TestClient

WECHAT = "https://mp.weixin.qq.com/s/Abc123PyTorchMemory"
HOSTILE = "https://example.com/hostile"
ESCAPED_TITLE = "&lt;img src=x onerror=alert(1)&gt;"


def assert_no_inline_code(page: str) -> None:
    """No inline script, no event handler attribute, no inline style: CSP would block them."""
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag, tag
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", page)
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", page, re.IGNORECASE)
    assert not re.search(r"<[a-z][^>]*\sstyle\s*=", page, re.IGNORECASE)
    assert "javascript:" not in page


def test_search_page_browses_the_library(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "批量链接 29" in page  # the newest link
    assert "37 links, newest first" in page
    assert "page 1 of 2" in page
    assert 'id="search-form"' in page
    assert '<script src="/static/app.js" defer></script>' in page
    assert_no_inline_code(page)


def test_a_hostile_title_is_text_everywhere(client: TestClient, library: dict[str, int]) -> None:
    hostile = library[HOSTILE]
    pages = [
        client.get("/", params={"topic": "工具"}).text,
        client.get("/search/part", params={"q": "script"}).text,
        client.get(f"/link/{hostile}").text,
        client.get(f"/link/{hostile}/read").text,
        client.get("/topics", params={"topic": "工具"}).text,
    ]
    for page in pages:
        assert ESCAPED_TITLE in page
        assert HOSTILE_TITLE not in page
        assert "<img src=x" not in page
        assert_no_inline_code(page)


def test_the_notes_own_markup_is_escaped_too(client: TestClient) -> None:
    page = client.get("/topics", params={"topic": "工具"}).text
    assert "<b>不加粗</b>" not in page


def test_filters_show_as_removable_chips_and_the_page_keeps_them(client: TestClient) -> None:
    page = client.get("/", params={"topic": "Pytorch > 参考", "site": "wechat"}).text
    assert "topic: Pytorch &gt; 参考" in page
    assert 'name="topic" value="Pytorch &gt; 参考"' in page
    assert 'name="site" value="wechat"' in page
    assert "1 link, newest first" in page


def test_the_part_is_only_the_facets_and_results(client: TestClient) -> None:
    part = client.get("/search/part", params={"status": "dead"}).text
    assert "<html" not in part
    assert 'class="facets"' in part
    assert "ONNX 模型转换踩坑" in part
    assert WECHAT_TITLE not in part


def test_pagination_links_keep_the_query(client: TestClient) -> None:
    page = client.get("/", params={"limit": "2", "site": "cnblogs"}).text
    assert "page 1 of" not in page
    page = client.get("/", params={"limit": "5", "site": "web"}).text
    assert "page 1 of 7" in page
    assert 'href="/?site=web&amp;page=2&amp;limit=5"' in page


def test_bad_parameters_get_an_error_page(client: TestClient) -> None:
    response = client.get("/", params={"page": "0"})
    assert response.status_code == 400
    assert "page must be between" in response.text
    assert client.get("/link/999").status_code == 404
    assert client.get("/link/999/read").status_code == 404
    assert client.get("/topics", params={"topic": "没有"}).status_code == 404
    assert client.get("/no/such/page").status_code == 404


def test_link_page(client: TestClient, library: dict[str, int]) -> None:
    page = client.get(f"/link/{library[WECHAT]}").text
    assert f'<h1 id="title" lang="zh-Hans">{WECHAT_TITLE}</h1>' in page
    assert "深度学习框架" in page  # the note's own title
    assert "Pytorch &gt; 参考" in page  # the heading path
    assert f'href="/link/{library[WECHAT]}/read"' in page
    assert f'href="{WECHAT}"' in page
    assert "Fetch history" in page
    assert "Related" in page
    assert_no_inline_code(page)


def test_link_page_links_the_archive_copy(client: TestClient, library: dict[str, int]) -> None:
    page = client.get(f"/link/{library['https://blog.csdn.net/someone/article/details/80000001']}")
    assert 'href="https://web.archive.org/web/2019/https://blog.csdn.net/x"' in page.text
    assert "HTTP 404" in page.text


def test_reader_view_shows_the_text_as_text(client: TestClient, library: dict[str, int]) -> None:
    page = client.get(f"/link/{library[WECHAT]}/read").text
    assert "显存优化的关键是先测量再动手" in page
    assert "&lt;script&gt;alert(&#39;snapshot&#39;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert page.count("<p>") >= 3
    assert_no_inline_code(page)


def test_reader_view_of_a_link_without_text(client: TestClient, library: dict[str, int]) -> None:
    page = client.get(f"/link/{library['https://example.org/never-fetched']}/read").text
    assert "No text has been extracted" in page


def test_topics_page_tree_and_reading_list(client: TestClient) -> None:
    overview = client.get("/topics").text
    assert "NN中间语言" in overview
    assert_no_inline_code(overview)
    page = client.get("/topics", params={"topic": "Pytorch"}).text
    assert "3 links at or under this heading" in page
    for fmt in FORMATS:
        assert f'href="/api/export?format={fmt}&amp;topic=Pytorch"' in page
    assert "<details open>" in page
    assert_no_inline_code(page)


def test_health_page_draws_charts_on_the_server(client: TestClient) -> None:
    page = client.get("/health").text
    assert page.count('<svg class="chart"') == 2
    assert "<title>csdn: 1 dead (100%)</title>" in page
    assert "<title>2018: 1 dead of 4 checked (25%)</title>" in page
    assert "Newly dead" in page
    assert "ONNX 模型转换踩坑" in page
    assert_no_inline_code(page)


def test_static_assets_ship_with_the_package(client: TestClient) -> None:
    css = client.get("/static/style.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    js = client.get("/static/app.js")
    assert "javascript" in js.headers["content-type"]
    assert "innerHTML" in js.text
    assert client.get("/static/../app.py").status_code == 404


@pytest.mark.parametrize(
    ("url", "href"),
    [
        ("https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("http://example.com/", "http://example.com/"),
        ("javascript:alert(1)", ""),
        ("JavaScript:alert(1)", ""),
        (" data:text/html,<script>", ""),
        ("vbscript:x", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_only_web_addresses_become_links(url: str | None, href: str) -> None:
    assert safe_href(url) == href


def test_snippets_mark_the_matches_and_escape_everything_else() -> None:
    from linkindex.snippets import MARK_CLOSE, MARK_OPEN

    marked = f"分析{MARK_OPEN}显存{MARK_CLOSE}与<img src=x onerror=alert(1)>{MARK_OPEN}优化"
    assert str(snippet_html(marked)) == (
        "分析<mark>显存</mark>与&lt;img src=x onerror=alert(1)&gt;<mark>优化</mark>"
    )
    assert str(snippet_html("<mark>not ours</mark> & <script>")) == (
        "&lt;mark&gt;not ours&lt;/mark&gt; &amp; &lt;script&gt;"
    )
    assert str(snippet_html(None)) == ""


def test_a_query_the_language_rejects_keeps_the_page_usable(client: TestClient) -> None:
    page = client.get("/", params={"q": "显存 site:myspace"})
    assert page.status_code == 400
    assert 'value="显存 site:myspace"' in page.text  # the box keeps what was typed
    assert 'class="problem"' in page.text
    assert "unknown site" in page.text
    part = client.get("/search/part", params={"q": "site:myspace"})
    assert part.status_code == 400
    assert "<html" not in part.text
    assert "unknown site" in part.text
    assert client.get("/api/search", params={"q": "site:myspace"}).status_code == 400


#: A page written in traditional characters, for the tests of the script text says it is in.
_TRADITIONAL_PAGE = {"title": "顯存優化實戰", "text": "這篇文章說明如何減少訓練時的顯存佔用。"}


def test_traditional_text_is_marked_as_written(tmp_path: Path) -> None:
    """The UI's page is ``zh-CN``; a title or text written in traditional characters says
    so (``lang="zh-Hant"``), so a browser draws it in traditional glyphs, not mainland
    forms; simplified text says ``zh-Hans``, text of neither script nothing."""
    from web_library import make_client

    from freshness_library import add_link
    from linkindex import indexing
    from linkindex.store import Store

    home = tmp_path / "home"
    with Store(home) as store:
        hant = add_link(
            store,
            "https://example.tw/vram",
            status="ok",
            title="顯存優化實戰",
            page=_TRADITIONAL_PAGE,
        )
        hans = add_link(store, "https://example.cn/vram", title="显存优化实战")
        add_link(store, "https://example.com/pytorch", title="PyTorch")
        indexing.refresh(store, home)
    with make_client(home, "http://127.0.0.1:8765") as client:
        listed = client.get("/").text
        reader = client.get(f"/link/{hant}/read").text
        about = client.get(f"/link/{hans}").text
    titles = dict(
        re.findall(r'<a class="title" href="/link/\d+"(?: lang="([^"]+)")?>([^<]+)<', listed)
    )
    assert titles == {"zh-Hant": "顯存優化實戰", "zh-Hans": "显存优化实战", "": "PyTorch"}
    assert '<h1 lang="zh-Hant">顯存優化實戰</h1>' in reader
    assert '<div class="text" lang="zh-Hant">' in reader
    assert '<h1 id="title" lang="zh-Hans">显存优化实战</h1>' in about


def test_text_shown_beside_a_title_of_the_other_script_says_its_own(tmp_path: Path) -> None:
    """A link whose title is simplified and whose page is traditional (or the reverse)
    shows each in its own glyphs: a hit's snippet, a topic's reading list (its titles and
    summaries) and the link page's preview, page title and the notes' title say the
    script they are written in, as the hit's title does."""
    from web_library import make_client

    from freshness_library import add_link
    from linkindex import indexing
    from linkindex.store import Store

    home = tmp_path / "home"
    with Store(home) as store:
        link = add_link(
            store,
            "https://example.tw/vram",
            status="ok",
            topic=["深度學習"],
            title="显存优化实战",
            page=_TRADITIONAL_PAGE,
        )
        indexing.refresh(store, home)
    with make_client(home, "http://127.0.0.1:8765") as client:
        found = client.get("/", params={"q": "显存"}).text
        listed = client.get("/topics", params={"topic": "深度学习"}).text
        about = client.get(f"/link/{link}").text
    assert '<p class="snippet" lang="zh-Hant">這篇文章說明如何減少訓練時的<mark>顯存' in found
    assert f'<a class="title" href="/link/{link}" lang="zh-Hans">显存优化实战</a>' in listed
    assert '<p class="snippet" lang="zh-Hant">這篇文章' in listed
    assert '<div class="preview" lang="zh-Hant">' in about
    assert '<p class="subtitle">Page title: <span lang="zh-Hant">顯存優化實戰</span></p>' in about
    assert '<td lang="zh-Hans">显存优化实战</td>' in about
