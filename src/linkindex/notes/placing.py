"""Placing the links of a note: each link's title, description, label and topic.

The rows (``rows.read_rows``) are walked once, top to bottom: a heading moves the topic,
a label line labels the URLs after it, and a URL line takes the short line after it as
its title (a longer one as its description).
"""

from __future__ import annotations

import re
import unicodedata

from linkindex.models.notes import NoteLink, Placement
from linkindex.notes.rows import Break, Heading, Line, Link, Row, without_ignorables
from linkindex.urls import normalize

__all__ = ["DESCRIPTION_MIN_CHARS", "LABEL_MAX_CHARS", "PROSE_MIN_CHARS", "Placer"]

#: A line after a URL longer than this is a description, never a title. WeChat caps
#: article titles at 64 characters; the notes' own titles add a remark now and then
#: (the longest in the sample is 66), so 80 keeps every title and no real paragraph.
DESCRIPTION_MIN_CHARS = 80

#: A line that ends with "。" and is at least this long reads as prose (a sentence
#: about the link), not as a title: article titles rarely end with a full stop, and
#: the short ones that do ("苏剑林的blog。") are the note's own one-line titles.
PROSE_MIN_CHARS = 40

#: A label ("官网", "代码", "Model Zoo(非官方)") is a few words; a longer line ending
#: with a colon is prose whose last clause may still be one ("…中间表示。官网：").
LABEL_MAX_CHARS = 20

_ENUMERATION = re.compile(r"^\s*(?:\d+[.．](?!\d)|\d+[)）、]|[（(]\d+[)）]|[-*+•·])\s*")
_COLONS = (":", "：")
_EDGE_PUNCT = " \t:：,，;；.。、-—–|~"

#: Characters that hold no word: invisible ones a copy brings along (zero-width space,
#: direction marks, a BOM in the middle of a file).
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"

#: Unicode categories of characters that are not words: punctuation, symbols, spaces,
#: format and other invisible characters (``）」”…？！>``, U+200B).
_MARK_CATEGORIES = frozenset("PSZC")

#: Categories that close what came before (``)）」”``, ``…？！``): the wrapping or the end
#: of a URL, never the start of a title; an opening ``《「(`` may start one.
_CLOSING = frozenset({"Pe", "Pf", "Po", "Cf", "Zs"})


def _only_marks(text: str) -> bool:
    """Whether ``text`` holds no word: only punctuation, symbols, spaces, invisibles."""
    return all(unicodedata.category(char)[0] in _MARK_CATEGORIES for char in text)


def _without_closing(text: str) -> str:
    """``text`` without the closing marks it starts with (what wrapped or ended a URL)."""
    start = 0
    while start < len(text) and (
        unicodedata.category(text[start]) in _CLOSING or text[start] in ">*_~`"
    ):
        start += 1
    return text[start:]


def _is_link_line(line: Line) -> bool:
    """A line whose words are its links (a list marker, a label or marks may lead).

    ``(URL)``, ``（URL）``, ``"URL"``, ``「URL」``, ``→ URL`` and ``官网：URL`` are link lines;
    ``见 URL`` is prose.
    """
    if not line.links:
        return False
    before = _ENUMERATION.sub("", line.before).strip()
    return _only_marks(before) or before.rstrip("（([「『【《<\"'“‘ ").endswith(_COLONS)


def _label_of(text: str) -> str:
    """The label a line ending with a colon gives the links after it ("" if none)."""
    label = text.strip().rstrip(":： ")
    if "。" in label:
        label = label.rsplit("。", 1)[1]
    if len(label) > LABEL_MAX_CHARS:
        label = re.split(r"[，,；;]", label)[-1]
    label = label.strip()
    return label if 0 < len(label) <= LABEL_MAX_CHARS else ""


def _title_and_description(lines: list[str]) -> tuple[str, str]:
    """Split the text after a URL line into the link's title and description."""
    first = lines[0].strip().strip(_INVISIBLE).strip()
    rest = " ".join(line.strip().strip(_INVISIBLE) for line in lines[1:]).strip()
    if len(first) > DESCRIPTION_MIN_CHARS or (
        first.endswith("。") and len(first) >= PROSE_MIN_CHARS
    ):
        return "", " ".join(part for part in (first, rest) if part)
    head, stop, tail = first.partition("。")
    if stop and tail.strip():
        return head.strip(), " ".join(part for part in (tail.strip(), rest) if part)
    return first.rstrip("。").strip(), rest


def _can_describe(line: Line) -> bool:
    """Whether a plain line may be the title/description of the URL line before it."""
    text = line.text.strip()
    return (
        not line.links
        and not _only_marks(text)
        and not text.endswith(_COLONS)
        and not _ENUMERATION.match(text)
    )


def _prose(text: str) -> str:
    """The words of a line whose URLs were cut out, without the holes they left."""
    text = re.sub(r"[（(\[【]\s*[)）\]】]", "", text)
    text = re.sub(r"\s+([，。、；：！？,.;:!?）)])", r"\1", text)
    return " ".join(text.split()).strip(_EDGE_PUNCT)


def _own_title(link: Link) -> str:
    text = (link.text or "").strip()
    bare = without_ignorables(text)  # the URL as written, invisible characters and all
    if not text or bare == link.url or normalize(bare) == normalize(link.url):
        return ""
    return text


class Placer:
    """One pass over the rows, giving every link its placement."""

    def __init__(self, note_path: str, rows: list[Row]) -> None:
        self.path = note_path
        self.rows = rows
        self.links: list[NoteLink] = []
        self.headings: list[tuple[str, ...]] = []
        self.stack: list[tuple[int, str]] = []

    @property
    def topic(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.stack)

    def place(
        self, link: Link, line: int, *, title: str = "", description: str = "", label: str = ""
    ) -> None:
        placement = Placement(self.path, line, self.topic, title, description, label)
        self.links.append(NoteLink(link.url, placement))

    def run(self) -> None:
        rows = self.rows
        label = ""
        i = 0
        while i < len(rows):
            row = rows[i]
            i += 1
            if isinstance(row, Break):
                label = ""
            elif isinstance(row, Heading):
                label = ""
                self.heading(row)
            elif not row.links:
                text = row.text.strip()
                following = rows[i] if i < len(rows) else None
                label = ""
                if (
                    text.endswith(_COLONS)
                    and isinstance(following, Line)
                    and _is_link_line(following)
                ):
                    label = _label_of(text)
            elif not _is_link_line(row):
                label = ""
                description = _prose(row.text)
                for link in row.links:
                    self.place(link, row.number, title=_own_title(link), description=description)
            else:
                own = _label_of(row.before) if row.before.strip().endswith(_COLONS) else ""
                i, ended = self.link_line(row, i, own or label)
                if ended:
                    label = ""

    def heading(self, row: Heading) -> None:
        while self.stack and self.stack[-1][0] >= row.level:
            self.stack.pop()
        title = row.text or " ".join(link.url for link in row.line.links)
        if not title:  # an empty heading ends the sections below its level, no more
            return
        self.stack.append((row.level, title))
        self.headings.append(self.topic)
        for link in row.line.links:
            self.place(link, row.line.number, title=_own_title(link) or row.text)

    def link_line(self, row: Line, i: int, label: str) -> tuple[int, bool]:
        """Place the links of a URL line; returns the next row and whether a run ended."""
        for link in row.links[:-1]:
            self.place(link, row.number, title=_own_title(link), label=label)
        last = row.links[-1]
        title = _own_title(last)
        after = _without_closing(row.after).strip(_EDGE_PUNCT)
        if _only_marks(without_ignorables(after)):
            # Only what wrapped or ended the URL is left: the ``?`` of an empty query string
            # (WeChat's app copies links so), a full stop, a closing ``）」”>``, a zero-width
            # space copied along. The title is on the next line.
            after = ""
        if title:
            self.place(last, row.number, title=title, description=after, label=label)
            return i, False
        if after:
            title, description = _title_and_description([after])
            self.place(last, row.number, title=title, description=description, label=label)
            return i, bool(description and not title)
        texts: list[str] = []
        j = i
        while j < len(self.rows):
            candidate = self.rows[j]
            if not isinstance(candidate, Line) or not _can_describe(candidate):
                break
            if texts and candidate.paragraph != self.rows[j - 1].paragraph:  # type: ignore[union-attr]
                break
            texts.append(candidate.text)
            j += 1
        if not texts:
            self.place(last, row.number, label=label)
            return i, False
        title, description = _title_and_description(texts)
        self.place(last, row.number, title=title, description=description, label=label)
        return j, not title
