"""``export --format epub``: the selected pages' stored text as an e-book.

One chapter per link (its page text as the crawler stored it, or what the notes say
about it when it was never fetched), its figures after the paragraphs they followed, a
table of contents by topic. Each picture is one item of the book (``images/<sha256>.png``)
however many chapters show it. ebooklib stamps the current time into the zip entries and
the metadata, so the book is re-packed with fixed timestamps and dated from the library's
own data: the same library gives the same bytes. Every text handed to ebooklib is
``printable`` first: lxml, which writes the book's XML, refuses control characters, and
one title holding one would stop the whole export.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from linkindex.analysis.characters import script
from linkindex.export.outline import (
    Entry,
    TopicNode,
    archive_link,
    is_web_url,
    outline,
)
from linkindex.export.pictures import Pictures
from linkindex.extract.imagefile import SUFFIXES
from linkindex.models import from_iso, paragraphs
from linkindex.printable import printable
from linkindex.store.records import ImageRecord, LinkRecord
from linkindex.topics import distinct, label

#: Zip entries carry this date (the zip format's earliest) so the bytes do not drift.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_CSS = (
    "body{font-family:serif;line-height:1.6}h1{font-size:1.4em}.meta{color:#666;font-size:.85em}"
    "figure{margin:1em 0;text-align:center}figure img{max-width:100%;height:auto}"
)
#: Where the pictures sit inside the book, beside the chapters.
IMAGE_FOLDER = "images"


def render(
    records: Sequence[LinkRecord], *, title: str = "linkindex", pictures: Pictures | None = None
) -> bytes:
    """The records as an EPUB 3 book (with an NCX for older readers), with their
    figures when ``pictures`` says where to read them."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier(_identifier(records))
    book.set_title(printable(title))
    book.set_language("zh")
    book.add_author("linkindex")
    style = epub.EpubItem(
        uid="style", file_name="style.css", media_type="text/css", content=_CSS.encode()
    )
    book.add_item(style)

    root = outline(records)
    chapters: dict[int, Any] = {}
    toc = _toc(book, root, chapters, style, pictures)
    if pictures is not None:
        for image, body in pictures.taken.values():
            book.add_item(_image_item(image, body))
    book.toc = toc
    book.spine = ["nav", *chapters.values()]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())

    raw = io.BytesIO()
    options = {
        "mtime": _moment(records),
        "raise_exceptions": True,
        "epub3_pages": False,  # no page-break markers in our chapters; saves a parse each
        "compresslevel": 0,  # compressed once, when re-packed
    }
    epub.write_epub(raw, book, options)
    return _repack(raw.getvalue())


def _toc(
    book: Any, node: TopicNode, chapters: dict[int, Any], style: Any, pictures: Pictures | None
) -> list[Any]:
    from ebooklib import epub

    items: list[Any] = []
    for entry in node.entries:
        record = entry.record
        if record.id in chapters:
            first = chapters[record.id]
            items.append(
                epub.Link(first.file_name, printable(entry.title), f"{first.id}-{len(items)}")
            )
            continue
        chapter = epub.EpubHtml(
            uid=f"link{record.id}",
            file_name=f"link-{record.id}.xhtml",
            title=printable(entry.title),
            lang=_lang(entry),
        )
        chapter.content = printable(_chapter(entry, pictures))
        chapter.add_item(style)
        book.add_item(chapter)
        chapters[record.id] = chapter
        items.append(chapter)
    for child in node.children:
        below = _toc(book, child, chapters, style, pictures)
        # Readers (and the NCX) want every TOC entry to point somewhere: a topic opens
        # at its first link.
        items.append((epub.Section(printable(child.name), _first_href(below)), below))
    return items


def _lang(entry: Entry) -> str:
    """A chapter's language: Chinese in the script its title and text are written in
    (a reader draws traditional text in traditional glyphs), else ``zh``."""
    page = entry.record.page
    return script(entry.title + "\n" + (page.text if page else "")) or "zh"


def _first_href(items: list[Any]) -> str:
    for item in items:
        if isinstance(item, tuple):
            href = str(item[0].href)
        else:
            href = str(getattr(item, "file_name", None) or getattr(item, "href", ""))
        if href:
            return href
    return ""


def _chapter(entry: Entry, pictures: Pictures | None) -> str:
    record = entry.record
    facts = [escape(record.site)]
    if entry.date:
        facts.append(escape(entry.date))
    if record.status not in ("ok", "not_modified"):
        facts.append(escape(record.status))
    if is_web_url(record.url):
        facts.append(f'<a href="{escape(record.url)}">{escape(record.url)}</a>')
    archive = archive_link(record)
    if archive and is_web_url(archive):
        facts.append(f'<a href="{escape(archive)}">archive</a>')
    parts = [f"<h1>{escape(entry.title)}</h1>", f'<p class="meta">{" · ".join(facts)}</p>']
    topics = [label(t) for t in distinct(record.topics) if t]
    if topics:
        parts.append(f'<p class="meta">{escape(" | ".join(topics))}</p>')
    page = record.page
    text = page.text if page is not None else ""
    figures = record.images if pictures is not None and text.strip() else []
    if not text.strip():
        text = "\n\n".join(p.description for p in record.placements if p.description)
        parts.append("<p><em>No stored text for this link.</em></p>")
    # Cleaned before it is cut into lines: splitlines() breaks at \x0b, \x0c and \x85 too.
    blocks = paragraphs(printable(text))
    for number, paragraph in enumerate(blocks):
        parts.extend(_figures(figures, number, pictures))
        lines = [escape(line.strip()) for line in paragraph.splitlines() if line.strip()]
        parts.append(f"<p>{'<br/>'.join(lines)}</p>")
    parts.extend(_figures(figures, len(blocks), pictures, last=True))
    return "\n".join(parts)


def _figures(
    figures: list[ImageRecord], before: int, pictures: Pictures | None, *, last: bool = False
) -> list[str]:
    """The figures that stood after ``before`` paragraphs (at the end: all the rest)."""
    found: list[str] = []
    for image in figures:
        if image.paragraph != before and not (last and image.paragraph > before):
            continue
        if pictures is None or pictures.take(image) is None:
            if pictures is not None and pictures.over_cap(image):
                found.append('<p class="meta">[a figure is left out: over the size cap]</p>')
            continue  # (a file gone missing is the doctor's to report)
        source = _image_name(image.sha256, image.content_type)
        alt = escape(image.alt, quote=True)
        found.append(f'<figure><img src="{source}" alt="{alt}"/></figure>')
    return found


def _image_name(digest: str, content_type: str) -> str:
    return f"{IMAGE_FOLDER}/{digest}{SUFFIXES.get(content_type, '')}"


def _image_item(image: ImageRecord, body: bytes) -> Any:
    from ebooklib import epub

    return epub.EpubImage(
        uid=f"img-{image.sha256[:16]}",
        file_name=_image_name(image.sha256, image.content_type),
        media_type=image.content_type,
        content=body,
    )


def _identifier(records: Sequence[LinkRecord]) -> str:
    digest = hashlib.sha256()
    for record in records:
        digest.update(record.canonical_url.encode() + b"\n")
    return f"urn:linkindex:{digest.hexdigest()[:32]}"


def _moment(records: Sequence[LinkRecord]) -> datetime:
    """The latest time the library knows about these links (their last change)."""
    stamps = [
        stamp
        for record in records
        for stamp in (record.first_seen_at, record.fetched_at, record.checked_at)
        if stamp
    ]
    return from_iso(max(stamps)) if stamps else datetime(2000, 1, 1, tzinfo=UTC)


def _repack(data: bytes) -> bytes:
    """The same zip with fixed entry timestamps; ``mimetype`` stays first and stored."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
            entry.compress_type = info.compress_type
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
