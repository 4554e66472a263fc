"""`linkindex export` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from freshness_library import sample_library
from linkindex.cli import app
from linkindex.store import Store


def make_library(home: Path) -> dict[str, int]:
    store = Store(home)
    ids = sample_library(store)
    store.close()
    return ids


def test_export_json_to_stdout(home: Path, runner: CliRunner) -> None:
    make_library(home)
    result = runner.invoke(app, ["export", "--format", "json", "--home", str(home)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data) == 5
    assert {item["site"] for item in data} == {"wechat", "github", "zhihu", "web"}


def test_export_filters(home: Path, runner: CliRunner) -> None:
    make_library(home)
    result = runner.invoke(app, ["export", "--topic", "Pytorch > 参考", "--status", "dead"])
    assert result.exit_code == 0, result.output
    assert [item["url"] for item in json.loads(result.stdout)] == [
        "https://zhuanlan.zhihu.com/p/1234"
    ]


def test_export_to_file_infers_format(home: Path, runner: CliRunner, tmp_path: Path) -> None:
    make_library(home)
    target = tmp_path / "list.md"
    result = runner.invoke(app, ["export", "-o", str(target), "--title", "Weekly"])
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("# Weekly\n")
    assert "wrote 5 links" in result.stderr
    book = tmp_path / "list.epub"
    result = runner.invoke(app, ["export", "--site", "github", "-f", "epub", "-o", str(book)])
    assert result.exit_code == 0, result.output
    assert book.read_bytes().startswith(b"PK")


def test_export_bad_input(home: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["export", "--format", "json"])
    assert result.exit_code == 1
    assert "linkindex import" in result.stderr
    make_library(home)
    for args in (["--format", "pdf"], ["--site", "gitlab"], ["--status", "gone"]):
        result = runner.invoke(app, ["export", *args])
        assert result.exit_code == 1, args
        assert result.stderr.startswith("error: ")


def test_export_to_a_place_it_cannot_write(home: Path, runner: CliRunner, tmp_path: Path) -> None:
    make_library(home)
    out = tmp_path / "out"
    (out / "folder").mkdir(parents=True)
    (out / "a-file").touch()
    for target in (out / "folder", out / "a-file" / "list.md"):
        result = runner.invoke(app, ["export", "-f", "md", "-o", str(target)])
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith(f"error: cannot write {target}: ")
        assert "another file" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a-file", "folder"]  # no temporary left


def test_export_help_has_an_example(runner: CliRunner) -> None:
    result = runner.invoke(app, ["export", "--help"])
    assert result.exit_code == 0
    assert "linkindex export --topic" in result.stdout
