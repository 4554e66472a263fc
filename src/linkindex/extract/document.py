"""A parsed HTML document: finding elements, reading meta tags, and readable text.

Every site extractor works on the tree this module parses (lxml, comments dropped) and
turns the elements it picked into text with ``block_text``, so all sites produce the same
shape of text: one block per paragraph, heading or list item, blank lines between
paragraphs, list items on consecutive lines, code blocks kept verbatim.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from linkindex.extract.figures import mark

# Comments and processing instructions never carry text a reader sees; dropping them at
# parse time also keeps their tails (real text) attached to the surrounding flow.
_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, recover=True)

#: Elements whose content is not text a reader sees.
_SKIPPED = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "button",
        "iframe",
        "head",
        "select",
        "textarea",
        "input",
        "object",
        "canvas",
        "video",
        "audio",
    }
)

#: Elements that start a new block of text.
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "aside",
        "nav",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "table",
        "thead",
        "tbody",
        "tr",
        "figure",
        "figcaption",
        "hr",
        "form",
        "details",
        "summary",
        "address",
        "center",
        "body",
        "html",
    }
)

#: Blocks that are lines of a list or table: joined by one newline, not a blank line.
_LINE_BLOCKS = frozenset({"li", "dt", "dd", "tr"})

#: Stands for a <br> in collected text: source newlines are mere whitespace, breaks are not.
_BREAK = "\x00"

_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2002\u2003\u2009\u200b\u3000]+")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def parse_html(text: str) -> HtmlElement:
    """Parse HTML text into an lxml tree; an empty or unparsable text gives an empty page."""
    # lxml refuses str input that still carries an encoding declaration.
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        return lxml.html.document_fromstring("<html><body></body></html>")
    try:
        return lxml.html.document_fromstring(text, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html><body></body></html>")


def class_xpath(name: str, tag: str = "*") -> str:
    """XPath for descendants whose class list contains ``name``."""
    return f".//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"


def by_class(doc: HtmlElement, name: str, tag: str = "*") -> list[HtmlElement]:
    """Elements under ``doc`` whose class list contains ``name``, in document order."""
    return list(doc.xpath(class_xpath(name, tag)))


def first_by_class(doc: HtmlElement, name: str, tag: str = "*") -> HtmlElement | None:
    """The first element under ``doc`` whose class list contains ``name``, or None."""
    found = doc.xpath(class_xpath(name, tag) + "[1]")
    return found[0] if found else None


def by_id(doc: HtmlElement, element_id: str) -> HtmlElement | None:
    """The element with this id, or None."""
    found = doc.xpath("//*[@id=$id]", id=element_id)
    return found[0] if found else None


def meta(doc: HtmlElement, *names: str) -> str:
    """The content of the first ``<meta name|property=...>`` among ``names`` that is set."""
    for name in names:
        for element in doc.xpath("//meta[@name=$n or @property=$n or @itemprop=$n]", n=name):
            content = (element.get("content") or "").strip()
            if content:
                return content
    return ""


def title_tag(doc: HtmlElement) -> str:
    """The text of ``<title>``."""
    found = doc.xpath("//title")
    return inline_text(found[0]) if found else ""


def base_url_of(doc: HtmlElement, url: str) -> str:
    """The address a document's relative links resolve against, as browsers take it.

    The first ``<base>`` with an ``href`` decides (resolved against ``url``, the page's
    own address); a page without one, or whose first one is no http(s) address, uses
    ``url`` itself.
    """
    for base in doc.iter("base"):
        href = base.get("href")
        if href is None:
            continue
        try:
            found = urljoin(url, href.strip(" \t\n\r\x0c"))
            scheme = urlsplit(found).scheme
        except ValueError:
            return url
        return found if scheme in ("http", "https") else url
    return url


def scripts(doc: HtmlElement) -> str:
    """The source of every inline ``<script>``, joined: where sites keep their variables."""
    return "\n".join(element.text or "" for element in doc.xpath("//script"))


def inline_text(element: HtmlElement | None) -> str:
    """The text of an element on one line, whitespace collapsed."""
    if element is None:
        return ""
    return _SPACES.sub(" ", " ".join(element.itertext())).strip().replace("\n", " ")


def normalise_line(line: str) -> str:
    """Collapse runs of whitespace inside a line."""
    return re.sub(r"\s+", " ", _SPACES.sub(" ", line)).strip()


def block_text(element: HtmlElement | None, *, figures: list[HtmlElement] | None = None) -> str:
    """Readable text of an element: one block per paragraph/heading/list item.

    Paragraphs are separated by a blank line, list items and table rows by one newline,
    ``<br>`` breaks a line inside its block, ``<pre>`` keeps its lines as they are.

    With ``figures``, every ``<img>`` passed is appended to it and marked in the text
    where it stood (``extract.figures``: ``place`` takes the marks out again).
    """
    if element is None:
        return ""
    blocks: list[tuple[str, str]] = []
    pending: list[str] = []
    kinds: list[str] = [""]

    def flush() -> None:
        if not pending:
            return
        lines = [normalise_line(line) for line in "".join(pending).split(_BREAK)]
        text = "\n".join(line for line in lines if line)
        pending.clear()
        if text:
            blocks.append((kinds[-1], text))

    walker = lxml.etree.iterwalk(element, events=("start", "end"))
    for event, node in walker:
        tag = node.tag if isinstance(node.tag, str) else ""
        if event == "start":
            if tag in _SKIPPED or tag == "pre":
                if tag == "pre":
                    flush()
                    code = "".join(node.itertext()).strip("\n")
                    if code.strip():
                        blocks.append(("pre", code))
                walker.skip_subtree()
                continue
            if tag == "br":
                pending.append(_BREAK)
            elif tag == "img" and figures is not None:
                pending.append(mark(len(figures)))
                figures.append(node)
            elif tag in _BLOCKS:
                flush()
                kinds.append(tag)
            elif tag in ("td", "th"):
                pending.append(" ")
            if node.text:
                pending.append(node.text)
        else:
            if tag in _BLOCKS and tag not in _SKIPPED:
                flush()
                kinds.pop()
            if node is not element and node.tail:
                pending.append(node.tail)
    flush()
    return _join_blocks(blocks)


def _join_blocks(blocks: list[tuple[str, str]]) -> str:
    parts: list[str] = []
    previous = ""
    for kind, text in blocks:
        if parts:
            same_list = kind in _LINE_BLOCKS and (
                kind == previous or {kind, previous} == {"dt", "dd"}
            )
            parts.append("\n" if same_list else "\n\n")
        parts.append(text)
        previous = kind
    return "".join(parts)


def html_fragment_text(fragment: str, *, figures: list[HtmlElement] | None = None) -> str:
    """Readable text of an HTML fragment such as the content field of a JSON payload
    (with ``figures``: marked, as ``block_text`` marks them)."""
    if not fragment.strip():
        return ""
    return block_text(parse_html(f"<html><body>{fragment}</body></html>").body, figures=figures)


def first_paragraph(text: str, *, limit: int = 200) -> str:
    """A short description: the first paragraph of ``text`` long enough to say something."""
    for paragraph in text.split("\n\n"):
        paragraph = " ".join(paragraph.split())
        if len(paragraph) >= 20 or (paragraph and paragraph == text.strip()):
            return shorten(paragraph, limit)
    return shorten(" ".join(text.split()), limit)


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut with an ellipsis."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def title_from_url(url: str) -> str:
    """A readable stand-in title: the last path segment (or the host) of a URL."""
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    if segments:
        return unquote(segments[-1])
    return parts.hostname or url


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def language_of(doc: HtmlElement | None, text: str) -> str:
    """The page's language: its ``<html lang>``, else ``zh`` when Chinese dominates the text."""
    if doc is not None:
        declared = (doc.get("lang") or doc.get("xml:lang") or "").strip()
        if declared:
            return declared.split("-")[0].split("_")[0].lower()
    sample = text[:5000]
    cjk = len(_CJK.findall(sample))
    latin_words = len(_LATIN.findall(sample)) / 5  # roughly letters per English word
    if cjk == 0 and latin_words == 0:
        return ""
    return "zh" if cjk >= latin_words else "en"
