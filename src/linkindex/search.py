"""Searching a library: the query language, queries to hits, snippets, related links.

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

if TYPE_CHECKING:
    from linkindex.store import LinkRecord, Store

#: Highlight markers around matched text in ``Hit.snippet``.
MARK_OPEN = "«"
MARK_CLOSE = "»"
SNIPPET_CHARS = 120
#: Where a word is in a snippet's text: (start, end).
Span = tuple[int, int]
#: Words and their patterns (``_spelled``; None: found by folding the text).
Spelled = dict[str, re.Pattern[str] | None]

FIELDS = ("title", "site", "topic", "status")

_TOKEN = re.compile(r'(-?)(?:([A-Za-z]+):)?(?:"([^"]*)"?|([^\s"]+))')


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


def parse_query(text: str) -> queries.QuerySpec:
    """Parse the query language into groups (AND) of alternatives (OR) and exclusions."""
    spec = queries.QuerySpec()
    join_next = negate_next = False
    unsearchable: list[str] = []  # text with no letter, digit or ideograph (😀, ...)
    for match in _TOKEN.finditer(text.replace("(", " ").replace(")", " ")):
        minus, name, quoted, bare = match.groups()
        if quoted is None and not name and not minus and bare in ("OR", "|", "AND", "NOT"):
            join_next = bare in ("OR", "|") and bool(spec.groups)
            negate_next = bare == "NOT"
            continue
        field_name = name.lower() if name else None
        value = quoted if quoted is not None else bare
        clause: queries.Clause
        if field_name in ("site", "status", "topic"):
            clause = _exact(field_name, value)
        elif field_name == "title":
            clause = queries.Words(value, field="title", phrase=quoted is not None)
        elif field_name is not None:  # not a field of ours (http://…, c++:): plain text
            clause = queries.Words(f"{name}:{value}", phrase=quoted is not None)
        else:
            clause = queries.Words(value, phrase=quoted is not None)
        if isinstance(clause, queries.Words) and not analysis.is_word(clause.text):
            unsearchable.append(match.group().strip())
            continue
        if minus or negate_next:
            spec.excluded.append(clause)
        elif isinstance(clause, queries.Exact | queries.Topic) and not join_next:
            spec.filters.append(clause)
        elif join_next:
            spec.groups[-1].append(clause)
        else:
            spec.groups.append([clause])
        join_next = negate_next = False
    if unsearchable and not (spec.groups or spec.filters or spec.excluded):
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
        opened = folder.LinkIndex(folder.index_dir(home))
    except EmptyLibraryError:
        if store is not None and store.count_links(include_removed=True):
            raise EmptyLibraryError(
                f"the library at {home} has no search index yet; run `linkindex index`"
            ) from None
        raise EmptyLibraryError(_EMPTY.format(home=home)) from None
    if not opened.is_current():
        opened.close()
        raise UserError(
            f"the search index in {home} was written by another version of linkindex; "
            "run `linkindex index --rebuild`"
        )
    return opened


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
    spec = parse_query(query)
    _filters(spec, topic=topic, site=site, status=status, since=since)
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
                found = searching.run(searcher, spec, cut, limit=limit, page=page)
                suggestions = [] if found.total else _suggest(searcher, spec, cut, query)
                terms = query_terms(spec, cut)
        records = store.link_records(found.ids)
        spelled: Spelled = {}  # each word's pattern, made once for the page's hits
        hits = [
            make_hit(record, score, terms, spelled=spelled)
            for record, score in zip(records, found.scores, strict=True)
        ]
    return SearchResults(hits, found.total, page, limit, suggestions, terms)


def query_terms(spec: queries.QuerySpec, cut: Any) -> list[str]:
    """The folded words a query looks for (what a snippet highlights), longest first."""
    terms: set[str] = set()
    for group in spec.groups:
        for clause in group:
            if isinstance(clause, queries.Words):
                # short words of ideographs in a row as one (美图), as the query finds them
                words = queries.joined_runs(cut(analysis.fold(clause.text)))
                flat = analysis.in_parts(words)
                if clause.phrase:  # "spring boot" finds SpringBoot, "yolo v8" YOLOv8
                    terms.update(a + b for a, b in pairwise(flat) if queries.joinable(a, b))
                # a code compound (k-means) whole, by its parts (not a lone letter or digit
                # of one: k-means would mark every «k»), and written together
                parts_of = [p for p in flat if p not in words and (len(p) > 1 or not p.isascii())]
                for word in [*words, *parts_of]:
                    joined = analysis.catenation(word)
                    terms.update([word, joined] if joined else [word])
                    # a mixed token (8比特) matches by its parts too: mark those that say
                    # something (not a lone letter or digit)
                    terms.update(p for p in analysis.parts(word) if len(p) > 1 or not p.isascii())
    terms.update(queries.written_together(spec).values())  # spring boot: SpringBoot
    return sorted(terms, key=lambda t: (-len(t), t))


def _suggest(searcher: Any, spec: queries.QuerySpec, cut: Any, text: str) -> list[str]:
    """What to try when nothing matched: a spelling fix, any word instead of all, no filter."""
    suggestions: list[str] = []
    words = [c for g in spec.groups for c in g if isinstance(c, queries.Words)]
    fixed = text
    for clause in words:
        for word in analysis.in_parts(cut(analysis.fold(clause.text))):
            if word.isascii() and len(word) > 2:
                better = searching.spelling(searcher, word)
                if better:
                    fixed = re.sub(re.escape(word), better, fixed, flags=re.IGNORECASE)
    if fixed != text and searching.matches(searcher, _respec(parse_query(fixed), spec), cut):
        suggestions.append(fixed)
    if len(spec.groups) > 1:
        loose = queries.QuerySpec(
            [[c for g in spec.groups for c in g]], spec.excluded, spec.filters, spec.since
        )
        if searching.matches(searcher, loose, cut):
            suggestions.append(" OR ".join(_show(c) for g in spec.groups for c in g))
    elif len(words) == 1 and analysis.has_cjk(words[0].text):
        # one word with nothing: its characters anywhere (the widest bigram fallback)
        chars = [
            queries.Words(ch)
            for ch in dict.fromkeys(analysis.cjk_grams(analysis.fold(words[0].text), unigrams=True))
            if len(ch) == 1
        ]
        loose = queries.QuerySpec([[c] for c in chars], spec.excluded, spec.filters, spec.since)
        if len(chars) > 1 and searching.matches(searcher, loose, cut):
            suggestions.append(" ".join(c.text for c in chars))
    for position, dropped in enumerate(spec.filters):
        fewer = [f for i, f in enumerate(spec.filters) if i != position]
        wider = queries.QuerySpec(spec.groups, spec.excluded, fewer, spec.since)
        if searching.matches(searcher, wider, cut):
            shown = (
                _show(dropped)
                if isinstance(dropped, queries.Topic)
                else f"{dropped.field}:{dropped.value}"
            )
            suggestions.append(f"without {shown}")
    if spec.since:
        wider = queries.QuerySpec(spec.groups, spec.excluded, spec.filters, None)
        if searching.matches(searcher, wider, cut):
            suggestions.append(f"without since:{spec.since}")
    return suggestions


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


def _matches(text: str, terms: list[str], spelled: Spelled) -> tuple[list[Span], list[str]]:
    """Where the folded ``terms`` are in ``text`` (as whole words where they begin or end
    with a letter or digit): merged spans, and the folded text of each.

    Folding a whole page costs more than finding a few words in it: a word is found by
    the spellings of its characters (``analysis.spellings``: ``学`` or ``學``, ``c`` or
    ``C``) in the text as written. A word with a character whose spellings are not known
    is found in the folded text.
    """
    terms = [term for term in terms if term]
    for term in terms:
        if term not in spelled:
            spelled[term] = _spelled(term)
    patterns = [spelled[term] for term in terms]
    if any(pattern is None for pattern in patterns):
        folded = analysis.fold(text)
        found = [(start, start + len(term)) for term in terms for start in _starts(folded, term)]
        spans = _merged(_whole(found, folded, lambda i: folded[i]))
        return spans, [folded[start:end] for start, end in spans]
    found = [
        match.span()
        for pattern in patterns
        if pattern is not None
        for match in _each(pattern, text)
    ]
    # A character folds alone as it does in the text (only Σ folds by its place, and
    # never to ASCII), and so do the characters of a match.
    spans = _merged(_whole(found, text, lambda i: _folded_char(text[i])))
    return spans, [analysis.fold(text[start:end]) for start, end in spans]


#: One character folded: looked up at both ends of every match (a few distinct ones).
_folded_char = functools.cache(analysis.fold)


#: An English word this long may be written with a joint inside (``kmeans`` is found
#: in ``k-means``, which the index also holds as ``kmeans``: ``analysis.catenation``).
_JOINED_FROM = 4


def _spelled(term: str) -> re.Pattern[str] | None:
    """A pattern matching every spelling of the folded ``term`` (None: not known)."""
    parts = []
    for char in term:
        forms = analysis.spellings(char)
        if forms is None:
            return None
        parts.append(re.escape(forms) if len(forms) == 1 else f"[{re.escape(forms)}]")
    joint = "[-._]?" if len(term) >= _JOINED_FROM and term.isascii() and term.isalpha() else ""
    return re.compile(joint.join(parts))


def _each(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Every match, overlapping ones too (``哈哈`` twice in ``哈哈哈``), as ``_starts``."""
    match = pattern.search(text)
    while match is not None:
        yield match
        match = pattern.search(text, match.start() + 1)


def _starts(folded: str, term: str) -> Iterator[int]:
    start = folded.find(term)
    while start != -1:
        yield start
        start = folded.find(term, start + 1)


def _whole(found: list[Span], text: str, folded_at: Callable[[int], str]) -> list[Span]:
    """The matches that are whole words: a match that begins (ends) with letters or
    digits does not continue a run of them (``folded_at(i)``: character i folded).
    Letters and digits meeting is a border, as in the index (``qwen`` is a word of
    ``qwen2.5``, ``py`` none of ``python``)."""
    spans: list[Span] = []
    for start, end in found:
        if start > 0 and _joined_at(start, text, folded_at):
            continue
        if end < len(text) and _joined_at(end, text, folded_at):
            continue
        spans.append((start, end))
    return spans


def _joined_at(at: int, text: str, folded_at: Callable[[int], str]) -> bool:
    """Whether the characters before and at ``at`` are in one word of the index: a run
    of letters or of digits, except where a version follows a name (``yolo|v8``)."""
    if not _continues(folded_at(at - 1), folded_at(at)):
        return False
    version = (
        folded_at(at) == "v"
        and at >= 2
        and at + 1 < len(text)
        and folded_at(at + 1) in "0123456789"
        and _continues(folded_at(at - 2), "v")
    )
    return not version


def _merged(spans: list[Span]) -> list[Span]:
    spans.sort()
    merged: list[Span] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _continues(before: str, after: str) -> bool:
    """Whether two folded characters are one run: both letters or both digits (ASCII)."""
    return (
        before.isascii()
        and after.isascii()
        and before.isalnum()
        and after.isalnum()
        and before.isdigit() == after.isdigit()
    )


def snippet(
    text: str, terms: list[str], *, width: int = SNIPPET_CHARS, spelled: Spelled | None = None
) -> str:
    """The passage of ``text`` with the most distinct query terms, matches in «…».

    ``spelled`` keeps the words' patterns for the next snippet of the same words.
    """
    spelled = {} if spelled is None else spelled
    text = " ".join(text.split())
    spans, words = _matches(text, terms, spelled)
    if not spans:  # matched through the bigram shadow: show the bigrams
        grams = {g for term in terms for g in analysis.cjk_grams(term) if len(g) > 1}
        spans, words = _matches(text, sorted(grams), spelled)
    if not spans:
        return text[:width] + ("…" if len(text) > width else "")
    best_start, best_score = 0, -1
    for first, (start, _) in enumerate(spans):
        inside = {words[i] for i in range(first, len(spans)) if spans[i][1] <= start + width}
        if len(inside) > best_score:
            best_start, best_score = start, len(inside)
    begin = max(0, min(best_start - width // 4, len(text) - width))
    end = min(len(text), begin + width)
    out = ["…" if begin > 0 else ""]
    cursor = begin
    for start, stop in spans:
        if start < begin or stop > end:
            continue
        out += [text[cursor:start], MARK_OPEN, text[start:stop], MARK_CLOSE]
        cursor = stop
    out.append(text[cursor:end])
    out.append("…" if end < len(text) else "")
    return "".join(out)


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
