"""Queries: the model a parsed query is (``QuerySpec``) and its whoosh query.

``search.parse_query`` turns the query language into a ``QuerySpec``; ``to_whoosh``
compiles it (with the query segmenter's ``cut``) into the query ``searching`` runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from whoosh import query

from linkindex import analysis, topics

#: Query boosts: the exact sequence in the title on top, the character fallbacks
#: (title bigrams, single characters in a row in the text) well below word matches.
WEIGHTS = {"title_phrase": 3.0, "title_cjk": 0.5, "chars": 0.3}


@dataclass(frozen=True, slots=True)
class Words:
    """Free text of a query: a bare word (all its jieba words required) or a phrase."""

    text: str
    field: str | None = None  # None: every text field; "title": the title only
    phrase: bool = False


@dataclass(frozen=True, slots=True)
class Exact:
    """A filter term: site, status or kind."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic filter as typed (``topic:``, ``--topic``).

    Its term is the topic's key, which depends on the library's headings (``topics.key``):
    it is found when the query is compiled, against the headings the index holds.
    """

    text: str


Filter = Exact | Topic
Clause = Words | Exact | Topic


@dataclass(slots=True)
class QuerySpec:
    """A parsed query: every group must match (one clause of it), no excluded may."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
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


def filter_term(clause: Filter, headings: topics.Known, boost: float = 1.0) -> query.Term:
    """The term of a filter; a topic's is its key among ``headings`` (``topics.key``)."""
    if isinstance(clause, Topic):
        return query.Term("topic", topics.key(clause.text, headings), boost=boost)
    return query.Term(clause.field, clause.value, boost=boost)


def clause_query(
    clause: Clause, cut: Any, known: Any = None, *, headings: topics.Known
) -> query.Query:
    """The whoosh query of a clause (``headings``: the heading keys a topic resolves by)."""
    if isinstance(clause, Words):
        return words_query(clause, cut, known)
    return filter_term(clause, headings)


#: Filters score (almost) nothing; zero would break whoosh's block-quality skipping.
_FILTER_BOOST = 1e-6


def to_whoosh(
    spec: QuerySpec, cut: Any, known: Any = None, *, headings: topics.Known
) -> query.Query:
    """The whoosh query of a parsed query, filters included.

    ``known(word)`` says whether the index has a word; ``headings`` holds the key of every
    heading the index has (a topic's key is found by them: ``topics.key``).

    Filters are intersected with the words (whoosh skips through their postings) rather
    than passed as a search filter, which builds the set of every link that passes it on
    each search. The meta document has no words, so it never matches
    a query with words; a query of filters alone starts from every link.
    """
    parts: list[query.Query] = []
    for group in spec.groups:
        clauses = [clause_query(c, cut, known, headings=headings) for c in group]
        parts.append(clauses[0] if len(clauses) == 1 else query.Or(clauses))
    parts += [filter_term(f, headings, _FILTER_BOOST) for f in spec.filters]
    if spec.since:
        parts.append(query.TermRange("date", spec.since, None, boost=_FILTER_BOOST))
    if not spec.groups:
        parts.append(query.Term("kind", "link", boost=_FILTER_BOOST))
    main: query.Query = parts[0] if len(parts) == 1 else query.And(parts)
    if spec.excluded:
        excluded = [clause_query(c, cut, headings=headings) for c in spec.excluded]
        main = query.AndNot(main, query.Or(excluded))
    return main


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
