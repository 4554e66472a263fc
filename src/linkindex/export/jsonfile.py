"""``export --format json``: a JSON array, one object per link (see ``link_json``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from linkindex.export.outline import summary_of
from linkindex.store.records import LinkRecord


def link_json(record: LinkRecord) -> dict[str, Any]:
    """The JSON object of one link, as ``export --format json`` and the web API give it."""
    page = record.page
    return {
        "id": record.id,
        "url": record.url,
        "canonical_url": record.canonical_url,
        "site": record.site,
        "host": record.host,
        "status": record.status,
        "title": record.title,
        "note_title": record.placements[0].note_title if record.placements else "",
        "page_title": page.title if page is not None else None,
        "summary": summary_of(record),
        "topics": [list(topic) for topic in record.topics],
        "placements": [
            {
                "note_path": p.note_path,
                "note_title": p.note_title,
                "note_date": p.note_date,
                "line": p.line,
                "category": p.category,
                "topic": list(p.topic),
                "title": p.title,
                "description": p.description,
                "label": p.label,
            }
            for p in record.placements
        ],
        "author": page.author if page is not None else None,
        "account": page.account if page is not None else None,
        "published_at": record.published_at,
        "fetched_at": record.fetched_at,
        "checked_at": record.checked_at,
        "next_fetch_at": record.next_fetch_at,
        "http_status": record.http_status,
        "final_url": record.final_url,
        "error": record.error,
        "archive_url": record.archive_url,
        "from_archive": bool(page.from_archive) if page is not None else False,
        "first_seen_at": record.first_seen_at,
        "removed_at": record.removed_at,
    }


def render(records: Sequence[LinkRecord], *, title: str = "linkindex") -> bytes:
    """The records as a pretty-printed UTF-8 JSON array (``title`` is not used)."""
    del title
    text = json.dumps([link_json(r) for r in records], ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")
