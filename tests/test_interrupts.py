"""Every long command stopped by Ctrl-C or SIGTERM ends the same way: one line on stderr
saying what the library kept and that the same command goes on, and exit 130 or 143.

Each test runs ``linkindex`` as a real process in a session of its own, sends the signal
while the command is busy (its workers parsing or building, its pages being fetched, its
book being written), and checks the line, stdout and the library. ``import`` and
``index --rebuild`` are stopped in ``test_processes``, ``crawl`` in ``test_crawl_resume``.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from children import (
    children_of,
    interrupted_says,
    leftovers,
    many_notes,
    run,
    signal_when_workers_run,
    start,
    wait_for,
)
from crawl_servers import LOCAL_CONFIG, slow_pages
from linkindex.store import Store

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="needs Linux's /proc to find processes"
)

SIGNALS = pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
PAGES = 20  # 0.3 s each, two at a time (per_host_concurrency): 3 s to stop in the middle


def stop(process: subprocess.Popen[str], sig: int | None) -> tuple[str, str]:
    """Send ``sig`` to the command's process group, as a terminal's Ctrl-C does (None:
    it was sent already), and wait for the command to end; its stdout and stderr."""
    if sig is not None:
        os.killpg(process.pid, sig)
    try:
        return process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()


def run_status(home: Path) -> str:
    with sqlite3.connect(home / "linkindex.db") as conn:
        return str(conn.execute("SELECT status FROM runs ORDER BY id DESC").fetchone()[0])


# -- update ------------------------------------------------------------------------------


@pytest.mark.timeout(240)
@SIGNALS
def test_update_stopped_while_importing(home: Path, tmp_path: Path, sig: int, code: int) -> None:
    notes = many_notes(tmp_path / "notes", notes=400, links=12)
    process = start(home, "update", str(notes))
    signal_when_workers_run(process, sig, group=True)
    out, err = stop(process, None)
    assert process.returncode == code, err
    kept = interrupted_says(out, err)
    with Store(home) as store:
        assert kept == f"{store.note_count()} of 400 notes imported are kept"
    assert out.startswith("run 1: interrupted\n")  # the run as the library records it
    assert run_status(home) == "interrupted"
    assert leftovers(process.pid) == []


@pytest.fixture
def slow_site() -> Iterator[HTTPServer]:
    server = slow_pages(0.3)
    yield server
    server.clear()
    server.stop()


def fetched(home: Path) -> int:
    try:
        with sqlite3.connect(home / "linkindex.db", timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM fetches").fetchone()[0])
    except sqlite3.OperationalError:  # not made yet
        return 0


@pytest.mark.timeout(120)
@SIGNALS
def test_update_stopped_while_crawling(
    home: Path, tmp_path: Path, slow_site: HTTPServer, sig: int, code: int
) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    links = "".join(f"\n{slow_site.url_for(f'/p?n={n}')}\n第{n}篇\n" for n in range(PAGES))
    (notes / "2024-1-1-reading.md").write_text(f"# 阅读\n{links}", encoding="utf-8")
    home.mkdir(parents=True)
    (home / "config.toml").write_text(LOCAL_CONFIG, encoding="utf-8")
    process = start(home, "update", str(notes))
    wait_for(lambda: fetched(home) >= 2 or process.poll() is not None, 60, "two pages fetched")
    assert process.poll() is None, "the update finished before it could be stopped"
    out, err = stop(process, sig)
    assert process.returncode == code, err
    kept = interrupted_says(out, err)
    done = fetched(home)
    assert 2 <= done < PAGES
    assert kept == f"the notes imported and {done} of {PAGES} links crawled are kept"
    assert run_status(home) == "interrupted"
    assert leftovers(process.pid) == []


# -- a library big enough to keep export and doctor --repair busy ------------------------


@pytest.fixture(scope="module")
def big_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library of 2,880 links (its rebuild starts a second process), made once."""
    base = tmp_path_factory.mktemp("interrupts")
    notes = many_notes(base / "notes", notes=120, links=24)
    home = base / "home"
    imported = run(home, "import", str(notes))
    assert imported.returncode == 0, imported.stderr
    return home


@pytest.fixture
def library(big_library: Path, tmp_path: Path) -> Path:
    """This test's own copy of the big library."""
    home = tmp_path / "home"
    shutil.copytree(big_library, home)
    return home


def holds_the_store(pid: int) -> bool:
    """Whether the process has the library's database open (it is at work on it)."""
    try:
        names = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return False
    return any(name.endswith("linkindex.db") for name in names)


@pytest.mark.timeout(120)
@SIGNALS
def test_export_stopped_while_writing_the_book(
    library: Path, tmp_path: Path, sig: int, code: int
) -> None:
    book = tmp_path / "all.epub"
    # Writing the big library's links into a book takes about a second here, less on a
    # quiet fast machine: a stop that meets a finished export is tried again, sooner.
    for wait in (0.3, 0.1, 0.0):
        process = start(library, "export", "--format", "epub", "-o", str(book))

        def busy() -> bool:  # (called in this iteration only)
            return holds_the_store(process.pid) or process.poll() is not None  # noqa: B023

        wait_for(busy, 60, "the store")
        time.sleep(wait)
        out, err = stop(process, sig if process.poll() is None else None)
        if process.returncode == 0:  # it ended first: the whole book, then nothing else
            assert "Traceback" not in err and out.startswith("wrote ") and not err, err
            with zipfile.ZipFile(book) as written:
                assert written.testzip() is None
            book.unlink()
            continue
        assert process.returncode == code, err
        assert interrupted_says(out, err) == "nothing is written"
        assert out == ""
        assert list(tmp_path.iterdir()) == [library]  # no book, and no half of one
        return
    pytest.fail("the export always finished before it could be stopped")


@pytest.mark.timeout(240)
@SIGNALS
def test_doctor_repair_stopped_while_rebuilding_the_index(
    library: Path, sig: int, code: int
) -> None:
    shutil.rmtree(library / "index")
    process = start(library, "doctor", "--repair")
    wait_for(
        lambda: bool(children_of(process.pid)) or process.poll() is not None,
        60,
        "the rebuild's worker process",
    )
    time.sleep(0.3)
    assert process.poll() is None, "the repair finished before it could be stopped"
    out, err = stop(process, sig)
    assert process.returncode == code, err
    assert interrupted_says(out, err) == "the repairs made before the stop are kept"
    assert leftovers(process.pid) == []
    again = run(library, "doctor", "--repair")  # goes on: the index is rebuilt this time
    assert again.returncode == 0, again.stdout + again.stderr
    assert "rebuilt the index" in again.stdout
