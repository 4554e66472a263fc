"""Big5 pages crawled from a local server: declared in the header or in <meta>, stored
with Taiwan's punctuation, the euro sign and Hong Kong's characters as browsers show them."""

from __future__ import annotations

from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Response

from crawl_servers import add_links, fast_settings
from linkindex.crawl import CrawlSelection, crawl
from linkindex.store import Store

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"


def test_big5_pages_are_stored_as_browsers_show_them(
    store: Store, home: Path, server: HTTPServer
) -> None:
    # A Hong Kong forum page whose header alone says big5, and a Taiwanese blog page whose
    # <meta charset="big5"> alone does.
    pages = {
        "/hk": ("big5_header.html", "text/html; charset=big5"),
        "/tw": ("big5_meta.html", "text/html"),
    }
    for path, (name, content_type) in pages.items():
        server.expect_request(path).respond_with_response(
            Response((PAGES / name).read_bytes(), content_type=content_type)
        )
    ids = add_links(store, [server.url_for(path) for path in pages])

    summary = crawl(store, home, fast_settings(), selection=CrawlSelection(due_only=False))

    assert summary.counts == {"ok": 2}
    hong_kong, taiwan = (record.page for record in store.link_records(ids))
    assert hong_kong is not None and taiwan is not None
    assert hong_kong.title == "深度學習入門課程心得～中大暑期班"
    assert "佢哋仲會提供 GPU 伺服器" in hong_kong.text
    assert "每星期有 3～4 小時實驗課" in hong_kong.text
    assert "教科書喺網上書店賣 €45" in hong_kong.text
    assert taiwan.title == "顯存優化技巧～訓練大模型不再爆顯存"
    assert "梯度檢查點﹑混合精度﹑梯度累積" in taiwan.text
    assert "① 梯度檢查點" in taiwan.text
    assert "每小時約 €2.5" in taiwan.text
    assert "「佢哋話用咗梯度累積之後" in taiwan.text
    assert "\ufffd" not in hong_kong.text + taiwan.text
