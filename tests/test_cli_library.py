"""`linkindex import`, `topics` and `stats` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linkindex.cli import app
from linkindex.store import LibraryLock


def test_import_prints_a_summary(home: Path, runner: CliRunner, sample_notes: Path) -> None:
    result = runner.invoke(app, ["import", str(sample_notes)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "notes: 7 read, 0 unchanged, 0 failed, 0 removed",
        "links: 391 new, 0 updated, 0 removed, 0 restored (393 placements written)",
        "index: 391 links written",
    ]
    again = runner.invoke(app, ["import", str(sample_notes)])
    assert again.stdout.splitlines()[0] == "notes: 0 read, 7 unchanged, 0 failed, 0 removed"
    assert again.stdout.splitlines()[-1] == "index: 0 links written"


def test_import_keeps_the_search_index_current(
    home: Path, runner: CliRunner, sample_notes: Path
) -> None:
    runner.invoke(app, ["import", str(sample_notes)])
    found = runner.invoke(app, ["search", "显存优化", "--json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)["hits"][0]["url"] == (
        "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA"
    )


def test_import_json(home: Path, runner: CliRunner, sample_notes: Path) -> None:
    result = runner.invoke(app, ["import", "--json", str(sample_notes)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["notes_read"] == 7
    assert data["links_new"] == 391
    assert data["skipped"] == {}
    assert data["roots"] == [str(sample_notes.resolve())]


def test_home_option_beats_the_environment(
    home: Path, runner: CliRunner, sample_notes: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other-home"
    note = sample_notes / "2018-3-1-DL_framework.markdown"
    assert runner.invoke(app, ["import", "--home", str(other), str(note)]).exit_code == 0
    stats = runner.invoke(app, ["stats", "--json", "--home", str(other)])
    assert json.loads(stats.stdout)["links"] == 92
    assert not (home / "linkindex.db").exists()
    topics = runner.invoke(app, ["topics", "--home", str(other), "--depth", "1"])
    assert topics.stdout.splitlines() == [
        "Pytorch  49",
        "PaddlePaddle  11",
        "MXNet  14",
        "NN中间语言  11",
        "DL参考资源  7",
    ]


def test_import_missing_path(home: Path, runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "nope does not exist" in result.stderr
    assert not (home / "linkindex.db").exists()


def test_import_folder_without_notes(home: Path, runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["import", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "no Markdown notes" in result.stderr


def test_import_without_paths_is_a_usage_error(home: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["import"])
    assert result.exit_code == 1
    assert result.stderr == "error: Missing argument 'PATH'; see `linkindex import --help`\n"


def test_import_warns_about_bad_files_and_imports_the_rest(
    home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "gbk.md").write_bytes("# 参考\n\nhttps://gbk.example/\n\n中文标题\n".encode("gbk"))
    (folder / "binary.md").write_bytes(b"\x00\x01\x02binary")
    (folder / "dangling.md").symlink_to(folder / "gone.md")
    (folder / "ok.md").write_text(
        "[mail](mailto:a@b.c) <https://ok.example/>\n\n[x](javascript:void(0))\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["import", str(folder)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "notes: 2 read, 0 unchanged, 2 failed, 0 removed",
        "links: 2 new, 0 updated, 0 removed, 0 restored (2 placements written)",
        "skipped links: javascript 1, mailto 1",
        "index: 2 links written",
    ]
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2
    assert warnings[0].startswith("warning: skipped ") and "binary.md" in warnings[0]
    assert "dangling.md" in warnings[1] and "cannot read" in warnings[1]
    topics = runner.invoke(app, ["topics", "--json"])
    assert json.loads(topics.stdout)[0]["name"] == "参考"


def test_odd_notes_lose_nothing_and_show_prints_no_escapes(
    home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    note = tmp_path / "odd.md"
    deep = "".join("  " * i + f"- 层{i}\n" for i in range(60))
    note.write_text(
        f"# 开头\n\n{deep}\n# 后面\n\n"
        "https://bücher.de/x\n\n德语\x1b[2J书店\x07\n\n"
        "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA?\n显存不足？PyTorch显存使用分析与优化\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", str(note)])
    assert result.exit_code == 0, result.output
    assert "links: 2 new" in result.stdout
    assert result.stderr.splitlines() == [
        f"warning: {note} line 52: nested too deep for Markdown (50 lists or 100 quotes); "
        "read as plain lines"
    ]
    shown = runner.invoke(app, ["show", "https://bücher.de/x"])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[0] == "https://bücher.de/x"  # shown as written
    assert "  canonical:  https://xn--bcher-kva.de/x" in lines  # stored as IDNA
    assert "    德语书店" in lines
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    wechat = runner.invoke(app, ["show", "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA"])
    assert "    显存不足？PyTorch显存使用分析与优化" in wechat.stdout.splitlines()


def test_import_of_nothing_but_bad_files_exits_1(
    home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "logo.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = runner.invoke(app, ["import", str(tmp_path / "logo.md")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"warning: skipped {tmp_path / 'logo.md'}: it looks like a binary file, not Markdown",
        "error: none of the 1 note files could be imported (see the warnings above); "
        "convert them to UTF-8 Markdown, or name other files",
    ]


def test_import_while_locked(home: Path, runner: CliRunner, sample_notes: Path) -> None:
    with LibraryLock(home):
        result = runner.invoke(app, ["import", str(sample_notes)])
    assert result.exit_code == 1
    assert "another linkindex" in result.stderr


@pytest.mark.parametrize("command", [["topics"], ["stats"], ["topics", "--json"]])
def test_empty_library_says_how_to_fill_it(
    home: Path, runner: CliRunner, command: list[str]
) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 1
    assert "linkindex import NOTES_DIR" in result.stderr


def test_library_whose_notes_all_vanished_is_empty(
    home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("https://a.example/\n", encoding="utf-8")
    assert runner.invoke(app, ["import", str(folder)]).exit_code == 0
    (folder / "a.md").unlink()
    result = runner.invoke(app, ["import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "1 removed" in result.stdout.splitlines()[0]
    assert runner.invoke(app, ["stats"]).exit_code == 1


def test_topics_tree(home: Path, runner: CliRunner, sample_notes: Path) -> None:
    runner.invoke(app, ["import", str(sample_notes)])
    result = runner.invoke(app, ["topics"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = lines.index("Pytorch  49")
    assert lines[start : start + 4] == ["Pytorch  49", "  概述  5", "  项目  2", "  参考  42"]
    assert "  ONNX  2" in lines
    data = json.loads(runner.invoke(app, ["topics", "--json"]).stdout)
    pytorch = next(node for node in data if node["name"] == "Pytorch")
    assert pytorch["links"] == 49
    assert pytorch["own"] == 0
    assert [child["path"] for child in pytorch["children"]] == [
        ["Pytorch", "概述"],
        ["Pytorch", "项目"],
        ["Pytorch", "参考"],
    ]


def test_stats(home: Path, runner: CliRunner, sample_notes: Path) -> None:
    runner.invoke(app, ["import", str(sample_notes)])
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "notes:       7 (0 removed)",
        "links:       391 (0 removed)",
        "placements:  393",
        "topics:      47",
    ]
    assert lines[4] == "by site:     wechat 249, web 66, csdn 24, zhihu 23, github 19, cnblogs 10"
    assert lines[5] == "by status:   new 391"
    data = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert data["by_site"]["github"] == 19
    assert data["roots"] == [str(sample_notes.resolve())]


@pytest.mark.parametrize("command", ["import", "topics", "stats"])
def test_every_command_has_help_with_an_example(runner: CliRunner, command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout
    assert "--home" in result.stdout
    assert f"linkindex {command}" in result.stdout


def test_stats_counts_a_topic_written_in_two_scripts_once(
    home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    """A heading written in another script, case or width in another note is one topic
    to ``stats`` as to ``topics``: 深度學習 > 強化學習 and 深度学习 > 强化学习 are one."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "cn.md").write_text(
        "# 深度学习\n\n## 强化学习\n\nhttps://zhuanlan.zhihu.com/p/100001\n\n深度强化学习算法综述\n\n"
        "# PyTorch\n\nhttps://github.com/pytorch/pytorch\n\nPyTorch官方仓库\n",
        encoding="utf-8",
    )
    (notes / "tw.md").write_text(
        "# 深度學習\n\n## 強化學習\n\nhttps://www.ithome.com.tw/news/200001\n\n深度強化學習的應用\n\n"
        "# ＰｙＴｏｒｃｈ\n\nhttps://pytorch.org/tutorials/\n\nＰｙＴｏｒｃｈ官方教學\n",
        encoding="utf-8",
    )
    runner.invoke(app, ["import", str(notes)])
    tree = json.loads(runner.invoke(app, ["topics", "--json"]).stdout)
    assert [(node["name"], node["links"]) for node in tree] == [("深度学习", 2), ("PyTorch", 2)]
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert stats["topics"] == 2  # 深度学习 > 强化学习 and PyTorch: the headings with links
