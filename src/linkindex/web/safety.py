"""What keeps the web UI safe: read-only methods, the token, strict security headers.

Without a token the app answers only requests addressed to a loopback name
(``127.0.0.1``, ``localhost``, ``[::1]``); that also defeats DNS-rebinding pages that
try to read the library through the browser. With a token every request must carry it,
as ``Authorization: Bearer TOKEN``, as the ``linkindex_token`` cookie, or once as
``?token=TOKEN`` (which sets the cookie; pages are then redirected to the same address
without the token so it does not stay in the address bar or the history — always an
address on this server). No query parameter of any route may be longer than
``MAX_PARAMETER`` characters.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from urllib.parse import urlencode

from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_COOKIE = "linkindex_token"

#: The longest query parameter any route takes (a search query, a topic, an address).
#: A search's cost grows with its length (a 100 KB query took 38 s of CPU), and one cap
#: for every parameter of every route leaves no way around it.
MAX_PARAMETER = 500

#: How the app answers a bad request: (request, HTTP status, message) -> response.
ErrorPage = Callable[[Request, int, str], Response]

#: No inline script or style, nothing from elsewhere, no framing, no plugins.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: dict[str, str] = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}

READ_METHODS = frozenset({"GET", "HEAD"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(host: str) -> bool:
    """Whether a host name or address only reaches this machine."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The name part of a Host header (``[::1]:8765`` -> ``::1``)."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")] if "]" in host_header else host_header
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class Guard:
    """ASGI middleware: refuse what the UI must not do, and add the security headers."""

    def __init__(
        self, app: ASGIApp, *, token: str | None = None, error_page: ErrorPage | None = None
    ) -> None:
        self.app = app
        self.token = token or None
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        refusal = self._refusal(scope) or self._too_long(scope)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        from_query = self._token_from_query(scope)
        if from_query is not None:
            await from_query(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope: Scope) -> Response | None:
        if scope["method"] not in READ_METHODS:
            return PlainTextResponse(
                "linkindex serve is read-only\n", status_code=405, headers={"Allow": "GET, HEAD"}
            )
        headers = Headers(scope=scope)
        if self.token is None:
            if not is_loopback(host_name(headers.get("host", ""))):
                return PlainTextResponse(
                    "this linkindex server answers only on 127.0.0.1/localhost; "
                    "to serve other addresses start it with --token\n",
                    status_code=403,
                )
            return None
        if self._carries_token(scope, headers):
            return None
        return PlainTextResponse(
            "this linkindex server needs its token: send 'Authorization: Bearer TOKEN' "
            "or open the address once with ?token=TOKEN\n",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="linkindex"'},
        )

    def _too_long(self, scope: Scope) -> Response | None:
        """A 400 for a request with a parameter longer than MAX_PARAMETER, else None."""
        params = QueryParams(scope.get("query_string", b""))
        for name, value in params.multi_items():
            if len(value) > MAX_PARAMETER or len(name) > MAX_PARAMETER:
                message = f"the parameter {name[:40]} is longer than {MAX_PARAMETER} characters"
                if self.error_page is None:
                    return PlainTextResponse(message + "\n", status_code=400)
                return self.error_page(Request(scope), 400, message)
        return None

    def _carries_token(self, scope: Scope, headers: Headers) -> bool:
        authorization = headers.get("authorization", "")
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and self._matches(value.strip()):
            return True
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == TOKEN_COOKIE and self._matches(value):
                return True
        return self._matches(QueryParams(scope.get("query_string", b"")).get("token"))

    def _matches(self, given: str | None) -> bool:
        assert self.token is not None
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def _token_from_query(self, scope: Scope) -> Response | None:
        """A page opened with ``?token=``: set the cookie, redirect to the clean address."""
        params = QueryParams(scope.get("query_string", b""))
        if self.token is None or "token" not in params or scope["path"].startswith("/api/"):
            return None
        rest = urlencode([(k, v) for k, v in params.multi_items() if k != "token"])
        response = RedirectResponse(_local(scope) + (f"?{rest}" if rest else ""), status_code=303)
        response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
        return response


def _local(scope: Scope) -> str:
    """The request's path as an address on this server, whatever the request line held.

    ``GET //evil.example/`` has the path ``//evil.example/``, which a browser reads as
    another host; backslashes count as slashes to it. So the path starts with exactly
    one ``/``, and stays percent-encoded as it came.
    """
    raw = scope.get("raw_path") or scope["path"].encode()
    return "/" + raw.decode("latin-1").lstrip("/\\")
