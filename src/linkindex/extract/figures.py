"""Figures of an article: which images its main content shows, where, and at what address.

A site extractor walks its main-content element with
``document.block_text(element, figures=found)``: every ``<img>`` it passes is appended to
``found`` and leaves a mark (``mark(n)``) in the text where it stood. Once the extractor
has put the page's text together from its parts, ``place(text, found, base_url=...)``
takes the marks out again and returns the clean text with the ``Figure`` of each image
whose address can be fetched: absolute URL (resolved against the document's base URL,
``document.base_url_of``), alt text, and how many paragraphs of the clean text come
before it (``models.paragraphs``).

Marks survive whatever the extractor does with the text in between (joining the parts of
a repost, prefixing an answer with its author), so no site counts paragraphs itself.

Which attribute holds the real address differs by site, and lazy-loading pages put a
placeholder (a ``data:`` GIF or SVG) in ``src``: WeChat keeps the image in ``data-src``
on mmbiz.qpic.cn, Zhihu in ``data-original`` (full size) and ``data-actualsrc``, CSDN and
cnblogs in ``src``, generic pages in any of these or ``srcset`` (read with the HTML
standard's parser, ``srcset_candidates``). ``LAZY_ATTRIBUTES`` is the order they are
tried in, good for every site.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml.html import HtmlElement

from linkindex.models.pages import Figure
from linkindex.printable import printable

#: Private-use characters around a figure's number in marked text; page text never
#: holds them (they are not characters of any script).
MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"
_MARK = re.compile(MARK_OPEN + r"(\d+)" + MARK_CLOSE)
_BREAK = re.compile(r"(\n\s*\n)")

#: Attributes that hold an image's real address, best first. Lazy loaders put the
#: address in one of the data- attributes and a placeholder in ``src``.
LAZY_ATTRIBUTES = (
    "data-original",  # Zhihu (full size), jQuery lazyload
    "data-actualsrc",  # Zhihu (article size)
    "data-src",  # WeChat, lazysizes, most lazy loaders
    "data-lazy-src",  # WordPress lazy-load plugins
    "data-original-src",
)
#: ``srcset``-style attributes, read when no single address is given.
SRCSET_ATTRIBUTES = ("srcset", "data-srcset")

#: Hosts of status badges (SVG pictures of a build state, not figures of the article).
BADGE_HOSTS = frozenset(
    {"img.shields.io", "badge.fury.io", "badges.gitter.im", "travis-ci.org", "travis-ci.com"}
)

_GITHUB_BLOB = re.compile(r"^/([^/]+)/([^/]+)/blob/(.+)$")


def mark(number: int) -> str:
    """The mark standing for figure ``number`` in marked text."""
    return f"{MARK_OPEN}{number}{MARK_CLOSE}"


def unmarked(text: str) -> str:
    """Text with its figure marks removed (for callers that only want the text)."""
    return place(text, [], base_url="")[0]


def place(text: str, images: Sequence[HtmlElement], *, base_url: str) -> tuple[str, list[Figure]]:
    """Take the marks out of ``text``; the clean text and the figures, in order.

    Args:
        text: text holding ``mark(n)`` where ``images[n]`` stood.
        images: the ``<img>`` elements the marks number.
        base_url: the page's address, against which relative addresses resolve.

    A figure marked at the start of a paragraph stands before it; anywhere else in a
    paragraph, after it. Paragraphs that held nothing but marks disappear, and so do
    marks of images without a usable address (placeholders, ``data:``, badges).

    The text comes back ``printable``, and the paragraphs are counted on that: a
    paragraph of control characters (``<p>&#x1b;[0m</p>``) is no paragraph of the text
    the reader shows, and a carriage return may start one, so counting before the
    cleaning would move every later figure.
    """
    pieces = _BREAK.split(printable(text))  # paragraph, break, paragraph, break, …
    kept: list[str] = []
    count = 0  # paragraphs kept so far: each piece between breaks is one (models.paragraphs)
    figures: list[Figure] = []
    for index in range(0, len(pieces), 2):
        block = pieces[index]
        numbers = [int(found.group(1)) for found in _MARK.finditer(block)]
        leading = bool(numbers) and _MARK.match(block.lstrip()) is not None
        clean = _clean_block(block) if numbers else block
        before = count
        if clean.strip():
            kept.append(pieces[index - 1] if kept else "")
            kept.append(clean)
            count += 1
        after = before if leading else count
        for number in numbers:
            figure = _figure(images, number, after, base_url)
            if figure is not None:
                figures.append(figure)
    return "".join(kept), figures


def _clean_block(block: str) -> str:
    """A paragraph without its marks: lines that held only marks go, spacing is mended."""
    lines: list[str] = []
    for line in block.split("\n"):
        if MARK_OPEN not in line:
            lines.append(line)
            continue
        line = re.sub(r"[ \t]{2,}", " ", _MARK.sub("", line)).strip()
        if line:
            lines.append(line)
    return "\n".join(lines).strip("\n")


def _figure(images: Sequence[HtmlElement], number: int, after: int, base: str) -> Figure | None:
    if not 0 <= number < len(images):
        return None
    image = images[number]
    url = figure_url(image, base)
    if url is None:
        return None
    alt = " ".join((image.get("alt") or image.get("title") or "").split())
    return Figure(url=url, after=after, alt=alt[:300])


def figure_url(image: HtmlElement, base: str) -> str | None:
    """The absolute address of an ``<img>``'s picture, or None when it has none worth
    fetching (only a placeholder, a tracking pixel, a formula, a badge)."""
    if image.get("eeimg") is not None:  # Zhihu's TeX formulas: SVGs of a line of maths
        return None
    if image.get("width") == "1" and image.get("height") == "1":
        return None
    canonical = image.get("data-canonical-src")  # GitHub's camo copy names its original
    if canonical and _absolute(canonical, base) is None:
        return None
    candidates = [image.get(name) for name in LAZY_ATTRIBUTES]
    candidates.append(image.get("src"))
    candidates.extend(_largest(image.get(name)) for name in SRCSET_ATTRIBUTES)
    for candidate in candidates:
        url = _absolute(candidate, base)
        if url is not None:
            return url
    return None


def _largest(srcset: str | None) -> str | None:
    """The widest (or, without widths, densest) candidate of a ``srcset``."""
    candidates = srcset_candidates(srcset or "")
    widths = [(size, url) for url, size, unit in candidates if unit == "w"]
    found = widths or [(size, url) for url, size, unit in candidates if unit == "x"]
    if not found:
        return None
    return max(found, key=lambda candidate: candidate[0])[1]


#: What the HTML standard counts as whitespace in a ``srcset``.
_SPACE = " \t\n\r\x0c"
#: A valid floating-point number (HTML): digits, a fraction, an exponent.
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")


def srcset_candidates(srcset: str) -> list[tuple[str, float, str]]:
    """The candidates of a ``srcset`` as the HTML standard parses them: ``(address, size,
    unit)`` with unit ``w`` (width) or ``x`` (density; a candidate without one is ``1x``).

    An address runs to the next whitespace, whatever commas it holds (Cloudinary's
    ``w_300,h_200``); a comma ends a candidate only after its descriptors (or right at
    the end of its address). Candidates with a descriptor browsers refuse are dropped.
    """
    found: list[tuple[str, float, str]] = []
    position, end = 0, len(srcset)
    while True:
        while position < end and (srcset[position] in _SPACE or srcset[position] == ","):
            position += 1
        if position >= end:
            return found
        start = position
        while position < end and srcset[position] not in _SPACE:
            position += 1
        address = srcset[start:position]
        descriptors: list[str] = []
        if address.endswith(","):
            address = address.rstrip(",")
        else:
            position, descriptors = _descriptors(srcset, position)
        size = _size(descriptors)
        if address and size is not None:
            found.append((address, *size))


def _descriptors(srcset: str, position: int) -> tuple[int, list[str]]:
    """The descriptors after a candidate's address (the standard's tokenizer: a comma
    inside parentheses does not end them), and where the next candidate starts."""
    end = len(srcset)
    while position < end and srcset[position] in _SPACE:
        position += 1
    descriptors: list[str] = []
    current = ""
    in_parens = False
    while position < end:
        char = srcset[position]
        position += 1
        if in_parens:
            current += char
            in_parens = char != ")"
        elif char in _SPACE:
            if current:
                descriptors.append(current)
                current = ""
        elif char == ",":
            break
        else:
            current += char
            in_parens = char == "("
    if current:
        descriptors.append(current)
    return position, descriptors


def _size(descriptors: list[str]) -> tuple[float, str] | None:
    """A candidate's ``(size, unit)`` from its descriptors, None when browsers drop it
    (an unknown or repeated descriptor, a zero width, a height without a width)."""
    found: dict[str, float] = {}
    for descriptor in descriptors:
        value, unit = descriptor[:-1], descriptor[-1:]
        if unit in found or (unit in "wx" and ("w" in found or "x" in found)):
            return None
        if unit in "wh" and value.isascii() and value.isdigit() and int(value) > 0:
            found[unit] = int(value)
        elif unit == "x" and _NUMBER.match(value) and float(value) >= 0 and "h" not in found:
            found[unit] = float(value)
        else:
            return None
    if "w" in found:
        return float(found["w"]), "w"
    if "h" in found:
        return None
    return found.get("x", 1.0), "x"


def _absolute(candidate: str | None, base: str) -> str | None:
    """A fetchable absolute http(s) address, or None for placeholders and the like."""
    value = (candidate or "").strip()
    if not value or value.startswith(("data:", "javascript:", "about:", "blob:", "#")):
        return None
    try:
        url = urljoin(base, value) if base else value
        if url.startswith("//"):
            url = "https:" + url
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if host in BADGE_HOSTS or parts.path.lower().endswith(".svg"):
        return None  # linkindex keeps no SVG (docs/crawl.md): no need to fetch one
    if host in ("github.com", "www.github.com"):
        # A README's relative picture resolves to its page on GitHub; its bytes are at raw/.
        blob = _GITHUB_BLOB.match(parts.path)
        if blob:
            parts = parts._replace(path=f"/{blob[1]}/{blob[2]}/raw/{blob[3]}")
    return urlunsplit(parts._replace(fragment=""))
