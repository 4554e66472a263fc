"""Searching a library: the query language, queries to hits, related links.

A hit's snippet is made by ``snippets``.

Query language (all terms required by default)::

    显存 优化              both words (each may be in the title, the notes, the topics or the text)
    pytorch OR mxnet      either
    NOT tensorflow, -tf   without
    "分析与优化"            the exact phrase
    title:显存             only in titles
    site:zhihu            a site (wechat, zhihu, github, csdn, cnblogs, web)
    status:dead           a status (new, ok, not_modified, dead, blocked, error, skipped)
    topic:Pytorch         under a heading, at any level; topic:"Pytorch/参考" a run of headings
                          (the rule of ``topics``)

A word that jieba cuts into several (``显存优化`` -> ``显存`` ``优化``) requires them all and
ranks the exact phrase first; its CJK characters may also match through the bigram shadow,
ranked below word matches.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkindex import analysis, topics
from linkindex.errors import EmptyLibraryError, NotFoundError, QueryError, UserError
from linkindex.index import folder, queries, searching
from linkindex.models import SITES, STATUSES, Hit
from linkindex.snippets import Spelled, snippet

if TYPE_CHECKING:
    from linkindex.store import LinkRecord, Store

FIELDS = ("title", "site", "topic", "status")

#: A query as it is searched (``queries.with_other_wording``: other spellings and the
#: mainland's words too).
Widen = Callable[[queries.QuerySpec], queries.QuerySpec]
#: Whether a query finds anything, as it is searched.
Matches = Callable[[queries.QuerySpec], bool]

_TOKEN = re.compile(r'(-?)(?:([A-Za-z]+):)?(?:"([^"]*)"?|([^\s"]+))')
#: A query typed with a Chinese input method in full-width mode: its syntax in ASCII.
#: Full-width forms (``ｔｉｔｌｅ：``, ``－``, ``＂``, ``ＯＲ``, ``｜``) are their ASCII
#: characters, the ideographic space a space, and Chinese quotation marks (“…”, 「…」,
#: 『…』) quote a phrase. Words are folded anyway (``analysis.fold``), so only the
#: syntax changes: ``title：顯存`` is the field, ``－訓練`` leaves 訓練 out.
_QUERY_SYNTAX: dict[int, int] = {
    **{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)},
    0x3000: ord(" "),
    **dict.fromkeys(map(ord, "“”「」『』"), ord('"')),
}


@dataclass(slots=True)
class SearchResults:
    """One page of hits, how many links match in all, and what to try when none do."""

    hits: list[Hit]
    total: int
    page: int = 1
    limit: int = 20
    suggestions: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # the words looked for (for highlighting)


# -- the query language ----------------------------------------------------------------


def _exact(name: str, value: str) -> queries.Filter:
    value = value.strip()
    if name == "topic":
        return queries.Topic(value)  # its key depends on the index's headings
    folded = analysis.fold(value)
    known = SITES if name == "site" else STATUSES
    if folded not in known:
        raise QueryError(f"unknown {name} {value!r}; use one of: {', '.join(known)}")
    return queries.Exact(name, folded)


#: The words a query reads as operators (in ASCII: ＯＲ is OR).
_OPERATORS = ("OR", "|", "AND", "NOT")


def parse_query(
    text: str,
    *,
    topic: str | None = None,
    site: str | None = None,
    status: str | None = None,
    since: str | None = None,
) -> queries.QuerySpec:
    """Parse the query language into groups (AND) of alternatives (OR) and exclusions,
    with the filters given as options (``--topic`` …) added to the query's own.

    A query with nothing to search for (``😀``) and no filter is refused; with a filter
    it lists what the filter passes (``😀 site:github``, ``😀 --site github``).
    """
    if any("\ud800" <= char <= "\udfff" for char in text):
        raise QueryError(
            "the query has bytes that are not UTF-8 text; type it again in a UTF-8 terminal"
        )
    spec = queries.QuerySpec()
    join_next = negate_next = False
    # Where the clause before an OR went: a group (the OR joins it), a filter (the OR
    # makes a group of it: site:wechat OR site:zhihu is either site), or nowhere.
    last: list[queries.Clause] | queries.Filter | None = None
    unsearchable: list[str] = []  # text with no letter, digit or ideograph (😀, ...)
    # The syntax is read in ASCII; the values are taken as typed (a topic shown in a
    # suggestion as written), from the same places: each character maps to one.
    syntax = text.translate(_QUERY_SYNTAX).replace("(", " ").replace(")", " ")
    for match in _TOKEN.finditer(syntax):
        minus, name, quoted, bare = match.groups()
        if quoted is None and not name and not minus and bare in _OPERATORS:
            join_next = bare in ("OR", "|") and last is not None
            if isinstance(last, queries.Exact | queries.Topic) and join_next:
                spec.filters.remove(last)
                spec.groups.append([last])
                last = spec.groups[-1]
            negate_next = bare == "NOT"
            continue
        field_name = name.lower() if name else None
        value = text[slice(*match.span(3 if quoted is not None else 4))]
        clause: queries.Clause
        if field_name in ("site", "status", "topic"):
            clause = _exact(field_name, value)
        elif field_name == "title":
            clause = queries.Words(value, field="title", phrase=quoted is not None)
        elif field_name is not None:  # not a field of ours (http://…, c++:): plain text
            clause = queries.Words(f"{name}:{value}", phrase=quoted is not None)
        else:
            clause = queries.Words(value, phrase=quoted is not None)
        # (folded: Kangxi radicals from a PDF file, ⼊⾨, are the ideographs 入门)
        if isinstance(clause, queries.Words) and not analysis.is_word(analysis.fold(clause.text)):
            unsearchable.append(text[slice(*match.span())].strip())
            join_next = negate_next = False  # (NOT 😀 python: the NOT was 😀's)
            continue
        if minus or negate_next:
            spec.excluded.append(clause)  # (an OR after it joins the clause before it)
        elif join_next and isinstance(last, list):
            last.append(clause)
        elif isinstance(clause, queries.Exact | queries.Topic):
            spec.filters.append(clause)
            last = clause
        else:
            spec.groups.append([clause])
            last = spec.groups[-1]
        join_next = negate_next = False
    _filters(spec, topic=topic, site=site, status=status, since=since)
    if unsearchable and not (spec.groups or spec.filters or spec.excluded or spec.since):
        # (else a query of nothing but 😀 would list, or export, the whole library)
        raise QueryError(
            f"nothing to search for in {' '.join(unsearchable)!r}: a query needs letters, "
            "digits or Chinese characters (or only filters, such as site:github)"
        )
    return spec


def _since(text: str) -> str:
    """The ``--since`` date as given, once it is a real one (``2020-13`` is not)."""
    given = text.strip()
    if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", given):
        try:
            date.fromisoformat((given + "-01-01")[:10])
        except ValueError:
            pass
        else:
            return given
    raise QueryError(f"--since {text!r} is not a date; write YYYY-MM-DD, YYYY-MM or YYYY")


# -- searching ---------------------------------------------------------------------------


def _open(home: Path, store: Store | None) -> folder.LinkIndex:
    """The library's index; a missing one says how to fill the library.

    Opened at once, not first asked whether it exists: whoosh answers that by opening it
    (its table of contents read again, ~0.3 ms of a search).
    """
    try:
        return folder.LinkIndex(folder.index_dir(home))
    except EmptyLibraryError:
        if store is not None and store.count_links(include_removed=True):
            raise EmptyLibraryError(
                f"the library at {home} has no search index yet; run `linkindex index`"
            ) from None
        raise EmptyLibraryError(_EMPTY.format(home=home)) from None


_EMPTY = "nothing to search in {home}; fill it with `linkindex import NOTES_DIR`"


@contextmanager
def _searching(
    home: Path, store: Store, catch_up: bool
) -> Iterator[tuple[folder.LinkIndex, Any, folder.IndexState]]:
    """The index open for a search, its searcher and its state; with ``catch_up``, what a
    stopped or killed run recorded but did not index is indexed first
    (``indexing.catch_up``)."""
    for first in (catch_up, False):
        with _open(home, store) as ix, ix.searcher() as searcher:
            if not ix.is_current(searcher):  # (its fields as the searcher read them)
                raise UserError(
                    f"the search index in {home} was written by another version of "
                    "linkindex; run `linkindex index --rebuild`"
                )
            state = _state(searcher, home)
            if first and state.change_seq < store.change_seq():
                from linkindex import indexing

                if indexing.catch_up(store, home, state.change_seq):
                    continue  # searched in the index as it is now
            yield ix, searcher, state
            return


def _state(searcher: Any, home: Path) -> folder.IndexState:
    """The open index's state; an index made another way is not searched (it would answer
    some queries the old way, a topic's say) until ``linkindex index`` rebuilt it."""
    state = folder.read_state(searcher)
    if state.links and not state.made_here:
        raise UserError(
            f"the search index in {home} was made by another version of linkindex; "
            "run `linkindex index` to rebuild it"
        )
    if state.links and state.analyzer and state.analyzer != analysis.ANALYZER_VERSION:
        # Still searched: its words are this version's but for the newer rules' tokens.
        logging.getLogger("linkindex").warning(
            "the search index in %s was segmented by an older linkindex, so some words "
            "are not found yet; `linkindex index` re-segments it",
            home,
        )
    return state


def _filters(
    spec: queries.QuerySpec,
    *,
    topic: str | None,
    site: str | None,
    status: str | None,
    since: str | None,
) -> None:
    if topic:
        spec.filters.append(_exact("topic", topic))
    if site:
        spec.filters.append(_exact("site", site))
    if status:
        spec.filters.append(_exact("status", status))
    if since:
        spec.since = _since(since)


def search(
    home: Path,
    query: str,
    *,
    store: Store | None = None,
    topic: str | None = None,
    site: str | None = None,
    status: str | None = None,
    since: str | None = None,
    limit: int = 20,
    page: int = 1,
    catch_up: bool = True,
) -> SearchResults:
    """Search the library at ``home``; ``store`` (opened if not given) supplies the hits' data.

    With ``catch_up`` (the default) links a stopped or killed run left unindexed are
    indexed first (``indexing.catch_up``); the web UI, which never writes, searches the
    index as it is.

    Raises QueryError for a malformed option and EmptyLibraryError when there is nothing
    to search (the message says how to fill the library).
    """
    if limit < 1 or page < 1:
        raise QueryError("--limit and --page must be 1 or more")
    spec = parse_query(query, topic=topic, site=site, status=status, since=since)
    with ExitStack() as closing:
        if store is None:
            from linkindex.store import Store

            store = closing.enter_context(Store(home, create=False))
        with _searching(home, store, catch_up) as (ix, searcher, state):
            if state.links == 0:
                raise EmptyLibraryError(_EMPTY.format(home=home))
            with folder.query_segmenter(ix.dictionary_path(state)) as segmenter:
                # the same words are cut for the query, its highlights and suggestions
                cut = functools.cache(segmenter.cut)
                # 了解 and 瞭解 look for each other; 記憶體 for 内存 too
                regional = analysis.traditional(query)
                widen = functools.partial(
                    queries.with_other_wording,
                    cut=cut,
                    regional=regional,
                    apart=functools.cache(segmenter.apart),
                )
                searched = widen(spec)
                found = searching.run(searcher, searched, cut, limit=limit, page=page)
                suggestions = (
                    []
                    if found.total
                    else _suggest(searcher, spec, cut, query, segmenter.apart, widen)
                )
                terms = query_terms(searched, cut, searching.known(searcher))
        records = store.link_records(found.ids)
        spelled: Spelled = {}  # each word's pattern, made once for the page's hits
        hits = [
            make_hit(record, score, terms, spelled=spelled)
            for record, score in zip(records, found.scores, strict=True)
        ]
    return SearchResults(hits, found.total, page, limit, suggestions, terms)


def query_terms(spec: queries.QuerySpec, cut: Any, known: Any = None) -> list[str]:
    """The folded words a query looks for (what a snippet highlights), longest first
    (``known``: whether the index has a word, for ``queries.written_apart``)."""
    terms: set[str] = set()
    for group in spec.groups:
        for clause in group:
            if isinstance(clause, queries.Words):
                # short words of ideographs in a row as one (美图), as the query finds them
                words = queries.joined_runs(cut(analysis.fold(clause.text)))
                flat = analysis.in_parts(words)
                # a code compound (k-means) whole, by its parts (not a lone letter or digit
                # of one: k-means would mark every «k»), and written together
                parts_of = [p for p in flat if p not in words and (len(p) > 1 or not p.isascii())]
                marked = [*words, *parts_of]
                if clause.phrase and len(flat) > 1:
                    # "spring boot" finds SpringBoot, "yolo v8" YOLOv8
                    terms.update(a + b for a, b in pairwise(flat) if queries.joinable(a, b))
                if len(flat) > 1 and (clause.phrase or any(len(w) > 1 for w in words)):
                    # the phrase, or the words typed together, where they are written
                    # together; their ideographs standing alone (的, 与 of "分析与优化", 的
                    # of 卫星的轨道) only there, not wherever they stand (a letter or digit
                    # is marked as a whole word: "c 语言", "python 3")
                    terms.add("".join(flat if clause.phrase else words))
                    marked = [word for word in marked if len(word) > 1 or word.isascii()]
                for word in marked:
                    joined = analysis.catenation(word)
                    terms.update([word, joined] if joined else [word])
                    if not (clause.phrase and len(flat) > 1):  # springboot: Spring Boot
                        terms.update(f"{a} {b}" for a, b in queries.written_apart(word, known))
                    # a mixed token (8比特) matches by its parts too: mark those that say
                    # something (not a lone letter, digit or ideograph: 年 of 2024年, 的 of
                    # gpt4的, which jieba's cut joins as it joins 8 and 比特)
                    terms.update(p for p in analysis.parts(word) if len(p) > 1)
    terms.update(queries.written_together(spec).values())  # spring boot: SpringBoot
    return sorted(terms, key=lambda t: (-len(t), t))


def _suggest(
    searcher: Any, spec: queries.QuerySpec, cut: Any, text: str, apart: Any, widen: Widen
) -> list[str]:
    """What to try when nothing matched: a spelling fix, any word instead of all, a long
    Chinese word by the words it is made of, no filter (``apart``:
    ``QuerySegmenter.apart``). Each is made of the query as typed and tried as it is
    searched (``widen``: with the other spelling of words spelled otherwise in traditional
    script, and the mainland's words of a traditional query)."""

    def matches(candidate: queries.QuerySpec) -> bool:
        return searching.matches(searcher, widen(candidate), cut)

    suggestions: list[str] = []
    words = [c for g in spec.groups for c in g if isinstance(c, queries.Words)]
    fixed = text
    for clause in words:
        for word in analysis.in_parts(cut(analysis.fold(clause.text))):
            if word.isascii() and len(word) > 2:
                better = searching.spelling(searcher, word)
                if better:
                    fixed = _respelled(fixed, word, better)
    if fixed != text and matches(_respec(parse_query(fixed), spec)):
        suggestions.append(fixed)
    if len(spec.groups) > 1:
        loose = queries.QuerySpec(
            [[c for g in spec.groups for c in g]], spec.excluded, spec.filters, spec.since
        )
        if matches(loose):
            suggestions.append(" OR ".join(_show(c) for g in spec.groups for c in g))
    elif len(words) == 1 and analysis.has_cjk(words[0].text):
        suggestions += _loosened(matches, spec, cut, words[0], apart)
    for position, dropped in enumerate(spec.filters):
        fewer = [f for i, f in enumerate(spec.filters) if i != position]
        wider = queries.QuerySpec(spec.groups, spec.excluded, fewer, spec.since)
        if matches(wider):
            shown = (
                _show(dropped)
                if isinstance(dropped, queries.Topic)
                else f"{dropped.field}:{dropped.value}"
            )
            suggestions.append(f"without {shown}")
    if spec.since:
        wider = queries.QuerySpec(spec.groups, spec.excluded, spec.filters, None)
        if matches(wider):
            suggestions.append(f"without since:{spec.since}")
    return suggestions


def _respelled(text: str, word: str, better: str) -> str:
    """``text`` with ``word`` (folded) as ``better`` where it stands whole (not ``githu``
    in ``site:github``), however the query writes it (``PyTorhc``, ``ｐｙｔｏｒｈｃ``): the
    word is found in the folded text, whose offsets are the text's."""
    alone = re.compile(rf"(?<![0-9a-z]){re.escape(word)}(?![0-9a-z])")
    pieces: list[str] = []
    last = 0
    for match in alone.finditer(analysis.fold(text)):
        pieces += [text[last : match.start()], better]
        last = match.end()
    return "".join(pieces) + text[last:]


def _loosened(
    matches: Matches, spec: queries.QuerySpec, cut: Any, clause: queries.Words, apart: Any
) -> list[str]:
    """The query's one Chinese clause loosened, the first way that matches: its long words
    by the words they are made of, all required (模型压缩: 模型 压缩); its characters
    anywhere, with its other words (the widest bigram fallback); any of its words
    (显存推理: 显存 OR 推理; a word of one character only if no two longer ones remain;
    none for a phrase's words). A mixed token's words are its scripts' parts (H100显卡:
    H100 显卡)."""
    folded = analysis.fold(clause.text)

    def typed(piece: str) -> str:
        """The piece as the query writes it (顯存, not 显存; folding keeps offsets), but
        never an operator (OR of OR显存推理 is shown or, as it was searched)."""
        at = folded.find(piece)
        written = clause.text[at : at + len(piece)] if at >= 0 else piece
        return piece if written.translate(_QUERY_SYNTAX) in _OPERATORS else written

    # a mixed token by its scripts' parts (H100显卡: H100 显卡), each as a word
    words = list(
        dict.fromkeys(
            part
            for word in cut(folded)
            for part in ((analysis.parts(word) if analysis.has_cjk(word) else []) or [word])
        )
    )
    pieces: list[str] = []
    if not clause.phrase:
        pieces = list(dict.fromkeys(piece for word in words for piece in (apart(word) or [word])))
        pieces = list(map(typed, pieces))
        if len(pieces) > len(words):  # (else: all of the words is the query itself)
            found = _matching(matches, spec, [[piece] for piece in pieces], clause.field)
            if found:
                return [found]
    # its ideographs anywhere, with its other words (H100 显 卡, not 显 卡)
    chars = list(dict.fromkeys(analysis.cjk_grams(folded, unigrams=True)))
    chars = [typed(word) for word in words if not analysis.has_cjk(word)] + [
        typed(ch) for ch in chars if len(ch) == 1
    ]
    if len(chars) > 1 and _matching(matches, spec, [[ch] for ch in chars], None):
        return [" ".join(chars)]
    # any of its words, whole first (RTX4090 OR 顯示卡, which looks for 显卡 too), then
    # by the words they are made of (not a phrase's)
    whole = list(map(typed, words))
    ways = [] if clause.phrase else [whole] if pieces == whole else [whole, pieces]
    for these in ways:
        longer = [piece for piece in these if len(piece) > 1]
        anyone = longer if len(longer) > 1 else these
        if len(anyone) > 1:
            found = _matching(matches, spec, [anyone], clause.field)
            if found:
                return [found]
    return []


def _matching(
    matches: Matches, spec: queries.QuerySpec, groups: list[list[str]], field: str | None
) -> str | None:
    """A query of ``groups`` of words (each group: any of its words; every group
    required), with the query's exclusions and filters, as typed if it matches, else None."""
    clauses: list[list[queries.Clause]] = [
        [queries.Words(word, field) for word in group] for group in groups
    ]
    wider = queries.QuerySpec(clauses, spec.excluded, spec.filters, spec.since)
    if not matches(wider):
        return None
    prefix = "title:" if field == "title" else ""
    return " ".join(" OR ".join(prefix + word for word in group) for group in groups)


def _respec(parsed: queries.QuerySpec, options: queries.QuerySpec) -> queries.QuerySpec:
    parsed.filters = options.filters
    parsed.since = options.since
    return parsed


def _show(clause: queries.Clause) -> str:
    if isinstance(clause, queries.Topic):
        return f'topic:"{clause.text}"'
    if isinstance(clause, queries.Exact):
        return f'{clause.field}:"{clause.value}"'
    text = f'"{clause.text}"' if clause.phrase else clause.text
    return f"title:{text}" if clause.field == "title" else text


# -- hits and snippets --------------------------------------------------------------------


def make_hit(
    record: LinkRecord, score: float, terms: list[str], *, spelled: Spelled | None = None
) -> Hit:
    """A search hit for a link record, with a snippet highlighting ``terms`` (``spelled``:
    as ``snippet``)."""
    page = record.page
    if page and page.text:
        source = page.text
    else:
        notes = [p.description for p in record.placements if p.description]
        source = "\n".join(notes) or (page.description if page else "") or record.title
    return hit_of(record, score=score, snippet=snippet(source, terms, spelled=spelled))


def hit_of(record: LinkRecord, *, score: float = 0.0, snippet: str = "") -> Hit:
    """A link record as a result line: best title, first placement, date, given snippet."""
    first = record.placements[0] if record.placements else None
    return Hit(
        link_id=record.id,
        url=record.url,
        canonical_url=record.canonical_url,
        title=record.title,
        site=record.site,
        status=record.status,
        score=round(score, 4),
        topics=record.topics,
        note_path=first.note_path if first else "",
        note_title=first.note_title if first else "",
        line=first.line if first else 0,
        published_at=record.published_at or (first.note_date if first else None),
        fetched_at=record.fetched_at,
        archive_url=record.archive_url,
        snippet=snippet,
    )


# -- related links ------------------------------------------------------------------------


def related(home: Path, url: str, *, limit: int = 10, catch_up: bool = True) -> list[Hit]:
    """Links like the one at ``url``: more-like-this over its words and its topics
    (``catch_up`` as for ``search``)."""
    from linkindex.store import Store

    with Store(home, create=False) as store:
        link_id = store.find_link(url)
        if link_id is None:
            raise NotFoundError(f"{url} is not in the library; `linkindex search` finds links")
        (record,) = store.link_records([link_id])
        with _searching(home, store, catch_up) as (ix, searcher, state):
            dictionary = ix.dictionary_path(state)
            with folder.query_segmenter(dictionary) as segmenter:
                page = record.page
                body = (page.text if page else "")[:20000]
                words = analysis.in_parts(segmenter.cut(record.title) * 3 + segmenter.cut(body))
                terms = searching.key_terms(searcher, words)
                wanted = queries.related_query(terms, topics.path_keys(record.topics))
                found, _ = searching.best(searcher, wanted, limit + 1)
        found = [(i, s) for i, s in found if i != link_id][:limit]
        records = store.link_records([i for i, _ in found])
        shown = [t for t, _ in terms]
        spelled: Spelled = {}
        return [
            make_hit(r, s, shown, spelled=spelled) for r, (_, s) in zip(records, found, strict=True)
        ]
