"""Where pages are extracted and snapshots compressed: a thread, or worker processes.

Extraction is CPU work in Python (lxml, trafilatura), so threads share one core. A
large crawl hands it to worker processes instead, one per CPU, so the event loop keeps
fetching and writing while the other cores extract. Workers ignore Ctrl-C (the crawl
itself decides when to stop) and die with the crawl's process (``linkindex.workers``).

Workers are started with "spawn", which imports the main module again: a program that
calls ``crawl()`` itself must guard its entry point with ``if __name__ == "__main__":``
(the ``linkindex`` command does), or set ``crawl.extract_workers = 0``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from linkindex.models import Page
from linkindex.snapshots import Snapshots
from linkindex.store.crawlstate import SnapshotRow
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
    from linkindex.fetch.challenge import is_html, written_by_script

    page = extract_page(body, url=url, headers=headers)
    if page.verdict != "ok":
        return page, None
    if not keep_scripted and is_html(headers, body) and written_by_script(body, page.text):
        return page, None
    stored = Snapshots(Path(home)).put(body, digest=digest)
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    return page, SnapshotRow(stored.hash, stored.size, stored.stored_size, content_type)


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
        self._pool: ProcessPoolExecutor | None = None
        if workers:
            # Every worker starts now, importing the extractors while the first
            # requests are in flight.
            self._pool = start_pool(workers, method="spawn", initializer=_warm_up)

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
        return await loop.run_in_executor(None, extract_and_keep, *args)

    def close(self) -> None:
        """Stop the workers (pending work is dropped: its links stay due)."""
        if self._pool is not None:
            stop_pool(self._pool)
            self._pool = None
