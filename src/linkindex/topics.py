"""Topics: the notes' headings as one tree, and the one rule that selects links by a topic.

A link's *path* is the run of headings it stands under in a note (``("Pytorch", "参考")``).
A topic as people write it — ``crawl --topic``, search's ``topic:`` and ``--topic``,
``export --topic``, the web's ``?topic=`` — selects the links one of whose paths holds it:

* case-insensitively and full-width folded (``ＰｙＴｏｒｃｈ`` is ``pytorch``, ``／`` is ``/``);
* a text equal to a heading's whole name selects that heading, so a heading whose name
  holds ``>`` or ``/`` (``C/C++``) stays reachable;
* otherwise ``>`` and ``/`` split the text into a run of headings that stand in a row at
  any level: ``Pytorch > 参考`` selects ``Pytorch > 参考`` and ``框架 > Pytorch > 参考``,
  not ``Pytorch > 项目 > 参考``; ``参考`` selects every heading of that name. A part of
  the text between separators that is a heading's whole name stays that one heading (the
  longest such part, from the left), so a path's label names it: ``A>B > 工具`` is the
  heading ``A>B``, then ``工具``.

In a library with a heading ``C/C++`` and a path ``C > C++``, ``C/C++`` (and ``c／c＋＋``)
selects the heading alone and ``C > C++`` the path alone; ``A > B`` is not the heading
``A>B``.

All of it is one comparison of *keys*. A heading's key is its folded name, its own ``>``
and ``/`` written as private-use characters (``name_key``), so a name's key never holds
the ``/`` that joins the headings of a path's key (``path_key(("C", "C++")) == "c/c++"``,
``path_key(("C/C++",)) == "c\\ue02fc++"``). A path holds a topic when the key of a run of
its headings is the topic's key (``runs``, ``path_keys``: what the search index stores).
Which key a text has depends on the library's headings, so ``key`` is given the library's
name keys (``Known``: ``names``, or the index's own terms);
``matches``, ``selects``, ``below`` and ``find`` then compare keys.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Generic, NewType, Protocol, TypeVar

from linkindex.analysis import fold

#: A topic's key (from ``key``, ``path_key``): what every match compares.
Key = NewType("Key", str)
#: The key of a text with no heading in it (blank, or separators only): it selects nothing.
EMPTY = Key("")

#: What splits a written topic into headings (full-width forms too: they fold to these).
_SEPARATORS = re.compile("[>/\uff1e\uff0f]")
#: The separators after ``_fold``.
_SEPARATOR = re.compile("[>/]")
#: ``analysis.fold`` leaves the full-width separators as they are.
_NARROW = str.maketrans({"\uff1e": ">", "\uff0f": "/"})
#: A heading's own ``>`` and ``/`` in its key: private-use characters, so no heading's key
#: holds the ``/`` that joins headings. (A name that holds these very characters would
#: meet a separator's stand-in; notes are text people write, and they do not.)
_OWN = str.maketrans({">": "\ue03e", "/": "\ue02f"})

E = TypeVar("E")
P = TypeVar("P", bound=Sequence[str])

#: Keys and runs kept per process: more than the distinct headings and paths of a library.
_KEPT = 1 << 14


def parse(text: str) -> tuple[str, ...]:
    """A topic as typed, split at every separator (blanks dropped, not folded)."""
    return tuple(part.strip() for part in _SEPARATORS.split(text) if part.strip())


def _fold(text: str) -> str:
    return fold(text).translate(_NARROW)


@lru_cache(maxsize=_KEPT)
def name_key(name: str) -> str:
    """One heading's key: its folded name, its own ``>`` and ``/`` kept apart."""
    return _fold(name).strip().translate(_OWN)


class Known(Protocol):
    """What ``key`` asks of a library: which heading keys (``name_key``) it has."""

    def __contains__(self, name: object, /) -> bool:
        """Whether a heading of the library has the key ``name``."""
        ...

    def begins(self, prefix: str) -> bool:
        """Whether some heading's key may begin with ``prefix`` (never False when one does)."""
        ...


class Names:
    """The heading keys of a library (``names``): the ``Known`` a topic resolves by."""

    __slots__ = ("_keys", "_sorted")

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = frozenset(keys)
        self._sorted = sorted(self._keys)

    def __contains__(self, name: object) -> bool:
        return name in self._keys

    def begins(self, prefix: str) -> bool:
        """Whether some heading's key begins with ``prefix``."""
        at = bisect_left(self._sorted, prefix)
        return at < len(self._sorted) and self._sorted[at].startswith(prefix)


def names(paths: Iterable[Sequence[str]]) -> Names:
    """The keys of every heading of ``paths``: the library's names ``key`` resolves by."""
    distinct = {name for path in paths for name in path}
    return Names(found for found in map(name_key, distinct) if found)


def key(text: str, known: Known) -> Key:
    """The key a topic as typed selects by, in a library whose heading keys are ``known``.

    The text is cut at its separators; from the left, the longest stretch of pieces that is
    a heading's whole name (its ``name_key`` in ``known``) becomes one heading, else the next
    piece does. So the whole text first: ``C/C++`` is one heading where a heading has that
    name, else ``C`` then ``C++``. Only texts with a separator ask ``known``.
    """
    folded = _fold(text)
    cuts = [cut.start() for cut in _SEPARATOR.finditer(folded)]
    if not cuts:
        return Key(folded.strip())
    own = folded.translate(_OWN)  # the same length: a stretch of it is a name's key
    starts = [0, *(at + 1 for at in cuts)]
    ends = [*cuts, len(folded)]
    headings: list[str] = []
    first = 0
    while first < len(starts):
        begin, longest = starts[first], first
        # A stretch is looked up only while some name begins with it and the separator
        # after it: a few look-ups per piece, however many separators the text holds.
        for last in range(first + 1, len(starts)):
            if not known.begins(own[begin : ends[last - 1] + 1].lstrip()):
                break
            if own[begin : ends[last]].strip() in known:
                longest = last
        if longest > first:
            headings.append(own[begin : ends[longest]].strip())
        elif piece := folded[begin : ends[first]].strip():
            headings.append(piece)
        first = longest + 1
    return Key("/".join(headings))


def label(path: Iterable[str]) -> str:
    """A path as people write it: ``Pytorch > 参考``."""
    return " > ".join(path)


def path_key(path: Sequence[str]) -> Key:
    """The key of a whole path, its headings taken as one run."""
    return Key("/".join(k for k in map(name_key, path) if k))


def runs(path: Sequence[str]) -> frozenset[str]:
    """The keys of every run of headings in a row of ``path`` (what it can be selected by)."""
    return _runs(tuple(path))


@lru_cache(maxsize=_KEPT)
def _runs(path: tuple[str, ...]) -> frozenset[str]:
    # A library has a few thousand distinct paths, matched again for every placement.
    keys = [k for k in map(name_key, path) if k]
    return frozenset(
        "/".join(keys[begin:end])
        for begin in range(len(keys))
        for end in range(begin + 1, len(keys) + 1)
    )


def path_keys(paths: Iterable[Sequence[str]]) -> list[str]:
    """Every key by which one of ``paths`` is selected, sorted (what the index stores).

    Each heading's own key is among them, so the index answers whether a library has a
    heading of some name (the ``known`` of ``key``).
    """
    return sorted(set().union(*(runs(path) for path in paths)))


def matches(wanted: Key, path: Sequence[str]) -> bool:
    """Whether ``path`` lies under the topic of key ``wanted`` (an empty key: nothing)."""
    return bool(wanted) and wanted in _runs(tuple(path))


def selects(wanted: Key, paths: Iterable[Sequence[str]]) -> bool:
    """Whether the topic of key ``wanted`` selects a link placed under ``paths``."""
    if wanted:  # a loop, not any(): this runs for every link of a library (~0.6 us each)
        for path in paths:
            if wanted in _runs(tuple(path)):
                return True
    return False


def below(wanted: Key, path: Sequence[str]) -> tuple[str, ...] | None:
    """The headings of ``path`` after its first run whose key is ``wanted``.

    None when the topic does not select ``path``; ``()`` when that run ends the path.
    """
    keyed = [(at, k) for at, name in enumerate(path) if (k := name_key(name))]
    for begin in range(len(keyed)):
        joined = ""
        for at, one in keyed[begin:]:
            joined = f"{joined}/{one}" if joined else one
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
    def key(self) -> Key:
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


def node_key(path: Sequence[str]) -> tuple[str, ...]:
    """The key of a heading path's node in a tree: each heading's key (``name_key``), so
    headings written in either script or case (``深度學習``, ``深度学习``) are one node,
    as they are one topic to every selection."""
    return tuple(map(name_key, path))


def distinct(paths: Iterable[P]) -> list[P]:
    """``paths`` in their order, without a path that is the same topic as an earlier one
    (``深度學習 > 強化學習`` after ``深度学习 > 强化学习``): a link's topics as it is shown,
    each once, as its first placement writes it."""
    kept: dict[tuple[str, ...], P] = {}
    for path in paths:
        kept.setdefault(node_key(path), path)
    return list(kept.values())


def node_at(nodes: dict[tuple[str, ...], TopicNode[E]], path: tuple[str, ...]) -> TopicNode[E]:
    """The node of ``path`` in ``nodes`` (every node by ``node_key``, the root at ``()``).

    Missing nodes are made, parents first, named as ``path`` first writes them; a new
    node is its parent's last child.
    """
    wanted = node_key(path)
    node = nodes.get(wanted)
    if node is None:
        parent = node_at(nodes, path[:-1])
        node = TopicNode(name=path[-1], path=(*parent.path, path[-1]))
        parent.children.append(node)
        nodes[wanted] = node
    return node


def tree(placements: Iterable[tuple[Any, Sequence[str]]]) -> list[TopicNode[Any]]:
    """The tree of ``(link, path)`` placements with distinct link counts.

    Children keep the order in which their headings first appear; a heading written in
    another script or case is the same node (``node_key``), named as ``spell`` names it.
    """
    root: TopicNode[Any] = TopicNode(name="")
    nodes: dict[tuple[str, ...], TopicNode[Any]] = {(): root}
    written: dict[tuple[str, ...], set[Any]] = {}
    for link, path in placements:
        if not path:
            continue
        found = written.get(path := tuple(path))
        if found is None:
            found = written[path] = set()
        found.add(link)
    direct: dict[tuple[str, ...], set[Any]] = {}
    for path, links in written.items():
        node_at(nodes, path)
        key = node_key(path)
        direct[key] = direct[key] | links if key in direct else links
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
    spell(nodes, {path: len(links) for path, links in written.items()})
    return root.children


def spell(
    nodes: dict[tuple[str, ...], TopicNode[E]], counts: Mapping[tuple[str, ...], int]
) -> None:
    """Name each node of a tree (``nodes`` by ``node_key``) by the spelling of its heading
    that ``counts`` (placements per written path) has most, the lowest in code point
    order on a tie (``深度学习`` before ``深度學習``), whatever order the links came in;
    and each node's path by its parents' names."""
    spellings: dict[tuple[str, ...], dict[str, int]] = {}
    for path, count in counts.items():
        key = node_key(path)
        for depth in range(1, len(path) + 1):
            names = spellings.setdefault(key[:depth], {})
            names[path[depth - 1]] = names.get(path[depth - 1], 0) + count
    stack = [nodes[()]]
    while stack:
        parent = stack.pop()
        for child in parent.children:
            counted = spellings.get(node_key(child.path))
            if counted and len(counted) > 1:
                child.name = min(counted.items(), key=lambda item: (-item[1], item[0]))[0]
            child.path = (*parent.path, child.name)
            stack.append(child)


def sort(nodes: list[TopicNode[E]], by: Any) -> None:
    """Sort every level of a tree in place by ``by(node)``."""
    nodes.sort(key=by)
    for node in nodes:
        sort(node.children, by)


def find(nodes: Iterable[TopicNode[E]], wanted: Key) -> TopicNode[E] | None:
    """The first heading (depth first) whose whole path has the key ``wanted``, or None."""
    for top in nodes:
        for node in top.walk():
            if node.key == wanted:
                return node
    return None
