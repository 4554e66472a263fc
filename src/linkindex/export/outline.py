"""A reading list's shape: links grouped under their topic paths, in the notes' order.

Every format that groups by topic (md, html, opml, netscape, epub) walks this outline,
so they all agree on order. A link placed under two topics appears under both; a link
with no heading above it sits at the top level.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from linkindex import topics
from linkindex.store.records import LinkRecord, PlacementRecord

#: A one-line summary is cut to this many characters (a phone screen's two lines).
SUMMARY_CHARS = 160

_SPACES = re.compile(r"\s+")


@dataclass(slots=True)
class Entry:
    """One link at one place in the outline."""

    record: LinkRecord
    placement: PlacementRecord | None

    @property
    def position(self) -> tuple[str, int, int]:
        """Where the notes put it: note path, line, then link id to break ties."""
        if self.placement is None:
            return ("\uffff", 0, self.record.id)
        return (self.placement.note_path, self.placement.line, self.record.id)

    @property
    def title(self) -> str:
        """The placement's own title, else the link's best title."""
        if self.placement is not None and self.placement.title:
            return self.placement.title
        return self.record.title

    @property
    def summary(self) -> str:
        """One line about the link (see ``summary_of``)."""
        return summary_of(self.record, self.placement)

    @property
    def date(self) -> str:
        """``YYYY-MM-DD``: when the page was published, else the note's date, else ''."""
        return date_of(self.record, self.placement)


#: A heading of the outline: its entries are the links right under it.
TopicNode = topics.TopicNode[Entry]


def outline(records: Iterable[LinkRecord]) -> TopicNode:
    """Group records under their topic paths; order follows the notes (path, line)."""
    root: TopicNode = TopicNode(name="")
    nodes: dict[tuple[str, ...], TopicNode] = {(): root}
    firsts: dict[tuple[str, ...], tuple[str, int, int]] = {}
    spelled: Counter[tuple[str, ...]] = Counter()
    for record in records:
        # (each spelling its links, as topics.tree counts them)
        spelled.update({tuple(placement.topic) for placement in record.placements})
        for entry in _entries(record):
            path = tuple(entry.placement.topic) if entry.placement else ()
            node = topics.node_at(nodes, path)
            node.entries.append(entry)
            folded = topics.node_key(path)
            for depth in range(len(path) + 1):
                key = folded[:depth]
                if key not in firsts or entry.position < firsts[key]:
                    firsts[key] = entry.position
    topics.spell(nodes, spelled)  # (named as linkindex topics and the web name them)
    for node in nodes.values():
        node.entries.sort(key=lambda e: e.position)
        node.children.sort(
            key=lambda child: (
                firsts.get(topics.node_key(child.path), ("\uffff", 0, 0)),
                child.name,
            )
        )
    return root


def _entries(record: LinkRecord) -> list[Entry]:
    """One entry per distinct node of the record's topic paths (its first placement
    there): a path written in another script or case is the same node (``node_key``)."""
    seen: set[tuple[str, ...]] = set()
    entries: list[Entry] = []
    for placement in record.placements:
        key = topics.node_key(placement.topic)
        if key not in seen:
            seen.add(key)
            entries.append(Entry(record, placement))
    return entries or [Entry(record, None)]


def one_line(text: str, limit: int = SUMMARY_CHARS) -> str:
    """Text with its whitespace folded, cut to ``limit`` characters with an ellipsis."""
    folded = _SPACES.sub(" ", text).strip()
    if len(folded) <= limit:
        return folded
    return folded[: limit - 1].rstrip() + "…"


def summary_of(record: LinkRecord, placement: PlacementRecord | None = None) -> str:
    """The notes' description, else the page's description, else its text's start."""
    candidates = [placement.description if placement else ""]
    candidates += [p.description for p in record.placements]
    if record.page is not None:
        candidates += [record.page.description, record.page.text]
    for text in candidates:
        if text and text.strip():
            return one_line(text)
    return ""


def date_of(record: LinkRecord, placement: PlacementRecord | None = None) -> str:
    """``YYYY-MM-DD``: publication date of the page, else the note's date, else ''."""
    if record.published_at:
        return record.published_at[:10]
    if placement is not None and placement.note_date:
        return placement.note_date[:10]
    return ""


def archive_link(record: LinkRecord) -> str:
    """The archived copy to offer instead of a link that no longer works, or ''."""
    if record.archive_url and record.status in ("dead", "blocked", "error"):
        return record.archive_url
    return ""


def is_web_url(url: str) -> bool:
    """Whether a URL is safe to put in an ``href`` (http or https only)."""
    return url.lower().startswith(("http://", "https://"))
