"""cnblogs (博客园) posts (www.cnblogs.com/<blog>/p/<id>.html).

The post is ``#cnblogs_post_body`` under ``#cb_post_title_url`` (older skins:
``.postTitle``), dated by ``#post-date`` in Beijing time. ``<title>`` reads
"标题 - 作者 - 博客园", which is where the author's display name is.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from linkindex.extract.dates import from_local
from linkindex.extract.document import (
    base_url_of,
    block_text,
    by_id,
    first_by_class,
    inline_text,
    meta,
    parse_html,
    title_tag,
)
from linkindex.extract.figures import place
from linkindex.models.pages import Page

DEAD_MESSAGES: tuple[str, ...] = (
    "您访问的页面不存在",
    "页面不存在",
    "博文不存在",
    "该博文已被删除",
    "抱歉，找不到您访问的页面",
)


def looks_like(doc: HtmlElement) -> bool:
    """Whether a page carries cnblogs post markup, whatever host served it."""
    return by_id(doc, "cnblogs_post_body") is not None


def extract(html: str, *, url: str, doc: HtmlElement | None = None) -> Page:
    """Extract a cnblogs post, or judge its 404 page dead."""
    if doc is None:
        doc = parse_html(html)
    page = Page(extractor="cnblogs")
    body = by_id(doc, "cnblogs_post_body")
    title_parts = [part.strip() for part in re.split(r"\s+-\s+", title_tag(doc))]
    if body is None:
        shown = block_text(doc.body) if doc.body is not None else ""
        for marker in DEAD_MESSAGES:
            if marker in shown or marker in title_tag(doc):
                page.verdict = "dead"
                page.reason = marker
                return page
        if title_parts and title_parts[0].startswith("404"):
            page.verdict = "dead"
            page.reason = title_tag(doc)
            return page
    page.title = (
        inline_text(by_id(doc, "cb_post_title_url"))
        or inline_text(first_by_class(doc, "postTitle"))
        or meta(doc, "og:title")
        or (title_parts[0] if title_parts else "")
    )
    if len(title_parts) >= 3 and title_parts[-1] == "博客园":
        page.author = title_parts[-2]
    page.account = inline_text(by_id(doc, "Header1_HeaderTitle")) or page.author
    page.published_at = from_local(inline_text(by_id(doc, "post-date")))
    images: list[HtmlElement] = []
    page.text, page.figures = place(
        block_text(body, figures=images), images, base_url=base_url_of(doc, url)
    )
    page.description = meta(doc, "description")
    return page
