"""Plain data that flows between the layers: no I/O, no behaviour beyond conversions.

Here: what a link's status, outcome, site and engine can be, moments as the store keeps
them, a page's paragraphs, and a search hit. The notes' data is in ``models.notes``
(``Note``, ``Placement``, ``NoteLink``, ``ParsedNote``), the fetchers' and extractors' in
``models.pages`` (``Redirect``, ``FetchResult``, ``Figure``, ``Page``): modules of their
own, so a process that needs neither (``linkindex search``) does not build their eight
classes (~10 ms of its start: a dataclass is built by compiling its methods).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

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
