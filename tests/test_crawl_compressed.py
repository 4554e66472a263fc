"""Pages whose body is compressed without saying so, crawled from a local server: read
like any page, a decompression bomb refused at the size cap, and bytes that are not text
recorded as an unreadable body rather than an empty ``ok`` page."""

from __future__ import annotations

import gzip
import json
import random
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from crawl_servers import LOCAL_CONFIG, add_links, fast_settings, fixture
from image_bytes import png
from linkindex import search
from linkindex.cli import app
from linkindex.crawl import CrawlSelection, CrawlSummary, crawl
from linkindex.extract import extract_page
from linkindex.fetch import compressed
from linkindex.snapshots import Snapshots
from linkindex.store import Store

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
#: A Chinese blog article in UTF-8, and a forum page in GBK declared by <meta> only.
ARTICLE = (PAGES / "blog_article.html").read_bytes()
GBK = (PAGES / "gbk_meta.html").read_bytes()
#: What the fixture pages say, to be found in the stored text and by search.
ARTICLE_TITLE = "深入理解 CUDA 统一内存"
GBK_TITLE = "卷积算法实现对比：im2col、FFT与Winograd"


@pytest.fixture
def db(home: Path) -> Iterator[Store]:
    store = Store(home)
    yield store
    store.close()


def serve(server: HTTPServer, path: str, body: bytes, **headers: str) -> str:
    """Serve ``body`` at ``path`` as ``text/html`` (no charset) with ``headers``."""
    server.expect_request(path).respond_with_response(
        Response(body, content_type="text/html", headers=headers)
    )
    return server.url_for(path)


def run(store: Store, home: Path, **crawl: Any) -> CrawlSummary:
    return crawl_all(store, home, fast_settings(**crawl))


def crawl_all(store: Store, home: Path, settings: Any) -> CrawlSummary:
    return crawl(store, home, settings, selection=CrawlSelection(due_only=False))


def stored(store: Store, url: str) -> dict[str, Any]:
    """The link's row joined with its page (None fields when it has none)."""
    rows = store.query(
        "SELECT l.status, l.error, p.title, p.text, p.snapshot_hash FROM links l "
        "LEFT JOIN pages p ON p.link_id = l.id AND p.from_archive = 0 WHERE l.url = ?",
        (url,),
    )
    return rows[0]


def deflated(body: bytes) -> bytes:
    """``body`` as a raw deflate stream (no zlib header: what some servers send)."""
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(body) + packer.flush()


def test_a_page_gzipped_without_saying_so_is_stored_like_the_declared_one(
    db: Store, home: Path, server: HTTPServer
) -> None:
    """A pre-compressed page.html.gz served as text/html: the same page, text and
    snapshot as the page served with ``Content-Encoding: gzip``; a GBK page declared by
    its <meta> only is decoded as GBK once decompressed."""
    urls = {
        "declared": serve(
            server, "/declared", gzip.compress(ARTICLE), **{"Content-Encoding": "gzip"}
        ),
        "undeclared": serve(server, "/cuda.html.gz", gzip.compress(ARTICLE)),
        "gbk": serve(server, "/winograd.html.gz", gzip.compress(GBK)),
    }
    add_links(db, urls.values())

    summary = run(db, home)

    assert summary.counts == {"ok": 3}
    declared, undeclared = stored(db, urls["declared"]), stored(db, urls["undeclared"])
    assert undeclared["title"] == declared["title"] == ARTICLE_TITLE
    assert undeclared["text"] == declared["text"]
    assert "cudaMallocManaged" in undeclared["text"]
    assert undeclared["text"] == extract_page(ARTICLE, url=urls["undeclared"]).text
    # The snapshot is the page itself, as the declared one's is: it reads again as it did.
    assert Snapshots(home).get(undeclared["snapshot_hash"]) == ARTICLE
    gbk = stored(db, urls["gbk"])
    assert gbk["title"] == GBK_TITLE
    assert gbk["text"] == extract_page(GBK, url=urls["gbk"]).text
    assert "Winograd" in gbk["text"] and "\ufffd" not in gbk["text"]
    # Searchable, which is what a stored page is for.
    hits = search.search(home, "统一内存", store=db).hits
    assert {hit.url for hit in hits} == {urls["declared"], urls["undeclared"]}
    assert [hit.url for hit in search.search(home, "卷积", store=db).hits] == [urls["gbk"]]


def test_a_page_compressed_twice_with_one_layer_declared(
    db: Store, home: Path, server: HTTPServer
) -> None:
    """A proxy gzips a body that was already gzipped and declares only its own layer:
    httpx undoes that one, the crawl the one left."""
    url = serve(
        server, "/twice", gzip.compress(gzip.compress(ARTICLE)), **{"Content-Encoding": "gzip"}
    )
    add_links(db, [url])

    assert run(db, home).counts == {"ok": 1}
    page = stored(db, url)
    assert page["title"] == ARTICLE_TITLE
    assert "cudaMallocManaged" in page["text"]


@pytest.mark.parametrize("packing", [zlib.compress, deflated], ids=["zlib", "raw-deflate"])
def test_a_page_deflated_without_saying_so(
    db: Store, home: Path, server: HTTPServer, packing: Callable[[bytes], bytes]
) -> None:
    url = serve(server, "/deflated", packing(GBK))
    add_links(db, [url])

    assert run(db, home).counts == {"ok": 1}
    page = stored(db, url)
    assert page["title"] == GBK_TITLE
    assert "Winograd" in page["text"]


@pytest.mark.parametrize("module", ["brotli", "zstandard"])
def test_a_page_in_brotli_or_zstd_without_saying_so(
    db: Store, home: Path, server: HTTPServer, module: str
) -> None:
    """Read when the module httpx itself would use for the encoding is installed."""
    packer = pytest.importorskip(module)
    if module == "brotli":
        body = fixture("blog_article.html.br")  # ARTICLE, as brotli -q 11 wrote it
    else:
        body = packer.ZstdCompressor().compress(ARTICLE)
    url = serve(server, "/packed", body)
    add_links(db, [url])

    assert run(db, home).counts == {"ok": 1}
    assert stored(db, url)["title"] == ARTICLE_TITLE


def test_a_brotli_page_is_unreadable_without_a_brotli_module(
    db: Store, home: Path, server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """brotli has no magic number and no decoder in the standard library: without the
    module, its bytes are recorded as what they are, never as an empty page."""
    monkeypatch.setattr(compressed, "_module", lambda name: None)
    url = serve(server, "/cuda.html.br", fixture("blog_article.html.br"))
    add_links(db, [url])

    assert run(db, home).counts == {"error": 1}
    link = stored(db, url)
    assert link["error"] == "unreadable body: served as text/html but it is binary data, not text"
    assert link["text"] is None


def test_a_gzip_bomb_is_a_body_over_the_size_cap(db: Store, home: Path, server: HTTPServer) -> None:
    """60 KB of gzip that would be 60 MB of page: the same error as a body over
    ``max_bytes``, at the first try, and nothing stored."""
    bomb = gzip.compress(b"<p>" + b" " * 60_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    url = serve(server, "/bomb.html.gz", bomb)
    add_links(db, [url])

    summary = run(db, home, max_bytes=1_000_000)

    assert summary.counts == {"error": 1}
    link = stored(db, url)
    assert link["status"] == "error"
    assert link["error"] == (
        "body is over the 1000000-byte limit once its undeclared gzip compression is undone"
    )
    assert link["text"] is None
    fetches = db.query("SELECT attempts, content_hash FROM fetches")
    assert fetches == [{"attempts": 1, "content_hash": None}]


@pytest.fixture
def library(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(LOCAL_CONFIG, encoding="utf-8")
    return home


def test_binary_served_as_html_is_unreadable_and_a_later_crawl_reads_it(
    runner: CliRunner, library: Path, server: HTTPServer
) -> None:
    """Bytes that are not text under a text type are an ``error`` with a reason that says
    so (no empty ``ok`` page, no snapshot); once the server sends the page, the next
    crawl reads it."""
    noise = random.Random(7).randbytes(20_000)
    fixed = {"now": False}

    def answer(request: Request) -> Response:
        return Response(ARTICLE if fixed["now"] else noise, content_type="text/html")

    server.expect_request("/noise").respond_with_handler(answer)
    picture = serve(server, "/logo", png(40, 30) + random.Random(8).randbytes(5_000))
    noisy = server.url_for("/noise")
    with Store(library) as store:
        add_links(store, [noisy, picture])

    first = runner.invoke(app, ["crawl", "--home", str(library)])

    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    unreadable = "unreadable body: served as text/html but it is binary data, not text"
    assert f"error        web      {noisy}  {unreadable}" in lines
    assert (
        f"error        web      {picture}  "
        "unreadable body: served as text/html but it is a PNG image, not text"
    ) in lines
    with Store(library) as store:
        link = stored(store, noisy)
        assert (link["status"], link["error"], link["text"]) == ("error", unreadable, None)
        assert store.query("SELECT COUNT(*) AS n FROM snapshots") == [{"n": 0}]
    shown = runner.invoke(app, ["show", noisy, "--home", str(library), "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert (data["status"], data["error"]) == ("error", unreadable)

    fixed["now"] = True
    again = runner.invoke(app, ["crawl", "--all", "--home", str(library)])

    assert again.exit_code == 0, again.output
    assert f"ok           web      {noisy}" in again.output.splitlines()
    with Store(library) as store:
        link = stored(store, noisy)
        assert (link["status"], link["error"], link["title"]) == ("ok", None, ARTICLE_TITLE)
