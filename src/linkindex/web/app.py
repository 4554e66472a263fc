"""The web UI's application: routes, error pages and the safety middleware.

``create_app(home)`` builds a Starlette app over one library. Every request opens the
store read-only in spirit (it only reads) and closes it again; handlers are plain
functions that Starlette runs in its thread pool (``pages`` for HTML, ``api`` for JSON;
what both use is in ``rendering``).
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from linkindex.errors import EmptyLibraryError, LinkindexError, NotFoundError, UserError
from linkindex.web import api, images, pages
from linkindex.web.rendering import HERE, error_response, templates
from linkindex.web.safety import SECURITY_HEADERS, Guard
from linkindex.web.views import BadParameter


def create_app(home: Path, *, token: str | None = None) -> Starlette:
    """The web UI over the library at ``home``; with ``token`` every request must carry it."""
    # A link's id is taken as text and read by ``views.link_number``: Starlette's ``int``
    # convertor answers 500 for more than 4,300 digits.
    routes = [
        Route("/", pages.search_page, name="search"),
        Route("/search/part", pages.search_part, name="search_part"),
        Route("/link/{link_id}", pages.link_page, name="link"),
        Route("/link/{link_id}/read", pages.reader_page, name="reader"),
        Route("/topics", pages.topics_page, name="topics"),
        Route("/health", pages.health_page, name="health"),
        Route("/image/{sha256:str}", images.image_file, name="image"),
        Route("/api/search", api.search, name="api_search"),
        Route("/api/link/{link_id}", api.link, name="api_link"),
        Route("/api/link", api.link_by_url, name="api_link_by_url"),
        Route("/api/topics", api.topics, name="api_topics"),
        Route("/api/health", api.health, name="api_health"),
        Route("/api/export", api.export, name="api_export"),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, token=token, error_page=error_response)],
        exception_handlers={
            HTTPException: _http_error,
            LinkindexError: _library_error,
            Exception: _internal_error,
        },
    )
    app.state.home = Path(home)
    app.state.templates = templates()
    return app


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
