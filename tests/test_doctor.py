"""The doctor: the index against the store, snapshot files on disk, the repair."""

from __future__ import annotations

from pathlib import Path

from linkindex import doctor, importer
from linkindex.snapshots import Snapshots
from linkindex.store import Store

NOTES = Path(__file__).parent / "fixtures" / "search" / "notes"


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
        assert found.problems == [
            "there is no search index",
            "1 snapshot files are missing (re-crawl restores them)",
        ]

        repaired = doctor.checkup(store, home, repair=True)
        assert repaired.repaired and repaired.index.ok
        assert repaired.index.index_links == store.count_links() > 0
        assert repaired.problems == ["1 snapshot files are missing (re-crawl restores them)"]
        assert not doctor.checkup(store, home, repair=True).repaired  # nothing to repair
