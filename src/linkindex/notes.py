"""Markdown notes -> links with their taxonomy (pure: text in, ParsedNote out).

A note is a Jekyll post: front matter (title, category, tags), then headings that form
a taxonomy, and under them links in a few habitual shapes::

    官网：                         <- a label line: says what the next link is
    https://mp.weixin.qq.com/s/…   <- a URL line
    显存不足？PyTorch显存使用分析与优化   <- the short line after it: its title

A longer prose paragraph after a URL line is its description instead. A Markdown
link's text is its title. URLs inside code (fenced, indented or inline) are never
links; images are not links. The parser is markdown-it, so a ``# comment`` in a code
block is never a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath

from markdown_it import MarkdownIt
from markdown_it.token import Token

from linkindex.models import Note, NoteLink, ParsedNote, Placement
from linkindex.urls import normalize

__all__ = ["DESCRIPTION_MIN_CHARS", "LABEL_MAX_CHARS", "PROSE_MIN_CHARS", "parse_note"]

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

# -- the Markdown parser -------------------------------------------------------------


def _markdown() -> MarkdownIt:
    # No table rule: a table row stays a line of text whose links are still found,
    # and skipping the rule makes parsing noticeably faster.
    md = MarkdownIt("commonmark", {"html": True})
    # Keep every href as written: we judge (and count) javascript:/file: links ourselves,
    # and the key is made by urls.normalize, not by markdown-it's escaping.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.normalizeLinkText = lambda link: link  # type: ignore[method-assign]
    # Inline parsing is done by _Collector, and only where some markup could be.
    md.disable(["inline", "text_join"])
    return md


_MD = _markdown()

# Emphasis markup inside a bare URL (``https://x.com/a*b*c``) is re-inserted as
# private-use characters so the URL survives markdown-it's emphasis parsing.
_SENTINEL = 0xE000
#: Characters that may start inline markup; a block without any is plain text lines
#: (most title lines are), and skipping markdown-it's inline pass there halves the work.
_MARKUP = re.compile(r"[`*_\\&<\[]")
_SENTINELS = re.compile("[\ue000-\ue0ff]")
_URL_CHAR = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%\ue000-\ue0ff]"
#: A bare URL in prose: http(s) or file, ending at whitespace or any non-ASCII
#: character (Chinese text and full-width punctuation ：（），。 often follow a URL
#: without a space; a URL with Chinese in it is kept whole inside <…> or [](…)).
_BARE_URL = re.compile(rf"(?<![A-Za-z0-9])(?:https?|file)://{_URL_CHAR}*", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*"
_HTML_LINK = re.compile(
    r"<a\b[^>]*?\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))[^>]*>(.*?)</a\s*>",
    re.IGNORECASE | re.DOTALL,
)
_HTML_OPEN = re.compile(
    r"<a\b[^>]*?\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE
)
_TAG = re.compile(r"<[^>]+>")
_ENUMERATION = re.compile(r"^\s*(?:\d+[.．](?!\d)|\d+[)）、]|[（(]\d+[)）]|[-*+•·])\s*")
_COLONS = (":", "：")
_EDGE_PUNCT = " \t:：,，;；.。、-—–|~"
_JEKYLL_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-")


# -- rows: the note as a flat sequence of headings, lines and breaks ---------------


@dataclass(slots=True)
class _Link:
    url: str
    text: str | None  # the link's own text; None for a bare URL


@dataclass(slots=True)
class _Line:
    number: int  # 1-based line in the file
    paragraph: int  # lines of one paragraph share this number
    before: str = ""  # text before the first link
    after: str = ""  # text after the last link
    text: str = ""  # all the text of the line, links' own text included
    links: list[_Link] = field(default_factory=list)


@dataclass(slots=True)
class _Heading:
    level: int
    text: str
    line: _Line


@dataclass(slots=True)
class _Break:
    pass


_Row = _Line | _Heading | _Break


class _Collector:
    """Walks markdown-it's tokens into rows, counting links it skips."""

    def __init__(self, offset: int, env: dict[str, object]) -> None:
        self.offset = offset
        self.env = env
        self.rows: list[_Row] = []
        self.skipped: dict[str, int] = {}
        self._paragraph = 0

    def keep(self, url: str) -> bool:
        """Whether ``url`` is a link we import; count it as skipped when not."""
        reason = _skip_reason(url)
        if reason:
            self.skipped[reason] = self.skipped.get(reason, 0) + 1
            return False
        return True

    def walk(self, tokens: list[Token]) -> None:
        heading_level = 0
        for token in tokens:
            if token.type == "heading_open":
                heading_level = int(token.tag[1])
            elif token.type == "inline":
                start = self.offset + (token.map[0] if token.map else 0) + 1
                self._paragraph += 1
                lines = self.inline(token.content, start)
                if heading_level:
                    text = " ".join(line.text for line in lines).strip()
                    self.rows.append(_Heading(heading_level, text, _merge(lines)))
                    heading_level = 0
                elif any(line.links or line.text.strip() for line in lines):
                    self.rows.extend(lines)
                else:
                    self.rows.append(_Break())  # an image-only paragraph
            elif token.type == "html_block":
                self.html_block(token)
                self.rows.append(_Break())
            elif token.type in ("fence", "code_block", "hr"):
                self.rows.append(_Break())

    def inline(self, content: str, first: int) -> list[_Line]:
        """The lines of one paragraph (or heading)."""
        if not _MARKUP.search(content):
            return [
                self._line(first + n, text.strip(), [], [])
                for n, text in enumerate(content.split("\n"))
            ]
        children: list[Token] = []
        _MD.inline.parse(content, _MD, self.env, children)
        lines: list[_Line] = []
        parts: list[str] = []  # text of the current line, with sentinels
        size = 0  # characters in parts
        hidden: list[tuple[int, int]] = []  # spans no bare URL is looked for in (code)
        marked: list[tuple[int, int, _Link]] = []  # Markdown/HTML links and their text
        link: _Link | None = None  # a link whose text we are collecting
        link_text: list[str] = []
        number = first

        def add(text: str) -> None:
            nonlocal size
            parts.append(text)
            size += len(text)

        def close() -> None:
            assert link is not None
            link.text = " ".join("".join(link_text).split())
            start = size
            add(link.text)
            if self.keep(link.url):
                marked.append((start, size, link))
            else:
                hidden.append((start, size))

        def end_line() -> None:
            nonlocal parts, size, hidden, marked
            lines.append(self._line(number, "".join(parts), hidden, marked))
            parts, size, hidden, marked = [], 0, [], []

        for child in children:
            kind = child.type
            if kind in ("softbreak", "hardbreak"):
                if link is not None:
                    link_text.append(" ")
                else:
                    end_line()
                number += 1
            elif kind == "link_open":
                link = _Link(str(child.attrs.get("href", "")), "")
                link_text = []
            elif kind == "link_close" and link is not None:
                close()
                link = None
            elif kind == "html_inline":
                opened = _HTML_OPEN.match(child.content)
                if opened and link is None:
                    link = _Link(_html_href(opened), "")
                    link_text = []
                elif child.content.lower().startswith("</a") and link is not None:
                    close()
                    link = None
            elif kind in ("text", "text_special", "code_inline"):
                if link is not None:
                    link_text.append(child.content)
                elif kind == "code_inline":
                    start = size
                    add(child.content)
                    hidden.append((start, size))
                else:
                    add(child.content)
            elif kind in ("em_open", "em_close", "strong_open", "strong_close") and link is None:
                add("".join(chr(_SENTINEL + ord(c)) for c in child.markup))
        if link is not None:  # an <a> never closed: keep its href anyway
            close()
        end_line()
        return lines

    def _line(
        self,
        number: int,
        raw: str,
        hidden: list[tuple[int, int]],
        marked: list[tuple[int, int, _Link]],
    ) -> _Line:
        """One line: bare URLs found in its text, the text around its links kept."""
        line = _Line(number, self._paragraph)
        scan = raw
        for start, end in [*hidden, *((s, e) for s, e, _ in marked)]:
            scan = scan[:start] + " " * (end - start) + scan[end:]
        spans: list[tuple[int, int, _Link | None]] = [(s, e, k) for s, e, k in marked]
        for match in _BARE_URL.finditer(scan):
            url = _trim(match.group())
            end = match.start() + len(url)
            if _SENTINELS.search(url):
                url = _SENTINELS.sub(lambda m: chr(ord(m.group()) - _SENTINEL), url)
            spans.append((match.start(), end, _Link(url, None) if self.keep(url) else None))
        if not spans:
            line.text = _visible(raw)
            return line
        spans.sort(key=lambda span: span[0])
        line.links = [link for _, _, link in spans if link is not None]
        line.before = _visible(raw[: spans[0][0]])
        line.after = _visible(raw[max(end for _, end, _ in spans) :])
        cut = raw
        for start, end, link in sorted(spans, key=lambda span: -span[0]):
            if link is None or link.text is None:  # a bare URL is not text
                cut = cut[:start] + " " + cut[end:]
        line.text = " ".join(_visible(cut).split())
        return line

    def html_block(self, token: Token) -> None:
        """``<a href>`` links in a block of HTML, one row each."""
        base = self.offset + (token.map[0] if token.map else 0) + 1
        for match in _HTML_LINK.finditer(token.content):
            url = _html_href(match)
            if not self.keep(url):
                continue
            self._paragraph += 1
            text = " ".join(_TAG.sub(" ", match.group(4)).split())
            number = base + token.content.count("\n", 0, match.start())
            self.rows.append(_Line(number, self._paragraph, text=text, links=[_Link(url, text)]))


def _merge(lines: list[_Line]) -> _Line:
    merged = _Line(lines[0].number, lines[0].paragraph)
    for line in lines:
        merged.links.extend(line.links)
    merged.text = " ".join(line.text for line in lines).strip()
    return merged


def _html_href(match: re.Match[str]) -> str:
    import html

    return html.unescape(next(g for g in match.groups()[:3] if g is not None)).strip()


def _visible(raw: str) -> str:
    """Text as a reader sees it: without the emphasis sentinels."""
    return _SENTINELS.sub("", raw).strip()


def _trim(url: str) -> str:
    """Drop punctuation that ends the sentence, not the URL; keep balanced brackets."""
    while url:
        last = url[-1]
        sentence_end = last in _TRAILING or _SENTINEL <= ord(last) <= _SENTINEL + 0xFF
        unbalanced = (last == ")" and url.count(")") > url.count("(")) or (
            last == "]" and url.count("]") > url.count("[")
        )
        if not (sentence_end or unbalanced):
            break
        url = url[:-1]
    return url


def _skip_reason(url: str) -> str:
    """Why a link is not imported ("" when it is)."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in ("javascript", "mailto", "file"):
        return scheme
    if scheme in ("http", "https"):
        return "" if normalize(url) else "malformed"
    if not scheme or not scheme.isalpha() or url.startswith(("/", "#", ".")):
        return "relative"
    return "unsupported"


# -- placing the links: titles, labels, descriptions, topics ------------------------


def _is_link_line(line: _Line) -> bool:
    """A line that is links and nothing else (a list marker or a label may lead)."""
    if not line.links:
        return False
    before = _ENUMERATION.sub("", line.before).strip()
    return not before or before.endswith(_COLONS)


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
    first = lines[0].strip()
    rest = " ".join(line.strip() for line in lines[1:]).strip()
    if len(first) > DESCRIPTION_MIN_CHARS or (
        first.endswith("。") and len(first) >= PROSE_MIN_CHARS
    ):
        return "", " ".join(part for part in (first, rest) if part)
    head, stop, tail = first.partition("。")
    if stop and tail.strip():
        return head.strip(), " ".join(part for part in (tail.strip(), rest) if part)
    return first.rstrip("。").strip(), rest


def _can_describe(line: _Line) -> bool:
    """Whether a plain line may be the title/description of the URL line before it."""
    text = line.text.strip()
    return (
        not line.links
        and bool(text)
        and not text.endswith(_COLONS)
        and not _ENUMERATION.match(text)
    )


def _prose(text: str) -> str:
    """The words of a line whose URLs were cut out, without the holes they left."""
    text = re.sub(r"[（(\[【]\s*[)）\]】]", "", text)
    text = re.sub(r"\s+([，。、；：！？,.;:!?）)])", r"\1", text)
    return " ".join(text.split()).strip(_EDGE_PUNCT)


def _own_title(link: _Link) -> str:
    text = (link.text or "").strip()
    if not text or text == link.url or normalize(text) == normalize(link.url):
        return ""
    return text


class _Placer:
    """One pass over the rows, giving every link its placement."""

    def __init__(self, note_path: str, rows: list[_Row]) -> None:
        self.path = note_path
        self.rows = rows
        self.links: list[NoteLink] = []
        self.headings: list[tuple[str, ...]] = []
        self.stack: list[tuple[int, str]] = []

    @property
    def topic(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.stack)

    def place(
        self, link: _Link, line: int, *, title: str = "", description: str = "", label: str = ""
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
            if isinstance(row, _Break):
                label = ""
            elif isinstance(row, _Heading):
                label = ""
                self.heading(row)
            elif not row.links:
                text = row.text.strip()
                following = rows[i] if i < len(rows) else None
                label = ""
                if (
                    text.endswith(_COLONS)
                    and isinstance(following, _Line)
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

    def heading(self, row: _Heading) -> None:
        while self.stack and self.stack[-1][0] >= row.level:
            self.stack.pop()
        title = row.text or " ".join(link.url for link in row.line.links)
        if not title:  # an empty heading ends the sections below its level, no more
            return
        self.stack.append((row.level, title))
        self.headings.append(self.topic)
        for link in row.line.links:
            self.place(link, row.line.number, title=_own_title(link) or row.text)

    def link_line(self, row: _Line, i: int, label: str) -> tuple[int, bool]:
        """Place the links of a URL line; returns the next row and whether a run ended."""
        for link in row.links[:-1]:
            self.place(link, row.number, title=_own_title(link), label=label)
        last = row.links[-1]
        title = _own_title(last)
        after = row.after.strip(_EDGE_PUNCT)
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
            if not isinstance(candidate, _Line) or not _can_describe(candidate):
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


# -- front matter --------------------------------------------------------------------


def _front_matter(text: str) -> tuple[dict[str, object], str, int]:
    """(fields, body, number of lines before the body)."""
    if not text.startswith("---"):
        return {}, text, 0
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return {}, text, 0
    fields: dict[str, object] = {}
    key = ""
    for raw in lines[1:end]:
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        item = re.match(r"^\s+-\s+(.*)$", raw) or re.match(r"^-\s+(.*)$", raw)
        if item and key:
            value = fields.get(key)
            items = value if isinstance(value, list) else []
            items.append(_scalar(item.group(1)))
            fields[key] = items
            continue
        name, colon, value = raw.partition(":")
        if not colon or raw[0].isspace():
            continue
        key = name.strip().lower()
        fields[key] = _value(value.strip())
    return fields, "\n".join(lines[end + 1 :]), end + 1


def _scalar(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _value(text: str) -> object:
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(part) for part in text[1:-1].split(",") if part.strip()]
    return _scalar(text)


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value if str(v))
    if isinstance(value, str) and value:
        return tuple(value.split())
    return ()


def _date(fields: dict[str, object], path: str) -> str | None:
    """YYYY-MM-DD from the front matter's date, else from a Jekyll file name."""
    written = fields.get("date")
    if isinstance(written, str):
        match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", written)
        if match:
            found = _ymd(*match.groups())
            if found:
                return found
    match = _JEKYLL_DATE.match(PurePath(path).name)
    return _ymd(*match.groups()) if match else None


def _ymd(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


# -- the entry point -----------------------------------------------------------------


def parse_note(text: str, path: str) -> ParsedNote:
    """Parse one note's Markdown into its Note, links (with placements) and headings.

    ``path`` is recorded on the note and every placement; the date falls back to a
    Jekyll file name (``2018-3-1-name.markdown`` -> ``2018-03-01``).
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    fields, body, offset = _front_matter(text)
    env: dict[str, object] = {}
    tokens = _MD.parse(body, env)
    collector = _Collector(offset, env)
    collector.walk(tokens)
    placer = _Placer(path, collector.rows)
    placer.run()

    title = fields.get("title")
    if not isinstance(title, str) or not title.strip():
        top = next((t for t in placer.headings if len(t) == 1), None)
        title = top[0] if top else _JEKYLL_DATE.sub("", PurePath(path).stem)
    category = fields.get("category")
    if not isinstance(category, str) or not category.strip():
        categories = _strings(fields.get("categories"))
        category = categories[0] if categories else ""
    note = Note(
        path=path,
        title=" ".join(title.split()),
        category=category.strip(),
        tags=_strings(fields.get("tags")),
        date=_date(fields, path),
    )
    return ParsedNote(
        note=note, links=placer.links, headings=placer.headings, skipped=collector.skipped
    )
