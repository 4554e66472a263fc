"""What a link becomes in the index: the fields, their types, and ``document``.

Text fields are fed with ready postings (``WordsField``): the words and positions that
``analysis.Segmenter`` found, with weights that say which part of the link (title,
topics, notes, page) a word came from. ``bulk.BulkWriter`` takes them as they are.
"""

from __future__ import annotations

import struct
from array import array
from collections import Counter
from collections.abc import Iterator
from itertools import accumulate, chain, islice
from operator import sub
from typing import Any

from whoosh import fields
from whoosh.formats import Existence, Frequency, Positions
from whoosh.system import pack_uint

from linkindex import analysis, topics

#: What one occurrence of a word weighs in the ``text`` field (BM25F: the weighted
#: counts of all parts are summed before BM25 saturates them): a title word says more
#: than a note's prose, which says more than a word somewhere in a 3,000-character
#: article; topic headings sit between title and notes so that links filed under a
#: topic named in the query rise.
PART_WEIGHTS = {"title": 4.0, "topics": 2.5, "notes": 2.0, "content": 1.0}  # content: the unit
#: Positions of the parts start this far apart, so no phrase spans two parts.
PART_GAP = 1 << 24
#: What a document holds: bump it when ``document`` fills a field differently, and the
#: next refresh rebuilds an index written before (the meta document records it).
#: 2: topic keys split a heading's name at ``>`` and ``/`` too (``topics.key``).
#: 3: a heading's own ``>`` and ``/`` are kept apart from the separators between headings
#: (``topics.name_key``), so ``C/C++`` the heading and ``C > C++`` the path differ.
#: 4: a heading written in two scripts or cases (深度學習, 深度学习) is in the topics part once.
FORMAT = "4"

_ONE_POSITION = pack_uint(1)
_NATIVE_UINT = struct.Struct("=I")  # array("I") bytes on every platform CPython runs on
#: The counts of positions most words have, packed (``pack_uint``), by count.
_COUNTS = [pack_uint(count) for count in range(256)]
#: Two and three positions' deltas, as ``array("I")`` holds them (most words that occur
#: more than once in a page occur two or three times: packed without making an array).
_NATIVE_TWO = struct.Struct("=II").pack
_NATIVE_THREE = struct.Struct("=III").pack


class CompactPositions(Positions):
    """Positions stored as a plain array of deltas: whoosh pickles a list per posting."""

    def encode(self, poslist: Any) -> bytes:
        count = len(poslist)
        if count == 1:
            return _ONE_POSITION + _NATIVE_UINT.pack(poslist[0])
        if count == 2:
            first, second = poslist
            return _COUNTS[2] + _NATIVE_TWO(first, second - first)
        if count == 3:
            first, second, third = poslist
            return _COUNTS[3] + _NATIVE_THREE(first, second - first, third - second)
        deltas = array("I", map(sub, poslist, chain((0,), poslist)))
        return (_COUNTS[count] if count < 256 else pack_uint(count)) + deltas.tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return list(self.positions_back(valuestring, 0))

    @staticmethod
    def positions_back(valuestring: bytes, back: int) -> Iterator[int]:
        """The positions each less ``back`` (a phrase's word at ``back`` in it: where the
        phrase would begin), made in C as they are taken."""
        deltas = memoryview(valuestring).cast("I")[1:]  # (after the count's 4 bytes)
        return islice(accumulate(deltas, initial=-back), 1, None)


class WordsField(fields.FieldType):
    """A text field fed with its words' positions: ``(positions, weights)``.

    ``positions`` maps each word to its ascending positions; ``weights`` maps words to
    their weight where it is not their number of occurrences (None: nowhere).
    """

    def __init__(self) -> None:
        super().__init__(CompactPositions(), None, scorable=True)

    def positions_of(self, value: Any) -> tuple[dict[str, list[int]], dict[str, float] | None]:
        """The words' positions and weights (``bulk.BulkWriter`` takes them as they are)."""
        positions, weights = value
        return positions, weights

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        positions, weights = value
        encode = self.format.encode
        for word, found in positions.items():
            count = len(found)
            weight = weights.get(word, count) if weights else count
            yield word.encode("utf-8"), count, float(weight), encode(found)


class GramsField(fields.FieldType):
    """A field fed with a list of terms, counted (bigrams) or only present (keys)."""

    def __init__(self, *, counted: bool) -> None:
        super().__init__(Frequency() if counted else Existence(), None, scorable=counted)
        self.counted = counted

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if self.counted:
            for term, count in Counter(value).items():
                yield term.encode("utf-8"), count, float(count), pack_uint(count)
        else:
            for term in set(value):
                yield term.encode("utf-8"), 1, 1.0, b""


def schema() -> fields.Schema:
    """The index's fields."""
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        kind=GramsField(counted=False),
        text=WordsField(),
        title=WordsField(),
        title_cjk=GramsField(counted=True),
        site=GramsField(counted=False),
        status=GramsField(counted=False),
        topic=GramsField(counted=False),
        date=GramsField(counted=False),
        info=fields.STORED(),
    )


# -- what a link becomes -------------------------------------------------------------


def link_date(record: Any) -> str:
    """The date a link is filed under: the page's publication date, else its note's."""
    if record.published_at:
        return str(record.published_at)[:10]
    dates = [p.note_date for p in record.placements if p.note_date]
    return min(dates) if dates else ""


def content(record: Any) -> str:
    """A link's page as indexed: its description, account, author and text."""
    page = record.page
    parts = [page.description, page.account, page.author, page.text] if page else []
    return "\n".join(part for part in parts if part)


def document(record: Any, segmenter: analysis.Segmenter) -> dict[str, Any]:
    """The whoosh fields of one ``store.LinkRecord``."""
    page = record.page
    titles = list(dict.fromkeys([p.title for p in record.placements if p.title]))
    if page and page.title and page.title not in titles:
        titles.append(page.title)
    notes = [p.description for p in record.placements if p.description]
    notes += [p.label for p in record.placements if p.label]
    notes += list(dict.fromkeys(p.note_title for p in record.placements if p.note_title))
    # each heading once, in whichever script or case it was first written (深度學習 and
    # 深度学习 are one topic, ``topics.name_key``): a second spelling adds no weight
    named: dict[str, str] = {}
    for path in record.topics:
        for heading in path:
            named.setdefault(topics.name_key(heading), heading)
    headings = list(named.values())
    title_text = "\n".join(titles)
    title_positions = segmenter.positions(title_text)
    # The page's words weigh their count (content weighs 1); the words of the other
    # parts, before it, get their weighted count in ``weights``.
    earlier = dict(title_positions)  # lists are never changed in place below
    weights = {word: PART_WEIGHTS["title"] * len(found) for word, found in earlier.items()}
    for number, (part, value) in enumerate(
        [("topics", "\n".join(headings)), ("notes", "\n".join(notes))], start=1
    ):
        weight = PART_WEIGHTS[part]
        for word, found in segmenter.positions(value, number * PART_GAP).items():
            if word in earlier:
                earlier[word] = earlier[word] + found
                weights[word] += weight * len(found)
            else:
                earlier[word] = found
                weights[word] = weight * len(found)
    positions = segmenter.positions(content(record), 3 * PART_GAP)
    for word, found in earlier.items():
        later = positions.get(word)
        if later is None:
            positions[word] = found
        else:
            positions[word] = found + later
            weights[word] += len(later)
    doc: dict[str, Any] = {
        "id": str(record.id),
        "kind": ["link"],
        "text": (positions, weights),
        "title": (title_positions, None),
        "title_cjk": analysis.cjk_grams(analysis.fold(title_text), unigrams=True),
        "site": [record.site],
        "status": [record.status],
        "topic": topics.path_keys(record.topics),
    }
    date = link_date(record)
    if date:
        doc["date"] = [date]
    return doc
