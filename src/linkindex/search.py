"""Searching a library: keeping the index current, queries to hits, related links.

Query language (all terms required by default)::

    显存 优化              both words (each may be in the title, the notes, the topics or the text)
    pytorch OR mxnet      either
    NOT tensorflow, -tf   without
    "分析与优化"            the exact phrase
    title:显存             only in titles
    site:zhihu            a site (wechat, zhihu, github, csdn, cnblogs, web)
    status:dead           a status (new, ok, not_modified, dead, blocked, error, skipped)
    topic:Pytorch         under a heading, at any level; topic:"Pytorch/参考" a path of headings

A word that jieba cuts into several (``显存优化`` -> ``显存`` ``优化``) requires them all and
ranks the exact phrase first; its CJK characters may also match through the bigram shadow,
ranked below word matches.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkindex import analysis, index
from linkindex.errors import EmptyLibraryError, NotFoundError, QueryError, UserError
from linkindex.models import SITES, STATUSES, Hit

if TYPE_CHECKING:
    from linkindex.store import LinkRecord, Store

#: Highlight markers around matched text in ``Hit.snippet``.
MARK_OPEN = "«"
MARK_CLOSE = "»"
SNIPPET_CHARS = 120

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


def _exact(name: str, value: str) -> index.Exact:
    value = value.strip()
    if name == "topic":
        return index.Exact("topic", index.topic_key(value))
    folded = analysis.fold(value)
    known = SITES if name == "site" else STATUSES
    if folded not in known:
        raise QueryError(f"unknown {name} {value!r}; use one of: {', '.join(known)}")
    return index.Exact(name, folded)


def parse_query(text: str) -> index.QuerySpec:
    """Parse the query language into groups (AND) of alternatives (OR) and exclusions."""
    spec = index.QuerySpec()
    join_next = negate_next = False
    for match in _TOKEN.finditer(text.replace("(", " ").replace(")", " ")):
        minus, name, quoted, bare = match.groups()
        if quoted is None and not name and not minus and bare in ("OR", "|", "AND", "NOT"):
            join_next = bare in ("OR", "|") and bool(spec.groups)
            negate_next = bare == "NOT"
            continue
        field_name = name.lower() if name else None
        value = quoted if quoted is not None else bare
        clause: index.Clause
        if field_name in ("site", "status", "topic"):
            clause = _exact(field_name, value)
        elif field_name == "title":
            clause = index.Words(value, field="title", phrase=quoted is not None)
        elif field_name is not None:  # not a field of ours (http://…, c++:): plain text
            clause = index.Words(f"{name}:{value}", phrase=quoted is not None)
        else:
            clause = index.Words(value, phrase=quoted is not None)
        if isinstance(clause, index.Words) and not analysis.is_word(clause.text):
            continue
        if minus or negate_next:
            spec.excluded.append(clause)
        elif isinstance(clause, index.Exact) and not join_next:
            spec.filters.append(clause)
        elif join_next:
            spec.groups[-1].append(clause)
        else:
            spec.groups.append([clause])
        join_next = negate_next = False
    return spec


def _since(text: str) -> str:
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text.strip()):
        raise QueryError(f"--since {text!r} is not a date; write YYYY-MM-DD, YYYY-MM or YYYY")
    return text.strip()


# -- keeping the index current -----------------------------------------------------------


def _headings(store: Store) -> list[str]:
    names: list[str] = []
    stack = list(store.topic_tree())
    while stack:
        node = stack.pop()
        names.append(node.name)
        stack.extend(node.children)
    return names


def refresh_index(store: Store, home: Path, *, rebuild: bool = False) -> int:
    """Bring HOME/index up to date with the store; returns how many documents were written.

    Only links whose ``change_seq`` moved since the last run are rewritten; removed links
    leave the index. When the notes' headings add (or drop) dictionary words, the links
    whose text contains one of those words are re-segmented too, in the same commit that
    records the new dictionary. The whole index is rebuilt (into a new folder, swapped
    in) with ``rebuild``, when there is none, when the analyzer itself changed, or when
    the changed words touch most links anyway.
    """
    words = analysis.heading_words(_headings(store))
    seq = store.change_seq()
    if not rebuild and index.exists(home):
        with index.LinkIndex(index.index_dir(home)) as ix:
            # An index written by another version of linkindex is rebuilt below.
            current = ix.is_current()
            state = ix.state() if current else index.IndexState()
            if current and state.vocabulary == analysis.fingerprint(words):
                return _update(store, ix, words, state, seq)
            if current and state.analyzer == analysis.ANALYZER_VERSION and state.words is not None:
                segmenter = analysis.segmenter(words)
                changed = analysis.changed_words(state.words, segmenter.words)
                affected = store.link_ids_containing(
                    piece for word in changed for piece in analysis.telltales(word)
                )
                if len(affected) * 2 <= store.count_links():
                    return _update(store, ix, words, state, seq, also=affected)
    return _rebuild(store, home, analysis.segmenter(words), seq)


def _update(
    store: Store,
    ix: index.LinkIndex,
    words: list[str],
    state: index.IndexState,
    seq: int,
    *,
    also: list[int] | None = None,
) -> int:
    """Rewrite the changed links (and ``also``); switch dictionaries if it is a new one.

    The new dictionary file is written before the commit whose meta document names
    it, and the old one removed after: a crash in between leaves a stray file, never
    an index without its dictionary.
    """
    vocabulary = analysis.fingerprint(words)
    old_dictionary = ix.dictionary_path(state)
    dictionary = ix.folder / f"{index.DICTIONARY_PREFIX}{vocabulary}.txt"
    new_state = vocabulary != state.vocabulary or state.words is None
    alive = sorted(set(store.changed_link_ids(state.change_seq)) | set(also or ()))
    removed = store.removed_link_ids(state.change_seq)
    if not alive and not removed and not new_state and dictionary.exists():
        return 0
    segmenter = analysis.segmenter(words)
    if not dictionary.exists():
        segmenter.write_dictionary(dictionary)
    if not alive and not removed and not new_state:
        return 0
    writer = ix.writer()
    try:
        written = index.write_documents(writer, store.iter_link_records(ids=alive), segmenter)
        index.write_documents(writer, [], segmenter, removed=removed)  # removed last
        index.write_state(
            writer,
            index.IndexState(
                seq,
                segmenter.fingerprint,
                analyzer=analysis.ANALYZER_VERSION,
                words=segmenter.words,
            ),
        )
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    if old_dictionary != dictionary:
        old_dictionary.unlink(missing_ok=True)
    return written


#: A rebuild writes a segment each time the postings held reach this much memory
#: (shared among the processes that build it). With what a process holds besides
#: (the dictionary, the store, writing a segment) each stays under 500 MB: a 25,000-link
#: rebuild writes two segments a process.
REBUILD_MEMORY = 600 << 20
#: Rebuilds of this many links or more are split among processes, one per core (2 at most:
#: each holds a share of the postings in memory).
PARALLEL_FROM = 2000
REBUILD_PROCESSES = max(1, min(2, os.cpu_count() or 1))


def _rebuild(store: Store, home: Path, segmenter: analysis.Segmenter, seq: int) -> int:
    """Write every link into a new index folder, then swap it in.

    The links are split into runs of ids, one per process (this one takes the last);
    each process writes its own segments and this one lists them all, with the meta
    document, in one commit. An index folder without that commit is never swapped in.
    """
    import shutil

    built = index.index_dir(home).with_name(index.INDEX_DIR + ".new")
    shutil.rmtree(built, ignore_errors=True)
    index.create(built)
    vocabulary = segmenter.fingerprint
    segmenter.write_dictionary(built / f"{index.DICTIONARY_PREFIX}{vocabulary}.txt")
    ids = sorted(store.alive_link_ids())
    processes = REBUILD_PROCESSES if len(ids) >= PARALLEL_FROM else 1
    share = max(1, -(-len(ids) // processes))
    runs = [ids[start : start + share] for start in range(0, len(ids), share)] or [[]]
    memory = REBUILD_MEMORY // len(runs)
    segments: list[Any] = []
    if len(runs) > 1:
        from linkindex.workers import worker_pool

        with worker_pool(len(runs) - 1, method="spawn") as pool:
            others = [
                pool.submit(_build_run, home, built, run, list(segmenter.extra), memory)
                for run in runs[:-1]
            ]
            mine = index.write_segments(
                built, store.iter_link_records(ids=runs[-1]), segmenter, memory=memory
            )
            for future in others:
                segments += future.result()
        segments += mine
    else:
        segments = index.write_segments(
            built, store.iter_link_records(ids=runs[0]), segmenter, memory=memory
        )
    with index.LinkIndex(built) as ix:
        writer = ix.writer()
        try:
            state = index.IndexState(
                seq, vocabulary, analyzer=analysis.ANALYZER_VERSION, words=segmenter.words
            )
            index.write_state(writer, state)
        except BaseException:
            writer.cancel()
            raise
        index.commit_segments(writer, segments)
    index.swap_in(home, built)
    return len(ids)


def _build_run(home: Path, built: Path, ids: list[int], words: list[str], memory: int) -> list[Any]:
    """A rebuild's share in another process: segments for ``ids`` (see ``_rebuild``)."""
    from linkindex.store import Store

    store = Store(home, create=False)
    try:
        return index.write_segments(
            built, store.iter_link_records(ids=ids), analysis.segmenter(words), memory=memory
        )
    finally:
        store.close()


# -- searching ---------------------------------------------------------------------------


def _open(home: Path, store: Store | None) -> index.LinkIndex:
    """The library's index; a missing one says how to fill the library."""
    if not index.exists(home):
        if store is not None and store.count_links(include_removed=True):
            raise EmptyLibraryError(
                f"the library at {home} has no search index yet; run `linkindex index`"
            )
        raise EmptyLibraryError(_EMPTY.format(home=home))
    opened = index.LinkIndex(index.index_dir(home))
    if not opened.is_current():
        opened.close()
        raise UserError(
            f"the search index in {home} was written by another version of linkindex; "
            "run `linkindex index --rebuild`"
        )
    return opened


_EMPTY = "nothing to search in {home}; fill it with `linkindex import NOTES_DIR`"


def _filters(
    spec: index.QuerySpec,
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
) -> SearchResults:
    """Search the library at ``home``; ``store`` (opened if not given) supplies the hits' data.

    Raises QueryError for a malformed option and EmptyLibraryError when there is nothing
    to search (the message says how to fill the library).
    """
    if limit < 1 or page < 1:
        raise QueryError("--limit and --page must be 1 or more")
    spec = parse_query(query)
    _filters(spec, topic=topic, site=site, status=status, since=since)
    own_store = store is None
    if store is None:
        from linkindex.store import Store

        store = Store(home, create=False)
    try:
        with _open(home, store) as ix, ix.searcher() as searcher:
            state = index.read_state(searcher)
            if state.links == 0:
                raise EmptyLibraryError(_EMPTY.format(home=home))
            segmenter = analysis.QuerySegmenter(ix.dictionary_path(state))
            try:
                cut = segmenter.cut
                found = index.run(searcher, spec, cut, limit=limit, page=page)
                suggestions = [] if found.total else _suggest(searcher, spec, cut, query)
                terms = query_terms(spec, cut)
            finally:
                segmenter.close()
        records = store.link_records(found.ids)
        hits = [
            make_hit(record, score, terms)
            for record, score in zip(records, found.scores, strict=True)
        ]
    finally:
        if own_store:
            store.close()
    return SearchResults(hits, found.total, page, limit, suggestions, terms)


def query_terms(spec: index.QuerySpec, cut: Any) -> list[str]:
    """The folded words a query looks for (what a snippet highlights), longest first."""
    terms: set[str] = set()
    for group in spec.groups:
        for clause in group:
            if isinstance(clause, index.Words):
                for word in cut(analysis.fold(clause.text)):
                    terms.add(word)
                    # a mixed token (8比特) matches by its parts too: mark those that say
                    # something (not a lone letter or digit)
                    terms.update(p for p in analysis.parts(word) if len(p) > 1 or not p.isascii())
    return sorted(terms, key=lambda t: (-len(t), t))


def _suggest(searcher: Any, spec: index.QuerySpec, cut: Any, text: str) -> list[str]:
    """What to try when nothing matched: a spelling fix, any word instead of all, no filter."""
    suggestions: list[str] = []
    words = [c for g in spec.groups for c in g if isinstance(c, index.Words)]
    fixed = text
    for clause in words:
        for word in cut(analysis.fold(clause.text)):
            if word.isascii() and len(word) > 2:
                better = index.spelling(searcher, word)
                if better:
                    fixed = re.sub(re.escape(word), better, fixed, flags=re.IGNORECASE)
    if fixed != text and index.count(searcher, _respec(parse_query(fixed), spec), cut):
        suggestions.append(fixed)
    if len(spec.groups) > 1:
        loose = index.QuerySpec(
            [[c for g in spec.groups for c in g]], spec.excluded, spec.filters, spec.since
        )
        if index.count(searcher, loose, cut):
            suggestions.append(" OR ".join(_show(c) for g in spec.groups for c in g))
    elif len(words) == 1 and analysis.has_cjk(words[0].text):
        # one word with nothing: its characters anywhere (the widest bigram fallback)
        chars = [
            index.Words(ch)
            for ch in dict.fromkeys(analysis.cjk_grams(analysis.fold(words[0].text), unigrams=True))
            if len(ch) == 1
        ]
        loose = index.QuerySpec([[c] for c in chars], spec.excluded, spec.filters, spec.since)
        if len(chars) > 1 and index.count(searcher, loose, cut):
            suggestions.append(" ".join(c.text for c in chars))
    for position, dropped in enumerate(spec.filters):
        fewer = [f for i, f in enumerate(spec.filters) if i != position]
        wider = index.QuerySpec(spec.groups, spec.excluded, fewer, spec.since)
        if index.count(searcher, wider, cut):
            suggestions.append(f"without {dropped.field}:{dropped.value}")
    if spec.since:
        wider = index.QuerySpec(spec.groups, spec.excluded, spec.filters, None)
        if index.count(searcher, wider, cut):
            suggestions.append(f"without since:{spec.since}")
    return suggestions


def _respec(parsed: index.QuerySpec, options: index.QuerySpec) -> index.QuerySpec:
    parsed.filters = options.filters
    parsed.since = options.since
    return parsed


def _show(clause: index.Clause) -> str:
    if isinstance(clause, index.Exact):
        return f'{clause.field}:"{clause.value}"'
    text = f'"{clause.text}"' if clause.phrase else clause.text
    return f"title:{text}" if clause.field == "title" else text


# -- hits and snippets --------------------------------------------------------------------


def make_hit(record: LinkRecord, score: float, terms: list[str]) -> Hit:
    """A search hit for a link record, with a snippet highlighting ``terms``."""
    page = record.page
    if page and page.text:
        source = page.text
    else:
        notes = [p.description for p in record.placements if p.description]
        source = "\n".join(notes) or (page.description if page else "") or record.title
    return hit_of(record, score=score, snippet=snippet(source, terms))


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


def match_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where the terms occur in ``text`` (case-insensitive), merged, in order.

    English and code terms only match whole (``torch`` not inside ``pytorch``);
    Chinese terms match anywhere.
    """
    return _spans(analysis.fold(text), terms)


def _spans(folded: str, terms: list[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for term in terms:
        if not term:
            continue
        start = folded.find(term)
        while start != -1:
            end = start + len(term)
            whole = not _latin(term[0]) or start == 0 or not _latin(folded[start - 1])
            whole = whole and (
                not _latin(term[-1]) or end == len(folded) or not _latin(folded[end])
            )
            if whole:
                spans.append((start, end))
            start = folded.find(term, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def snippet(text: str, terms: list[str], *, width: int = SNIPPET_CHARS) -> str:
    """The passage of ``text`` with the most distinct query terms, matches in «…»."""
    text = " ".join(text.split())
    folded = analysis.fold(text)
    spans = _spans(folded, terms)
    if not spans:  # matched through the bigram shadow: show the bigrams
        grams = {g for term in terms for g in analysis.cjk_grams(term) if len(g) > 1}
        spans = _spans(folded, sorted(grams))
    if not spans:
        return text[:width] + ("…" if len(text) > width else "")
    best_start, best_score = 0, -1
    for first, (start, _) in enumerate(spans):
        inside = {folded[s:e] for s, e in spans[first:] if e <= start + width}
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


def related(home: Path, url: str, *, limit: int = 10) -> list[Hit]:
    """Links like the one at ``url``: more-like-this over its words and its topics."""
    from linkindex.store import Store
    from linkindex.urls import normalize

    store = Store(home, create=False)
    try:
        canonical = normalize(url)
        link_id = store.link_id_for(canonical) if canonical else None
        if link_id is None:
            raise NotFoundError(f"{url} is not in the library; `linkindex search` finds links")
        (record,) = store.link_records([link_id])
        with _open(home, store) as ix, ix.searcher() as searcher:
            segmenter = analysis.QuerySegmenter(ix.dictionary_path(index.read_state(searcher)))
            try:
                page = record.page
                body = (page.text if page else "")[:20000]
                words = segmenter.cut(record.title) * 3 + segmenter.cut(body)
                terms = index.key_terms(searcher, words)
                wanted = index.related_query(terms, index.topic_keys(record.topics))
                found, _ = index.best(searcher, wanted, limit + 1)
            finally:
                segmenter.close()
        found = [(i, s) for i, s in found if i != link_id][:limit]
        records = store.link_records([i for i, _ in found])
        shown = [t for t, _ in terms]
        return [make_hit(r, s, shown) for r, (_, s) in zip(records, found, strict=True)]
    finally:
        store.close()


# -- the doctor ---------------------------------------------------------------------------


@dataclass(slots=True)
class IndexCheck:
    """How the index compares with the store."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    store_links: int = 0
    index_links: int = 0
    store_seq: int = 0
    index_seq: int = 0


def check_index(store: Store, home: Path) -> IndexCheck:
    """Compare the index with the store: missing, damaged, behind, or different links."""
    alive = store.alive_link_ids()
    check = IndexCheck(ok=True, store_links=len(alive), store_seq=store.change_seq())
    if not index.exists(home):
        if alive:
            check.problems.append("there is no search index")
        check.ok = not check.problems
        return check
    try:
        with index.LinkIndex(index.index_dir(home)) as ix:
            state = ix.state()
            indexed = ix.indexed_ids()
            dictionary = ix.dictionary_path(state)
    except UserError as exc:
        check.problems.append(str(exc))
        check.ok = False
        return check
    except Exception as exc:  # a damaged index raises whatever whoosh meets
        check.problems.append(f"the index cannot be read: {exc}")
        check.ok = False
        return check
    check.index_links, check.index_seq = len(indexed), state.change_seq
    if not dictionary.exists():
        check.problems.append(f"the query dictionary {dictionary.name} is missing")
    if state.change_seq > check.store_seq:
        check.problems.append(
            f"the index is ahead of the store (seq {state.change_seq} > {check.store_seq})"
        )
    missing, extra = alive - indexed, indexed - alive
    pending = set(store.changed_link_ids(state.change_seq))
    pending.update(store.removed_link_ids(state.change_seq))
    if missing - pending:
        check.problems.append(f"{len(missing - pending)} links of the store are not indexed")
    if extra - pending:
        check.problems.append(f"{len(extra - pending)} indexed links are not in the store")
    check.ok = not check.problems
    return check
