"""The browser engine: a URL in, a ``FetchResult`` out, rendered by a headless Chromium.

For pages only a browser can open: a JavaScript challenge that must run before the site
answers (Zhihu's ``__zse_ck``), or text written by script. It keeps the HTTP engine's
rules, sharing its ``Fetcher``: for every page load, in this order, scheme check →
robots.txt → refused addresses (``Fetcher.admission``) → a browser page free
(``[browser] pages`` at once) → the host's turn (the same ``Politeness``) → the load,
every request of which passes ``fetch.interception`` (addresses, TLS, no images/media/
fonts, per-site headers, robots.txt and the redirect limit for the page's own
documents) → the challenge waited out → the rendered HTML. The whole load has
``[browser] timeout`` seconds. After it the page is left for about:blank before its tab
serves another load; a tab whose page cannot be left (a script that never yields) is
closed instead.

Chromium starts on the first ``fetch`` (one process per crawl; ``fetch.chromium`` finds
it and makes its flags) and stops in ``aclose``; its profile is Playwright's temporary
folder, removed when it stops. Cookies live in one browser context for the engine's
life, so a challenge solved once serves the host's next pages. Playwright's driver is a
child process reading our pipe: when this process dies, however it dies, the driver sees
the pipe close and takes Chromium down with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from linkindex.config import Settings
from linkindex.errors import ConfigError
from linkindex.fetch import pages
from linkindex.fetch.challenge import CHALLENGE_STATUSES, challenge
from linkindex.fetch.chromium import (
    INSTALL_HINT,
    can_sandbox,
    extra_ca_hashes,
    find_chromium,
    launch_flags,
    user_agent,
)
from linkindex.fetch.client import Conditional, Fetcher, judge
from linkindex.fetch.interception import NOT_A_PAGE, UNKNOWN_ROBOTS, Interception, Load
from linkindex.fetch.tlscheck import TlsCheck
from linkindex.models import Outcome
from linkindex.models.pages import FetchResult, Redirect
from linkindex.store.core import process_alive

#: Longest wait between two looks at a page that is still a challenge or still loading
#: (each parsed document wakes the wait at once).
POLL = 0.25
#: Longest wait for Chromium to close at the end of a crawl.
CLOSE_WAIT = 10.0
#: A Chromium that crashed is started again at most this many times per crawl.
RESTARTS = 5
#: Run in every page before its own scripts. Sockets (WebSocket, WebTransport, WebRTC)
#: are not requests the interception can hold, so pages get none: reading a page's
#: text never needs them, and they could reach a private address past the checks.
NO_SOCKETS = """
for (const name of ["WebSocket", "WebTransport", "RTCPeerConnection",
                    "webkitRTCPeerConnection", "RTCDataChannel"]) {
  try { Object.defineProperty(window, name, {value: undefined, configurable: false}); }
  catch (error) {}
}
"""

_NET_ERROR = re.compile(r"net::(ERR_[A-Z_]+)")


class _NoBrowser(Exception):
    """Chromium is missing or would not start: every browser fetch says why."""


@dataclass(slots=True)
class _Tab:
    """A browser page kept for the crawl, one load at a time."""

    page: Any
    frame_id: str
    browser: int  # which start of Chromium it belongs to
    parsed: int = 0  # documents of this page whose DOM is ready (DOMContentLoaded)
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # a document got parsed


@dataclass(slots=True)
class _Trip:
    started: float = field(default_factory=time.monotonic)
    attempts: int = 0
    redirects: list[Redirect] = field(default_factory=list)


class BrowserFetcher:
    """Polite headless Chromium; use as ``async with BrowserFetcher(fetcher, settings)``.

    Args:
        fetcher: the HTTP engine whose robots.txt rules, politeness, proxies and address
            checks the browser shares.
        settings: ``[browser]`` (executable, pages, timeout) and per-site headers/cookies.
        site_of: the site of a URL (for per-site settings).
        scratch: a folder for what Chromium writes outside its profile (its crash
            reporter's database, caches), made at start and removed at the end; without
            it Chromium uses the user's (``~/.config/chromium``).

    Raises:
        ConfigError: ``[browser] executable`` names no program, or ``SSL_CERT_FILE``
            cannot be read.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        settings: Settings,
        *,
        site_of: Callable[[str], str] | None = None,
        scratch: Path | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.scratch = scratch
        self.settings = settings
        self.executable = find_chromium(settings.browser.executable)
        self._site_of = site_of or (lambda url: "web")
        self._ca_hashes = extra_ca_hashes(os.environ.get("SSL_CERT_FILE"))
        self._lock = asyncio.Lock()
        self._playwright: Any = None
        self._browser: Any = None
        self._context: Any = None
        self._interception: Interception | None = None
        self._tabs: asyncio.Queue[_Tab] = asyncio.Queue()
        self._opened = 0
        self._starts = 0
        self._temp: Path | None = None  # the driver's temporary folder (Chromium's profile)
        self._broken = ""
        self._cookie_hosts: set[str] = set()
        self._closing: set[asyncio.Future[None]] = set()

    @property
    def available(self) -> bool:
        """Whether this machine has a Chromium to fetch with."""
        return self.executable is not None

    @property
    def missing(self) -> str:
        """Why the browser cannot be used ('' when it can), with what to do about it."""
        if self.executable is None:
            return f"no Chromium on this machine ({INSTALL_HINT})"
        return self._broken

    async def __aenter__(self) -> BrowserFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the public call ---------------------------------------------------------------

    async def fetch(self, url: str, *, conditional: Conditional | None = None) -> FetchResult:
        """Load ``url`` in Chromium politely; the outcome says how it went.

        Args:
            conditional: validators of the copy held; a 304 answer is ``not_modified``.
        """
        trip = _Trip()
        try:
            return await self._fetch(url, conditional, trip)
        except _NoBrowser as exc:
            return self._result(url, "error", trip, error=f"browser: {exc}")
        except Exception as exc:  # a failed link is data: anything unforeseen is an error
            return self._result(url, "error", trip, error=f"browser: {type(exc).__name__}: {exc}")

    async def _fetch(self, url: str, conditional: Conditional | None, trip: _Trip) -> FetchResult:
        current = url
        for _hop in range(self.fetcher.crawl.max_redirects + 1):
            written = self.fetcher.written_refusal(current)
            if written is not None:
                return self._result(url, written[0], trip, final_url=current, error=written[1])
            target = httpx.URL(current)
            if target.scheme not in ("http", "https") or not target.host:
                why = f"unsupported URL scheme {target.scheme or '(none)'}"
                return self._result(url, "skipped", trip, final_url=current, error=why)
            stop = await self.fetcher.admission(target)
            if stop is not None:
                return self._result(url, stop[0], trip, final_url=current, error=stop[1])
            tab = await self._tab()
            try:
                async with self.fetcher.politeness.turn(target.host):
                    trip.attempts += 1
                    load = await self._load(tab, target, conditional)
            finally:
                await self._give_back(tab)
            trip.redirects += load.redirects
            if load.stop is not None and load.stop[0] == UNKNOWN_ROBOTS:
                current = load.stop[1]  # a redirect to an origin whose robots.txt is unread
                continue
            if load.stop is not None and load.stop[0] == NOT_A_PAGE:
                plain = await self.fetcher.fetch(current, conditional=conditional)
                return replace(plain, url=url, redirects=[*trip.redirects, *plain.redirects])
            return self._loaded(url, load, trip)
        limit = self.fetcher.crawl.max_redirects
        return self._result(url, "error", trip, error=f"more than {limit} redirects")

    # -- one load ----------------------------------------------------------------------

    async def _load(self, tab: _Tab, target: httpx.URL, conditional: Conditional | None) -> Load:
        """Load one URL in ``tab`` and wait out its challenge; the Load says what came."""
        load = Load(str(target), conditional)
        assert self._interception is not None
        await self._give_cookies(target)
        self._interception.watch(tab.frame_id, load)
        parsed = tab.parsed
        timeout = self.settings.browser.timeout
        try:
            async with asyncio.timeout(timeout):
                try:
                    await tab.page.goto(str(target), wait_until="commit", timeout=0)
                except Exception as exc:
                    if load.stop is None:
                        load.stop = "error", _describe(exc)
                    return load
                await self._settle(tab, load, parsed)
        except TimeoutError:
            if load.stop is None and not load.challenge:
                load.stop = "error", f"timeout after {timeout:g}s"
        finally:
            self._interception.unwatch(tab.frame_id)
        return load

    async def _settle(self, tab: _Tab, load: Load, parsed: int) -> None:
        """Wait until the page is no longer a challenge and its scripts went quiet.

        ``load.documents`` counts the document answers the page has had (a challenge's
        reload is one more); a document is judged once its DOM is parsed.
        """
        while load.stop is None:
            if load.documents > 1 and load.status in CHALLENGE_STATUSES and not load.challenge:
                # Refused, again and again, by a page that reloads itself: a challenge
                # whose markup we could not read between two reloads.
                load.challenge = f"JavaScript challenge (HTTP {load.status}, reloading)"
            html = await pages.content(tab.page)
            if html is not None:
                kind = challenge(load.status, load.headers, html.encode("utf-8"))
                if kind:
                    load.challenge = kind
                elif tab.parsed - parsed >= load.documents:
                    await pages.quiet(tab.page)
                    if tab.parsed - parsed >= load.documents:
                        load.html = await pages.content(tab.page) or html
                        return
            tab.changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL):
                    await tab.changed.wait()

    async def _give_cookies(self, target: httpx.URL) -> None:
        """The site's configured cookies, given to the browser for each host once."""
        host = target.host
        cookies = self.settings.site(self._site_of(str(target))).cookies
        if not cookies or host in self._cookie_hosts:
            return
        self._cookie_hosts.add(host)
        origin = f"{target.scheme}://{target.netloc.decode('ascii')}/"
        await self._context.add_cookies(
            [{"name": name, "value": value, "url": origin} for name, value in cookies.items()]
        )

    async def _give_back(self, tab: _Tab) -> None:
        """Put a tab back for the next load once it rests on about:blank; else close it."""
        rested = tab.browser == self._starts and await pages.leave(tab.page)
        if tab.browser != self._starts:  # a page of a Chromium that crashed: gone with it
            return
        if rested:
            self._tabs.put_nowait(tab)
            return
        self._opened -= 1  # the next load opens a fresh page instead
        with contextlib.suppress(Exception):
            async with asyncio.timeout(pages.LEAVE_WAIT):
                await tab.page.close()

    # -- results -----------------------------------------------------------------------

    def _loaded(self, url: str, load: Load, trip: _Trip) -> FetchResult:
        """The result of a load, from what its documents answered and what it rendered."""
        final = load.final_url or load.url
        status = load.status
        if load.stop is not None:
            outcome: Any = load.stop[0]
            return self._result(
                url, outcome, trip, final_url=final, http_status=status, error=load.stop[1]
            )
        if status is None:
            return self._result(url, "error", trip, final_url=final, error="no answer")
        if not load.html:  # the time ran out while the page was still a challenge
            timeout = self.settings.browser.timeout
            why = f"{load.challenge} not passed in {timeout:g}s"
            return self._result(
                url, "blocked", trip, final_url=final, http_status=status, error=why
            )
        outcome, error = judge(status)
        body = load.html.encode("utf-8") if outcome == "ok" else None
        cap = self.fetcher.crawl.max_bytes
        if body is not None and cap and len(body) > cap:
            outcome, error, body = "error", f"page is over the {cap}-byte limit", None
        result = self._result(url, outcome, trip, final_url=final, http_status=status, error=error)
        # The body is the rendered page serialised as UTF-8, whatever the server sent.
        rendered = "text/html; charset=utf-8"
        return replace(
            result,
            headers={**load.headers, "content-type": rendered},
            content_type=rendered,
            body=body,
            bytes=len(body) if body is not None else 0,
        )

    def _result(
        self,
        url: str,
        outcome: Outcome,
        trip: _Trip,
        *,
        final_url: str = "",
        http_status: int | None = None,
        error: str = "",
    ) -> FetchResult:
        return FetchResult(
            url=url,
            outcome=outcome,
            final_url=final_url or url,
            http_status=http_status,
            elapsed_ms=round((time.monotonic() - trip.started) * 1000),
            attempts=max(trip.attempts, 1),
            error=error,
            redirects=list(trip.redirects),
            engine="browser",
        )

    # -- the browser -------------------------------------------------------------------

    async def _tab(self) -> _Tab:
        """A browser page to load in; Chromium starts on the first call (and again if
        it crashed: a wait for a page looks again every second)."""
        while True:
            await self._start()
            if self._tabs.empty() and self._opened < self.settings.browser.pages:
                self._opened += 1
                try:
                    return await self._new_tab()
                except Exception:
                    self._opened -= 1
                    raise
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    tab = await self._tabs.get()
                    if tab.browser == self._starts:
                        return tab

    async def _new_tab(self) -> _Tab:
        page = await self._context.new_page()
        session = await self._context.new_cdp_session(page)
        try:
            tree = await session.send("Page.getFrameTree")
        finally:
            await session.detach()
        tab = _Tab(page, tree["frameTree"]["frame"]["id"], self._starts)

        def parsed(_page: Any) -> None:
            tab.parsed += 1
            tab.changed.set()

        page.on("domcontentloaded", parsed)
        return tab

    async def _start(self) -> None:
        async with self._lock:
            if self._context is not None and self._browser.is_connected():
                return
            if self.executable is None:
                raise _NoBrowser(self.missing)
            if self._broken:
                raise _NoBrowser(self._broken)
            if self._starts > RESTARTS:
                raise _NoBrowser("Chromium crashed too often in this crawl")
            self._starts += 1
            await self._stop()
            try:
                await self._launch()
            except Exception as exc:
                await self._stop()
                self._broken = f"cannot start Chromium {self.executable} ({_first_line(exc)})"
                raise _NoBrowser(self._broken) from exc

    async def _launch(self) -> None:
        from playwright.async_api import async_playwright

        _quiet_about_the_driver(asyncio.get_running_loop())
        if self.scratch is not None:
            # A folder left by a crawl that was killed goes first.
            shutil.rmtree(self.scratch, ignore_errors=True)
            driver_temp = self.scratch / "tmp"
            driver_temp.mkdir(parents=True)
        else:
            driver_temp = self._temp = _driver_temp()
        # The driver makes Chromium's profile in its TMPDIR: one of ours, removed at the end
        # even when a signal to the whole process group ended the driver before it could.
        with _temp_dir_of_children(driver_temp):
            self._playwright = await async_playwright().start()
        sandbox = can_sandbox()
        flags = launch_flags(
            self.fetcher.proxies,
            self._ca_hashes,
            pages=self.settings.browser.pages,
            sandbox=sandbox,
        )
        options: dict[str, Any] = {
            "executable_path": self.executable,
            "args": flags,
            # Ctrl-C and kill are ours to handle: the driver must not act on its own.
            "handle_sigint": False,
            "handle_sigterm": False,
            "handle_sighup": False,
            "timeout": self.settings.browser.timeout * 1000,
        }
        if self.scratch is not None:
            options["env"] = {
                **os.environ,
                "HOME": str(self.scratch),
                "XDG_CONFIG_HOME": str(self.scratch / "config"),
                "XDG_CACHE_HOME": str(self.scratch / "cache"),
            }
        try:
            self._browser = await self._playwright.chromium.launch(
                chromium_sandbox=sandbox, **options
            )
        except Exception:
            if not sandbox:
                raise
            # A machine that cannot give Chromium its sandbox (no user namespaces):
            # reading pages matters more than the extra layer.
            options["args"] = launch_flags(
                self.fetcher.proxies,
                self._ca_hashes,
                pages=self.settings.browser.pages,
                sandbox=False,
            )
            self._browser = await self._playwright.chromium.launch(
                chromium_sandbox=False, **options
            )
        session = await self._browser.new_browser_cdp_session()
        version = await session.send("Browser.getVersion")
        tls = None
        if self._ca_hashes:
            tls = TlsCheck(self.fetcher.proxies, self.fetcher.crawl.timeout or 20.0)
        self._interception = Interception(session, self.fetcher, self.settings, self._site_of, tls)
        await self._interception.start()
        self._context = await self._browser.new_context(
            user_agent=user_agent(version["userAgent"], self.fetcher.crawl.user_agent),
            locale="zh-CN",  # the notes are mostly Chinese: pages as their readers see them
            service_workers="block",
            accept_downloads=False,
        )
        await self._context.add_init_script(NO_SOCKETS)
        self._context.on("page", self._close_popup)
        while not self._tabs.empty():  # pages of a Chromium that crashed
            self._tabs.get_nowait()
        self._opened = 0

    def _close_popup(self, page: Any) -> None:
        task = asyncio.ensure_future(pages.close_if_popup(page))
        self._closing.add(task)  # keep a reference until it is done
        task.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        """Close Chromium and Playwright's driver (bounded: a dead driver cannot hang it)."""
        async with self._lock:
            await self._stop()

    async def _stop(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = self._context = self._interception = None
        try:
            async with asyncio.timeout(CLOSE_WAIT):
                if browser is not None:
                    await browser.close()
                if playwright is not None:
                    await playwright.stop()
        except Exception:  # already gone (Ctrl-C reached it too), or hung: we are leaving
            pass
        if self.scratch is not None and browser is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
        if self._temp is not None:
            # The driver removes the profile it made there, unless a signal to the whole
            # process group ended it first.
            shutil.rmtree(self._temp, ignore_errors=True)
            self._temp = None


#: The prefix of the temporary folder each browser's driver gets (then its pid).
_TEMP_PREFIX = "linkindex-browser-"


def _driver_temp() -> Path:
    """A new temporary folder for Playwright's driver (it makes Chromium's profile there),
    named after this process; those of processes gone (killed with their whole process
    group, driver included) are removed first."""
    base = Path(tempfile.gettempdir())
    for left in base.glob(f"{_TEMP_PREFIX}*-*"):
        owner = left.name[len(_TEMP_PREFIX) :].split("-", 1)[0]
        if owner.isdigit() and int(owner) != os.getpid() and not process_alive(int(owner)):
            shutil.rmtree(left, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}-", dir=base))


@contextlib.contextmanager
def _temp_dir_of_children(folder: Path) -> Iterator[None]:
    """``TMPDIR`` names ``folder`` for the processes started meanwhile (Playwright's
    driver takes its environment from ours and has no setting for it)."""
    before = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = before


#: What Playwright's pending calls fail with when its driver is gone.
_DRIVER_GONE = "Connection closed while reading from the driver"


def _quiet_about_the_driver(loop: asyncio.AbstractEventLoop) -> None:
    """Let the loop drop the failures of Playwright calls nobody awaits any more because
    its driver is gone: a SIGTERM to the crawl's process group reaches the driver too,
    and asyncio would print three lines of "Future exception was never retrieved" after
    the crawl's own. Every other error reaches the handler the loop had."""
    previous = loop.get_exception_handler()
    if getattr(previous, "quiet_about_the_driver", False):
        return

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if exc is not None and _DRIVER_GONE in str(exc):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler.quiet_about_the_driver = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handler)


def _describe(exc: BaseException) -> str:
    """A Chromium navigation error in the words the HTTP engine uses."""
    text = _first_line(exc)
    match = _NET_ERROR.search(text)
    if match is None:
        return f"browser: {text}"
    code = match.group(1)
    if code in ("ERR_NAME_NOT_RESOLVED", "ERR_NAME_RESOLUTION_FAILED"):
        return f"DNS: {code}"
    if code.startswith(("ERR_CERT_", "ERR_SSL_")):
        return f"TLS: {code}"
    if code.startswith(("ERR_PROXY_", "ERR_TUNNEL_")):
        return f"proxy: {code}"
    if code == "ERR_TIMED_OUT":
        return "timeout (ERR_TIMED_OUT)"
    return code


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def check_engines(settings: Settings) -> None:
    """Stop a crawl before it starts when a site must use a browser the machine lacks.

    Raises:
        ConfigError: a site's ``engine = "browser"`` with no Chromium found, or a
            ``[browser] executable`` that is not a program.
    """
    if find_chromium(settings.browser.executable) is not None:
        return
    forced = sorted(name for name, site in settings.sites.items() if site.engine == "browser")
    if forced:
        raise ConfigError(
            f'config.toml: sites.{forced[0]}.engine = "browser" needs Chromium, which this '
            f"machine does not have; {INSTALL_HINT}"
        )
