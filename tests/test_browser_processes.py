"""A crawl that started Chromium leaves nothing behind however it ends: Ctrl-C (the
terminal signals the whole process group), SIGTERM (what ``timeout`` sends) or SIGKILL.

The crawl runs as the real command in a session of its own, with TMPDIR pointed at a
folder of the test's, so that its browser profile can be looked for afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from browser_sites import alive, browser_tests, family
from children import child_env, interrupted_says
from crawl_servers import add_links
from linkindex.store import Store

pytestmark = browser_tests

CONFIG = """
[crawl]
allow_private_networks = true
per_host_interval = 0
obey_robots = false
timeout = 5
retries = 0
extract_workers = 0

[sites.web]
engine = "browser"

[archive]
enabled = false
"""
LINKS = 40  # 0.3 s a page, two at a time: six seconds, time to stop it mid-run


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:g}s for {what}"
        time.sleep(0.1)


def fetches(home: Path) -> int:
    try:
        with sqlite3.connect(home / "linkindex.db", timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM fetches").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "group-sigterm", "sigkill"])
def test_no_chromium_outlives_the_crawl(
    how: str, home: Path, server: HTTPServer, request: pytest.FixtureRequest
) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.3)
        body = f"<html><title>p</title><body><article><p>{'word ' * 80}</p></article>"
        return Response(body, content_type="text/html")

    server.expect_request("/p").respond_with_handler(slow)
    home.mkdir(parents=True)
    (home / "config.toml").write_text(CONFIG, encoding="utf-8")
    with Store(home) as store:
        add_links(store, [server.url_for(f"/p?n={n}") for n in range(LINKS)])
    # Short: Chromium puts sockets in TMPDIR, and a socket's path has at most 107 bytes.
    scratch = Path(tempfile.mkdtemp(prefix="lx-", dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(scratch, ignore_errors=True))
    process = subprocess.Popen(
        [sys.executable, "-m", "linkindex", "crawl", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(TMPDIR=str(scratch)),
        start_new_session=True,
        # A test run started in the background inherits an ignored SIGINT: give it back.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        wait_until(lambda: fetches(home) >= 2, "two pages fetched")
        members = family(process.pid)
        commands = [proc.command for proc in members]
        assert any("run-driver" in command for command in commands), commands
        assert any("chrom" in command for command in commands), commands
        # Chromium's profile: in the crawl's own folder, not the machine's temporary one
        assert any((home / "browser" / "tmp").glob("playwright_chromiumdev_profile-*"))
        stopped = time.monotonic()
        if how == "ctrl-c":
            os.killpg(process.pid, signal.SIGINT)
        elif how == "group-sigterm":  # what `kill -- -PGID` sends: Playwright's driver too
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=30)
        took = time.monotonic() - stopped
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    expected = {"ctrl-c": 130, "sigterm": 143, "group-sigterm": 143, "sigkill": -signal.SIGKILL}
    assert process.returncode == expected[how]
    if how != "sigkill":  # stopped like Ctrl-C: the browser closed by the crawl itself
        kept = interrupted_says(stdout.decode(), stderr.decode())
        assert kept == f"{fetches(home)} of {LINKS} links crawled are kept"
        # nothing but the crawl's own lines: no asyncio noise about a driver that is gone
        assert "never retrieved" not in stderr.decode()
        assert took < 5, f"{how} took {took:.1f}s to stop the crawl and its browser"
    wait_until(lambda: not alive(members), "the browser's processes to end", timeout=15)
    wait_until(
        lambda: (
            not any(scratch.iterdir())
            and not any((home / "browser").glob("tmp/playwright_chromiumdev_profile-*"))
        ),
        "the browser profile to go",
        timeout=15,
    )
    assert 2 <= fetches(home) < LINKS
