"""Crawl state: due links, recording fetch outcomes, pages, snapshots, host cooldowns."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from linkindex.store.core import _chunks
from linkindex.store.figures import FiguresMixin

if TYPE_CHECKING:
    from linkindex.models.pages import FetchResult, Page
    from linkindex.store.rows import ArchiveRecord, DueLink, FetchRecord, SnapshotRow
    from linkindex.topics import Key, Names


class _Filter:
    """The WHERE clauses of a query being built, and their parameters."""

    __slots__ = ("clauses", "params")

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)


#: ``DueLink``'s columns. A page counts as held (``has_page``) when it has a title or
#: text: an empty one (a body an older version could not read, gzip bytes say) is not
#: worth a conditional request, whose 304 would keep it empty for good; it is fetched
#: and extracted again.
_DUE_COLUMNS = (
    "l.id, l.url, l.canonical_url, l.site, l.host, l.status, l.etag, l.last_modified, "
    "l.content_hash, l.fail_count, l.unchanged_count, l.dead_count, l.archive_url, "
    "l.fetched_at, COALESCE(p.title != '' OR p.text != '', 0), COALESCE(p.from_archive, 0)"
)


class _Headings:
    """The keys of a library's headings (``topics.names``), read when a topic first asks.

    Only a topic with ``>`` or ``/`` in it asks (``topics.key``); the others cost no read
    of every path. ``paths`` keeps the paths read, for matching the topic after.
    """

    def __init__(self, store: CrawlStateMixin) -> None:
        self._store = store
        self._names: Names | None = None
        self.paths: list[list[str]] | None = None

    def __contains__(self, name: object) -> bool:
        return name in self._read()

    def begins(self, prefix: str) -> bool:
        """Whether some heading's key begins with ``prefix`` (``topics.Known``)."""
        return self._read().begins(prefix)

    def _read(self) -> Names:
        if self._names is None:
            from linkindex import topics

            self.paths = list(self._store._topic_paths())
            self._names = topics.names(self.paths)
        return self._names


class CrawlStateMixin(FiguresMixin):
    """Crawl state: due links, recording fetch outcomes, pages, snapshots, host cooldowns."""

    def due_links(
        self,
        *,
        now: str,
        due_only: bool = True,
        sites: Sequence[str] = (),
        statuses: Sequence[str] = (),
        topic: str | None = None,
        link_ids: Sequence[int] | None = None,
        limit: int | None = None,
    ) -> list[DueLink]:
        """Links to fetch, never-fetched first, then the longest overdue.

        Args:
            now: ISO moment; with ``due_only`` only links with no ``next_fetch_at`` or
                one at or before it are returned.
            sites, statuses: keep links of these sites / statuses (empty: all).
            topic: keep links with a placement under this topic (``topic_key``).
            link_ids: only these links (still filtered by the rest).
            limit: at most this many.
        """
        where = _Filter()
        where.add("l.removed_at IS NULL")
        if due_only:
            where.add("(l.next_fetch_at IS NULL OR l.next_fetch_at <= ?)", now)
        if sites:
            where.add(f"l.site IN ({','.join('?' * len(sites))})", *sites)
        if statuses:
            where.add(f"l.status IN ({','.join('?' * len(statuses))})", *statuses)
        sql = (
            f"SELECT {_DUE_COLUMNS} FROM links l LEFT JOIN pages p ON p.link_id = l.id "
            f"WHERE {' AND '.join(where.clauses)} "
            "ORDER BY l.next_fetch_at IS NOT NULL, l.next_fetch_at, l.id"
        )
        from linkindex.store.rows import DueLink

        rows = [DueLink(*row) for row in self.conn.execute(sql, where.params)]
        for row in rows:
            row.has_page, row.page_from_archive = bool(row.has_page), bool(row.page_from_archive)
        if link_ids is not None:
            wanted = set(link_ids)
            rows = [row for row in rows if row.id in wanted]
        if topic:
            under = self._links_under_topic(self.topic_key(topic), [row.id for row in rows])
            rows = [row for row in rows if row.id in under]
        return rows[:limit] if limit is not None else rows

    def served_link(self, host: str) -> DueLink | None:
        """The link of ``host`` most recently fetched fine (a page of our own), or None."""
        row = self.conn.execute(
            f"SELECT {_DUE_COLUMNS} FROM links l JOIN pages p ON p.link_id = l.id "
            "WHERE l.host = ? AND l.status = 'ok' AND l.removed_at IS NULL "
            "AND p.from_archive = 0 ORDER BY l.fetched_at DESC, l.id LIMIT 1",
            (host,),
        ).fetchone()
        if row is None:
            return None
        from linkindex.store.rows import DueLink

        link = DueLink(*row)
        link.has_page, link.page_from_archive = bool(link.has_page), bool(link.page_from_archive)
        return link

    def topic_key(self, topic: str) -> Key:
        """The key of a topic as typed in this library (``topics.key``, by its headings)."""
        from linkindex import topics  # see _links_under_topic

        return topics.key(topic, _Headings(self))

    def has_topic(self, topic: str) -> bool:
        """Whether some placement lies under ``topic`` (``topic_key``)."""
        from linkindex import topics  # see _links_under_topic

        headings = _Headings(self)
        wanted = topics.key(topic, headings)
        # the paths already read, or read now as long as none matches
        paths = headings.paths if headings.paths is not None else self._topic_paths()
        return any(topics.matches(wanted, path) for path in paths)

    def _topic_paths(self) -> Iterator[list[str]]:
        """Every distinct heading path of the links still in the notes, as they are read."""
        for (raw,) in self.conn.execute("SELECT DISTINCT topic FROM placements"):
            yield json.loads(raw)

    def _links_under_topic(self, wanted: Key, ids: list[int]) -> set[int]:
        # Imported here: the rule folds with the analyzer, which most commands that open
        # the store (stats, show, due) never need.
        from linkindex import topics

        found: set[int] = set()
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            for link_id, raw in self.conn.execute(
                f"SELECT link_id, topic FROM placements WHERE link_id IN ({marks})", chunk
            ):
                if link_id not in found and topics.matches(wanted, json.loads(raw or "[]")):
                    found.add(link_id)
        return found

    # -- recording ------------------------------------------------------------------

    def record_fetch(self, record: FetchRecord) -> None:
        """Write a fetch's outcome, page, snapshot and schedule at once (one transaction)."""
        result = record.result
        with self.transaction():
            self._insert_fetch(record.link_id, record.started_at, result, record.content_hash)
            values: dict[str, Any] = {
                "status": record.status,
                "final_url": result.final_url or result.url,
                "http_status": result.http_status,
                "checked_at": record.started_at,
                "next_fetch_at": record.next_fetch_at,
                "fail_count": record.fail_count,
                "unchanged_count": record.unchanged_count,
                "dead_count": record.dead_count,
                "error": result.error or None,
            }
            if result.outcome in ("ok", "not_modified"):
                values["etag"] = result.headers.get("etag")
                values["last_modified"] = result.headers.get("last-modified")
            if result.outcome == "ok":
                values["fetched_at"] = record.started_at
                values["content_hash"] = record.content_hash
            if record.snapshot is not None:
                self._add_snapshot(record.link_id, record.snapshot, record.started_at, False)
            if record.page is not None:
                self._save_page(
                    record.link_id,
                    record.page,
                    record.snapshot,
                    record.started_at,
                    False,
                    engine=result.engine,
                )
            if record.archive is not None:
                self._record_archive(record.link_id, record.archive, record.started_at)
                values["archive_url"] = record.archive.archive_url
            if record.figures is not None:
                self.save_figures(
                    record.link_id, record.figures, archived=record.figures_from_archive
                )
            assignments = ", ".join(f"{name}=?" for name in values)
            self.conn.execute(
                f"UPDATE links SET {assignments} WHERE id=?", (*values.values(), record.link_id)
            )
            if record.touch:
                self.touch([record.link_id])

    def _record_archive(self, link_id: int, archive: ArchiveRecord, at: str) -> None:
        if archive.result is not None:
            self._insert_fetch(
                link_id,
                at,
                archive.result,
                archive.snapshot.hash if archive.snapshot else None,
                from_archive=True,
            )
        if archive.snapshot is not None:
            self._add_snapshot(link_id, archive.snapshot, at, True)
        if archive.page is not None:
            engine = archive.result.engine if archive.result is not None else "http"
            self._save_page(link_id, archive.page, archive.snapshot, at, True, engine=engine)

    def _insert_fetch(
        self,
        link_id: int,
        started_at: str,
        result: FetchResult,
        content_hash: str | None,
        *,
        from_archive: bool = False,
    ) -> None:
        redirects = json.dumps([[hop.status, hop.url] for hop in result.redirects])
        self.conn.execute(
            "INSERT INTO fetches(link_id, started_at, outcome, http_status, url, final_url, "
            "elapsed_ms, bytes, attempts, content_hash, error, redirects, from_archive, engine) "
            "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                link_id,
                started_at,
                result.outcome,
                result.http_status,
                result.url,
                result.final_url,
                result.elapsed_ms,
                result.bytes,
                result.attempts,
                content_hash,
                result.error,
                redirects,
                int(from_archive),
                result.engine,
            ),
        )

    def _add_snapshot(self, link_id: int, snapshot: SnapshotRow, at: str, archived: bool) -> None:
        # A body stored again is no longer lost (``doctor --repair`` sent its link back).
        self.conn.execute(
            "INSERT INTO snapshots(hash, size, stored_size, content_type, created_at) "
            "VALUES(?,?,?,?,?) ON CONFLICT(hash) DO UPDATE SET lost_at=NULL",
            (snapshot.hash, snapshot.size, snapshot.stored_size, snapshot.content_type, at),
        )
        self.conn.execute(
            "INSERT OR IGNORE INTO link_snapshots(link_id, hash, fetched_at, from_archive) "
            "VALUES(?,?,?,?)",
            (link_id, snapshot.hash, at, int(archived)),
        )

    def _save_page(
        self,
        link_id: int,
        page: Page,
        snapshot: SnapshotRow | None,
        at: str,
        archived: bool,
        *,
        engine: str = "http",
    ) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO pages(link_id, title, author, account, published_at, "
            "description, text, language, extractor, from_archive, snapshot_hash, "
            "extracted_at, extra, engine) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                link_id,
                page.title,
                page.author,
                page.account,
                page.published_at,
                page.description,
                page.text,
                page.language,
                page.extractor,
                int(archived),
                snapshot.hash if snapshot else None,
                at,
                json.dumps(page.extra, ensure_ascii=False, default=str),
                engine,
            ),
        )

    # -- hosts ----------------------------------------------------------------------

    def host_cooldowns(self, now: str) -> dict[str, str]:
        """Hosts resting after they blocked us, with the moment each may be asked again."""
        return {
            host: until
            for host, until in self.conn.execute(
                "SELECT host, cooldown_until FROM hosts WHERE cooldown_until > ?", (now,)
            )
        }

    def host_blocked_count(self, host: str) -> int:
        """How many times in a row ``host`` has been cooled down."""
        row = self.conn.execute("SELECT blocked_count FROM hosts WHERE host=?", (host,)).fetchone()
        return int(row[0]) if row else 0

    def cool_host(self, host: str, *, until: str, at: str, reason: str) -> None:
        """Rest ``host`` until ``until`` (it showed a verification page or kept refusing)."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO hosts(host, cooldown_until, blocked_count, last_blocked_at, reason) "
                "VALUES(?,?,1,?,?) ON CONFLICT(host) DO UPDATE SET "
                "cooldown_until=excluded.cooldown_until, blocked_count=blocked_count+1, "
                "last_blocked_at=excluded.last_blocked_at, reason=excluded.reason",
                (host, until, at, reason),
            )

    def clear_host(self, host: str) -> None:
        """Forget a host's blocked streak (it answered normally again)."""
        with self.transaction():
            self.conn.execute(
                "UPDATE hosts SET blocked_count=0, cooldown_until=NULL WHERE host=?", (host,)
            )

    def hosts(self) -> list[dict[str, Any]]:
        """Every host with a cooldown history."""
        return self.query("SELECT * FROM hosts ORDER BY host")

    # -- history --------------------------------------------------------------------

    def fetch_history(self, link_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
        """The latest fetches of a link, newest first (``redirects`` decoded)."""
        rows = self.query(
            "SELECT * FROM fetches WHERE link_id=? ORDER BY id DESC LIMIT ?", (link_id, limit)
        )
        for row in rows:
            row["redirects"] = json.loads(row["redirects"] or "[]")
            row["from_archive"] = bool(row["from_archive"])
        return rows

    def snapshot_versions(self, link_id: int) -> list[dict[str, Any]]:
        """The distinct bodies a link has had, oldest first."""
        rows = self.query(
            "SELECT ls.hash, ls.fetched_at, ls.from_archive, s.size, s.stored_size, "
            "s.content_type FROM link_snapshots ls JOIN snapshots s ON s.hash = ls.hash "
            "WHERE ls.link_id=? ORDER BY ls.fetched_at, ls.rowid",
            (link_id,),
        )
        for row in rows:
            row["from_archive"] = bool(row["from_archive"])
        return rows
