"""One link, fetched and understood: live page, GitHub API, moved articles, archive copies.

``PageFetcher.fetch(link)`` returns a ``Fetched``: the fetch result with its outcome
overruled by the page's own verdict (a WeChat "deleted" page served with HTTP 200 is
``dead``, a verification page ``blocked``, bytes that are not the text their type
declares an unreadable ``error``), the extracted page and the stored snapshot.
A body whose hash equals the last one is not extracted again: nothing changed.
Extraction and compression run off the event loop (see ``crawl.extraction``).

Which engine fetches a page is the site's ``engine`` setting. ``auto`` (the default)
asks plain HTTP first and turns to the browser when the answer is a JavaScript
challenge, or a page whose extractor found no text while it has scripts; once a host
needed the browser, its next pages in this crawl go straight to it (its cookies, the
solved challenge among them, are kept for the crawl). Results are never changed in
place: a different verdict is a new ``FetchResult``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace
from typing import Any

from linkindex.config import Settings
from linkindex.crawl.extraction import Extraction, scripted
from linkindex.crawl.recover import find_copy, raw_copy_url
from linkindex.fetch import BrowserFetcher, Conditional, Fetcher
from linkindex.models import from_iso
from linkindex.models.pages import FetchResult, Page, Redirect
from linkindex.snapshots import Snapshots, content_hash
from linkindex.store.rows import ArchiveRecord, DueLink, SnapshotRow
from linkindex.urls import host_of, site_of

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
        fetcher: the polite downloader (the HTTP engine).
        settings: library settings (archive, GitHub API URL, each site's engine).
        snapshots: where raw bodies go.
        extraction: where extraction runs (a thread or worker processes).
        token: a GitHub token; with it, GitHub repos are read through the REST API.
        browser: the browser engine; None (or one without Chromium) leaves every page
            to HTTP, and a challenge's reason says how to get a browser.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        settings: Settings,
        snapshots: Snapshots,
        extraction: Extraction,
        *,
        token: str | None,
        browser: BrowserFetcher | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.settings = settings
        self.snapshots = snapshots
        self.extraction = extraction
        self.token = token
        self.browser = browser
        self.github_api_off = False  # set when the API says our quota is spent
        self.browser_hosts: set[str] = set()  # hosts that needed the browser in this crawl

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
        fetched = await self._fetch_page(link, link.url, conditional)
        if fetched.moved_to and fetched.result.outcome == "dead":
            return await self._follow_move(link, fetched.result, fetched.moved_to)
        return fetched

    # -- which engine ------------------------------------------------------------------

    async def _fetch_page(
        self, link: DueLink, url: str, conditional: Conditional | None
    ) -> Fetched:
        """Fetch and understand one page with the engine its site and host call for."""
        engine = self.settings.site(site_of(url)).engine
        browser = self.browser if self.browser is not None and self.browser.available else None
        host = host_of(url)
        if browser is not None and (
            engine == "browser" or (engine == "auto" and host in self.browser_hosts)
        ):
            return await self._understand(link, await browser.fetch(url, conditional=conditional))
        result = await self.fetcher.fetch(url, conditional=conditional)
        if engine != "auto":
            return await self._understand(link, result)
        if result.challenge:
            return await self._in_browser(link, result, conditional)
        fetched = await self._understand(link, result, keep_scripted=False)
        if _written_by_script(fetched):
            return await self._in_browser(link, result, conditional, instead_of=fetched)
        return fetched

    async def _in_browser(
        self,
        link: DueLink,
        answer: FetchResult,
        conditional: Conditional | None,
        *,
        instead_of: Fetched | None = None,
    ) -> Fetched:
        """Load a page in the browser after plain HTTP's ``answer`` could not read it.

        ``instead_of`` is what HTTP made of a page without text: it stands when the
        browser finds no more. A challenge with no browser to take it stays ``blocked``
        (and ``challenge``: no refusal of the host), its reason saying how to get one.
        """
        browser = self.browser
        loaded = None
        if browser is not None and browser.available and not browser.missing:
            # HTTP followed (and judged) the redirects already: the browser starts at the end.
            loaded = await browser.fetch(answer.final_url or answer.url, conditional=conditional)
        if loaded is None or (browser is not None and browser.missing):
            if instead_of is not None:
                return await self._kept(instead_of)
            why = browser.missing if browser is not None else "no browser engine"
            return Fetched(replace(answer, error=f"{answer.error}; {why}"))
        result = replace(loaded, url=answer.url, redirects=[*answer.redirects, *loaded.redirects])
        fetched = await self._understand(link, result)
        # No page means the body is the one we hold (or a 304): it was read before.
        read = fetched.result.outcome in ("ok", "not_modified") and (
            fetched.page is None or bool(fetched.page.text) or instead_of is None
        )
        if instead_of is not None and not read:
            return await self._kept(instead_of)
        if read:
            self.browser_hosts.add(host_of(answer.url))
        return fetched

    async def _kept(self, fetched: Fetched) -> Fetched:
        """A page HTTP read without text, kept after all: its snapshot is stored now."""
        body = fetched.result.body
        if fetched.snapshot is not None or fetched.page is None or body is None:
            return fetched
        stored = await asyncio.to_thread(self.snapshots.put, body, digest=fetched.content_hash)
        kind = fetched.result.headers.get("content-type", "")
        snapshot = SnapshotRow(stored.hash, stored.size, stored.stored_size, kind)
        return replace(fetched, snapshot=snapshot)

    async def _understand(
        self, link: DueLink, result: FetchResult, *, keep_scripted: bool = True
    ) -> Fetched:
        """Hash, extract and store an ``ok`` body; let the page overrule the outcome.

        ``keep_scripted`` False: a page without text that its scripts may write is not
        stored (the browser is about to load it; ``_kept`` stores it if it stays).
        """
        if result.outcome != "ok" or result.body is None:
            return Fetched(result)
        body = result.body
        digest = content_hash(body)
        changed = digest != link.content_hash
        if not changed and link.has_page and not link.page_from_archive:
            return Fetched(result, content_hash=digest, changed=False)
        page, snapshot = await self.extraction.run(
            body,
            result.final_url or result.url,
            result.headers,
            digest,
            keep_scripted=keep_scripted,
        )
        if page.verdict != "ok":
            verdict = replace(
                result,
                outcome=page.verdict,
                error=page.reason or f"the page says it is {page.verdict}",
            )
            return Fetched(verdict, verification=page.verdict == "blocked", moved_to=page.moved_to)
        return Fetched(result, page, snapshot, digest, changed)

    async def _follow_move(self, link: DueLink, before: FetchResult, moved_to: str) -> Fetched:
        """Fetch the article a "this account has moved" page points at (one hop)."""
        moved = await self._fetch_page(link, moved_to, None)
        result = moved.result
        result = replace(
            result,
            url=before.url,
            redirects=[
                *before.redirects,
                Redirect(before.http_status or 200, moved_to),
                *result.redirects,
            ],
            attempts=result.attempts + before.attempts,
            elapsed_ms=result.elapsed_ms + before.elapsed_ms,
        )
        return replace(moved, result=result)

    async def recover(self, link: DueLink) -> ArchiveRecord | None:
        """Look a lost link up in the Wayback Machine; fetch the copy if we hold no page."""
        near = from_iso(link.fetched_at) if link.fetched_at else None
        archive_url = await find_copy(self.fetcher, self.settings, link.url, near=near)
        if archive_url is None:
            return None
        if link.has_page and not link.page_from_archive:
            # Our own copy of the live page is kept; the archive URL is noted for readers.
            return ArchiveRecord(archive_url)
        copy = await self.fetcher.fetch(raw_copy_url(archive_url), obey_robots=False)
        result = replace(copy, url=archive_url)
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
        result = replace(result, url=link.url)
        if result.outcome != "ok" or result.body is None:
            if result.outcome == "not_modified":
                result = replace(result, final_url=link.url)
            return Fetched(result)
        try:
            repo: dict[str, Any] = json.loads(result.body)
        except ValueError:
            return None
        readme = await self._github_readme(api, repo.get("full_name") or f"{owner}/{name}", headers)
        body = json.dumps({"repo": repo, "readme": readme}, ensure_ascii=False, sort_keys=True)
        raw = body.encode("utf-8")
        result = replace(
            result,
            body=raw,
            bytes=len(raw),
            final_url=str(repo.get("html_url") or link.url),
            content_type="application/json",
        )
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


def _written_by_script(fetched: Fetched) -> bool:
    """Whether an HTML page came out ``ok`` without text while it has scripts."""
    result, page = fetched.result, fetched.page
    if result.outcome != "ok" or page is None or result.body is None:
        return False
    return scripted(page, result.headers, result.body)


def _quota_spent(result: FetchResult) -> bool:
    """Whether GitHub refused because the API rate limit is used up."""
    return result.http_status in (403, 429) and (
        result.headers.get("x-ratelimit-remaining") == "0" or result.retry_after is not None
    )
