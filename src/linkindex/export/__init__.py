"""Reading lists: select links from the library and render them in a portable format.

``select`` picks the links (by topic, search query, site, status); ``render`` turns them
into the bytes of one of ``FORMATS``; ``write_atomic`` puts bytes in a file so that a
reader never sees half of it. The same library always renders to the same bytes.

EPUB and HTML carry the links' figures when ``render`` is given ``Pictures`` (the image
folder and a cap on the bytes they may add): EPUB as items of the book, HTML as ``data:``
URIs (see ``export.pictures``).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from linkindex import topics
from linkindex.errors import UserError
from linkindex.export.jsonfile import link_json
from linkindex.export.pictures import DEFAULT_MAX_BYTES, Pictures
from linkindex.models import SITES, STATUSES
from linkindex.snapshots import write_atomic
from linkindex.store.records import LinkRecord

if TYPE_CHECKING:
    from linkindex.store import Store

#: Format name -> (module in this package, file suffix, media type).
_FORMATS: dict[str, tuple[str, str, str]] = {
    "md": ("markdown", ".md", "text/markdown; charset=utf-8"),
    "html": ("html", ".html", "text/html; charset=utf-8"),
    "opml": ("opml", ".opml", "text/x-opml; charset=utf-8"),
    "csv": ("csvfile", ".csv", "text/csv; charset=utf-8"),
    "json": ("jsonfile", ".json", "application/json"),
    "netscape": ("netscape", ".html", "text/html; charset=utf-8"),
    "epub": ("epub", ".epub", "application/epub+zip"),
}

#: The export formats, in the order the help lists them.
FORMATS: tuple[str, ...] = tuple(_FORMATS)

#: The formats that can carry figures.
WITH_PICTURES = frozenset({"epub", "html"})

# Search results are collected page by page up to this many links.
_QUERY_PAGE = 500
_QUERY_MAX = 100_000

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "WITH_PICTURES",
    "Pictures",
    "link_json",
    "media_type",
    "render",
    "select",
    "suffix",
    "write_atomic",
]


def _matching_ids(
    store: Store, *, topic: topics.Key | None, site: str | None, status: str | None
) -> list[int]:
    """Ids of the links still in the notes that pass the filters (``topic``: a key), by id.

    Reads only ids (and placement topics when a topic is asked for), so a small reading
    list loads only its own records, not the whole library's.
    """
    rows = store.link_topic_rows(site=site, status=status)
    if topic is None:
        return list(dict.fromkeys(link_id for link_id, _site, _status, _topic in rows))
    matching = (
        link_id for link_id, _site, _status, path in rows if path and topics.matches(topic, path)
    )
    return list(dict.fromkeys(matching))


def select(
    store: Store,
    home: Path,
    *,
    topic: str | None = None,
    query: str | None = None,
    site: str | None = None,
    status: str | None = None,
) -> list[LinkRecord]:
    """The links a reading list holds: those still in the notes that match every filter.

    Args:
        topic: a topic such as ``Pytorch > 参考`` (the rule of ``topics``: at any depth).
        query: a search query; the links come in rank order (``search.search``).
        site: one of ``models.SITES``.
        status: one of ``models.STATUSES``.

    Returns:
        LinkRecords ordered by id, or by search rank when ``query`` is given.
    """
    if site is not None and site not in SITES:
        raise UserError(f"unknown site {site!r}; choose from {', '.join(SITES)}")
    if status is not None and status not in STATUSES:
        raise UserError(f"unknown status {status!r}; choose from {', '.join(STATUSES)}")
    wanted = None if topic is None else store.topic_key(topic)
    if wanted is not None and not wanted:
        raise UserError("--topic is empty; give a heading such as 'Pytorch > 参考'")
    ids = _matching_ids(store, topic=wanted, site=site, status=status)
    if query is not None and query.strip():
        kept = set(ids)
        found = _search_ids(store, home, query, topic=topic, site=site, status=status)
        ids = [link_id for link_id in found if link_id in kept]
    return store.link_records(ids)


def _search_ids(
    store: Store, home: Path, query: str, *, topic: str | None, site: str | None, status: str | None
) -> list[int]:
    """The links the query finds, best first (with the topic, site and status options, so
    a query of nothing to search for but them lists their links, as search does)."""
    from linkindex import search

    ids: list[int] = []
    page = 1
    while len(ids) < _QUERY_MAX:
        results = search.search(
            home,
            query,
            store=store,
            topic=topic,
            site=site,
            status=status,
            limit=_QUERY_PAGE,
            page=page,
        )
        ids.extend(hit.link_id for hit in results.hits if hit.link_id not in ids)
        if len(results.hits) < _QUERY_PAGE or len(ids) >= results.total:
            break
        page += 1
    return ids


def render(
    records: Sequence[LinkRecord],
    fmt: str,
    *,
    title: str = "linkindex",
    pictures: Pictures | None = None,
) -> bytes:
    """The records in format ``fmt`` (one of FORMATS) as bytes.

    ``pictures``: where EPUB and HTML read the links' figures (None: no figures).
    """
    if fmt not in _FORMATS:
        raise UserError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    module = importlib.import_module(f"linkindex.export.{_FORMATS[fmt][0]}")
    data: bytes
    if fmt in WITH_PICTURES:
        data = module.render(records, title=title, pictures=pictures)
    else:
        data = module.render(records, title=title)
    return data


def suffix(fmt: str) -> str:
    """The usual file suffix of a format (``.md``, ``.epub``…)."""
    return _FORMATS[fmt][1]


def media_type(fmt: str) -> str:
    """The HTTP content type of a format, for the web UI's downloads."""
    return _FORMATS[fmt][2]
