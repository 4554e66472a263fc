"""The JSON API under ``/api/``: search, link, topics, health and export downloads.

Shapes are documented in docs/web.md. Titles and texts are returned as they are (the
caller escapes them); search snippets are HTML whose only tags are highlight marks.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from linkindex.errors import NotFoundError
from linkindex.models import Hit
from linkindex.web.facets import topic_json
from linkindex.web.health import health_view
from linkindex.web.rendering import library, snippet_html
from linkindex.web.views import (
    BadParameter,
    Results,
    export_download,
    find,
    link_number,
    link_view,
    search_params,
    topic_view,
)


class UnicodeJSON(JSONResponse):
    """JSON with Chinese as characters rather than ``\\u`` escapes."""

    def render(self, content: Any) -> bytes:
        """Encode as compact UTF-8 JSON."""
        import json

        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def hit_json(hit: Hit) -> dict[str, Any]:
    """A search hit as JSON, with the address of its link page."""
    data = asdict(hit)
    data["snippet"] = str(snippet_html(hit.snippet))
    data["page"] = f"/link/{hit.link_id}"
    return data


def results_json(results: Results) -> dict[str, Any]:
    """A page of results with its facets."""
    return {
        "query": results.params.as_json(),
        "total": results.total,
        "page": results.params.page,
        "pages": results.pages,
        "hits": [hit_json(hit) for hit in results.hits],
        "suggestions": results.suggestions,
        "facets": results.facets.as_json(),
        "facets_partial": results.facets_partial,
    }


def search(request: Request) -> Response:
    """``GET /api/search?q=&topic=&site=&status=&page=&limit=``."""
    with library(request) as store:
        params = search_params(request.query_params, store)
        results = find(store, request.app.state.home, params)
    return UnicodeJSON(results_json(results))


def _link_json(request: Request, link_id: int) -> dict[str, Any]:
    from linkindex import export

    with library(request) as store:
        view = link_view(store, request.app.state.home, link_id)
    page = view.record.page
    data = export.link_json(view.record)
    data["text"] = page.text if page is not None else ""
    data["images"] = [
        {**image.to_json(), "paragraph": image.paragraph, "src": f"/image/{image.sha256}"}
        for image in view.record.images
    ]
    data["fetches"] = view.fetches
    data["related"] = [hit_json(hit) for hit in view.related]
    return data


def link(request: Request) -> Response:
    """``GET /api/link/{id}``: the link as ``export --format json`` has it, plus more."""
    return UnicodeJSON(_link_json(request, link_number(request.path_params["link_id"])))


def link_by_url(request: Request) -> Response:
    """``GET /api/link?url=...``: the same, found by its URL as any note wrote it."""
    from linkindex.urls import normalize

    url = request.query_params.get("url", "").strip()
    if not url:
        raise BadParameter("give the link's address as ?url=")
    if normalize(url) is None:
        raise BadParameter(f"not a web address: {url!r}")
    with library(request) as store:
        link_id = store.find_link(url)
    if link_id is None:
        raise NotFoundError(f"no link {url} in the library")
    return UnicodeJSON(_link_json(request, link_id))


def topics(request: Request) -> Response:
    """``GET /api/topics[?topic=A > B]``: the tree; with a topic also its links."""
    from linkindex import export

    written = request.query_params.get("topic", "")
    with library(request) as store:
        view = topic_view(store, written)
    data: dict[str, Any] = {"topics": [topic_json(node) for node in view.tree]}
    if view.node is not None:
        data["topic"] = topic_json(view.node)
        data["links"] = [export.link_json(record) for record in view.records]
    return UnicodeJSON(data)


def health(request: Request) -> Response:
    """``GET /api/health``: outcome by site, dead links by note year, the latest update."""
    with library(request) as store:
        view = health_view(store)
    return UnicodeJSON(view.as_json())


def export(request: Request) -> Response:
    """``GET /api/export?format=md&topic=A > B`` (or ``q=``): a reading list as a file."""
    with library(request) as store:
        download = export_download(store, request.app.state.home, request.query_params)
    # (``views.file_name`` made the name safe; ``filename=`` gets its ASCII letters only)
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", download.filename)
    disposition = (
        f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(download.filename, safe='')}"
    )
    return Response(
        download.body,
        media_type=download.media_type,
        headers={"Content-Disposition": disposition},
    )
