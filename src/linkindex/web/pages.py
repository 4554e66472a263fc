"""The HTML pages: search, link, reader, topics, health.

Handlers are plain functions (Starlette runs them in its thread pool); each opens the
library, gathers its view and renders one template.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from linkindex.errors import QueryError
from linkindex.web.health import health_view
from linkindex.web.rendering import library, render
from linkindex.web.views import (
    export_formats,
    find,
    link_number,
    link_view,
    search_params,
    topic_view,
)


def search_page(request: Request) -> Response:
    """The search page (``/``): query box, facets, results; browsing when the query is empty."""
    return _search(request, "search.html")


def search_part(request: Request) -> Response:
    """Just the facets and results of a search, for the page's as-you-type updates."""
    return _search(request, "_found.html")


def _search(request: Request, template: str) -> Response:
    with library(request) as store:
        params = search_params(request.query_params, store)
        try:
            results = find(store, request.app.state.home, params)
        except QueryError as exc:  # half-typed queries are common: keep the page usable
            context = {"results": None, "params": params, "problem": str(exc)}
            return render(request, template, context, status=400)
    return render(request, template, {"results": results, "params": params, "problem": ""})


def link_page(request: Request) -> Response:
    """One link: titles, placements, fetch history, a taste of the text, related links."""
    link_id = link_number(request.path_params["link_id"])
    with library(request) as store:
        view = link_view(store, request.app.state.home, link_id)
    return render(request, "link.html", {"view": view, "record": view.record})


def reader_page(request: Request) -> Response:
    """A link's extracted text in a clean reader view (text only, every character escaped)."""
    link_id = link_number(request.path_params["link_id"])
    with library(request) as store:
        view = link_view(store, request.app.state.home, link_id, with_related=False)
    return render(request, "reader.html", {"view": view, "record": view.record})


def topics_page(request: Request) -> Response:
    """The taxonomy with counts; with ``?topic=A > B`` that topic's reading list."""
    written = request.query_params.get("topic", "")
    with library(request) as store:
        view = topic_view(store, written)
    return render(request, "topics.html", {"view": view, "formats": export_formats()})


def health_page(request: Request) -> Response:
    """Link health: outcome by site, dead links by the note's year, the latest update."""
    with library(request) as store:
        view = health_view(store)
    return render(request, "health.html", {"view": view})
