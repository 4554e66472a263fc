"""Hosts that refuse: a canary tells a page's refusal from the host's, and a host whose
rest ends while the crawl still runs is crawled again in the same run."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from crawl_servers import add_links, fast_settings, fixture
from linkindex.crawl import CrawlSelection, CrawlSummary, crawl
from linkindex.store import Store

ARTICLE = fixture("article.html")


@pytest.fixture
def db(store: Store) -> Store:
    """The test's store (conftest's ``store``), under the name the crawl tests use."""
    return store


def run(store: Store, home: Path, **crawl_settings: Any) -> CrawlSummary:
    settings = fast_settings(per_host_concurrency=1, retries=0, **crawl_settings)
    return crawl(store, home, settings, selection=CrawlSelection())


def statuses(store: Store, ids: list[int]) -> list[str]:
    rows = {row["id"]: row["status"] for row in store.query("SELECT id, status FROM links")}
    return [rows[i] for i in ids]


def some_pages_refuse(server: HTTPServer) -> None:
    """``/ok`` answers; ``/no`` always refuses (that page, not the host)."""
    server.expect_request("/ok").respond_with_data(ARTICLE, content_type="text/html")
    server.expect_request("/no").respond_with_data("forbidden", status=403)


def asked(server: HTTPServer) -> list[str]:
    return [f"{entry[0].path}?{entry[0].query_string.decode()}" for entry in server.log]


def test_refusals_of_a_few_pages_do_not_rest_the_host(
    db: Store, home: Path, server: HTTPServer
) -> None:
    some_pages_refuse(server)
    paths = ["/ok?1", "/ok?2", "/no?1", "/no?2", "/no?3", "/ok?3", "/ok?4", "/no?4", "/ok?5"]
    ids = add_links(db, [server.url_for(path) for path in paths])
    summary = run(db, home)
    assert summary.counts == {"ok": 5, "blocked": 4}
    assert (summary.cooled_hosts, summary.deferred) == ([], 0)
    assert statuses(db, ids) == ["blocked" if "no" in p else "ok" for p in paths]
    # Three refusals in a row sent one canary, the page served last, which came back fine.
    assert asked(server) == [*paths[:5], "/ok?2", *paths[5:]]
    assert db.hosts() == []


def test_the_canary_can_be_a_page_of_the_last_crawl(
    db: Store, home: Path, server: HTTPServer
) -> None:
    some_pages_refuse(server)
    add_links(db, [server.url_for("/ok?old")])
    assert run(db, home).counts == {"ok": 1}
    add_links(db, [server.url_for(f"/no?{n}") for n in range(3)] + [server.url_for("/ok?new")])
    summary = run(db, home)
    assert summary.counts == {"blocked": 3, "ok": 1}
    assert summary.cooled_hosts == []
    assert asked(server)[1:] == ["/no?0", "/no?1", "/no?2", "/ok?old", "/ok?new"]


def test_a_refused_canary_rests_the_host(db: Store, home: Path, server: HTTPServer) -> None:
    answers = itertools.chain([Response(ARTICLE, content_type="text/html")], itertools.repeat(None))

    def host_turns_away(request: Request) -> Response:
        return next(answers) or Response("forbidden", status=403)

    server.expect_request("/p").respond_with_handler(host_turns_away)
    ids = add_links(db, [server.url_for(f"/p?{n}") for n in range(6)])
    summary = run(db, home)
    assert summary.counts == {"ok": 1, "blocked": 3}
    assert (summary.cooled_hosts, summary.deferred) == (["127.0.0.1"], 2)
    assert asked(server) == ["/p?0", "/p?1", "/p?2", "/p?3", "/p?0"]
    assert statuses(db, ids) == ["ok", "blocked", "blocked", "blocked", "new", "new"]


def test_a_rested_host_comes_back_within_the_crawl(db: Store, home: Path) -> None:
    """Host A refuses its first three requests and then recovers; host B keeps the crawl
    running for longer than A's one-second rest."""
    a = HTTPServer(host="127.0.0.2", threaded=True)
    b = HTTPServer(host="127.0.0.3", threaded=True)
    refusals = itertools.count()
    lock = threading.Lock()

    def recovering(request: Request) -> Response:
        with lock:
            refused = next(refusals) < 3
        if refused:
            return Response("busy, go away", status=403)
        return Response(ARTICLE, content_type="text/html")

    def slow(request: Request) -> Response:
        threading.Event().wait(0.25)
        return Response(ARTICLE, content_type="text/html")

    a.expect_request("/a").respond_with_handler(recovering)
    b.expect_request("/b").respond_with_handler(slow)
    a.start()
    b.start()
    try:
        a_ids = add_links(db, [a.url_for(f"/a?{n}") for n in range(6)])
        add_links(db, [b.url_for(f"/b?{n}") for n in range(12)])
        summary = run(db, home, cooldown=1.0)
    finally:
        a.stop()
        b.stop()
    assert summary.cooled_hosts == ["127.0.0.2"]
    assert summary.deferred == 0
    assert summary.counts == {"ok": 15, "blocked": 3}
    assert statuses(db, a_ids) == ["blocked"] * 3 + ["ok"] * 3
    (host,) = db.hosts()
    assert (host["host"], host["cooldown_until"], host["blocked_count"]) == ("127.0.0.2", None, 0)
