"""The one topic rule: its parts, and every command and page that takes a topic agreeing."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import unicodedata
import warnings
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from crawl_servers import LOCAL_CONFIG, fixture
from linkindex import topics
from linkindex.cli import app

# -- the rule ------------------------------------------------------------------------------

#: A library with a heading ``C/C++`` and a path ``C > C++``, a heading ``A>B`` and a path
#: ``A > B``.
AWKWARD = [["语言", "C/C++"], ["C", "C++"], ["A>B", "工具"], ["A", "B"], ["框架", "C++"]]
NAMES = topics.names(AWKWARD)


def key(text: str) -> topics.Key:
    return topics.key(text, NAMES)


def test_a_topic_is_folded_and_split_at_either_separator() -> None:
    assert key(" Pytorch > 参考 ") == "pytorch/参考"
    assert key("pytorch/参考") == key("ＰｙＴｏｒｃｈ／参考") == "pytorch/参考"
    assert key("ＰｙＴｏｒｃｈ＞参考") == "pytorch/参考"
    assert key(" > / ") == key("") == ""
    assert topics.parse("Pytorch>参考 / ") == ("Pytorch", "参考")
    assert topics.label(("Pytorch", "参考")) == "Pytorch > 参考"


def test_a_run_of_headings_at_any_level() -> None:
    assert topics.matches(key("Pytorch/参考"), ("Pytorch", "参考"))
    assert topics.matches(key("Pytorch > 参考"), ["NN中间语言", "PyTorch", "参考", "显存"])
    assert not topics.matches(key("Pytorch > 参考"), ["Pytorch", "项目", "参考"])
    assert topics.matches(key("onnx"), ["NN中间语言", "ＯＮＮＸ"])
    assert not topics.matches(key(""), ["Pytorch"])
    assert not topics.matches(key("Py"), ["Pytorch"])  # whole headings, not prefixes


def test_a_text_equal_to_a_headings_whole_name_selects_that_heading_alone() -> None:
    # the library has the heading C/C++ and the path C > C++: each text selects one
    for text in ("C/C++", "c／c＋＋", " C/C++ "):
        assert topics.matches(key(text), ["语言", "C/C++"])
        assert not topics.matches(key(text), ["C", "C++"])
    assert topics.matches(key("C > C++"), ["C", "C++"])
    assert not topics.matches(key("C > C++"), ["语言", "C/C++"])
    assert topics.matches(key("A>B"), ["A>B", "工具"])
    assert not topics.matches(key("A>B"), ["A", "B"])
    assert topics.matches(key("A > B"), ["A", "B"])
    assert not topics.matches(key("A > B"), ["A>B", "工具"])
    assert not topics.matches(key("C"), ["语言", "C/C++"])  # a piece of a name is no heading
    assert [path for path in AWKWARD if topics.matches(key("C++"), path)] == [
        ["C", "C++"],
        ["框架", "C++"],
    ]


def test_a_text_no_heading_is_named_by_is_split() -> None:
    none = topics.names([])
    assert topics.key("C/C++", none) == topics.key("C > C++", none) == "c/c++"
    assert topics.matches(topics.key("A>B", none), ["A", "B"])


def test_a_paths_label_selects_that_path() -> None:
    # a stretch of the text that is a heading's whole name stays one heading
    assert topics.matches(key("A>B > 工具"), ["A>B", "工具"])
    assert not topics.matches(key("B > 工具"), ["A>B", "工具"])
    for path in AWKWARD:
        assert key(topics.label(path)) == topics.path_key(path)
    assert key("A>B > 工具") == topics.path_key(["A>B", "工具"])


def test_the_longest_stretch_that_is_a_name_is_taken() -> None:
    known = topics.names([["A/B", "C"], ["A/B/C", "D"], ["A", "B"]])
    assert topics.key("A/B/C > D", known) == topics.path_key(["A/B/C", "D"])
    assert topics.key("A/B/C", known) == topics.path_key(["A/B/C"])  # its whole name
    assert topics.key("A/B > C", known) == topics.path_key(["A/B", "C"])  # spaced: a path
    assert topics.key("A/B/C/D", known) == topics.path_key(["A/B/C", "D"])
    assert topics.key("X/A/B", known) == topics.path_key(["X", "A/B"])


class _Counting:
    """A library's names that count how often ``key`` asks."""

    def __init__(self, paths: list[list[str]]) -> None:
        self.names, self.asked = topics.names(paths), 0

    def __contains__(self, name: object) -> bool:
        self.asked += 1
        return name in self.names

    def begins(self, prefix: str) -> bool:
        self.asked += 1
        return self.names.begins(prefix)


def test_a_long_topic_asks_the_library_a_few_times_a_piece() -> None:
    # the web takes 500 characters: every stretch of 250 pieces would be 31,000 look-ups
    known = _Counting([["a", "a/a"], ["C/C++"]])
    assert topics.key("a/" * 249 + "a", known) == "/".join([topics.name_key("a/a")] * 125)
    assert known.asked <= 3 * 250
    known.asked = 0
    assert topics.key("C/C++", known) == topics.name_key("C/C++") and known.asked <= 3


def test_keys_keep_a_names_own_separators_apart_from_the_paths() -> None:
    assert topics.name_key(" C／C++ ") == topics.name_key("c/c++") != "c/c++"
    assert topics.name_key("A>B") != topics.name_key("A/B")
    assert topics.path_key(["C", "C++"]) == "c/c++"
    assert topics.path_key(["C/C++"]) != topics.path_key(["C", "C++"])
    found = topics.names([["C/C++", " "], ["Ｃ"]])
    assert topics.name_key("C/C++") in found and "c" in found and "" not in found
    assert found.begins("c") and found.begins(topics.name_key("C/")) and not found.begins("c/")


def test_path_keys_are_what_a_link_can_be_selected_by() -> None:
    assert topics.path_keys([["Pytorch", "参考"], ["NN中间语言", "ONNX", "Tools"]]) == [
        "nn中间语言",
        "nn中间语言/onnx",
        "nn中间语言/onnx/tools",
        "onnx",
        "onnx/tools",
        "pytorch",
        "pytorch/参考",
        "tools",
        "参考",
    ]
    assert topics.path_keys([["C/C++", " "]]) == [topics.name_key("C/C++")]
    texts = ("Pytorch", "nn中间语言 > ONNX", "tools", "A/B", "C/C++", "C > C++", "A>B", "A > B")
    paths = (["Pytorch", "参考"], ["NN中间语言", "ONNX", "Tools"], ["A/B"], *AWKWARD)
    for text in texts:
        for path in paths:
            assert topics.matches(key(text), path) == (key(text) in topics.path_keys([path]))


def test_what_lies_below_a_topic() -> None:
    assert topics.below(key("Pytorch"), ["框架", "PyTorch", "参考", "显存"]) == ("参考", "显存")
    assert topics.below(key("框架 > pytorch"), ["框架", "PyTorch"]) == ()
    assert topics.below(key("A>B"), ["X", "A>B", "c"]) == ("c",)
    assert topics.below(key("A>B"), ["A", "B", "c"]) is None
    assert topics.below(key("A > B"), ["A", "B", "c"]) == ("c",)
    assert topics.below(key("参考"), ["Pytorch", "项目"]) is None


def test_the_tree_counts_distinct_links_and_finds_a_path() -> None:
    roots = topics.tree(
        [(1, ["Pytorch", "参考"]), (2, ["Pytorch"]), (1, ["Pytorch", "教程"]), (3, ["ONNX"])]
    )
    assert [(n.name, n.links, n.own) for n in roots] == [("Pytorch", 2, 1), ("ONNX", 1, 1)]
    assert [c.label for c in roots[0].children] == ["Pytorch > 参考", "Pytorch > 教程"]
    found = topics.find(roots, key("pytorch／教程"))
    assert found is not None and found.path == ("Pytorch", "教程")
    assert topics.find(roots, key("参考")) is None  # no heading's whole path
    awkward = topics.tree((number, path) for number, path in enumerate(AWKWARD))
    for text, path in (("C/C++", None), ("C > C++", ("C", "C++")), ("A>B", ("A>B",))):
        found = topics.find(awkward, key(text))
        assert (found.path if found else None) == path


def test_a_heading_in_either_script_or_case_is_one_node_of_the_tree() -> None:
    """``深度學習`` and ``深度学习`` (and ``PyTorch``, ``Pytorch``) are one topic to every
    selection, so one heading of the tree: named by its spelling with the most links (on
    a tie the lowest in code point order), in whatever order they come, its counts those
    of every spelling (not a facet of 5 whose selection gives 6)."""
    placements = [
        (1, ["深度學習", "框架"]),
        (2, ["深度学习"]),
        (3, ["深度学习", "框架"]),
        (4, ["PyTorch"]),
        (5, ["Pytorch"]),
        (6, ["ｐｙｔｏｒｃｈ", "参考"]),
    ]
    roots = topics.tree(placements)
    assert [(n.name, n.links, n.own) for n in roots] == [("深度学习", 3, 1), ("PyTorch", 3, 2)]
    (framework,) = roots[0].children
    assert (framework.path, framework.links) == (("深度学习", "框架"), 2)
    assert [c.path for c in roots[1].children] == [("PyTorch", "参考")]
    backwards = topics.tree(reversed(placements))
    assert sorted(n.name for n in backwards) == ["PyTorch", "深度学习"]
    found = topics.find(roots, key("深度学习 > 框架"))
    assert found is framework


def test_topics_and_a_reading_list_show_a_heading_in_either_script_once(
    runner: CliRunner, tmp_path: Path
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    for day, (heading, first, second) in enumerate(
        [("深度學習", "a", "b"), ("深度学习", "c", "d")], start=1
    ):
        (notes / f"2024-1-{day}-n.md").write_text(
            f"---\ntitle: n\n---\n\n# {heading}\n\nhttps://example.com/{first}\n第{first}篇\n"
            f"\n## 框架\n\nhttps://example.com/{second}\n第{second}篇\n",
            encoding="utf-8",
        )
    home = ["--home", str(tmp_path / "home")]
    assert runner.invoke(app, ["import", str(notes), *home]).exit_code == 0
    listed = runner.invoke(app, ["topics", *home])
    assert listed.exit_code == 0, listed.output
    assert listed.output.split() == ["深度学习", "4", "框架", "2"]  # (2 links each: a tie)
    exported = runner.invoke(app, ["export", "--format", "md", *home])
    assert exported.exit_code == 0, exported.output
    headings = [line for line in exported.output.splitlines() if line.startswith("#")]
    assert headings == ["# linkindex", "## 深度学习", "### 框架"]
    with web_client(tmp_path / "home") as client:  # (the web reads the newest links first)
        (tree,) = client.get("/api/topics").json()["topics"]
        assert (tree["name"], tree["count"], tree["children"][0]["path"]) == (
            "深度学习",
            4,
            ["深度学习", "框架"],
        )


def test_a_link_under_a_heading_in_either_script_is_listed_once_in_its_section(
    runner: CliRunner, tmp_path: Path
) -> None:
    """One section for both spellings, and the link filed under each once in it."""
    notes = tmp_path / "notes"
    notes.mkdir()
    for day, heading in enumerate(["深度學習", "深度学习"], start=1):
        (notes / f"2024-1-{day}-n.md").write_text(
            f"---\ntitle: n\n---\n\n# {heading}\n\nhttps://example.com/x\n第{day}篇\n",
            encoding="utf-8",
        )
    home = ["--home", str(tmp_path / "home")]
    assert runner.invoke(app, ["import", str(notes), *home]).exit_code == 0
    exported = runner.invoke(app, ["export", "--format", "md", *home])
    assert exported.exit_code == 0, exported.output
    listed = [line for line in exported.output.splitlines() if line.startswith("- ")]
    assert len(listed) == 1, exported.output
    assert listed[0].startswith("- [第1篇](https://example.com/x)")


def test_the_web_reading_list_names_a_deeper_heading_in_either_script_once(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A link filed in two notes under 深度學習 > 強化學習 and 深度学习 > 强化学习 sits
    under one heading below 深度学习: the topic page says where once, as the tree names it."""
    notes = tmp_path / "notes"
    notes.mkdir()
    for day, (top, below) in enumerate([("深度學習", "強化學習"), ("深度学习", "强化学习")], 1):
        (notes / f"2024-1-{day}-n.md").write_text(
            f"---\ntitle: n\n---\n\n# {top}\n\n## {below}\n\n"
            f"https://example.com/rl\n策略梯度入門\n\nhttps://example.com/{day}\n第{day}篇\n",
            encoding="utf-8",
        )
    home = tmp_path / "home"
    assert runner.invoke(app, ["import", str(notes), "--home", str(home)]).exit_code == 0
    with web_client(home) as client:
        (tree,) = client.get("/api/topics").json()["topics"]
        (child,) = tree["children"]
        page = client.get("/topics", params={"topic": "深度學習"})
        assert page.status_code == 200
        where = re.findall(r'<span class="dim">› ([^<]*)</span>', page.text)
    assert where == [child["name"]] * 3  # one place per link, as the tree spells it


def test_a_link_filed_under_a_topic_in_either_script_names_it_once(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Search results, the link page, the CSV's topics and the EPUB's chapter name a
    topic the link is filed under in two scripts once, as its first note writes it."""
    notes = tmp_path / "notes"
    notes.mkdir()
    for day, (top, below) in enumerate([("深度学习", "强化学习"), ("深度學習", "強化學習")], 1):
        (notes / f"2024-1-{day}-n.md").write_text(
            f"---\ntitle: n\n---\n\n# {top}\n\n## {below}\n\nhttps://example.com/rl\n策略梯度入门\n",
            encoding="utf-8",
        )
    home = ["--home", str(tmp_path / "home")]
    assert runner.invoke(app, ["import", str(notes), *home]).exit_code == 0
    once = "深度学习 > 强化学习"
    found = runner.invoke(app, ["search", "策略梯度", *home])
    assert found.exit_code == 0, found.output
    assert f"| {once} |" in found.output, found.output
    exported = runner.invoke(app, ["export", "--format", "csv", *home])
    assert [row["topics"] for row in csv.DictReader(io.StringIO(exported.output))] == [once]
    book = tmp_path / "rl.epub"
    assert runner.invoke(app, ["export", "-o", str(book), *home]).exit_code == 0
    with zipfile.ZipFile(book) as epub:
        chapter = next(epub.read(n).decode() for n in epub.namelist() if "link-" in n)
    assert f'<p class="meta">{html.escape(once)}</p>' in chapter
    with web_client(tmp_path / "home") as client:
        results = client.get("/", params={"q": "策略梯度"}).text
        link = re.search(r'href="/link/(\d+)"', results)
        assert link is not None
        page = client.get(f"/link/{link[1]}").text
    shown = re.compile(r'<a class="topic" href="[^"]*">([^<]*)</a>')
    assert [html.unescape(t) for t in shown.findall(results)] == [once]
    crumbs = re.search(r'<p class="crumbs">(.*?)</p>', page, re.S)
    assert crumbs is not None
    assert [html.unescape(t) for t in re.findall(r">([^<]+)</a>", crumbs[1])] == [once]


# -- every surface agrees --------------------------------------------------------------------

NOTE = """---
title: 主题测试
---

{base}/top

没有标题的链接

# Pytorch

{base}/a

Pytorch 本身

## 参考

{base}/b

Pytorch 参考

## 项目

### 参考

{base}/c

项目里的参考

# 框架

## PyTorch

### 参考

{base}/d

框架下的 PyTorch 参考

# C/C++

{base}/e

C 和 C++

# A>B

{base}/f

名字里有箭头

## 工具

{base}/g

箭头下的工具

# ＯＮＮＸ

{base}/h

全角的 ONNX

# C

## C++

{base}/i

C 下面的 C++

# A

## B

{base}/j

A 下面的 B

# 语言

## C++

{base}/k

语言下面的 C++
"""


#: A topic as typed -> the links (by path) it selects.
EXPECTED = {
    "Pytorch": {"/a", "/b", "/c", "/d"},
    "pytorch/参考": {"/b", "/d"},
    "Pytorch > 参考": {"/b", "/d"},
    "ＰＹＴＯＲＣＨ＞参考": {"/b", "/d"},
    "参考": {"/b", "/c", "/d"},
    "框架 > PyTorch": {"/d"},
    "onnx": {"/h"},
    # a heading C/C++ and a path C > C++; a heading A>B and a path A > B
    "C/C++": {"/e"},
    "c／c＋＋": {"/e"},
    "C > C++": {"/i"},
    "C++": {"/i", "/k"},
    "C": {"/i"},
    "A>B": {"/f", "/g"},
    "A > B": {"/j"},
    "A>B > 工具": {"/g"},
}


@pytest.fixture
def topic_library(
    home: Path, server: HTTPServer, runner: CliRunner, tmp_path: Path
) -> tuple[Path, str]:
    """Notes with awkward headings imported into ``home``; their links served locally."""
    server.expect_request(re.compile("/.*")).respond_with_data(
        fixture("article.html"), content_type="text/html"
    )
    base = server.url_for("/").rstrip("/")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "2024-1-1-topics.md").write_text(NOTE.format(base=base), encoding="utf-8")
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(LOCAL_CONFIG, encoding="utf-8")
    result = runner.invoke(app, ["import", str(notes), "--home", str(home)])
    assert result.exit_code == 0, result.output
    return home, base


def web_client(home: Path) -> Any:
    """A test client of the web UI over ``home``, as a browser on this machine sees it."""
    from starlette.exceptions import StarletteDeprecationWarning

    from linkindex.web import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from starlette.testclient import TestClient

        return TestClient(create_app(home), base_url="http://127.0.0.1:8765")


def _paths(urls: list[str], base: str) -> set[str]:
    return {url.removeprefix(base) for url in urls}


def test_crawl_search_export_and_the_web_select_the_same_links(
    topic_library: tuple[Path, str], runner: CliRunner
) -> None:
    home, base = topic_library
    selected: dict[str, dict[str, set[str]]] = {}
    with web_client(home) as client:
        for text, expected in EXPECTED.items():
            crawl = runner.invoke(app, ["crawl", "--all", "--topic", text, "--home", str(home)])
            assert crawl.exit_code == 0, crawl.output
            crawled = re.findall(re.escape(base) + r"/\S*", crawl.output)

            query = runner.invoke(app, ["search", f'topic:"{text}"', "--json", "--limit", "50"])
            option = runner.invoke(app, ["search", "", "--topic", text, "--json", "--limit", "50"])
            exported = runner.invoke(app, ["export", "--topic", text, "--format", "json"])
            for result in (query, option, exported):
                assert result.exit_code == 0, result.output

            page = client.get("/api/topics", params={"topic": text})
            assert page.status_code == 200, page.text
            browsed = client.get("/api/search", params={"topic": text, "limit": 50}).json()
            download = client.get("/api/export", params={"topic": text, "format": "json"})
            found = client.get("/api/search", params={"q": "checkpointing", "topic": text})
            selected[text] = {
                "crawl --topic": _paths(crawled, base),
                "search topic:": _paths([h["url"] for h in json.loads(query.output)["hits"]], base),
                "search --topic": _paths(
                    [h["url"] for h in json.loads(option.output)["hits"]], base
                ),
                "export --topic": _paths([r["url"] for r in json.loads(exported.output)], base),
                "web topic page": _paths([r["url"] for r in page.json()["links"]], base),
                "web browse": _paths([h["url"] for h in browsed["hits"]], base),
                "web export": _paths([r["url"] for r in download.json()], base),
                "web search": _paths([h["url"] for h in found.json()["hits"]], base),
            }
            assert page.json()["topic"]["count"] == len(expected)
    for text, expected in EXPECTED.items():
        for surface, links in selected[text].items():
            assert links == expected, (text, surface)


def test_the_web_opens_a_heading_whose_name_holds_an_arrow(
    topic_library: tuple[Path, str],
) -> None:
    home, _ = topic_library
    with web_client(home) as client:
        tree = client.get("/api/topics").json()["topics"]
        arrow = next(node for node in tree if node["name"] == "A>B")
        page = client.get("/topics", params={"topic": arrow["topic"]})
        assert page.status_code == 200
        assert "2 links at or under this heading" in page.text
        assert 'class="on" aria-current="true">A&gt;B</a>' in page.text
        assert "› 工具" in page.text  # where the deeper link sits
        deeper = client.get("/topics", params={"topic": "参考"})  # no path from the top
        assert deeper.status_code == 200
        assert "3 links at or under this heading" in deeper.text
        assert client.get("/topics", params={"topic": "Rust"}).status_code == 404


def test_every_heading_of_the_web_tree_opens_itself_and_is_the_one_marked(
    topic_library: tuple[Path, str],
) -> None:
    home, _ = topic_library
    with web_client(home) as client:
        tree = client.get("/api/topics").json()["topics"]
        nodes = list(_walk(tree))
        assert {"C/C++", "C > C++", "A>B", "A > B", "A>B > 工具"} <= {
            topics.label(node["path"]) for node in nodes
        }
        for node in nodes:
            opened = client.get("/api/topics", params={"topic": node["topic"]}).json()
            assert opened["topic"]["path"] == node["path"], node["topic"]
            page = client.get("/topics", params={"topic": node["topic"]}).text
            assert page.count('class="on" aria-current="true"') == 1, node["topic"]
            marked = f'class="on" aria-current="true">{html.escape(node["name"])}</a>'
            assert marked in page, node["topic"]
        browsed = client.get("/", params={"topic": "C > C++"}).text
        assert browsed.count('class="on" aria-current="true"') == 1
        assert 'class="on" aria-current="true">C++</a>' in browsed


def _walk(nodes: list[dict[str, Any]]) -> Any:
    for node in nodes:
        yield node
        yield from _walk(node["children"])


def test_a_heading_gone_from_the_notes_names_no_topic_in_search(
    topic_library: tuple[Path, str], runner: CliRunner, tmp_path: Path
) -> None:
    home, base = topic_library
    note = tmp_path / "notes" / "2024-1-1-topics.md"
    note.write_text(note.read_text(encoding="utf-8").replace("# C/C++", "# 语言 C"), "utf-8")
    result = runner.invoke(app, ["import", str(note.parent), "--home", str(home)])
    assert result.exit_code == 0, result.output
    # the index may still count the links it dropped; the heading's name must not count
    for text in ("C/C++", "c／c＋＋"):
        option = runner.invoke(app, ["search", "", "--topic", text, "--json"])
        assert option.exit_code == 0, option.output
        found = _paths([h["url"] for h in json.loads(option.output)["hits"]], base)
        exported = runner.invoke(app, ["export", "--topic", text, "--format", "json"])
        assert found == _paths([r["url"] for r in json.loads(exported.output)], base) == {"/i"}


def _fold(name: str) -> str:
    """The test's own folding (not the topics module's): full-width and case."""
    return unicodedata.normalize("NFKC", name).casefold().strip()


def _under(run: tuple[str, ...], path: list[str]) -> bool:
    """Whether ``run`` stands in a row somewhere in ``path`` (headings compared folded)."""
    wanted, names = [_fold(n) for n in run], [_fold(n) for n in path]
    return any(names[at : at + len(wanted)] == wanted for at in range(len(names)))


def _topic_hrefs(page: str) -> set[str]:
    """The addresses of a page's links (and its forms' targets) that name a topic."""
    found = {html.unescape(href) for href in re.findall(r'href="([^"]*)"', page)}
    return {href for href in found if "topic" in parse_qs(urlsplit(href).query)}


def test_every_topic_link_the_web_shows_opens_the_links_under_its_heading(
    topic_library: tuple[Path, str], runner: CliRunner
) -> None:
    """Walk every page the UI links a topic from; each link lists exactly the links placed
    under the heading it was drawn for, whatever ``>`` or ``/`` its names hold."""
    from linkindex.store import Store

    home, _ = topic_library
    crawl = runner.invoke(app, ["crawl", "--all", "--home", str(home)])
    assert crawl.exit_code == 0, crawl.output  # page text, for a search with words
    with Store(home, create=False) as store:
        placed = [(link_id, path) for link_id, _, _, path in store.link_topic_rows() if path]
    # every heading path of the library, by the label its links carry
    runs = {tuple(path[:end]) for _, path in placed for end in range(1, len(path) + 1)}
    labels = {topics.label(run): run for run in runs}
    assert len(labels) == len(runs) and {"C/C++", "C > C++", "A>B", "A > B"} <= set(labels)
    with web_client(home) as client:
        pages = ["/topics", "/", "/?q=checkpointing"]
        pages += [f"/link/{link_id}" for link_id in sorted({i for i, _ in placed})]
        todo = set().union(*(_topic_hrefs(client.get(page).text) for page in pages))
        opened: set[str] = set()
        while todo:
            href = todo.pop()
            opened.add(href)
            address = urlsplit(href)
            params = {name: values[0] for name, values in parse_qs(address.query).items()}
            run = labels[params["topic"]]  # every link names a heading path by its label
            expected = {link_id for link_id, path in placed if _under(run, path)}
            if address.path == "/api/export":
                if params["format"] != "json":
                    continue
                found = client.get(address.path, params=params)
                assert found.status_code == 200, href
                shown = {record["id"] for record in found.json()}
            else:
                found = client.get(href)
                assert found.status_code == 200, href
                listed = re.findall(r'class="title" href="/link/(\d+)"', found.text)
                shown = {int(link_id) for link_id in listed}
                todo |= _topic_hrefs(found.text) - opened
            assert shown == expected, (href, run)
    kinds = {urlsplit(href).path for href in opened}
    assert kinds == {"/topics", "/", "/api/export"}
    assert len(opened) > 3 * len(labels)


def test_a_suggestion_to_drop_a_topic_shows_it_as_typed(
    topic_library: tuple[Path, str], runner: CliRunner
) -> None:
    # its key holds private-use stand-ins for the heading's own "/": never shown
    result = runner.invoke(app, ["search", '语言下面 topic:"c／c＋＋"'])
    assert result.exit_code == 1
    assert 'try: without topic:"c／c＋＋"' in result.output
