"""What each page shows, computed once for the HTML pages and the JSON API alike.

Parameters come in as a mapping of strings (a request's query) and are checked here;
a bad one raises ``BadParameter`` (HTTP 400). The data comes from the operations
(``search``, ``export``, ``report``) and the store's read model.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from linkindex import topics
from linkindex.errors import NotFoundError, UserError
from linkindex.models import SITES, STATUSES, Hit, paragraphs
from linkindex.store import ImageRecord, LinkRecord, Store
from linkindex.topics import TopicNode
from linkindex.web.facets import Facets, LibraryLink, count_facets, filter_links, library_links
from linkindex.web.topiclinks import topic_param, written_topic

PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
#: The largest id SQLite can give a row; a larger number in an address names no link
#: (and would overflow the query).
MAX_LINK_ID = 2**63 - 1
#: A number as the UI takes it: ASCII digits only, never too many for int(). (int() also
#: takes '١٢٣', '１２３', ' 1', '+1' and '1_0', and refuses more than 4,300 digits.)
_LINK_ID = re.compile(r"[0-9]{1,19}")
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")  # (-1 is out of range, not unreadable)
#: Facets of a search count its best hits up to this many (the rest are rarely looked at).
#: Each hit costs a record load and a snippet: 200 keep a keystroke's search near the cost
#: of one page of hits (scripts/bench_web.py), 500 doubled it.
FACET_HITS = 200
#: A browsed link shows this much of its summary (a search hit shows its snippet).
SUMMARY_CHARS = 240


@dataclass(frozen=True, slots=True)
class _Reading:
    """The library as browsing sees it: its links, and its headings' keys (``topics.names``)."""

    links: list[LibraryLink]
    names: topics.Names


#: The last library read, by (database, change sequence): every page but a link's needs
#: it, and it changes only when ``store.touch`` bumps the sequence.
_READINGS: dict[tuple[str, int], _Reading] = {}


def _current(store: Store) -> _Reading:
    key = (str(store.path), store.change_seq())
    reading = _READINGS.get(key)
    if reading is None:
        links = library_links(store)
        reading = _Reading(links, topics.names(path for link in links for path in link.topics))
        _READINGS.clear()  # one library per server: keep only the newest reading
        _READINGS[key] = reading
    return reading


def current_links(store: Store) -> list[LibraryLink]:
    """``facets.library_links``, read again only after the library changed."""
    return _current(store).links


def topic_key(store: Store, topic: str) -> topics.Key:
    """The key of a topic as typed in this library (``topics.key``, by its headings)."""
    return topics.key(topic, _current(store).names)


class BadParameter(UserError):
    """A request parameter the UI cannot use (HTTP 400)."""


@dataclass(frozen=True, slots=True)
class SearchParams:
    """What the search page was asked for; also the state its URL carries."""

    q: str = ""
    topic: str = ""  # as typed (``topics`` says what it selects)
    site: str | None = None
    status: str | None = None
    page: int = 1
    per_page: int = PER_PAGE

    def url(self, **changes: Any) -> str:
        """The search page's address for these parameters with some changed."""
        params = replace(self, **changes) if changes else self
        pairs: list[tuple[str, str]] = []
        if params.q:
            pairs.append(("q", params.q))
        if params.topic:
            pairs.append(("topic", topic_param(params.topic)))
        if params.site:
            pairs.append(("site", params.site))
        if params.status:
            pairs.append(("status", params.status))
        if params.page != 1:
            pairs.append(("page", str(params.page)))
        if params.per_page != PER_PAGE:
            pairs.append(("limit", str(params.per_page)))
        return "/" + (f"?{urlencode(pairs)}" if pairs else "")

    def as_json(self) -> dict[str, Any]:
        """The parameters as plain JSON data."""
        return {
            "q": self.q,
            "topic": self.topic or None,
            "site": self.site,
            "status": self.status,
            "page": self.page,
            "limit": self.per_page,
        }


def whole_number(raw: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer parameter within ``low..high``, written in ASCII digits."""
    text = raw.get(name)
    if text is None or text == "":
        return default
    if not _WHOLE_NUMBER.fullmatch(text):
        raise BadParameter(f"{name} must be a whole number, not {_shown(text)}")
    value = int(text)
    if not low <= value <= high:
        raise BadParameter(f"{name} must be between {low} and {high}")
    return value


def choice(raw: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    """A parameter that must be one of ``allowed`` (absent or empty means any)."""
    value = (raw.get(name) or "").strip()
    if not value:
        return None
    if value not in allowed:
        raise BadParameter(f"unknown {name} {value!r}; use one of: {', '.join(allowed)}")
    return value


def search_params(raw: Mapping[str, str], store: Store) -> SearchParams:
    """Check the search page's parameters (a topic's short key read back, ``topiclinks``)."""
    query = (raw.get("q") or "").strip()  # its length is capped for every route (safety)
    return SearchParams(
        q=query,
        topic=library_topic(store, raw.get("topic") or ""),
        site=choice(raw, "site", SITES),
        status=choice(raw, "status", STATUSES),
        page=whole_number(raw, "page", 1, 1, MAX_PAGE),
        per_page=whole_number(raw, "limit", PER_PAGE, 1, MAX_PER_PAGE),
    )


@dataclass(slots=True)
class Results:
    """One page of search (or browse) results with the facets of all of them."""

    params: SearchParams
    hits: list[Hit]
    total: int
    facets: Facets
    suggestions: list[str] = field(default_factory=list)
    facets_partial: bool = False  # facets count only the best FACET_HITS hits
    topic_key: topics.Key = topics.EMPTY  # the topic filter's key, to mark what it selects

    @property
    def pages(self) -> int:
        """How many pages the results fill."""
        return max(1, -(-self.total // self.params.per_page))


def find(store: Store, home: Path, params: SearchParams) -> Results:
    """Search the library (or, with no query, browse it newest first)."""
    if params.q:
        return _search(store, home, params)
    return _browse(store, params)


def _search(store: Store, home: Path, params: SearchParams) -> Results:
    from linkindex import search

    options: dict[str, Any] = {
        "store": store,
        "topic": params.topic or None,
        "site": params.site,
        "status": params.status,
        "catch_up": False,  # the UI never writes, not even the index (docs/web.md)
    }
    start = (params.page - 1) * params.per_page
    best = search.search(home, params.q, limit=FACET_HITS, page=1, **options)
    if start + params.per_page <= FACET_HITS:
        hits = best.hits[start : start + params.per_page]
    else:
        hits = search.search(
            home, params.q, limit=params.per_page, page=params.page, **options
        ).hits
    facets = count_facets((hit.site, hit.status, hit.topics) for hit in best.hits)
    return Results(
        params=params,
        hits=hits,
        total=best.total,
        facets=facets,
        suggestions=list(best.suggestions),
        facets_partial=best.total > len(best.hits),
        topic_key=topic_key(store, params.topic),
    )


def _browse(store: Store, params: SearchParams) -> Results:
    wanted = topic_key(store, params.topic)
    chosen = filter_links(
        current_links(store),
        topic=wanted if params.topic else None,
        site=params.site,
        status=params.status,
    )
    start = (params.page - 1) * params.per_page
    ids = [link.id for link in chosen[start : start + params.per_page]]
    return Results(
        params=params,
        hits=[hit_of(record) for record in store.link_records(ids)],
        total=len(chosen),
        facets=count_facets((link.site, link.status, link.topics) for link in chosen),
        topic_key=wanted,
    )


def hit_of(record: LinkRecord) -> Hit:
    """A link record shown as a result (its snippet: the notes' description, or the page's)."""
    from linkindex.export.outline import summary_of
    from linkindex.search import hit_of as search_hit

    return search_hit(record, snippet=summary_of(record)[:SUMMARY_CHARS])


@dataclass(slots=True)
class LinkView:
    """Everything the link page shows."""

    record: LinkRecord
    fetches: list[dict[str, Any]]
    related: list[Hit]
    related_error: str = ""

    @property
    def paragraphs(self) -> list[str]:
        """The extracted text as paragraphs for the reader view."""
        return paragraphs(self.record.page.text if self.record.page else "")

    @property
    def reader(self) -> list[ReaderBlock]:
        """The reader view's blocks: each paragraph, and each figure after the paragraph
        it followed (figures beyond the text close it)."""
        blocks: list[ReaderBlock] = []
        texts = self.paragraphs
        figures = self.record.images
        for number, text in enumerate(texts):
            blocks.extend(ReaderBlock(figure=f) for f in figures if f.paragraph == number)
            blocks.append(ReaderBlock(text=text))
        blocks.extend(ReaderBlock(figure=f) for f in figures if f.paragraph >= len(texts))
        return blocks


@dataclass(frozen=True, slots=True)
class ReaderBlock:
    """A paragraph of the reader view, or a figure served from the library."""

    text: str = ""
    figure: ImageRecord | None = None


def _shown(text: str) -> str:
    """A value quoted for a message, cut short (it came from a request)."""
    return repr(text if len(text) <= 40 else text[:40] + "…")


def link_number(text: str) -> int:
    """The link id a path segment names, or NotFoundError (never ValueError: any text
    may come in an address, and only ASCII digits of a row id's length name a link)."""
    if not _LINK_ID.fullmatch(text):
        shown = text if text.isascii() and text.isdigit() and len(text) <= 40 else _shown(text)
        raise NotFoundError(f"no link with id {shown}")
    return int(text)


def link_record(store: Store, link_id: int) -> LinkRecord:
    """One link's record or NotFoundError."""
    found = store.link_records([link_id]) if 0 < link_id <= MAX_LINK_ID else []
    if not found:
        raise NotFoundError(f"no link with id {link_id}")
    return found[0]


def link_view(store: Store, home: Path, link_id: int, *, with_related: bool = True) -> LinkView:
    """The link page's data: record, fetch history and related links."""
    record = link_record(store, link_id)
    view = LinkView(record=record, fetches=store.fetch_history(link_id, limit=50), related=[])
    if with_related:
        from linkindex import search

        try:
            view.related = [
                hit
                for hit in search.related(home, record.canonical_url, limit=9, catch_up=False)
                if hit.link_id != record.id
            ][:8]
        except UserError as exc:  # no index yet: the page is still worth showing
            view.related_error = str(exc)
    return view


@dataclass(slots=True)
class TopicView:
    """The topic page: the whole tree, and one topic's links as a reading list."""

    tree: list[TopicNode[Any]]
    topic: str = ""  # as typed
    topic_key: topics.Key = topics.EMPTY  # its key, to mark the headings it selects
    node: TopicNode[Any] | None = None
    records: list[LinkRecord] = field(default_factory=list)
    #: Each heading's path as the tree spells it, by ``topics.node_key``.
    spelled: dict[tuple[str, ...], tuple[str, ...]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.spelled = {
            topics.node_key(node.path): node.path for top in self.tree for node in top.walk()
        }

    def deeper(self, record: LinkRecord) -> list[str]:
        """Where a listed link sits below the topic: the headings after it, as labels, as
        the tree names them (a link filed under ``強化學習`` and ``强化学习`` is in one place)."""
        found: list[str] = []
        for path in record.topics:
            rest = topics.below(self.topic_key, path)
            if rest:
                spelled = self.spelled.get(topics.node_key(path), tuple(path))
                found.append(topics.label(spelled[len(spelled) - len(rest) :]))
        return list(dict.fromkeys(found))


def library_topic(store: Store, written: str) -> str:
    """The topic a ``?topic=`` value names (``topiclinks.written_topic``)."""
    return written_topic(written, (path for link in current_links(store) for path in link.topics))


def topic_tree(store: Store) -> list[TopicNode[Any]]:
    """The taxonomy of the whole library with link counts."""
    return _tree(current_links(store))


def _tree(links: list[LibraryLink]) -> list[TopicNode[Any]]:
    return count_facets((link.site, link.status, link.topics) for link in links).topics


def _chosen(store: Store, topic: str) -> list[LibraryLink]:
    """The links a topic as typed selects, or NotFoundError when it selects none."""
    chosen = filter_links(current_links(store), topic=topic_key(store, topic))
    if not chosen:
        raise NotFoundError(f"no topic {topic!r} in the library")
    return chosen


def topic_view(store: Store, written: str) -> TopicView:
    """The topic tree, and the reading list of the topic ``written`` (``A > B``) if given.

    The list holds the links the topic selects (``topics.selects``: the same as search's
    ``topic:`` and ``export --topic``), by id; ``export_download`` writes the same links.
    The heading shown is the tree's heading whose whole path the topic names, if any.
    """
    topic = library_topic(store, written)
    wanted = topic_key(store, topic)
    view = TopicView(tree=_tree(current_links(store)), topic=topic, topic_key=wanted)
    if topic:
        chosen = _chosen(store, topic)
        named = topics.find(view.tree, wanted)
        view.node = TopicNode(
            name=named.name if named else view.topic,
            path=named.path if named else (view.topic,),
            links=len(chosen),
            children=named.children if named else [],
        )
        view.records = store.link_records(sorted(link.id for link in chosen))
    return view


def export_formats() -> tuple[str, ...]:
    """The formats of ``linkindex export``."""
    from linkindex import export

    return tuple(export.FORMATS)


@dataclass(slots=True)
class Download:
    """An exported file."""

    body: bytes
    media_type: str
    filename: str


def export_download(store: Store, home: Path, raw: Mapping[str, str]) -> Download:
    """Export a topic (or a search) in one of the export formats, as a file (EPUB and
    HTML with their figures, within the export's default cap)."""
    from linkindex import export
    from linkindex.snapshots import Images

    fmt = choice(raw, "format", tuple(export.FORMATS)) or "md"
    topic = library_topic(store, raw.get("topic") or "")
    query = (raw.get("q") or "").strip() or None
    if topic:
        _chosen(store, topic)
    records = export.select(
        store,
        home,
        topic=topic or None,
        query=query,
        site=choice(raw, "site", SITES),
        status=choice(raw, "status", STATUSES),
    )
    title = topic or query or "linkindex"
    stem = "-".join(topics.parse(topic)) if topic else (query or "library")
    return Download(
        body=export.render(records, fmt, title=title, pictures=export.Pictures(Images(home))),
        media_type=export.media_type(fmt),
        filename=file_name(f"linkindex-{stem}{export.suffix(fmt)}"),
    )


#: Characters no downloaded file's name may hold: path separators and those Windows
#: forbids (a ``../`` in a query names no folder).
_NOT_IN_FILE_NAMES = frozenset('/\\:*?"<>|')


def file_name(name: str) -> str:
    """A download's file name: path separators, characters Windows forbids and every
    control, format (bidi overrides, zero-width), line-separator or unassigned character
    made ``_`` (a bidi override would show ``x\\u202egpj.md`` as ``xdm.jpg``), with no
    leading dot."""
    kept = "".join(
        "_" if char in _NOT_IN_FILE_NAMES or unicodedata.category(char) in _UNFIT_IN_NAMES else char
        for char in name
    )
    return re.sub(r"_{2,}", "_", kept).lstrip(". ") or "linkindex"


#: Unicode categories of characters that make no part of a shown file name.
_UNFIT_IN_NAMES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
