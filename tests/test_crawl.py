"""The crawl operation against local servers: outcomes recorded, pages, snapshots, history."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from crawl_servers import (
    Proxy,
    Recorder,
    add_links,
    assert_interval_kept,
    fast_settings,
    fixture,
)
from linkindex.config import ArchiveSettings, Settings
from linkindex.crawl import CrawlProgress, CrawlSelection, CrawlSummary, crawl
from linkindex.snapshots import Snapshots
from linkindex.store import Store

ARTICLE = fixture("article.html")


@pytest.fixture
def db(home: Path) -> Iterator[Store]:
    store = Store(home)
    yield store
    store.close()


def run(
    store: Store, home: Path, settings: Settings | None = None, **selection: Any
) -> CrawlSummary:
    return crawl(store, home, settings or fast_settings(), selection=CrawlSelection(**selection))


def link(store: Store, link_id: int) -> dict[str, Any]:
    return store.query("SELECT * FROM links WHERE id=?", (link_id,))[0]


def html(body: bytes | str, **headers: str) -> Response:
    return Response(body, content_type="text/html; charset=utf-8", headers=headers)


def test_every_outcome_is_recorded(db: Store, home: Path, server: HTTPServer) -> None:
    flaky = iter([Response("boom", status=500), html(ARTICLE)])
    server.expect_request("/article").respond_with_response(html(ARTICLE))
    server.expect_request("/gone").respond_with_data("not here", status=404)
    server.expect_request("/forbidden").respond_with_data("no", status=403)
    server.expect_request("/flaky").respond_with_handler(lambda request: next(flaky))
    server.expect_request("/loop").respond_with_response(
        Response(status=302, headers={"Location": "/loop"})
    )
    server.expect_request("/big").respond_with_data(b"x" * 5000)
    gbk = fixture("gbk_article.html")
    server.expect_request("/gbk").respond_with_data(gbk, content_type="text/html")
    paths = ["/article", "/gone", "/forbidden", "/flaky", "/loop", "/big", "/gbk"]
    ids = dict(zip(paths, add_links(db, [server.url_for(p) for p in paths]), strict=True))
    ids["ftp"] = add_links(db, ["ftp://example.com/file"])[0]

    summary = run(db, home, fast_settings(max_bytes=4000))

    assert summary.total == summary.done == 8
    assert summary.counts == {"ok": 3, "dead": 1, "blocked": 1, "error": 2, "skipped": 1}
    assert summary.by_site == {"web": summary.counts}
    statuses = {path: link(db, i)["status"] for path, i in ids.items()}
    assert statuses == {
        "/article": "ok",
        "/gone": "dead",
        "/forbidden": "blocked",
        "/flaky": "ok",
        "/loop": "error",
        "/big": "error",
        "/gbk": "ok",
        "ftp": "skipped",
    }
    records = {r.id: r for r in db.link_records(ids.values())}
    page = records[ids["/article"]].page
    assert page is not None
    assert page.title == "Gradient checkpointing explained"
    assert "recomputes the rest" in page.text
    assert not page.from_archive
    gbk_page = records[ids["/gbk"]].page
    assert gbk_page is not None
    assert gbk_page.title == "深度学习框架比较"
    assert "静态图框架" in gbk_page.text
    assert records[ids["/gone"]].page is None

    flaky_fetch = db.fetch_history(ids["/flaky"])[0]
    assert (flaky_fetch["outcome"], flaky_fetch["attempts"]) == ("ok", 2)
    loop = link(db, ids["/loop"])
    assert "redirect loop" in loop["error"]
    assert "4000-byte limit" in link(db, ids["/big"])["error"]
    for i in ids.values():
        row = link(db, i)
        assert row["next_fetch_at"] > row["checked_at"]
        assert len(db.fetch_history(i)) == 1
    ok = link(db, ids["/article"])
    assert ok["fail_count"] == 0 and ok["fetched_at"] == ok["checked_at"]
    assert link(db, ids["/gone"])["dead_count"] == 1
    assert link(db, ids["/forbidden"])["fail_count"] == 1

    snapshots = Snapshots(home)
    assert snapshots.get(page.snapshot_hash or "") == ARTICLE
    assert snapshots.get(gbk_page.snapshot_hash or "") == gbk


def test_a_second_crawl_finds_nothing_due(db: Store, home: Path, server: HTTPServer) -> None:
    server.expect_request("/a").respond_with_response(html(ARTICLE))
    add_links(db, [server.url_for("/a")])
    assert run(db, home).done == 1
    again = run(db, home)
    assert (again.selected, again.done) == (0, 0)
    assert len(server.log) == 1


def test_304_on_recrawl_is_not_modified(db: Store, home: Path, server: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return html(ARTICLE, ETag='"v1"', **{"Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"})

    server.expect_request("/a").respond_with_handler(handler)
    (link_id,) = add_links(db, [server.url_for("/a")])
    run(db, home)
    first = link(db, link_id)
    summary = run(db, home, due_only=False)
    assert summary.counts == {"not_modified": 1}
    after = link(db, link_id)
    assert after["status"] == "ok"
    assert after["unchanged_count"] == 1
    assert after["fetched_at"] == first["fetched_at"]
    assert db.fetch_history(link_id)[0]["outcome"] == "not_modified"
    sent = server.log[1][0]
    assert sent.headers["If-None-Match"] == '"v1"'
    assert sent.headers["If-Modified-Since"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert len(db.snapshot_versions(link_id)) == 1


def test_an_empty_page_is_fetched_whole_again(db: Store, home: Path, server: HTTPServer) -> None:
    """A page stored empty (a body an older version could not read) is not validated:
    the server's 304 would keep it empty; the page is fetched and read again."""

    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return html(ARTICLE, ETag='"v1"')

    server.expect_request("/a").respond_with_handler(handler)
    (link_id,) = add_links(db, [server.url_for("/a")])
    run(db, home)
    with db.transaction():  # what the older version left
        db.conn.execute("UPDATE pages SET title = '', text = '' WHERE link_id = ?", (link_id,))
        db.conn.execute("UPDATE links SET content_hash = 'gzip bytes' WHERE id = ?", (link_id,))
    summary = run(db, home, due_only=False)
    assert summary.counts == {"ok": 1}
    assert "If-None-Match" not in server.log[1][0].headers
    page = db.conn.execute("SELECT title, text FROM pages WHERE link_id = ?", (link_id,)).fetchone()
    assert page[0] and page[1]
    # a page with text is validated as before
    assert run(db, home, due_only=False).counts == {"not_modified": 1}


def test_changed_content_keeps_versions(db: Store, home: Path, server: HTTPServer) -> None:
    bodies = itertools.chain(
        [ARTICLE, ARTICLE], itertools.repeat(ARTICLE.replace(b"thirty", b"forty"))
    )
    server.expect_request("/a").respond_with_handler(lambda request: html(next(bodies)))
    (link_id,) = add_links(db, [server.url_for("/a")])
    run_id = db.start_run("crawl", "2026-01-01T00:00:00Z")
    run(db, home, run_id=run_id)
    same = run(db, home, due_only=False, run_id=run_id)
    assert (same.counts, same.changed) == ({"ok": 1}, 0)
    assert link(db, link_id)["unchanged_count"] == 1
    changed = run(db, home, due_only=False, run_id=run_id)
    assert changed.changed == 1
    assert link(db, link_id)["unchanged_count"] == 0
    versions = db.snapshot_versions(link_id)
    assert len(versions) == 2
    page = db.link_records([link_id])[0].page
    assert page is not None and "forty percent" in page.text
    assert page.snapshot_hash == versions[-1]["hash"]
    kinds = [e["kind"] for e in db.events(run_ids=[run_id])]
    assert kinds == ["changed"]


def test_events_on_state_changes(db: Store, home: Path, server: HTTPServer) -> None:
    answers = iter([Response("no", status=404), html(ARTICLE)])
    server.expect_request("/a").respond_with_handler(lambda request: next(answers))
    (link_id,) = add_links(db, [server.url_for("/a")])
    run_id = db.start_run("crawl", "2026-01-01T00:00:00Z")
    run(db, home, run_id=run_id)
    run(db, home, due_only=False, run_id=run_id)
    assert [(e["kind"], e["link_id"]) for e in db.events(run_ids=[run_id])] == [
        ("dead", link_id),
        ("recovered", link_id),
    ]


def test_robots_disallow_skips(db: Store, home: Path, server: HTTPServer) -> None:
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private\n")
    server.expect_request("/private/a").respond_with_response(html(ARTICLE))
    server.expect_request("/public").respond_with_response(html(ARTICLE))
    private, public = add_links(db, [server.url_for("/private/a"), server.url_for("/public")])
    summary = run(db, home, fast_settings(obey_robots=True))
    assert summary.counts == {"skipped": 1, "ok": 1}
    assert link(db, private)["status"] == "skipped"
    assert link(db, private)["error"] == "robots.txt disallows it"
    assert link(db, public)["status"] == "ok"
    assert "/private/a" not in [entry[0].path for entry in server.log]


def test_selection_narrows_the_crawl(db: Store, home: Path, server: HTTPServer) -> None:
    server.expect_request("/a").respond_with_response(html(ARTICLE))
    server.expect_request("/b").respond_with_data("no", status=404)
    a, b, c = add_links(db, [server.url_for("/a"), server.url_for("/b"), server.url_for("/a?x")])
    assert run(db, home, link_ids=(a,)).done == 1
    assert run(db, home, sites=("wechat",)).done == 0
    assert run(db, home, limit=1).done == 1
    assert run(db, home).done == 1
    assert run(db, home, due_only=False, statuses=("dead",)).counts == {"dead": 1}
    assert link(db, b)["status"] == "dead" and link(db, c)["status"] == "ok"


def test_progress_reports_each_link(db: Store, home: Path, server: HTTPServer) -> None:
    server.expect_request("/a").respond_with_response(html(ARTICLE))
    add_links(db, [server.url_for("/a"), server.url_for("/a?2"), server.url_for("/a?3")])
    seen: list[CrawlProgress] = []
    crawl(db, home, fast_settings(), selection=CrawlSelection(), progress=seen.append)
    assert [(p.done, p.total) for p in seen] == [(1, 3), (2, 3), (3, 3)]
    assert seen[-1].counts == {"ok": 3}
    assert seen[-1].rate > 0


def test_hosts_crawl_side_by_side_each_at_its_interval(db: Store, home: Path) -> None:
    servers = [HTTPServer(host=f"127.0.0.{n}", threaded=True) for n in (2, 3, 4)]
    seen = {n: Recorder() for n in range(3)}
    for n, srv in enumerate(servers):

        def handler(request: Request, n: int = n) -> Response:
            seen[n].add(request.path, {})
            return html(ARTICLE)

        srv.expect_request("/p").respond_with_handler(handler)
        srv.start()
    try:
        add_links(db, [srv.url_for(f"/p?{i}") for srv in servers for i in range(4)])
        interval = 0.3
        summary = run(db, home, fast_settings(per_host_interval=interval, concurrency=4))
    finally:
        for srv in servers:
            srv.stop()
    assert summary.counts == {"ok": 12}
    timelines = [[s.at for s in recorder.seen] for recorder in seen.values()]
    for starts in timelines:
        assert len(starts) == 4
        assert_interval_kept(starts, interval)
    # Side by side, not one host after another: every host had its first request
    # before any host had its last (a wall-clock bound would fail on a busy machine).
    assert max(starts[0] for starts in timelines) < min(starts[-1] for starts in timelines)


# -- WeChat, served through a proxy that stands in for DNS ---------------------------


@pytest.fixture
def wechat(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    """``http://mp.weixin.qq.com/...`` answered by the local server (via a proxy)."""
    with Proxy({"mp.weixin.qq.com": f"127.0.0.1:{server.port}"}) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        yield server


def test_wechat_article_deleted_and_moved(db: Store, home: Path, wechat: HTTPServer) -> None:
    wechat.expect_request("/s/article").respond_with_response(html(fixture("wechat_article.html")))
    wechat.expect_request("/s/deleted").respond_with_response(html(fixture("wechat_deleted.html")))
    wechat.expect_request("/s/moved").respond_with_response(html(fixture("wechat_moved.html")))
    wechat.expect_request(
        "/s",
        query_string={
            "__biz": "MzkyNjQ3MTk0Nw==",
            "mid": "2247483761",
            "idx": "1",
            "sn": "2c6f8e1a",
        },
    ).respond_with_response(html(fixture("wechat_article.html")))
    base = "http://mp.weixin.qq.com/s/"
    article, deleted, moved = add_links(db, [base + "article", base + "deleted", base + "moved"])
    summary = run(db, home)
    assert summary.by_site == {"wechat": {"ok": 2, "dead": 1}}
    record = db.link_records([article])[0]
    assert record.site == "wechat"
    assert record.page is not None
    assert record.page.title == "显存优化：梯度检查点实战"
    assert record.page.account == "深度学习工坊"
    assert record.page.published_at == "2023-11-14T22:13:20Z"
    gone = link(db, deleted)
    assert (gone["status"], gone["http_status"], gone["error"]) == (
        "dead",
        200,
        "该内容已被发布者删除",
    )
    assert db.link_records([deleted])[0].page is None
    followed = link(db, moved)
    assert followed["status"] == "ok"
    assert "sn=2c6f8e1a" in followed["final_url"]
    hops = db.fetch_history(moved)[0]["redirects"]
    assert hops[-1][1].endswith("sn=2c6f8e1a")


def test_verification_page_cools_the_host_down(db: Store, home: Path, wechat: HTTPServer) -> None:
    wechat.expect_request("/s/verify").respond_with_response(html(fixture("wechat_verify.html")))
    wechat.expect_request("/s/next").respond_with_response(html(fixture("wechat_article.html")))
    base = "http://mp.weixin.qq.com/s/"
    ids = add_links(db, [base + "verify", base + "next", base + "next?2"])
    summary = run(db, home, fast_settings(per_host_concurrency=1))
    assert summary.counts == {"blocked": 1}
    assert summary.deferred == 2
    assert summary.cooled_hosts == ["mp.weixin.qq.com"]
    assert link(db, ids[0])["status"] == "blocked"
    assert [link(db, i)["status"] for i in ids[1:]] == ["new", "new"]
    (host,) = db.hosts()
    assert host["host"] == "mp.weixin.qq.com" and host["blocked_count"] == 1
    assert "环境异常" in host["reason"]
    later = run(db, home)  # still resting: nothing is asked of it
    assert (later.done, later.deferred) == (0, 2)
    assert [entry[0].path for entry in wechat.log] == ["/s/verify"]


def test_repeated_403_cools_the_host_down(db: Store, home: Path, server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("no", status=403)
    add_links(db, [server.url_for(f"/x?{i}") for i in range(6)])
    summary = run(db, home, fast_settings(per_host_concurrency=1))
    assert summary.counts == {"blocked": 3}
    assert summary.deferred == 3
    assert len(server.log) == 3


# -- lost pages ----------------------------------------------------------------------------


def wayback(server: HTTPServer, original: str, *, body: bytes = ARTICLE) -> str:
    """Serve an availability API and an archived copy of ``original``; returns the API URL."""
    stamp = "20240101000000"
    copy = server.url_for(f"/web/{stamp}/{original}")
    answer = {
        "archived_snapshots": {
            "closest": {"available": True, "url": copy, "timestamp": stamp, "status": "200"}
        }
    }
    server.expect_request("/wayback/available").respond_with_json(answer)
    server.expect_request(f"/web/{stamp}id_/{original}").respond_with_response(html(body))
    return server.url_for("/wayback/available")


def test_dead_link_is_recovered_from_the_archive(db: Store, home: Path, server: HTTPServer) -> None:
    server.expect_request("/lost").respond_with_data("gone", status=404)
    original = server.url_for("/lost")
    api = wayback(server, original)
    (link_id,) = add_links(db, [original])
    run_id = db.start_run("crawl", "2026-01-01T00:00:00Z")
    summary = run(db, home, fast_settings(archive=ArchiveSettings(wayback_api=api)), run_id=run_id)
    assert summary.counts == {"dead": 1}
    assert summary.archived == 1
    record = db.link_records([link_id])[0]
    assert record.status == "dead"
    assert record.archive_url == server.url_for(f"/web/20240101000000/{original}")
    assert record.page is not None and record.page.from_archive
    assert record.page.title == "Gradient checkpointing explained"
    history = db.fetch_history(link_id)
    assert [(h["outcome"], h["from_archive"]) for h in history] == [("ok", True), ("dead", False)]
    assert [v["from_archive"] for v in db.snapshot_versions(link_id)] == [True]
    api_call = next(entry[0] for entry in server.log if entry[0].path == "/wayback/available")
    assert api_call.args["url"] == original
    assert [e["kind"] for e in db.events(run_ids=[run_id])] == ["dead", "archived"]


def test_archive_without_a_copy_leaves_the_link_dead(
    db: Store, home: Path, server: HTTPServer
) -> None:
    server.expect_request("/lost").respond_with_data("gone", status=404)
    server.expect_request("/wayback/available").respond_with_json({"archived_snapshots": {}})
    (link_id,) = add_links(db, [server.url_for("/lost")])
    api = server.url_for("/wayback/available")
    summary = run(db, home, fast_settings(archive=ArchiveSettings(wayback_api=api)))
    assert (summary.counts, summary.archived) == ({"dead": 1}, 0)
    assert link(db, link_id)["archive_url"] is None


def test_page_already_held_keeps_our_copy(db: Store, home: Path, server: HTTPServer) -> None:
    answers = iter([html(ARTICLE), Response("gone", status=404)])
    server.expect_request("/a").respond_with_handler(lambda request: next(answers))
    original = server.url_for("/a")
    api = wayback(server, original, body=b"<html><title>other</title></html>")
    (link_id,) = add_links(db, [original])
    settings = fast_settings(archive=ArchiveSettings(wayback_api=api))
    run(db, home, settings)
    run(db, home, settings, due_only=False)
    record = db.link_records([link_id])[0]
    assert record.status == "dead"
    assert record.archive_url is not None
    assert record.page is not None and not record.page.from_archive
    assert record.page.title == "Gradient checkpointing explained"
    assert not [entry for entry in server.log if "id_" in entry[0].path]  # copy not fetched


# -- GitHub through the REST API --------------------------------------------------------


def test_github_repo_through_the_api(
    db: Store, home: Path, server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    repo = {
        "full_name": "apache/tvm",
        "html_url": "https://github.com/apache/tvm",
        "description": "Open deep learning compiler stack",
        "stargazers_count": 12000,
        "archived": False,
        "topics": ["compiler"],
        "pushed_at": "2026-01-01T00:00:00Z",
        "owner": {"login": "apache"},
    }
    server.expect_request("/repos/apache/tvm").respond_with_json(repo, headers={"ETag": '"r1"'})
    server.expect_request("/repos/apache/tvm/readme").respond_with_data(
        "# TVM\n\nAn end to end machine learning compiler framework.", content_type="text/plain"
    )
    server.expect_request("/repos/gone/away").respond_with_json(
        {"message": "Not Found"}, status=404
    )
    tvm, gone = add_links(db, ["https://github.com/apache/tvm", "https://github.com/gone/away"])
    settings = fast_settings(github_api_url=server.url_for("/"))
    summary = run(db, home, settings)
    assert summary.by_site == {"github": {"ok": 1, "dead": 1}}
    record = db.link_records([tvm])[0]
    assert record.page is not None
    assert "machine learning compiler" in record.page.text
    assert record.page.extra["stars"] == 12000
    assert record.final_url == "https://github.com/apache/tvm"
    assert link(db, gone)["status"] == "dead"
    calls = [entry[0] for entry in server.log]
    assert calls[0].headers["Authorization"] == "Bearer t0ken"
    assert {c.path for c in calls} == {
        "/repos/apache/tvm",
        "/repos/apache/tvm/readme",
        "/repos/gone/away",
    }
    stored = json.loads(Snapshots(home).get(record.page.snapshot_hash or ""))
    assert stored["repo"]["full_name"] == "apache/tvm"


def test_extraction_in_worker_processes(db: Store, home: Path, server: HTTPServer) -> None:
    server.expect_request("/a").respond_with_response(html(ARTICLE))
    server.expect_request("/gone").respond_with_response(html(fixture("wechat_article.html")))
    ids = add_links(db, [server.url_for("/a"), server.url_for("/a?2"), server.url_for("/gone")])
    summary = run(db, home, fast_settings(extract_workers=1))
    assert summary.counts == {"ok": 3}
    records = db.link_records(ids)
    assert [r.page.title for r in records if r.page] == [
        "Gradient checkpointing explained",
        "Gradient checkpointing explained",
        "显存优化：梯度检查点实战",
    ]
    hashes = {r.page.snapshot_hash for r in records if r.page}
    assert len(hashes) == 2  # the same body twice is one snapshot
    assert all(Snapshots(home).verify(h or "") for h in hashes)


def test_automatic_workers_start_only_when_extraction_cannot_keep_up(home: Path) -> None:
    from linkindex.crawl import extraction

    now = [0.0]
    polite = extraction.Extraction(home, 2, eager=False, clock=lambda: now[0])
    polite._spent(1.5)  # the first pages import the extractors: not a measure of pace
    now[0] += 1.0
    polite._spent(1.5)
    for _ in range(10):  # a page every second, 10 ms to extract: a thread keeps up
        now[0] += 1.0
        polite._spent(0.01)
    assert polite._pool is None
    busy = extraction.Extraction(home, 1, eager=False, clock=lambda: now[0])
    busy._spent(1.5)
    try:
        now[0] += 2.0  # the end of the warm-up window
        busy._spent(0.01)
        now[0] += 2.5
        busy._spent(2.0)  # extraction took 2 of the last 2.5 s
        assert busy._pool is not None
    finally:
        busy.close()
    eager = extraction.Extraction(home, 1, eager=True)
    try:
        assert eager._pool is not None  # crawl.extract_workers asked for them
    finally:
        eager.close()


def test_worker_count() -> None:
    from linkindex.crawl.extraction import PROCESS_THRESHOLD, worker_count

    assert worker_count(3, 1) == 3  # asked for: always
    assert worker_count(0, 10_000) == 0  # 0: a thread, however large
    assert worker_count(None, PROCESS_THRESHOLD - 1) == 0  # small crawl: a thread
    assert worker_count(None, PROCESS_THRESHOLD) in (0, *range(2, 9))


def test_blocked_links_use_the_archive_only_when_asked(
    db: Store, home: Path, server: HTTPServer
) -> None:
    server.expect_request("/walled").respond_with_data("login first", status=403)
    original = server.url_for("/walled")
    api = wayback(server, original)
    (link_id,) = add_links(db, [original])
    run(db, home, fast_settings(archive=ArchiveSettings(wayback_api=api)))
    assert link(db, link_id)["archive_url"] is None
    asked = ArchiveSettings(wayback_api=api, for_blocked=True)
    summary = run(db, home, fast_settings(archive=asked), due_only=False)
    assert (summary.counts, summary.archived) == ({"blocked": 1}, 1)
    record = db.link_records([link_id])[0]
    assert record.page is not None and record.page.from_archive


def test_topic_selects_links_under_a_heading(db: Store, home: Path, server: HTTPServer) -> None:
    from linkindex import topics

    def matches(text: str, path: list[str]) -> bool:
        return topics.matches(topics.key(text, topics.names([path])), path)

    assert matches("Pytorch > 参考", ["pytorch", "参考", "显存"])
    assert matches("Pytorch > 参考", ["NN中间语言", "Pytorch", "参考"])
    assert not matches("Pytorch > 参考", ["Pytorch", "项目", "参考"])
    assert matches("onnx", ["NN中间语言", "ONNX"])
    server.expect_request("/a").respond_with_response(html(ARTICLE))
    under, other = add_links(db, [server.url_for("/a?1"), server.url_for("/a?2")])
    with db.transaction():
        note = db.conn.execute("INSERT INTO notes(path) VALUES('/n.md')").lastrowid
        for link_id, topic in ((under, '["Pytorch", "参考"]'), (other, '["ONNX"]')):
            db.conn.execute(
                "INSERT INTO placements(link_id, note_id, line, topic) VALUES(?, ?, 1, ?)",
                (link_id, note, topic),
            )
    summary = run(db, home, topic="Pytorch > 参考")
    assert summary.done == 1
    assert link(db, under)["status"] == "ok" and link(db, other)["status"] == "new"


def test_an_extractor_crash_is_one_failed_link(
    db: Store, home: Path, server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linkindex.extract

    real = linkindex.extract.extract_page

    def fragile(body: bytes, **kwargs: Any) -> Any:
        if b"explode" in body:
            raise ValueError("unexpected markup")
        return real(body, **kwargs)

    monkeypatch.setattr(linkindex.extract, "extract_page", fragile)
    server.expect_request("/bad").respond_with_response(html("<p>explode</p>"))
    server.expect_request("/good").respond_with_response(html(ARTICLE))
    bad, good = add_links(db, [server.url_for("/bad"), server.url_for("/good")])
    summary = run(db, home)
    assert summary.counts == {"error": 1, "ok": 1}
    assert link(db, bad)["error"] == "internal: ValueError: unexpected markup"
    assert link(db, good)["status"] == "ok"


def test_raw_copy_url() -> None:
    from linkindex.crawl.recover import raw_copy_url

    copy = "http://web.archive.org/web/20130919044612/http://example.com/a/"
    assert (
        raw_copy_url(copy) == "http://web.archive.org/web/20130919044612id_/http://example.com/a/"
    )
    already = "https://web.archive.org/web/2013im_/http://example.com/"
    assert raw_copy_url(already) == "https://web.archive.org/web/2013id_/http://example.com/"


def test_a_crawl_keeps_the_index_up_to_date_even_when_interrupted(
    db: Store, home: Path, server: HTTPServer
) -> None:
    from linkindex import search
    from linkindex.index import folder

    server.expect_request("/article").respond_with_response(html(ARTICLE))
    first, second = add_links(db, [server.url_for("/article?1"), server.url_for("/article?2")])

    def ctrl_c(progress: CrawlProgress) -> None:
        raise KeyboardInterrupt  # pressed after the first page

    settings = fast_settings()
    stopped = crawl(db, home, settings, selection=CrawlSelection(), progress=ctrl_c)
    assert stopped.interrupted and stopped.indexed  # what it fetched is searchable at once
    assert folder.exists(home)
    found = search.search(home, "checkpointing", store=db)
    # the page fetched before Ctrl-C (either: both were in flight) is found as ok
    assert [hit.status for hit in found.hits] == ["ok"]
    assert found.hits[0].link_id in (first, second)
    summary = run(db, home, settings, due_only=False)
    assert summary.indexed == 1 and summary.to_dict()["indexed"] == 1  # only the second changed
    found = search.search(home, "checkpointing", store=db)
    assert {hit.link_id for hit in found.hits} == {first, second}
    assert all(hit.status == "ok" for hit in found.hits)
    alone = crawl(db, home, settings, selection=CrawlSelection(due_only=False), index=False)
    assert alone.done == 2 and alone.indexed is None


def test_pages_are_searchable_while_the_crawl_runs(
    db: Store, home: Path, server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of the crawl are indexed beside it: the web UI sees them within minutes."""
    from linkindex import indexing, search

    monkeypatch.setattr(indexing, "BATCH_LINKS", 2)
    server.expect_request("/article").respond_with_response(html(ARTICLE))
    ids = add_links(db, [server.url_for(f"/article?{n}") for n in range(6)])
    seen_during: list[int] = []

    def look(progress: CrawlProgress) -> None:
        if progress.done != 4:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # another reader, as the web UI is
            found = search.search(home, "checkpointing status:ok")
            if found.total >= 2:
                seen_during.append(found.total)
                return
            time.sleep(0.05)

    summary = crawl(db, home, fast_settings(), selection=CrawlSelection(), progress=look)
    assert seen_during and 2 <= seen_during[0] <= 4
    assert summary.indexed is not None and summary.indexed >= 6
    found = search.search(home, "checkpointing status:ok", store=db)
    assert {hit.link_id for hit in found.hits} == set(ids)


def test_index_batches_are_due_by_count_or_by_time(home: Path) -> None:
    from linkindex import indexing

    now = [0.0]
    started: list[int] = []
    batches = indexing.Batches(home, links=3, seconds=60, clock=lambda: now[0])
    batches._index = lambda: started.append(batches.pending)  # type: ignore[method-assign]
    batches.changed()
    batches.changed()
    batches.wait()
    assert started == []
    batches.changed()  # the third change: a batch
    batches.wait()
    assert len(started) == 1
    batches.changed()
    now[0] = 61.0  # a lone change, two minutes later: a batch too
    batches.changed()
    batches.wait()
    assert len(started) == 2
