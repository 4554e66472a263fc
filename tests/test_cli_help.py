"""Every command has --help with an example, and the README documents every command."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from children import run_python
from linkindex.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_the_expected_commands_exist() -> None:
    assert set(COMMANDS) >= {
        "import", "topics", "stats", "crawl", "show", "search", "related", "index",
        "doctor", "update", "due", "schedule", "report", "export", "serve",
    }  # fmt: skip


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_has_an_example(runner: CliRunner, name: str) -> None:
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert f"linkindex {name}" in result.output
    assert "--home" in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_readme_documents_the_command(name: str) -> None:
    assert f"### `linkindex {name}" in README or f"`linkindex {name}`" in README
    assert f"$ linkindex {name}" in README


def test_version_is_the_installed_one(runner: CliRunner) -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"linkindex {version('linkindex')}\n"


def test_no_command_shows_help(runner: CliRunner) -> None:
    result = runner.invoke(app, [])
    assert "import" in result.output and "search" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bogus"], "error: No such command 'bogus'; see `linkindex --help`"),
        (["serach", "x"], "error: No such command 'serach'. Did you mean 'search'?; see"),
        (["status"], "error: No such command 'status'. Did you mean 'stats'?; see"),
        (["due", "--limit", "-1"], "error: Invalid value for '--limit'"),
        (["search", "--nope", "x"], "error: No such option"),
        (["search", "-显存", "优化"], "error: No such option '-显'; a query with a -word to"),
        (["search", "pytorch", "-tensorflow"], "error: No such option '-t'; a query with a -word"),
        (["export", "-x"], "error: No such option '-x'; see `linkindex export --help`"),
        (
            ["search", "x", "--limit"],
            "error: Option '--limit' requires an argument; see `linkindex search --help`",
        ),
        (
            ["export", "--format"],
            "error: Option '--format' requires an argument; see `linkindex export --help`",
        ),
        (["--home"], "error: Option '--home' requires an argument; see `linkindex --help`"),
    ],
)
def test_a_bad_command_line_is_one_line_and_exit_1(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert len(result.stderr.splitlines()) == 1


def test_home_before_the_command(runner: CliRunner, tmp_path: Path, sample_notes: Path) -> None:
    library = tmp_path / "lib"
    note = str(sample_notes / "2018-3-1-DL_framework.markdown")
    assert runner.invoke(app, ["--home", str(library), "import", note]).exit_code == 0
    stats = runner.invoke(app, ["--home", str(library), "stats", "--json"])
    assert stats.exit_code == 0, stats.output
    assert '"links": 92' in stats.stdout
    # The global option is per run: the next command without it does not inherit it.
    assert runner.invoke(app, ["stats", "--home", str(tmp_path / "empty")]).exit_code == 1


def test_each_command_is_registered_by_the_module_the_cli_loads_for_it() -> None:
    from linkindex import cli

    registered = {info.name: info.callback.__module__ for info in app.registered_commands}
    assert registered == {name: f"linkindex.cli.{module}" for name, module in cli.COMMANDS.items()}


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["search", "显存"], "search"),
        (["--home", "/tmp/x", "search", "--help"], "search"),
        (["--help"], None),
        ([], None),
        (["bogus", "search"], None),
    ],
)
def test_the_command_a_command_line_runs(args: list[str], name: str | None) -> None:
    from linkindex import cli

    assert cli.named_command(args) == name


def test_a_run_of_one_command_loads_only_its_module() -> None:

    script = (
        "import sys\n"
        "sys.argv = ['linkindex', 'search', '--help']\n"
        "from linkindex.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('linkindex.cli'))),"
        " file=sys.stderr)\n"
    )
    done = run_python(script)
    assert "linkindex search" in done.stdout
    # hits, quick and running: the search command's own parts, and how every command runs
    assert done.stderr.split() == [
        "linkindex.cli",
        "linkindex.cli.common",
        "linkindex.cli.hits",
        "linkindex.cli.quick",
        "linkindex.cli.running",
        "linkindex.cli.searching",
    ]
