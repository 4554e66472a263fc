"""Facet counts, the topic tree and browsing the library without a query.

Reads the store through its summary methods (SQL stays in the store). Counting is
pure Python over ``(site, status, topics)`` entries, so the same code counts a search's
hits and the whole library.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from linkindex.export.outline import topic_label
from linkindex.models import SITES, STATUSES


def within(topics: Iterable[Sequence[str]], wanted: Sequence[str]) -> bool:
    """Whether any of a link's topic paths lies under ``wanted`` (or is it)."""
    size = len(wanted)
    return any(tuple(topic[:size]) == tuple(wanted) for topic in topics)


@dataclass(slots=True)
class TopicNode:
    """One heading in the taxonomy with the number of links at or under it."""

    name: str
    path: tuple[str, ...]
    count: int = 0
    children: list[TopicNode] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The written form of the path (``A > B``)."""
        return topic_label(self.path)

    def as_json(self) -> dict[str, Any]:
        """The node and its children as plain JSON data."""
        return {
            "name": self.name,
            "path": list(self.path),
            "topic": self.label,
            "count": self.count,
            "children": [child.as_json() for child in self.children],
        }


@dataclass(slots=True)
class Facets:
    """Counts by topic (a tree), site and status."""

    topics: list[TopicNode]
    sites: list[tuple[str, int]]
    statuses: list[tuple[str, int]]

    def as_json(self) -> dict[str, Any]:
        """Plain JSON data: the topic tree and ``{name: count}`` maps."""
        return {
            "topics": [node.as_json() for node in self.topics],
            "sites": dict(self.sites),
            "statuses": dict(self.statuses),
        }


#: One link as facets see it: site, status and the topic paths of its placements.
Entry = tuple[str, str, Sequence[Sequence[str]]]


def count_facets(entries: Iterable[Entry]) -> Facets:
    """Count links by site, status and topic; a link counts once under each heading."""
    sites: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    per_path: Counter[tuple[str, ...]] = Counter()
    for site, status, topics in entries:
        sites[site] += 1
        statuses[status] += 1
        prefixes = {tuple(topic[:depth]) for topic in topics for depth in range(1, len(topic) + 1)}
        per_path.update(prefixes)
    return Facets(
        topics=build_tree(per_path),
        sites=_ordered(sites, SITES),
        statuses=_ordered(statuses, STATUSES),
    )


def build_tree(counts: Counter[tuple[str, ...]] | dict[tuple[str, ...], int]) -> list[TopicNode]:
    """The topic tree from per-path counts, children sorted by count then name."""
    nodes: dict[tuple[str, ...], TopicNode] = {}
    roots: list[TopicNode] = []
    for path in sorted(counts, key=len):
        node = TopicNode(name=path[-1], path=path, count=counts[path])
        nodes[path] = node
        parent = nodes.get(path[:-1])
        (parent.children if parent is not None else roots).append(node)
    _sort(roots)
    return roots


def _sort(nodes: list[TopicNode]) -> None:
    nodes.sort(key=lambda n: (-n.count, n.name))
    for node in nodes:
        _sort(node.children)


def _ordered(counter: Counter[str], order: Sequence[str]) -> list[tuple[str, int]]:
    known = [(name, counter[name]) for name in order if counter[name]]
    other = sorted((name, n) for name, n in counter.items() if name not in order and n)
    return known + other


def find_node(nodes: list[TopicNode], path: Sequence[str]) -> TopicNode | None:
    """The node of a topic path in a tree, or None."""
    for node in nodes:
        if node.path == tuple(path):
            return node
        if tuple(path[: len(node.path)]) == node.path:
            return find_node(node.children, path)
    return None


@dataclass(slots=True)
class LibraryLink:
    """What browsing needs of a link: id, site, status and topic paths."""

    id: int
    site: str
    status: str
    topics: list[list[str]]


def library_links(store: Any) -> list[LibraryLink]:
    """Every link still in the notes, newest first, with its topic paths."""
    links: dict[int, LibraryLink] = {}
    for link_id, site, status, topic in store.link_topic_rows(newest_first=True):
        link = links.get(link_id)
        if link is None:
            link = links[link_id] = LibraryLink(link_id, site, status, [])
        if topic and topic not in link.topics:
            link.topics.append(topic)
    return list(links.values())


def filter_links(
    links: Iterable[LibraryLink],
    *,
    topic: Sequence[str] = (),
    site: str | None = None,
    status: str | None = None,
) -> list[LibraryLink]:
    """The links under a topic, on a site and with a status (each filter optional)."""
    return [
        link
        for link in links
        if (not topic or within(link.topics, topic))
        and (site is None or link.site == site)
        and (status is None or link.status == status)
    ]
