"""Fetched bytes to a Page: one extractor per site, chosen by host, then by content.

``extract_page`` is the only entry point the crawler needs. It decodes the body
(``decode_body``), picks the extractor of the URL's site (``urls.site_of``) or, for hosts
it does not know, the site whose markup the page carries (a WeChat article copied to
another host still has ``#js_content``), and fills the fields every page should have.
PDFs go to ``pdf``; other non-text bodies become a title-only ``binary`` page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from linkindex.extract import cnblogs, csdn, generic, github, pdf, wechat, zhihu
from linkindex.extract.charset import decode_body, header
from linkindex.extract.document import (
    first_paragraph,
    language_of,
    parse_html,
    shorten,
    title_from_url,
)
from linkindex.models import Page
from linkindex.urls import site_of

__all__ = [
    "EXTRACTORS",
    "SIGNATURES",
    "decode_body",
    "extract_page",
    "original_of",
    "site_of_page",
    "site_of_url",
]

#: A description is a summary for result lists: longer meta descriptions are cut.
DESCRIPTION_CHARS = 300

#: An HTML extractor: decoded text + URL (+ the parsed tree, when already parsed) -> Page.
HtmlExtractor = Callable[..., Page]

#: The extractor of each site, by ``models.SITES`` name.
EXTRACTORS: dict[str, HtmlExtractor] = {
    "wechat": wechat.extract,
    "zhihu": zhihu.extract,
    "github": github.extract,
    "csdn": csdn.extract,
    "cnblogs": cnblogs.extract,
    "web": generic.extract,
}

#: Content signatures, tried in order for pages on hosts no site claims.
SIGNATURES: tuple[tuple[str, Callable[[HtmlElement], bool]], ...] = (
    ("wechat", wechat.looks_like),
    ("zhihu", zhihu.looks_like),
    ("csdn", csdn.looks_like),
    ("cnblogs", cnblogs.looks_like),
    ("github", github.looks_like),
)

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/xml", "application/xml"})
_JSON_TYPES = frozenset({"application/json", "text/json"})
# The Wayback Machine's copies live at /web/<timestamp>[id_]/<original URL>.
_WAYBACK = re.compile(r"^/web/\d{1,14}[a-z_]*/(?P<url>https?:/{1,2}.+)$", re.IGNORECASE)


def extract_page(body: bytes, *, url: str, headers: Mapping[str, str] | None = None) -> Page:
    """Turn a fetched body into a Page.

    Args:
        body: the raw bytes as fetched.
        url: the final URL (after redirects); it chooses the site extractor.
        headers: the response headers (any case); Content-Type chooses PDF/HTML/binary
            and may carry the charset.

    Returns:
        The Page; its ``verdict`` is ``dead`` or ``blocked`` when the page itself says
        the content is gone or asks for verification, whatever the HTTP status was.
    """
    # An archive copy is read as the page it copies: its site's extractor, and relative
    # addresses (figures) resolved against the original page.
    url = original_of(url) or url
    media_type = header(headers, "content-type").split(";", 1)[0].strip().lower()
    if media_type == "application/pdf" or body[:1024].lstrip().startswith(b"%PDF-"):
        return _finish(pdf.extract(body, url=url), url=url)
    site = site_of_url(url)
    if media_type in _JSON_TYPES or (not media_type and body[:1].lstrip() in (b"{", b"[")):
        text = decode_body(body, headers)
        if site == "zhihu" or zhihu.looks_like_json(text):
            return _finish(zhihu.extract_json(text, url=url), url=url)
        return _binary(url, media_type or "application/json")
    if media_type == "text/plain":
        return _plain(decode_body(body, headers), url=url)
    if media_type and media_type not in _HTML_TYPES and not _looks_like_html(body):
        return _binary(url, media_type)
    html = decode_body(body, headers)
    doc = parse_html(html)
    if site == "web":
        site = site_of_page(doc)
    page = EXTRACTORS.get(site, generic.extract)(html, url=url, doc=doc)
    return _finish(page, url=url, doc=doc)


def site_of_url(url: str) -> str:
    """The site of a URL; for a Wayback-style archive copy, the site of the archived URL."""
    site = site_of(url)
    if site == "web":
        original = original_of(url)
        if original:
            return site_of(original)
    return site


def original_of(url: str) -> str | None:
    """The page a Wayback-style archive copy copies, or None for any other URL.

    Any host serving ``/web/<timestamp>[id_]/<original URL>`` counts as an archive: the
    Wayback Machine, a configured mirror of its API, or a local pywb.
    """
    parts = urlsplit(url)
    match = _WAYBACK.match(parts.path + ("?" + parts.query if parts.query else ""))
    if not match:
        return None
    return re.sub(r"^(https?:)/+", r"\1//", match["url"])


def site_of_page(doc: HtmlElement) -> str:
    """The site whose markup this page carries, ``web`` when none."""
    for site, looks_like in SIGNATURES:
        if looks_like(doc):
            return site
    return "web"


def _looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta"))


def _plain(text: str, *, url: str) -> Page:
    lines = [line.strip() for line in text.splitlines()]
    first = next((line for line in lines if line), "")
    page = Page(title=first[:200], text="\n".join(lines).strip(), extractor="web")
    return _finish(page, url=url)


def _binary(url: str, media_type: str) -> Page:
    return Page(title=title_from_url(url), extractor="binary", extra={"content_type": media_type})


def _finish(page: Page, *, url: str, doc: HtmlElement | None = None) -> Page:
    """Fill what every page should have: a title, a short description, a language."""
    page.title = " ".join(page.title.split())
    if not page.title and page.verdict == "ok":
        page.title = title_from_url(url)
    if not page.description and page.text and page.verdict == "ok":
        page.description = first_paragraph(page.text, limit=DESCRIPTION_CHARS)
    page.description = shorten(" ".join(page.description.split()), DESCRIPTION_CHARS)
    if not page.language and page.verdict == "ok":
        page.language = language_of(doc, page.text)
    return page
