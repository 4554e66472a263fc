"""Runs and events in the store (HistoryMixin)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

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
