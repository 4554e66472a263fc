"""Runs and events in the store (HistoryMixin)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from linkindex.store import Store

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_runs_and_events_round_trip(home: Path) -> None:
    store = Store(home)
    with store.transaction():
        store.conn.execute(
            "INSERT INTO links(id, canonical_url, url, site, host, first_seen_at) "
            "VALUES(1, 'https://a.example/x', 'https://a.example/x', 'web', 'a.example', ?)",
            ("2026-01-01T00:00:00Z",),
        )
    run = store.start_run("update", T0)
    store.add_event(run, 1, "dead", T0 + timedelta(minutes=1), "HTTP 404")
    store.add_events(run, "new", [1], T0)
    store.finish_run(run, "done", {"fetched": 1}, T0 + timedelta(minutes=2))

    (row,) = store.runs(since=T0)
    assert row["status"] == "done"
    assert row["summary"] == {"fetched": 1}
    assert row["finished_at"] == "2026-03-01T12:02:00Z"
    events = store.events(run_ids=[run])
    assert [(e["kind"], e["url"], e["detail"]) for e in events] == [
        ("new", "https://a.example/x", ""),
        ("dead", "https://a.example/x", "HTTP 404"),
    ]
    assert store.events(since=T0 + timedelta(hours=1)) == []
    assert [e["kind"] for e in store.events(kinds=["dead"])] == ["dead"]
    store.close()


def test_stale_runs_are_closed_as_interrupted(home: Path) -> None:
    store = Store(home)
    killed = store.start_run("update", T0)
    assert store.close_stale_runs(T0 + timedelta(hours=1)) == 1
    assert store.run(killed)["status"] == "interrupted"  # type: ignore[index]
    assert store.latest_run("update")["id"] == killed  # type: ignore[index]
    store.close()


def _library_with_a_run(home: Path) -> tuple[Store, int, dict[str, int]]:
    from freshness_library import sample_library

    store = Store(home)
    ids = sample_library(store)
    run = store.start_run("update", T0)
    store.add_event(run, ids["dead"], "dead", T0, "HTTP 404")
    store.add_event(run, ids["dead"], "archived", T0, "https://web.archive.org/web/2020/x")
    store.add_event(run, ids["onnx"], "changed", T0)
    store.add_event(run, ids["hostile"], "blocked", T0, "403 anti-bot")
    store.add_event(run, ids["top"], "error", T0, "timeout")
    store.add_events(run, "new", [ids["top"], ids["pytorch_mem"]], T0)
    store.cool_host("evil.example", until="2026-03-01T13:00:00Z", at=T0.isoformat(), reason="403")
    store.finish_run(run, "done", {}, T0 + timedelta(minutes=5))
    return store, run, ids


def test_report_of_the_latest_update(home: Path) -> None:
    from linkindex.report import build_report, report_json

    store, run, ids = _library_with_a_run(home)
    older = store.start_run("update", T0 - timedelta(days=10))
    store.add_event(older, ids["onnx"], "dead", T0 - timedelta(days=10))
    store.finish_run(older, "done", {}, T0 - timedelta(days=10))
    report = build_report(store, clock=lambda: T0 + timedelta(hours=1))
    assert [r["id"] for r in report.runs] == [run]
    assert report.counts["dead"] == 1 and report.counts["new"] == 2
    (dead,) = report.sections["dead"]
    assert (dead.url, dead.title, dead.detail) == (
        "https://zhuanlan.zhihu.com/p/1234",
        "已删除的文章",
        "HTTP 404",
    )
    assert dead.archive_url and dead.archive_url.startswith("https://web.archive.org/")
    assert report.blocked_hosts == [
        {
            "host": "evil.example",
            "links": 1,
            "cooldown_until": "2026-03-01T13:00:00Z",
            "reason": "403",
        }
    ]
    data = report_json(report)
    assert data["counts"]["changed"] == 1
    assert [item["url"] for item in data["changed"]] == ["https://github.com/onnx/onnx"]
    assert data["error"][0]["detail"] == "timeout"
    json.dumps(data)
    store.close()


def test_report_since_spans_runs(home: Path) -> None:
    from linkindex.report import build_report

    store, _, ids = _library_with_a_run(home)
    later = store.start_run("update", T0 + timedelta(days=1))
    store.add_event(later, ids["onnx"], "recovered", T0 + timedelta(days=1))
    store.finish_run(later, "done", {}, T0 + timedelta(days=1))
    report = build_report(store, since=T0 - timedelta(days=7))
    assert len(report.runs) == 2
    assert report.counts["recovered"] == 1 and report.counts["dead"] == 1
    assert build_report(store, since=T0 + timedelta(hours=2)).counts["dead"] == 0
    limited = build_report(store, since=T0 - timedelta(days=7), limit=1)
    assert len(limited.sections["new"]) == 1 and limited.counts["new"] == 2
    store.close()


def test_markdown_report_and_latest_file(home: Path) -> None:
    from markdown_it import MarkdownIt

    from linkindex.report import build_report, latest_path, render_markdown, write_latest

    store, run, _ = _library_with_a_run(home)
    text = render_markdown(build_report(store, run_id=run))
    assert text.startswith("# linkindex report\n")
    assert "## Newly dead (1)" in text
    assert "- [已删除的文章](https://zhuanlan.zhihu.com/p/1234) — zhihu: HTTP 404" in text
    assert "## Blocked (1)" in text and "host evil.example: 1 links" in text
    assert "## New links (2)" in text
    assert "- <https://example.org/top> — web: timeout" in text  # no title: the URL once
    assert "<script>" not in MarkdownIt().render(text)
    path = write_latest(store, home, run)
    assert path == latest_path(home) == home / "reports" / "latest.md"
    assert path.read_text() == text
    store.close()


def test_report_when_nothing_ran(home: Path) -> None:
    from linkindex.report import build_report, render_markdown

    store = Store(home)
    report = build_report(store)
    assert report.runs == [] and report.quiet
    assert "No update has run yet" in render_markdown(report)
    store.close()


def test_parse_since() -> None:
    from linkindex.errors import UserError
    from linkindex.report import parse_since

    assert parse_since("7d", now=T0) == T0 - timedelta(days=7)
    assert parse_since("12h", now=T0) == T0 - timedelta(hours=12)
    assert parse_since("2w", now=T0) == T0 - timedelta(weeks=2)
    assert parse_since("2026-02-01", now=T0) == datetime(2026, 2, 1, tzinfo=UTC)
    with pytest.raises(UserError):
        parse_since("last tuesday", now=T0)
