"""One link, fetched and understood: live page, GitHub API, moved articles, archive copies.

``PageFetcher.fetch(link)`` returns a ``Fetched``: the fetch result with its outcome
overruled by the page's own verdict (a WeChat "deleted" page served with HTTP 200 is
``dead``, a verification page ``blocked``), the extracted page and the stored snapshot.
A body whose hash equals the last one is not extracted again: nothing changed.
Extraction and compression run off the event loop (see ``crawl.extraction``).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from linkindex.config import Settings
from linkindex.crawl.extraction import Extraction
from linkindex.crawl.recover import find_copy, raw_copy_url
from linkindex.fetch import Conditional, Fetcher
from linkindex.models import FetchResult, Page, Redirect, from_iso
from linkindex.snapshots import Snapshots, content_hash
from linkindex.store.crawlstate import ArchiveRecord, DueLink, SnapshotRow

#: GitHub's REST API media types and version.
GITHUB_JSON = "application/vnd.github+json"
GITHUB_RAW = "application/vnd.github.raw"
GITHUB_API_VERSION = "2022-11-28"


@dataclass(slots=True)
class Fetched:
    """A link's fetch with what was made of it."""

    result: FetchResult
    page: Page | None = None
    snapshot: SnapshotRow | None = None
    content_hash: str | None = None
    changed: bool = False
    verification: bool = False  # blocked by a verification page (not just an HTTP status)
    moved_to: str = ""  # the page says its content moved there (WeChat 该公众号已迁移)


class PageFetcher:
    """Fetches links into pages and snapshots.

    Args:
        fetcher: the polite downloader.
        settings: library settings (archive, GitHub API URL).
        snapshots: where raw bodies go.
        extraction: where extraction runs (a thread or worker processes).
        token: a GitHub token; with it, GitHub repos are read through the REST API.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        settings: Settings,
        snapshots: Snapshots,
        extraction: Extraction,
        *,
        token: str | None,
    ) -> None:
        self.fetcher = fetcher
        self.settings = settings
        self.snapshots = snapshots
        self.extraction = extraction
        self.token = token
        self.github_api_off = False  # set when the API says our quota is spent

    async def fetch(self, link: DueLink) -> Fetched:
        """Fetch one link and make a page of it."""
        repo = self._github_repo(link.url)
        if repo is not None:
            fetched = await self._fetch_github(link, *repo)
            if fetched is not None:
                return fetched
        conditional = None
        held = link.has_page and not link.page_from_archive and link.status == "ok"
        if held and (link.etag or link.last_modified):
            conditional = Conditional(link.etag, link.last_modified)
        result = await self.fetcher.fetch(link.url, conditional=conditional)
        fetched = await self._understand(link, result)
        if fetched.moved_to and fetched.result.outcome == "dead":
            return await self._follow_move(link, fetched.result, fetched.moved_to)
        return fetched

    async def _understand(self, link: DueLink, result: FetchResult) -> Fetched:
        """Hash, extract and store an ``ok`` body; let the page overrule the outcome."""
        if result.outcome != "ok" or result.body is None:
            return Fetched(result)
        body = result.body
        digest = content_hash(body)
        changed = digest != link.content_hash
        if not changed and link.has_page and not link.page_from_archive:
            return Fetched(result, content_hash=digest, changed=False)
        page, snapshot = await self.extraction.run(
            body, result.final_url or result.url, result.headers, digest
        )
        if page.verdict != "ok":
            result.outcome = page.verdict
            result.error = page.reason or f"the page says it is {page.verdict}"
            return Fetched(result, verification=page.verdict == "blocked", moved_to=page.moved_to)
        return Fetched(result, page, snapshot, digest, changed)

    async def _follow_move(self, link: DueLink, before: FetchResult, moved_to: str) -> Fetched:
        """Fetch the article a "this account has moved" page points at (one hop)."""
        result = await self.fetcher.fetch(moved_to)
        result.url = before.url
        result.redirects = [
            *before.redirects,
            Redirect(before.http_status or 200, moved_to),
            *result.redirects,
        ]
        result.attempts += before.attempts
        result.elapsed_ms += before.elapsed_ms
        return await self._understand(link, result)

    async def recover(self, link: DueLink) -> ArchiveRecord | None:
        """Look a lost link up in the Wayback Machine; fetch the copy if we hold no page."""
        near = from_iso(link.fetched_at) if link.fetched_at else None
        archive_url = await find_copy(self.fetcher, self.settings, link.url, near=near)
        if archive_url is None:
            return None
        if link.has_page and not link.page_from_archive:
            # Our own copy of the live page is kept; the archive URL is noted for readers.
            return ArchiveRecord(archive_url)
        result = await self.fetcher.fetch(raw_copy_url(archive_url), obey_robots=False)
        result.url = archive_url
        if result.outcome != "ok" or result.body is None:
            return None
        body = result.body
        digest = content_hash(body)
        page, snapshot = await self.extraction.run(
            body, result.final_url or result.url, result.headers, digest
        )
        if page.verdict != "ok" or snapshot is None:
            return None  # the archive kept the error page, not the article
        return ArchiveRecord(archive_url, result, page, snapshot)

    # -- GitHub through the REST API ---------------------------------------------------

    def _github_repo(self, url: str) -> tuple[str, str] | None:
        if not self.token or self.github_api_off:
            return None
        try:
            from linkindex.extract.github import repo_of
        except ImportError:  # an install without the GitHub extractor reads the HTML page
            return None
        return repo_of(url)

    async def _fetch_github(self, link: DueLink, owner: str, name: str) -> Fetched | None:
        """The repo and its README from the REST API; None to fall back to the HTML page."""
        from linkindex.extract.github import page_from_api

        api = self.settings.crawl.github_api_url.rstrip("/")
        headers = {
            "Accept": GITHUB_JSON,
            "Authorization": f"Bearer {self.token}",
            "X-GitHub-Api-Version": GITHUB_API_VERSION,
        }
        conditional = None
        if link.has_page and link.status == "ok" and link.etag:
            conditional = Conditional(link.etag)
        result = await self.fetcher.fetch(
            f"{api}/repos/{owner}/{name}",
            conditional=conditional,
            headers=headers,
            obey_robots=False,
        )
        if result.outcome in ("blocked", "error") and _quota_spent(result):
            self.github_api_off = True
            return None
        result.url = link.url
        if result.outcome != "ok" or result.body is None:
            if result.outcome == "not_modified":
                result.final_url = link.url
            return Fetched(result)
        try:
            repo: dict[str, Any] = json.loads(result.body)
        except ValueError:
            return None
        readme = await self._github_readme(api, repo.get("full_name") or f"{owner}/{name}", headers)
        body = json.dumps({"repo": repo, "readme": readme}, ensure_ascii=False, sort_keys=True)
        raw = body.encode("utf-8")
        result.body, result.bytes = raw, len(raw)
        result.final_url = str(repo.get("html_url") or link.url)
        result.content_type = "application/json"
        digest = content_hash(raw)
        changed = digest != link.content_hash
        if not changed and link.has_page and not link.page_from_archive:
            return Fetched(result, content_hash=digest, changed=False)
        page = page_from_api(repo, readme)
        stored = await asyncio.to_thread(self.snapshots.put, raw, digest=digest)
        snapshot = SnapshotRow(stored.hash, stored.size, stored.stored_size, "application/json")
        return Fetched(result, page, snapshot, digest, changed)

    async def _github_readme(self, api: str, full_name: str, headers: dict[str, str]) -> str | None:
        answer = await self.fetcher.fetch(
            f"{api}/repos/{full_name}/readme",
            headers={**headers, "Accept": GITHUB_RAW},
            obey_robots=False,
        )
        if answer.outcome != "ok" or answer.body is None:
            return None
        return answer.body.decode("utf-8", errors="replace")


def _quota_spent(result: FetchResult) -> bool:
    """Whether GitHub refused because the API rate limit is used up."""
    return result.http_status in (403, 429) and (
        result.headers.get("x-ratelimit-remaining") == "0" or result.retry_after is not None
    )
