"""The downloader: one URL in, one ``FetchResult`` out, never an exception.

The concerns run in this order for every hop of a redirect chain: scheme check →
robots.txt → refused addresses (the name) → politeness (host turn, global slot) →
request with timeout and size cap (a direct connection refused when the address it
reached is private, ``connections``; a text body's undeclared compression undone within
the same cap, ``compressed``) → retry with back-off → redirect. A JavaScript
challenge (``fetch.challenge``) is not retried: it is ``blocked`` with ``challenge`` set,
for the crawl to hand the link to the browser engine. This module and ``connections``
are the only users of httpx; the browser engine (``fetch.browser``) shares its
robots.txt rules, politeness and address checks.
"""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import httpx

from linkindex.config import Settings
from linkindex.fetch.challenge import CHALLENGE_BYTES, CHALLENGE_STATUSES, challenge, is_html
from linkindex.fetch.compressed import TooLarge, compressed, uncompressed
from linkindex.fetch.connections import Clients, RefusedConnection
from linkindex.fetch.network import (
    proxies_from_environment,
    proxy_for,
    refused_address,
    url_refusal,
)
from linkindex.fetch.politeness import HostLimits, Politeness
from linkindex.fetch.robots import MAX_ROBOTS_BYTES, RobotsRules
from linkindex.models import Outcome, utc_now
from linkindex.models.pages import FetchResult, Redirect

#: Statuses worth another try after a pause.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEAD_STATUSES = frozenset({404, 410})
BLOCKED_STATUSES = frozenset({401, 403, 429, 451})

DEFAULT_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    # The notes this library reads are mostly Chinese; ask for the pages as readers see them.
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8",
}


@dataclass(frozen=True, slots=True)
class Conditional:
    """Validators of the copy we hold, for a conditional request (a 304 means unchanged)."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        """The If-None-Match / If-Modified-Since headers."""
        found: dict[str, str] = {}
        if self.etag:
            found["If-None-Match"] = self.etag
        if self.last_modified:
            found["If-Modified-Since"] = self.last_modified
        return found


@dataclass(slots=True)
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes | None
    url: str
    http_version: str = ""
    challenge: str = ""  # what kind of JavaScript challenge the answer is, if one


@dataclass(slots=True)
class _Failure:
    error: str
    retry: bool = True
    outcome: Outcome = "error"


@dataclass(slots=True)
class _Trip:
    """Book-keeping of one fetch across its hops and attempts."""

    attempts: int = 0
    elapsed: float = 0.0
    redirects: list[Redirect] = field(default_factory=list)


class Fetcher:
    """Polite async HTTP(S) client; use as ``async with Fetcher(settings) as fetcher``.

    Args:
        settings: crawl limits, per-site headers, cookies and politeness.
        site_of: the site of a URL (for per-site settings); everything is ``web`` without it.
        rng: source of retry jitter (tests pass a seeded one).
        sleep: how to wait between retries (tests may speed it up).

    Raises:
        ConfigError: a proxy variable or ``SSL_CERT_FILE`` that cannot work (rather than
            every link failing with it).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        site_of: Callable[[str], str] | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.crawl = settings.crawl
        self._site_of = site_of or (lambda url: "web")
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._clients = Clients(self.crawl)
        self.proxies = proxies_from_environment()
        self._verdicts: dict[tuple[str, int, bool], str] = {}
        self.politeness = Politeness(self.crawl.concurrency, self._host_limits)
        self.robots = RobotsRules(self._load_robots, self.crawl.user_agent)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every connection."""
        await self._clients.aclose()

    def _host_limits(self, host: str) -> HostLimits:
        site = self.settings.site(self._site_of(f"https://{host}/"))
        concurrency = site.per_host_concurrency or self.crawl.per_host_concurrency
        interval = site.per_host_interval
        return HostLimits(
            concurrency, self.crawl.per_host_interval if interval is None else interval
        )

    # -- the public call -------------------------------------------------------------

    async def fetch(
        self,
        url: str,
        *,
        conditional: Conditional | None = None,
        headers: Mapping[str, str] | None = None,
        obey_robots: bool = True,
        retries: int | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """GET ``url`` politely, following redirects; the outcome says how it went.

        Args:
            conditional: validators of the copy held; a 304 answer is ``not_modified``.
            headers: extra request headers (on top of the UA and the site's headers).
            obey_robots: False for APIs that are not crawled pages (Wayback, GitHub API).
            retries: override of ``crawl.retries``.
            max_bytes: override of ``crawl.max_bytes``.
        """
        trip = _Trip()
        try:
            return await self._fetch(
                url, trip, conditional, headers, obey_robots, retries, max_bytes
            )
        except Exception as exc:  # a failed link is data: anything unforeseen is an error
            return self._result(url, "error", trip, error=f"{type(exc).__name__}: {exc}")

    async def _fetch(
        self,
        url: str,
        trip: _Trip,
        conditional: Conditional | None,
        headers: Mapping[str, str] | None,
        obey_robots: bool,
        retries: int | None,
        max_bytes: int | None,
    ) -> FetchResult:
        current = url
        seen = {url}
        first_host = _host_of(url)
        for _hop in range(self.crawl.max_redirects + 1):
            written = self.written_refusal(current)
            if written is not None:
                return self._result(url, written[0], trip, final_url=current, error=written[1])
            try:
                target = httpx.URL(current)
            except httpx.InvalidURL as exc:
                return self._result(url, "error", trip, final_url=current, error=f"bad URL: {exc}")
            if target.scheme not in ("http", "https") or not target.host:
                return self._result(
                    url,
                    "skipped",
                    trip,
                    final_url=current,
                    error=f"unsupported URL scheme {target.scheme or '(none)'}",
                )
            stop = await self.admission(target, obey_robots=obey_robots)
            if stop is not None:
                return self._result(url, stop[0], trip, final_url=current, error=stop[1])
            if headers and target.host != first_host:
                headers = _without_credentials(headers)  # never hand a token to another host
            answer = await self._with_retries(
                target, trip, conditional, headers, retries, max_bytes
            )
            if isinstance(answer, _Failure):
                return self._result(
                    url, answer.outcome, trip, final_url=current, error=answer.error
                )
            location = answer.headers.get("location")
            if answer.status in REDIRECT_STATUSES and location:
                written = self.written_refusal(location)
                if written is not None:  # (a spelling httpx cannot even join)
                    hop = urljoin(current, location.strip())
                    trip.redirects.append(Redirect(answer.status, hop))
                    return self._result(url, written[0], trip, final_url=hop, error=written[1])
                try:
                    current = str(target.join(location.strip()))
                except httpx.InvalidURL as exc:
                    return self._result(
                        url, "error", trip, final_url=current, error=f"bad redirect: {exc}"
                    )
                trip.redirects.append(Redirect(answer.status, current))
                if current in seen:
                    return self._result(
                        url,
                        "error",
                        trip,
                        final_url=current,
                        http_status=answer.status,
                        error=f"redirect loop back to {current}",
                    )
                seen.add(current)
                continue
            return self._answered(url, answer, trip)
        return self._result(
            url,
            "error",
            trip,
            final_url=current,
            error=f"more than {self.crawl.max_redirects} redirects",
        )

    async def admission(
        self, target: httpx.URL, *, obey_robots: bool = True
    ) -> tuple[Outcome, str] | None:
        """Whether a request may go out: robots.txt, then refused addresses.

        Returns None when it may, else the outcome and reason to record instead.
        """
        if obey_robots and self.crawl.obey_robots:
            origin = origin_of(target)
            if not await self.robots.allowed(origin, str(target)):
                return "skipped", "robots.txt disallows it"
            delay = await self.robots.crawl_delay(origin)
            if delay:
                self.politeness.slow_down(target.host, delay)
        return await self.address_refusal(target)

    def written_refusal(self, url: str) -> tuple[Outcome, str] | None:
        """Whether a URL as written (a first URL, a redirect's ``Location``) names a
        refused address, read the way browsers and resolvers read it, before httpx parses
        it (``network.url_refusal``): ``0177.0.0.1`` is refused, not a bad URL."""
        if self.crawl.allow_private_networks:
            return None
        why = url_refusal(url)
        return ("skipped", why) if why else None

    async def address_refusal(self, target: httpx.URL) -> tuple[Outcome, str] | None:
        """Whether ``target``'s address is refused (private networks, unless allowed)."""
        if self.crawl.allow_private_networks:
            return None
        host = target.host
        proxy = self.proxy(target)
        port = target.port or (443 if target.scheme in ("https", "wss") else 80)
        key = (host, port, proxy is not None)
        why = self._verdicts.get(key)
        if why is None:
            try:
                why = await refused_address(
                    host, port, proxied=proxy is not None, timeout=self.crawl.timeout or 20.0
                )
            except (OSError, TimeoutError) as exc:
                return "error", f"DNS: cannot resolve {host}: {exc}"
            # Judged once per crawl: this is the early refusal only; every direct HTTP
            # connection is checked again by the address it reached (``connections``).
            self._verdicts[key] = why
        return ("skipped", why) if why else None

    def proxy(self, target: httpx.URL) -> str | None:
        """The proxy a request to ``target`` goes through (None: direct)."""
        scheme = {"ws": "http", "wss": "https"}.get(target.scheme, target.scheme)
        return proxy_for(scheme, target.host, self.proxies)

    # -- attempts and retries ----------------------------------------------------------

    async def _with_retries(
        self,
        target: httpx.URL,
        trip: _Trip,
        conditional: Conditional | None,
        extra: Mapping[str, str] | None,
        retries: int | None,
        max_bytes: int | None,
    ) -> _Answer | _Failure:
        allowed = self.crawl.retries if retries is None else retries
        headers = self._headers(str(target), conditional, extra)
        outcome: _Answer | _Failure = _Failure("not attempted")
        for attempt in range(allowed + 1):
            outcome = await self._attempt(target, headers, trip, max_bytes)
            if attempt == allowed:
                break
            if isinstance(outcome, _Failure):
                if not outcome.retry:
                    break
                delay = self._backoff(attempt)
            elif outcome.status in RETRY_STATUSES and not outcome.challenge:
                wait = retry_after(outcome.headers.get("retry-after"))
                if wait is not None and wait > self.crawl.backoff_max:
                    break  # longer than we wait: the caller cools the host down instead
                delay = self._backoff(attempt) if wait is None else wait
                self.politeness.hold(target.host, delay)
            else:
                break
            await self._sleep(delay)
        return outcome

    def _backoff(self, attempt: int) -> float:
        """Exponential back-off with "equal jitter": half fixed, half random."""
        ceiling = min(self.crawl.backoff_max, self.crawl.backoff_base * 2**attempt)
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _headers(
        self, url: str, conditional: Conditional | None, extra: Mapping[str, str] | None
    ) -> dict[str, str]:
        site = self.settings.site(self._site_of(url))
        headers = {"User-Agent": self.crawl.user_agent, **DEFAULT_HEADERS, **site.headers}
        if site.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in site.cookies.items())
        if conditional is not None:
            headers.update(conditional.headers())
        if extra:
            headers.update(extra)
        return headers

    async def _attempt(
        self, target: httpx.URL, headers: dict[str, str], trip: _Trip, max_bytes: int | None
    ) -> _Answer | _Failure:
        proxy = self.proxy(target)
        cap = self.crawl.max_bytes if max_bytes is None else max_bytes
        # The client (and its TLS context) is made before the host's turn starts, so the
        # turn measures the request itself.
        async with (
            self._clients.client(proxy, target.host) as client,
            self.politeness.turn(target.host),
        ):
            trip.attempts += 1
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.crawl.timeout or None):
                    return await _send(client, target, headers, cap)
            except TimeoutError:
                return _Failure(f"timeout after {self.crawl.timeout:g}s")
            except TooLarge as exc:
                return _Failure(str(exc), retry=False)
            except RefusedConnection as exc:  # the guard, on the address actually reached
                return _Failure(str(exc), retry=False, outcome="skipped")
            except httpx.HTTPError as exc:
                return _describe(exc, proxy)
            finally:
                trip.elapsed += time.monotonic() - started

    # -- results ----------------------------------------------------------------------

    def _answered(self, url: str, answer: _Answer, trip: _Trip) -> FetchResult:
        status = answer.status
        outcome: Outcome
        if answer.challenge:
            outcome, error = "blocked", f"{answer.challenge} (HTTP {status})"
        else:
            outcome, error = judge(status)
        result = self._result(
            url, outcome, trip, final_url=answer.url, http_status=status, error=error
        )
        result.headers = answer.headers
        result.content_type = answer.headers.get("content-type", "")
        result.challenge = bool(answer.challenge)
        if outcome == "ok":
            result.body = answer.body or b""
            result.bytes = len(result.body)
        if status in RETRY_STATUSES:
            result.retry_after = retry_after(answer.headers.get("retry-after"))
        return result

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
            elapsed_ms=round(trip.elapsed * 1000),
            attempts=trip.attempts,
            error=error,
            redirects=list(trip.redirects),
        )

    async def _load_robots(self, url: str) -> tuple[int | None, str]:
        result = await self.fetch(url, obey_robots=False, retries=0, max_bytes=MAX_ROBOTS_BYTES)
        if result.outcome == "ok":
            return result.http_status, (result.body or b"").decode("utf-8", errors="replace")
        return result.http_status, ""


async def _send(
    client: httpx.AsyncClient, target: httpx.URL, headers: dict[str, str], cap: int
) -> _Answer:
    async with client.stream("GET", target, headers=headers) as response:
        found = {name.lower(): value for name, value in response.headers.items()}
        body: bytes | None = None
        status = response.status_code
        typed = "content-type" in found
        if status in CHALLENGE_STATUSES and (not typed or is_html(found, b"")):
            # Read (a little of) the refusal to tell a JavaScript challenge from it.
            body = await _read(response, CHALLENGE_BYTES, cut=True)
            return _Answer(
                status,
                found,
                None,
                str(response.url),
                response.http_version,
                challenge(status, found, body),
            )
        if 200 <= status < 300:
            declared = found.get("content-length", "")
            if cap and declared.isdigit() and int(declared) > cap:
                raise TooLarge(f"body of {declared} bytes is over the {cap}-byte limit")
            body = await _read(response, cap)
            if compressed(body, found.get("content-type", "")):
                # Off the event loop: up to ``cap`` bytes of output, a few layers deep.
                body = await asyncio.to_thread(uncompressed, body, cap=cap)
        answer = _Answer(status, found, body, str(response.url), response.http_version)
        if body is not None:
            answer.challenge = challenge(status, found, body)
        return answer


async def _read(response: httpx.Response, cap: int, *, cut: bool = False) -> bytes:
    """The body, streamed; over ``cap`` bytes it is cut there (``cut``) or refused."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if cap and size > cap:
            if cut:
                chunks.append(chunk[: cap - size + len(chunk)])
                break
            raise TooLarge(f"body is over the {cap}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _describe(exc: httpx.HTTPError, proxy: str | None = None) -> _Failure:
    """A transport error in words, and whether another try could help."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _Failure(f"TLS: {cause.verify_message or cause}", retry=False)
        if isinstance(cause, ssl.SSLError):
            return _Failure(f"TLS: {cause}", retry=False)
        if isinstance(cause, socket.gaierror):
            return _Failure(f"DNS: {cause}", retry=False)
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.TimeoutException):
        return _Failure(f"timeout ({type(exc).__name__})")
    if isinstance(exc, httpx.ProxyError):
        return _Failure(f"proxy: {exc}")
    if proxy and isinstance(exc, httpx.ConnectError):
        # Through a proxy the only connection we open is to the proxy itself.
        return _Failure(f"proxy {proxy}: cannot connect ({exc or type(exc).__name__})")
    text = str(exc) or type(exc).__name__
    if "Name or service not known" in text or "nodename nor servname" in text:
        return _Failure(f"DNS: {text}", retry=False)
    return _Failure(f"{type(exc).__name__}: {text}")


def judge(status: int) -> tuple[Outcome, str]:
    """The outcome an HTTP status stands for, and the reason to record ('' for ok)."""
    if 200 <= status < 300:
        return "ok", ""
    if status == 304:
        return "not_modified", ""
    if status in DEAD_STATUSES:
        return "dead", f"HTTP {status}"
    if status in BLOCKED_STATUSES:
        return "blocked", f"HTTP {status}"
    return "error", f"HTTP {status}"


def origin_of(target: httpx.URL) -> str:
    """``scheme://host[:port]`` of a URL, as robots.txt rules are kept."""
    return f"{target.scheme}://{target.netloc.decode('ascii')}"


def _host_of(url: str) -> str:
    try:
        return httpx.URL(url).host
    except httpx.InvalidURL:
        return ""


def _without_credentials(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name: value
        for name, value in headers.items()
        if name.lower() not in ("authorization", "cookie", "proxy-authorization")
    }


def retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max((moment - utc_now()).total_seconds(), 0.0)
