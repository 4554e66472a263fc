"""Snippets: the passage of a text that shows a query's words, the words marked «…».

A word is found in the text as written, by the spellings of its characters
(``analysis.spellings``), so the marks fall on the original characters (``顯存`` for
``显存``, ``ＧＰＴ４`` for ``gpt4``), as whole words where it begins or ends with a letter or
digit, with or without a joint where letters meet digits (``GPT-4`` for ``gpt4``). Pure:
strings in, a string out.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from typing import NamedTuple

from linkindex import analysis

#: Highlight markers around matched text in ``Hit.snippet``.
MARK_OPEN = "«"
MARK_CLOSE = "»"
SNIPPET_CHARS = 120
#: A « or » written in the text is shown as ‹ or ›, so the marks are the matches' alone
#: (the web UI turns them into <mark>, a JSON reader splits at them).
_NOT_MARKS = ((MARK_OPEN, "\u2039"), (MARK_CLOSE, "\u203a"))
#: Where a word is in a snippet's text: (start, end).
Span = tuple[int, int]


class _Spelling(NamedTuple):
    """How a folded word is found in text as written (``_spelled``)."""

    pattern: re.Pattern[str]  # every spelling of it
    #: the characters that spell its characters besides their own (None: only the
    #: pattern finds it, as where it may be written with joints, ``k-means``)
    others: str | None
    overlaps: bool  # whether two of its matches may overlap (``_overlaps``)
    edges: bool  # whether it begins or ends with a letter or digit (``_whole``)


#: Words and how they are found (``_spelled``; None: by folding the text).
Spelled = dict[str, _Spelling | None]


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
    spellings = [spelled[term] for term in terms]
    if any(spelling is None for spelling in spellings):
        folded = analysis.fold(text)
        found = [(start, start + len(term)) for term in terms for start in _starts(folded, term)]
        spans = _merged(_whole(found, folded, lambda i: folded[i]))
        return spans, [folded[start:end] for start, end in spans]
    matched: list[Span] = []
    for term, spelling in zip(terms, filter(None, spellings), strict=True):
        if spelling.others is not None and not any(map(text.__contains__, spelling.others)):
            # written only as itself here (a page in simplified characters, a word in
            # lower case): found by plain string search, far quicker than the pattern
            spans = [(start, start + len(term)) for start in _starts(text, term)]
        else:
            pattern = spelling.pattern
            matches = _each(pattern, text) if spelling.overlaps else pattern.finditer(text)
            spans = [match.span() for match in matches]
        if spelling.edges:
            # A character folds alone as it does in the text (only Σ folds by its place,
            # and never to ASCII), and so do the characters of a match.
            spans = _whole(spans, text, lambda i: _folded_char(text[i]))
        matched += spans
    spans = _merged(matched)
    # (a page shows the same few spellings of its words again and again)
    folded_of: dict[str, str] = {}
    words = []
    for start, end in spans:
        shown = text[start:end]
        word = folded_of.get(shown)
        if word is None:
            word = folded_of[shown] = analysis.fold(shown)
        words.append(word)
    return spans, words


def _word_edge(char: str) -> bool:
    """Whether a word beginning (ending) with the folded ``char`` may continue a run of
    letters or digits in the text (``_whole``): a match that does is not the word."""
    return char.isascii() and char.isalnum()


#: One character folded: looked up at both ends of every match (a few distinct ones).
_folded_char = functools.cache(analysis.fold)


#: An English word this long may be written with a joint inside (``kmeans`` is found
#: in ``k-means``, which the index also holds as ``kmeans``: ``analysis.catenation``).
_JOINED_FROM = 4


#: Where letters meet digits or ideographs (a name and its number, ``gpt4``, ``gpt-4``;
#: a number before a word, ``8比特``) a text may write a joint, full width too, or none:
#: the index finds ``GPT-4``, ``GPT 4``, ``ＧＰＴ－４`` and ``GPT4`` alike for either.
_BORDER_JOINT = "[-._ \uff0d\uff0e\uff3f]?"


def _border(before: str, after: str) -> bool:
    """Whether two folded characters are a border ``_BORDER_JOINT`` may stand at: a
    letter and a digit, or either and an ideograph."""
    if before.isascii() and after.isascii():
        return before.isalnum() and after.isalnum() and before.isdigit() != after.isdigit()
    latin, other = (before, after) if before.isascii() else (after, before)
    return latin.isascii() and latin.isalnum() and analysis.has_cjk(other)


def _spelled(term: str) -> _Spelling | None:
    """How the folded ``term`` is found: a pattern matching every spelling of it, and the
    other characters that spell it (None: a character's spellings are not known)."""
    parts = []
    others = []
    joined = len(term) >= _JOINED_FROM and term.isascii() and term.isalpha()
    plain = not joined
    for at, char in enumerate(term):
        if 0 < at < len(term) - 1 and char in "-._" and _border(term[at - 1], term[at + 1]):
            parts.append(_BORDER_JOINT)  # gpt-4: GPT4 too
            plain = False
            continue
        if at and _border(term[at - 1], char):
            parts.append(_BORDER_JOINT)  # gpt4: GPT-4 too
            plain = False
        forms = _spellings_of(char)
        if forms is None:
            return None
        parts.append(re.escape(forms) if len(forms) == 1 else f"[{re.escape(forms)}]")
        others += [form for form in forms if form != char]
        plain = plain and char in forms  # (a folded character spells itself)
    return _Spelling(
        re.compile(("[-._]?" if joined else "").join(parts)),
        "".join(dict.fromkeys(others)) if plain else None,
        _overlaps(term),
        _word_edge(term[0]) or _word_edge(term[-1]),
    )


def _each(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Every match, overlapping ones too (``哈哈`` twice in ``哈哈哈``), as ``_starts``."""
    match = pattern.search(text)
    while match is not None:
        yield match
        match = pattern.search(text, match.start() + 1)


def _overlaps(term: str) -> bool:
    """Whether two matches of the folded ``term`` may overlap: only where the word
    begins as it ends (``哈哈`` in ``哈哈哈``). Each character of a match folds to one of
    the word's (a joint between letters is no letter), so matches that overlap make the
    word's end its beginning; any other word's matches are found one after the other."""
    return any(term[:size] == term[-size:] for size in range(1, len(term)))


#: A character's spellings: the same few letters and ideographs come back in every query.
_spellings_of = functools.cache(analysis.spellings)


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
    """The passage of ``text`` with the most distinct query terms, matches in «…»; of
    passages with as many, the one with the longest match (the words written together).

    ``spelled`` keeps the words' patterns for the next snippet of the same words.
    """
    spelled = {} if spelled is None else spelled
    text = " ".join(text.split())
    for mark, other in _NOT_MARKS:  # (str.replace: a translate reads a page ~40x slower)
        text = text.replace(mark, other)
    spans, words = _matches(text, terms, spelled)
    if not spans:  # matched through the bigram shadow: show the bigrams
        terms = sorted({g for term in terms for g in analysis.cjk_grams(term) if len(g) > 1})
        spans, words = _matches(text, terms, spelled)
    if not spans:
        return text[:width] + ("…" if len(text) > width else "")
    spans = [(start, _marks_end(text, end)) for start, end in spans]
    # a passage shows a quarter of its width before its first match: it is chosen for
    # the matches in the rest
    lead = width // 4
    begin = max(0, min(_best_passage(spans, words, terms, width - lead) - lead, len(text) - width))
    end = min(len(text), begin + width)
    out = ["…" if begin > 0 else ""]
    cursor = begin
    for start, stop in spans:
        if start < begin or start >= end or (stop > end and stop - start <= width):
            continue  # (a match the passage cuts is not marked, unless none could hold it)
        stop = min(stop, end)
        out += [text[cursor:start], MARK_OPEN, text[start:stop], MARK_CLOSE]
        cursor = stop
    out.append(text[cursor:end])
    out.append("…" if end < len(text) else "")
    return "".join(out)


def _marks_end(text: str, end: int) -> int:
    """Where the combining marks and variation selectors on the character before ``end``
    end: a highlight holds them (``«cafe\u0301»``, an ideograph with its variation
    selector), never leaves them to sit on its closing mark."""
    while end < len(text) and unicodedata.category(text[end])[0] == "M":
        end += 1
    return end


def _best_passage(spans: list[Span], words: list[str], terms: list[str], reach: int) -> int:
    """Where the first match of the passage with the most distinct ``terms`` in its
    matches (those ending within ``reach`` characters of it) begins, the longest match
    breaking ties. A match counts every term in it:
    «顯存優化» holds 显存 and 优化, «3D打印» 3d打印, 3d and 打印, so a passage with the
    words written together beats one where they stand apart (a match found by its
    spellings, k-means for kmeans, counts as itself)."""
    held_by: dict[str, list[str]] = {}  # (a page's matches are a few words again and again)
    for word in words:
        if word not in held_by:
            held_by[word] = [t for t in terms if t in word] or [word]
    held = [held_by[word] for word in words]
    lengths = [end - begin for begin, end in spans]
    # The passages slide along the matches: the terms in the passage with how many of
    # its matches hold each, and its matches longest first (a sliding maximum).
    counts: dict[str, int] = {}
    distinct = 0
    longest: deque[int] = deque()
    best_start, best_score, last = 0, (0, 0), 0
    for first, (start, _) in enumerate(spans):
        # (a passage holds at least its first match, even one longer than the passage)
        while last < len(spans) and (last == first or spans[last][1] <= start + reach):
            for term in held[last]:
                count = counts.get(term, 0)
                distinct += count == 0
                counts[term] = count + 1
            while longest and lengths[longest[-1]] <= lengths[last]:
                longest.pop()
            longest.append(last)
            last += 1
        while longest[0] < first:
            longest.popleft()
        score = (distinct, lengths[longest[0]])
        if score > best_score:
            best_start, best_score = start, score
        for term in held[first]:
            count = counts[term] - 1
            distinct -= count == 0
            counts[term] = count
    return best_start
