"""`linkindex update` against local servers over simulated days (an injected clock).

Two servers stand in for two hosts (127.0.0.1 and 127.0.0.2); a third path on the first
plays the Wayback Machine. The notes link to both.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from children import child_env
from linkindex.errors import LockedError
from linkindex.models import from_iso
from linkindex.report import build_report
from linkindex.store import LibraryLock, Store
from linkindex.update import due_plan, update

T0 = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)


class FakeClock:
    """A clock the test moves forward by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def article(title: str, words: str = "") -> str:
    body = " ".join([f"{title} is a page about keeping links fresh."] * 12) + words
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1><p>{body}</p><p>{body}</p></article></body></html>"
    )


@dataclass
class Site:
    """A server with per-path answers the test can change between days."""

    server: HTTPServer
    answers: dict[str, tuple[int, str]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    #: Requests for these paths wait until ``gate`` opens: a run in flight stays in
    #: flight for as long as the test needs, however slow the machine is.
    held: set[str] = field(default_factory=set)
    gate: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"http://{self.server.host}:{self.server.port}{path}"

    def handle(self, request: Request) -> Response:
        self.hits.append(request.path)
        if request.path in self.held:
            self.gate.wait(timeout=60)
        status, body = self.answers.get(request.path, (404, "<html><body>nope</body></html>"))
        if request.path.startswith("/web/"):
            status, body = 200, article("Archived copy of the gone page")
        content_type = "application/json" if body.startswith("{") else "text/html; charset=utf-8"
        return Response(body, status=status, content_type=content_type)


def start_site(host: str) -> Site:
    server = HTTPServer(host=host, threaded=True)
    site = Site(server)
    server.expect_request(re.compile(".*")).respond_with_handler(site.handle)
    server.start()
    return site


@pytest.fixture
def sites() -> Iterator[tuple[Site, Site]]:
    one, two = start_site("127.0.0.1"), start_site("127.0.0.2")
    yield one, two
    for site in (one, two):
        site.gate.set()
        site.server.clear()
        site.server.stop()


def write_config(home: Path, wayback: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        "[crawl]\nallow_private_networks = true\nper_host_interval = 0\ntimeout = 15\n"
        "retries = 0\nobey_robots = false\nhttp2 = false\ncooldown = 43200\n\n"
        f'[archive]\nwayback_api = "{wayback}"\n\n'
        "[sites.web]\nrefresh_days = 1\n\n"
        "[schedule]\nretry_base_hours = 6\ndead_confirmations = 3\n"
    )


def write_notes(folder: Path, urls: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["---", "title: Fresh links", "---", ""]
    for topic_title, url in urls.items():
        topic, title = topic_title.split("/")
        lines += [f"## {topic}", "", url, title, ""]
    (folder / "2026-3-1-links.md").write_text("\n".join(lines), encoding="utf-8")
    return folder


def link_state(home: Path) -> dict[str, dict[str, object]]:
    conn = sqlite3.connect(home / "linkindex.db")
    conn.row_factory = sqlite3.Row
    rows = conn.execute(
        "SELECT url, status, next_fetch_at, fail_count, dead_count, unchanged_count, "
        "archive_url FROM links"
    ).fetchall()
    conn.close()
    return {row["url"].rsplit("/", 1)[-1]: dict(row) for row in rows}


def wait_of(state: dict[str, object], now: datetime) -> timedelta:
    """How long after ``now`` the link is due; exact, as the crawler dates checks by our clock."""
    return from_iso(str(state["next_fetch_at"])) - now


def test_update_over_simulated_days(home: Path, tmp_path: Path, sites: tuple[Site, Site]) -> None:
    one, two = sites
    one.answers.update(
        {
            "/ok": (200, article("Steady page")),
            "/news": (200, article("News page")),
            "/flaky": (500, "<html><body>boom</body></html>"),
            "/wayback/available": (
                200,
                json.dumps(
                    {
                        "archived_snapshots": {
                            "closest": {
                                "available": True,
                                "status": "200",
                                "timestamp": "20200101000000",
                                "url": one.url("/web/20200101000000/") + one.url("/gone"),
                            }
                        }
                    }
                ),
            ),
        }
    )
    for path in ("/a", "/b", "/c"):
        two.answers[path] = (403, "<html><body>Forbidden</body></html>")
    write_config(home, one.url("/wayback/available"))
    notes = write_notes(
        tmp_path / "notes",
        {
            "Live/Steady": one.url("/ok"),
            "Live/News": one.url("/news"),
            "Broken/Gone": one.url("/gone"),
            "Broken/Flaky": one.url("/flaky"),
            "Guarded/A": two.url("/a"),
            "Guarded/B": two.url("/b"),
            "Guarded/C": two.url("/c"),
        },
    )
    clock = FakeClock(T0)

    # day 0: everything is new
    first = update(home, paths=[notes], clock=clock)
    assert first.status == "done"
    assert first.events["new"] == 7
    state = link_state(home)
    assert {k: v["status"] for k, v in state.items()} == {
        "ok": "ok",
        "news": "ok",
        "gone": "dead",
        "flaky": "error",
        "a": "blocked",
        "b": "blocked",
        "c": "blocked",
    }
    assert wait_of(state["ok"], T0) == timedelta(days=1)
    assert wait_of(state["flaky"], T0) == timedelta(hours=6)
    assert wait_of(state["gone"], T0) == timedelta(hours=6)  # dead: confirm again soon
    assert str(state["gone"]["archive_url"]).startswith(one.url("/web/"))
    latest = (home / "reports" / "latest.md").read_text()
    assert first.report_path == str(home / "reports" / "latest.md")
    for heading in (
        "## Newly dead (1)",
        "## Recovered from an archive (1)",
        "## Blocked (3)",
        "## Errors (1)",
        "## New links (7)",
    ):
        assert heading in latest
    assert "host 127.0.0.2: 3 links, resting until 2026-03-02T15:30:00Z" in latest

    # an hour later nothing is due and nothing is fetched
    clock.advance(hours=1)
    before = len(one.hits) + len(two.hits)
    quiet = update(home, clock=clock)
    assert quiet.status == "done" and quiet.crawled["done"] == 0
    assert len(one.hits) + len(two.hits) == before
    assert "Nothing changed." in (home / "reports" / "latest.md").read_text()

    # +7h: the failure and the dead link are due again; the blocked host still rests
    clock.advance(hours=6)
    store = Store(home)
    plan = due_plan(store, store_settings(home), clock=clock)
    store.close()
    reasons = {item.url.rsplit("/", 1)[-1]: item.reason for item in plan.items}
    assert reasons == {
        "flaky": "retry after failure 1 (error, waited 6 hours)",
        "gone": "dead confirmation 2 of 3",
    }
    assert plan.waiting_hosts["127.0.0.2"]["links"] == 3
    guarded_hits = len(two.hits)
    second = update(home, clock=clock)
    assert second.crawled["done"] == 2 and second.crawled["deferred"] == 3
    state = link_state(home)
    assert wait_of(state["flaky"], clock.now) == timedelta(hours=12)  # backed off
    assert state["gone"]["dead_count"] == 2 and state["gone"]["status"] == "dead"
    assert len(two.hits) == guarded_hits  # a resting host is not asked

    # +13h: the cooldown is over and the guarded host answers again
    clock.advance(hours=6)
    for path in ("/a", "/b", "/c"):
        two.answers[path] = (200, article(f"Guarded {path}"))
    third = update(home, clock=clock)
    assert third.events.get("recovered") == 3
    assert {v["status"] for k, v in link_state(home).items() if k in "abc"} == {"ok"}

    # +1d: refresh; unchanged pages wait longer, changed ones do not; dead becomes final
    clock.advance(hours=11)
    one.answers["/news"] = (200, article("News page", " Breaking: something new."))
    fourth = update(home, clock=clock)
    assert fourth.events.get("changed") == 1
    state = link_state(home)
    assert wait_of(state["ok"], clock.now) == timedelta(days=2)
    assert wait_of(state["news"], clock.now) == timedelta(days=1)
    assert state["gone"]["dead_count"] == 3
    assert wait_of(state["gone"], clock.now) == timedelta(days=365)
    assert wait_of(state["flaky"], clock.now) == timedelta(hours=24)

    store = Store(home)
    week = build_report(store, since=T0)
    runs = store.runs(kind="update")
    store.close()
    assert [r["status"] for r in runs] == ["done"] * 5
    assert {kind: week.counts[kind] for kind in ("new", "dead", "recovered", "changed")} == {
        "new": 7,
        "dead": 1,
        "recovered": 3,
        "changed": 1,
    }, store_events(home)
    assert [item.url for item in week.sections["changed"]] == [one.url("/news")]


def store_events(home: Path) -> list[tuple[str, str, str]]:
    """Every event as (kind, url, detail), to explain a failed assertion."""
    store = Store(home)
    events = [(e["kind"], e["url"], e["detail"]) for e in store.events()]
    store.close()
    return events


def store_settings(home: Path) -> object:
    from linkindex.config import load_settings

    return load_settings(home)


def test_update_while_another_writer_holds_the_lock(home: Path) -> None:
    home.mkdir(parents=True)
    Store(home).close()
    with LibraryLock(home), pytest.raises(LockedError, match="is writing to"):
        update(home, paths=[home])


def test_update_needs_notes(home: Path, tmp_path: Path) -> None:
    from linkindex.errors import EmptyLibraryError, NotFoundError

    with pytest.raises(EmptyLibraryError):
        update(home)
    with pytest.raises(NotFoundError, match="does not exist"):
        update(home, paths=[tmp_path / "missing"])
    assert not home.exists()  # a mistyped --home or path leaves nothing behind
    Store(home).close()
    with pytest.raises(EmptyLibraryError, match="no notes to re-import"):
        update(home)


# -- real processes -----------------------------------------------------------------------


def run_cli(home: Path, *args: str) -> subprocess.Popen[str]:
    env = child_env(LINKINDEX_HOME=str(home))
    return subprocess.Popen(
        [sys.executable, "-m", "linkindex", "update", "--home", str(home), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def paged_library(home: Path, tmp_path: Path, site: Site, count: int) -> Path:
    for index in range(count):
        site.answers[f"/p{index}"] = (200, article(f"Page {index}"))
    write_config(home, site.url("/wayback/available"))
    return write_notes(
        tmp_path / "notes", {f"T/P{index}": site.url(f"/p{index}") for index in range(count)}
    )


def wait_for(check: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def fetch_count(home: Path) -> int:
    try:
        conn = sqlite3.connect(home / "linkindex.db", timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM fetches").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_second_concurrent_update_exits_at_once(
    home: Path, tmp_path: Path, sites: tuple[Site, Site]
) -> None:
    notes = paged_library(home, tmp_path, sites[0], 12)
    sites[0].held = {f"/p{index}" for index in range(1, 12)}  # the first run stays busy
    first = run_cli(home, str(notes))
    try:
        wait_for(lambda: fetch_count(home) >= 1)
        second = run_cli(home)
        # The first run cannot finish while its pages are held (up to 60 s), so a second
        # run that waited for the lock instead of leaving would time out here.
        out, err = second.communicate(timeout=30)
        assert second.returncode == 1
        assert err.startswith("error: another linkindex (pid ")
        assert "is writing to" in err
        sites[0].gate.set()
        out, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        assert "run 1: done" in out
    finally:
        first.kill()
        first.wait()


def test_killed_update_then_a_clean_one(
    home: Path, tmp_path: Path, sites: tuple[Site, Site]
) -> None:
    notes = paged_library(home, tmp_path, sites[0], 16)
    sites[0].held = {f"/p{index}" for index in range(3, 16)}  # killed while these wait
    victim = run_cli(home, str(notes))
    wait_for(lambda: fetch_count(home) >= 3)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    assert fetch_count(home) == 3

    sites[0].gate.set()
    clean = run_cli(home)
    out, err = clean.communicate(timeout=60)
    assert clean.returncode == 0, err
    conn = sqlite3.connect(home / "linkindex.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    runs = conn.execute("SELECT id, status FROM runs ORDER BY id").fetchall()
    assert runs == [(1, "interrupted"), (2, "done")]
    assert conn.execute("SELECT COUNT(*) FROM links WHERE status != 'ok'").fetchone()[0] == 0
    # resumed, not restarted: nothing recorded before the kill was fetched again
    per_link = conn.execute("SELECT COUNT(*) FROM fetches GROUP BY link_id").fetchall()
    conn.close()
    assert len(per_link) == 16 and {count for (count,) in per_link} == {1}
    assert "run 2: done" in out


def test_update_json_output(home: Path, tmp_path: Path, sites: tuple[Site, Site]) -> None:
    notes = paged_library(home, tmp_path, sites[0], 2)
    process = run_cli(home, str(notes), "--json")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    data = json.loads(out)
    assert data["status"] == "done" and data["events"]["new"] == 2
    assert data["crawled"]["counts"] == {"ok": 2}
    assert Path(data["report_path"]).exists()


def test_a_failed_update_is_recorded(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkindex import importer

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(importer, "import_paths", broken)
    with pytest.raises(OSError, match="disk on fire"):
        update(home, paths=[write_notes(tmp_path / "notes", {"A/B": "https://example.com/"})])
    store = Store(home)
    (run,) = store.runs()
    store.close()
    assert run["status"] == "failed"
    assert run["summary"]["error"] == "OSError: disk on fire"
    assert "failed. Error: OSError: disk on fire" in (home / "reports" / "latest.md").read_text()
