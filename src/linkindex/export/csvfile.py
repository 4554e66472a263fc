"""``export --format csv``: one row per link, UTF-8 with a BOM so spreadsheets read Chinese.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK(…)``, ``=cmd|…``), and they trim leading spaces first: such cells, also
after spaces or invisible characters (`` =HYPERLINK(…)``), and those starting with a tab
or a line break, get a leading ``'`` (OWASP's rule for CSV injection), which shows the
text as written. Cells are also made ``printable``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from linkindex.export.outline import date_of, summary_of
from linkindex.printable import printable
from linkindex.store.records import LinkRecord
from linkindex.topics import label

#: How a cell that a spreadsheet would run as a formula starts (OWASP: = + - @, tab and
#: carriage return; ``printable`` makes a carriage return a newline, so that too).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

#: What a spreadsheet may skip before a formula: spaces (also no-break and ideographic
#: ones) and invisible characters.
_SKIPPED = " \u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u3000"
_SKIPPED += "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"

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
            _cell(value)
            for value in [
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


def _cell(value: object) -> object:
    """A cell as written: text made printable, and never a formula."""
    if not isinstance(value, str):
        return value
    text = printable(value)
    return "'" + text if text.lstrip(_SKIPPED).startswith(FORMULA_STARTS) else text
