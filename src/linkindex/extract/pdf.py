"""PDF documents: title and text when that is cheap, the metadata otherwise."""

from __future__ import annotations

import io
import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING

from linkindex.extract.document import normalise_line
from linkindex.models import to_iso
from linkindex.models.pages import Page

if TYPE_CHECKING:
    from pypdf import PdfReader

# pypdf warns about every small defect of real-world PDFs through logging.
logging.getLogger("pypdf").setLevel(logging.ERROR)

#: Read the text of at most this many pages: papers and slides fit, books are cut.
MAX_PAGES = 30
#: Stop reading text after this many seconds of CPU work on one document.
MAX_SECONDS = 3.0
#: Keep at most this many characters of text.
MAX_CHARS = 200_000


def extract(body: bytes, *, url: str) -> Page:
    """Extract a PDF: metadata title/author/date, and the text of its first pages."""
    from pypdf import PdfReader  # imported here: it is slow to import and PDFs are rare

    page = Page(extractor="pdf")
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            page.reason = "encrypted PDF"
            return page
        page.extra["pages"] = len(reader.pages)
        info = reader.metadata
        if info is not None:
            page.title = (info.title or "").strip()
            page.author = (info.author or "").strip()
            page.published_at = _pdf_date(info)
    # pypdf raises many different exceptions on damaged files; a PDF that cannot be read
    # is still a fetched page (metadata only), never a crash of the crawl.
    except Exception as exc:
        page.reason = f"unreadable PDF: {exc.__class__.__name__}"
        return page
    page.text = _text(reader)
    if not page.title and page.text:
        page.title = page.text.split("\n", 1)[0][:200]
    return page


def _text(reader: PdfReader) -> str:
    started = time.process_time()
    parts: list[str] = []
    size = 0
    for number, pdf_page in enumerate(reader.pages):
        if number >= MAX_PAGES or size >= MAX_CHARS:
            break
        if time.process_time() - started > MAX_SECONDS:
            break
        try:
            raw = pdf_page.extract_text() or ""
        except Exception:  # a damaged page: keep the text of the others
            continue
        lines = [normalise_line(line) for line in raw.splitlines()]
        block = "\n".join(line for line in lines if line)
        if block:
            parts.append(block)
            size += len(block)
    return "\n\n".join(parts)[:MAX_CHARS]


def _pdf_date(info: object) -> str | None:
    try:
        moment = getattr(info, "creation_date", None)
    except (ValueError, TypeError):  # a malformed /CreationDate string: no date
        return None
    return to_iso(moment) if isinstance(moment, datetime) else None
