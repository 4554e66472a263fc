"""The doctor: the index against the store, snapshot files on disk, the repair."""

from __future__ import annotations

import gzip
from pathlib import Path

from crawl_servers import add_links
from linkindex import doctor, importer
from linkindex.snapshots import Snapshots
from linkindex.store import Store

NOTES = Path(__file__).parent / "fixtures" / "search" / "notes"
MISSING = (
    "1 snapshot files are missing "
    "(a re-fetch of their links restores them: `linkindex doctor --repair`)"
)


def test_checkup_finds_a_missing_index_and_missing_snapshots(home: Path) -> None:
    with Store(home) as store:
        importer.import_paths(store, [NOTES])
        kept = Snapshots(home).put(b"<html>kept</html>")
        lost = Snapshots(home).put(b"<html>lost</html>")
        with store.transaction():
            store.conn.executemany(
                "INSERT INTO snapshots(hash, size, stored_size, created_at) VALUES(?, 1, 1, 'x')",
                [(kept.hash,), (lost.hash,)],
            )
        Snapshots(home).path(lost.hash).unlink()

        found = doctor.checkup(store, home)
        assert not found.index.ok and not found.repaired
        assert found.missing_snapshots == [lost.hash]
        assert found.problems == ["there is no search index", MISSING]

        repaired = doctor.checkup(store, home, repair=True)
        assert repaired.repaired and repaired.index.ok
        assert repaired.index.index_links == store.count_links() > 0
        # no link had that body: nothing to re-fetch it from, so the problem stays
        assert (repaired.refetch, repaired.problems) == ([], [MISSING])
        assert not doctor.checkup(store, home, repair=True).repaired  # nothing to repair


def test_a_damaged_snapshot_is_found_and_its_link_refetched(home: Path) -> None:
    body = b"<html><title>kept</title></html>"
    with Store(home) as store:
        [link_id] = add_links(store, ["https://a.example/page"])
        snapshot = Snapshots(home).put(body)
        with store.transaction():
            store.conn.execute(
                "INSERT INTO snapshots(hash, size, stored_size, created_at) VALUES(?, 1, 1, 'x')",
                (snapshot.hash,),
            )
            store.conn.execute(
                "INSERT INTO link_snapshots(link_id, hash, fetched_at) VALUES(?, ?, 'x')",
                (link_id, snapshot.hash),
            )
            store.conn.execute(
                "UPDATE links SET content_hash=?, etag='\"v1\"', last_modified='Mon', "
                "next_fetch_at='2099-01-01T00:00:00Z', status='ok' WHERE id=?",
                (snapshot.hash, link_id),
            )
        path = Snapshots(home).path(snapshot.hash)
        path.write_bytes(gzip.compress(b"<html>someone else's bytes</html>"))

        found = doctor.checkup(store, home)
        assert (found.snapshots_checked, found.missing_snapshots) == (1, [])
        assert found.damaged_snapshots == [snapshot.hash]
        assert found.problems[-1].startswith("1 snapshot files do not match their sha256 name")

        repaired = doctor.checkup(store, home, repair=True)
        assert repaired.refetch == [link_id]
        assert not path.exists()
        row = store.conn.execute(
            "SELECT content_hash, etag, last_modified, next_fetch_at FROM links WHERE id=?",
            (link_id,),
        ).fetchone()
        assert tuple(row) == (None, None, None, None)
        assert [due.id for due in store.due_links(now="2026-01-01T00:00:00Z")] == [link_id]
        assert Snapshots(home).put(body).created  # the re-fetched body is stored again
        assert Snapshots(home).verify(snapshot.hash)


def test_an_index_behind_the_store_is_a_problem_the_repair_catches_up(
    home: Path, monkeypatch: object
) -> None:
    """A crawl killed between two batches leaves changed links unindexed: doctor says so."""
    from linkindex import indexing

    with Store(home) as store:
        importer.import_notes(store, home, [NOTES])
        ids = sorted(store.alive_link_ids())[:3]
        with store.transaction():
            store.touch(ids)  # as a crawl's recorded pages do, and then it was killed
        found = doctor.checkup(store, home)
        assert found.index.behind == 3 and found.index.only_behind
        assert found.problems == [
            "3 links changed since the index last caught up (a run that was stopped or "
            "killed); `linkindex index` indexes them"
        ]
        rebuilt: list[bool] = []
        real = indexing.refresh

        def watched(*args: object, rebuild: bool = False, **kwargs: object) -> int:
            rebuilt.append(rebuild)
            return real(*args, rebuild=rebuild, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(indexing, "refresh", watched)  # type: ignore[attr-defined]
        repaired = doctor.checkup(store, home, repair=True)
        assert repaired.repaired and repaired.index.ok and repaired.problems == []
        assert rebuilt == [False]  # caught up, not rebuilt
