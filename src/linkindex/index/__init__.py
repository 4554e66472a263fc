"""The full-text index of a library (HOME/index/): the only user of whoosh.

One whoosh document per link. Text fields hold jieba search-mode words with positions
(phrases work); two shadow fields hold CJK character bigrams of the title and of the
page text, so that a word jieba never produced (``灯`` inside ``大灯``) still matches,
ranked below word matches. Topic paths are indexed as every contiguous run of headings,
case-folded (``pytorch``, ``pytorch/参考``, ``参考``), so ``topic:`` filters at any level.

Documents are segmented by ``analysis.Segmenter`` before they reach whoosh and handed
over as ready postings (``_WordsField.index``): whoosh's own token pipeline costs several
times more per word. A special document (``kind=meta``) records the change sequence of
the store the index has caught up with and the dictionary it was segmented with; it is
written in the same commit as the links, so the two never disagree after a crash
(whoosh writes new segment files, then swaps its table of contents atomically).
"""

from __future__ import annotations

import functools
import heapq
import json
import os
import shutil
import struct
import sys
import threading
import types
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate, chain
from operator import sub
from pathlib import Path
from typing import Any


def _light_cached_property() -> None:
    """Let whoosh find ``cached_property`` without importing that package.

    whoosh-reloaded imports the ``cached_property`` package for one decorator, and the
    package imports asyncio (~50 ms of a short ``linkindex search``). The standard
    library's ``functools.cached_property`` does the same job for whoosh's reader.
    """
    if "cached_property" not in sys.modules:
        module = types.ModuleType("cached_property")
        module.cached_property = functools.cached_property  # type: ignore[attr-defined]
        sys.modules["cached_property"] = module


def _whoosh_compat_without_urllib() -> None:
    """Import ``whoosh.compat`` without ``urllib.request`` (~50 ms: http.client, email).

    whoosh.compat binds ``urllib.request.urlretrieve``, which linkindex never calls. While
    it imports, a stand-in module offers a ``urlretrieve`` that imports the real module
    when called; the stand-in is gone from ``sys.modules`` right after, so any later
    ``import urllib.request`` gets the real one.
    """
    if "urllib.request" in sys.modules or "whoosh.compat" in sys.modules:
        return
    import importlib

    def urlretrieve(*args: Any, **kwargs: Any) -> Any:
        return importlib.import_module("urllib.request").urlretrieve(*args, **kwargs)

    stand_in = types.ModuleType("urllib.request")
    stand_in.urlretrieve = urlretrieve  # type: ignore[attr-defined]
    sys.modules["urllib.request"] = stand_in
    try:
        importlib.import_module("whoosh.compat")
    finally:
        if sys.modules.get("urllib.request") is stand_in:
            del sys.modules["urllib.request"]


_light_cached_property()
_whoosh_compat_without_urllib()

from whoosh import collectors, fields, index, query, scoring  # noqa: E402
from whoosh.codec.whoosh3 import W3Codec  # noqa: E402
from whoosh.formats import Existence, Frequency, Positions  # noqa: E402
from whoosh.system import _INT_SIZE, pack_uint  # noqa: E402

from linkindex import analysis  # noqa: E402
from linkindex.errors import EmptyLibraryError, StoreError  # noqa: E402

INDEX_DIR = "index"
DICTIONARY_PREFIX = "dictionary-"
META_ID = "meta"

#: What one occurrence of a word weighs in the ``text`` field (BM25F: the weighted
#: counts of all parts are summed before BM25 saturates them): a title word says more
#: than a note's prose, which says more than a word somewhere in a 3,000-character
#: article; topic headings sit between title and notes so that links filed under a
#: topic named in the query rise.
PART_WEIGHTS = {"title": 4.0, "topics": 2.5, "notes": 2.0, "content": 1.0}  # content: the unit
#: Positions of the parts start this far apart, so no phrase spans two parts.
PART_GAP = 1 << 24
#: Query boosts: the exact sequence in the title on top, the character fallbacks
#: (title bigrams, single characters in a row in the text) well below word matches.
WEIGHTS = {"title_phrase": 3.0, "title_cjk": 0.5, "chars": 0.3}


_ONE_POSITION = pack_uint(1)
_NATIVE_UINT = struct.Struct("=I")  # array("I") bytes on every platform CPython runs on


class _CompactPositions(Positions):
    """Positions stored as a plain array of deltas: whoosh pickles a list per posting."""

    def encode(self, poslist: Any) -> bytes:
        if len(poslist) == 1:
            return _ONE_POSITION + _NATIVE_UINT.pack(poslist[0])
        deltas = array("I", map(sub, poslist, chain((0,), poslist)))
        return pack_uint(len(deltas)) + deltas.tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        deltas = array("I")
        deltas.frombytes(valuestring[_INT_SIZE:])
        return list(accumulate(deltas))


class _WordsField(fields.FieldType):
    """A text field fed with its words' positions: ``(positions, weights)``.

    ``positions`` maps each word to its ascending positions; ``weights`` maps words to
    their weight where it is not their number of occurrences (None: nowhere).
    """

    def __init__(self) -> None:
        super().__init__(_CompactPositions(), None, scorable=True)

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


class _GramsField(fields.FieldType):
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
        kind=_GramsField(counted=False),
        text=_WordsField(),
        title=_WordsField(),
        title_cjk=_GramsField(counted=True),
        site=_GramsField(counted=False),
        status=_GramsField(counted=False),
        topic=_GramsField(counted=False),
        date=_GramsField(counted=False),
        info=fields.STORED(),
    )


# -- what a link becomes -------------------------------------------------------------


def topic_keys(topics: Iterable[Sequence[str]]) -> list[str]:
    """Every contiguous run of headings of every topic path, folded, joined by ``/``."""
    keys: set[str] = set()
    for path in topics:
        names = [analysis.fold(name.strip()) for name in path if name.strip()]
        for begin in range(len(names)):
            for end in range(begin + 1, len(names) + 1):
                keys.add("/".join(names[begin:end]))
    return sorted(keys)


def topic_key(text: str) -> str:
    """A topic as typed (``Pytorch/参考``, ``Pytorch > 参考``) in the index's form."""
    names = [n.strip() for n in text.replace(">", "/").split("/")]
    return "/".join(analysis.fold(n) for n in names if n)


def link_date(record: Any) -> str:
    """The date a link is filed under: the page's publication date, else its note's."""
    if record.published_at:
        return str(record.published_at)[:10]
    dates = [p.note_date for p in record.placements if p.note_date]
    return min(dates) if dates else ""


def document(record: Any, segmenter: analysis.Segmenter) -> dict[str, Any]:
    """The whoosh fields of one ``store.LinkRecord``."""
    page = record.page
    titles = list(dict.fromkeys([p.title for p in record.placements if p.title]))
    if page and page.title and page.title not in titles:
        titles.append(page.title)
    notes = [p.description for p in record.placements if p.description]
    notes += [p.label for p in record.placements if p.label]
    notes += list(dict.fromkeys(p.note_title for p in record.placements if p.note_title))
    headings = list(dict.fromkeys(h for path in record.topics for h in path))
    content_parts = [page.description, page.account, page.author, page.text] if page else []
    content = "\n".join(part for part in content_parts if part)
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
    positions = segmenter.positions(content, 3 * PART_GAP)
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
        "topic": topic_keys(record.topics),
    }
    date = link_date(record)
    if date:
        doc["date"] = [date]
    return doc


# -- the index on disk ---------------------------------------------------------------


@dataclass(slots=True)
class IndexState:
    """What the index says about itself."""

    change_seq: int = 0
    vocabulary: str = ""  # fingerprint of the dictionary the documents were segmented with
    links: int = 0
    analyzer: str = ""  # analysis.ANALYZER_VERSION of the segmentation
    words: dict[str, int] | None = None  # the words added to jieba's (None: not recorded)


def index_dir(home: Path) -> Path:
    """Where a library keeps its index."""
    return home / INDEX_DIR


def exists(home: Path) -> bool:
    """Whether the library has a readable index."""
    folder = index_dir(home)
    return folder.is_dir() and index.exists_in(str(folder))


class LinkIndex:
    """An open index: read its state, search it, write to it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            self._ix = index.open_dir(str(self.folder))
        except (index.EmptyIndexError, OSError) as exc:
            raise EmptyLibraryError(
                f"no search index in {folder} yet; run `linkindex index`"
            ) from exc
        except Exception as exc:  # whoosh raises plain exceptions on damaged files
            raise StoreError(
                f"the search index in {self.folder} is damaged ({exc}); "
                "run `linkindex index --rebuild`"
            ) from exc

    def is_current(self) -> bool:
        """Whether the index has this linkindex's fields (an older version's has not)."""
        return sorted(self._ix.schema.names()) == sorted(schema().names())

    def close(self) -> None:
        """Release the index files."""
        self._ix.close()

    def __enter__(self) -> LinkIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def state(self) -> IndexState:
        """The change sequence and dictionary the index has, and its number of links."""
        with self._ix.searcher() as searcher:
            return read_state(searcher)

    def dictionary_path(self, state: IndexState | None = None) -> Path:
        """The query dictionary written with the index's documents."""
        fingerprint = (state or self.state()).vocabulary
        return self.folder / f"{DICTIONARY_PREFIX}{fingerprint}.txt"

    def indexed_ids(self) -> set[int]:
        """The link ids the index holds."""
        with self._ix.searcher() as searcher:
            return {
                int(fields_["id"])
                for fields_ in searcher.all_stored_fields()
                if fields_.get("id") != META_ID
            }

    @contextmanager
    def searcher(self) -> Iterator[Any]:
        """A BM25F searcher over the current documents.

        Its reader stays open for the next search of this process (the web UI, a
        benchmark): opening one costs about a millisecond a segment. It is reopened when
        the index folder or its table of contents changes. whoosh reads its files by
        seek and read, so the searches of a process take turns.
        """
        from whoosh.searching import Searcher

        with _SHARED_LOCK:
            reader = _shared_reader(self.folder, self._ix)
            searcher = Searcher(
                reader, weighting=scoring.BM25F(), closereader=False, fromindex=self._ix
            )
            try:
                yield searcher
            finally:
                searcher.close()

    def writer(self, *, lock: bool = True) -> Any:
        """A writer (commit or cancel it); its ``pool.memory`` tells what it holds.

        Without ``lock`` it may only ``finish_segment()``: writers of one rebuild
        write their segments side by side, and one writer lists them all.
        """
        # Separate files (not compound) are opened in place by a search instead of
        # being copied.
        from linkindex.index.bulk import BLOCK, COMPRESSION, BulkWriter

        codec = W3Codec(blocklimit=BLOCK, compression=COMPRESSION, inlinelimit=1)
        return BulkWriter(self._ix, codec=codec, compound=False, _lk=lock)


def write_segments(
    folder: Path, records: Iterable[Any], segmenter: analysis.Segmenter, *, memory: int
) -> list[Any]:
    """Write the records' documents into new segments of the index in ``folder``.

    A segment is closed each time its postings reach ``memory`` bytes. The segments
    are not in the index until ``commit_segments`` lists them (a crash before that
    leaves stray files that whoosh's next commit deletes).
    """
    segments: list[Any] = []
    with LinkIndex(folder) as ix, _collector_paused():
        writer = ix.writer(lock=False)
        try:
            for record in records:
                writer.add_document(**document(record, segmenter))
                if writer.pool.memory >= memory:
                    segments.append(writer.finish_segment())
                    writer = ix.writer(lock=False)
            if writer.doc_count():
                segments.append(writer.finish_segment())
            else:
                writer.cancel()
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise
    return segments


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while postings pile up in memory.

    Millions of posting lists are long-lived objects the collector would scan again
    and again as they grow (a 25,000-link rebuild took 181 s with it, 139 s without); indexing
    creates no reference cycles worth collecting meanwhile.
    """
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def commit_segments(writer: Any, segments: Sequence[Any]) -> None:
    """Commit ``writer`` with ``segments`` (from ``write_segments``) listed before its own."""
    writer.commit(mergetype=lambda _writer, existing: [*existing, *segments])


#: Readers kept open between searches, by index folder: (what identifies the index's
#: current state, reader).
_SHARED: dict[str, tuple[tuple[int, ...], Any]] = {}
_SHARED_KEPT = 2
_SHARED_LOCK = threading.RLock()


def _shared_reader(folder: Path, ix: Any) -> Any:
    """The open reader of ``folder``'s current generation (call with ``_SHARED_LOCK``)."""
    generation = ix.latest_generation()
    toc = os.stat(folder / f"_{ix.indexname}_{generation}.toc")
    # a rebuilt folder may get the old one's inode back and restarts at generation 1:
    # the table of contents' own inode and time tell them apart
    stamp = (os.stat(folder).st_ino, generation, toc.st_ino, toc.st_mtime_ns)
    key = str(folder)
    kept = _SHARED.pop(key, None)
    if kept is not None and kept[0] == stamp:
        _SHARED[key] = kept  # most recently used last
        return kept[1]
    if kept is not None:
        _close_reader(kept[1])
    reader = ix.reader()
    _SHARED[key] = (stamp, reader)
    while len(_SHARED) > _SHARED_KEPT:
        _close_reader(_SHARED.pop(next(iter(_SHARED)))[1])
    return reader


def _close_reader(reader: Any) -> None:
    from linkindex.index import engine

    for leaf, _ in reader.leaf_readers():
        engine.release(leaf)
    reader.close()


def release_readers() -> None:
    """Close the readers kept open between searches (before a folder is removed)."""
    with _SHARED_LOCK:
        while _SHARED:
            _close_reader(_SHARED.popitem()[1][1])


def read_state(searcher: Any) -> IndexState:
    """The index's own record of what it holds, read through an open searcher."""
    docnum = searcher.document_number(id=META_ID)
    info = searcher.stored_fields(docnum).get("info") if docnum is not None else None
    links = searcher.doc_count() - (1 if docnum is not None else 0)
    meta = json.loads(info) if info else {}
    words = meta.get("words")
    return IndexState(
        change_seq=int(meta.get("change_seq", 0)),
        vocabulary=str(meta.get("vocabulary", "")),
        links=links,
        analyzer=str(meta.get("analyzer", "")),
        words={str(w): int(f) for w, f in words.items()} if isinstance(words, dict) else None,
    )


def create(folder: Path) -> None:
    """Create an empty index in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    index.create_in(str(folder), schema())


def write_documents(
    writer: Any,
    records: Iterable[Any],
    segmenter: analysis.Segmenter,
    *,
    removed: Iterable[int] = (),
    replace: bool = True,
) -> int:
    """Add (or replace) the records' documents and delete removed links; returns the count."""
    for link_id in removed:
        writer.delete_by_term("id", str(link_id))
    written = 0
    add = writer.update_document if replace else writer.add_document
    for record in records:
        add(**document(record, segmenter))
        written += 1
    return written


def write_state(writer: Any, state: IndexState) -> None:
    """Record the store's change sequence and the dictionary in the same commit.

    The added words and their frequencies are recorded too, so that new headings
    re-index only the links whose text contains a word that changed.
    """
    meta: dict[str, Any] = {"change_seq": state.change_seq, "vocabulary": state.vocabulary}
    if state.words is not None:
        meta |= {"analyzer": state.analyzer, "words": state.words}
    info = json.dumps(meta, ensure_ascii=False, sort_keys=True)
    writer.update_document(id=META_ID, kind=["meta"], info=info)


def swap_in(home: Path, built: Path) -> None:
    """Replace the library's index with a freshly built one (a crash leaves one or none)."""
    folder = index_dir(home)
    release_readers()
    old = folder.with_name(INDEX_DIR + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.replace(folder, old)
    os.replace(built, folder)
    shutil.rmtree(old, ignore_errors=True)


# -- queries -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Words:
    """Free text of a query: a bare word (all its jieba words required) or a phrase."""

    text: str
    field: str | None = None  # None: every text field; "title": the title only
    phrase: bool = False


@dataclass(frozen=True, slots=True)
class Exact:
    """A filter term: site, status, topic (folded path) or kind."""

    field: str
    value: str


Clause = Words | Exact


@dataclass(slots=True)
class QuerySpec:
    """A parsed query: every group must match (one clause of it), no excluded may."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    filters: list[Exact] = field(default_factory=list)
    since: str | None = None  # YYYY-MM-DD


def _gram_query(
    text: str, words: Sequence[str], title_only: bool, known: Any
) -> query.Query | None:
    """The fallback for the CJK part of ``text`` that jieba's words may have missed.

    Titles have a bigram (and character) shadow; page text is matched as the sequence
    of its characters where jieba left them single (a name split oddly), unless every
    word is a known word of the index (that check would cost much and find little).
    """
    grams = analysis.cjk_grams(text)
    if not grams:
        return None
    parts: list[query.Query] = [
        query.And([query.Term("title_cjk", g, boost=WEIGHTS["title_cjk"]) for g in grams])
    ]
    if not title_only and not all(known(w) for w in words):
        for run in analysis.cjk_runs(text):
            if len(run) > 1:
                parts.append(query.Phrase("text", list(run), boost=WEIGHTS["chars"]))
    return parts[0] if len(parts) == 1 else query.Or(parts)


def _word_query(name: str, word: str) -> query.Query:
    """One word of a query; a mixed token (``8比特``, ``gpt4``) is found whole or by all
    its parts (``8`` and ``比特`` apart), whole above apart (it then matches both)."""
    pieces = analysis.parts(word)
    if not pieces:
        return query.Term(name, word)
    apart = query.And([_word_query(name, piece) for piece in pieces])
    return query.Or([query.Term(name, word), apart])


def words_query(clause: Words, cut: Any, known: Any = None) -> query.Query:
    """The whoosh query of one free-text clause.

    ``cut`` segments query text; ``known(word)`` says whether the index has the word.
    """
    text = analysis.fold(clause.text)
    words = cut(text)
    name = "title" if clause.field == "title" else "text"
    if not words:
        return query.NullQuery
    if clause.phrase and len(words) > 1:
        phrase = query.Phrase(name, words)
        if name == "title":
            return phrase
        return query.AndMaybe(phrase, query.Phrase("title", words, boost=WEIGHTS["title_phrase"]))
    terms = [_word_query(name, w) for w in words]
    required: query.Query = terms[0] if len(terms) == 1 else query.And(terms)
    grams = (
        None
        if clause.phrase
        else _gram_query(text, words, name == "title", known or (lambda _: False))
    )
    if grams is not None:
        latin = [query.Term(name, w) for w in words if not analysis.has_cjk(w)]
        fallback = query.And([*latin, grams]) if latin else grams
        required = query.Or([required, fallback])
    if len(words) > 1:
        # The exact sequence counts in the title only: checking positions in the page
        # text of every match cost seconds on 25,000 links (whoosh decodes them in
        # Python); a quoted phrase does search the text.
        return query.AndMaybe(required, query.Phrase("title", words, boost=WEIGHTS["title_phrase"]))
    return required


def clause_query(clause: Clause, cut: Any, known: Any = None) -> query.Query:
    """The whoosh query of a clause."""
    if isinstance(clause, Exact):
        return query.Term(clause.field, clause.value)
    return words_query(clause, cut, known)


#: Filters score (almost) nothing; zero would break whoosh's block-quality skipping.
_FILTER_BOOST = 1e-6


def to_whoosh(spec: QuerySpec, cut: Any, known: Any = None) -> query.Query:
    """The whoosh query of a parsed query, filters included.

    Filters are intersected with the words (whoosh skips through their postings)
    rather than passed as a search filter, which builds the set of every link that
    passes it on each search. The meta document has no words, so it never matches
    a query with words; a query of filters alone starts from every link.
    """
    parts: list[query.Query] = []
    for group in spec.groups:
        clauses = [clause_query(c, cut, known) for c in group]
        parts.append(clauses[0] if len(clauses) == 1 else query.Or(clauses))
    parts += [query.Term(f.field, f.value, boost=_FILTER_BOOST) for f in spec.filters]
    if spec.since:
        parts.append(query.TermRange("date", spec.since, None, boost=_FILTER_BOOST))
    if not spec.groups:
        parts.append(query.Term("kind", "link", boost=_FILTER_BOOST))
    main: query.Query = parts[0] if len(parts) == 1 else query.And(parts)
    if spec.excluded:
        main = query.AndNot(main, query.Or([clause_query(c, cut) for c in spec.excluded]))
    return main


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
    collector = collectors.TopCollector(top, usequality=False, replace=0)
    searcher.search_with_collector(wanted, collector)
    return collector


def _matches(searcher: Any, wanted: query.Query, *, scored: bool = True) -> dict[int, float] | None:
    """Every match with its score, by ``engine`` (None: whoosh has to run this query)."""
    from linkindex.index import engine

    try:
        return engine.evaluate(searcher, wanted, scored=scored)
    except engine.Unsupported:
        return None


def best(searcher: Any, wanted: query.Query, top: int) -> tuple[list[tuple[int, float]], int]:
    """The ``top`` best matches as (link id, score), and how many match in all.

    Best score first; equal scores in index order, as whoosh orders them.
    """
    scores = _matches(searcher, wanted)
    if scores is None:
        collector = _collect(searcher, wanted, top)
        hits = [(int(h["id"]), float(h.score or 0.0)) for h in collector.results()]
        return hits, int(collector.total)
    return [(int(searcher.stored_fields(d)["id"]), s) for d, s in _top(scores, top)], len(scores)


def _top(scores: dict[int, float], top: int) -> list[tuple[int, float]]:
    """The ``top`` best (docnum, score) pairs: best first, equal scores by docnum."""
    if len(scores) > top * 4:
        # the top-th best score, by a sort in C, keeps the Python work to a few pairs
        bar = heapq.nlargest(top, scores.values())[-1] if top else float("inf")
        scores = {d: s for d, s in scores.items() if s >= bar}
    return sorted(scores.items(), key=_best_first)[:top]


def run(searcher: Any, spec: QuerySpec, cut: Any, *, limit: int, page: int) -> Found:
    """Search: the page ``page`` (1-based) of ``limit`` links, and how many match."""
    wanted = to_whoosh(spec, cut, _known(searcher))
    hits, total = best(searcher, wanted, limit * page)
    shown = hits[limit * (page - 1) :]
    return Found(ids=[i for i, _ in shown], scores=[s for _, s in shown], total=total)


def _best_first(item: tuple[int, float]) -> tuple[float, int]:
    return -item[1], item[0]


def count(searcher: Any, spec: QuerySpec, cut: Any) -> int:
    """How many links match."""
    wanted = to_whoosh(spec, cut, _known(searcher))
    scores = _matches(searcher, wanted, scored=False)
    if scores is None:
        return int(_collect(searcher, wanted, 1).total)
    return len(scores)


def _known(searcher: Any) -> Any:
    reader = searcher.reader()
    return lambda word: reader.doc_frequency("text", word) > 0


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


def related_query(terms: Sequence[tuple[str, float]], topics: Sequence[str]) -> query.Query:
    """A more-like-this query from weighted key terms and topic keys.

    Term weights are scaled to at most 1; sharing the link's own topic path (boost 8)
    or one of its headings (4) then counts about as much as sharing its best words.
    """
    parts: list[query.Query] = []
    top = max((weight for _, weight in terms), default=1.0) or 1.0
    for term, weight in terms:
        parts.append(query.Term("text", term, boost=weight / top))
    longest = max((key.count("/") for key in topics), default=0)
    for key in topics:
        parts.append(query.Term("topic", key, boost=8.0 if key.count("/") == longest else 4.0))
    return query.Or(parts) if parts else query.NullQuery
