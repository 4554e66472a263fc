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

Whether bytes are text at all (``is_binary``) is the standard's "binary data bytes"
test, weighed over a sample rather than failed on the first such byte; ``binary_kind``
names what binary bytes are by their magic number, for a reason a reader can act on.
Pure: bytes in, a verdict out.
"""

from __future__ import annotations

import codecs
import re

from linkindex.extract.imagefile import read_image

__all__ = [
    "GZIP_MAGIC",
    "ZSTD_MAGIC",
    "binary_kind",
    "is_binary",
    "is_pdf",
    "is_text_type",
    "is_zlib_header",
    "looks_like_html",
]

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
#: Bytes no text holds: the standard's "binary data bytes", NUL among them (ESC, 0x1B, is
#: not one: ISO-2022-JP text is written with it).
_BINARY_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
#: The same but NUL, in text read one byte a character: stray NULs before the markup
#: are tolerated.
_BINARY = re.compile("[" + re.escape(_BINARY_BYTES[1:].decode("latin-1")) + "]")
#: How much of a body ``is_binary`` weighs (a fast C pass: 64 KB take ~20 µs).
TEXT_SAMPLE = 64 * 1024
#: The share of binary data bytes from which bytes are data, not text. Compressed data,
#: pictures and archives hold ~10.5% (27 of the 256 byte values, spread evenly); a text
#: page in any charset the crawler meets (UTF-8, GB18030, Big5, Shift_JIS…) holds none
#: but a stray few (a NUL before the markup, a form feed in a code listing).
BINARY_SHARE = 0.03
#: ... and at least this many of them: a few odd bytes in a tiny body prove nothing.
BINARY_AT_LEAST = 4
#: UTF-16 and UTF-32 text is full of NULs: its byte order mark says it is text.
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)

#: Magic numbers of compressed data (RFC 1952's gzip, RFC 8878's zstd frames).
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
#: Other binary files met behind a text type, by their first bytes.
_FILE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (GZIP_MAGIC, "gzip-compressed data"),
    (ZSTD_MAGIC, "zstd-compressed data"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"BZh", "bzip2-compressed data"),
)

#: Types that are text besides ``text/*`` and the ``+xml`` / ``+json`` families.
_TEXT_APPLICATIONS = frozenset(
    {
        "application/xml",
        "application/json",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
    }
)


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


def is_text_type(media_type: str) -> bool:
    """Whether a Content-Type declares text: ``text/*``, XML, JSON, XHTML, RSS, Atom, SVG…"""
    media = media_type.split(";", 1)[0].strip().lower()
    return (
        media.startswith("text/")
        or media in _TEXT_APPLICATIONS
        or media.endswith(("+xml", "+json"))
    )


def is_binary(body: bytes) -> bool:
    """Whether the bytes are data rather than text in any charset.

    Binary data bytes (control characters no text holds, NUL among them) make up
    ``BINARY_SHARE`` or more of the first ``TEXT_SAMPLE`` bytes. NULs padding the end of
    the sample are not counted, and UTF-16/32 text (by its byte order mark) is text.
    """
    if body.startswith(_WIDE_BOMS):
        return False
    sample = body[:TEXT_SAMPLE].rstrip(b"\x00")
    found = len(sample) - len(sample.translate(None, _BINARY_BYTES))
    return found >= BINARY_AT_LEAST and found >= BINARY_SHARE * len(sample)


def is_zlib_header(body: bytes) -> bool:
    """Whether the bytes start like a zlib stream (RFC 1950): deflate, a window of at most
    32 KB, no preset dictionary, and the header's check bits right (1 in 31 pairs of
    random bytes pass that: only a whole decompression proves it)."""
    if len(body) < 2:
        return False
    method, flags = body[0], body[1]
    return (
        method & 0x0F == 8
        and method >> 4 <= 7
        and not flags & 0x20
        and (method << 8 | flags) % 31 == 0
    )


def binary_kind(body: bytes) -> str:
    """What binary bytes are, in words: ``gzip-compressed data``, ``a PNG image``…"""
    picture = read_image(body)
    if picture is not None:
        return f"a {picture.content_type.removeprefix('image/').upper()} image"
    for magic, kind in _FILE_MAGIC:
        if body.startswith(magic):
            return kind
    if is_zlib_header(body):
        return "zlib-compressed data"
    return "binary data"
