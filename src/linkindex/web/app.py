"""The web UI's application: routes, templates, error pages and the safety middleware.

``create_app(home)`` builds a Starlette app over one library. Every request opens the
store read-only in spirit (it only reads) and closes it again; handlers are plain
functions that Starlette runs in its thread pool.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nh3
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from linkindex import __version__
from linkindex.errors import EmptyLibraryError, LinkindexError, NotFoundError, UserError
from linkindex.export.outline import is_web_url, summary_of, topic_label
from linkindex.models import from_iso
from linkindex.store import Store
from linkindex.web.health import STATUS_COLOURS
from linkindex.web.safety import SECURITY_HEADERS, Guard
from linkindex.web.views import FACET_HITS, BadParameter

HERE = Path(__file__).resolve().parent

#: The search page's topic tree shows this many headings per level (the rest: /topics).
FACET_TOPICS = 30

#: The only tag a snippet may hold: the highlight, without attributes.
SNIPPET_TAGS = {"mark"}


def create_app(home: Path, *, token: str | None = None) -> Starlette:
    """The web UI over the library at ``home``; with ``token`` every request must carry it."""
    from linkindex.web import api, images, pages

    routes = [
        Route("/", pages.search_page, name="search"),
        Route("/search/part", pages.search_part, name="search_part"),
        Route("/link/{link_id:int}", pages.link_page, name="link"),
        Route("/link/{link_id:int}/read", pages.reader_page, name="reader"),
        Route("/topics", pages.topics_page, name="topics"),
        Route("/health", pages.health_page, name="health"),
        Route("/image/{sha256:str}", images.image_file, name="image"),
        Route("/api/search", api.search, name="api_search"),
        Route("/api/link/{link_id:int}", api.link, name="api_link"),
        Route("/api/link", api.link_by_url, name="api_link_by_url"),
        Route("/api/topics", api.topics, name="api_topics"),
        Route("/api/health", api.health, name="api_health"),
        Route("/api/export", api.export, name="api_export"),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, token=token)],
        exception_handlers={
            HTTPException: _http_error,
            LinkindexError: _library_error,
            Exception: _internal_error,
        },
    )
    app.state.home = Path(home)
    app.state.templates = templates()
    return app


def templates() -> Environment:
    """The Jinja environment: autoescaping everywhere, the UI's filters."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        href=safe_href,
        snippet=snippet_html,
        moment=moment,
        topic=topic_label,
        summary=summary_of,
    )
    env.globals.update(
        version=__version__,
        status_colours=STATUS_COLOURS,
        facet_hits=FACET_HITS,
        facet_topics=FACET_TOPICS,
    )
    return env


def safe_href(url: str | None) -> str:
    """A URL fit for an ``href``: http(s) only, anything else (``javascript:``…) empty."""
    text = (url or "").strip()
    return text if is_web_url(text) else ""


def snippet_html(snippet: str | None) -> Markup:
    """A snippet (plain text, matches between ``search.MARK_OPEN``/``MARK_CLOSE``) as HTML.

    The text is escaped first, so nothing in it can become markup; the markers become
    ``<mark>``; nh3 then balances the marks and guarantees no other tag survives.
    """
    from linkindex.search import MARK_CLOSE, MARK_OPEN

    text = html.escape(snippet or "", quote=False)
    text = text.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
    return Markup(nh3.clean(text, tags=SNIPPET_TAGS, attributes={}, strip_comments=True))


def moment(value: str | None) -> str:
    """An ISO moment as ``2026-11-27 08:53`` (UTC); dates stay as they are."""
    if not value:
        return ""
    if len(value) <= 10:
        return value
    try:
        return from_iso(value).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


@contextmanager
def library(request: Request) -> Iterator[Store]:
    """The library's store for one request (an absent library is EmptyLibraryError)."""
    store = Store(request.app.state.home, create=False)
    try:
        yield store
    finally:
        store.close()


def render(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> Response:
    """A page from a template."""
    env: Environment = request.app.state.templates
    page = env.get_template(name).render(request=request, **context)
    return HTMLResponse(page, status_code=status)


def wants_json(request: Request) -> bool:
    """Whether the caller is the JSON API."""
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, message: str) -> Response:
    """An error as JSON for the API, as a page otherwise."""
    if wants_json(request):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if exc.status_code != 404 else f"nothing at {request.url.path}"
    return error_response(request, exc.status_code, str(message))


async def _library_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, BadParameter):
        status = 400
    elif isinstance(exc, NotFoundError):
        status = 404
    elif isinstance(exc, EmptyLibraryError):
        status = 503
    elif isinstance(exc, UserError):
        status = 400
    else:
        status = 500
    return error_response(request, status, str(exc))


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Starlette answers unexpected errors outside the middleware: add the headers here.
    response = error_response(
        request, 500, f"internal error: {type(exc).__name__}; the server log has the details"
    )
    response.headers.update(SECURITY_HEADERS)
    return response
