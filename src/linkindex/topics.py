"""Topics: the notes' headings as one tree, and the one rule that selects links by a topic.

A link's *path* is the run of headings it stands under in a note (``("Pytorch", "参考")``).
A topic as people write it — ``crawl --topic``, search's ``topic:`` and ``--topic``,
``export --topic``, the web's ``?topic=`` — selects the links one of whose paths holds it:

* case-insensitively and full-width folded (``ＰｙＴｏｒｃｈ`` is ``pytorch``, ``／`` is ``/``);
* a text equal to a heading's whole name selects that heading, so a heading whose name
  holds ``>`` or ``/`` (``C/C++``) stays reachable;
* otherwise ``>`` and ``/`` split the text into a run of headings that stand in a row at
  any level: ``Pytorch > 参考`` selects ``Pytorch > 参考`` and ``框架 > Pytorch > 参考``,
  not ``Pytorch > 项目 > 参考``; ``参考`` selects every heading of that name.

Both are one comparison of *keys*: a text's key is its folded pieces between separators
joined by ``/`` (``key("Pytorch > 参考") == "pytorch/参考"``, ``key("C/C++") == "c/c++"``),
and a path holds a text when the keys of a run of its headings, joined by ``/``, make the
text's key (``path_keys``). The search index stores a link's ``path_keys``; everything
else calls ``matches``. The separators inside a heading's name and between headings are
alike to a key, so ``A > B`` also selects a heading named ``A>B``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Generic, TypeVar

from linkindex.analysis import fold

#: What splits a written topic into headings (full-width forms too: they fold to these).
_SEPARATORS = re.compile("[>/\uff1e\uff0f]")

E = TypeVar("E")

#: Keys and runs kept per process: more than the distinct headings and paths of a library.
_KEPT = 1 << 14


def parse(text: str) -> tuple[str, ...]:
    """A topic as typed, split into its headings as written (blanks dropped, not folded)."""
    return tuple(part.strip() for part in _SEPARATORS.split(text) if part.strip())


@lru_cache(maxsize=_KEPT)
def key(text: str) -> str:
    """A topic (or one heading's name) in the form every match compares: ``pytorch/参考``."""
    return "/".join(part.strip() for part in _SEPARATORS.split(fold(text)) if part.strip())


def label(path: Iterable[str]) -> str:
    """A path as people write it: ``Pytorch > 参考``."""
    return " > ".join(path)


def path_key(path: Sequence[str]) -> str:
    """The key of a whole path, its headings taken as one run."""
    return "/".join(k for k in map(key, path) if k)


def runs(path: Sequence[str]) -> frozenset[str]:
    """The keys of every run of headings in a row of ``path`` (what it can be selected by)."""
    return _runs(tuple(path))


@lru_cache(maxsize=_KEPT)
def _runs(path: tuple[str, ...]) -> frozenset[str]:
    # A library has a few thousand distinct paths, matched again for every placement.
    names = [k for k in map(key, path) if k]
    return frozenset(
        "/".join(names[begin:end])
        for begin in range(len(names))
        for end in range(begin + 1, len(names) + 1)
    )


def path_keys(paths: Iterable[Sequence[str]]) -> list[str]:
    """Every key by which one of ``paths`` is selected, sorted (what the index stores)."""
    return sorted(set().union(*(runs(path) for path in paths)))


def matches(text: str, path: Sequence[str]) -> bool:
    """Whether ``path`` lies under the topic ``text`` (an empty topic matches nothing)."""
    wanted = key(text)
    return bool(wanted) and wanted in _runs(tuple(path))


def selects(text: str, paths: Iterable[Sequence[str]]) -> bool:
    """Whether the topic ``text`` selects a link placed under ``paths``."""
    wanted = key(text)
    if wanted:  # a loop, not any(): this runs for every link of a library (~0.6 us each)
        for path in paths:
            if wanted in _runs(tuple(path)):
                return True
    return False


def below(text: str, path: Sequence[str]) -> tuple[str, ...] | None:
    """The headings of ``path`` after its first run that the topic ``text`` names.

    None when ``text`` does not select ``path``; ``()`` when that run ends the path.
    """
    wanted = key(text)
    named = [(at, k) for at, name in enumerate(path) if (k := key(name))]
    for begin in range(len(named)):
        joined = ""
        for at, name_key in named[begin:]:
            joined = f"{joined}/{name_key}" if joined else name_key
            if joined == wanted:
                return tuple(path[at + 1 :])
            if not wanted.startswith(joined + "/"):
                break
    return None


# -- the tree ----------------------------------------------------------------------------


@dataclass(slots=True)
class TopicNode(Generic[E]):
    """One heading of the merged tree: its links, and what a reading list files under it.

    ``links`` counts the distinct links at or under the heading, ``own`` those right
    under it; ``entries`` holds what a reading list puts right under it (export's).
    """

    name: str
    path: tuple[str, ...] = ()
    links: int = 0
    own: int = 0
    entries: list[E] = field(default_factory=list)
    children: list[TopicNode[E]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The written form of the path (``A > B``), which selects this heading."""
        return label(self.path)

    @property
    def key(self) -> str:
        """The key of the path (see ``path_key``)."""
        return path_key(self.path)

    def walk(self) -> Iterator[TopicNode[E]]:
        """This node and every node below it, depth first, in order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def count_entries(self) -> int:
        """How many entries this node and the nodes below it hold."""
        return sum(len(node.entries) for node in self.walk())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: name, path, links, own, children (``linkindex topics --json``)."""
        return {
            "name": self.name,
            "path": list(self.path),
            "links": self.links,
            "own": self.own,
            "children": [child.to_dict() for child in self.children],
        }


def node_at(nodes: dict[tuple[str, ...], TopicNode[E]], path: tuple[str, ...]) -> TopicNode[E]:
    """The node of ``path`` in ``nodes`` (every node by path, the root at ``()``).

    Missing nodes are made, parents first; a new node is its parent's last child.
    """
    node = nodes.get(path)
    if node is None:
        parent = node_at(nodes, path[:-1])
        node = TopicNode(name=path[-1], path=path)
        parent.children.append(node)
        nodes[path] = node
    return node


def tree(placements: Iterable[tuple[Any, Sequence[str]]]) -> list[TopicNode[Any]]:
    """The tree of ``(link, path)`` placements with distinct link counts.

    Children keep the order in which their headings first appear.
    """
    root: TopicNode[Any] = TopicNode(name="")
    nodes: dict[tuple[str, ...], TopicNode[Any]] = {(): root}
    direct: dict[tuple[str, ...], set[Any]] = {}
    for link, written in placements:
        path = tuple(written)
        if not path:
            continue
        found = direct.get(path)
        if found is None:
            node_at(nodes, path)
            found = direct[path] = set()
        found.add(link)
    # Per distinct path, not per placement: the unions run in C (25,000 links: ~10 ms).
    under: dict[tuple[str, ...], set[Any]] = {}
    for path, links in direct.items():
        for depth in range(1, len(path) + 1):
            bucket = under.get(path[:depth])
            if bucket is None:
                under[path[:depth]] = set(links)
            else:
                bucket |= links
    for path, node in nodes.items():
        if path:
            node.links = len(under[path])
            node.own = len(direct.get(path, ()))
    return root.children


def sort(nodes: list[TopicNode[E]], by: Any) -> None:
    """Sort every level of a tree in place by ``by(node)``."""
    nodes.sort(key=by)
    for node in nodes:
        sort(node.children, by)


def find(nodes: Iterable[TopicNode[E]], text: str) -> TopicNode[E] | None:
    """The first heading (depth first) whose whole path the topic ``text`` names, or None."""
    wanted = key(text)
    for top in nodes:
        for node in top.walk():
            if node.key == wanted:
                return node
    return None
