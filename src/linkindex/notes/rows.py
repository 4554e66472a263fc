"""Markdown to rows: the note as a flat sequence of headings, lines of text and breaks.

markdown-it parses the blocks (so a ``# comment`` in a code block is never a heading);
inline markup is read by ``_Collector`` itself, and only in blocks that can hold some.
Each row keeps its line number, the links found in it (Markdown, HTML and bare URLs)
and the text around them. Links that are not imported (``mailto:``, relative…) are
counted by reason.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.token import Token

from linkindex.urls import normalize

__all__ = [
    "MAX_NESTING",
    "TRAILING",
    "Break",
    "Heading",
    "Line",
    "Link",
    "Row",
    "read_rows",
    "without_ignorables",
]

#: How deep blocks (lists in lists, quotes in quotes) are parsed as Markdown. markdown-it's
#: CommonMark preset stops at 20 levels (a list ten deep) and silently drops the rest of
#: the note; 100 is its own default preset's limit, safely within Python's recursion
#: limit. Anything deeper is read as plain lines, with one warning (``_too_deep``).
MAX_NESTING = 100

#: Punctuation that ends a sentence rather than a bare URL (``详见https://x.com/a.``).
TRAILING = ".,;:!?'\"*"


# -- the Markdown parser -------------------------------------------------------------


def _markdown() -> MarkdownIt:
    # No table rule: a table row stays a line of text whose links are still found,
    # and skipping the rule makes parsing noticeably faster.
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING})
    # Keep every href as written: we judge (and count) javascript:/file: links ourselves,
    # and the key is made by urls.normalize, not by markdown-it's escaping.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.normalizeLinkText = lambda link: link  # type: ignore[method-assign]
    # Inline parsing is done by _Collector, and only where some markup could be.
    md.disable(["inline", "text_join"])
    tokenize = md.block.tokenize

    def nested(state: StateBlock, start: int, end: int) -> None:
        # markdown-it checks the depth inside this loop and, past it, skips to ``end``,
        # which for a list item is the end of the note.
        if state.level >= MAX_NESTING:
            _too_deep(state, start, end)
        else:
            tokenize(state, start, end)

    md.block.tokenize = nested  # type: ignore[method-assign,assignment]
    return md


def _too_deep(state: StateBlock, start: int, end: int) -> None:
    """Read the lines of a block nested past MAX_NESTING as plain paragraphs.

    They end where markdown-it's own loop would end them (a line indented less than the
    block), so the rest of the note is parsed as Markdown again. The first line is
    remembered in ``env`` for the warning.
    """
    line = start
    while line < end:
        line = state.skipEmptyLines(line)
        if line >= end or state.sCount[line] < state.blkIndent:
            break
        first = line
        while line < end and not state.isEmpty(line) and state.sCount[line] >= state.blkIndent:
            line += 1
        opened = state.push("paragraph_open", "p", 1)
        opened.map = [first, line]
        inline = state.push("inline", "", 0)
        inline.content = state.getLines(first, line, state.blkIndent, False).strip()
        inline.map = [first, line]
        inline.children = []
        state.push("paragraph_close", "p", -1)
        too_deep = state.env.setdefault("too_deep", [])
        too_deep.append(first)
    state.line = line


_MD = _markdown()

# Emphasis markup inside a bare URL (``https://x.com/a*b*c``) is re-inserted as
# private-use characters so the URL survives markdown-it's emphasis parsing.
_SENTINEL = 0xE000
#: Characters that may start inline markup; a block without any is plain text lines
#: (most title lines are), and skipping markdown-it's inline pass there halves the work.
_MARKUP = re.compile(r"[`*_\\&<\[]")
_SENTINELS = re.compile("[\ue000-\ue0ff]")
#: Scripts whose text ends a bare URL: Chinese (and Japanese, Korean) prose and
#: full-width punctuation ：（），。 follow URLs in the notes without a space.
_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3200-\u9fff"
    "\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
)
#: Unicode's default-ignorable characters (DerivedCoreProperties.txt): soft hyphen,
#: zero-width space and joiners, direction marks, word joiner, BOM, variation selectors,
#: fillers. A copy brings them into URLs unseen; IDNA (UTS 46) maps them to nothing, and
#: so does the parser inside a URL (``https://exam\u00adple.com/x`` is example.com). One
#: right before ``http://`` still separates two URLs.
_IGNORABLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
_IGNORABLE_IN_URL = rf"[{_IGNORABLE}](?!(?:https?|file)://)"
_IGNORABLES = re.compile(f"[{_IGNORABLE}]")
#: A scheme with invisible characters in it (``ht\u200btps://``), made whole before the
#: note is parsed so that its URL is found at all.
_HIDDEN_SCHEME = re.compile(
    "".join(f"{char}[{_IGNORABLE}]*" for char in "http")
    + f"(?:s[{_IGNORABLE}]*)?:[{_IGNORABLE}]*/[{_IGNORABLE}]*/",
    re.IGNORECASE,
)
#: A character of a bare URL: what RFC 3986 allows, the sentinels, letters and digits of
#: other scripts (``https://bücher.de/x``, ``…/wiki/Москва``), and ignorables.
_URL_CHAR = (
    r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%\ue000-\ue0ff]"
    rf"|[^\x00-\x7f\W{_CJK}]|{_IGNORABLE_IN_URL})"
)
#: The dots of a host name as Chinese input methods type them: 。 ． ｡ (IDNA reads all
#: three as ``.``).
_WIDE_DOTS = "\u3002\uff0e\uff61"
#: A character of a bare URL's host: as in the rest of the URL (but ``/?#``), and also
#: Chinese letters (``https://中文.中国/x``), full-width letters and digits, and the wide
#: dots. Where such a host really ends is decided by ``_host_end``.
_HOST_CHAR = (
    r"(?:[A-Za-z0-9\-._~:\[\]@!$&'()*+,;=%\ue000-\ue0ff]"
    rf"|[^\x00-\x7f\W]|[{_WIDE_DOTS}]|{_IGNORABLE_IN_URL})"
)
#: A bare URL in prose: http(s) or file, ending at whitespace, punctuation other than
#: the URL's own, or, after its host, Chinese text (a URL with Chinese in its path is
#: kept whole inside <…> or [](…)).
_BARE_URL = re.compile(
    rf"(?<![A-Za-z0-9])(?:https?|file)://{_HOST_CHAR}*(?:[/?#]{_URL_CHAR}*)?", re.IGNORECASE
)
_HTML_OPEN = re.compile(
    r"<a\b[^>]*?\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE
)
#: What holds no link in an HTML block: comments, and elements whose content is code or
#: not text (URLs in code are never links).
_HTML_HIDDEN = re.compile(
    r"<!--.*?(?:-->|$)|<(script|style|pre|code|textarea)\b.*?(?:</\1\s*>|$)",
    re.IGNORECASE | re.DOTALL,
)
#: An HTML tag other than ``<a …>``/``</a>``: it separates words (``<td>URL</td><td>…``).
_HTML_OTHER_TAG = re.compile(
    r"</?(?!a\b)[A-Za-z][\w:-]*(?:\s[^>]*)?/?>|<![^>]*>|<\?[^>]*>", re.IGNORECASE
)


# -- rows: the note as a flat sequence of headings, lines and breaks ---------------


@dataclass(slots=True)
class Link:
    """A link found in a line."""

    url: str
    text: str | None  # the link's own text; None for a bare URL


@dataclass(slots=True)
class Line:
    """One line of text (of a paragraph, a list item, a table row)."""

    number: int  # 1-based line in the file
    paragraph: int  # lines of one paragraph share this number
    before: str = ""  # text before the first link
    after: str = ""  # text after the last link
    text: str = ""  # all the text of the line, links' own text included
    links: list[Link] = field(default_factory=list)


@dataclass(slots=True)
class Heading:
    """A heading: a step of the topic path."""

    level: int
    text: str
    line: Line


@dataclass(slots=True)
class Break:
    """What ends a run of lines: a code block, a rule, an image-only paragraph."""


Row = Line | Heading | Break


class _Collector:
    """Walks markdown-it's tokens into rows, counting links it skips."""

    def __init__(self, offset: int, env: dict[str, object]) -> None:
        self.offset = offset
        self.env = env
        self.rows: list[Row] = []
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
                    self.rows.append(Heading(heading_level, text, _merge(lines)))
                    heading_level = 0
                elif any(line.links or line.text.strip() for line in lines):
                    self.rows.extend(lines)
                else:
                    self.rows.append(Break())  # an image-only paragraph
            elif token.type == "html_block":
                self.html_block(token)
                self.rows.append(Break())
            elif token.type in ("fence", "code_block", "hr"):
                self.rows.append(Break())

    def inline(self, content: str, first: int) -> list[Line]:
        """The lines of one paragraph (or heading)."""
        if not _MARKUP.search(content):
            return [
                self._line(first + n, text.strip(), [], [])
                for n, text in enumerate(content.split("\n"))
            ]
        children: list[Token] = []
        _MD.inline.parse(content, _MD, self.env, children)
        lines: list[Line] = []
        parts: list[str] = []  # text of the current line, with sentinels
        size = 0  # characters in parts
        hidden: list[tuple[int, int]] = []  # spans no bare URL is looked for in (code)
        marked: list[tuple[int, int, Link]] = []  # Markdown/HTML links and their text
        link: Link | None = None  # a link whose text we are collecting
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
                link = Link(without_ignorables(str(child.attrs.get("href", ""))), "")
                link_text = []
            elif kind == "link_close" and link is not None:
                close()
                link = None
            elif kind == "html_inline":
                opened = _HTML_OPEN.match(child.content)
                if opened and link is None:
                    link = Link(without_ignorables(_html_href(opened)), "")
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
        marked: list[tuple[int, int, Link]],
    ) -> Line:
        """One line: bare URLs found in its text, the text around its links kept."""
        line = Line(number, self._paragraph)
        scan = raw
        for start, end in [*hidden, *((s, e) for s, e, _ in marked)]:
            scan = scan[:start] + " " * (end - start) + scan[end:]
        spans: list[tuple[int, int, Link | None]] = [(s, e, k) for s, e, k in marked]
        at = 0
        while (match := _BARE_URL.search(scan, at)) is not None:
            written = _whole_line_url(scan, match) or match.group()
            written = _struck_out(_trim(written[: _host_end(written)]), scan[: match.start()])
            end = at = match.start() + len(written)
            url = without_ignorables(_folded_host(written))
            if _SENTINELS.search(url):
                url = _SENTINELS.sub(lambda m: chr(ord(m.group()) - _SENTINEL), url)
            spans.append((match.start(), end, Link(url, None) if self.keep(url) else None))
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
        """The lines of a block of HTML: its ``<a href>`` links and the bare URLs of its text.

        Comments and code (``<pre>``, ``<code>``, ``<script>``…) hold no links; the other
        tags separate words. The block's lines are read like a paragraph's, so a bare URL
        line takes the line after it as its title as anywhere else.
        """
        first = self.offset + (token.map[0] if token.map else 0) + 1
        text = _HTML_HIDDEN.sub(lambda match: "\n" * match.group().count("\n"), token.content)
        text = _HTML_OTHER_TAG.sub(" ", text)
        self._paragraph += 1
        self.rows.extend(self.inline(text.rstrip("\n"), first))


def _merge(lines: list[Line]) -> Line:
    merged = Line(lines[0].number, lines[0].paragraph)
    for line in lines:
        merged.links.extend(line.links)
    merged.text = " ".join(line.text for line in lines).strip()
    return merged


def _html_href(match: re.Match[str]) -> str:
    return html.unescape(next(g for g in match.groups()[:3] if g is not None)).strip()


def without_ignorables(text: str) -> str:
    """``text`` without default-ignorable characters (what IDNA maps to nothing)."""
    return _IGNORABLES.sub("", text)


def _visible(raw: str) -> str:
    """Text as a reader sees it: without the emphasis sentinels."""
    return _SENTINELS.sub("", raw).strip()


_CJK_CHAR = re.compile(f"[{_CJK}]")
_AUTHORITY_END = re.compile("[/?#]")


def _authority(url: str) -> tuple[int, int]:
    """Where a bare URL's authority (``user@host:port``) starts and ends."""
    start = url.index("//") + 2
    found = _AUTHORITY_END.search(url, start)
    return start, found.start() if found else len(url)


def _host_end(url: str) -> int:
    """How much of a bare URL match is the URL: all of it, unless its host runs into prose.

    A host may be Chinese (``https://中文.中国/x``), so the match lets Chinese letters into
    it; prose right after an ASCII host (``https://a.com的文章``) is cut off where the last
    label turns from ASCII to Chinese. A wide dot (。．｡) is a dot when an ASCII label
    follows it (``https://example。com/x``), when the host it is in runs up to a path,
    query or fragment (``https://中文。中国。/x``, a final dot too), or when a label and a
    port follow it; otherwise it ends the sentence, and the URL.
    """
    if url.isascii():  # most URLs: no Chinese, no wide dots
        return len(url)
    start, end = _authority(url)
    host_start = url.rfind("@", start, end) + 1 or start
    label = host_start
    for at in range(host_start, end):
        char = url[at]
        if char == ".":
            label = at + 1
        elif char in _WIDE_DOTS:
            rest = url[at + 1 : end]
            name = re.match(r"[^.:\u3002\uff0e\uff61]*", rest)
            after = at + 1 + (name.end() if name else 0)
            ascii_label = rest[:1].isascii() and rest[:1].isalnum()
            path_follows = end < len(url)  # the host runs up to a path, query or fragment
            port_follows = bool(rest) and after < len(url) and url[after] == ":"
            if not (ascii_label or path_follows or port_follows):
                return at
            label = at + 1
        elif char == ":":
            break  # the port
    last = url[label:end].split(":", 1)[0]
    ascii_run = re.match(f"[A-Za-z0-9{_IGNORABLE}-]+", last)
    if ascii_run and ascii_run.end() < len(last) and _CJK_CHAR.match(last[ascii_run.end()]):
        return label + ascii_run.end()
    return len(url)


def _folded_host(url: str) -> str:
    """A bare URL with the wide dots and full-width letters of its host made ASCII."""
    if url.isascii():
        return url
    start, end = _authority(url)
    host = url[start:end]
    if host.isascii():
        return url
    folded = "".join(
        "." if char in _WIDE_DOTS else chr(ord(char) - 0xFEE0) if "！" <= char <= "～" else char
        for char in host
    )
    return url[:start] + folded + url[end:]


#: What may come right before a path segment, a query value or a fragment.
_PART_START = "/?=&#"
_NEXT_URL = re.compile(r"(?:https?|file)://", re.IGNORECASE)
#: Full-width punctuation that ends a sentence after a URL, not the URL (``。，；：！？、``
#: and closing brackets and quotes).
_WIDE_TRAILING = "。，；：！？、）」』】》〉”’…"


def _whole_line_url(scan: str, match: re.Match[str]) -> str:
    """A URL line's URL with its non-ASCII path, query or fragment ("" when not one).

    In prose, Chinese right after a URL is the sentence going on (``详见https://x.com/a，
    很好``), and on a URL line it is often the title glued on (``…/s/abc显存优化``). But a
    path segment, query or fragment that *starts* with Chinese (``…/wiki/深度学习``,
    ``…/item/卷积神经网络/17541100``, ``?q=中文``) is no title: where a line holds only a
    URL, such a part belongs to the URL, to the end of the line (trailing full-width
    punctuation aside).
    """
    start, end = match.span()
    if (
        end >= len(scan)
        or scan[end - 1] not in _PART_START
        or scan[end].isascii()
        or scan[end].isspace()
        or _visible(scan[:start])
    ):
        return ""
    rest = scan[end:].rstrip()
    if any(char.isspace() for char in rest):
        return ""
    following = _NEXT_URL.search(rest)
    if following:
        rest = rest[: following.start()]
    while rest and rest[-1] in _WIDE_TRAILING:
        if rest[-1] == "）" and rest.count("）") <= rest.count("（"):
            break  # balanced: part of the name, as in ``…/wiki/深度学习（书）``
        rest = rest[:-1]
    return match.group() + rest


def _struck_out(url: str, before: str) -> str:
    """A bare URL without the ``~~`` that closes a strikethrough opened before it.

    CommonMark has no strikethrough, so markdown-it leaves ``~~https://x/y~~`` as text and
    the closing tildes would end the URL (a ``~`` is a URL character). They are taken off
    when the line opened a strikethrough with as many tildes before the URL.
    """
    tildes = len(url) - len(url.rstrip("~"))
    if tildes and "~" * tildes in before:
        return _trim(url[:-tildes])
    return url


def _trim(url: str) -> str:
    """Drop punctuation that ends the sentence, not the URL; keep balanced brackets."""
    while url:
        last = url[-1]
        sentence_end = (
            last in TRAILING
            or _SENTINEL <= ord(last) <= _SENTINEL + 0xFF
            or _IGNORABLES.match(last) is not None  # copied along after the URL
        )
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


# -- the entry point ---------------------------------------------------------------


def read_rows(body: str, offset: int) -> tuple[list[Row], dict[str, int], list[str]]:
    """The rows of a note's body, the links skipped by reason, and warnings.

    ``offset`` is the number of lines before the body (the front matter), so that row
    numbers are lines of the file.
    """
    if _IGNORABLES.search(body):
        body = _HIDDEN_SCHEME.sub(lambda found: without_ignorables(found.group()), body)
    env: dict[str, object] = {}
    collector = _Collector(offset, env)
    collector.walk(_MD.parse(body, env))
    warnings: list[str] = []
    too_deep = env.get("too_deep")
    if isinstance(too_deep, list) and too_deep:
        warnings.append(
            f"line {offset + too_deep[0] + 1}: nested too deep for Markdown ("
            f"{MAX_NESTING // 2} lists or {MAX_NESTING} quotes); read as plain lines"
        )
    return collector.rows, collector.skipped, warnings
