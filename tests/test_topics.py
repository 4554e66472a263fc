"""The one topic rule: its parts, and every command and page that takes a topic agreeing."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from crawl_servers import LOCAL_CONFIG, fixture
from linkindex import topics
from linkindex.cli import app

# -- the rule ------------------------------------------------------------------------------


def test_a_topic_is_folded_and_split_at_either_separator() -> None:
    assert topics.key(" Pytorch > 参考 ") == "pytorch/参考"
    assert topics.key("pytorch/参考") == topics.key("ＰｙＴｏｒｃｈ／参考") == "pytorch/参考"
    assert topics.key("ＰｙＴｏｒｃｈ＞参考") == "pytorch/参考"
    assert topics.key(" > / ") == ""
    assert topics.parse("Pytorch>参考 / ") == ("Pytorch", "参考")
    assert topics.label(("Pytorch", "参考")) == "Pytorch > 参考"


def test_a_run_of_headings_at_any_level() -> None:
    assert topics.matches("Pytorch/参考", ("Pytorch", "参考"))
    assert topics.matches("Pytorch > 参考", ["NN中间语言", "PyTorch", "参考", "显存"])
    assert not topics.matches("Pytorch > 参考", ["Pytorch", "项目", "参考"])
    assert topics.matches("onnx", ["NN中间语言", "ＯＮＮＸ"])
    assert not topics.matches("", ["Pytorch"])
    assert not topics.matches("Py", ["Pytorch"])  # whole headings, not prefixes


def test_a_heading_whose_name_holds_a_separator_stays_reachable() -> None:
    assert topics.matches("C/C++", ["语言", "C/C++"])
    assert topics.matches("A>B", ["A>B", "工具"])
    assert topics.matches("A>B > 工具", ["A>B", "工具"])
    assert not topics.matches("C", ["C/C++"])  # a piece of a name is no heading
    assert not topics.matches("B > 工具", ["A>B", "工具"])


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
    assert topics.path_keys([["C/C++", " "]]) == ["c/c++"]
    for text in ("Pytorch", "nn中间语言 > ONNX", "tools", "A/B"):
        for path in (["Pytorch", "参考"], ["NN中间语言", "ONNX", "Tools"], ["A/B"]):
            assert topics.matches(text, path) == (topics.key(text) in topics.path_keys([path]))


def test_what_lies_below_a_topic() -> None:
    assert topics.below("Pytorch", ["框架", "PyTorch", "参考", "显存"]) == ("参考", "显存")
    assert topics.below("框架 > pytorch", ["框架", "PyTorch"]) == ()
    assert topics.below("A>B", ["X", "A>B", "c"]) == ("c",)
    assert topics.below("参考", ["Pytorch", "项目"]) is None


def test_the_tree_counts_distinct_links_and_finds_a_path() -> None:
    roots = topics.tree(
        [(1, ["Pytorch", "参考"]), (2, ["Pytorch"]), (1, ["Pytorch", "教程"]), (3, ["ONNX"])]
    )
    assert [(n.name, n.links, n.own) for n in roots] == [("Pytorch", 2, 1), ("ONNX", 1, 1)]
    assert [c.label for c in roots[0].children] == ["Pytorch > 参考", "Pytorch > 教程"]
    found = topics.find(roots, "pytorch／教程")
    assert found is not None and found.path == ("Pytorch", "教程")
    assert topics.find(roots, "参考") is None  # no heading's whole path


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
"""


#: A topic as typed -> the links (by path) it selects.
EXPECTED = {
    "Pytorch": {"/a", "/b", "/c", "/d"},
    "pytorch/参考": {"/b", "/d"},
    "Pytorch > 参考": {"/b", "/d"},
    "ＰＹＴＯＲＣＨ＞参考": {"/b", "/d"},
    "参考": {"/b", "/c", "/d"},
    "框架 > PyTorch": {"/d"},
    "C/C++": {"/e"},
    "A>B": {"/f", "/g"},
    "A>B > 工具": {"/g"},
    "onnx": {"/h"},
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
