"""Where pages are extracted and snapshots compressed: a thread, or worker processes.

Extraction is CPU work in Python (lxml, trafilatura), so threads share one core. A
large crawl hands it to worker processes instead, one per CPU, so the event loop keeps
fetching and writing while the other cores extract. Workers ignore Ctrl-C (the crawl
itself decides when to stop) and exit when the crawl's process is gone.

Workers are started with "spawn", which imports the main module again: a program that
calls ``crawl()`` itself must guard its entry point with ``if __name__ == "__main__":``
(the ``linkindex`` command does), or set ``crawl.extract_workers = 0``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from linkindex.models import Page
from linkindex.snapshots import Snapshots
from linkindex.store.crawlstate import SnapshotRow

#: Crawls with fewer links than this extract in a thread: starting processes costs more.
PROCESS_THRESHOLD = 200
#: Never more worker processes than this.
MAX_WORKERS = 8
#: Seconds between a worker's checks that the crawl is still running.
PARENT_CHECK = 1.0


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
    from linkindex.fetch.challenge import is_html, written_by_script

    page = extract_page(body, url=url, headers=headers)
    if page.verdict != "ok":
        return page, None
    if not keep_scripted and is_html(headers, body) and written_by_script(body, page.text):
        return page, None
    stored = Snapshots(Path(home)).put(body, digest=digest)
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    return page, SnapshotRow(stored.hash, stored.size, stored.stored_size, content_type)


def _start_worker(parent: int) -> None:
    """Ignore Ctrl-C (the crawl decides when to stop) and die with the crawl.

    A crawl killed with SIGKILL cannot stop its workers, and they would wait for work
    forever: each watches its parent and exits when it is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _warm_up() -> None:
    """Import the extractors (a second or so) before the first page arrives."""
    import linkindex.extract  # noqa: F401


def worker_count(setting: int | None, links: int) -> int:
    """How many extraction processes a crawl of ``links`` links uses (0: a thread).

    ``setting`` is ``crawl.extract_workers``: a number is obeyed (0 keeps extraction in
    a thread); unset means one process per CPU for crawls of PROCESS_THRESHOLD or more.
    """
    if setting is not None:
        return min(setting, MAX_WORKERS)
    cpus = os.cpu_count() or 1
    if links < PROCESS_THRESHOLD or cpus < 2:
        return 0
    return min(cpus, MAX_WORKERS)


class Extraction:
    """Runs ``extract_and_keep`` off the event loop; close it when the crawl ends."""

    def __init__(self, home: Path, workers: int) -> None:
        self.home = str(home)
        self.workers = workers
        self._pool: Executor | None = None
        if workers:
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
            # Start every worker now, while the first requests are in flight.
            for _ in range(workers):
                self._pool.submit(_warm_up)

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
                    pool.shutdown(wait=False, cancel_futures=True)
        return await loop.run_in_executor(None, extract_and_keep, *args)

    def close(self) -> None:
        """Stop the workers (pending work is dropped: its links stay due)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
