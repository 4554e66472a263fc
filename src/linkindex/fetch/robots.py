"""robots.txt: fetched once per origin per crawl, parsed by protego, obeyed.

Choices where the robots.txt standard (RFC 9309) leaves room: a robots.txt that is
missing (4xx) allows everything; one that cannot be fetched (5xx, timeout, refused)
also allows everything, because the page fetch that follows will report the same
trouble as an ``error`` outcome, which is retried later, whereas a ``skipped`` link
would wait for months. ``Crawl-delay`` lengthens the host's interval (capped).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from protego import Protego

#: robots.txt files larger than this are cut (Google reads 500 KiB).
MAX_ROBOTS_BYTES = 512_000
#: A Crawl-delay larger than this is read as this many seconds.
MAX_CRAWL_DELAY = 60.0

#: Fetches a robots.txt URL: (HTTP status or None on failure, text).
RobotsLoader = Callable[[str], Awaitable[tuple[int | None, str]]]


def agent_token(user_agent: str) -> str:
    """The product token robots.txt rules are matched against: ``linkindex/0.1 (…)`` → linkindex."""
    return user_agent.split("/", 1)[0].split()[0].strip() or "*"


class RobotsRules:
    """The robots.txt rules of every origin seen, each fetched at most once."""

    def __init__(self, load: RobotsLoader, user_agent: str) -> None:
        self._load = load
        self._agent = agent_token(user_agent)
        self._rules: dict[str, asyncio.Task[Protego | None]] = {}

    async def _rules_for(self, origin: str) -> Protego | None:
        task = self._rules.get(origin)
        if task is None:
            task = asyncio.ensure_future(self._fetch(origin))
            self._rules[origin] = task
        return await asyncio.shield(task)

    async def _fetch(self, origin: str) -> Protego | None:
        status, text = await self._load(origin + "/robots.txt")
        if status is None or not 200 <= status < 300:
            return None
        return Protego.parse(text)

    async def allowed(self, origin: str, url: str) -> bool:
        """Whether robots.txt lets our user agent fetch ``url`` (``origin`` = scheme://host:port)."""
        rules = await self._rules_for(origin)
        return True if rules is None else bool(rules.can_fetch(url, self._agent))

    def decided(self, origin: str, url: str) -> bool | None:
        """``allowed`` if ``origin``'s robots.txt is already known, None if not yet.

        For callers that must not wait for a request (the browser's interception).
        """
        task = self._rules.get(origin)
        if task is None or not task.done() or task.cancelled() or task.exception():
            return None
        rules = task.result()
        return True if rules is None else bool(rules.can_fetch(url, self._agent))

    async def crawl_delay(self, origin: str) -> float | None:
        """The Crawl-delay asked of our user agent, capped, if any."""
        rules = await self._rules_for(origin)
        if rules is None:
            return None
        delay = rules.crawl_delay(self._agent)
        return None if delay is None else min(float(delay), MAX_CRAWL_DELAY)
