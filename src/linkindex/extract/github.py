"""GitHub repositories: the repo page's markup, or the REST API's JSON when a token is set.

A repo page names itself in ``<meta name="octolytics-dimension-repository_nwo">``, shows
its description in the About box (``p.f4``), topics as ``a.topic-tag`` and the README in
``article.markdown-body``. ``page_from_api`` builds the same Page from ``/repos/{o}/{r}``
and the raw ``/readme``, adding what only the API gives reliably (stars, last push).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from linkindex.extract import generic
from linkindex.extract.dates import from_iso_text
from linkindex.extract.document import (
    base_url_of,
    block_text,
    by_class,
    by_id,
    first_by_class,
    html_fragment_text,
    inline_text,
    language_of,
    meta,
    parse_html,
    title_tag,
)
from linkindex.extract.figures import place
from linkindex.models.pages import Page

#: First path segments that are GitHub's own pages, not users or organisations.
RESERVED_OWNERS = frozenset(
    {
        "about",
        "apps",
        "collections",
        "contact",
        "customer-stories",
        "enterprise",
        "events",
        "explore",
        "features",
        "github",
        "issues",
        "join",
        "login",
        "marketplace",
        "new",
        "notifications",
        "orgs",
        "organizations",
        "pricing",
        "pulls",
        "search",
        "security",
        "sessions",
        "settings",
        "site",
        "sponsors",
        "topics",
        "trending",
        "users",
    }
)

#: Where the raw files of a repository are served.
RAW_HOST = "https://raw.githubusercontent.com"

_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_HOSTS = frozenset({"github.com", "www.github.com"})

DEAD_MESSAGES: tuple[str, ...] = (
    "This is not the web page you are looking for",
    "Page not found",
)

#: GitHub's stand-in description for repos that have none.
_NO_DESCRIPTION = re.compile(r"^Contribute to \S+ development by creating an account on GitHub")


def repo_of(url: str) -> tuple[str, str] | None:
    """The ``(owner, repo)`` a repository home URL names, or None for any other URL.

    ``https://github.com/apache/tvm``, ``…/tvm.git`` and ``…/tvm/tree/main`` name
    ``("apache", "tvm")``; issues, files, gists and GitHub's own pages give None.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if (parts.hostname or "").lower() not in _HOSTS:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    if len(segments) == 4 and segments[2] == "tree":
        segments = segments[:2]
    if len(segments) != 2:
        return None
    owner, repo = segments[0], segments[1].removesuffix(".git")
    if owner.lower() in RESERVED_OWNERS or not _OWNER.match(owner) or not _REPO.match(repo):
        return None
    if repo in (".", ".."):
        return None
    return owner, repo


def looks_like(doc: HtmlElement) -> bool:
    """Whether a page is a GitHub repository page, whatever host served it."""
    return bool(meta(doc, "octolytics-dimension-repository_nwo"))


def extract(html: str, *, url: str, doc: HtmlElement | None = None) -> Page:
    """Extract a GitHub repository page (or judge GitHub's 404 page dead)."""
    if doc is None:
        doc = parse_html(html)
    name = meta(doc, "octolytics-dimension-repository_nwo")
    if not name:
        title = title_tag(doc)
        headings = doc.xpath("//h1")
        heading = inline_text(headings[0]) if headings else ""
        for marker in DEAD_MESSAGES:
            if title.startswith(marker) or marker in heading or marker in _alt_texts(doc):
                return Page(extractor="github", verdict="dead", reason=marker)
    if not name:
        found = repo_of(url)
        name = "/".join(found) if found else ""
    readme = first_by_class(doc, "markdown-body", "article")
    if not name or (readme is None and first_by_class(doc, "f4") is None):
        page = generic.extract(html, url=url, doc=doc)
        page.extractor = "github"
        return page
    owner = name.split("/", 1)[0]
    page = Page(title=name, account=owner, extractor="github")
    page.description = _description(doc, name)
    images: list[HtmlElement] = []
    page.text, page.figures = place(
        block_text(readme, figures=images), images, base_url=base_url_of(doc, url)
    )
    page.text = page.text or page.description
    # <html lang> is the language of GitHub's interface, not of the README.
    page.language = language_of(None, page.text)
    topics = [inline_text(tag) for tag in by_class(doc, "topic-tag", "a")]
    page.extra["repo"] = name
    if topics:
        page.extra["topics"] = topics
    stars = _count(by_id(doc, "repo-stars-counter-star"))
    if stars is not None:
        page.extra["stars"] = stars
    forks = _count(by_id(doc, "repo-network-counter"))
    if forks is not None:
        page.extra["forks"] = forks
    page.extra["archived"] = any(
        "This repository has been archived" in inline_text(banner)
        for banner in by_class(doc, "flash-warn") + by_class(doc, "flash")
    )
    return page


def page_from_api(repo: dict[str, Any], readme: str | None) -> Page:
    """A Page from the REST API's ``/repos/{owner}/{repo}`` JSON and the raw README."""
    name = str(repo.get("full_name") or "")
    owner = repo.get("owner")
    description = str(repo.get("description") or "").strip()
    images: list[HtmlElement] = []
    marked = html_fragment_text(_markdown_html(readme), figures=images) if readme else ""
    # A README's relative pictures are files of the repository, served raw from here.
    branch = str(repo.get("default_branch") or "HEAD")
    files = f"{RAW_HOST}/{name}/{branch}/"
    for image in images:
        _in_repository(image, files)
    text, figures = place(marked, images, base_url=files)
    license_info = repo.get("license")
    extra: dict[str, Any] = {
        "repo": name,
        "stars": int(repo.get("stargazers_count") or 0),
        "forks": int(repo.get("forks_count") or 0),
        "archived": bool(repo.get("archived")),
        "topics": [str(topic) for topic in repo.get("topics") or []],
        "pushed_at": from_iso_text(str(repo.get("pushed_at") or "")),
        "programming_language": str(repo.get("language") or ""),
        "license": str(license_info.get("spdx_id") or "") if isinstance(license_info, dict) else "",
        "homepage": str(repo.get("homepage") or ""),
        "default_branch": str(repo.get("default_branch") or ""),
    }
    if repo.get("html_url"):
        extra["html_url"] = str(repo["html_url"])
    return Page(
        title=name,
        text=text or description,
        account=str(owner.get("login") or "") if isinstance(owner, dict) else name.split("/")[0],
        published_at=from_iso_text(str(repo.get("created_at") or "")),
        description=description,
        extractor="github",
        extra=extra,
        figures=figures,
    )


def _in_repository(image: HtmlElement, files: str) -> None:
    """Point a README picture's relative ``src`` at the repository's file, read as GitHub
    reads it: relative to the README at the root, a leading ``/`` at the repository's
    root (not the host's), and no ``..`` leading out of the repository."""
    source = (image.get("src") or "").strip()
    try:
        parts = urlsplit(source)
    except ValueError:
        return
    if parts.scheme or parts.netloc or not parts.path or source.startswith("//"):
        return
    path = posixpath.normpath("/" + parts.path).lstrip("/")
    image.set("src", files + path + (f"?{parts.query}" if parts.query else ""))


def _markdown_html(markdown: str) -> str:
    from markdown_it import MarkdownIt  # only API crawls need it

    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)


def _description(doc: HtmlElement, name: str) -> str:
    about = [p for p in by_class(doc, "f4", "p") if "my-3" in (p.get("class") or "").split()]
    text = inline_text(about[0]) if about else ""
    if not text:
        text = meta(doc, "og:description", "description")
        text = re.sub(r"\s+-\s+" + re.escape(name) + r"\s*$", "", text)
        text = re.sub(r"^(?:GitHub\s+-\s+)?" + re.escape(name) + r":\s*", "", text)
    return "" if _NO_DESCRIPTION.match(text) else text.strip()


def _count(element: HtmlElement | None) -> int | None:
    """A counter's exact value: its ``title`` (``12,345``), else its text (``12.3k``)."""
    if element is None:
        return None
    for raw in (element.get("title") or "", inline_text(element)):
        value = raw.replace(",", "").strip().lower()
        match = re.fullmatch(r"(\d+(?:\.\d+)?)([km]?)", value)
        if match:
            scale = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2)]
            return int(float(match.group(1)) * scale)
    return None


def _alt_texts(doc: HtmlElement) -> str:
    return " ".join(image.get("alt", "") for image in doc.xpath("//img[@alt]"))
