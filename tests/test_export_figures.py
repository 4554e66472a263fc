"""Exports with figures: the EPUB holds each picture once with its references intact,
the HTML page embeds each link's first figure, both within the size cap."""

from __future__ import annotations

import base64
import posixpath
import re
import zipfile
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from freshness_library import add_figures, sample_library
from image_bytes import gif, jpeg_header, png
from linkindex import export
from linkindex.cli import app
from linkindex.snapshots import Images, content_hash
from linkindex.store import Store

DIAGRAM = png(400, 300, (10, 100, 200))
CURVE = jpeg_header(800, 450, filler=20_000)
ICON = gif(16, 16)
OPF = "{http://www.idpf.org/2007/opf}"


@pytest.fixture
def library(home: Path) -> tuple[Store, dict[str, int]]:
    """The sample library; the 显存 article has three figures, the ONNX page shares one."""
    store = Store(home)
    ids = sample_library(store)
    add_figures(
        store,
        home,
        ids["pytorch_mem"],
        [
            ("https://mmbiz.qpic.cn/a/640", 0, DIAGRAM, "架构图"),  # before the first paragraph
            ("https://mmbiz.qpic.cn/b/640", 1, CURVE, "显存曲线"),  # after 第一段
            ("https://mmbiz.qpic.cn/c/640", 5, ICON, ""),  # beyond the text: at the end
        ],
    )
    add_figures(store, home, ids["onnx"], [("https://mmbiz.qpic.cn/a/640", 1, DIAGRAM, "")])
    yield store, ids  # type: ignore[misc]
    store.close()


class Chapter(HTMLParser):
    """The <img> sources of a chapter, and its paragraphs and figures in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []
        self.order: list[str] = []
        self._in_p = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.sources.append(dict(attrs).get("src") or "")
            self.order.append("img")
        self._in_p = tag == "p"

    def handle_data(self, data: str) -> None:
        if self._in_p and data.strip():
            self.order.append(data.strip())


def read_epub(data: bytes) -> tuple[dict[str, str], dict[str, bytes], dict[str, str]]:
    """(manifest href -> media type, file -> bytes, chapter file -> xhtml) of an EPUB."""
    book = zipfile.ZipFile(BytesIO(data))
    files = {name: book.read(name) for name in book.namelist()}
    container = ElementTree.fromstring(files["META-INF/container.xml"])
    opf_path = next(e.get("full-path") for e in container.iter() if e.get("full-path"))
    folder = posixpath.dirname(opf_path or "")
    opf = ElementTree.fromstring(files[opf_path or ""])
    manifest = {
        posixpath.join(folder, item.get("href") or ""): item.get("media-type") or ""
        for item in opf.iter(f"{OPF}item")
    }
    chapters = {
        name: body.decode() for name, body in files.items() if re.search(r"link-\d+\.xhtml$", name)
    }
    return manifest, files, chapters


def test_epub_figures_are_items_of_the_book_in_place(
    library: tuple[Store, dict[str, int]], home: Path
) -> None:
    store, ids = library
    records = export.select(store, home)
    data = export.render(records, "epub", pictures=export.Pictures(Images(home)))
    manifest, files, chapters = read_epub(data)
    sources: dict[str, list[str]] = {}
    for name, chapter in chapters.items():
        parser = Chapter()
        parser.feed(chapter)
        # every <img> points at an item of the manifest, and the item holds the picture
        resolved = [
            posixpath.normpath(posixpath.join(posixpath.dirname(name), src))
            for src in parser.sources
        ]
        for path in resolved:
            assert path in manifest, (name, path)
        sources[name] = resolved
        if name.endswith(f"link-{ids['pytorch_mem']}.xhtml"):
            # before the first paragraph, after the first, and at the end (beyond the text)
            texts = [item for item in parser.order if item in ("img", "第一段。", "第二段 & <b>")]
            assert texts == ["img", "第一段。", "img", "第二段 & <b>", "img"]
    mem = next(
        paths
        for name, paths in sources.items()
        if name.endswith(f"link-{ids['pytorch_mem']}.xhtml")
    )
    onnx = next(
        paths for name, paths in sources.items() if name.endswith(f"link-{ids['onnx']}.xhtml")
    )
    assert [files[path] for path in mem] == [DIAGRAM, CURVE, ICON]
    assert onnx == mem[:1]  # one item for the picture both chapters show
    assert [manifest[path] for path in mem] == ["image/png", "image/jpeg", "image/gif"]
    pictures = [name for name in files if name.endswith((".png", ".jpg", ".gif"))]
    assert len(pictures) == 3
    assert export.render(records, "epub", pictures=export.Pictures(Images(home))) == data


def test_epub_with_a_cap_or_without_figures(
    library: tuple[Store, dict[str, int]], home: Path
) -> None:
    store, _ids = library
    records = export.select(store, home)
    capped = export.render(
        records, "epub", pictures=export.Pictures(Images(home), len(DIAGRAM) + len(ICON))
    )
    _manifest, files, chapters = read_epub(capped)
    kept = sorted(body for name, body in files.items() if name.endswith((".png", ".jpg", ".gif")))
    assert kept == sorted([DIAGRAM, ICON])  # the curve would pass the cap; the icon after it fits
    assert sum("a figure is left out: over the size cap" in c for c in chapters.values()) == 1
    bare = export.render(records, "epub")
    _manifest, files, chapters = read_epub(bare)
    assert not [name for name in files if name.endswith((".png", ".jpg", ".gif"))]
    assert not any("<img" in chapter for chapter in chapters.values())


def test_html_embeds_each_links_first_figure(
    library: tuple[Store, dict[str, int]], home: Path
) -> None:
    store, ids = library
    records = export.select(store, home)
    page = export.render(records, "html", pictures=export.Pictures(Images(home))).decode()
    with_figures = {r.url for r in records if r.id in (ids["pytorch_mem"], ids["onnx"])}
    items = re.findall(r"<li[^>]*>.*?</li>", page, flags=re.S)
    shown = 0
    for item in items:
        href = re.search(r'class="title" href="([^"]+)"', item)
        embedded = re.findall(r'<img class="figure" src="data:([^;]+);base64,([^"]+)"', item)
        if href and href.group(1) in with_figures:
            assert [(kind, base64.b64decode(data)) for kind, data in embedded] == [
                ("image/png", DIAGRAM)
            ]  # the first figure only
            shown += 1
        else:
            assert embedded == []
    assert shown >= 2
    assert "http" not in "".join(re.findall(r"<img[^>]*>", page))  # nothing to fetch
    assert "<img" not in export.render(records, "html").decode()


def test_cli_export_images_options(
    library: tuple[Store, dict[str, int]], home: Path, tmp_path: Path, runner: CliRunner
) -> None:
    from linkindex.cli.exporting import IMAGES_MAX_BYTES

    assert IMAGES_MAX_BYTES == export.DEFAULT_MAX_BYTES
    book = tmp_path / "book.epub"
    result = runner.invoke(app, ["export", "-o", str(book), "--home", str(home)])
    assert result.exit_code == 0, result.output
    _manifest, files, _chapters = read_epub(book.read_bytes())
    assert content_hash(CURVE) + ".jpg" in "".join(files)
    runner.invoke(app, ["export", "-o", str(book), "--no-images", "--home", str(home)])
    _manifest, files, _chapters = read_epub(book.read_bytes())
    assert not [name for name in files if name.startswith("EPUB/images/")]
    runner.invoke(app, ["export", "-o", str(book), "--images-max-bytes", "0", "--home", str(home)])
    _manifest, files, _chapters = read_epub(book.read_bytes())
    assert not [name for name in files if name.startswith("EPUB/images/")]
