"""A note's Jekyll front matter: its fields, and the date of the note.

Only the few shapes Jekyll posts use are read (``key: value``, ``key: [a, b]`` and
``- item`` lists); a full YAML parser would cost more than the rest of the parse.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePath

__all__ = ["JEKYLL_DATE", "front_matter", "note_date", "strings"]

#: A Jekyll post's file name starts with its date: ``2018-3-1-name.markdown``.
JEKYLL_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-")


def front_matter(text: str) -> tuple[dict[str, object], str, int]:
    """(fields, body, number of lines before the body)."""
    if not text.startswith("---"):
        return {}, text, 0
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return {}, text, 0
    fields: dict[str, object] = {}
    key = ""
    for raw in lines[1:end]:
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        item = re.match(r"^\s+-\s+(.*)$", raw) or re.match(r"^-\s+(.*)$", raw)
        if item and key:
            value = fields.get(key)
            items = value if isinstance(value, list) else []
            items.append(_scalar(item.group(1)))
            fields[key] = items
            continue
        name, colon, value = raw.partition(":")
        if not colon or raw[0].isspace():
            continue
        key = name.strip().lower()
        fields[key] = _value(value.strip())
    return fields, "\n".join(lines[end + 1 :]), end + 1


def _scalar(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _value(text: str) -> object:
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(part) for part in text[1:-1].split(",") if part.strip()]
    return _scalar(text)


def strings(value: object) -> tuple[str, ...]:
    """A field as a tuple of strings: a list as it is, a string split at spaces."""
    if isinstance(value, list):
        return tuple(str(v) for v in value if str(v))
    if isinstance(value, str) and value:
        return tuple(value.split())
    return ()


def note_date(fields: dict[str, object], path: str) -> str | None:
    """YYYY-MM-DD from the front matter's date, else from a Jekyll file name."""
    written = fields.get("date")
    if isinstance(written, str):
        match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", written)
        if match:
            found = _ymd(*match.groups())
            if found:
                return found
    match = JEKYLL_DATE.match(PurePath(path).name)
    return _ymd(*match.groups()) if match else None


def _ymd(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None
