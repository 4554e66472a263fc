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
caller lets whoosh run it.
"""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from array import array
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

from whoosh import query
from whoosh.util.numeric import byte_to_length

from linkindex.index import layout

Scores = dict[int, float]

_BLOCK_LENGTH = struct.Struct("!i")
_MAGIC_SIZE = 4
_LENGTH_OF_BYTE = [1] + [byte_to_length(code) for code in range(1, 256)]


class Unsupported(Exception):
    """A query (or index) this evaluator does not handle; whoosh should run it."""


def evaluate(searcher: Any, wanted: query.Query, *, scored: bool = True) -> Scores:
    """Every matching document (whoosh's global numbers) with its score.

    Without ``scored`` every score is 0 (a count needs only the documents).
    """
    found: Scores = {}
    for leaf, offset in searcher.leaf_searchers():
        segment = _Segment(searcher, leaf.reader(), scored=scored)
        scores = segment.evaluate(wanted, None)
        deleted = segment.deleted()
        if offset == 0 and not deleted and not found:
            found = scores
        elif deleted:
            found.update((d + offset, s) for d, s in scores.items() if d not in deleted)
        else:
            found.update({d + offset: s for d, s in scores.items()})
    return found


class _Segment:
    """One segment's postings, read once per query, and the clauses evaluated on them."""

    def __init__(self, top: Any, reader: Any, *, scored: bool = True) -> None:
        self.top = top
        self.scored = scored
        self.reader = reader
        self.schema = reader.schema
        try:
            self._postfile = reader._terms._postfile
        except AttributeError as exc:
            raise Unsupported("not a W3 segment") from exc
        weighting = top.weighting
        self.k1 = float(getattr(weighting, "K1", 1.2))
        self.b = float(getattr(weighting, "B", 0.75))
        # a term's documents, weights and values (None: read from the common arrays,
        # values not read yet)
        self._postings: dict[tuple[str, str], tuple[Any, Any, list[Any] | None]] = {}
        # What stays true while the segment reader is open: its field lengths and its
        # common-term table (closed by ``release``).
        self._kept: dict[str, Any] = reader.__dict__.setdefault(_KEPT, {})
        self._codes: dict[str, bytes] = self._kept.setdefault("codes", {})

    def deleted(self) -> frozenset[int]:
        reader = self.reader
        return frozenset(reader.deleted_docs_set) if reader.has_deletions() else frozenset()

    # -- postings -----------------------------------------------------------------

    def postings(self, fieldname: str, text: str) -> tuple[list[int], list[float], list[Any]]:
        """A term's document numbers, weights and values (empty lists: no such term)."""
        key = (fieldname, text)
        found = self._postings.get(key)
        if found is not None and found[2] is not None:
            return found[0], found[1], found[2]
        read = self._read(fieldname, text)
        self._postings[key] = read
        return read

    def weighted(self, fieldname: str, text: str) -> tuple[Sequence[int], Sequence[float]]:
        """A term's document numbers and weights (from ``layout.COMMON_EXT`` if it is there)."""
        key = (fieldname, text)
        found = self._postings.get(key)
        if found is None:
            common = self._common_postings(key)
            if common is not None:
                self._postings[key] = (common[0], common[1], None)  # values: read if asked
                return common
            found = self._postings[key] = self._read(fieldname, text)
        return found[0], found[1]

    def _common_postings(self, key: tuple[str, str]) -> tuple[array[int], array[float]] | None:
        common = self._kept.get("common")
        if common is None:
            common = self._kept["common"] = _open_common(self.reader)
        value = common[1].get(layout.common_key(*key))
        if value is None:
            return None
        half = len(value) // 2
        ids, weights = array("I"), array("f")
        ids.frombytes(value[:half])
        weights.frombytes(value[half:])
        return ids, weights

    def _read(self, fieldname: str, text: str) -> tuple[list[int], list[float], list[Any]]:
        if fieldname not in self.schema:
            return [], [], []
        try:
            info = self.reader.term_info(fieldname, text)
        except Exception:  # whoosh's TermNotFound (a KeyError for some readers)
            return [], [], []
        if info.is_inlined():
            inline_ids, inline_weights, inline_values = info.inlined_postings()
            return list(inline_ids), list(inline_weights), list(inline_values)
        offset, length = info.extent()
        if isinstance(length, tuple):  # whoosh unpacks the stored length as a 1-tuple
            (length,) = length
        raw = self._postfile.get(offset, length)
        fixed = self.schema[fieldname].format.fixed_value_size()
        ids: list[int] = []
        weights: list[float] = []
        values: list[Any] = []
        stream = io.BytesIO(raw)
        position = _MAGIC_SIZE
        while True:
            (size,) = _BLOCK_LENGTH.unpack_from(raw, position)
            last = size < 0
            start = position + _BLOCK_LENGTH.size
            end = start + abs(size)
            stream.seek(start)
            count, _maxid, _maxweight, compression, _low, _high = pickle.load(stream)
            data = raw[stream.tell() : end]
            if compression:
                data = zlib.decompress(data)
            block_ids, block_weights, block_values = pickle.loads(data)
            ids.extend(accumulate(block_ids))
            if block_weights is None:
                weights.extend([1.0] * count)
            elif isinstance(block_weights, float):
                weights.extend([block_weights] * count)
            else:
                weights.extend(block_weights)
            if fixed is None or fixed < 0:
                values.extend(block_values)
            elif fixed == 0:
                values.extend([None] * count)
            else:
                values.extend(block_values[i : i + fixed] for i in range(0, count * fixed, fixed))
            if last:
                break
            position = end
        return ids, weights, values

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

    def _average_length(self, fieldname: str) -> float:
        """The field's average length over the whole index (whoosh's ``avg_field_length``),
        kept with the index's reader: the lengths of an open reader never change, and
        whoosh sums every segment's for each word of each segment."""
        top = self.top.reader()
        averages = top.__dict__.setdefault(_KEPT, {}).setdefault("averages", {})
        average = averages.get(fieldname)
        if average is None:
            average = averages[fieldname] = self.top.avg_field_length(fieldname) or 1
        return float(average)

    # -- clauses ------------------------------------------------------------------

    def term(self, fieldname: str, text: str, boost: float, within: Scores | None) -> Scores:
        ids, weights = self.weighted(fieldname, text)
        if not ids:
            return {}
        if not self.scored:
            if within is not None and len(within) < len(ids):
                return dict.fromkeys(set(ids).intersection(within), 0.0)
            return dict.fromkeys(ids, 0.0)
        pairs: Any = zip(ids, weights, strict=True)
        if within is not None and len(within) < len(ids):
            weight_of = dict(pairs)
            pairs = [(d, weight_of[d]) for d in within if d in weight_of]
        if not self.schema[fieldname].scorable:
            return {d: w * boost for d, w in pairs}
        # whoosh's BM25F: idf and average length of the whole index, the segment's
        # quantised field lengths; the same arithmetic, so the same floats.
        idf = self.top.idf(fieldname, text)
        average = self._average_length(fieldname)
        k1, b = self.k1, self.b
        norms = [k1 * ((1 - b) + b * length / average) for length in _LENGTH_OF_BYTE]
        codes = self._length_codes(fieldname)
        saturation = k1 + 1
        scores = {d: idf * ((w * saturation) / (w + norms[codes[d]])) for d, w in pairs}
        if boost != 1.0:
            return {d: s * boost for d, s in scores.items()}
        return scores

    def phrase(self, q: query.Phrase, within: Scores | None) -> Scores:
        """Documents with the words at consecutive positions (whoosh: slop 1, in order)."""
        fieldname, words = q.fieldname, list(q.words)
        if fieldname not in self.schema:
            return {}
        field = self.schema[fieldname]
        if not field.format.supports("positions") or q.slop != 1:
            raise Unsupported("phrase")
        if not words:
            return {}
        terms = [self.term(fieldname, word, 1.0, within) for word in words]
        if any(not scores for scores in terms):
            return {}
        terms_by_size = sorted(terms, key=len)
        candidates = set(terms_by_size[0]).intersection(*terms_by_size[1:])
        if not candidates:
            return {}
        values = []
        for word in words:
            ids, _, vals = self.postings(fieldname, word)
            values.append({d: v for d, v in zip(ids, vals, strict=True) if d in candidates})
        decode = field.format.decode_positions
        found: Scores = {}
        for docnum in candidates:
            ends = set(decode(values[0][docnum]))
            for value in values[1:]:
                ends = {p + 1 for p in ends}.intersection(decode(value[docnum]))
                if not ends:
                    break
            if ends:
                found[docnum] = sum(scores[docnum] for scores in terms) * q.boost
        return found

    def evaluate(self, q: query.Query, within: Scores | None) -> Scores:
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
            kept = self.evaluate(q.a, within)
            if not kept:
                return {}
            excluded = self.evaluate(q.b, kept)
            return _boosted({d: s for d, s in kept.items() if d not in excluded}, q)
        if isinstance(q, query.TermRange) and q.constantscore:
            return self._term_range(q, within)
        raise Unsupported(type(q).__name__)

    def _and(self, q: query.And, within: Scores | None) -> Scores:
        parts = list(q.subqueries)
        if not parts:
            return {}
        # Cheap clauses first (terms, fewest documents first), phrases on what is left.
        parts.sort(key=self._cost)
        results: list[Scores] = []
        current = within
        for part in parts:
            scores = self.evaluate(part, current)
            if not scores:
                return {}
            results.append(scores)
            current = scores if current is None or len(scores) < len(current) else current
        first, *others = results
        if not others:
            combined = first if within is None else {d: s for d, s in first.items() if d in within}
            return _boosted(combined, q)
        common = set(first).intersection(*others)
        if within is not None:
            common.intersection_update(within)
        second = others[0]
        combined = {d: first[d] + second[d] for d in common}
        for scores in others[1:]:
            combined = {d: s + scores[d] for d, s in combined.items()}
        return _boosted(combined, q)

    def _cost(self, q: query.Query) -> tuple[int, int]:
        if isinstance(q, query.Term):
            return 0, len(self.weighted(q.fieldname, q.text)[0])
        if isinstance(q, query.Phrase):
            return 2, 0
        return 1, 0

    def _or(self, q: query.Or, within: Scores | None) -> Scores:
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

    def _term_range(self, q: query.TermRange, within: Scores | None) -> Scores:
        docs: set[int] = set()
        for btext in q._btexts(self.reader):
            docs.update(self.weighted(q.fieldname, btext.decode("utf-8"))[0])
        if within is not None:
            docs.intersection_update(within)
        return dict.fromkeys(docs, q.boost)


_KEPT = "_linkindex_kept"


def release(reader: Any) -> None:
    """Close what the evaluator keeps open for a segment reader."""
    kept = reader.__dict__.pop(_KEPT, {})
    common = kept.get("common")
    if common is not None and common[0] is not None:
        common[0].close()


def _open_common(reader: Any) -> tuple[Any, Any]:
    """A segment's common-term arrays (``bulk.write_common``), or (None, {}) if it has none."""
    from whoosh.filedb.filetables import HashReader

    try:
        storage, segment = reader._storage, reader._segment
        name = segment.make_filename(layout.COMMON_EXT)
        if not storage.file_exists(name):
            return None, {}
        table = HashReader.open(storage, name)
    except (AttributeError, OSError):
        return None, {}
    return table, table


def _boosted(scores: Scores, q: query.Query) -> Scores:
    boost = getattr(q, "boost", 1.0)
    if boost == 1.0:
        return scores
    return {d: s * boost for d, s in scores.items()}
