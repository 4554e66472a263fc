"""``export --format html``: one self-contained page, readable on a phone, all text escaped.

With ``pictures``, each link shows its first figure, embedded as a ``data:`` URI (the
page fetches nothing, from the library or elsewhere), within the export's size cap.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from linkindex.analysis.characters import script
from linkindex.export.outline import Entry, TopicNode, archive_link, is_web_url, outline
from linkindex.export.pictures import Pictures
from linkindex.printable import printable
from linkindex.store.records import LinkRecord

_STYLE = """
body{font:16px/1.5 -apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;
max-width:46rem;margin:0 auto;padding:1rem;color:#222;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.3rem}h3{font-size:1.15rem}h4,h5,h6{font-size:1rem}
h2,h3,h4,h5,h6{margin:1.4rem 0 .4rem}
ul{list-style:none;padding:0;margin:0}
li{margin:.6rem 0;padding-bottom:.5rem;border-bottom:1px solid #eee}
a{color:#0645ad;overflow-wrap:anywhere}
.meta{color:#666;font-size:.85rem}
.summary{margin:.2rem 0 0}
.dead a.title{text-decoration:line-through}
img.figure{display:block;max-width:100%;max-height:16rem;height:auto;margin:.4rem 0}
nav li{border:0;margin:.2rem 0;padding:0}
@media (prefers-color-scheme:dark){body{background:#111;color:#ddd}a{color:#8ab4f8}
li{border-color:#333}.meta{color:#999}}
""".strip()


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def render(
    records: Sequence[LinkRecord], *, title: str = "linkindex", pictures: Pictures | None = None
) -> bytes:
    """The records as one HTML page (inline CSS, no scripts, nothing fetched); with
    ``pictures``, each link's first figure embedded."""
    root = outline(records)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{_text(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{_text(title)}</h1>",
        f'<p class="meta">{len(records)} links</p>',
    ]
    parts += _contents(root)
    parts += _entries(root, pictures)
    for index, child in enumerate(root.children):
        parts += _topic(child, pictures, depth=2, anchor=f"t{index + 1}")
    parts += ["</body>", "</html>", ""]
    # printable: control characters and noncharacters are not allowed in HTML either.
    return printable("\n".join(parts)).encode("utf-8")


def _contents(root: TopicNode) -> list[str]:
    if not root.children:
        return []
    items = [
        f'<li><a href="#t{i + 1}">{_text(child.name)}</a> ({child.count_entries()})</li>'
        for i, child in enumerate(root.children)
    ]
    return ["<nav><ul>", *items, "</ul></nav>"]


def _topic(node: TopicNode, pictures: Pictures | None, *, depth: int, anchor: str) -> list[str]:
    level = min(depth, 6)
    parts = [f'<section id="{anchor}">', f"<h{level}>{_text(node.name)}</h{level}>"]
    parts += _entries(node, pictures)
    for index, child in enumerate(node.children):
        parts += _topic(child, pictures, depth=depth + 1, anchor=f"{anchor}-{index + 1}")
    parts.append("</section>")
    return parts


def _entries(node: TopicNode, pictures: Pictures | None) -> list[str]:
    if not node.entries:
        return []
    return ["<ul>", *(_item(entry, pictures) for entry in node.entries), "</ul>"]


def _figure(entry: Entry, pictures: Pictures | None) -> str:
    """The link's first figure as an embedded picture, if it has one that fits."""
    if pictures is None or not entry.record.images:
        return ""
    image = entry.record.images[0]
    body = pictures.take(image)
    if body is None:
        return ""
    source = f"data:{image.content_type};base64,{base64.b64encode(body).decode('ascii')}"
    return f'<img class="figure" src="{source}" alt="{_text(image.alt)}">'


def _item(entry: Entry, pictures: Pictures | None) -> str:
    record = entry.record
    title = _text(entry.title)
    if is_web_url(record.url):
        head = f'<a class="title" href="{_text(record.url)}">{title}</a>'
    else:
        head = f'<span class="title">{title}</span>'
    facts = [_text(record.site)]
    if entry.date:
        facts.append(_text(entry.date))
    if record.status not in ("ok", "not_modified", "new"):
        facts.append(_text(record.status))
    archive = archive_link(record)
    if archive and is_web_url(archive):
        facts.append(f'<a href="{_text(archive)}">archive</a>')
    body = f'{head}<div class="meta">{" · ".join(facts)}</div>'
    if entry.summary:
        body += f'<p class="summary">{_text(entry.summary)}</p>'
    body += _figure(entry, pictures)
    lang = script(f"{entry.title}\n{entry.summary or ''}")
    where = f' lang="{lang}"' if lang else ""  # traditional text in traditional glyphs
    return f'<li class="{_text(record.status)}"{where}>{body}</li>'
