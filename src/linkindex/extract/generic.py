"""Any other web page: trafilatura finds the main text and the metadata.

Main-text extraction is trafilatura's job (a maintained library with its own benchmark);
this module only maps its result onto a Page and falls back to the page's own ``<title>``
and Open Graph tags for the fields it leaves empty.
"""

from __future__ import annotations

import logging
from datetime import UTC
from typing import TYPE_CHECKING

from lxml.html import HtmlElement

from linkindex.extract.dates import from_iso_text
from linkindex.extract.document import block_text, meta, normalise_line, parse_html, title_tag
from linkindex.models import Page

if TYPE_CHECKING:
    from trafilatura.settings import Document

# trafilatura logs every page it finds too short at WARNING; a crawl of thousands of
# pages must not flood the user's terminal with that.
logging.getLogger("trafilatura").setLevel(logging.ERROR)

#: trafilatura's own threshold (MIN_EXTRACTED_SIZE) for an extraction worth keeping.
_ENOUGH_TEXT = 250


def extract(html: str, *, url: str, doc: HtmlElement | None = None) -> Page:
    """Extract a generic web page: main text, title, author, date and description."""
    if doc is None:
        doc = parse_html(html)
    result = _trafilatura(html, url, doc)
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


def _trafilatura(html: str, url: str, doc: HtmlElement) -> Document | None:
    """trafilatura's reading of the page.

    The first pass skips trafilatura's fallback extractors (readability, jusText): they
    cost 10-30 ms even on tiny pages and a crawl reads thousands. Only when that pass finds
    little text on a page that holds much more does the full, recall-oriented pass run.
    """
    result = _bare_extraction(html, url, fast=True)
    found = len((result.text or "").strip()) if result is not None else 0
    if found >= _ENOUGH_TEXT:
        return result
    shown = len(block_text(doc.body)) if doc.body is not None else 0
    if shown < found + _ENOUGH_TEXT:
        return result
    return _bare_extraction(html, url, fast=False) or result


def _bare_extraction(html: str, url: str, *, fast: bool) -> Document | None:
    # Imported here: trafilatura takes half a second to import, and most pages a crawl
    # reads (WeChat, Zhihu, GitHub…) never need it.
    import trafilatura
    from trafilatura.settings import Document

    result = trafilatura.bare_extraction(
        html,
        url=url or None,
        fast=fast,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_recall=not fast,
        # Without the extensive search htmldate keeps to dates the page states; with it,
        # a footer "© 2008-2026" becomes a publish date of 2026-01-01.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    return result if isinstance(result, Document) else None


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
