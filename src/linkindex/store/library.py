"""Notes, links and placements: what import writes, and topics/stats queries."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from linkindex.store.core import StoreBase, _chunks

if TYPE_CHECKING:
    from linkindex.store.rows import NoteState, NoteWrite
    from linkindex.topics import TopicNode

#: meta key holding the files and folders imported so far (JSON list of paths)
ROOTS_KEY = "import_roots"

#: The topic of placements that stand before a note's first heading.
NO_TOPIC = "(no heading)"


class PlacementRow(NamedTuple):
    """One placement to write: a link (by canonical URL) where a note puts it.

    A NamedTuple: the import's parse processes send thousands of these back.
    """

    canonical_url: str
    url: str  # as written in the note
    site: str
    host: str
    line: int
    topic: tuple[str, ...]
    title: str
    description: str
    label: str

    def key(self) -> tuple[Any, ...]:
        """What the search index shows of this placement (to detect changes)."""
        return (self.line, list(self.topic), self.title, self.description, self.label)


class LibraryMixin(StoreBase):
    """Notes, links and placements: what import writes, and topics/stats queries."""

    # -- notes -----------------------------------------------------------------------

    def note_states(self) -> dict[str, NoteState]:
        """Every note the library has seen, by path."""
        from linkindex.store.rows import NoteState

        return {
            row[1]: NoteState(row[0], row[1], row[2], row[3], row[4], row[5] is not None)
            for row in self.conn.execute(
                "SELECT id, path, size, mtime_ns, sha256, removed_at FROM notes"
            )
        }

    def note_count(self) -> int:
        """How many notes the library holds (not counting removed ones)."""
        row = self.conn.execute("SELECT COUNT(*) FROM notes WHERE removed_at IS NULL").fetchone()
        return int(row[0])

    def notes_imported_at(self, at: str) -> set[str]:
        """The paths of the notes saved by the import run whose ``now`` is ``at``."""
        rows = self.conn.execute("SELECT path FROM notes WHERE imported_at=?", (at,))
        return {path for (path,) in rows}

    def note_seen(self, note_id: int, *, size: int, mtime_ns: int) -> None:
        """Remember a note's new size/mtime when its content did not change."""
        self.conn.execute(
            "UPDATE notes SET size=?, mtime_ns=? WHERE id=?", (size, mtime_ns, note_id)
        )

    def save_note(
        self,
        *,
        path: str,
        title: str,
        category: str,
        tags: Sequence[str],
        date: str | None,
        size: int,
        mtime_ns: int,
        sha256: str,
        at: str,
    ) -> int:
        """Insert or update a note row (clearing ``removed_at``); returns its id."""
        self.conn.execute(
            "INSERT INTO notes(path, title, category, tags, date, size, mtime_ns, sha256, "
            "imported_at, removed_at) VALUES(?,?,?,?,?,?,?,?,?,NULL) "
            "ON CONFLICT(path) DO UPDATE SET title=excluded.title, category=excluded.category, "
            "tags=excluded.tags, date=excluded.date, size=excluded.size, "
            "mtime_ns=excluded.mtime_ns, sha256=excluded.sha256, "
            "imported_at=excluded.imported_at, removed_at=NULL",
            (path, title, category, json.dumps(list(tags), ensure_ascii=False), date, size,
             mtime_ns, sha256, at),
        )  # fmt: skip
        row = self.conn.execute("SELECT id FROM notes WHERE path=?", (path,)).fetchone()
        return int(row[0])

    def write_placements(self, note_id: int, rows: Sequence[PlacementRow], *, at: str) -> NoteWrite:
        """Replace a note's placements with ``rows``, creating links as needed.

        Links that gain their first placement again lose ``removed_at``. Links this note
        no longer places are left for ``sweep_removed_links``. Every link whose
        placements changed is touched for the index. Call inside a transaction.
        """
        from linkindex.store.rows import NoteWrite

        result = NoteWrite(note_id)
        known = self._links_by_url({row.canonical_url for row in rows})
        fresh: dict[str, PlacementRow] = {}
        for row in rows:
            if row.canonical_url not in known:
                fresh.setdefault(row.canonical_url, row)
        if fresh:
            self.conn.executemany(
                "INSERT INTO links(canonical_url, url, site, host, first_seen_at) "
                "VALUES(?,?,?,?,?)",
                [(r.canonical_url, r.url, r.site, r.host, at) for r in fresh.values()],
            )
            for url, (link_id, _) in self._links_by_url(set(fresh)).items():
                known[url] = (link_id, False)
                result.new_links.append(link_id)

        old: dict[int, list[tuple[Any, ...]]] = {}
        for link_id, line, topic, title, description, label in self.conn.execute(
            "SELECT link_id, line, topic, title, description, label FROM placements "
            "WHERE note_id=? ORDER BY id",
            (note_id,),
        ):
            old.setdefault(link_id, []).append((line, json.loads(topic), title, description, label))
        new: dict[int, list[tuple[Any, ...]]] = {}
        for row in rows:
            new.setdefault(known[row.canonical_url][0], []).append(row.key())

        new_ids = set(result.new_links)
        result.changed_links = sorted(
            link_id
            for link_id in old.keys() | new.keys()
            if link_id not in new_ids and old.get(link_id) != new.get(link_id)
        )
        result.restored_links = sorted(
            {link_id for link_id, removed in known.values() if removed} & new.keys()
        )
        if not result.changed_links and not result.new_links:
            return result
        topics = {r.topic: json.dumps(list(r.topic), ensure_ascii=False) for r in rows}
        self.conn.execute("DELETE FROM placements WHERE note_id=?", (note_id,))
        self.conn.executemany(
            "INSERT INTO placements(link_id, note_id, line, topic, title, description, label, "
            "raw_url) VALUES(?,?,?,?,?,?,?,?)",
            [
                (known[r.canonical_url][0], note_id, r.line, topics[r.topic], r.title,
                 r.description, r.label, r.url)
                for r in rows
            ],
        )  # fmt: skip
        self._restore_links(result.restored_links)
        self.touch([*result.new_links, *result.changed_links])
        return result

    def remove_note(self, note_id: int, *, at: str) -> list[int]:
        """Mark a vanished note removed and drop its placements; returns the links it placed.

        Call inside a transaction, then ``sweep_removed_links``.
        """
        link_ids = [
            row[0]
            for row in self.conn.execute(
                "SELECT DISTINCT link_id FROM placements WHERE note_id=?", (note_id,)
            )
        ]
        self.conn.execute("DELETE FROM placements WHERE note_id=?", (note_id,))
        self.conn.execute("UPDATE notes SET removed_at=? WHERE id=?", (at, note_id))
        self.touch(link_ids)
        return link_ids

    def sweep_removed_links(self, *, at: str) -> list[int]:
        """Mark links no note places any more as removed (kept, not deleted), and
        un-remove links that are placed again. Returns the ids newly removed.

        Idempotent: it also heals a library left half-way by a killed import.
        """
        removed = [
            row[0]
            for row in self.conn.execute(
                "SELECT id FROM links WHERE removed_at IS NULL AND NOT EXISTS "
                "(SELECT 1 FROM placements p WHERE p.link_id = links.id)"
            )
        ]
        back = [
            row[0]
            for row in self.conn.execute(
                "SELECT id FROM links WHERE removed_at IS NOT NULL AND EXISTS "
                "(SELECT 1 FROM placements p WHERE p.link_id = links.id)"
            )
        ]
        for chunk in _chunks(removed, 500):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(f"UPDATE links SET removed_at=? WHERE id IN ({marks})", (at, *chunk))
        self._restore_links(back)
        self.touch([*removed, *back])
        return removed

    def _restore_links(self, ids: Sequence[int]) -> None:
        for chunk in _chunks(list(ids), 500):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(f"UPDATE links SET removed_at=NULL WHERE id IN ({marks})", chunk)

    def _links_by_url(self, urls: Iterable[str]) -> dict[str, tuple[int, bool]]:
        """canonical URL -> (link id, removed?) for the URLs the library has."""
        found: dict[str, tuple[int, bool]] = {}
        for chunk in _chunks(list(urls), 500):
            marks = ",".join("?" * len(chunk))
            for link_id, url, removed_at in self.conn.execute(
                f"SELECT id, canonical_url, removed_at FROM links WHERE canonical_url IN ({marks})",
                chunk,
            ):
                found[url] = (link_id, removed_at is not None)
        return found

    # -- roots -----------------------------------------------------------------------

    def import_roots(self) -> list[str]:
        """The files and folders imported so far, in the order first imported."""
        return list(json.loads(self.get_meta(ROOTS_KEY, "[]") or "[]"))

    def add_import_roots(self, paths: Iterable[str]) -> None:
        """Remember more imported files/folders (call inside a transaction)."""
        roots = self.import_roots()
        for path in paths:
            if path not in roots:
                roots.append(path)
        self.set_meta(ROOTS_KEY, json.dumps(roots, ensure_ascii=False))

    # -- topics and stats ------------------------------------------------------------

    def topic_tree(self) -> list[TopicNode[Any]]:
        """The notes' headings merged into one tree, with distinct link counts.

        Only headings with links (at or under them) appear; links placed before a
        note's first heading count under ``NO_TOPIC``. Children keep note order.
        """
        # Imported here: the topic rule folds with the analyzer, which most commands that
        # open the store (stats, show, due) never need.
        from linkindex.topics import tree

        rows = self.conn.execute(
            "SELECT p.link_id, p.topic FROM placements p JOIN links l ON l.id = p.link_id "
            "JOIN notes n ON n.id = p.note_id WHERE l.removed_at IS NULL "
            "ORDER BY n.path, p.line"
        )
        return tree((link_id, tuple(json.loads(topic)) or (NO_TOPIC,)) for link_id, topic in rows)

    def _topic_count(self) -> int:
        """How many headings have links right under them, a heading written in two scripts
        or cases (``深度學習``, ``深度学习``) once: the tree's nodes with ``own`` links."""
        from linkindex.topics import node_key  # see topic_tree

        rows = self.conn.execute("SELECT DISTINCT topic FROM placements")
        return len({node_key(json.loads(topic)) for (topic,) in rows})

    def library_stats(self) -> dict[str, Any]:
        """Counts of notes, links (by site, by status), pages by engine, placements, removals."""

        def one(sql: str) -> int:
            return int(self.conn.execute(sql).fetchone()[0])

        def grouped(column: str) -> dict[str, int]:
            return {
                str(key): int(count)
                for key, count in self.conn.execute(
                    f"SELECT {column}, COUNT(*) FROM links WHERE removed_at IS NULL "
                    f"GROUP BY {column} ORDER BY COUNT(*) DESC, {column}"
                )
            }

        pages_by_engine = {
            str(engine): int(count)
            for engine, count in self.conn.execute(
                "SELECT p.engine, COUNT(*) FROM pages p JOIN links l ON l.id = p.link_id "
                "WHERE l.removed_at IS NULL GROUP BY p.engine ORDER BY COUNT(*) DESC, p.engine"
            )
        }
        last = self.conn.execute("SELECT MAX(imported_at) FROM notes").fetchone()[0]
        return {
            "notes": one("SELECT COUNT(*) FROM notes WHERE removed_at IS NULL"),
            "notes_removed": one("SELECT COUNT(*) FROM notes WHERE removed_at IS NOT NULL"),
            "links": one("SELECT COUNT(*) FROM links WHERE removed_at IS NULL"),
            "links_removed": one("SELECT COUNT(*) FROM links WHERE removed_at IS NOT NULL"),
            "placements": one("SELECT COUNT(*) FROM placements"),
            "topics": self._topic_count(),
            "by_site": grouped("site"),
            "by_status": grouped("status"),
            "pages_by_engine": pages_by_engine,
            "roots": self.import_roots(),
            "last_import": last,
        }
