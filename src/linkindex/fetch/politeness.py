"""Politeness: how many requests may be in flight, per host and overall, and how often.

Each host has its own concurrency limit and a minimum interval between the *starts*
of two requests; one global semaphore caps the requests in flight overall. A request
waits for its host's turn before it takes a global slot, so a slow or rate-limited
host never holds slots the other hosts could use.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass(slots=True)
class HostLimits:
    """The politeness limits of one host."""

    concurrency: int
    interval: float  # seconds between the starts of two requests


@dataclass(slots=True)
class _HostState:
    limits: HostLimits
    slots: asyncio.Semaphore
    next_start: float = 0.0  # monotonic time before which no request may start
    requests: int = 0


class Politeness:
    """Per-host turns plus a global cap on requests in flight.

    ``limits_for(host)`` gives the limits of a host the first time it is seen; a
    robots.txt ``Crawl-delay`` can later lengthen its interval with ``slow_down``.
    """

    def __init__(
        self,
        concurrency: int,
        limits_for: Callable[[str], HostLimits],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._global = asyncio.Semaphore(max(concurrency, 1))
        self._limits_for = limits_for
        self._monotonic = monotonic
        self._hosts: dict[str, _HostState] = {}

    def _state(self, host: str) -> _HostState:
        state = self._hosts.get(host)
        if state is None:
            limits = self._limits_for(host)
            limits.concurrency = max(limits.concurrency, 1)
            state = _HostState(limits, asyncio.Semaphore(limits.concurrency))
            self._hosts[host] = state
        return state

    def limits(self, host: str) -> HostLimits:
        """The limits in force for ``host``."""
        return self._state(host).limits

    def slow_down(self, host: str, interval: float) -> None:
        """Make ``host``'s interval at least ``interval`` seconds (robots.txt Crawl-delay)."""
        state = self._state(host)
        state.limits.interval = max(state.limits.interval, interval)

    def hold(self, host: str, seconds: float) -> None:
        """Start no request to ``host`` for ``seconds`` (it asked us to back off)."""
        state = self._state(host)
        state.next_start = max(state.next_start, self._monotonic() + seconds)

    def requests(self, host: str) -> int:
        """How many requests ``host`` has been sent."""
        state = self._hosts.get(host)
        return state.requests if state else 0

    @asynccontextmanager
    async def turn(self, host: str) -> AsyncIterator[None]:
        """Wait until a request to ``host`` may start, and hold its slots while it runs."""
        state = self._state(host)
        async with state.slots:
            while True:
                wait = state.next_start - self._monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                await self._global.acquire()
                # Another request to this host may have started while we waited for
                # the global slot: give the slot back and wait for the next turn.
                if self._monotonic() < state.next_start:
                    self._global.release()
                    continue
                break
            state.next_start = self._monotonic() + state.limits.interval
            state.requests += 1
            try:
                yield
            finally:
                self._global.release()
