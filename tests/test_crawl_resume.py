"""A crawl killed mid-run (SIGKILL) or stopped with Ctrl-C leaves a consistent store,
and the next crawl finishes the rest."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from children import child_env, interrupted_says
from crawl_servers import add_links, fixture, slow_pages
from linkindex import search
from linkindex.config import load_settings
from linkindex.crawl import CrawlSelection, crawl
from linkindex.snapshots import Snapshots
from linkindex.store import Store

LINKS = 20  # 3 s of crawling at 0.3 s a page, two at a time: time to stop it mid-run
CONFIG = """
[crawl]
allow_private_networks = true
per_host_interval = 0
per_host_concurrency = 2
concurrency = 2
timeout = 5
retries = 0
obey_robots = false
extract_workers = 1          # the worker-process path, whose workers must not outlive it

[archive]
enabled = false
"""


@pytest.fixture
def slow_library(home: Path) -> Iterator[tuple[HTTPServer, list[int]]]:
    """A library of links whose server takes 0.3 s per page."""
    srv = slow_pages(0.3)
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(CONFIG, encoding="utf-8")
    with Store(home) as store:
        ids = add_links(store, [srv.url_for(f"/p?n={n}") for n in range(LINKS)])
    yield srv, ids
    srv.stop()


def start_crawl(home: Path) -> subprocess.Popen[bytes]:
    env = child_env(LINKINDEX_HOME=str(home))
    return subprocess.Popen(
        [sys.executable, "-m", "linkindex", "crawl", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        # A test run started in the background by a non-interactive shell inherits an
        # ignored SIGINT, and so would the crawl: give it Ctrl-C back.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_fetches(home: Path, count: int, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(home / "linkindex.db", timeout=5) as conn:
                done = conn.execute("SELECT COUNT(*) FROM fetches").fetchone()[0]
        except sqlite3.OperationalError:
            done = 0
        if done >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the crawl did not record {count} fetches in {timeout}s")


def running(pid: str) -> bool:
    """Whether a process is alive (a zombie waiting to be reaped is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def assert_consistent(home: Path) -> int:
    """Every fetched link has its fetch row, page and snapshot; returns how many are done."""
    with Store(home) as store:
        links = store.query("SELECT * FROM links")
        snapshots = Snapshots(home)
        done = 0
        for row in links:
            fetches = store.fetch_history(row["id"])
            if row["status"] == "new":
                assert fetches == [] and row["checked_at"] is None
                continue
            done += 1
            assert len(fetches) == 1
            assert fetches[0]["started_at"] == row["checked_at"]
            assert row["next_fetch_at"] is not None
            record = store.link_records([row["id"]])[0]
            assert record.page is not None
            assert snapshots.verify(record.page.snapshot_hash or "")
        return done


def test_sigkill_mid_crawl_then_resume(
    home: Path, slow_library: tuple[HTTPServer, list[int]]
) -> None:
    server, _ids = slow_library
    process = start_crawl(home)
    try:
        wait_for_fetches(home, 3)
        children = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert children  # the extraction worker (and multiprocessing's resource tracker)
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in children):
        assert time.monotonic() < deadline, "extraction workers outlived the killed crawl"
        time.sleep(0.1)
    done = assert_consistent(home)
    assert 3 <= done < LINKS
    with Store(home) as store:
        summary = crawl(store, home, load_settings(home), selection=CrawlSelection())
    assert summary.done == LINKS - done
    # the next crawl first indexed what the killed one had fetched, then the rest
    assert search.search(home, "status:ok").total == LINKS
    assert summary.counts == {"ok": LINKS - done}
    assert assert_consistent(home) == LINKS
    # Each link was asked once, plus at most the two requests in flight when it was killed.
    assert LINKS <= len(server.log) <= LINKS + 2


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_stop_cleanly_and_say_how_to_resume(
    home: Path, slow_library: tuple[HTTPServer, list[int]], sig: int, code: int
) -> None:
    process = start_crawl(home)
    try:
        wait_for_fetches(home, 2)
        children = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        asked = time.monotonic()
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert time.monotonic() - asked < 3
    assert process.returncode == code
    kept = interrupted_says(stdout.decode(), stderr.decode())
    assert children  # the extraction worker (and multiprocessing's resource tracker)
    deadline = time.monotonic() + 2
    while any(running(pid) for pid in children):
        left = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children if running(pid)]
        assert time.monotonic() < deadline, f"left behind: {left}"
        time.sleep(0.05)
    done = assert_consistent(home)
    assert 2 <= done < LINKS
    assert kept == f"{done} of {LINKS} links crawled are kept"
    # what it fetched before it stopped is searchable at once
    assert search.search(home, "status:ok").total == done


@pytest.fixture
def fast_library(home: Path) -> Iterator[list[int]]:
    """300 links answered at once, and one that never answers while the crawl runs."""
    srv = HTTPServer(host="127.0.0.1", threaded=True)
    body = fixture("article.html")
    srv.expect_request("/p").respond_with_data(body, content_type="text/html")
    srv.expect_request("/hang").respond_with_handler(
        lambda request: (time.sleep(30), Response(body, content_type="text/html"))[1]
    )
    srv.start()
    home.mkdir(parents=True, exist_ok=True)
    config = CONFIG.replace("extract_workers = 1 ", "extract_workers = 0 ")
    (home / "config.toml").write_text(config.replace("timeout = 5", "timeout = 60"), "utf-8")
    with Store(home) as store:
        ids = add_links(store, [srv.url_for(f"/p?n={n}") for n in range(300)])
        add_links(store, [srv.url_for("/hang")])
    yield ids
    srv.clear()
    srv.stop()


def test_a_stopped_crawl_with_many_pages_unindexed_still_exits_at_once(
    home: Path, fast_library: list[int]
) -> None:
    """Indexing what it fetched is bounded on the way out; the rest waits for the next writer."""
    process = start_crawl(home)
    try:
        wait_for_fetches(home, 200, timeout=60)  # fewer than a batch: all of it unindexed
        asked = time.monotonic()
        process.send_signal(signal.SIGINT)
        _stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    took = time.monotonic() - asked
    assert process.returncode == 130, stderr.decode()
    assert took < 2.5, f"took {took:.1f}s to stop"
    with Store(home) as store:
        done = store.query("SELECT COUNT(*) AS n FROM links WHERE status='ok'")[0]["n"]
    indexed = search.search(home, "status:ok").total
    assert 0 < indexed <= done  # what fitted in the time is searchable at once
    caught_up = subprocess.run(
        [sys.executable, "-m", "linkindex", "index", "--home", str(home)],
        env=child_env(LINKINDEX_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert caught_up.returncode == 0, caught_up.stderr
    assert search.search(home, "status:ok").total == done


def test_sigterm_stops_a_crawl_that_ignores_ctrl_c(
    home: Path, slow_library: tuple[HTTPServer, list[int]]
) -> None:
    """A crawl started with `&` from a script ignores SIGINT; SIGTERM must still stop it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "linkindex", "crawl", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(LINKINDEX_HOME=str(home)),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        wait_for_fetches(home, 2)
        process.send_signal(signal.SIGINT)  # ignored, as the shell asked
        time.sleep(0.5)
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, stderr.decode()
    kept = interrupted_says(stdout.decode(), stderr.decode())
    done = assert_consistent(home)
    assert kept == f"{done} of {LINKS} links crawled are kept"
    assert search.search(home, "status:ok").total == done
