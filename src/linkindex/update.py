"""The update operation: the one job a scheduler runs.

``update`` takes the library lock (a second update exits at once with LockedError),
re-imports the notes, crawls what is due, brings the search index up to date, and
records it all as a run with events, then writes ``HOME/reports/latest.md``. Every
stage commits as it goes, so a killed update leaves a consistent library and the next
one carries on; the killed run is marked ``interrupted``.

``due_plan`` says what the next update will fetch and why (``linkindex due``).
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkindex.config import Settings, load_settings
from linkindex.errors import EmptyLibraryError, UserError
from linkindex.models import Clock, from_iso, to_iso, utc_now
from linkindex.schedule import due_reason

if TYPE_CHECKING:
    from linkindex.crawl import CrawlProgress
    from linkindex.store import Store


@dataclass(slots=True)
class UpdateSummary:
    """What one update did. ``status`` is ``done``, ``interrupted`` or ``failed``."""

    run_id: int
    status: str
    roots: list[str] = field(default_factory=list)
    imported: dict[str, Any] = field(default_factory=dict)
    crawled: dict[str, Any] = field(default_factory=dict)
    indexed: int = 0
    events: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    report_path: str = ""
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (also stored as the run's summary)."""
        return dataclasses.asdict(self)


def update(
    home: Path,
    *,
    paths: Sequence[Path] | None = None,
    settings: Settings | None = None,
    clock: Clock = utc_now,
    progress: Callable[[CrawlProgress], None] | None = None,
) -> UpdateSummary:
    """Re-import, crawl what is due, refresh the index, record the run, write the report.

    Args:
        home: the library home; the library lock is taken here (LockedError at once if
            another writer holds it).
        paths: notes to import (NotFoundError if one is missing); default: every path
            imported before (EmptyLibraryError if there is no library at ``home``).
        settings: default: ``home/config.toml``.
        clock: the current time (tests pass a fake one).
        progress: called after each fetched link.

    Returns:
        The summary. Ctrl-C (or SIGTERM, which the CLI turns into one) at any stage
        returns ``status="interrupted"``, with what the stages did before it (a stopped
        import or crawl says how far it got); any other failure marks the run ``failed``
        and is raised.
    """
    from linkindex.importer import resolve_paths
    from linkindex.store import LibraryLock, Store

    # A mistyped path or --home fails here, before anything (a library, a lock file) is made.
    roots = resolve_paths(list(paths)) if paths else []
    if not roots:
        Store(home, create=False).close()
    with LibraryLock(home), Store(home, create=bool(roots)) as store:
        return _update(store, home, roots, settings or load_settings(home), clock, progress)


def _update(
    store: Store,
    home: Path,
    paths: list[Path],
    settings: Settings,
    clock: Clock,
    progress: Callable[[CrawlProgress], None] | None,
) -> UpdateSummary:
    from linkindex.report import write_latest

    started = clock()
    store.close_stale_runs(started)  # we hold the lock: any "running" run was killed
    roots = paths or _known_roots(store)
    run_id = store.start_run("update", started)
    summary = UpdateSummary(run_id=run_id, status="running", roots=[str(p) for p in roots])
    try:
        _stages(store, home, settings, clock, progress, summary, roots, started_iso=to_iso(started))
    except KeyboardInterrupt:  # outside the import and the crawl, which stop by themselves
        summary.status = "interrupted"
    except BaseException as exc:
        summary.status, summary.error = "failed", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        summary.events = store.event_counts(run_ids=[run_id])
        if summary.status == "running":
            summary.status = "done"
        store.finish_run(run_id, summary.status, summary.to_dict(), clock())
        summary.report_path = str(write_latest(store, home, run_id, clock=clock))
    return summary


def _stages(
    store: Store,
    home: Path,
    settings: Settings,
    clock: Clock,
    progress: Callable[[CrawlProgress], None] | None,
    summary: UpdateSummary,
    roots: list[Path],
    *,
    started_iso: str,
) -> None:
    from linkindex import importer, indexing

    tick = time.monotonic()
    imported = importer.import_paths(store, roots, clock=clock)
    summary.imported = _plain(imported)
    store.record_import_events(summary.run_id, since=started_iso, at=clock())
    summary.timings["import"] = round(time.monotonic() - tick, 3)
    if imported.interrupted:
        summary.status = "interrupted"
        return

    tick = time.monotonic()
    plan = due_plan(store, settings, clock=clock, limit=0)
    due, waiting = plan.total, plan.waiting
    if due:
        from linkindex.crawl import CrawlSelection, crawl

        crawled = crawl(
            store,
            home,
            settings,
            selection=CrawlSelection(due_only=True, run_id=summary.run_id),
            clock=clock,
            progress=progress,
        )
        summary.crawled = crawled.to_dict()
    else:
        # Nothing to fetch: skip loading the crawler (and its extractors) altogether,
        # which is most of a no-op update's time in a fresh process.
        summary.crawled = {
            "selected": waiting,
            "total": 0,
            "done": 0,
            "deferred": waiting,
            "counts": {},
        }
    summary.timings["crawl"] = round(time.monotonic() - tick, 3)
    if due and crawled.interrupted:
        summary.status = "interrupted"
        summary.indexed = crawled.indexed or 0  # what it fetched was indexed all the same
        return

    tick = time.monotonic()
    if due:  # the crawl brought the index up to date at its end, the import's changes too
        summary.indexed = crawled.indexed or 0
    else:
        summary.indexed = indexing.refresh(store, home)
    summary.timings["index"] = round(time.monotonic() - tick, 3)


def _known_roots(store: Store) -> list[Path]:
    from linkindex import importer

    roots = importer.known_roots(store)
    if not roots:
        raise EmptyLibraryError(
            "no notes to re-import: none were imported yet, or the folders imported before "
            "are gone; run `linkindex update NOTES_DIR`"
        )
    return roots


def _plain(value: Any) -> dict[str, Any]:
    """A summary object as a dict (its ``to_dict`` or its dataclass fields)."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return {}


# -- what the next run fetches ----------------------------------------------------------


@dataclass(slots=True)
class DueItem:
    """A link the next update will fetch, and why."""

    link_id: int
    url: str
    site: str
    host: str
    status: str
    reason: str


@dataclass(slots=True)
class DuePlan:
    """The links due now, and those held back because their host is cooling down."""

    now: str
    total: int
    items: list[DueItem] = field(default_factory=list)
    waiting_hosts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        """Due links held back by host cooldowns."""
        return sum(host["links"] for host in self.waiting_hosts.values())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (``linkindex due --json``)."""
        return {
            "now": self.now,
            "total": self.total,
            "waiting": self.waiting,
            "waiting_hosts": self.waiting_hosts,
            "links": [dataclasses.asdict(item) for item in self.items],
        }


def due_plan(
    store: Store, settings: Settings, *, clock: Clock = utc_now, limit: int | None = None
) -> DuePlan:
    """What the next update will fetch (never-fetched first, then longest overdue)."""
    now = clock()
    now_iso = to_iso(now)
    cooling = store.host_cooldowns(now_iso)
    plan = DuePlan(now=now_iso, total=0)
    for link in store.due_links(now=now_iso):
        if link.host in cooling:
            host = plan.waiting_hosts.setdefault(
                link.host, {"until": cooling[link.host], "links": 0}
            )
            host["links"] += 1
            continue
        plan.total += 1
        if limit is not None and len(plan.items) >= limit:
            continue
        reason = due_reason(
            status=link.status,
            site=link.site,
            fail_count=link.fail_count,
            dead_count=link.dead_count,
            fetched_at=from_iso(link.fetched_at) if link.fetched_at else None,
            now=now,
            settings=settings,
        )
        plan.items.append(DueItem(link.id, link.url, link.site, link.host, link.status, reason))
    return plan


# -- running update on a timer (cron, systemd) ------------------------------------------

#: Marks the crontab line this library installed, so a re-install replaces it.
CRON_MARK = "# linkindex update:"
SYSTEMD_NAME = "linkindex-update"

_EVERY = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")


@dataclass(frozen=True, slots=True)
class Every:
    """A repeat interval as ``--every`` gives it: ``30m``, ``6h``, ``1d``, ``1w``."""

    amount: int
    unit: str  # m, h, d, w

    @property
    def text(self) -> str:
        """The interval as typed: ``1d``."""
        return f"{self.amount}{self.unit}"


def parse_every(text: str) -> Every:
    """``30m``, ``6h``, ``1d``, ``2d``, ``1w`` as an Every; other forms raise UserError."""
    match = _EVERY.match(text)
    if not match or int(match.group(1)) == 0:
        raise UserError(f"cannot read --every {text!r}; use e.g. 30m, 6h, 1d, 2d or 1w")
    every = Every(int(match.group(1)), match.group(2))
    limits = {"m": 59, "h": 23, "d": 31, "w": 1}
    if every.amount > limits[every.unit]:
        advice = {"m": "; count in hours (2h)", "h": "; count in days (2d)"}
        raise UserError(
            f"--every {text}: cron can repeat at most every {limits[every.unit]}{every.unit}"
            + advice.get(every.unit, "")
        )
    return every


def update_command(home: Path, executable: str) -> str:
    """The shell command a timer runs: ``PYTHON -m linkindex update --home HOME``."""
    return f"{shlex.quote(executable)} -m linkindex update --home {shlex.quote(str(home))}"


def crontab_line(
    every: Every, home: Path, executable: str, *, hour: int = 3, minute: int = 30
) -> str:
    """A crontab line running update at this interval; output goes to ``HOME/update.log``."""
    fields = {
        "m": f"*/{every.amount} * * * *",
        "h": f"{minute} */{every.amount} * * *",
        "d": f"{minute} {hour} */{every.amount} * *"
        if every.amount > 1
        else f"{minute} {hour} * * *",
        "w": f"{minute} {hour} * * 0",
    }[every.unit]
    log = shlex.quote(str(home / "update.log"))
    line = f"{fields} {update_command(home, executable)} >> {log} 2>&1 {CRON_MARK}{home}"
    return line.replace("%", "\\%")  # cron turns a bare % into a newline


def with_crontab_line(current: str, line: str, home: Path) -> str:
    """The crontab text with this library's line put in (replacing an older one)."""
    mark = f"{CRON_MARK}{home}".replace("%", "\\%")
    kept = [row for row in current.splitlines() if not row.rstrip().endswith(mark)]
    return "\n".join([*kept, line]) + "\n"


def systemd_units(
    every: Every, home: Path, executable: str, *, hour: int = 3, minute: int = 30
) -> dict[str, str]:
    """A systemd user service and timer running update: file name -> content."""
    calendar = {
        "m": f"*:0/{every.amount}",
        "h": f"*-*-* 0/{every.amount}:{minute:02d}:00",
        "d": f"*-*-{'*' if every.amount == 1 else f'1/{every.amount}'} {hour:02d}:{minute:02d}:00",
        "w": f"Sun *-*-* {hour:02d}:{minute:02d}:00",
    }[every.unit]
    service = (
        "[Unit]\n"
        "Description=linkindex update (re-import notes, re-crawl due links, write a report)\n"
        "Wants=network-online.target\nAfter=network-online.target\n\n"
        "[Service]\nType=oneshot\n"
        f"ExecStart={update_command(home, executable)}\n"
        "Nice=10\n"
    )
    timer = (
        f"[Unit]\nDescription=Run linkindex update every {every.text}\n\n"
        f"[Timer]\nOnCalendar={calendar}\nPersistent=true\nRandomizedDelaySec=300\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    return {f"{SYSTEMD_NAME}.service": service, f"{SYSTEMD_NAME}.timer": timer}


def install_crontab(line: str, home: Path, *, crontab: str = "crontab") -> bool:
    """Put the line in the user's crontab (via ``crontab -l`` / ``crontab -``).

    Idempotent: returns False when the crontab already held exactly this line.
    """
    try:
        listed = subprocess.run(
            [crontab, "-l"], capture_output=True, text=True, check=False, timeout=30
        )
    except OSError as exc:
        raise UserError(f"cannot run {crontab} ({exc}); is cron installed?") from exc
    # `crontab -l` fails with "no crontab for USER" when there is none yet.
    current = listed.stdout if listed.returncode == 0 else ""
    wanted = with_crontab_line(current, line, home)
    if wanted == current:
        return False
    written = subprocess.run(
        [crontab, "-"], input=wanted, capture_output=True, text=True, check=False, timeout=30
    )
    if written.returncode != 0:
        raise UserError(f"crontab refused the new table: {written.stderr.strip()}")
    return True
