"""Where pages are extracted and snapshots compressed: a thread, or worker processes.

Extraction is CPU work in Python (lxml, trafilatura), so threads share one core. A
large crawl whose pages come faster than a thread extracts them hands the work to worker
processes, one per CPU, so the event loop keeps fetching and writing while the other
cores extract; a polite crawl, whose pages come a few a second, never starts them.
Workers ignore Ctrl-C (the crawl itself decides when to stop) and die with the crawl's
process (``linkindex.workers``).

Workers are started with "spawn", which imports the main module again: a program that
calls ``crawl()`` itself must guard its entry point with ``if __name__ == "__main__":``
(the ``linkindex`` command does), or set ``crawl.extract_workers = 0``.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from linkindex.models.pages import Page
from linkindex.snapshots import Snapshots
from linkindex.store.rows import SnapshotRow
from linkindex.workers import start_pool, stop_pool

#: Crawls with fewer links than this extract in a thread: starting processes costs more.
PROCESS_THRESHOLD = 200
#: Never more worker processes than this.
MAX_WORKERS = 8


def extract_and_keep(
    home: str,
    body: bytes,
    url: str,
    headers: Mapping[str, str],
    digest: str,
    keep_scripted: bool = True,
) -> tuple[Page, SnapshotRow | None]:
    """Extract a body; keep its snapshot when the page is real (not a dead/blocked page).

    With ``keep_scripted`` False a page without text whose scripts may write it is not
    kept either: the browser is about to load it.
    """
    from linkindex.extract import extract_page

    page = extract_page(body, url=url, headers=headers)
    if page.verdict != "ok":
        return page, None
    if not keep_scripted and scripted(page, headers, body):
        return page, None
    stored = Snapshots(Path(home)).put(body, digest=digest)
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    return page, SnapshotRow(stored.hash, stored.size, stored.stored_size, content_type)


def scripted(page: Page, headers: Mapping[str, str], body: bytes) -> bool:
    """Whether an HTML page came out without text while its scripts may write it (so a
    browser may see more). A page whose extractor found figures found its article (a
    post made only of pictures): no script has to write it."""
    from linkindex.fetch.challenge import is_html, written_by_script

    if page.figures or not is_html(headers, body):
        return False
    return written_by_script(body, page.text)


def _timed(*args: Any) -> tuple[tuple[Page, SnapshotRow | None], float]:
    """``extract_and_keep`` in a thread, and the CPU time it took there.

    CPU time, not wall time: on a busy machine, or while the event loop holds the GIL,
    a thread waits far longer than it works, and only the work says whether extraction
    keeps up.
    """
    started = time.thread_time()
    found = extract_and_keep(*args)
    return found, time.thread_time() - started


def _warm_up() -> None:
    """Import the extractors (a second or so) before the first page arrives."""
    import linkindex.extract  # noqa: F401


def worker_count(setting: int | None, links: int) -> int:
    """How many extraction processes a crawl of ``links`` links may use (0: a thread).

    ``setting`` is ``crawl.extract_workers``: a number is obeyed (0 keeps extraction in
    a thread); unset means up to one process per CPU for crawls of PROCESS_THRESHOLD or
    more, started when extraction in a thread cannot keep up (see ``Extraction``).
    """
    if setting is not None:
        return min(setting, MAX_WORKERS)
    cpus = os.cpu_count() or 1
    if links < PROCESS_THRESHOLD or cpus < 2:
        return 0
    return min(cpus, MAX_WORKERS)


#: Automatic workers start when extraction takes at least this share of a core (its CPU
#: time per second of a window of BUSY_WINDOW seconds): then moving it to the other
#: cores pays for the processes' memory. Extraction costs 2-10 ms of CPU a page, so a
#: polite crawl (20 hosts at a page a second: ~10%) or a browser rendering two pages at
#: a time (~4%) never gets there and keeps its memory, while a fast one (50+ pages a
#: second) does within a few seconds.
BUSY_SHARE = 0.25
BUSY_WINDOW = 2.0


class DaemonThreads(ThreadPoolExecutor):
    """Runs each call in a daemon thread of its own; shutting down waits for none.

    A crawl that is stopped must not wait for the page being extracted (a pathological
    page can take many seconds of lxml): a daemon thread is left behind when the
    process exits, where a ``ThreadPoolExecutor``'s threads would be waited for. What
    such a thread leaves unfinished is at most a temporary snapshot file. (A
    ``ThreadPoolExecutor`` by type, because asyncio's default executor must be one; its
    own threads are never started.)
    """

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: the threads are daemons."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to whoever awaits the future
                future.set_exception(exc)

        threading.Thread(target=run, name="extract", daemon=True).start()
        return future


class Extraction:
    """Runs ``extract_and_keep`` off the event loop; close it when the crawl ends.

    Args:
        home: the library home (snapshots are written there).
        workers: the most extraction processes this crawl may use (0: a thread only).
        eager: start them now (``crawl.extract_workers`` set); otherwise they start only
            once extraction in a thread cannot keep up (``BUSY_SHARE``).
        clock: a monotonic clock (tests pass a fake one).
    """

    def __init__(
        self,
        home: Path,
        workers: int,
        *,
        eager: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.home = str(home)
        self.workers = workers
        self._clock = clock
        self._pool: ProcessPoolExecutor | None = None
        self._started = False
        self._warm = False  # the extractors are imported (the first page was extracted)
        self._busy = 0.0  # seconds of extraction in threads in the current window
        self._window = clock()
        self._threads = DaemonThreads()
        if workers and eager:
            self._start()

    def _start(self) -> None:
        """Start the workers, importing the extractors while requests are in flight."""
        self._started = True
        self._pool = start_pool(self.workers, method="spawn", initializer=_warm_up)

    def _spent(self, seconds: float) -> None:
        """Count extraction time in threads; start the workers when it is most of the time."""
        if self._started or not self.workers:
            return
        now = self._clock()
        if not self._warm:
            # The first pages pay for importing the extractors (a second or more): they
            # say nothing about the pace, so the measure starts a window later.
            self._warm = True
            self._window = now + BUSY_WINDOW
            return
        if now < self._window:
            return
        self._busy += seconds
        if now - self._window < BUSY_WINDOW:
            return
        if self._busy >= BUSY_SHARE * (now - self._window):
            self._start()
        self._busy, self._window = 0.0, now

    async def run(
        self,
        body: bytes,
        url: str,
        headers: Mapping[str, str],
        digest: str,
        *,
        keep_scripted: bool = True,
    ) -> tuple[Page, SnapshotRow | None]:
        """Extract (and keep) one body; see ``extract_and_keep``."""
        loop = asyncio.get_running_loop()
        args = (self.home, body, url, dict(headers), digest, keep_scripted)
        pool = self._pool
        if pool is not None:
            try:
                return await loop.run_in_executor(pool, extract_and_keep, *args)
            except BrokenProcessPool:
                # A worker died (out of memory, a crash in a C library): carry on in a
                # thread rather than fail every page that is left.
                if self._pool is pool:
                    self._pool = None
                    stop_pool(pool, kill=True)
        found, seconds = await loop.run_in_executor(self._threads, _timed, *args)
        self._spent(seconds)
        return found

    def close(self, *, kill: bool = False) -> None:
        """Stop the workers (pending work is dropped: its links stay due).

        ``kill``: the crawl is being stopped, so the pages being extracted are dropped
        too, at once, instead of waited for.
        """
        if self._pool is not None:
            stop_pool(self._pool, kill=kill)
            self._pool = None
