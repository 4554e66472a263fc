"""``export --format md``: topics as nested headings, one list item per link."""

from __future__ import annotations

import re
from collections.abc import Sequence

from linkindex.export.outline import Entry, TopicNode, archive_link, outline
from linkindex.printable import printable
from linkindex.store.records import LinkRecord

# Characters that would start Markdown syntax inside a line of text.
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
_NOT_IN_AUTOLINK = re.compile(r"[\s<>]")


def escape(text: str) -> str:
    """Text as literal Markdown inline content on one line (and printable)."""
    return _SPECIAL.sub(r"\\\1", " ".join(printable(text).split()))


def link_target(url: str) -> str:
    """A URL as a Markdown link destination (spaces and parentheses encoded)."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def link(title: str, url: str) -> str:
    """A Markdown link; a title that is only the URL again becomes an autolink ``<url>``."""
    if title == url and not _NOT_IN_AUTOLINK.search(url):
        return f"<{url}>"
    return f"[{escape(title)}]({link_target(url)})"


def render(records: Sequence[LinkRecord], *, title: str = "linkindex") -> bytes:
    """The records as a Markdown reading list."""
    lines = [f"# {escape(title)}", ""]
    root = outline(records)
    _entries(lines, root)
    for child in root.children:
        _topic(lines, child, depth=2)
    return printable("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")


def _topic(lines: list[str], node: TopicNode, *, depth: int) -> None:
    lines += [f"{'#' * min(depth, 6)} {escape(node.name)}", ""]
    _entries(lines, node)
    for child in node.children:
        _topic(lines, child, depth=depth + 1)


def _entries(lines: list[str], node: TopicNode) -> None:
    for entry in node.entries:
        lines.append(_item(entry))
    if node.entries:
        lines.append("")


def _item(entry: Entry) -> str:
    record = entry.record
    facts = [record.site]
    if entry.date:
        facts.append(entry.date)
    if record.status not in ("ok", "not_modified", "new"):
        facts.append(record.status)
    archive = archive_link(record)
    if archive:
        facts.append(f"[archive]({link_target(archive)})")
    item = f"- {link(entry.title, record.url)} — {' · '.join(facts)}"
    if entry.summary:
        item += f"\n  {escape(entry.summary)}"
    return item
