"""What the fetch engines and the extractors make: a fetch's result and a page.

Plain data (``linkindex.models``); kept apart from the package's own module so that a
process that never fetches (``linkindex search``) does not build these classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from linkindex.models import Engine, Outcome


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
