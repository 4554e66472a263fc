"""The best hits of a segment without scoring every match: a bound on each word's score.

A word on nearly every page (``pytorch`` in a library about deep learning) matches
thousands of documents, and scoring each one costs a few hundred nanoseconds of
Python: tens of milliseconds a query. Only the best ten are shown.

A query's score is a sum over its words: an And, an Or, an AndMaybe and a phrase add up
their clauses' scores, boosts multiply them, an AndNot's excluded words add nothing.
BM25 grows with a word's weight in the document and falls with the document's length,
so a word that weighs less than ``bar`` in a document scores less than it would weighing
``bar`` in the segment's shortest document (``engine._Segment.bound``).

So, for each word with many documents, only those where it weighs at least ``bar`` (its
heaviest few) are candidates; a word with few documents makes them all candidates. A
document that is no candidate scores at most ``rest``: the sum of the words' bounds at
their bars (nothing from a word whose documents are all candidates; filters and ranges
their whole score). The candidates are scored exactly (the evaluator, within them): if
the ``top``-th best of them scores more than ``rest``, no other document can take its
place, not even on a tie (ties go to the lower document number). Otherwise the bars
are lowered, and in the end every match is scored.

Weights come in steps (an occurrence weighs 4 in a title, 2.5 in a topic heading, 2 in
the notes, 1 in the page): many documents may tie at the bar, all of them candidates,
and then the top-th best ties with the bound at the bar. The others weigh a step less:
their bound at the most any of them weighs is the last one tried.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence
from itertools import compress
from typing import Any

from whoosh import query

#: Fewer documents than this many per hit wanted (at most, by the postings' sizes):
#: score them all, it costs less than finding which ones match first.
SCORE_ALL_BELOW = 100
#: Fewer matches than this many per hit wanted: score them all (as cheap as bounding).
PRUNE_FROM = 16
#: Matches this many times fewer than the postings: score them only.
_FEW = 4
#: Candidates per hit wanted that each word starts with, and how much wider each try is.
FIRST_CANDIDATES = 4
WIDER = 8
TRIES = 2
#: The bar is the highest but this many of every ``allowance // SAMPLED``-th weight.
SAMPLED = 8
#: Float sums in another order may differ in the last bits: a bound must win by more.
MARGIN = 1e-9

#: A word of a query: field, text, the product of the boosts over it. A range or a
#: constant is (None, "", its score).
Leaf = tuple[str | None, str, float]
#: A phrase of a query: field, words, the product of the boosts over it.
Phrase = tuple[str, tuple[str, ...], float]


def first(scores: dict[int, float], top: int) -> list[tuple[int, float]]:
    """The ``top`` best (docnum, score) pairs: best first, equal scores by docnum."""
    if len(scores) > top * 4:
        # the top-th best score first keeps the sort to a few pairs
        bar = heapq.nlargest(top, scores.values())[-1] if top else float("inf")
        scores = {d: s for d, s in scores.items() if s >= bar}
    return sorted(scores.items(), key=_best_first)[:top]


def _best_first(item: tuple[int, float]) -> tuple[float, int]:
    return -item[1], item[0]


def best(segment: Any, wanted: query.Query, top: int) -> tuple[list[tuple[int, float]], int]:
    """The ``top`` best matches of ``wanted`` in a segment (as ``first``), and how many
    match (deleted documents left out). ``segment`` is an ``engine._Segment``."""
    matched: set[int] | None = None
    size = segment.size(wanted)
    if top and (size > top * SCORE_ALL_BELOW or (size > top * PRUNE_FROM and _intersects(wanted))):
        matched = segment.matching(wanted)
        if len(matched) > top * PRUNE_FROM:
            phrases: list[Phrase] = []
            leaves = _leaves(wanted, 1.0, phrases)
            if leaves is not None:
                # (gone through again and again below: their matches, their heaviest
                # documents, the candidates' weights)
                for fieldname, text, _ in leaves:
                    if fieldname is not None:
                        segment.listed(fieldname, text)
            found = (
                None if leaves is None else _pruned(segment, wanted, top, matched, leaves, phrases)
            )
            if found is not None:
                return found, len(matched)
    if matched is not None and len(matched) * _FEW < size:
        scores = segment.evaluate(wanted, matched)
    else:
        scores = segment.evaluate(wanted, None)
        if segment.reader.has_deletions():
            # (a segment's deletions are a few: each looked up, not every match)
            gone = [d for d in segment.reader.deleted_docs_set if d in scores]
            if gone:
                scores = dict(scores)
                for docnum in gone:
                    del scores[docnum]
    return first(scores, top), len(scores)


def _intersects(q: query.Query) -> bool:
    """Whether ``q`` requires several clauses (its matches may be far fewer than any
    clause's documents: finding them first spares scoring the rest)."""
    while isinstance(q, query.AndMaybe | query.AndNot):
        q = q.a
    return isinstance(q, query.And) and len(q.subqueries) > 1


def _pruned(
    segment: Any,
    wanted: query.Query,
    top: int,
    matched: set[int],
    leaves: list[Leaf],
    phrases: Sequence[Phrase] = (),
) -> list[tuple[int, float]] | None:
    """The best by their bounds (the module's docstring); None: every match must be scored.

    A phrase (``phrases``, whose words are among ``leaves``) matches only where all its
    words are: where those documents are few, they are all candidates, and its words add
    nothing to a bound (a title phrase of two common words ranks ``rtx 4090``)."""
    allowance = top * FIRST_CANDIDATES
    phrased: set[int] = set()
    bounded = Counter(leaves)
    for in_field, in_sequence, times in phrases:
        ids = _together(segment, in_field, in_sequence)
        if len(ids) <= allowance:
            phrased |= ids
            bounded.subtract((in_field, word, times) for word in in_sequence)
    leaves = list(bounded.elements())
    # BM25 saturates: the more words with many documents add up, the deeper the
    # candidates must go (filters are never candidates)
    large = sum(
        1
        for f, t, _ in leaves
        if f is not None and segment.schema[f].scorable and segment.frequency(f, t) > allowance
    )
    allowance *= WIDER ** max(0, large - 1)
    for _ in range(TRIES):
        rest = 0.0
        candidates = set(phrased)
        narrowed: list[tuple[str, str, float, float, Sequence[float]]] = []
        for fieldname, text, boost in leaves:
            if fieldname is None:
                rest += boost
                continue
            ids, weights = segment.weighted(fieldname, text)
            if not ids:
                continue
            if not segment.schema[fieldname].scorable:  # a filter: never a candidate
                rest += max(weights) * boost
                continue
            if len(ids) <= allowance:
                candidates.update(ids)
                continue
            bar = _bar(weights, allowance)
            picked = list(compress(ids, map(bar.__le__, weights)))
            candidates.update(picked)
            if len(picked) < len(ids):
                narrowed.append((fieldname, text, bar, boost, weights))
        if not narrowed:
            return None  # every document that has a word is a candidate
        within = set(filter(matched.__contains__, candidates))
        found = first(segment.evaluate(wanted, within), top)
        if len(found) == top:
            # Each word at its bar in the segment's shortest document first; if need be
            # in the word's own shortest document, then at the most any other document's
            # weight is (the many that tie at the bar are all candidates).
            words = [(f, t, bar, b) for f, t, bar, b, _ in narrowed]
            for below, closely in ((False, False), (False, True), (True, True)):
                if below:
                    words = [(f, t, max(filter(bar.__gt__, w)), b) for f, t, bar, b, w in narrowed]
                ceiling = _ceiling(segment, words, closely)
                if ceiling is None:
                    return None
                if found[-1][1] > (rest + ceiling) * (1 + MARGIN):
                    return found
        allowance *= WIDER
    return None


def _together(segment: Any, fieldname: str, words: Sequence[str]) -> set[int]:
    """The documents that have every one of ``words`` in the field."""
    lists = sorted((segment.weighted(fieldname, word)[0] for word in words), key=len)
    found = set(lists[0]) if lists else set()
    for ids in lists[1:]:
        if not found:
            break
        found.intersection_update(ids)
    return found


def _ceiling(
    segment: Any, narrowed: list[tuple[str, str, float, float]], closely: bool
) -> float | None:
    """The most the ``narrowed`` words (field, text, weight, boost) add up to in a
    document where each weighs its weight or less (None: no bound)."""
    total = 0.0
    for fieldname, text, weight, boost in narrowed:
        bound = segment.bound(fieldname, text, weight, closely=closely)
        if bound is None:
            return None
        total += bound * boost
    return total


def _bar(weights: Sequence[float], allowance: int) -> float:
    """About the ``allowance``-th highest of ``weights``, from a sample of them (any bar
    is right: a wrong guess only takes more candidates, or another try)."""
    step = max(1, allowance // SAMPLED)
    return heapq.nlargest(max(1, allowance // step), weights[::step])[-1]


def _leaves(q: query.Query, boost: float, phrases: list[Phrase] | None = None) -> list[Leaf] | None:
    """The words whose scores make up ``q``'s, with their boosts (None: not a sum of
    words' scores with boosts of 0 or more, which ``_pruned`` could not bound); each
    phrase's field, words and boost also go to ``phrases``."""
    boost *= getattr(q, "boost", 1.0)
    if boost < 0:
        return None
    if q is query.NullQuery or isinstance(q, query.qcore._NullQuery):
        return []
    if isinstance(q, query.Term):
        return [(q.fieldname, q.text, boost)]
    if isinstance(q, query.Phrase):
        if phrases is not None:
            phrases.append((q.fieldname, tuple(q.words), boost))
        return [(q.fieldname, word, boost) for word in q.words]
    if isinstance(q, query.TermRange):
        return [(None, "", boost)]
    if isinstance(q, query.AndNot):
        return _leaves(q.a, boost, phrases)
    if isinstance(q, query.AndMaybe):
        parts = [q.a, q.b]
    elif isinstance(q, query.And | query.Or):
        parts = list(q.subqueries)
    else:
        return None
    leaves: list[Leaf] = []
    for part in parts:
        found = _leaves(part, boost, phrases)
        if found is None:
            return None
        leaves += found
    return leaves
