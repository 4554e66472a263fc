"""Any other web page: trafilatura finds the main text and the metadata.

Main-text extraction is trafilatura's job (a maintained library with its own benchmark);
this module only maps its result onto a Page and falls back to the page's own ``<title>``
and Open Graph tags for the fields it leaves empty.
"""

from __future__ import annotations

import logging
from datetime import UTC

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document

from linkindex.extract.dates import from_iso_text
from linkindex.extract.document import meta, normalise_line, parse_html, title_tag
from linkindex.models import Page

# trafilatura logs every page it finds too short at WARNING; a crawl of thousands of
# pages must not flood the user's terminal with that.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


def extract(html: str, *, url: str, doc: HtmlElement | None = None) -> Page:
    """Extract a generic web page: main text, title, author, date and description."""
    if doc is None:
        doc = parse_html(html)
    result = _trafilatura(html, url)
    title = ""
    text = ""
    author = ""
    published = None
    description = ""
    sitename = ""
    if result is not None:
        title = (result.title or "").strip()
        text = clean_text(result.text or "")
        author = (result.author or "").strip()
        published = from_iso_text(result.date, zone=UTC) if result.date else None
        description = (result.description or "").strip()
        sitename = (result.sitename or "").strip()
    # trafilatura keeps only the day; the page's own meta usually has the time and zone.
    published = from_iso_text(meta(doc, "article:published_time", "datePublished")) or published
    return Page(
        title=title or meta(doc, "og:title", "twitter:title") or title_tag(doc),
        text=text,
        author=author or meta(doc, "author", "article:author"),
        account=sitename or meta(doc, "og:site_name"),
        published_at=published,
        description=description or meta(doc, "description", "og:description"),
        extractor="web",
    )


def _trafilatura(html: str, url: str) -> Document | None:
    """trafilatura's reading of the page; a second, recall-oriented pass for short pages."""
    for favor_recall in (False, True):
        result = trafilatura.bare_extraction(
            html,
            url=url or None,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            favor_recall=favor_recall,
            # Without the extensive search htmldate keeps to dates the page states; with it,
            # a footer "© 2008-2026" becomes a publish date of 2026-01-01.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
        if isinstance(result, Document) and (result.text or "").strip():
            return result
        if isinstance(result, Document) and favor_recall:
            return result
    return None


def clean_text(text: str) -> str:
    """Normalise whitespace in extracted text, one paragraph per line kept as a block."""
    lines = [normalise_line(line) for line in text.splitlines()]
    blocks: list[str] = []
    for line in lines:
        if not line:
            continue
        if blocks and line.startswith("- ") and blocks[-1].split("\n")[-1].startswith("- "):
            blocks[-1] += "\n" + line  # consecutive list items stay on consecutive lines
        else:
            blocks.append(line)
    return "\n\n".join(blocks)
