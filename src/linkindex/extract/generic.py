"""Any other web page: trafilatura finds the main text, its figures and the metadata.

Main-text extraction is trafilatura's job (a maintained library with its own benchmark);
this module only maps its result onto a Page and falls back to the page's own ``<title>``
and Open Graph tags for the fields it leaves empty. The figures are the pictures
trafilatura keeps in the main content (see ``_numbered``).
"""

from __future__ import annotations

import copy
import logging
import re
from datetime import UTC
from typing import TYPE_CHECKING

import lxml.html
from lxml.html import HtmlElement

from linkindex.extract.dates import from_iso_text
from linkindex.extract.document import (
    base_url_of,
    block_text,
    meta,
    normalise_line,
    parse_html,
    title_tag,
)
from linkindex.extract.figures import mark, place
from linkindex.models.pages import Page

if TYPE_CHECKING:
    from trafilatura.settings import Document

# trafilatura logs every page it finds too short at WARNING; a crawl of thousands of
# pages must not flood the user's terminal with that.
logging.getLogger("trafilatura").setLevel(logging.ERROR)

#: trafilatura's own threshold (MIN_EXTRACTED_SIZE) for an extraction worth keeping.
_ENOUGH_TEXT = 250

#: The address each picture stands in as while trafilatura reads the page (a reserved
#: domain, RFC 2606: it can never be fetched), and how it shows in trafilatura's text.
FIGURE_STAND_IN = "https://figure.invalid/{}.png"
_FIGURE_TOKEN = re.compile(r"!\[[^\]]*\]\(https://figure\.invalid/(\d+)\.png\)")


def extract(html: str, *, url: str, doc: HtmlElement | None = None) -> Page:
    """Extract a generic web page: main text, figures, title, author, date and description."""
    if doc is None:
        doc = parse_html(html)
    images: list[HtmlElement] = list(doc.body.iter("img")) if doc.body is not None else []
    result = _trafilatura(_numbered(doc, images) if images else html, url, doc)
    title = ""
    text = ""
    author = ""
    published = None
    description = ""
    sitename = ""
    if result is not None:
        title = (result.title or "").strip()
        text = clean_text(_FIGURE_TOKEN.sub(lambda m: mark(int(m[1])), result.text or ""))
        author = (result.author or "").strip()
        published = from_iso_text(result.date, zone=UTC) if result.date else None
        description = (result.description or "").strip()
        sitename = (result.sitename or "").strip()
    # trafilatura keeps only the day; the page's own meta usually has the time and zone.
    published = from_iso_text(meta(doc, "article:published_time", "datePublished")) or published
    text, figures = place(text, images, base_url=base_url_of(doc, url))
    return Page(
        title=title or meta(doc, "og:title", "twitter:title") or title_tag(doc),
        text=text,
        figures=figures,
        author=author or meta(doc, "author", "article:author"),
        account=sitename or meta(doc, "og:site_name"),
        published_at=published,
        description=description or meta(doc, "description", "og:description"),
        extractor="web",
    )


def _numbered(doc: HtmlElement, images: list[HtmlElement]) -> str:
    """The page with each ``<img>`` replaced by a numbered stand-in trafilatura keeps.

    trafilatura knows which part of a page is its main content, but it keeps only
    pictures whose address ends like an image file, and reads only ``src``/``data-src``.
    Each picture therefore becomes ``<img src=".../N.png">``: the ones it keeps tell
    which of ``images`` the main content holds and where, and ``extract.figures`` reads
    their real address from the original element.
    """
    numbered = copy.deepcopy(doc)  # the same pictures in the same order as ``images``
    for number, image in enumerate(numbered.body.iter("img")):
        image.attrib.clear()
        image.set("src", FIGURE_STAND_IN.format(number))
    return lxml.html.tostring(numbered, encoding="unicode")


def _trafilatura(html: str, url: str, doc: HtmlElement) -> Document | None:
    """trafilatura's reading of the page.

    The first pass skips trafilatura's fallback extractors (readability, jusText): they
    cost 10-30 ms even on tiny pages and a crawl reads thousands. Only when that pass finds
    little text on a page that holds much more does the full, recall-oriented pass run.
    """
    result = _bare_extraction(html, url, fast=True)
    found = len(_FIGURE_TOKEN.sub("", result.text or "").strip()) if result is not None else 0
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
        include_images=True,
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
