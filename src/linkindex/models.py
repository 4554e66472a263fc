"""Plain data that flows between the layers: no I/O, no behaviour beyond conversions."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

#: What a link's last check found. ``new`` means never fetched.
Status = Literal["new", "ok", "not_modified", "dead", "blocked", "error", "skipped"]
STATUSES: tuple[str, ...] = ("new", "ok", "not_modified", "dead", "blocked", "error", "skipped")

#: Outcome of one fetch (a Status other than ``new``).
Outcome = Literal["ok", "not_modified", "dead", "blocked", "error", "skipped"]
OUTCOMES: tuple[str, ...] = STATUSES[1:]

#: The fetch engines: plain HTTP (httpx), or a headless Chromium for pages that need one.
Engine = Literal["http", "browser"]
ENGINES: tuple[str, ...] = ("http", "browser")

#: Sites with their own extractor; everything else is ``web``.
Site = Literal["wechat", "zhihu", "github", "csdn", "cnblogs", "web"]
SITES: tuple[str, ...] = ("wechat", "zhihu", "github", "csdn", "cnblogs", "web")

#: A clock returns the current time, timezone-aware in UTC. Injected for tests.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """Format a moment as the store keeps it: ``2026-11-27T08:53:06Z`` (UTC, seconds)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str) -> datetime:
    """Parse a moment written by ``to_iso`` (or any ISO 8601 form) as aware UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


#: A blank line (whitespace allowed) separates two paragraphs of a page's text.
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def paragraphs(text: str) -> list[str]:
    """A page's text as the reader shows it: the blocks between blank lines, stripped.

    The one rule of what a paragraph is: ``Figure.after`` counts these, and the reader,
    the EPUB export and the extractors all split text with it.
    """
    blocks = (block.strip() for block in _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n")))
    return [block for block in blocks if block]


@dataclass(frozen=True, slots=True)
class Note:
    """One Markdown file of the user's notes."""

    path: str  # absolute path as imported
    title: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    date: str | None = None  # YYYY-MM-DD, from front matter or the Jekyll file name


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a link stands in the notes and what the notes say about it."""

    note_path: str
    line: int  # 1-based line of the URL in the note
    topic: tuple[str, ...] = ()  # heading path, outermost first
    title: str = ""  # the title the note gives the link
    description: str = ""  # a longer prose paragraph about it
    label: str = ""  # a label line before the URL such as 官网 / 代码 / 参考


@dataclass(frozen=True, slots=True)
class NoteLink:
    """A link as the notes parser found it: the URL as written and its placement."""

    url: str
    placement: Placement


@dataclass(slots=True)
class ParsedNote:
    """The notes parser's result for one file."""

    note: Note
    links: list[NoteLink] = field(default_factory=list)
    headings: list[tuple[str, ...]] = field(default_factory=list)  # every heading path seen
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count (mailto, malformed…)
    warnings: list[str] = field(default_factory=list)  # what could not be read as Markdown


@dataclass(slots=True)
class Redirect:
    """One hop of a redirect chain."""

    status: int
    url: str  # where the hop pointed


@dataclass(slots=True)
class FetchResult:
    """What a fetch engine got for one URL; never raised, always returned.

    ``body`` is set for ``ok`` answers only. ``challenge`` says the answer was a
    JavaScript challenge (a page whose script must run before the site answers), which
    only the browser engine can pass; ``engine`` is the engine that fetched it.
    """

    url: str
    outcome: Outcome
    final_url: str = ""
    http_status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes | None = None
    content_type: str = ""
    elapsed_ms: int = 0
    bytes: int = 0
    attempts: int = 1
    error: str = ""
    redirects: list[Redirect] = field(default_factory=list)
    retry_after: float | None = None  # seconds a 429/503 asked for, when more than we wait
    challenge: bool = False
    engine: Engine = "http"


@dataclass(frozen=True, slots=True)
class Figure:
    """An image of an article's main content, as its extractor found it.

    ``after`` is where it stood in the page's text: how many of its ``paragraphs`` come
    before it (0: before the first). ``url`` is absolute, ready to fetch.
    """

    url: str
    after: int
    alt: str = ""


@dataclass(slots=True)
class Page:
    """What an extractor made of a fetched body.

    ``verdict`` lets an extractor overrule an HTTP 200: a WeChat "deleted" page is
    ``dead``, a verification page ``blocked``, bytes that are not the text their type
    declares ``error`` (unreadable). ``moved_to`` is a link the page says
    the content moved to (WeChat's 该公众号已迁移).
    """

    title: str = ""
    text: str = ""
    author: str = ""
    account: str = ""  # WeChat official account, Zhihu column, GitHub owner…
    published_at: str | None = None  # ISO 8601 UTC
    description: str = ""
    language: str = ""
    extractor: str = ""  # which extractor made it: wechat, zhihu, github, csdn, cnblogs, web, pdf
    verdict: Literal["ok", "dead", "blocked", "error"] = "ok"
    reason: str = ""  # why the verdict, in words (the page's own message)
    moved_to: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # stars, topics, archived…
    figures: list[Figure] = field(default_factory=list)  # in document order


@dataclass(slots=True)
class Hit:
    """One search result."""

    link_id: int
    url: str
    canonical_url: str
    title: str
    site: str
    status: str
    score: float = 0.0
    topics: list[list[str]] = field(default_factory=list)
    note_path: str = ""
    note_title: str = ""
    line: int = 0
    published_at: str | None = None
    fetched_at: str | None = None
    archive_url: str | None = None
    snippet: str = ""  # with highlighted terms marked
