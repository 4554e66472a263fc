"""What the browser may load: every request Chromium makes is held here first.

A browser-wide CDP ``Fetch`` interception sees every request of every page, frame and
worker, redirect hops included (Playwright's ``route`` never sees a redirect's target,
so a page could redirect past a check made there). Each request is judged by the HTTP
engine's rules before it leaves:

- images (favicons too), media, fonts and beacons are not downloaded;
- refused addresses (private networks, unless allowed: ``Fetcher.address_refusal``);
- with ``SSL_CERT_FILE`` CAs in use, the origin's TLS as the HTTP engine trusts it
  (``tlscheck``);
- per-site headers, on requests to that site's hosts only.

Sockets are no requests and never come here: pages get no WebSocket, WebTransport or
WebRTC at all (``browser.NO_SOCKETS``).

A page's own document (its main frame, ``watch``ed for the length of a load) is also
judged like a page fetch: robots.txt for every hop, the redirect limit, the conditional
validators, and the host's interval counted again from the moment it leaves; and when
its answer arrives: ``304`` means not modified, a body over ``max_bytes`` or one that is
not HTML is stopped. What happened is left on the ``Load``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from linkindex.config import Settings
from linkindex.fetch.challenge import is_html
from linkindex.fetch.client import REDIRECT_STATUSES, Conditional, Fetcher, origin_of
from linkindex.fetch.tlscheck import TlsCheck
from linkindex.models.pages import Redirect

#: Resource types never downloaded: what a page's text does not need.
SKIPPED_TYPES = frozenset(
    {"Image", "Media", "Font", "TextTrack", "Manifest", "Ping", "CSPViolationReport", "Prefetch"}
)
#: Hands a page back to the HTTP engine: its document is a file (PDF…), not HTML.
NOT_A_PAGE = "http"
#: A redirect whose target's robots.txt is not known yet: the engine reads it and loads
#: the target itself (the load cannot wait for it: it holds the host's turn).
UNKNOWN_ROBOTS = "hop"

_PATTERNS = [
    {"urlPattern": "*", "requestStage": "Request"},
    {"urlPattern": "*", "resourceType": "Document", "requestStage": "Response"},
]


def _browser_image(kind: str, headers: dict[str, str]) -> bool:
    """An image Chromium asks for by itself (a favicon): typed Other, accepting images."""
    accept = next((value for name, value in headers.items() if name.lower() == "accept"), "")
    return kind == "Other" and accept.startswith("image/")


@dataclass(slots=True)
class Load:
    """One page load in progress, as its main frame's documents come and go.

    ``stop`` is ``(outcome, reason)`` when the interception ended the load (a refused
    address, robots.txt, 304, too large…); ``NOT_A_PAGE`` and ``UNKNOWN_ROBOTS`` are
    instructions to the engine rather than outcomes.
    """

    url: str
    conditional: Conditional | None = None
    status: int | None = None  # of the latest document answer
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    final_url: str = ""
    documents: int = 0  # document answers so far (not counting redirects)
    redirects: list[Redirect] = field(default_factory=list)
    stop: tuple[str, str] | None = None
    challenge: str = ""  # the JavaScript challenge the page showed, if it showed one
    html: str = ""  # the rendered page, once it is no longer a challenge


class Interception:
    """The browser-wide request filter; ``start`` it once the browser runs.

    Args:
        session: a CDP session on the browser target (Playwright's
            ``new_browser_cdp_session``).
        fetcher: the HTTP engine, for robots.txt, address checks and proxies.
        settings: crawl limits and per-site headers.
        site_of: the site of a URL.
        tls: the TLS check, when Chromium waives certificate checks for extra CAs.
    """

    def __init__(
        self,
        session: Any,
        fetcher: Fetcher,
        settings: Settings,
        site_of: Callable[[str], str],
        tls: TlsCheck | None,
    ) -> None:
        self._session = session
        self._fetcher = fetcher
        self._settings = settings
        self._site_of = site_of
        self._tls = tls
        self._loads: dict[str, Load] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Hold every request from now on."""
        self._session.on("Fetch.requestPaused", self._paused)
        await self._session.send("Fetch.enable", {"patterns": _PATTERNS})

    def watch(self, frame_id: str, load: Load) -> None:
        """Judge the documents of the main frame ``frame_id`` as ``load``'s page."""
        self._loads[frame_id] = load

    def unwatch(self, frame_id: str) -> None:
        """The load in ``frame_id`` is over."""
        self._loads.pop(frame_id, None)

    def _paused(self, event: dict[str, Any]) -> None:
        task = asyncio.ensure_future(self._decide(event))
        self._tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._tasks.discard)

    async def _decide(self, event: dict[str, Any]) -> None:
        request_id = event["requestId"]
        try:
            if "responseStatusCode" in event or "responseErrorReason" in event:
                await self._answered(event)
            else:
                await self._asked(event)
        except Exception:  # a request we cannot judge does not go out
            await self._send("Fetch.failRequest", requestId=request_id, errorReason="Failed")

    # -- requests -----------------------------------------------------------------------

    async def _asked(self, event: dict[str, Any]) -> None:
        request_id = event["requestId"]
        url = event["request"]["url"]
        kind = event.get("resourceType", "")
        load = self._loads.get(event.get("frameId", "")) if kind == "Document" else None
        written = self._fetcher.written_refusal(url)  # (Chromium's own reading comes next)
        if written is not None:
            if load is not None:
                load.stop = written
            await self._fail(request_id, "BlockedByClient")
            return
        target = httpx.URL(url)
        if kind in SKIPPED_TYPES or _browser_image(kind, event["request"].get("headers") or {}):
            await self._fail(request_id, "BlockedByClient")
            return
        why = await self._refusal(target)
        if why is not None:
            if load is not None:
                load.stop = why
            await self._fail(request_id, "BlockedByClient")
            return
        headers = dict(event["request"].get("headers") or {})
        if load is not None:
            stop = self._document(load, target, bool(event.get("redirectedRequestId")))
            if stop is not None:
                load.stop = stop
                await self._fail(request_id, "Aborted")
                return
            if load.conditional is not None:
                headers.update(load.conditional.headers())
            # The host's interval counts from when the document really leaves, which in
            # a busy browser can be well after the load took its turn.
            politeness = self._fetcher.politeness
            politeness.hold(target.host, politeness.limits(target.host).interval)
        site_headers = self._settings.site(self._site_of(url)).headers
        if site_headers or (load is not None and load.conditional is not None):
            headers.update(site_headers)
            await self._send(
                "Fetch.continueRequest",
                requestId=request_id,
                headers=[{"name": name, "value": value} for name, value in headers.items()],
            )
        else:
            await self._send("Fetch.continueRequest", requestId=request_id)

    async def _refusal(self, target: httpx.URL) -> tuple[str, str] | None:
        """Why a request must not go out at all (its address or TLS), or None."""
        if target.scheme not in ("http", "https", "ws", "wss"):
            return None
        why = await self._fetcher.address_refusal(target)
        if why is not None:
            return why
        if self._tls is not None and target.scheme in ("https", "wss"):
            problem = await self._tls.refusal(target.host, target.port or 443)
            if problem:
                return "error", problem
        return None

    def _document(self, load: Load, target: httpx.URL, hop: bool) -> tuple[str, str] | None:
        """Whether a main-frame document may be asked for: redirect limit, robots.txt."""
        crawl = self._fetcher.crawl
        if hop and len(load.redirects) > crawl.max_redirects:
            return "error", f"more than {crawl.max_redirects} redirects"
        if not crawl.obey_robots:
            return None
        allowed = self._fetcher.robots.decided(origin_of(target), str(target))
        if allowed is None:
            return UNKNOWN_ROBOTS, str(target)
        return None if allowed else ("skipped", "robots.txt disallows it")

    # -- document answers ---------------------------------------------------------------

    async def _answered(self, event: dict[str, Any]) -> None:
        request_id = event["requestId"]
        load = self._loads.get(event.get("frameId", ""))
        status = event.get("responseStatusCode")
        if status is None:  # the request failed: Chromium reports it to the page
            await self._send("Fetch.continueRequest", requestId=request_id)
            return
        url = event["request"]["url"]
        headers: dict[str, str] = {}
        for pair in event.get("responseHeaders") or []:
            name = pair["name"].lower()
            headers[name] = (
                f"{headers[name]}, {pair['value']}" if name in headers else pair["value"]
            )
        stop = self._document_answer(load, url, status, headers)
        if stop is None:
            await self._send("Fetch.continueRequest", requestId=request_id)
            return
        if load is not None:
            load.stop = stop
        await self._fail(request_id, "Aborted")

    def _document_answer(
        self, load: Load | None, url: str, status: int, headers: dict[str, str]
    ) -> tuple[str, str] | None:
        """What to do with a document's answer: None lets it through."""
        location = headers.get("location")
        if load is not None and status in REDIRECT_STATUSES and location:
            load.redirects.append(Redirect(status, str(httpx.URL(url).join(location.strip()))))
            return None
        cap = self._fetcher.crawl.max_bytes
        declared = headers.get("content-length", "")
        if cap and declared.isdigit() and int(declared) > cap:
            return "error", f"body of {declared} bytes is over the {cap}-byte limit"
        if load is None:
            return None
        load.status, load.headers, load.final_url = status, headers, url
        load.documents += 1
        if status == 304:
            return "not_modified", ""
        if 200 <= status < 300 and not is_html(headers, b"<html"):
            return NOT_A_PAGE, headers.get("content-type", "")
        return None

    # -- replies ------------------------------------------------------------------------

    async def _fail(self, request_id: str, reason: str) -> None:
        await self._send("Fetch.failRequest", requestId=request_id, errorReason=reason)

    async def _send(self, method: str, **params: Any) -> None:
        try:
            await self._session.send(method, params)
        except Exception:  # the page went away meanwhile: nothing left to answer
            return
