"""CSDN blog articles (blog.csdn.net/<user>/article/details/<id>).

The article lives in ``#content_views`` under ``h1.title-article``; the author is the
``.follow-nick-name`` link and the time is printed in ``.time`` as Beijing time
("于 2020-05-12 10:22:33 发布"). A missing article is a 404 page (文章不存在).
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from linkindex.extract.dates import from_local
from linkindex.extract.document import (
    base_url_of,
    block_text,
    by_class,
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
    "文章不存在",
    "该文章已被删除",
    "您访问的页面不存在",
    "页面找不到了",
    "该博文不存在",
)

#: Parts of a code block that are page furniture, not code: line numbers, copy buttons.
_NOISE = ("pre-numbering", "hljs-ln-numbers", "hljs-button", "hide-preCode-box", "prism-lang")


def looks_like(doc: HtmlElement) -> bool:
    """Whether a page carries CSDN article markup, whatever host served it."""
    return (
        by_id(doc, "content_views") is not None and first_by_class(doc, "title-article") is not None
    )


def extract(html: str, *, url: str, doc: HtmlElement | None = None) -> Page:
    """Extract a CSDN article, or judge its 404 page dead."""
    if doc is None:
        doc = parse_html(html)
    page = Page(extractor="csdn")
    content = by_id(doc, "content_views")
    if content is None:
        shown = block_text(doc.body) if doc.body is not None else ""
        title = title_tag(doc)
        for marker in DEAD_MESSAGES:
            if marker in shown or marker in title:
                return _dead(page, marker)
        if re.match(r"^\s*404\b", title):
            return _dead(page, title)
    else:
        for name in _NOISE:
            for element in by_class(content, name):
                element.drop_tree()
    page.title = (
        inline_text(first_by_class(doc, "title-article"))
        or meta(doc, "og:title")
        or re.sub(r"[-_][^-_]*CSDN博客\s*$", "", title_tag(doc)).strip()
    )
    page.author = inline_text(first_by_class(doc, "follow-nick-name")) or meta(doc, "author")
    page.account = page.author
    page.published_at = from_local(inline_text(first_by_class(doc, "time")))
    images: list[HtmlElement] = []
    page.text, page.figures = place(
        block_text(content, figures=images), images, base_url=base_url_of(doc, url)
    )
    page.description = meta(doc, "description")
    tags = [inline_text(tag) for tag in by_class(doc, "tag-link")]
    if tags:
        page.extra["tags"] = [tag for tag in tags if tag]
    return page


def _dead(page: Page, reason: str) -> Page:
    page.verdict = "dead"
    page.reason = reason
    return page
