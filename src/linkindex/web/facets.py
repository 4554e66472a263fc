"""Facet counts, the topic tree and browsing the library without a query.

Reads the store through its summary methods (SQL stays in the store). Counting is
pure Python over ``(site, status, topics)`` entries, so the same code counts a search's
hits and the whole library.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from linkindex import topics
from linkindex.models import SITES, STATUSES
from linkindex.topics import TopicNode
from linkindex.web.topiclinks import topic_param


@dataclass(slots=True)
class Facets:
    """Counts by topic (a tree), site and status."""

    topics: list[TopicNode[Any]]
    sites: list[tuple[str, int]]
    statuses: list[tuple[str, int]]

    def as_json(self) -> dict[str, Any]:
        """Plain JSON data: the topic tree and ``{name: count}`` maps."""
        return {
            "topics": [topic_json(node) for node in self.topics],
            "sites": dict(self.sites),
            "statuses": dict(self.statuses),
        }


#: One link as facets see it: site, status and the topic paths of its placements.
Entry = tuple[str, str, Sequence[Sequence[str]]]


def topic_json(node: TopicNode[Any]) -> dict[str, Any]:
    """A heading and its children as the web's JSON: name, path, topic, count, children.

    ``topic`` is what ``?topic=`` takes to open it (``topiclinks.topic_param``).
    """
    return {
        "name": node.name,
        "path": list(node.path),
        "topic": topic_param(node.label),
        "count": node.links,
        "children": [topic_json(child) for child in node.children],
    }


def count_facets(entries: Iterable[Entry]) -> Facets:
    """Count links by site, status and topic; a link counts once under each heading.

    The topic tree's children are sorted by count, then name.
    """
    sites: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    placements: list[tuple[int, Sequence[str]]] = []
    for number, (site, status, paths) in enumerate(entries):
        sites[site] += 1
        statuses[status] += 1
        placements.extend((number, path) for path in paths)
    tree = topics.tree(placements)
    topics.sort(tree, lambda node: (-node.links, node.name))
    return Facets(
        topics=tree,
        sites=_ordered(sites, SITES),
        statuses=_ordered(statuses, STATUSES),
    )


def _ordered(counter: Counter[str], order: Sequence[str]) -> list[tuple[str, int]]:
    known = [(name, counter[name]) for name in order if counter[name]]
    other = sorted((name, n) for name, n in counter.items() if name not in order and n)
    return known + other


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
    topic: topics.Key | None = None,
    site: str | None = None,
    status: str | None = None,
) -> list[LibraryLink]:
    """The links under the topic of key ``topic`` (``topics.selects``), on a site and with
    a status.

    Each filter is optional.
    """
    return [
        link
        for link in links
        if (topic is None or topics.selects(topic, link.topics))
        and (site is None or link.site == site)
        and (status is None or link.status == status)
    ]
