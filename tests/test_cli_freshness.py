"""`linkindex due`, `schedule` and `report` through the CLI runner."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from freshness_library import add_link
from linkindex.cli import app
from linkindex.models import to_iso
from linkindex.store import Store

NOW = datetime.now(UTC)
PAST = to_iso(NOW - timedelta(hours=1))
FUTURE = to_iso(NOW + timedelta(days=3))


def due_library(home: Path) -> None:
    store = Store(home)
    add_link(store, "https://a.example/new")
    add_link(
        store,
        "https://github.com/a/b",
        site="github",
        status="ok",
        next_fetch_at=PAST,
        fetched_at=to_iso(NOW - timedelta(days=8)),
    )
    add_link(store, "https://b.example/flaky", status="error", next_fetch_at=PAST, fail_count=2)
    add_link(store, "https://c.example/gone", status="dead", next_fetch_at=PAST, dead_count=1)
    add_link(store, "https://d.example/later", status="ok", next_fetch_at=FUTURE)
    add_link(store, "https://e.example/removed", removed=True)
    add_link(store, "https://cool.example/x", status="blocked", next_fetch_at=PAST, fail_count=1)
    store.cool_host("cool.example", until=FUTURE, at=to_iso(NOW), reason="verification page")
    store.close()


def test_due_lists_what_the_next_run_fetches(home: Path, runner: CliRunner) -> None:
    due_library(home)
    result = runner.invoke(app, ["due"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "4 links due now"
    text = result.stdout
    assert "new: never fetched" in text and "https://a.example/new" in text
    assert "refresh: fetched 8 days ago (github every 7 days)" in text
    assert "retry after failure 2 (error, waited 12 hours)" in text
    assert "dead confirmation 2 of 3" in text
    assert "later" not in text and "removed" not in text
    assert lines[-1].startswith("waiting: cool.example is cooling down until")


def test_due_json_and_limit(home: Path, runner: CliRunner) -> None:
    due_library(home)
    result = runner.invoke(app, ["due", "--json", "--limit", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] == 4 and data["waiting"] == 1
    assert len(data["links"]) == 2
    assert data["links"][0] == {
        "link_id": 1,
        "url": "https://a.example/new",
        "site": "web",
        "host": "a.example",
        "status": "new",
        "reason": "new: never fetched",
    }
    assert data["waiting_hosts"]["cool.example"]["links"] == 1


def test_due_on_an_empty_home(home: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["due"])
    assert result.exit_code == 1
    assert "linkindex import" in result.stderr


def test_schedule_prints_cron_and_systemd(home: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["schedule", "--every", "1d"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    cron = next(line for line in text.splitlines() if line.startswith("30 3 * * * "))
    assert "-m linkindex update --home" in cron and str(home) in cron
    assert "[Timer]" in text and "OnCalendar=*-*-* 03:30:00" in text
    assert "ExecStart=" in text and "linkindex-update.timer" in text
    six = runner.invoke(app, ["schedule", "--every", "6h", "--at", "00:05"])
    assert "\n5 */6 * * * " in "\n" + six.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--every", "fortnightly"],
        ["--every", "0d"],
        ["--every", "90m"],
        ["--every", "2w"],
        ["--at", "25:00"],
    ],
)
def test_schedule_bad_input(home: Path, runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, ["schedule", *args])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")


def fake_crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `crontab` first on PATH that keeps the table in a file."""
    table = tmp_path / "crontab.txt"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "crontab"
    script.write_text(
        "#!/bin/sh\n"
        f'TABLE="{table}"\n'
        'if [ "$1" = "-l" ]; then\n'
        '  if [ -f "$TABLE" ]; then cat "$TABLE"; else echo "no crontab" >&2; exit 1; fi\n'
        'elif [ "$1" = "-" ]; then cat > "$TABLE"\n'
        "else exit 2; fi\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return table


def test_schedule_install_is_idempotent(
    home: Path, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = fake_crontab(tmp_path, monkeypatch)
    result = runner.invoke(app, ["schedule", "--every", "1d", "--install"])
    assert result.exit_code == 1  # no library there yet: nothing to update every night
    assert "linkindex import" in result.stderr and not table.exists()
    Store(home).close()
    result = runner.invoke(app, ["schedule", "--every", "1d", "--install"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("installed in crontab: ")
    table.write_text("MAILTO=me\n" + table.read_text())
    again = runner.invoke(app, ["schedule", "--every", "1d", "--install"])
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("already in crontab: ")
    weekly = runner.invoke(app, ["schedule", "--every", "1w", "--install"])
    assert weekly.stdout.startswith("installed in crontab: ")
    lines = table.read_text().splitlines()
    assert lines[0] == "MAILTO=me"
    assert len(lines) == 2 and lines[1].startswith("30 3 * * 0 ")


def test_report_command(home: Path, runner: CliRunner) -> None:
    store = Store(home)
    link = add_link(store, "https://zhuanlan.zhihu.com/p/9", site="zhihu", title="一篇文章")
    run = store.start_run("update", NOW)
    store.add_event(run, link, "dead", NOW, "HTTP 404")
    store.finish_run(run, "done", {}, NOW)
    store.close()
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 0, result.output
    assert "## Newly dead (1)" in result.stdout and "一篇文章" in result.stdout
    as_json = runner.invoke(app, ["report", "--since", "7d", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["dead"][0]["url"] == "https://zhuanlan.zhihu.com/p/9"
    old = runner.invoke(app, ["report", "--since", "2000-01-01", "--format", "json"])
    assert json.loads(old.stdout)["counts"]["dead"] == 1
    for args in (["--since", "soon"], ["--format", "pdf"], ["--run", "99"]):
        bad = runner.invoke(app, ["report", *args])
        assert bad.exit_code == 1, args


@pytest.mark.parametrize("name", ["update", "due", "schedule", "report"])
def test_help_has_an_example(runner: CliRunner, name: str) -> None:
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0
    assert f"linkindex {name}" in result.stdout


def test_update_on_an_empty_home(home: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["update"])
    assert result.exit_code == 1
    assert "linkindex import" in result.stderr


def test_update_while_locked(home: Path, runner: CliRunner) -> None:
    from linkindex.store import LibraryLock

    Store(home).close()
    with LibraryLock(home):
        result = runner.invoke(app, ["update", str(home)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: another linkindex (pid {os.getpid()}) is writing")
