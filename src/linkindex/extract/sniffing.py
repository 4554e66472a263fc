"""What a fetched body is, by its first bytes, whatever its ``Content-Type`` said.

Servers mislabel: a login page or a soft 404 comes as ``application/pdf``, an article as
``application/octet-stream``, ``image/png`` or JSON. The WHATWG MIME sniffing standard
says how browsers tell: a PDF starts with ``%PDF-``; an HTML document starts, after
whitespace and a byte order mark, with one of a few tags (``<!DOCTYPE HTML``, ``<html``,
``<head``, ``<body``, ``<script``, ``<p``, ``<!--``…). We read a little more than the
standard's list, as pages in the wild need:

* any common HTML element (``<link>``, ``<section>``, ``<article>``, ``<ul>``…);
* an XHTML page's ``<?xml …?>`` declaration before its markup;
* a UTF-16 page (by its byte order mark);
* stray text or NUL bytes before the markup (a PHP notice, a BOM written twice) — as
  long as it is text, and not the ``{``/``[`` of a JSON body whose strings hold HTML.

Pictures (PNG, JPEG, GIF, WebP) are never HTML, whatever bytes follow their header.
Pure: bytes in, a verdict out.
"""

from __future__ import annotations

import codecs
import re

from linkindex.extract.imagefile import read_image

__all__ = ["is_pdf", "looks_like_html"]

#: How much of a body is looked at (the standard reads 512 bytes; an XML declaration and
#: a long doctype before the markup need a little more).
SNIFF_BYTES = 1024

#: Elements an HTML document (or fragment) starts with, each followed by a space, ``/``
#: or ``>``; the standard's list (html, head, body, script, iframe, h1, div, font,
#: table, a, style, title, b, br, p) and the other common ones.
_HTML_ELEMENTS = (
    "html|head|body|meta|title|link|base|style|script|noscript|template|iframe|"
    "div|p|span|a|b|i|u|em|strong|br|hr|img|picture|figure|font|center|"
    "table|thead|tbody|tr|td|th|ul|ol|li|dl|dt|dd|h[1-6]|pre|blockquote|"
    "section|article|header|footer|nav|main|aside|form|input|button|label|select|"
    "textarea|details|summary|video|audio|canvas|svg"
)
_HTML_START = re.compile(rf"<(?:!doctype\s+html\b|!--|(?:{_HTML_ELEMENTS})[\s/>])", re.IGNORECASE)
#: An XML declaration (XHTML pages start with one), and what may stand between it and
#: the markup: whitespace, comments and processing instructions.
_XML_PROLOGUE = re.compile(r"<\?xml\b[^>]*\?>(?:\s|<\?[^>]*\?>)*", re.IGNORECASE)
#: Bytes no text holds (the standard's "binary data bytes", NUL aside: stray NULs before
#: the markup are tolerated).
_BINARY = re.compile("[\x01-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def is_pdf(body: bytes) -> bool:
    """Whether the bytes are a PDF: ``%PDF-`` at the start (after whitespace)."""
    return body[:SNIFF_BYTES].lstrip(b" \t\r\n\x0c").startswith(b"%PDF-")


def looks_like_html(body: bytes) -> bool:
    """Whether the bytes are an HTML document (see the module's rules)."""
    if read_image(body) is not None:
        return False
    head = _text_head(body[: SNIFF_BYTES * 2])
    start = head.find("<")
    if start < 0:
        return False
    stray = head[:start].replace("\x00", "").strip()
    if _BINARY.search(stray) or stray.startswith(("{", "[")):
        return False
    markup = head[start:]
    prologue = _XML_PROLOGUE.match(markup)
    if prologue:
        markup = markup[prologue.end() :]
    return _HTML_START.match(markup) is not None


def _text_head(head: bytes) -> str:
    """The first bytes as text: UTF-16 by its byte order mark, else one byte a character."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="replace")[:SNIFF_BYTES]
    # Latin-1 maps every byte to one character: markup is ASCII in every other charset
    # the crawler meets (UTF-8, GB18030, Big5…), so this reads it whatever the charset.
    return head.removeprefix(codecs.BOM_UTF8)[:SNIFF_BYTES].decode("latin-1")
