"""``export --format csv``: one row per link, UTF-8 with a BOM so spreadsheets read Chinese."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from linkindex.export.outline import date_of, summary_of
from linkindex.store.records import LinkRecord
from linkindex.topics import label

COLUMNS: tuple[str, ...] = (
    "url",
    "canonical_url",
    "title",
    "site",
    "status",
    "topics",
    "note_title",
    "note_path",
    "line",
    "date",
    "published_at",
    "fetched_at",
    "archive_url",
    "summary",
)


def render(records: Sequence[LinkRecord], *, title: str = "linkindex") -> bytes:
    """The records as CSV; several topics are joined with `` | ``."""
    del title
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record in records:
        first = record.placements[0] if record.placements else None
        writer.writerow(
            [
                record.url,
                record.canonical_url,
                record.title,
                record.site,
                record.status,
                " | ".join(label(t) for t in record.topics),
                first.note_title if first else "",
                first.note_path if first else "",
                first.line if first else "",
                date_of(record, first),
                record.published_at or "",
                record.fetched_at or "",
                record.archive_url or "",
                summary_of(record),
            ]
        )
    return out.getvalue().encode("utf-8-sig")
