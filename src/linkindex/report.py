"""Reports: what the updates changed (new links, newly dead, recovered, changed, blocked, errors).

``build_report`` gathers the events of one run or of a period from the store;
``render_markdown`` / ``report_json`` present them; ``write_latest`` keeps the latest
update's report as ``HOME/reports/latest.md`` (written atomically) for people to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkindex.errors import UserError
from linkindex.models import Clock, from_iso, to_iso, utc_now

if TYPE_CHECKING:
    from linkindex.store import Store

#: Report sections: event kind -> heading, in the order a reader wants them.
SECTIONS: dict[str, str] = {
    "dead": "Newly dead",
    "archived": "Recovered from an archive",
    "recovered": "Back online",
    "changed": "Changed content",
    "blocked": "Blocked",
    "error": "Errors",
    "new": "New links",
    "removed": "Removed from the notes",
}

#: Each section lists at most this many links by default (counts are always complete).
DEFAULT_LIMIT = 200

REPORTS_DIR = "reports"
LATEST_NAME = "latest.md"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(slots=True)
class ReportItem:
    """One event, with the link it is about."""

    kind: str
    at: str
    link_id: int | None
    url: str
    title: str
    site: str
    status: str
    detail: str = ""
    archive_url: str | None = None


@dataclass(slots=True)
class Report:
    """The events of one run or a period, grouped by kind."""

    since: str | None
    until: str
    runs: list[dict[str, Any]]
    counts: dict[str, int]
    sections: dict[str, list[ReportItem]] = field(default_factory=dict)
    blocked_hosts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        """Nothing happened worth reading."""
        return not any(self.counts.values())


def parse_since(text: str, *, now: datetime) -> datetime:
    """``7d``, ``12h``, ``30m``, ``2w`` back from ``now``, or an ISO date/time."""
    match = _DURATION.match(text)
    if match:
        amount, unit = float(match.group(1)), match.group(2)
        return now - timedelta(**{_UNITS[unit]: amount})
    try:
        return from_iso(text.strip())
    except ValueError:
        raise UserError(
            f"cannot read --since {text!r}; use a duration such as 7d, 12h, 2w or a date "
            "such as 2026-11-01"
        ) from None


def build_report(
    store: Store,
    *,
    since: datetime | None = None,
    run_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
    clock: Clock = utc_now,
) -> Report:
    """The report of one run (``run_id``), of everything since ``since``, or else of the
    latest update run.

    Args:
        limit: at most this many links listed per section (``counts`` stay complete).
    """
    until = to_iso(clock())
    if run_id is None and since is None:
        latest = store.latest_run("update")
        run_id = latest["id"] if latest else None
        if run_id is None:
            return Report(since=None, until=until, runs=[], counts={})
    if run_id is not None:
        run = store.run(run_id)
        if run is None:
            raise UserError(f"there is no run {run_id}")
        runs, run_ids = [run], [run_id]
        start: str | None = run["started_at"]
    else:
        assert since is not None
        start = to_iso(since)
        runs, run_ids = store.runs(since=start), None
    scope: dict[str, Any] = {"run_ids": run_ids} if run_ids else {"since": start}
    counts = {kind: 0 for kind in SECTIONS}
    counts.update(store.event_counts(**scope))
    report = Report(since=start, until=until, runs=runs, counts=counts)
    for kind in SECTIONS:
        events = store.events(kinds=[kind], limit=limit, **scope) if counts[kind] else []
        report.sections[kind] = _items(store, events)
    report.blocked_hosts = _blocked_hosts(store, report.sections.get("blocked", []))
    return report


def _items(store: Store, events: list[dict[str, Any]]) -> list[ReportItem]:
    ids = [e["link_id"] for e in events if e["link_id"] is not None]
    titles = {record.id: record.title for record in store.link_records(dict.fromkeys(ids))}
    return [
        ReportItem(
            kind=e["kind"],
            at=e["at"],
            link_id=e["link_id"],
            url=e["url"] or "",
            title=titles.get(e["link_id"], e["url"] or ""),
            site=e["site"] or "",
            status=e["status"] or "",
            detail=e["detail"] or "",
            archive_url=e["archive_url"],
        )
        for e in events
    ]


def _blocked_hosts(store: Store, blocked: list[ReportItem]) -> list[dict[str, Any]]:
    """Hosts that blocked links in the report, with their cooldown state."""
    links: dict[str, int] = {}
    for item in blocked:
        host = _host(item.url)
        links[host] = links.get(host, 0) + 1
    known = {row["host"]: row for row in store.hosts()}
    return [
        {
            "host": host,
            "links": count,
            "cooldown_until": known.get(host, {}).get("cooldown_until"),
            "reason": known.get(host, {}).get("reason", ""),
        }
        for host, count in sorted(links.items(), key=lambda pair: (-pair[1], pair[0]))
    ]


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "").lower()


def report_json(report: Report) -> dict[str, Any]:
    """The report as plain JSON data (``linkindex report --format json``)."""
    return {
        "since": report.since,
        "until": report.until,
        "runs": report.runs,
        "counts": report.counts,
        "blocked_hosts": report.blocked_hosts,
        **{
            kind: [
                {
                    "link_id": item.link_id,
                    "url": item.url,
                    "title": item.title,
                    "site": item.site,
                    "status": item.status,
                    "at": item.at,
                    "detail": item.detail,
                    "archive_url": item.archive_url,
                }
                for item in items
            ]
            for kind, items in report.sections.items()
        },
    }


def render_markdown(report: Report) -> str:
    """The report as Markdown for people: a summary line, then one section per kind."""
    from linkindex.export.markdown import escape, link, link_target

    lines = ["# linkindex report", ""]
    if report.runs:
        lines.append(_runs_line(report.runs))
    elif report.since:
        lines.append(f"Since {report.since}: no runs.")
    else:
        lines.append("No update has run yet: `linkindex update` makes the first report.")
        return "\n".join(lines) + "\n"
    lines.append("")
    summary = ", ".join(f"{SECTIONS[kind]}: {report.counts.get(kind, 0)}" for kind in SECTIONS)
    lines += [summary + ".", ""]
    if report.quiet and report.runs:
        lines += ["Nothing changed.", ""]
    for kind, heading in SECTIONS.items():
        items = report.sections.get(kind, [])
        total = report.counts.get(kind, 0)
        if not total:
            continue
        lines += [f"## {heading} ({total})", ""]
        if kind == "blocked" and report.blocked_hosts:
            for host in report.blocked_hosts:
                rest = f", resting until {host['cooldown_until']}" if host["cooldown_until"] else ""
                lines.append(f"- host {escape(host['host'])}: {host['links']} links{rest}")
            lines.append("")
        for item in items:
            line = f"- {link(item.title, item.url)} — {item.site}"
            if item.detail:
                line += f": {escape(item.detail)}"
            if kind in ("dead", "archived") and item.archive_url:
                line += f" · [archive]({link_target(item.archive_url)})"
            lines.append(line)
        if total > len(items):
            lines.append(f"- … and {total - len(items)} more (`linkindex report --format json`)")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _runs_line(runs: list[dict[str, Any]]) -> str:
    if len(runs) == 1:
        run = runs[0]
        finished = run.get("finished_at") or "not finished"
        line = (
            f"Run {run['id']} ({run['kind']}): {run['started_at']} → {finished}, {run['status']}."
        )
        error = (run.get("summary") or {}).get("error")
        return f"{line} Error: {error}" if error else line
    statuses: dict[str, int] = {}
    for run in runs:
        statuses[run["status"]] = statuses.get(run["status"], 0) + 1
    detail = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    return f"{len(runs)} runs from {runs[0]['started_at']} to {runs[-1]['started_at']} ({detail})."


def latest_path(home: Path) -> Path:
    """Where the latest update's report is kept."""
    return home / REPORTS_DIR / LATEST_NAME


def write_latest(store: Store, home: Path, run_id: int, *, clock: Clock = utc_now) -> Path:
    """Write the report of ``run_id`` to ``HOME/reports/latest.md`` atomically; returns it."""
    from linkindex.export import write_atomic

    path = latest_path(home)
    write_atomic(path, render_markdown(build_report(store, run_id=run_id, clock=clock)).encode())
    return path
