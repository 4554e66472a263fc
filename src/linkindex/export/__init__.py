"""Reading lists: select links from the library and render them in a portable format.

``select`` picks the links (by topic, search query, site, status); ``render`` turns them
into the bytes of one of ``FORMATS``; ``write_atomic`` puts bytes in a file so that a
reader never sees half of it. The same library always renders to the same bytes.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from linkindex import topics
from linkindex.errors import UserError
from linkindex.export.jsonfile import link_json
from linkindex.models import SITES, STATUSES
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

# Search results are collected page by page up to this many links.
_QUERY_PAGE = 500
_QUERY_MAX = 100_000

__all__ = [
    "FORMATS",
    "link_json",
    "media_type",
    "render",
    "select",
    "suffix",
    "write_atomic",
]


def _matching_ids(
    store: Store, *, topic: str | None, site: str | None, status: str | None
) -> list[int]:
    """Ids of the links still in the notes that pass the filters, by id.

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
        topic: a topic such as ``Pytorch > 参考`` (``topics.matches``: at any depth).
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
    if topic is not None and not topics.key(topic):
        raise UserError("--topic is empty; give a heading such as 'Pytorch > 参考'")
    ids = _matching_ids(store, topic=topic, site=site, status=status)
    if query is not None and query.strip():
        kept = set(ids)
        ids = [link_id for link_id in _search_ids(store, home, query) if link_id in kept]
    return store.link_records(ids)


def _search_ids(store: Store, home: Path, query: str) -> list[int]:
    from linkindex import search

    ids: list[int] = []
    page = 1
    while len(ids) < _QUERY_MAX:
        results = search.search(home, query, store=store, limit=_QUERY_PAGE, page=page)
        ids.extend(hit.link_id for hit in results.hits if hit.link_id not in ids)
        if len(results.hits) < _QUERY_PAGE or len(ids) >= results.total:
            break
        page += 1
    return ids


def render(records: Sequence[LinkRecord], fmt: str, *, title: str = "linkindex") -> bytes:
    """The records in format ``fmt`` (one of FORMATS) as bytes."""
    if fmt not in _FORMATS:
        raise UserError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    module = importlib.import_module(f"linkindex.export.{_FORMATS[fmt][0]}")
    data: bytes = module.render(records, title=title)
    return data


def suffix(fmt: str) -> str:
    """The usual file suffix of a format (``.md``, ``.epub``…)."""
    return _FORMATS[fmt][1]


def media_type(fmt: str) -> str:
    """The HTTP content type of a format, for the web UI's downloads."""
    return _FORMATS[fmt][2]


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader (or a crash) sees the old file or the new one, never half of it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
