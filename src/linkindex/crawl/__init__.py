"""The crawl operation: fetch every due link, extract it, and record what happened.

``crawl()`` picks the due links (``store.due_links``), groups them by host and runs
one small worker pool per host, so every host advances at its own polite pace and
none waits for another. Each link's result is committed as it arrives (one
transaction: fetch row, link state, page, snapshot, next check), so Ctrl-C or a kill
loses at most the requests in flight and the next ``crawl`` carries on.

A host that pushes back rests (``_watch_host``): a verification page, a long
``Retry-After``, or refusals in a row, unless a canary (a page the host served fine in
this crawl or the last) still comes back fine, in which case the refusals belong to
those pages. A rest defers the host's links, it does not drop them: its workers wait
and carry on when it ends, unless every other worker is done or resting by then, and
only those links are left for later. A JavaScript challenge is no refusal.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from linkindex.config import Settings
from linkindex.crawl.extraction import DaemonThreads, Extraction, worker_count
from linkindex.crawl.figures import Figures, FigureSummary, figures_of, image_fetch_settings
from linkindex.crawl.page import Fetched, PageFetcher
from linkindex.fetch import BrowserFetcher, Fetcher
from linkindex.fetch.browser import check_engines
from linkindex.models import Clock, from_iso, to_iso, utc_now
from linkindex.models.pages import FetchResult
from linkindex.schedule import next_check
from linkindex.snapshots import Images, Snapshots
from linkindex.store import Store
from linkindex.store.rows import ArchiveRecord, DueLink, FetchRecord
from linkindex.urls import site_of

#: This many blocked answers in a row from one host cool it down.
BLOCKED_STRIKES = 3
#: The folder of the library home where Chromium writes while a crawl runs.
BROWSER_SCRATCH = "browser"
#: However often a host blocks us, it rests at most this long.
MAX_COOLDOWN = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CrawlSelection:
    """Which links a crawl fetches.

    ``due_only`` keeps links whose ``next_fetch_at`` has come (or that were never
    fetched); the other fields narrow further. ``run_id`` is the run that events
    (dead, recovered, archived, changed, blocked, error) are recorded under.
    """

    due_only: bool = True
    sites: tuple[str, ...] = ()
    topic: str | None = None
    statuses: tuple[str, ...] = ()
    limit: int | None = None
    link_ids: tuple[int, ...] | None = None
    run_id: int | None = None


@dataclass(slots=True)
class CrawlProgress:
    """Where a running crawl is, passed to the progress callback after each link."""

    done: int
    total: int
    counts: dict[str, int]
    elapsed: float
    url: str
    site: str
    outcome: str
    error: str = ""  # why, when the outcome is not ok

    @property
    def rate(self) -> float:
        """Links per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(slots=True)
class CrawlSummary:
    """What a crawl did.

    ``deferred`` links were left due because their host was still resting when the
    rest of the crawl was done; ``cooled_hosts`` are the hosts this crawl sent to rest;
    ``by_engine`` counts the links each engine fetched (``http``, ``browser``).
    """

    selected: int = 0
    total: int = 0
    done: int = 0
    deferred: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    by_site: dict[str, dict[str, int]] = field(default_factory=dict)
    by_engine: dict[str, int] = field(default_factory=dict)
    changed: int = 0
    archived: int = 0
    cooled_hosts: list[str] = field(default_factory=list)
    interrupted: bool = False
    elapsed: float = 0.0
    indexed: int | None = None  # documents the index refresh wrote (None: not refreshed)
    figures: FigureSummary = field(default_factory=FigureSummary)

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready data."""
        return {
            "selected": self.selected,
            "total": self.total,
            "done": self.done,
            "deferred": self.deferred,
            "counts": dict(self.counts),
            "by_site": {site: dict(counts) for site, counts in self.by_site.items()},
            "by_engine": dict(self.by_engine),
            "changed": self.changed,
            "archived": self.archived,
            "cooled_hosts": list(self.cooled_hosts),
            "interrupted": self.interrupted,
            "elapsed": round(self.elapsed, 3),
            "indexed": self.indexed,
            "figures": self.figures.to_dict(),
        }


def crawl(
    store: Store,
    home: Path,
    settings: Settings,
    *,
    selection: CrawlSelection,
    clock: Clock = utc_now,
    progress: Callable[[CrawlProgress], None] | None = None,
    index: bool = True,
) -> CrawlSummary:
    """Fetch the selected links, record each outcome, and keep the search index up to date.

    The index first catches up with anything an earlier, killed run left; then what the
    crawl records is indexed in batches while it runs (``indexing.Batches``: a page is
    searchable within a couple of minutes), and the rest when it ends. Returns the
    summary; after Ctrl-C it is partial and ``interrupted`` is set (every result already
    recorded stays, and is indexed; the links in flight stay due). ``index=False`` leaves
    the index alone (a benchmark of fetching alone).

    Raises:
        ConfigError: a site's ``engine = "browser"`` with no Chromium on the machine, or
            a ``[browser] executable`` that is not a program.
    """
    # Imported here: the extraction workers import this package, and need no index.
    from linkindex import indexing

    check_engines(settings)
    summary = CrawlSummary()
    batches: indexing.Batches | None = None
    caught_up = 0
    if index:
        # A crawl killed earlier left its last pages unindexed: they come first.
        caught_up = indexing.refresh(store, home)
        batches = indexing.Batches(home)
    crawler = _Crawler(store, home, settings, selection, clock, progress, summary, batches)
    started = time.monotonic()
    try:
        asyncio.run(crawler.run())
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C, or SIGTERM cancelling it
        summary.interrupted = True
    except BaseException:
        if batches is not None:
            batches.wait()  # the next command that writes indexes the rest
        raise
    finally:
        summary.elapsed = time.monotonic() - started
    if batches is not None:
        # Everything recorded is searchable when the crawl returns, stopped or not.
        summary.indexed = caught_up + batches.finish(store, stopped=summary.interrupted)
    return summary


class _Crawler:
    def __init__(
        self,
        store: Store,
        home: Path,
        settings: Settings,
        selection: CrawlSelection,
        clock: Clock,
        progress: Callable[[CrawlProgress], None] | None,
        summary: CrawlSummary,
        batches: Any = None,
    ) -> None:
        self.store = store
        self.batches = batches  # indexing.Batches: what the crawl recorded, indexed as it goes
        self.settings = settings
        self.selection = selection
        self.clock = clock
        self.progress = progress
        self.summary = summary
        self.home = home
        self.snapshots = Snapshots(home)
        self.cooling: dict[str, datetime] = {}
        self.strikes: Counter[str] = Counter()
        self.blocked_before: set[str] = set()
        self.started = time.monotonic()
        self.served: dict[str, DueLink] = {}  # per host, a page that came out ok
        self.canaries: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.working = 0  # workers neither resting nor done
        self.changed: asyncio.Condition | None = None  # made in the crawl's event loop
        self.figures: Figures | None = None

    async def run(self) -> None:
        now = self.clock()
        selection = self.selection
        links = self.store.due_links(
            now=to_iso(now),
            due_only=selection.due_only,
            sites=selection.sites,
            statuses=selection.statuses,
            topic=selection.topic,
            link_ids=selection.link_ids,
            limit=selection.limit,
        )
        # Calls handed to threads (DNS look-ups, image files) must not keep a stopped crawl
        # waiting: asyncio.run waits for its default executor's threads, not for these.
        asyncio.get_running_loop().set_default_executor(DaemonThreads())
        self.summary.selected = len(links)
        self.cooling = {
            host: from_iso(until) for host, until in self.store.host_cooldowns(to_iso(now)).items()
        }
        self.blocked_before = {row["host"] for row in self.store.hosts() if row["blocked_count"]}
        queues: dict[str, deque[DueLink]] = defaultdict(deque)
        for link in links:
            queues[link.host].append(link)
        self.summary.total = len(links)
        self.started = time.monotonic()
        figures_left = self.settings.images.enabled and (
            self.store.links_with_pending_figures() or self.store.pages_without_figures()
        )
        if not self.summary.total and not figures_left:
            return
        self.changed = asyncio.Condition()
        setting = self.settings.crawl.extract_workers
        extraction = Extraction(
            self.home, worker_count(setting, self.summary.total), eager=setting is not None
        )
        try:
            async with (
                Fetcher(self.settings, site_of=site_of) as fetcher,
                BrowserFetcher(
                    fetcher, self.settings, site_of=site_of, scratch=self.home / BROWSER_SCRATCH
                ) as browser,
                Fetcher(image_fetch_settings(self.settings)) as image_fetcher,
            ):
                self.figures = Figures(
                    self.store,
                    Images(self.home),
                    image_fetcher,
                    self.settings,
                    clock=self.clock,
                    snapshots=self.snapshots,
                )
                self.figures.resume()
                pages = PageFetcher(
                    fetcher,
                    self.settings,
                    self.snapshots,
                    extraction,
                    token=_github_token(),
                    browser=browser,
                )
                workers: list[Coroutine[Any, Any, None]] = []
                for host, queue in queues.items():
                    slots = min(len(queue), fetcher.politeness.limits(host).concurrency)
                    workers.extend(self._work(pages, host, queue) for _ in range(slots))
                self.working = len(workers)
                await asyncio.gather(*workers)
                await self.figures.wait()
        except BaseException:
            extraction.close(kill=True)  # stopped: nothing extracted now would be recorded
            raise
        else:
            extraction.close()
        finally:
            if self.figures is not None:
                self.summary.figures = self.figures.summary

    async def _work(self, pages: PageFetcher, host: str, queue: deque[DueLink]) -> None:
        working = True
        try:
            while queue:
                if host in self.cooling:
                    working = await self._rest(host)
                    if not working:  # the crawl is otherwise over: these wait for later
                        self.summary.deferred += len(queue)
                        queue.clear()
                    continue
                link = queue.popleft()
                await self._one(pages, link)
        finally:
            if working:
                await self._set_working(-1)

    async def _one(self, pages: PageFetcher, link: DueLink) -> None:
        """Fetch, record and judge one link."""
        try:
            fetched = await pages.fetch(link)
        except Exception as exc:  # an extractor's bug is one failed link, not a crash
            fetched = Fetched(_internal_error(link.url, exc))
        # The moment of the check is when its answer came: waiting for the host's
        # turn (seconds, for WeChat) must not make it look older than it is.
        started = self.clock()
        archive = None
        if self._wants_archive(link, fetched):
            try:
                archive = await pages.recover(link)
            except Exception:  # the lookup is a bonus: the link's own outcome stands
                archive = None
        self._record(link, started, fetched, archive)
        await self._watch_host(pages, link, fetched)

    # -- resting hosts -----------------------------------------------------------------

    async def _rest(self, host: str) -> bool:
        """Wait until ``host``'s rest is over; False when all other work ends first.

        A resting worker does not count as working: when no worker is left working,
        the crawl would be over but for the rests, and they are left for later.
        """
        assert self.changed is not None
        await self._set_working(-1)
        while True:
            until = self.cooling.get(host)
            left = 0.0 if until is None else (until - self.clock()).total_seconds()
            if left <= 0:
                self.cooling.pop(host, None)
                await self._set_working(+1)
                return True
            if self.working <= 0:
                return False
            async with self.changed:
                try:
                    async with asyncio.timeout(left):
                        await self.changed.wait()
                except TimeoutError:
                    pass

    async def _set_working(self, change: int) -> None:
        assert self.changed is not None
        self.working += change
        async with self.changed:
            self.changed.notify_all()

    def _wants_archive(self, link: DueLink, fetched: Fetched) -> bool:
        archive = self.settings.archive
        if not archive.enabled or link.archive_url:
            return False
        outcome = fetched.result.outcome
        return outcome == "dead" or (outcome == "blocked" and archive.for_blocked)

    # -- recording ---------------------------------------------------------------------

    def _record(
        self, link: DueLink, started: datetime, fetched: Fetched, archive: ArchiveRecord | None
    ) -> None:
        result = fetched.result
        outcome = result.outcome
        status = "ok" if outcome in ("ok", "not_modified") else outcome
        fail, unchanged, dead = link.fail_count, link.unchanged_count, link.dead_count
        if outcome in ("ok", "not_modified"):
            fail, dead = 0, 0
            unchanged = 0 if fetched.changed else unchanged + 1
        elif outcome == "dead":
            fail, dead = 0, dead + 1
        elif outcome in ("error", "blocked"):
            fail += 1
        due = next_check(
            site=link.site,
            outcome=outcome,
            changed=fetched.changed,
            fail_count=fail,
            unchanged_count=unchanged,
            dead_count=dead,
            now=started,
            settings=self.settings,
        )
        figures, from_archive = figures_of(
            fetched.page, archive.page if archive is not None else None, self.settings
        )
        record = FetchRecord(
            link_id=link.id,
            started_at=to_iso(started),
            result=result,
            status=status,
            next_fetch_at=to_iso(due),
            fail_count=fail,
            unchanged_count=unchanged,
            dead_count=dead,
            content_hash=fetched.content_hash,
            page=fetched.page,
            snapshot=fetched.snapshot,
            archive=archive,
            touch=status != link.status or fetched.page is not None or archive is not None,
            figures=figures,
            figures_from_archive=from_archive,
        )
        with self.store.transaction():
            self.store.record_fetch(record)
            self._events(link, status, fetched, archive, started)
        if record.touch and self.batches is not None:
            self.batches.changed()
        if self.figures is not None and (status == "ok" or figures is not None):
            self.figures.after_record(link.id)
        self._count(link, outcome, fetched, archive)

    def _events(
        self,
        link: DueLink,
        status: str,
        fetched: Fetched,
        archive: ArchiveRecord | None,
        at: datetime,
    ) -> None:
        run_id = self.selection.run_id
        if run_id is None:
            return
        kinds: list[tuple[str, str]] = []
        error = fetched.result.error
        if status == "ok" and link.status in ("dead", "blocked", "error"):
            kinds.append(("recovered", ""))
        if status == "ok" and fetched.changed and link.content_hash:
            kinds.append(("changed", ""))
        if status in ("dead", "blocked", "error") and link.status != status:
            kinds.append((status, error))
        if archive is not None and archive.page is not None:
            kinds.append(("archived", archive.archive_url))
        for kind, detail in kinds:
            self.store.add_event(run_id, link.id, kind, at, detail)

    def _count(
        self, link: DueLink, outcome: str, fetched: Fetched, archive: ArchiveRecord | None
    ) -> None:
        summary = self.summary
        summary.done += 1
        summary.counts[outcome] = summary.counts.get(outcome, 0) + 1
        engine = fetched.result.engine
        summary.by_engine[engine] = summary.by_engine.get(engine, 0) + 1
        site_counts = summary.by_site.setdefault(link.site, {})
        site_counts[outcome] = site_counts.get(outcome, 0) + 1
        if outcome == "ok" and fetched.changed and link.content_hash:
            summary.changed += 1
        if archive is not None and archive.page is not None:
            summary.archived += 1
        if self.progress is not None:
            self.progress(
                CrawlProgress(
                    done=summary.done,
                    total=summary.total,
                    counts=dict(summary.counts),
                    elapsed=time.monotonic() - self.started,
                    url=link.url,
                    site=link.site,
                    outcome=outcome,
                    error=fetched.result.error,
                )
            )

    # -- hosts that push back ----------------------------------------------------------

    async def _watch_host(self, pages: PageFetcher, link: DueLink, fetched: Fetched) -> None:
        """Cool a host down on a verification page, a long Retry-After or repeated refusals.

        Refusals in a row first send a canary: a page the host served fine. If it still
        comes back fine, the refusals belong to those pages and the crawl goes on.
        """
        host = link.host
        result = fetched.result
        if result.outcome in ("ok", "not_modified"):
            self.strikes[host] = 0
            self.served[host] = link
            if host in self.blocked_before:
                self.blocked_before.discard(host)
                self.store.clear_host(host)
            return
        if result.retry_after is not None and result.outcome in ("blocked", "error"):
            # It said how long to stay away, longer than we wait within one fetch.
            self._cool(host, f"asked to wait {result.retry_after:g}s", result.retry_after)
            return
        if result.outcome != "blocked" or result.challenge:
            return
        self.strikes[host] += 1
        if fetched.verification:
            self._cool(host, f"verification page: {result.error}")
        elif self.strikes[host] >= BLOCKED_STRIKES and not await self._canary(pages, host):
            self._cool(host, f"{self.strikes[host]} blocked answers in a row ({result.error})")

    async def _canary(self, pages: PageFetcher, host: str) -> bool:
        """Whether ``host`` still serves a page it served fine, in this crawl or the last.

        The canary is fetched like any page (at the host's turn) and not recorded. True
        means the host is fine and its count of refusals starts again.
        """
        async with self.canaries[host]:
            if host in self.cooling:
                return True  # another worker's canary already sent it to rest
            if self.strikes[host] < BLOCKED_STRIKES:
                return True  # another worker's canary came back fine meanwhile
            link = self.served.get(host) or self.store.served_link(host)
            if link is None:
                return False
            try:
                fetched = await pages.fetch(link)
            except Exception:
                return False
            result = fetched.result
            fine = result.outcome in ("ok", "not_modified") and result.retry_after is None
            if fine:
                self.strikes[host] = 0
            return fine

    def _cool(self, host: str, reason: str, seconds: float | None = None) -> None:
        if host in self.cooling:
            return
        now = self.clock()
        if seconds is None:
            times = self.store.host_blocked_count(host)
            seconds = self.settings.crawl.cooldown * 2 ** min(times, 10)
        rest = min(timedelta(seconds=seconds), MAX_COOLDOWN)
        until = now + rest
        self.cooling[host] = until
        self.blocked_before.add(host)
        self.store.cool_host(host, until=to_iso(until), at=to_iso(now), reason=reason)
        self.summary.cooled_hosts.append(host)


def _internal_error(url: str, exc: Exception) -> FetchResult:
    return FetchResult(
        url=url, outcome="error", final_url=url, error=f"internal: {type(exc).__name__}: {exc}"
    )


def _github_token() -> str | None:
    """The GitHub token that turns on the REST API path for repos (``GITHUB_TOKEN``)."""
    return os.environ.get("GITHUB_TOKEN") or None
