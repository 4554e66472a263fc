"""Figures of crawled pages: fetched at the image hosts' own pace, checked, stored once.

The crawler records a page with its figures (``figures_of``: the extractor's list, cut
to ``images.max_per_page``) and then calls ``Figures.after_record(link_id)``, which
fetches in the background whatever the store lists as still to fetch: the new figures
of a new or changed page, and figures a former crawl could not get. Image hosts have
their own ``Fetcher`` (same robots.txt, private-address guard, size limit and retries,
but the ``[images]`` pace and no site headers), so a slow image never holds up the
article hosts' queues and never takes their slots.

No ``Referer`` goes to an image host (mmbiz.qpic.cn answers a foreign one with a
placeholder; without one it sends the figure) unless the article's site sets
``image_referer``. What comes back is kept only when its bytes are a PNG, JPEG, GIF or
WebP picture (``extract.imagefile``) and not a hotlink placeholder: one of the shipped
``data/image_placeholders.txt``, one found before, or small bytes (``PLACEHOLDER_MAX_BYTES``)
that one host answers for ``PLACEHOLDER_NAMES`` unrelated pictures (different
``picture_name``) of ``PLACEHOLDER_LINKS`` different pages.
Figures of a page recovered from the Wayback Machine are asked of the archive first.

Pages stored before linkindex kept figures (or while ``[images] enabled`` was off) have
none recorded: ``Figures.resume`` reads them again from their snapshots (``backfill``),
once each and ``BACKFILL_PER_CRAWL`` per crawl, and fetches what they show.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any
from urllib.parse import unquote, urlsplit

from linkindex.config import Settings
from linkindex.crawl.recover import archived_image_url
from linkindex.errors import LinkindexError, StoreError
from linkindex.extract.imagefile import is_svg, read_image
from linkindex.fetch import Fetcher
from linkindex.models import Clock, to_iso
from linkindex.models.pages import FetchResult, Figure, Page
from linkindex.snapshots import Images, Snapshots, content_hash
from linkindex.store import Store
from linkindex.store.rows import FigureOutcome, FigureTask, SnapshotPage, StoredImage
from linkindex.urls import host_of

#: The same bytes from one host for this many unrelated pictures (different
#: ``picture_name``)…
PLACEHOLDER_NAMES = 3
#: …shown by at least this many different pages…
PLACEHOLDER_LINKS = 2
#: …and no larger than this are a placeholder, not a figure. A placeholder answers every
#: address, so the pictures it stands in for are unrelated; a figure shared is one
#: picture, published under one name (a diagram copied into three repositories keeps
#: its file name on raw.githubusercontent.com). And a placeholder is a small message
#: picture: the ones other projects list by hash are 0.7 to 20 KB (ar5iv's "no image
#: available" 20 KB, the favicon services' blank icons under 2 KB); WeChat's is a
#: 470x349 line of grey text. A larger picture that one account uploads again for each
#: article (a banner) is kept: losing a real picture costs more than keeping a rare
#: large placeholder.
PLACEHOLDER_MAX_BYTES = 100_000

#: A path segment that gives a picture's size, not its name (WeChat's ``/640``, ``/0``).
_SIZE_SEGMENT = re.compile(r"^\d+(?:x\d+)?$")

#: Pages stored without figures that one crawl reads again: a library crawled before
#: linkindex kept figures catches up over a few runs, and no crawl turns into hours.
BACKFILL_PER_CRAWL = 1000

#: What an image request accepts: the kept types first.
IMAGE_ACCEPT = "image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.5"


def image_fetch_settings(settings: Settings) -> Settings:
    """Settings of the image hosts' ``Fetcher``: the crawl's, at the ``[images]`` pace and
    size limit, with no per-site headers or cookies (they are the article sites')."""
    images = settings.images
    crawl = replace(
        settings.crawl,
        per_host_interval=images.per_host_interval,
        per_host_concurrency=images.per_host_concurrency,
        max_bytes=images.max_bytes,
    )
    return Settings(crawl=crawl, sites={}, archive=settings.archive, schedule=settings.schedule)


def parse_placeholders(text: str) -> dict[str, str]:
    """sha256 -> host of a placeholder list (``data/image_placeholders.txt``'s format)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and len(words[0]) == 64:
            digest = words[0].lower()
            if all(c in "0123456789abcdef" for c in digest):
                found[digest] = words[1]
    return found


def shipped_placeholders() -> frozenset[str]:
    """The placeholder hashes shipped with linkindex."""
    text = resources.files("linkindex").joinpath("data/image_placeholders.txt").read_text("utf-8")
    return frozenset(parse_placeholders(text))


def picture_name(url: str) -> str:
    """What names the picture at a figure's address: the last segment of its path that
    is not a size, in lower case (``/mmbiz_png/<id>/640`` names ``<id>``,
    ``/org/repo/main/figures/overview.png`` names ``overview.png``); the whole path when
    every segment is a number.

    Two addresses with one name may be one picture shared; addresses with different
    names are different pictures, and a host that answers them all with the same bytes
    answers with a placeholder.
    """
    path = unquote(urlsplit(url).path).lower()
    for segment in reversed(path.split("/")):
        if segment and not _SIZE_SEGMENT.match(segment):
            return segment
    return path


def figures_of(
    page: Page | None, archive_page: Page | None, settings: Settings
) -> tuple[list[Figure] | None, bool]:
    """The figures to record with a fetch, and whether they come from an archive copy.

    None leaves the link's figures as they are (no new page, or figures turned off).
    """
    if not settings.images.enabled:
        return None, False
    if archive_page is not None:
        return archive_page.figures[: settings.images.max_per_page], True
    if page is None:
        return None, False
    return page.figures[: settings.images.max_per_page], False


@dataclass(slots=True)
class FigureSummary:
    """What a crawl did with figures."""

    stored: int = 0  # figures that got their image (a new file, or one another page has)
    new_bytes: int = 0  # bytes of the image files written
    failed: int = 0  # may work at a later crawl
    refused: int = 0  # wrong type, too large, placeholder, gone
    placeholders: list[str] = field(default_factory=list)  # hashes found to be placeholders

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready data."""
        return {
            "stored": self.stored,
            "new_bytes": self.new_bytes,
            "failed": self.failed,
            "refused": self.refused,
            "placeholders": list(self.placeholders),
        }


class Figures:
    """Fetches and keeps the figures of the links a crawl records.

    Args:
        store: the library's store (figures to fetch, outcomes).
        images: the image folder.
        fetcher: a ``Fetcher`` made with ``image_fetch_settings``.
        settings: the library's settings (``[images]``, each site's ``image_referer``).
        clock: when outcomes are recorded.
        snapshots: where pages stored without figures are read again (None: they are not).
        placeholders: hashes never kept (default: the shipped list).
    """

    def __init__(
        self,
        store: Store,
        images: Images,
        fetcher: Fetcher,
        settings: Settings,
        *,
        clock: Clock,
        snapshots: Snapshots | None = None,
        placeholders: frozenset[str] | None = None,
    ) -> None:
        self.store = store
        self.images = images
        self.snapshots = snapshots
        self.fetcher = fetcher
        self.settings = settings
        self.clock = clock
        self.placeholders = set(shipped_placeholders() if placeholders is None else placeholders)
        self.placeholders |= store.placeholder_hashes()
        self.summary = FigureSummary()
        self._kept: Counter[str] = Counter()  # figures this crawl counted stored, by image
        self._written: dict[str, int] = {}  # bytes of the image files this crawl wrote
        self._running: set[asyncio.Task[None]] = set()
        self._busy: set[int] = set()  # links whose figures are being fetched
        self._asked: dict[str, asyncio.Future[FigureOutcome]] = {}  # by address

    def after_record(self, link_id: int, *, retry_failed: bool = True) -> None:
        """Fetch, in the background, the figures of a just-recorded link still to fetch."""
        if not self.settings.images.enabled or link_id in self._busy:
            return
        tasks = self.store.figures_to_fetch(link_id, retry_failed=retry_failed)
        if not tasks:
            return
        self._busy.add(link_id)
        self._start(self._fetch_link(link_id, tasks))

    def _start(self, work: Any) -> None:
        running = asyncio.ensure_future(work)
        self._running.add(running)
        running.add_done_callback(self._running.discard)

    def resume(self) -> None:
        """Fetch the figures an interrupted crawl left pending, of any link, and look for
        the figures of pages stored without them."""
        if not self.settings.images.enabled:
            return
        for link_id in self.store.links_with_pending_figures():
            self.after_record(link_id, retry_failed=False)
        pages = self.store.pages_without_figures() if self.snapshots is not None else []
        if pages:
            self._start(self.backfill(pages[:BACKFILL_PER_CRAWL]))

    async def backfill(self, pages: Sequence[SnapshotPage]) -> None:
        """Read stored pages' figures from their snapshots, record them, fetch them."""
        limit = self.settings.images.max_per_page
        for page in pages:
            figures = await asyncio.to_thread(self._figures_of_snapshot, page)
            if self.store.backfill_figures(page, None if figures is None else figures[:limit]):
                self.after_record(page.link_id, retry_failed=False)

    def _figures_of_snapshot(self, page: SnapshotPage) -> list[Figure] | None:
        """The figures of a stored page, extracted again from its snapshot."""
        from linkindex.extract import extract_page
        from linkindex.extract.github import page_from_api

        assert self.snapshots is not None
        try:
            body = self.snapshots.get(page.snapshot)
        except LinkindexError:
            return None
        if page.content_type.startswith("application/json"):
            try:  # a GitHub repository read through the REST API (crawl.page)
                stored = json.loads(body)
                return page_from_api(stored["repo"], stored["readme"]).figures
            except (ValueError, KeyError, TypeError, AttributeError):
                return []
        headers = {"content-type": page.content_type}
        return extract_page(body, url=page.url, headers=headers).figures

    async def wait(self) -> None:
        """Wait for every figure fetch started so far (and those they start)."""
        while self._running:
            await asyncio.gather(*list(self._running))

    # -- one link ----------------------------------------------------------------------

    async def _fetch_link(self, link_id: int, tasks: Sequence[FigureTask]) -> None:
        try:
            outcomes = list(await asyncio.gather(*(self._fetch(task) for task in tasks)))
            outcomes = self._without_placeholders(link_id, outcomes)
            self.store.record_figures(link_id, outcomes, at=to_iso(self.clock()))
            for outcome in outcomes:
                self._count(outcome)
        finally:
            self._busy.discard(link_id)

    async def _fetch(self, task: FigureTask) -> FigureOutcome:
        """One figure; an address this crawl asked for already is not asked for again
        (pages that share a figure wait for, or reuse, the one fetch)."""
        asked = self._asked.get(task.url)
        if asked is None:
            asked = asyncio.ensure_future(self._fetch_url(task))
            self._asked[task.url] = asked
        outcome = await asyncio.shield(asked)
        return replace(outcome, position=task.position)

    async def _fetch_url(self, task: FigureTask) -> FigureOutcome:
        held = self.store.stored_image_for_url(task.url)
        image = self.store.image(held) if held else None
        if image is not None:  # another page stored this address meanwhile
            return FigureOutcome(task.position, task.url, "stored", image)
        headers = {"Accept": IMAGE_ACCEPT}
        referer = self.settings.site(task.site).image_referer
        if referer:
            headers["Referer"] = referer
        result: FetchResult | None = None
        if task.from_archive and task.archive_url:
            copy = archived_image_url(task.archive_url, task.url)
            if copy is not None:
                result = await self.fetcher.fetch(copy, headers=headers, obey_robots=False)
        if result is None or result.outcome != "ok":
            result = await self.fetcher.fetch(task.url, headers=headers)
        return await self._judge(task, result)

    async def _judge(self, task: FigureTask, result: FetchResult) -> FigureOutcome:
        """Keep an answer that is a picture of a kept type, and say why not otherwise."""
        position, url = task.position, task.url
        if result.outcome != "ok" or result.body is None:
            why = result.error or result.outcome
            lasting = result.outcome in ("dead", "skipped") or "byte limit" in why
            return FigureOutcome(position, url, "refused" if lasting else "failed", error=why)
        body = result.body
        kind = read_image(body)
        if kind is None:
            why = (
                "SVG: linkindex keeps no SVG"
                if is_svg(body)
                else f"not a PNG, JPEG, GIF or WebP picture ({result.content_type or 'no type'})"
            )
            return FigureOutcome(position, url, "refused", error=why)
        digest = content_hash(body)
        if digest in self.placeholders:
            return FigureOutcome(position, url, "refused", error="hotlink placeholder")
        try:
            written = await asyncio.to_thread(self.images.put, body, digest=digest)
            if written and digest not in self._written:  # (two fetches may both write it)
                self.summary.new_bytes += len(body)
                self._written[digest] = len(body)
        except StoreError as exc:
            return FigureOutcome(position, url, "failed", error=str(exc))
        image = StoredImage(digest, kind.content_type, len(body), kind.width, kind.height)
        return FigureOutcome(position, url, "stored", image)

    def _without_placeholders(
        self, link_id: int, outcomes: list[FigureOutcome]
    ) -> list[FigureOutcome]:
        """Outcomes with placeholder answers refused (and former figures using them too)."""
        kept: list[FigureOutcome] = []
        for outcome in outcomes:
            image = outcome.image
            if image is not None and self._is_placeholder(link_id, outcome.url, image, outcomes):
                self._forget(image.sha256, host_of(outcome.url))
            if image is not None and image.sha256 in self.placeholders:
                outcome = FigureOutcome(
                    outcome.position, outcome.url, "refused", error="hotlink placeholder"
                )
            kept.append(outcome)
        return kept

    def _is_placeholder(
        self, link_id: int, url: str, image: StoredImage, outcomes: Sequence[FigureOutcome]
    ) -> bool:
        if image.sha256 in self.placeholders:
            return False  # already known and forgotten
        if image.bytes > PLACEHOLDER_MAX_BYTES:
            return False
        host = host_of(url)
        uses = [(other, address) for other, address in self.store.image_uses(image.sha256)]
        uses += [(link_id, o.url) for o in outcomes if o.image and o.image.sha256 == image.sha256]
        uses = [(other, address) for other, address in uses if host_of(address) == host]
        names = {picture_name(address) for _other, address in uses}
        pages = {other for other, _address in uses}
        return len(names) >= PLACEHOLDER_NAMES and len(pages) >= PLACEHOLDER_LINKS

    def _forget(self, digest: str, host: str) -> None:
        reason = (
            f"{host} sent these bytes for {PLACEHOLDER_NAMES}+ different pictures "
            "of different pages"
        )
        self.store.forget_placeholder(digest, host=host, at=to_iso(self.clock()), reason=reason)
        self.images.remove(digest)
        self.placeholders.add(digest)
        self.summary.placeholders.append(digest)
        # Figures of this crawl counted as kept before their bytes proved a placeholder
        # are refused now, and the file written for them is gone.
        taken = self._kept.pop(digest, 0)
        self.summary.stored -= taken
        self.summary.refused += taken
        self.summary.new_bytes -= self._written.pop(digest, 0)

    def _count(self, outcome: FigureOutcome) -> None:
        if outcome.state == "stored":
            self.summary.stored += 1
            if outcome.image is not None:
                self._kept[outcome.image.sha256] += 1
        elif outcome.state == "failed":
            self.summary.failed += 1
        else:
            self.summary.refused += 1
