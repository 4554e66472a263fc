"""Export formats: each parsed back by a real parser, same URLs out as selected, same bytes."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from freshness_library import add_link, sample_library
from linkindex import export
from linkindex.errors import UserError
from linkindex.store import Store
from linkindex.store.records import LinkRecord


@pytest.fixture
def library(home: Path) -> tuple[Store, dict[str, int]]:
    store = Store(home)
    ids = sample_library(store)
    yield store, ids  # type: ignore[misc]
    store.close()


def urls(records: list[LinkRecord]) -> set[str]:
    return {r.url for r in records}


class Collector(HTMLParser):
    """Tags, hrefs, and text of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.titled: list[str] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.folders: list[tuple[str, ...]] = []
        self.bookmarks: dict[str, tuple[str, ...]] = {}
        self._h3 = False
        self._folder_path: list[str] = []
        self._pending: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")
            if values.get("class") == "title":
                self.titled.append(values["href"] or "")
            self.bookmarks[values["href"] or ""] = tuple(self._folder_path)
        if tag == "h3":
            self._h3 = True
        if tag == "dl" and self._pending is not None:
            self._folder_path.append(self._pending)
            self.folders.append(tuple(self._folder_path))
            self._pending = None
        elif tag == "dl":
            self._folder_path.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self._h3 = False
        if tag == "dl" and self._folder_path:
            self._folder_path.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._h3:
            self._pending = data


def test_formats_are_listed() -> None:
    assert export.FORMATS == ("md", "html", "opml", "csv", "json", "netscape", "epub")


def test_select_filters(library: tuple[Store, dict[str, int]], home: Path) -> None:
    store, ids = library
    everything = export.select(store, home)
    assert [r.id for r in everything] == sorted(ids[k] for k in ids if k != "removed")
    assert urls(export.select(store, home, site="github")) == {"https://github.com/onnx/onnx"}
    assert urls(export.select(store, home, status="dead")) == {"https://zhuanlan.zhihu.com/p/1234"}
    by_topic = export.select(store, home, topic="Pytorch > 参考")
    assert urls(by_topic) == {
        "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA",
        "https://zhuanlan.zhihu.com/p/1234",
    }
    assert urls(export.select(store, home, topic="pytorch")) == urls(by_topic) | {
        "https://github.com/onnx/onnx"
    }
    assert urls(export.select(store, home, topic="参考", site="zhihu")) == {
        "https://zhuanlan.zhihu.com/p/1234"
    }
    assert export.select(store, home, topic="Nothing here") == []


@pytest.mark.parametrize(
    ("option", "value"), [("site", "gitlab"), ("status", "fine"), ("topic", " > ")]
)
def test_select_rejects_bad_filters(
    library: tuple[Store, dict[str, int]], home: Path, option: str, value: str
) -> None:
    store, _ = library
    with pytest.raises(UserError):
        export.select(store, home, **{option: value})  # type: ignore[arg-type]


def test_unknown_format(library: tuple[Store, dict[str, int]], home: Path) -> None:
    with pytest.raises(UserError, match="unknown format"):
        export.render([], "pdf")


def test_json_shape(library: tuple[Store, dict[str, int]], home: Path) -> None:
    store, ids = library
    records = export.select(store, home)
    data = json.loads(export.render(records, "json"))
    assert {item["url"] for item in data} == urls(records)
    onnx = next(item for item in data if item["id"] == ids["onnx"])
    for key in (
        "url",
        "canonical_url",
        "site",
        "status",
        "title",
        "note_title",
        "page_title",
        "topics",
        "placements",
        "fetched_at",
        "published_at",
        "archive_url",
    ):
        assert key in onnx
    assert onnx["site"] == "github"
    assert onnx["title"] == "ONNX"
    assert onnx["page_title"] == "onnx/onnx"
    assert onnx["topics"] == [["NN中间语言", "ONNX"], ["Pytorch"]]
    first = onnx["placements"][0]
    assert (first["note_path"], first["line"], first["topic"], first["title"]) == (
        "/notes/2018-3-1-DL_framework.markdown",
        40,
        ["NN中间语言", "ONNX"],
        "ONNX",
    )
    assert first["description"] == "Open standard for machine learning interoperability"
    assert {"category", "note_title"} <= set(first)
    new = next(item for item in data if item["id"] == ids["top"])
    assert (new["status"], new["page_title"], new["fetched_at"]) == ("new", None, None)
    dead = next(item for item in data if item["id"] == ids["dead"])
    assert dead["archive_url"].startswith("https://web.archive.org/")
    mem = next(item for item in data if item["id"] == ids["pytorch_mem"])
    assert mem["title"] == "显存不足？PyTorch显存使用分析与优化"
    assert mem["published_at"] == "2020-05-06T00:00:00Z"
    assert export.link_json(store.link_records([ids["onnx"]])[0]) == onnx


def test_csv_round_trip(library: tuple[Store, dict[str, int]], home: Path) -> None:
    store, _ = library
    records = export.select(store, home)
    data = export.render(records, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {row["url"] for row in rows} == urls(records)
    onnx = next(row for row in rows if row["site"] == "github")
    assert onnx["topics"] == "NN中间语言 > ONNX | Pytorch"
    hostile = next(row for row in rows if row["url"].startswith("https://evil"))
    assert hostile["title"] == "<script>alert(1)</script>"


def test_markdown_nests_topics(library: tuple[Store, dict[str, int]], home: Path) -> None:
    from markdown_it import MarkdownIt

    store, _ = library
    records = export.select(store, home)
    text = export.render(records, "md", title="My list").decode()
    tokens = MarkdownIt().parse(text)
    headings = [
        (tok.tag, tokens[i + 1].content)
        for i, tok in enumerate(tokens)
        if tok.type == "heading_open"
    ]
    assert headings[:4] == [
        ("h1", "My list"),
        ("h2", "Pytorch"),
        ("h3", "参考"),
        ("h2", "NN中间语言"),
    ]
    assert ("h3", "ONNX") in headings
    assert ("h2", "Misc \\<b\\>") in headings
    hrefs = {
        child.attrs["href"]
        for tok in tokens
        if tok.type == "inline"
        for child in tok.children or []
        if child.type == "link_open"
    }
    assert urls(records) <= hrefs
    assert "https://web.archive.org/web/2020/https://zhuanlan.zhihu.com/p/1234" in hrefs
    assert (
        "- [显存不足？PyTorch显存使用分析与优化]"
        "(https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA) — wechat · 2020-05-06" in text
    )
    assert "— zhihu · 2018-03-01 · dead · [archive](https://web.archive.org/" in text
    assert "\\<script\\>alert(1)\\</script\\>" in text
    html = MarkdownIt().render(text)
    assert "<script>" not in html


def test_html_escapes_and_round_trips(library: tuple[Store, dict[str, int]], home: Path) -> None:
    store, _ = library
    records = export.select(store, home)
    page = export.render(records, "html").decode()
    parser = Collector()
    parser.feed(page)
    assert "script" not in parser.tags
    assert "img" not in parser.tags
    assert "<script>alert(1)</script>" in "".join(parser.text)
    assert set(parser.titled) == urls(records)
    assert "https://evil.example/x?a=1&b=2" in parser.hrefs
    assert '<meta name="viewport"' in page
    assert not {"link", "img", "iframe", "script"} & set(parser.tags)  # self-contained


def test_opml_round_trips(library: tuple[Store, dict[str, int]], home: Path) -> None:
    store, _ = library
    records = export.select(store, home)
    root = ET.fromstring(export.render(records, "opml", title="Reading"))
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "Reading"
    links = root.findall(".//outline[@type='link']")
    assert {o.get("url") for o in links} == urls(records)
    pytorch = next(o for o in root.find("body") if o.get("text") == "Pytorch")  # type: ignore[union-attr]
    ref = next(o for o in pytorch if o.get("text") == "参考")
    assert {o.get("url") for o in ref} == {
        "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA",
        "https://zhuanlan.zhihu.com/p/1234",
    }
    dead = next(o for o in links if o.get("status") == "dead")
    assert dead.get("archiveUrl", "").startswith("https://web.archive.org/")


def test_netscape_round_trips(library: tuple[Store, dict[str, int]], home: Path) -> None:
    store, _ = library
    records = export.select(store, home)
    data = export.render(records, "netscape", title="linkindex").decode()
    assert data.startswith("<!DOCTYPE NETSCAPE-Bookmark-file-1>")
    parser = Collector()
    parser.feed(data)
    assert set(parser.bookmarks) == urls(records)
    assert parser.bookmarks["https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA"][-2:] == (
        "Pytorch",
        "参考",
    )
    assert parser.bookmarks["https://example.org/top"][-1] == "linkindex"
    assert "script" not in parser.tags
    assert 'ADD_DATE="1767225600"' in data


def test_epub_opens_with_ebooklib(
    library: tuple[Store, dict[str, int]], home: Path, tmp_path: Path
) -> None:
    from ebooklib import ITEM_DOCUMENT, epub

    store, ids = library
    records = export.select(store, home)
    path = tmp_path / "list.epub"
    path.write_bytes(export.render(records, "epub", title="Offline"))
    book = epub.read_epub(str(path))
    assert book.get_metadata("DC", "title")[0][0] == "Offline"
    chapters = {
        item.get_name(): item.get_content().decode()
        for item in book.get_items_of_type(ITEM_DOCUMENT)
        if item.get_name().startswith("link-")
    }
    assert set(chapters) == {f"link-{r.id}.xhtml" for r in records}
    linked = set()
    for content in chapters.values():
        parser = Collector()
        parser.feed(content)
        linked.add(parser.hrefs[0])
    assert linked == urls(records)
    mem = chapters[f"link-{ids['pytorch_mem']}.xhtml"]
    assert "第一段。" in mem and "第二段 &amp; &lt;b&gt;" in mem
    assert "<script>" not in chapters[f"link-{ids['hostile']}.xhtml"]
    assert "No stored text" in chapters[f"link-{ids['top']}.xhtml"]
    nav = next(
        item.get_content().decode() for item in book.get_items() if item.get_name() == "nav.xhtml"
    )
    assert nav.index("Pytorch") < nav.index("参考") < nav.index("显存不足")
    with zipfile.ZipFile(path) as book_zip:
        assert book_zip.namelist()[0] == "mimetype"
        ncx = book_zip.read("EPUB/toc.ncx").decode()
    sources = re.findall(r'<content src="([^"]*)"', ncx)
    assert sources and all(sources)  # every TOC entry, topics too, points at a chapter


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_same_library_same_bytes(home: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(home)
    sample_library(store)
    first = export.render(export.select(store, home), fmt)
    store.close()
    two_days_later = time.time() + 2 * 86400
    monkeypatch.setattr(time, "time", lambda: two_days_later)  # nothing may stamp "now"
    again = Store(home)
    second = export.render(export.select(again, home), fmt)
    again.close()
    assert first == second
    assert export.render([], fmt)  # an empty list is still a valid document


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "list.md"
    export.write_atomic(target, b"old")
    export.write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["list.md"]


def test_select_by_search_query(library: tuple[Store, dict[str, int]], home: Path) -> None:
    from linkindex import indexing

    store, ids = library
    indexing.refresh(store, home)
    found = export.select(store, home, query="显存")
    assert [r.id for r in found] == [ids["pytorch_mem"]]
    assert export.select(store, home, query="显存", site="github") == []
    assert ids["onnx"] in {r.id for r in export.select(store, home, query="ONNX")}
    # nothing to search for but the options: their links, as search lists them
    github = {r.id for r in export.select(store, home, site="github")}
    assert github
    assert {r.id for r in export.select(store, home, query="😀", site="github")} == github
    with pytest.raises(UserError, match="nothing to search for"):
        export.select(store, home, query="😀")


# -- hostile text: every format stays valid --------------------------------------------

#: Characters XML cannot hold and a terminal would obey: a title or a page may carry any.
HOSTILE = "\x00\x01\x08\x0b\x0c\x1b[2J\x1b]0;owned\x07\x7f\x85\x9b\ufffe\uffff\U0001fffe"
UNFIT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\U0001fffe]")


@pytest.fixture
def hostile(home: Path) -> Iterator[tuple[Store, list[LinkRecord]]]:
    """A library whose titles, topics, descriptions and page text carry HOSTILE."""
    store = Store(home)
    add_link(
        store,
        "https://hostile.example/a",
        status="ok",
        topic=[f"主题{HOSTILE}一", "子>主题"],
        title=f"标题{HOSTILE}一",
        description=f"说明{HOSTILE}",
        page={"title": f"网页{HOSTILE}", "text": f"正文{HOSTILE}\n\n第二段{HOSTILE}"},
        note_title=f"笔记{HOSTILE}",
    )
    add_link(store, "https://hostile.example/b", status="new", title=f"{HOSTILE}空")
    yield store, export.select(store, home)
    store.close()


@pytest.mark.parametrize("fmt", [fmt for fmt in export.FORMATS if fmt not in ("json", "epub")])
def test_text_formats_carry_no_control_characters(
    hostile: tuple[Store, list[LinkRecord]], fmt: str
) -> None:
    _, records = hostile
    text = export.render(records, fmt, title=f"清单{HOSTILE}").decode("utf-8-sig")
    assert not UNFIT.findall(text.replace("\r\n", "\n"))
    assert "标题一" in text
    assert "[2J" not in text and "owned" not in text


def test_opml_is_well_formed_whatever_the_text(hostile: tuple[Store, list[LinkRecord]]) -> None:
    _, records = hostile
    root = ET.fromstring(export.render(records, "opml", title=f"清单{HOSTILE}"))
    assert root.findtext("head/title") == "清单"
    topic = next(o for o in root.find("body") if o.get("type") != "link")  # type: ignore[union-attr]
    assert topic.get("text") == "主题一"
    titles = {o.get("text") for o in root.iter("outline") if o.get("type") == "link"}
    assert titles == {"标题一", "空"}


def test_epub_is_written_and_well_formed_whatever_the_text(
    hostile: tuple[Store, list[LinkRecord]], tmp_path: Path
) -> None:
    from ebooklib import epub

    _, records = hostile
    path = tmp_path / "hostile.epub"
    path.write_bytes(export.render(records, "epub", title=f"清单{HOSTILE}"))
    book = epub.read_epub(str(path))
    assert book.get_metadata("DC", "title")[0][0] == "清单"
    with zipfile.ZipFile(path) as book_zip:
        for name in book_zip.namelist():
            if name.endswith((".xhtml", ".ncx", ".opf")):
                ET.fromstring(book_zip.read(name))  # every XML file parses
        chapter = next(
            book_zip.read(name).decode()
            for name in book_zip.namelist()
            if name.endswith(".xhtml") and "正文" in book_zip.read(name).decode()
        )
    assert "<h1>标题一</h1>" in chapter
    assert "<p>正文</p>" in chapter and "<p>第二段</p>" in chapter


def test_the_cli_exports_an_epub_whatever_the_text(
    hostile: tuple[Store, list[LinkRecord]], home: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from linkindex.cli import app

    store, _ = hostile
    store.close()
    out = tmp_path / "list.epub"
    result = CliRunner().invoke(app, ["export", "--format", "epub", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(out)


#: Format characters (Unicode's Cf) a spreadsheet may not show or may drop before a formula.
FORMAT_MARKS = [
    "\u00ad",
    *map(chr, range(0x200B, 0x2010)),
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2060, 0x2065)),
    *map(chr, range(0x2066, 0x206A)),
    "\ufeff",
]


@pytest.mark.parametrize(
    ("title", "cell"),
    [
        ('=HYPERLINK("http://evil.example","点我")', '\'=HYPERLINK("http://evil.example","点我")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1,2)", "'@SUM(1,2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\n=1+1"),
        ("显存 = 1+1", "显存 = 1+1"),
        ("a-b", "a-b"),
        # spreadsheets trim leading spaces before they look for a formula
        (' =HYPERLINK("http://evil.example")', '\' =HYPERLINK("http://evil.example")'),
        ("   +1+1", "'   +1+1"),
        ("\u3000-2+3", "'\u3000-2+3"),
        ("\u00a0@SUM(1,2)", "'\u00a0@SUM(1,2)"),
        ("\u200b=1+1", "'\u200b=1+1"),
        (" 显存 = 1", " 显存 = 1"),
        # full-width and other compatibility forms of the signs (spreadsheets may fold them)
        ('＝HYPERLINK("http://evil.example")', '\'＝HYPERLINK("http://evil.example")'),
        ("＋1+1", "'＋1+1"),
        ("－2+3", "'－2+3"),
        ("＠SUM(1)", "'＠SUM(1)"),
        ("﹦1+1", "'﹦1+1"),
        ("\u3000＝1", "'\u3000＝1"),
        # after format characters: soft hyphen, zero-width, bidi controls, joiners, BOM
        *((f"{mark}=1+1", f"'{mark}=1+1") for mark in FORMAT_MARKS),
        ("\u202e\u00ad \u2066@SUM(1)", "'\u202e\u00ad \u2066@SUM(1)"),
        # after whitespace of any kind, tab and line breaks included
        (" \t=1+1", "' \t=1+1"),
        ("  \n=1+1", "'  \n=1+1"),
        ("\u2028+1", "'\u2028+1"),
        ("\u00ad显存 = 1", "\u00ad显存 = 1"),
        ("\u202e", "\u202e"),
        ("１＝1", "１＝1"),
    ],
)
def test_csv_cells_that_would_run_as_formulas_are_neutralised(
    home: Path, title: str, cell: str
) -> None:
    store = Store(home)
    add_link(
        store,
        "https://csv.example/a",
        topic=["=主题"],
        title=title,
        note="/notes/=cmd.md",
        note_title="@笔记",
        description="-说明",
    )
    records = export.select(store, home)
    store.close()
    rows = list(csv.DictReader(io.StringIO(export.render(records, "csv").decode("utf-8-sig"))))
    assert rows[0]["title"] == cell
    assert (rows[0]["topics"], rows[0]["note_title"], rows[0]["summary"]) == (
        "'=主题",
        "'@笔记",
        "'-说明",
    )
    assert rows[0]["note_path"] == "/notes/=cmd.md"
    assert rows[0]["url"] == "https://csv.example/a"


def test_traditional_text_is_marked_as_written_in_html_and_epub(home: Path, tmp_path: Path) -> None:
    """A reading list says which script each link is written in (``lang="zh-Hant"``), so
    a browser or e-reader draws traditional text in traditional glyphs, not the mainland's
    forms of a ``zh`` page."""
    store = Store(home)
    try:
        hant = add_link(
            store,
            "https://example.tw/vram",
            title="顯存優化實戰",
            page={"title": "顯存優化實戰", "text": "這篇文章說明如何減少訓練時的顯存佔用。"},
        )
        hans = add_link(
            store,
            "https://example.cn/vram",
            title="显存优化实战",
            page={"title": "显存优化实战", "text": "这篇文章说明如何减少训练时的显存占用。"},
        )
        plain = add_link(store, "https://example.com/pytorch", title="PyTorch")
        records = export.select(store, home)
    finally:
        store.close()
    page = export.render(records, "html", title="list").decode()
    items = {
        m.group(2): m.group(1)
        for m in re.finditer(
            r"<li class=\"\w+\"( lang=\"[^\"]+\")?><a class=\"title\" href=\"([^\"]+)\"", page
        )
    }
    assert items == {
        "https://example.tw/vram": ' lang="zh-Hant"',
        "https://example.cn/vram": ' lang="zh-Hans"',
        "https://example.com/pytorch": None,
    }
    path = tmp_path / "list.epub"
    path.write_bytes(export.render(records, "epub", title="list"))
    with zipfile.ZipFile(path) as book:
        for link_id, lang in [(hant, "zh-Hant"), (hans, "zh-Hans"), (plain, "zh")]:
            chapter = book.read(f"EPUB/link-{link_id}.xhtml").decode()
            assert re.search(f'<html [^>]*lang="{lang}" xml:lang="{lang}"', chapter)
