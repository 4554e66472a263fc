"""Query evaluation over whoosh's postings with sets and dicts, a segment at a time.

whoosh matches a query by walking matcher objects document by document, a few Python
method calls per document and word; a word on nearly every page of a 25,000-link
library (``pytorch``) then costs a quarter of a second. Here each word's postings are
read a block at a time (one ``zlib``/``pickle`` call per 128 documents) into a dict of
document number to weight, and the query tree is evaluated with the dicts' own set
operations. Scores are whoosh's BM25F, computed the same way (per-term BM25 with the
segment's quantised field lengths, summed over the clauses that match, times boosts),
so results rank as whoosh ranks them (except where whoosh errs: its AndNot can let an
excluded document through at a segment boundary, and an optional phrase nested inside
an And loses its score there; here they do not).

``evaluate`` understands the queries ``index.to_whoosh`` builds (Term, And, Or, AndMaybe,
AndNot, Phrase, TermRange, NullQuery); anything else raises ``Unsupported`` and the
caller lets whoosh run it. ``best`` finds the top hits without scoring every match
(``topk``); ``matches`` only says whether any matches.

A clause evaluated ``within`` some documents costs what those documents cost, not what
its word's postings hold: an And evaluates its smallest clause first and the others
within it, a phrase reads positions only for the documents that have all its words.
"""

from __future__ import annotations

import weakref
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterator, Sequence
from itertools import compress
from math import log
from typing import Any

from whoosh import query, scoring
from whoosh.util.numeric import byte_to_length

from linkindex.index import layout, postings, topk
from linkindex.index.queries import Together

Scores = dict[int, float]
#: The documents a clause is evaluated within (None: all of the segment's).
Within = Collection[int] | None
_LENGTH_OF_BYTE = [1] + [byte_to_length(code) for code in range(1, 256)]
#: ``within`` this many times smaller than a term's postings: its documents are looked
#: up one by one (a binary search each) instead of the postings being filtered whole.
_LOOK_UP_BELOW = 16


class Unsupported(Exception):
    """A query (or index) this evaluator does not handle; whoosh should run it."""


def evaluate(searcher: Any, wanted: query.Query, *, scored: bool = True) -> Scores:
    """Every matching document (whoosh's global numbers) with its score.

    Without ``scored`` every score is 0 (a count needs only the documents).
    """
    found: Scores = {}
    for segment, offset in _search(searcher).segments:
        if scored:
            scores = segment.evaluate(wanted, None)
        else:
            scores = dict.fromkeys(segment.docs(wanted, None), 0.0)
        deleted = segment.deleted()
        if offset == 0 and not deleted and not found:
            found = scores
        elif deleted:
            found.update((d + offset, s) for d, s in scores.items() if d not in deleted)
        else:
            found.update({d + offset: s for d, s in scores.items()})
    return found


def best(searcher: Any, wanted: query.Query, top: int) -> tuple[list[tuple[int, float]], int]:
    """The ``top`` best matches (whoosh's global numbers, score) and how many match.

    Best first, equal scores in index order: the first ``top`` of every match scored
    (``evaluate``), found by scoring the few that can be among them (``topk``).
    """
    hits: dict[int, float] = {}
    total = 0
    for segment, offset in _search(searcher).segments:
        found, matched = topk.best(segment, wanted, top)
        total += matched
        hits.update((d + offset, s) for d, s in found)
    return topk.first(hits, top), total


def matches(searcher: Any, wanted: query.Query) -> bool:
    """Whether any document matches (the segments after the first that has one are
    not looked at)."""
    return any(segment.matching(wanted) for segment, _ in _search(searcher).segments)


def frequency(searcher: Any, fieldname: str, text: str) -> int:
    """In how many documents the term is (deleted ones too, as whoosh counts)."""
    return _search(searcher).frequency(fieldname, text)


def _search(searcher: Any) -> _Search:
    """What ``searcher``'s queries read once, kept with it (a search opens a searcher
    and closes it: the suggestions of a search that found nothing reuse its postings)."""
    kept: _Search | None = searcher.__dict__.get(_SEARCH)
    if kept is None:
        kept = searcher.__dict__[_SEARCH] = _Search(searcher)
    return kept


class _Search:
    """A searcher's segments, and each term's idf (whoosh's, from the segments' counts
    of the term this evaluator looks up anyway: whoosh would look each up again)."""

    def __init__(self, searcher: Any) -> None:
        # Back to the searcher and from the segments back here by weak references: the
        # postings a search read are freed with its searcher, not left in reference
        # cycles for Python's cycle collector to walk again and again (a sixth of the
        # CPU time of a warm search went to that).
        self.searcher = weakref.proxy(searcher)
        self.segments = [
            (_Segment(weakref.proxy(self), leaf.reader()), offset)
            for leaf, offset in searcher.leaf_searchers()
        ]
        self._idf: dict[tuple[str, str], float] = {}
        # another weighting's idf may be another formula: then whoosh computes it
        self._own_idf = type(searcher.weighting).idf is scoring.WeightingModel.idf

    def frequency(self, fieldname: str, text: str) -> int:
        return sum(segment.frequency(fieldname, text) for segment, _ in self.segments)

    def idf(self, fieldname: str, text: str) -> float:
        key = (fieldname, text)
        idf = self._idf.get(key)
        if idf is None:
            if self._own_idf:  # whoosh's WeightingModel.idf, the same arithmetic
                count = self.searcher.doc_count_all()
                idf = log(count / (self.frequency(fieldname, text) + 1)) + 1
            else:
                idf = float(self.searcher.idf(fieldname, text))
            self._idf[key] = idf
        return idf


class _Segment:
    """One segment's postings, read once per search, and the clauses evaluated on them."""

    def __init__(self, search: _Search, reader: Any) -> None:
        top = search.searcher
        self.search = search
        self.top = top
        self.reader = reader
        self.schema = reader.schema
        try:
            self._postfile = reader._terms._postfile
        except AttributeError as exc:
            raise Unsupported("not a W3 segment") from exc
        weighting = top.weighting
        self.k1 = float(getattr(weighting, "K1", 1.2))
        self.b = float(getattr(weighting, "B", 0.75))
        # a term's whoosh information (None: not here), documents and weights
        self._infos: dict[tuple[str, str], Any] = {}
        self._postings: dict[tuple[str, str], tuple[Sequence[int], Sequence[float]]] = {}
        # a phrase's documents in the whole segment (counting the matches finds them, and
        # scoring the best goes through them again; a query may hold a phrase twice)
        self._phrases: dict[tuple[str, tuple[str, ...], int, bool], set[int]] = {}
        self._norms: dict[str, list[float]] = {}
        # What stays true while the segment reader is open: its field lengths and its
        # common-term table (closed by ``release``).
        self._kept: dict[str, Any] = reader.__dict__.setdefault(_KEPT, {})
        self._codes: dict[str, bytes] = self._kept.setdefault("codes", {})

    def deleted(self) -> frozenset[int]:
        reader = self.reader
        return frozenset(reader.deleted_docs_set) if reader.has_deletions() else frozenset()

    def matching(self, wanted: query.Query) -> set[int]:
        """The documents that match ``wanted`` (deleted ones left out)."""
        found = self.docs(wanted, None)
        if self.reader.has_deletions():
            found.difference_update(self.reader.deleted_docs_set)
        return found

    # -- postings -----------------------------------------------------------------

    def weighted(self, fieldname: str, text: str) -> tuple[Sequence[int], Sequence[float]]:
        """A term's document numbers (ascending) and weights (empty: no such term).

        From ``layout.COMMON_EXT`` if the term is there, else decoded from its postings.
        """
        key = (fieldname, text)
        found = self._postings.get(key)
        if found is None:
            info = self.info(fieldname, text)
            found = None
            if info is not None and info.doc_frequency() >= layout.COMMON_FROM:
                found = self._common_postings(key)
            if found is None:
                ids: list[int] = []
                weights: list[float] = []
                for _, decode in self._blocks(fieldname, info):
                    block_ids, block_weights, _ = decode()
                    ids += block_ids
                    weights += block_weights
                found = ids, weights
            self._postings[key] = found
        return found

    def listed(self, fieldname: str, text: str) -> tuple[Sequence[int], Sequence[float]]:
        """A term's postings (``weighted``) as lists, kept for the rest of the search:
        for what goes through them several times (an array of a common term's makes a
        new Python number of each element each time it is read)."""
        ids, weights = self.weighted(fieldname, text)
        if isinstance(ids, array) and isinstance(weights, array):
            ids, weights = ids.tolist(), weights.tolist()
            self._postings[(fieldname, text)] = ids, weights
        return ids, weights

    def info(self, fieldname: str, text: str) -> Any:
        """whoosh's information on a term (None: not in this segment)."""
        key = (fieldname, text)
        if key in self._infos:
            return self._infos[key]
        info = None
        if fieldname in self.schema:
            terms = self._term_index()
            if terms is not None:
                info = terms.info(fieldname, self.schema[fieldname].to_bytes(text))
            else:
                try:
                    info = self.reader.term_info(fieldname, text)
                except Exception:  # whoosh's TermNotFound (a KeyError for some readers)
                    info = None
        self._infos[key] = info
        return info

    def _term_index(self) -> postings.TermIndex | None:
        """The segment's term index mapped in memory (None: whoosh looks terms up)."""
        if "terms" not in self._kept:
            self._kept["terms"] = postings.open_terms(self.reader)
        terms: postings.TermIndex | None = self._kept["terms"]
        return terms

    def frequency(self, fieldname: str, text: str) -> int:
        """In how many of the segment's documents the term is (its postings' length)."""
        info = self.info(fieldname, text)
        return 0 if info is None else int(info.doc_frequency())

    def values(self, fieldname: str, text: str, docs: Collection[int]) -> dict[int, Any]:
        """The term's posting values (positions) of ``docs``, decoding only their blocks."""
        wanted = sorted(docs)
        found: dict[int, Any] = {}
        after = -1  # the last document of the block before
        for last, decode in self._blocks(fieldname, self.info(fieldname, text)):
            first = bisect_right(wanted, after)
            after = last
            if first == len(wanted):
                break
            if wanted[first] > last:
                continue  # none of ours in this block
            ids, _, values = decode()
            found.update({d: v for d, v in zip(ids, values, strict=True) if d in docs})
        return found

    def _common_postings(self, key: tuple[str, str]) -> tuple[array[int], array[float]] | None:
        common = self._kept.get("common")
        if common is None:
            common = self._kept["common"] = postings.open_common(self.reader)
        return postings.common(common, key)

    def _blocks(self, fieldname: str, info: Any) -> Iterator[postings.Block]:
        """A term's postings (``info``: whoosh's information on it, None: none) a block
        at a time (``postings.blocks``)."""
        if info is None:
            return iter(())
        fixed = self.schema[fieldname].format.fixed_value_size()
        return postings.blocks(self._postfile, info, fixed)

    def _length_codes(self, fieldname: str) -> bytes:
        codes = self._codes.get(fieldname)
        if codes is None:
            try:
                found = layout.length_codes(self.reader._perdoc, fieldname)
            except (AttributeError, ValueError) as exc:
                raise Unsupported("field lengths") from exc
            codes = found if found is not None else bytes(self.reader.doc_count_all() + 1)
            self._codes[fieldname] = codes
        return codes

    def _length_norms(self, fieldname: str) -> list[float]:
        """BM25's length part ``k1 * (1 - b + b * length / average)`` for each length
        byte, with the field's average length over the whole index (whoosh's
        ``avg_field_length``). Kept with the index's reader: its lengths never change,
        and whoosh would sum every segment's for each word of each segment."""
        norms = self._norms.get(fieldname)
        if norms is None:
            top = self.top.reader()
            kept = top.__dict__.setdefault(_KEPT, {}).setdefault("norms", {})
            key = (fieldname, self.k1, self.b)
            norms = kept.get(key)
            if norms is None:
                average = float(self.top.avg_field_length(fieldname) or 1)
                k1, b = self.k1, self.b
                norms = [k1 * ((1 - b) + b * length / average) for length in _LENGTH_OF_BYTE]
                kept[key] = norms
            self._norms[fieldname] = norms
        return norms

    # -- scores -------------------------------------------------------------------

    def term(self, fieldname: str, text: str, boost: float, within: Within) -> Scores:
        ids, weights = self.weighted(fieldname, text)
        if not ids:
            return {}
        if within is not None and len(within) < len(ids):
            ids, weights = _pick(ids, weights, within)
        pairs: Any = zip(ids, weights, strict=True)
        if not self.schema[fieldname].scorable:
            return {d: w * boost for d, w in pairs}
        # whoosh's BM25F: idf and average length of the whole index, the segment's
        # quantised field lengths; the same arithmetic, so the same floats.
        idf = self.search.idf(fieldname, text)
        norms = self._length_norms(fieldname)
        codes = self._length_codes(fieldname)
        saturation = self.k1 + 1
        scores = {d: idf * ((w * saturation) / (w + norms[codes[d]])) for d, w in pairs}
        if boost != 1.0:
            return {d: s * boost for d, s in scores.items()}
        return scores

    def bound(
        self, fieldname: str, text: str, weight: float, *, closely: bool = False
    ) -> float | None:
        """The most the term scores (boost 1) in a document where it weighs ``weight`` or
        less; None: no bound (scores that could fall as weights grow).

        BM25 grows with the weight and falls with the field's length, so the shortest
        length bounds them all: the shortest of the segment (a document that has the word
        has a length of at least 1, so length byte 0 does not count), or ``closely``, the
        shortest of the documents that have the word (one pass over them).
        """
        if not self.schema[fieldname].scorable:
            return weight
        idf = self.search.idf(fieldname, text)
        if closely:
            codes = self._length_codes(fieldname)
            shortest = min(map(codes.__getitem__, self.weighted(fieldname, text)[0]), default=0)
        else:
            shortest = self._shortest(fieldname)
        norm = self._length_norms(fieldname)[shortest]
        if idf < 0 or weight < 0 or norm <= 0:
            return None
        return idf * ((weight * (self.k1 + 1)) / (weight + norm))

    def _shortest(self, fieldname: str) -> int:
        shortest = self._kept.setdefault("shortest", {})
        code = shortest.get(fieldname)
        if code is None:
            present = set(self._length_codes(fieldname))
            present.discard(0)  # a document without the field (the meta document)
            code = shortest[fieldname] = min(present, default=0)
        return int(code)

    # -- clauses ------------------------------------------------------------------

    def phrase(self, q: query.Phrase, within: Within) -> Scores:
        """Documents with the words at consecutive positions (whoosh: slop 1, in order);
        a match scores its words' scores added up, times the phrase's boost."""
        matched = self._phrase_docs(q, within)
        if not matched:
            return {}
        terms = [self.term(q.fieldname, word, 1.0, matched) for word in q.words]
        return {d: sum(scores[d] for scores in terms) * q.boost for d in matched}

    def _phrase_docs(self, q: query.Phrase, within: Within) -> set[int]:
        key = (q.fieldname, tuple(q.words), q.slop, isinstance(q, Together))
        known = self._phrases.get(key)
        if known is not None:
            return set(known) if within is None else known.intersection(within)
        found = self._find_phrase(q, within)
        if within is None:
            self._phrases[key] = found
            return set(found)
        return found

    def _find_phrase(
        self, q: query.Phrase, within: Within, besides: Collection[int] = ()
    ) -> set[int]:
        """The documents with the phrase (in ``within``, if given) but those ``besides``,
        whose positions are not read."""
        fieldname, words = q.fieldname, list(q.words)
        if fieldname not in self.schema:
            return set()
        field = self.schema[fieldname]
        if not field.format.supports("positions") or q.slop != 1:
            raise Unsupported("phrase")
        if not words:
            return set()
        # the documents with every word, rarest word first
        rarest_first = sorted(range(len(words)), key=lambda i: self.frequency(fieldname, words[i]))
        candidates: set[int] = set()
        narrowed = within
        for place in rarest_first:
            candidates = narrowed = self._term_docs(fieldname, words[place], narrowed)
            if not candidates:
                return candidates
        if besides:
            candidates = candidates.difference(besides)
        # where the phrase begins, less each word's place in it (all at one: Together)
        places = [0] * len(words) if isinstance(q, Together) else range(len(words))
        # A document has the phrase where some start s has word i at s + i, for every i:
        # the words' positions are read rarest first, each only for the documents left
        # (the starts they allow kept as sets; the last word's only tested against them).
        back = field.format.positions_back
        starts: dict[int, set[int]] = {}
        *narrowing, last = rarest_first
        for order, place in enumerate(narrowing):
            values = self.values(fieldname, words[place], candidates)
            at = places[place]
            if order:
                left = {d: starts[d].intersection(back(values[d], at)) for d in candidates}
            else:
                left = {d: set(back(values[d], at)) for d in candidates}
            starts = {d: found for d, found in left.items() if found}
            candidates = set(starts)
            if not candidates:
                return candidates
        if not narrowing:
            return candidates
        values = self.values(fieldname, words[last], candidates)
        at = places[last]
        return {d for d in candidates if not starts[d].isdisjoint(back(values[d], at))}

    def evaluate(self, q: query.Query, within: Within) -> Scores:
        """The documents matching ``q`` (only those in ``within``, if given), with scores."""
        if q is query.NullQuery or isinstance(q, query.qcore._NullQuery):
            return {}
        if isinstance(q, query.Term):
            return self.term(q.fieldname, q.text, q.boost, within)
        if isinstance(q, query.Phrase):
            return self.phrase(q, within)
        if isinstance(q, query.And):
            return self._and(q, within)
        if isinstance(q, query.Or) and not q.minmatch and not q.scale:
            return self._or(q, within)
        if isinstance(q, query.AndMaybe):
            required = self.evaluate(q.a, within)
            if not required:
                return {}
            optional = self.evaluate(q.b, required)
            return _boosted(
                {d: s + optional[d] if d in optional else s for d, s in required.items()}, q
            )
        if isinstance(q, query.AndNot):
            kept = self.evaluate(q.a, self._but(q, within))
            if not kept:
                return {}
            excluded = self.evaluate(q.b, kept)
            return _boosted({d: s for d, s in kept.items() if d not in excluded}, q)
        if isinstance(q, query.TermRange) and q.constantscore:
            return self._term_range(q, within)
        raise Unsupported(type(q).__name__)

    def _and(self, q: query.And, within: Within) -> Scores:
        parts = list(q.subqueries)
        if not parts:
            return {}
        # Scores add up in one order (terms, fewest documents first; phrases last) so
        # that a score never depends on how the clauses were evaluated; the clauses are
        # evaluated smallest first, each within what the ones before left.
        parts.sort(key=self._cost)
        results: list[Scores] = [{}] * len(parts)
        current = within
        for place in sorted(range(len(parts)), key=lambda i: self.size(parts[i])):
            scores = self.evaluate(parts[place], current)
            if not scores:
                return {}
            results[place] = scores
            current = scores if current is None or len(scores) < len(current) else current
        first, *others = results
        if not others:
            combined = first if within is None else {d: s for d, s in first.items() if d in within}
            return _boosted(combined, q)
        smallest: Scores = min(results, key=len)
        common = set(smallest).intersection(*results)
        if within is not None:
            common.intersection_update(within)
        second = others[0]
        combined = {d: first[d] + second[d] for d in common}
        for scores in others[1:]:
            combined = {d: s + scores[d] for d, s in combined.items()}
        return _boosted(combined, q)

    def docs(self, q: query.Query, within: Within) -> set[int]:
        """The documents matching ``q`` (only those in ``within``, if given), unscored:
        sets only (a count, and what the best hits are chosen among)."""
        if q is query.NullQuery or isinstance(q, query.qcore._NullQuery):
            return set()
        if isinstance(q, query.Term):
            return self._term_docs(q.fieldname, q.text, within)
        if isinstance(q, query.Phrase):
            return self._phrase_docs(q, within)
        if isinstance(q, query.And):
            found: set[int] = set()
            narrowed = within
            for part in sorted(q.subqueries, key=self.size):
                found = self.docs(part, narrowed)
                if not found:
                    return found
                narrowed = found
            return found
        if isinstance(q, query.Or) and not q.minmatch and not q.scale:
            # phrases last, their positions read only where no other part matched
            # (word2vec OR "word 2 vec": the pages with the token have its parts too)
            found = set()
            for part in sorted(q.subqueries, key=self._cost):
                if isinstance(part, query.Phrase) and found:
                    found |= self._find_phrase(part, within, besides=found)
                else:
                    found |= self.docs(part, within)
            return found
        if isinstance(q, query.AndMaybe):
            return self.docs(q.a, within)  # the optional part adds a score, not a document
        if isinstance(q, query.AndNot):
            kept = self.docs(q.a, self._but(q, within))
            return kept - self.docs(q.b, kept) if kept else kept
        if isinstance(q, query.TermRange) and q.constantscore:
            return set(self._term_range(q, within))
        raise Unsupported(type(q).__name__)

    def _but(self, q: query.AndNot, within: Within) -> Within:
        """Where ``q``'s kept part is looked for: ``within``, or, where that part holds a
        phrase and the excluded part is a word, only the documents of ``within`` without
        the word (positions are then read for fewer pages: a token's parts in sequence
        where the text does not have the token, ``queries._token_query``). An excluded
        part of more is looked for among what the kept part finds, as before."""
        if not isinstance(q.b, query.Term) or not any(
            isinstance(leaf, query.Phrase) for leaf in q.a.leaves()
        ):
            return within
        excluded = self.docs(q.b, within)
        if not excluded:
            return within
        every = range(self.reader.doc_count_all()) if within is None else within
        return set(every).difference(excluded)

    def _term_docs(self, fieldname: str, text: str, within: Within) -> set[int]:
        ids, _ = self.weighted(fieldname, text)
        if within is None:
            return set(ids)
        if len(within) * _LOOK_UP_BELOW < len(ids):
            return set(_pick(ids, ids, within)[0])
        if isinstance(within, set):
            return within.intersection(ids)
        return set(ids).intersection(within)

    def _cost(self, q: query.Query) -> tuple[int, int]:
        if isinstance(q, query.Term):
            return 0, self.frequency(q.fieldname, q.text)
        if isinstance(q, query.Phrase):
            return 2, 0
        return 1, 0

    def size(self, q: query.Query) -> int:
        """At most how many documents ``q`` matches in the segment (an estimate: a
        range's terms are not read)."""
        if isinstance(q, query.Term):
            return self.frequency(q.fieldname, q.text)
        if isinstance(q, query.Phrase):
            return min((self.frequency(q.fieldname, w) for w in q.words), default=0)
        if isinstance(q, query.And):
            return min((self.size(part) for part in q.subqueries), default=0)
        if isinstance(q, query.Or):
            return sum(self.size(part) for part in q.subqueries)
        if isinstance(q, query.AndMaybe | query.AndNot):
            return self.size(q.a)
        if q is query.NullQuery or isinstance(q, query.qcore._NullQuery):
            return 0
        return int(self.reader.doc_count_all())

    def _or(self, q: query.Or, within: Within) -> Scores:
        found: Scores = {}
        for part in q.subqueries:
            scores = self.evaluate(part, within)
            if not found:
                found = dict(scores)
                continue
            # new documents are copied in C; only those already found add up in Python
            sums = {d: found[d] + s for d, s in scores.items() if d in found}
            found.update(scores)
            found.update(sums)
        return _boosted(found, q)

    def _term_range(self, q: query.TermRange, within: Within) -> Scores:
        docs: set[int] = set()
        for btext in q._btexts(self.reader):
            docs.update(self.weighted(q.fieldname, btext.decode("utf-8"))[0])
        if within is not None:
            docs.intersection_update(within)
        return dict.fromkeys(docs, q.boost)


def _pick(
    ids: Sequence[int], weights: Sequence[float], within: Collection[int]
) -> tuple[Sequence[int], Sequence[float]]:
    """The postings (ascending ``ids``, their ``weights``) of the documents in ``within``."""
    if len(within) * _LOOK_UP_BELOW < len(ids):
        places = []
        size = len(ids)
        for docnum in within:
            place = bisect_left(ids, docnum)
            if place < size and ids[place] == docnum:
                places.append(place)
        places.sort()
        return [ids[p] for p in places], [weights[p] for p in places]
    keep = list(map(within.__contains__, ids))
    return list(compress(ids, keep)), list(compress(weights, keep))


_KEPT = "_linkindex_kept"
_SEARCH = "_linkindex_search"


def release(reader: Any) -> None:
    """Close what the evaluator keeps open for a segment reader."""
    kept = reader.__dict__.pop(_KEPT, {})
    postings.close_common(kept.get("common"))
    if kept.get("terms") is not None:
        kept["terms"].close()


def _boosted(scores: Scores, q: query.Query) -> Scores:
    boost = getattr(q, "boost", 1.0)
    if boost == 1.0:
        return scores
    return {d: s * boost for d, s in scores.items()}
