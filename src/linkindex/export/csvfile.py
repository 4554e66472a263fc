"""``export --format csv``: one row per link, UTF-8 with a BOM so spreadsheets read Chinese.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK(…)``, ``=cmd|…``), and they may trim leading whitespace and invisible
characters and fold compatibility forms first: a cell whose first character after any
whitespace (tab and line breaks too) and format characters (soft hyphen, zero-width and
bidi controls, BOM: Unicode's ``Cf``) is one of those, or a full-width or other form of
one (``＝``, ``＋``, ``－``, ``＠``, ``﹦``: NFKC), and a cell that starts with a tab or a
line break, gets a leading ``'`` (OWASP's rule for CSV injection), which shows the text
as written. Cells are also made ``printable``.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence

from linkindex.export.outline import date_of, summary_of
from linkindex.printable import printable
from linkindex.store.records import LinkRecord
from linkindex.topics import distinct, label

#: The signs that make a cell a formula (OWASP), as NFKC folds them.
FORMULA_SIGNS = frozenset("=+-@")
#: How a cell that is neutralised whatever follows starts: tab and carriage return
#: (OWASP; ``printable`` makes a carriage return a newline, so that too).
_BLANK_STARTS = ("\t", "\r", "\n")


def is_formula(text: str) -> bool:
    """Whether a spreadsheet might run ``text`` as a formula (see the module's rule)."""
    if text.startswith(_BLANK_STARTS):
        return True
    for char in text:
        if char.isspace() or unicodedata.category(char) == "Cf":
            continue  # what a spreadsheet may trim, or not show, before the formula
        return unicodedata.normalize("NFKC", char)[:1] in FORMULA_SIGNS
    return False


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
                " | ".join(label(t) for t in distinct(record.topics)),
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
    return "'" + text if is_formula(text) else text
