"""What the HTML pages and the JSON API share: the store of a request, the templates.

``library(request)`` opens the library's store for one request and closes it again;
``render`` fills a template; the filters turn stored text into safe HTML (a snippet's
highlights, an ``href``, a moment).
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
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from linkindex import __version__, topics
from linkindex.export.outline import is_web_url, summary_of
from linkindex.models import from_iso
from linkindex.store import Store
from linkindex.web.health import STATUS_COLOURS
from linkindex.web.topiclinks import topic_param
from linkindex.web.views import FACET_HITS

HERE = Path(__file__).resolve().parent

#: The search page's topic tree shows this many headings per level (the rest: /topics).
FACET_TOPICS = 30

#: The only tag a snippet may hold: the highlight, without attributes.
SNIPPET_TAGS = {"mark"}


@contextmanager
def library(request: Request) -> Iterator[Store]:
    """The library's store for one request (an absent library is EmptyLibraryError)."""
    with Store(request.app.state.home, create=False) as store:
        yield store


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
        topic=topics.label,
        distinct=topics.distinct,
        lang=lang_attribute,
        topic_param=topic_param,
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


def lang_attribute(text: str | None) -> Markup:
    """`` lang="zh-Hant"`` (or ``zh-Hans``) for an element showing ``text``, by the script
    it is written in (``characters.script``), else nothing: the page says ``zh-CN``, and
    traditional text would be drawn in mainland glyphs."""
    from linkindex.analysis.characters import script

    tag = script(text or "")
    return Markup(f' lang="{tag}"') if tag else Markup("")


def snippet_html(snippet: str | None) -> Markup:
    """A snippet (plain text, matches between ``snippets.MARK_OPEN``/``MARK_CLOSE``) as HTML.

    The text is escaped first, so nothing in it can become markup; the markers become
    ``<mark>``; nh3 then balances the marks and guarantees no other tag survives.
    """
    from linkindex.snippets import MARK_CLOSE, MARK_OPEN

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
