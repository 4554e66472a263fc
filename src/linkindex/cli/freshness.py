"""Commands: ``update``, ``due``, ``schedule``, ``report`` (keeping the library fresh)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from linkindex.cli.common import (
    HomeOption,
    JsonOption,
    command,
    links_kept,
    load_settings,
    notes_kept,
)
from linkindex.cli.running import echo_json, interrupted, is_tty, open_store, resolve_home, say
from linkindex.errors import UserError

if TYPE_CHECKING:
    from linkindex.crawl import CrawlProgress
    from linkindex.update import UpdateSummary


@command("update", kept="the stages done before the stop are kept")
def update_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Notes to import (default: every path imported before).", show_default=False
        ),
    ] = None,
    home: HomeOption = None,
    json_output: JsonOption = False,
) -> None:
    """Re-import the notes, crawl what is due, refresh the index, write a report.

    The one command a scheduler runs (see `linkindex schedule`). It never asks
    anything; while another linkindex writes to the library it exits at once (code 1).
    Dead links are news, not failures: it exits non-zero only when it could not run.
    The report lands in HOME/reports/latest.md.

    Example:

        linkindex update ~/blog/_posts
    """
    from linkindex.update import update

    library = resolve_home(home)
    progress = _progress_printer() if is_tty() and not json_output else None
    summary = update(library, paths=paths or None, progress=progress)
    if progress is not None:
        say("", err=True)
    if json_output:
        echo_json(summary.to_dict())
    else:
        for line in _summary_lines(summary):
            say(line)
    if summary.status == "interrupted":
        interrupted(_kept(summary))


def _kept(summary: UpdateSummary) -> str:
    """What a stopped update keeps: as far as the stage it stopped in got."""
    imported, crawled = summary.imported, summary.crawled
    if imported.get("interrupted"):
        return notes_kept(imported)
    if crawled.get("interrupted"):
        return f"the notes imported and {links_kept(crawled['done'], crawled['total'])}"
    if not imported:
        return "the notes imported before the stop are kept"
    if not crawled:
        return "the notes imported are kept"
    return "the notes imported and the links crawled are kept"


def _progress_printer() -> Callable[[CrawlProgress], None]:
    def show(progress: CrawlProgress) -> None:
        sys.stderr.write(
            f"\rcrawl {progress.done}/{progress.total} ({progress.rate:.1f}/s) {progress.site:8}"
        )
        sys.stderr.flush()

    return show


def _summary_lines(summary: UpdateSummary) -> list[str]:
    imported = summary.imported
    crawled = summary.crawled
    counts = crawled.get("counts", {})
    outcomes = ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "none"
    events = summary.events
    lines = [
        f"run {summary.run_id}: {summary.status}",
        f"import: {imported.get('notes_read', 0)} notes read, "
        f"{imported.get('notes_unchanged', 0)} unchanged, {events.get('new', 0)} new links, "
        f"{events.get('removed', 0)} removed",
        f"crawl: {crawled.get('done', 0)} fetched ({outcomes}), "
        f"{crawled.get('deferred', 0)} waiting for cooling hosts",
        f"index: {summary.indexed} documents written",
        "changes: "
        + ", ".join(
            f"{events.get(kind, 0)} {kind}"
            for kind in ("dead", "archived", "recovered", "changed", "blocked", "error")
        ),
        f"report: {summary.report_path}",
    ]
    return lines


@command("due")
def due_command(
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="List at most this many links.")
    ] = 50,
    home: HomeOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show what the next `linkindex update` will fetch, and why.

    Reasons: new (never fetched), refresh (per-site interval, longer while
    a page stays unchanged), retry after a failure (back-off), dead confirmation (a dead
    link is checked again before it counts as gone). Links of hosts that are cooling
    down after blocking us wait and are counted separately.

    Example:

        linkindex due --limit 20
    """
    from linkindex.update import due_plan

    with open_store(home) as store:
        plan = due_plan(store, load_settings(home), limit=limit)
    if json_output:
        echo_json(plan.to_dict())
        return
    say(f"{plan.total} links due now")
    for item in plan.items:
        say(f"{item.site:8} {item.reason:56} {item.url}")
    if plan.total > len(plan.items):
        say(f"… and {plan.total - len(plan.items)} more (--limit)")
    for host, info in sorted(plan.waiting_hosts.items()):
        say(f"waiting: {host} is cooling down until {info['until']} ({info['links']} links)")


@command("schedule")
def schedule_command(
    every: Annotated[str, typer.Option("--every", help="How often: 30m, 6h, 1d, 2d, 1w.")] = "1d",
    at: Annotated[
        str, typer.Option("--at", help="Time of day (HH:MM) for daily and weekly runs.")
    ] = "03:30",
    install: Annotated[
        bool, typer.Option("--install", help="Put the line in your crontab (idempotent).")
    ] = False,
    home: HomeOption = None,
) -> None:
    """Print a crontab line and a systemd user timer that run `linkindex update`.

    With --install the crontab entry is installed through `crontab -l` / `crontab -`;
    running it again replaces the entry instead of adding a second one.

    Example:

        linkindex schedule --every 1d --at 04:15 --install
    """
    from linkindex.update import crontab_line, install_crontab, parse_every, systemd_units

    library = resolve_home(home)
    interval = parse_every(every)
    hour, minute = _clock_time(at)
    line = crontab_line(interval, library, sys.executable, hour=hour, minute=minute)
    if install:
        open_store(library).close()  # a timer for a library that is not there fails every night
        changed = install_crontab(line, library)
        say(("installed in crontab: " if changed else "already in crontab: ") + line)
        return
    say("# crontab (add with `crontab -e`, or run this command with --install):")
    say(line)
    say("")
    units = systemd_units(interval, library, sys.executable, hour=hour, minute=minute)
    for name, text in units.items():
        say(f"# ~/.config/systemd/user/{name}")
        say(text)
    say(
        "# then: systemctl --user daemon-reload && "
        "systemctl --user enable --now linkindex-update.timer"
    )


def _clock_time(text: str) -> tuple[int, int]:
    try:
        hour_text, minute_text = text.strip().split(":")
        hour, minute = int(hour_text), int(minute_text)
    except ValueError:
        raise UserError(f"cannot read --at {text!r}; use HH:MM such as 03:30") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise UserError(f"--at {text}: not a time of day; use HH:MM such as 03:30")
    return hour, minute


@command("report")
def report_command(
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Everything since: 7d, 24h, 2w or a date (default: the latest update)."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md or json.")] = "md",
    run: Annotated[int | None, typer.Option("--run", help="The report of one run (by id).")] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="At most this many links per section.")
    ] = 200,
    home: HomeOption = None,
) -> None:
    """Show what updates changed: new links, newly dead, recovered, changed, blocked, errors.

    Without options: the latest update (also kept in HOME/reports/latest.md).

    Example:

        linkindex report --since 7d
    """
    from linkindex.models import utc_now
    from linkindex.report import build_report, parse_since, render_markdown, report_json

    if fmt not in ("md", "json"):
        raise UserError(f"unknown report format {fmt!r}; choose md or json")
    start = parse_since(since, now=utc_now()) if since else None
    with open_store(home) as store:
        report = build_report(store, since=start, run_id=run, limit=limit)
    if fmt == "json":
        echo_json(report_json(report))
    else:
        say(render_markdown(report), nl=False)
