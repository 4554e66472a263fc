"""Runs and events: what each update changed, for reports."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from linkindex.models import to_iso
from linkindex.store.core import StoreBase

#: What a run can end as.
RUN_STATUSES: tuple[str, ...] = ("running", "done", "interrupted", "failed")

#: Event kinds the reports know.
EVENT_KINDS: tuple[str, ...] = (
    "new",
    "removed",
    "dead",
    "recovered",
    "archived",
    "changed",
    "blocked",
    "error",
)


def _moment(at: datetime | str) -> str:
    return at if isinstance(at, str) else to_iso(at)


class HistoryMixin(StoreBase):
    """Runs and events: what each update changed, for reports."""

    def start_run(self, kind: str, at: datetime | str) -> int:
        """Record that a run (``update``, ``crawl``, ``import``) starts; returns its id."""
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO runs(kind, started_at, status) VALUES(?, ?, 'running')",
                (kind, _moment(at)),
            )
        return int(cursor.lastrowid or 0)

    def finish_run(
        self, run_id: int, status: str, summary: Mapping[str, Any], at: datetime | str
    ) -> None:
        """Record how a run ended (``done``, ``interrupted``, ``failed``) and its summary."""
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET status=?, summary=?, finished_at=? WHERE id=?",
                (
                    status,
                    json.dumps(dict(summary), ensure_ascii=False, sort_keys=True, default=str),
                    _moment(at),
                    run_id,
                ),
            )

    def close_stale_runs(self, at: datetime | str) -> int:
        """Mark runs still ``running`` as ``interrupted`` (their process died).

        Call only while holding the library lock: then no other run can be going.
        Returns how many were closed.
        """
        with self.transaction():
            cursor = self.conn.execute(
                "UPDATE runs SET status='interrupted', finished_at=? WHERE status='running'",
                (_moment(at),),
            )
        return cursor.rowcount

    def add_event(
        self,
        run_id: int | None,
        link_id: int | None,
        kind: str,
        at: datetime | str,
        detail: str = "",
    ) -> None:
        """Record one thing a run changed (``dead``, ``recovered``, ``changed``…)."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO events(run_id, link_id, kind, at, detail) VALUES(?, ?, ?, ?, ?)",
                (run_id, link_id, kind, _moment(at), detail),
            )

    def add_events(
        self, run_id: int | None, kind: str, link_ids: Iterable[int], at: datetime | str
    ) -> int:
        """Record the same kind of event for many links at once; returns how many."""
        moment = _moment(at)
        rows = [(run_id, link_id, kind, moment, "") for link_id in link_ids]
        if rows:
            with self.transaction():
                self.conn.executemany(
                    "INSERT INTO events(run_id, link_id, kind, at, detail) VALUES(?,?,?,?,?)",
                    rows,
                )
        return len(rows)

    def record_import_events(
        self, run_id: int | None, *, since: datetime | str, at: datetime | str
    ) -> dict[str, int]:
        """Record ``new`` / ``removed`` events for links an import made or dropped since ``since``.

        Returns how many of each were recorded.
        """
        start, moment = _moment(since), _moment(at)
        counts: dict[str, int] = {}
        with self.transaction():
            for kind, column in (("new", "first_seen_at"), ("removed", "removed_at")):
                extra = " AND removed_at IS NULL" if kind == "new" else ""
                cursor = self.conn.execute(
                    "INSERT INTO events(run_id, link_id, kind, at, detail) "
                    f"SELECT ?, id, ?, ?, '' FROM links WHERE {column} >= ?{extra} ORDER BY id",
                    (run_id, kind, moment, start),
                )
                counts[kind] = cursor.rowcount
        return counts

    def event_counts(
        self, *, since: datetime | str | None = None, run_ids: Iterable[int] | None = None
    ) -> dict[str, int]:
        """How many events of each kind (since a moment / in some runs)."""
        where, params = _event_filter(since=since, run_ids=run_ids)
        return {
            kind: count
            for kind, count in self.conn.execute(
                f"SELECT e.kind, COUNT(*) FROM events e WHERE {where} GROUP BY e.kind", params
            )
        }

    def run(self, run_id: int) -> dict[str, Any] | None:
        """One run as a dict (``summary`` decoded), or None."""
        rows = self.query("SELECT * FROM runs WHERE id=?", (run_id,))
        return _decode_run(rows[0]) if rows else None

    def runs(
        self, *, since: datetime | str | None = None, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """Runs started at or after ``since`` (all if None), oldest first."""
        where: list[str] = ["1=1"]
        params: list[Any] = []
        if since is not None:
            where.append("started_at >= ?")
            params.append(_moment(since))
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        rows = self.query(
            f"SELECT * FROM runs WHERE {' AND '.join(where)} ORDER BY started_at, id", params
        )
        return [_decode_run(row) for row in rows]

    def latest_run(self, kind: str | None = None) -> dict[str, Any] | None:
        """The most recently started run (of ``kind`` if given)."""
        sql = "SELECT * FROM runs"
        params: list[Any] = []
        if kind is not None:
            sql += " WHERE kind=?"
            params.append(kind)
        rows = self.query(sql + " ORDER BY started_at DESC, id DESC LIMIT 1", params)
        return _decode_run(rows[0]) if rows else None

    def events(
        self,
        *,
        since: datetime | str | None = None,
        run_ids: Iterable[int] | None = None,
        kinds: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Events (the first ``limit`` if given) with their link's url and site, oldest first.

        Each dict: ``id, run_id, link_id, kind, at, detail, url, canonical_url, site, host,
        status, archive_url``.
        """
        where, params = _event_filter(since=since, run_ids=run_ids, kinds=kinds)
        return self.query(
            "SELECT e.id, e.run_id, e.link_id, e.kind, e.at, e.detail, l.url, l.canonical_url, "
            "l.site, l.host, l.status, l.archive_url FROM events e "
            f"LEFT JOIN links l ON l.id = e.link_id WHERE {where} ORDER BY e.at, e.id"
            + ("" if limit is None else f" LIMIT {int(limit)}"),
            params,
        )


def _event_filter(
    *,
    since: datetime | str | None = None,
    run_ids: Iterable[int] | None = None,
    kinds: Iterable[str] | None = None,
) -> tuple[str, list[Any]]:
    """The WHERE clause (over ``events e``) and its parameters for these filters."""
    where: list[str] = ["1=1"]
    params: list[Any] = []
    if since is not None:
        where.append("e.at >= ?")
        params.append(_moment(since))
    for column, values in (("run_id", run_ids), ("kind", kinds)):
        if values is not None:
            chosen = list(values)
            where.append(f"e.{column} IN ({','.join('?' * len(chosen)) or 'NULL'})")
            params.extend(chosen)
    return " AND ".join(where), params


def _decode_run(row: dict[str, Any]) -> dict[str, Any]:
    try:
        row["summary"] = json.loads(row.get("summary") or "{}")
    except ValueError:
        row["summary"] = {}
    return row
