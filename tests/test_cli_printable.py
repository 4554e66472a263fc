"""No command sends a control character or a terminal escape from the library to the terminal.

The library is filled as an import before the cleaning (``printable``) left it: headings,
titles, URLs, note paths, roots, errors and report details still holding ESC, C1
controls (U+009B is CSI too), BEL and noncharacters.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from freshness_library import add_link
from linkindex import indexing
from linkindex.cli import app
from linkindex.store import Store

DIRT = "\x1b[2J\x1b]0;owned\x07\x9b31m\x85\x00\ufffe"
#: What may not reach a terminal: C0 controls but tab and newline, DEL, C1 controls, the
#: noncharacters, lone surrogates.
UNFIT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


@pytest.fixture
def dirty_home(home: Path) -> Path:
    with Store(home) as store:
        first = add_link(
            store,
            "https://dirty.example/a",
            status="dead",
            topic=[f"框架{DIRT}", f"参考{DIRT}"],
            title=f"标题{DIRT}",
            note=f"/notes/笔记{DIRT}.md",
            error=f"HTTP 404 {DIRT}",
            next_fetch_at=None,
        )
        add_link(store, "https://clean.example/b", topic=["其他"], title="干净")
        with store.transaction():
            store.add_import_roots([f"/notes{DIRT}"])
            # the link as the note wrote it, before the cleaning
            store.conn.execute(
                "UPDATE links SET url=? WHERE id=?", (f"https://dirty.example/a{DIRT}", first)
            )
        run = store.start_run("update", "2026-01-02T00:00:00Z")
        store.add_event(run, first, "dead", "2026-01-02T00:00:01Z", f"HTTP 404 {DIRT}")
        store.finish_run(run, "done", {}, "2026-01-02T00:00:02Z")
        indexing.refresh(store, home)
    return home


COMMANDS = [
    ["topics"],
    ["topics", "--json"],
    ["stats"],
    ["stats", "--json"],
    ["due"],
    ["due", "--json"],
    ["report"],
    ["report", "--format", "json"],
    ["show", "https://dirty.example/a"],
    ["search", "标题"],
    ["search", "标题", "--json"],
    ["related", "https://dirty.example/a"],
    ["doctor"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c)[:40])
def test_no_command_prints_an_escape_from_the_library(
    dirty_home: Path, runner: CliRunner, command: list[str]
) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    for stream in (result.stdout, result.stderr):
        assert not UNFIT.search(stream), (command, UNFIT.findall(stream), stream[:400])
    if "--json" in command or "json" in command:
        json.loads(result.stdout)  # still JSON: escaped, not stripped


def test_topics_prints_the_headings_cleaned(dirty_home: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["topics"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["其他  1", "框架31m  1", "  参考31m  1"]


def test_show_prints_the_link_as_written_cleaned(dirty_home: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", "https://dirty.example/a"])
    assert result.stdout.splitlines()[0] == "https://dirty.example/a31m"


def test_json_keeps_the_text_with_its_controls_escaped(dirty_home: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["topics", "--json"])
    names = [node["name"] for node in json.loads(result.stdout)]
    assert names == ["其他", f"框架{DIRT}"]  # the data, unchanged
    assert "\\u009b" in result.stdout and "\\u001b" in result.stdout


#: The bidirectional controls that reorder what follows them on a terminal.
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def bidi_home(home: Path) -> Path:
    with Store(home) as store:
        add_link(
            store,
            "https://bidi.example/a",
            topic=["框架\u2067x\u2069", "参考\u202b"],
            title="标题\u202egpj.exe",
            note="/notes/bidi\u202egpj.md",
            note_title="笔记\u202a",
            description="说明\u2066",
        )
        indexing.refresh(store, home)
    return home


@pytest.mark.parametrize(
    "command",
    [
        ["show", "https://bidi.example/a"],
        ["search", "标题"],
        ["search", "标题", "--json"],
        ["topics"],
        ["topics", "--json"],
        ["related", "https://bidi.example/a"],
    ],
    ids=lambda c: " ".join(c)[:40],
)
def test_no_command_prints_a_bidi_control_raw(
    bidi_home: Path, runner: CliRunner, command: list[str]
) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    for stream in (result.stdout, result.stderr):
        assert not BIDI.search(stream), (command, BIDI.findall(stream), stream[:400])


def test_a_bidi_control_is_shown_escaped(bidi_home: Path, runner: CliRunner) -> None:
    shown = runner.invoke(app, ["show", "https://bidi.example/a"]).stdout
    assert "bidi\\u202egpj.md" in shown and "标题\\u202egpj.exe" in shown
    found = runner.invoke(app, ["search", "标题"]).stdout
    assert "标题\\u202egpj.exe" in found and "bidi\\u202egpj.md" in found
    data = json.loads(runner.invoke(app, ["search", "标题", "--json"]).stdout)
    assert data["hits"][0]["title"] == "标题\u202egpj.exe"  # the data, unchanged
