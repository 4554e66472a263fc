"""Telling what a body is by its first bytes (WHATWG MIME sniffing, and what pages need)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from image_bytes import jpeg_header, png
from linkindex.extract import extract_page
from linkindex.extract.sniffing import is_pdf, looks_like_html

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
