"""``export --format netscape``: a browser bookmarks file, topics as folders.

The format Firefox and Chrome import (``NETSCAPE-Bookmark-file-1``): ``<DT><H3>`` is a
folder, ``<DT><A HREF>`` a bookmark, ``<DD>`` its description.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from linkindex.export.outline import Entry, TopicNode, is_web_url, outline
from linkindex.models import from_iso
from linkindex.printable import printable
from linkindex.store.records import LinkRecord

_HEADER = """<!DOCTYPE NETSCAPE-Bookmark-file-1>
<!-- This is an automatically generated file.
     It will be read and overwritten.
     DO NOT EDIT! -->
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">"""


def render(records: Sequence[LinkRecord], *, title: str = "linkindex") -> bytes:
    """The records as a Netscape bookmarks file under one top folder named ``title``."""
    lines = [
        _HEADER,
        f"<TITLE>{escape(title)}</TITLE>",
        f"<H1>{escape(title)}</H1>",
        "<DL><p>",
    ]
    root = outline(records)
    lines.append(f"    <DT><H3>{escape(title)}</H3>")
    lines.append("    <DL><p>")
    _fill(lines, root, indent=2)
    lines.append("    </DL><p>")
    lines.append("</DL><p>")
    # printable: browsers refuse a bookmarks file with control characters in it.
    return printable("\n".join(lines) + "\n").encode("utf-8")


def _fill(lines: list[str], node: TopicNode, *, indent: int) -> None:
    pad = "    " * indent
    for entry in node.entries:
        if is_web_url(entry.record.url):
            lines.extend(_bookmark(entry, pad))
    for child in node.children:
        lines.append(f"{pad}<DT><H3>{escape(child.name)}</H3>")
        lines.append(f"{pad}<DL><p>")
        _fill(lines, child, indent=indent + 1)
        lines.append(f"{pad}</DL><p>")


def _bookmark(entry: Entry, pad: str) -> list[str]:
    record = entry.record
    added = int(from_iso(record.first_seen_at).timestamp()) if record.first_seen_at else 0
    line = f'{pad}<DT><A HREF="{escape(record.url)}" ADD_DATE="{added}">{escape(entry.title)}</A>'
    lines = [line]
    if entry.summary:
        lines.append(f"{pad}<DD>{escape(entry.summary)}")
    return lines
