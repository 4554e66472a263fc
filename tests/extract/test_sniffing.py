"""Telling what a body is by its first bytes (WHATWG MIME sniffing, and what pages need)."""

from __future__ import annotations

import codecs
import gzip
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from image_bytes import jpeg_header, png
from linkindex.extract import extract_page
from linkindex.extract.sniffing import is_binary, is_pdf, is_text_type, looks_like_html

Read = Callable[[str], bytes]

XHTML = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
)

#: How pages met in the wild start, before an ordinary document.
PAGE_STARTS = {
    "xhtml": XHTML,
    "stray-text": b"Notice: Undefined index: id in /var/www/page.php on line 12\n",
    "nul": b"\x00",
    "link": b'<link rel="stylesheet" href="/a.css">\n',
    "section": b"<section>",
    "article": b'<article class="post">',
    "ul": "<ul><li>菜单</li></ul>".encode(),
    "comment": b"<!-- generated -->",
    "upper-script": b"<SCRIPT>var a = 1;</SCRIPT>",
    "doctype-upper": b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN">',
}


@pytest.mark.parametrize("name", PAGE_STARTS)
@pytest.mark.parametrize(
    "content_type",
    ["application/pdf", "application/octet-stream", "image/png", "application/json", ""],
)
def test_a_page_served_as_something_else_is_read_as_html(
    page_bytes: Read, name: str, content_type: str
) -> None:
    body = PAGE_STARTS[name] + page_bytes("blog_article.html")
    page = extract_page(
        body,
        url="https://blog.example.com/cuda-unified-memory.pdf",
        headers={"content-type": content_type} if content_type else {},
    )
    assert (page.verdict, page.extractor) == ("ok", "web")
    assert page.title == "深入理解 CUDA 统一内存"
    assert "cudaMallocManaged" in page.text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_page_is_sniffed_by_its_byte_order_mark(page_bytes: Read, encoding: str) -> None:
    text = page_bytes("blog_article.html").decode("utf-8").replace('charset="UTF-8"', "")
    body = text.encode(encoding)
    if encoding == "utf-16-be":
        body = b"\xfe\xff" + body
    for content_type in ("application/pdf", "application/octet-stream"):
        page = extract_page(
            body, url="https://blog.example.com/a", headers={"content-type": content_type}
        )
        assert page.title == "深入理解 CUDA 统一内存", content_type
        assert "cudaMallocManaged" in page.text


@pytest.mark.parametrize(
    "body",
    [
        png(32, 32) + b"<html><body><p>not a page</p></body></html>",
        jpeg_header(64, 64) + b"<p>a comment</p>",
        json.dumps({"content": "<p>答案的正文</p>", "title": "问题"}).encode(),
        b'[{"html": "<div>x</div>"}]',
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>',
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03<p >",
        b"plain words, and no markup at all",
        b"",
    ],
)
def test_bodies_that_are_not_html(body: bytes) -> None:
    assert not looks_like_html(body)


def test_pdf_is_percent_pdf_at_the_start(page_bytes: Read) -> None:
    assert is_pdf(page_bytes("paper.pdf"))
    assert is_pdf(b"\r\n%PDF-1.7\n")
    assert not is_pdf(b"<html>%PDF-1.7</html>")
    assert not looks_like_html(page_bytes("paper.pdf"))


def test_a_real_picture_served_as_html_stays_a_picture() -> None:
    page = extract_page(
        png(40, 30) + b"<p>tEXt chunk</p>",
        url="https://x.example/pic",
        headers={"content-type": "image/png"},
    )
    assert page.extractor == "binary"


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NOISE = random.Random(11).randbytes(8_000)


@pytest.mark.parametrize(
    "path",
    sorted(
        str(path.relative_to(FIXTURES))
        for folder in ("pages", "crawl")
        for path in (FIXTURES / folder).iterdir()
        if path.suffix in (".html", ".json", ".js")
    ),
)
def test_every_fixture_page_is_text(path: str) -> None:
    assert not is_binary((FIXTURES / path).read_bytes())


def test_text_in_any_charset_is_text(page_bytes: Read) -> None:
    article = page_bytes("blog_article.html").decode("utf-8")
    for encoding in ("utf-8", "gb18030", "big5hkscs", "shift_jis", "iso2022_jp"):
        body = article.encode(encoding, errors="ignore")
        assert not is_binary(body), encoding
    # Wide charsets are full of NULs; their byte order mark says they are text.
    assert not is_binary(codecs.BOM_UTF16_LE + article.encode("utf-16-le"))
    # Stray NULs before a page, NUL padding after it.
    assert not is_binary(b"\x00\x00" + page_bytes("blog_article.html") + b"\x00" * 5_000)
    assert not is_binary(b"\x01\x02\x03")  # too few to tell


@pytest.mark.parametrize(
    "body",
    [NOISE, gzip.compress(b"page " * 2_000 + NOISE), png(40, 30) + NOISE, b"\x00\x01" * 200],
    ids=["noise", "gzip", "png", "nul-and-soh"],
)
def test_data_is_binary(body: bytes) -> None:
    assert is_binary(body)


def test_text_types() -> None:
    for media in (
        "text/html; charset=gbk",
        "TEXT/PLAIN",
        "application/xhtml+xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/json",
        "application/ld+json",
        "application/xml",
        "application/javascript",
    ):
        assert is_text_type(media), media
    for media in (
        "",
        "application/octet-stream",
        "application/pdf",
        "image/png",
        "application/gzip",
    ):
        assert not is_text_type(media), media


@pytest.mark.parametrize(
    ("body", "content_type", "what"),
    [
        (NOISE, "text/html; charset=utf-8", "text/html but it is binary data"),
        (NOISE, "text/plain", "text/plain but it is binary data"),
        (NOISE, "application/json", "application/json but it is binary data"),
        (png(40, 30) + NOISE, "text/html", "text/html but it is a PNG image"),
        (gzip.compress(NOISE), "text/html", "text/html but it is gzip-compressed data"),
        (b"PK\x03\x04" + NOISE, "application/xml", "application/xml but it is a ZIP archive"),
    ],
)
def test_bytes_that_are_not_their_declared_text_are_unreadable(
    body: bytes, content_type: str, what: str
) -> None:
    page = extract_page(body, url="https://x.example/post", headers={"Content-Type": content_type})
    assert page.verdict == "error"
    assert page.reason == f"unreadable body: served as {what}, not text"
    assert (page.title, page.text) == ("", "")


def test_an_unreadable_body_names_the_encoding_it_came_with() -> None:
    page = extract_page(
        NOISE,
        url="https://x.example/post",
        headers={"content-type": "text/html", "content-encoding": "br"},
    )
    assert page.reason == (
        "unreadable body: served as text/html but it is binary data, not text "
        "(sent with Content-Encoding: br)"
    )


def test_binary_bytes_without_a_type_are_a_file_and_a_pdf_is_a_pdf(page_bytes: Read) -> None:
    untyped = extract_page(NOISE, url="https://x.example/files/model.bin")
    assert (untyped.verdict, untyped.extractor, untyped.title) == ("ok", "binary", "model.bin")
    assert untyped.extra["content_type"] == "application/octet-stream"
    pdf = extract_page(
        page_bytes("paper.pdf"), url="https://x.example/p", headers={"content-type": "text/html"}
    )
    assert (pdf.verdict, pdf.extractor) == ("ok", "pdf")
