"""Running queries: the best hits, whether any match, spelling, a link's key terms.

``engine`` evaluates the queries ``queries.to_whoosh`` builds; whoosh's own collector
runs any other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from whoosh import query
from whoosh.reading import TermNotFound

from linkindex.index.queries import QuerySpec, to_whoosh


@dataclass(slots=True)
class Found:
    """One page of matching link ids, best first, and how many match in all."""

    ids: list[int]
    scores: list[float]
    total: int


def _collect(searcher: Any, wanted: query.Query, top: int) -> Any:
    """whoosh's own evaluation: score every match in one pass, keeping the best ``top``.

    Used for queries ``engine`` does not handle. whoosh's default skips blocks that
    cannot reach the top and then miscounts, so block quality is off (one exact pass).
    """
    from whoosh import collectors  # (here: with its sorting module, ~2 ms a search never needs)

    collector = collectors.TopCollector(top, usequality=False, replace=0)
    searcher.search_with_collector(wanted, collector)
    return collector


def best(searcher: Any, wanted: query.Query, top: int) -> tuple[list[tuple[int, float]], int]:
    """The ``top`` best matches as (link id, score), and how many match in all.

    Best score first; equal scores in index order, as whoosh orders them.
    """
    from linkindex.index import engine

    try:
        found, total = engine.best(searcher, wanted, top)
    except engine.Unsupported:
        collector = _collect(searcher, wanted, top)
        hits = [(int(h["id"]), float(h.score or 0.0)) for h in collector.results()]
        return hits, int(collector.total)
    return [(int(searcher.stored_fields(d)["id"]), s) for d, s in found], total


def run(searcher: Any, spec: QuerySpec, cut: Any, *, limit: int, page: int) -> Found:
    """Search: the page ``page`` (1-based) of ``limit`` links, and how many match."""
    wanted = to_whoosh(spec, cut, known(searcher), headings=Headings(searcher))
    hits, total = best(searcher, wanted, limit * page)
    shown = hits[limit * (page - 1) :]
    return Found(ids=[i for i, _ in shown], scores=[s for _, s in shown], total=total)


def matches(searcher: Any, spec: QuerySpec, cut: Any) -> bool:
    """Whether any link matches (what a suggestion needs: not how many)."""
    from linkindex.index import engine

    wanted = to_whoosh(spec, cut, known(searcher), headings=Headings(searcher))
    try:
        return engine.matches(searcher, wanted)
    except engine.Unsupported:
        return bool(_collect(searcher, wanted, 1).total)


def known(searcher: Any) -> Any:
    """Whether the index has a word (in any document's text): ``known(searcher)(word)``."""
    from linkindex.index import engine

    # the evaluator looks the word up in each segment anyway: once for both
    return lambda word: engine.frequency(searcher, "text", word) > 0


class Headings:
    """The keys of the headings the index holds, which ``topics.key`` resolves a topic by.

    A heading's key is a ``topic`` term of every link placed under it (``topics.path_keys``
    holds each heading's own key), so ``key in Headings(searcher)`` asks the index whether
    a link still in it stands under a heading of that name: a handful of term look-ups per
    topic, and only for a topic with ``>`` or ``/`` in it.
    """

    __slots__ = ("_reader",)

    def __init__(self, searcher: Any) -> None:
        self._reader = searcher.reader()

    def __contains__(self, name: object) -> bool:
        reader = self._reader
        if not isinstance(name, str) or not reader.doc_frequency("topic", name):
            return False
        if not reader.has_deletions():
            return True
        # A term's count includes links deleted from the index until their segment merges.
        try:
            return bool(reader.postings("topic", name).is_active())
        except TermNotFound:
            return False

    def begins(self, prefix: str) -> bool:
        """Whether some ``topic`` term begins with ``prefix`` (deleted links' terms too)."""
        return next(iter(self._reader.expand_prefix("topic", prefix)), None) is not None


def spelling(searcher: Any, word: str) -> str | None:
    """The closest title or text word (same first letter, within two edits), or None."""
    reader = searcher.reader()
    if reader.doc_frequency("text", word):
        return None  # a known word: nothing to correct
    for name in ("title", "text"):
        found = searcher.suggest(name, word, limit=1, maxdist=2, prefix=1)
        if found and found[0] != word:
            return str(found[0])
    return None


def key_terms(searcher: Any, tokens: Sequence[str], *, top: int = 20) -> list[tuple[str, float]]:
    """The terms that characterise a text for more-like-this: frequent here, rare elsewhere."""
    import math

    total = max(searcher.doc_count(), 1)
    scored: list[tuple[str, float]] = []
    for term, freq in Counter(tokens).items():
        df = searcher.doc_frequency("text", term)
        if df <= 1 or len(term) < 2:
            continue  # only this link has it, or a lone character: says nothing
        scored.append((term, (1 + math.log(freq)) * math.log(1 + total / df)))
    scored.sort(key=lambda item: -item[1])
    return scored[:top]
