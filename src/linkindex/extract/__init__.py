"""Fetched bytes to a Page: one extractor per site, chosen by host, then by content.

``extract_page`` is the only entry point the crawler needs. It decodes the body
(``decode_body``), picks the extractor of the URL's site (``urls.site_of``) or, for hosts
it does not know, the site whose markup the page carries (a WeChat article copied to
another host still has ``#js_content``), and fills the fields every page should have.
What a body is comes from its bytes before its Content-Type: a page that starts like
HTML is HTML whatever the server called it, a body that starts with ``%PDF-`` is a PDF.
PDFs go to ``pdf``; other non-text bodies become a title-only ``binary`` page, except
one whose type declares text (HTML, JSON, plain text, XML…): bytes that are not text
(``sniffing.is_binary``) under a text type are unreadable, a page whose ``verdict`` is
``error`` (the fetcher has already undone any compression they came in). When a
site extractor finds the page but neither text nor figures in it, the generic extractor
reads the text (unless all it finds is the site's frame, ``CHROME``), and
``Page.extractor`` says so (``web``). Every field leaves here ``printable``.
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
from linkindex.extract.sniffing import (
    binary_kind,
    is_binary,
    is_pdf,
    is_text_type,
    looks_like_html,
)
from linkindex.models.pages import Page
from linkindex.printable import printable
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

#: Lines of each site's frame (header, toolbar, QR-code box): the generic extractor's
#: text made of nothing else is no text.
CHROME: dict[str, frozenset[str]] = {"wechat": wechat.CHROME, "zhihu": zhihu.CHROME}

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
        the content is gone or asks for verification, whatever the HTTP status was, and
        ``error`` when its type declares text and its bytes are not.
    """
    # An archive copy is read as the page it copies: its site's extractor, and relative
    # addresses (figures) resolved against the original page.
    url = original_of(url) or url
    media_type = header(headers, "content-type").split(";", 1)[0].strip().lower()
    if is_pdf(body):
        return _finish(pdf.extract(body, url=url), url=url)
    # The bytes before the label (``sniffing``): a login page or a soft 404 served as
    # application/pdf (or octet-stream, an image type, or JSON) is a web page. Only
    # text/plain is taken at its word, as browsers do: an HTML file shown as source is text.
    html_bytes = media_type != "text/plain" and looks_like_html(body)
    if media_type == "application/pdf" and not html_bytes:
        return _finish(pdf.extract(body, url=url), url=url)
    if not html_bytes and is_binary(body):
        if is_text_type(media_type):
            return _unreadable(body, media_type, headers, url=url)
        if not media_type:  # a file sent without a type, as browsers download it
            return _binary(url, "application/octet-stream")
    site = site_of_url(url)
    if not html_bytes and (
        media_type in _JSON_TYPES or (not media_type and body[:1].lstrip() in (b"{", b"["))
    ):
        text = decode_body(body, headers)
        if site == "zhihu" or zhihu.looks_like_json(text):
            return _finish(zhihu.extract_json(text, url=url), url=url)
        return _binary(url, media_type or "application/json")
    if media_type == "text/plain":
        return _plain(decode_body(body, headers), url=url)
    if media_type and media_type not in _HTML_TYPES and not html_bytes:
        return _binary(url, media_type)
    html = decode_body(body, headers)
    doc = parse_html(html)
    if site == "web":
        site = site_of_page(doc)
    page = EXTRACTORS.get(site, generic.extract)(html, url=url, doc=doc)
    if site != "web" and page.verdict == "ok" and not page.text.strip() and not page.figures:
        page = _generic_text(page, html, url=url, doc=doc, site=site)
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


def _generic_text(page: Page, html: str, *, url: str, doc: HtmlElement, site: str) -> Page:
    """A site page whose extractor found neither text nor figures: the generic extractor
    reads it.

    Less common page kinds (Zhihu's ``/answer/``, ``/zvideo/``, ``/column/`` pages) carry
    the site's markup but not where the site extractor looks. (A site extractor that found
    figures found its article, a post made of pictures, and is not second-guessed.) What
    the site extractor found (title, author…) is kept; the text and its figures are the
    generic extractor's (their places are paragraphs of its text); ``extractor`` becomes
    ``web`` and ``extra`` names the site extractor that found no text. When all the
    generic extractor finds is the page's frame, the site's page stays as it was.
    """
    found = generic.extract(html, url=url, doc=doc)
    if _only_frame(found.text, page, CHROME.get(site, frozenset())):
        return page
    page.extra["text_fallback_from"] = page.extractor
    page.text = found.text
    page.figures = found.figures  # their places count the paragraphs of this text
    page.extractor = found.extractor
    page.title = page.title or found.title
    page.author = page.author or found.author
    page.account = page.account or found.account
    page.published_at = page.published_at or found.published_at
    page.description = page.description or found.description
    return page


def _only_frame(text: str, page: Page, chrome: frozenset[str]) -> bool:
    """Whether every line of ``text`` is the site's frame rather than an article's text.

    A frame line is one the site shows around every page (``chrome``), one that repeats
    what the site extractor already found (title, author, account: the header above the
    missing article), or one without a letter (a date, a count, a separator).
    """
    known = chrome | {" ".join(field.split()) for field in (page.title, page.author, page.account)}
    for line in text.splitlines():
        line = " ".join(printable(line).split())
        if line and line not in known and any(char.isalpha() for char in line):
            return False
    return True


def _plain(text: str, *, url: str) -> Page:
    lines = [line.strip() for line in text.splitlines()]
    first = next((line for line in lines if line), "")
    page = Page(title=first[:200], text="\n".join(lines).strip(), extractor="web")
    return _finish(page, url=url)


def _binary(url: str, media_type: str) -> Page:
    page = Page(title=title_from_url(url), extractor="binary", extra={"content_type": media_type})
    return _finish(page, url=url)


def _unreadable(
    body: bytes, media_type: str, headers: Mapping[str, str] | None, *, url: str
) -> Page:
    """A body whose type declares text while its bytes are not: what it is instead."""
    coding = header(headers, "content-encoding").strip().lower()
    sent = f" (sent with Content-Encoding: {coding})" if coding not in ("", "identity") else ""
    reason = f"unreadable body: served as {media_type} but it is {binary_kind(body)}, not text"
    page = Page(extractor="binary", verdict="error", reason=reason + sent)
    page.extra["content_type"] = media_type
    return _finish(page, url=url)


def _finish(page: Page, *, url: str, doc: HtmlElement | None = None) -> Page:
    """Fill what every page should have: a title, a short description, a language.

    Every text field is made ``printable``: lxml drops control characters from the HTML
    it parses, but PDFs, JSON bodies, plain text and URL-made titles bring their own.
    """
    page.text = printable(page.text)
    page.author = printable(page.author)
    page.account = printable(page.account)
    page.title = " ".join(printable(page.title).split())
    if not page.title and page.verdict == "ok":
        page.title = " ".join(printable(title_from_url(url)).split())
    if not page.description and page.text and page.verdict == "ok":
        page.description = first_paragraph(page.text, limit=DESCRIPTION_CHARS)
    page.description = shorten(" ".join(printable(page.description).split()), DESCRIPTION_CHARS)
    if not page.language and page.verdict == "ok":
        page.language = language_of(doc, page.text)
    return page
