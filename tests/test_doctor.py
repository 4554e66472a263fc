"""The doctor: the index against the store, snapshot files on disk, the repair."""

from __future__ import annotations

import gzip
from pathlib import Path

from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from crawl_servers import add_links, fast_settings
from linkindex import doctor, importer
from linkindex.cli import app
from linkindex.crawl import CrawlSelection, crawl
from linkindex.snapshots import Snapshots
from linkindex.store import Store

NOTES = Path(__file__).parent / "fixtures" / "search" / "notes"
MISSING = (
    "1 snapshot files are missing (`linkindex doctor --repair` has their links fetched "
    "again, or forgets those no link can bring back)"
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
        # no link had that body: nothing to re-fetch it from, so it is forgotten
        assert (repaired.refetch, repaired.problems) == ([], [])
        assert repaired.forgotten_snapshots == [lost.hash]
        again = doctor.checkup(store, home, repair=True)
        assert not again.repaired and again.problems == []  # nothing left to repair
        assert store.snapshot_hashes() == [kept.hash]


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
        assert (repaired.problems, repaired.waiting_snapshots) == ([], [snapshot.hash])
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


PAGE = (
    "<html><head><title>显存优化</title></head><body><article><h1>显存优化</h1>"
    + "<p>梯度检查点用计算换显存，混合精度训练把激活值存成半精度。</p>" * 5
    + "</article></body></html>"
)


def test_a_repaired_snapshot_waits_for_the_re_crawl_and_is_forgotten_if_it_cannot_come_back(
    home: Path, server: HTTPServer, runner: CliRunner
) -> None:
    server.expect_request("/a").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    url = f"http://127.0.0.1:{server.port}/a"
    with Store(home) as store:
        [link_id] = add_links(store, [url])
        crawl(store, home, fast_settings(), selection=CrawlSelection())
        [digest] = store.snapshot_hashes()
        Snapshots(home).path(digest).unlink()
        assert doctor.checkup(store, home).problems[-1] == MISSING

        repaired = doctor.checkup(store, home, repair=True)
        assert (repaired.refetch, repaired.waiting_snapshots) == ([link_id], [digest])
        # right after the repair: waiting for the re-crawl, which is no problem
        after = doctor.checkup(store, home)
        assert (after.problems, after.waiting_snapshots) == ([], [digest])
    shown = runner.invoke(app, ["doctor", "--home", str(home)])
    assert shown.exit_code == 0, shown.output
    assert "waiting for a re-crawl: 1 lost snapshot " in shown.stdout
    assert "problem: " not in shown.stdout and "snapshot" in shown.stdout

    # the page is gone by now: the re-crawl cannot bring the snapshot back
    server.clear()
    server.expect_request("/a").respond_with_data("gone", status=404)
    with Store(home) as store:
        crawl(store, home, fast_settings(), selection=CrawlSelection())
        assert store.link_records([link_id])[0].status == "dead"
        stuck = doctor.checkup(store, home)
        assert (stuck.waiting_snapshots, stuck.problems[-1]) == ([], MISSING)
        forgotten = doctor.checkup(store, home, repair=True)
        assert (forgotten.forgotten_snapshots, forgotten.refetch) == ([digest], [])
        assert forgotten.problems == []
        assert doctor.checkup(store, home).snapshots_checked == 0
        record = store.link_records([link_id])[0]
        assert record.page is not None and "梯度检查点" in record.page.text  # text kept


def test_a_re_crawl_that_fetches_the_same_body_restores_the_snapshot(
    home: Path, server: HTTPServer
) -> None:
    server.expect_request("/b").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    with Store(home) as store:
        add_links(store, [f"http://127.0.0.1:{server.port}/b"])
        crawl(store, home, fast_settings(), selection=CrawlSelection())
        [digest] = store.snapshot_hashes()
        Snapshots(home).path(digest).write_bytes(gzip.compress(b"overwritten"))
        assert doctor.checkup(store, home, repair=True).waiting_snapshots == [digest]
        crawl(store, home, fast_settings(), selection=CrawlSelection())
        healed = doctor.checkup(store, home)
        assert (healed.missing_snapshots, healed.damaged_snapshots) == ([], [])
        assert healed.waiting_snapshots == [] and Snapshots(home).verify(digest)
        lost_at = store.conn.execute("SELECT lost_at FROM snapshots WHERE hash=?", (digest,))
        assert lost_at.fetchone()[0] is None
