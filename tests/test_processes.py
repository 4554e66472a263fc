"""Nothing outlives its command: workers die with it, the lock is free, signals stop it cleanly.

Each test runs ``linkindex`` as a real process in a session of its own (as a terminal
job is), interrupts or kills it at a moment when its worker processes are running,
and then looks in /proc for anything of that session left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from children import (
    children_of,
    ctrl_c_back,
    interrupted_says,
    leftovers,
    many_notes,
    process_fields,
    run,
    signal_when_workers_run,
    start,
    start_script,
    wait_for,
)
from linkindex import workers
from linkindex.store import LibraryLock, Store

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="needs Linux's /proc to find processes"
)


@pytest.fixture
def big_notes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield many_notes(tmp_path_factory.mktemp("big") / "notes", notes=400, links=12)


@pytest.mark.timeout(240)
def test_import_killed_mid_parse_leaves_nothing_and_the_next_writer_runs(
    home: Path, big_notes: Path
) -> None:
    process = start(home, "import", str(big_notes))
    signal_when_workers_run(process, signal.SIGKILL, group=False)
    process.wait(10)
    assert leftovers(process.pid) == []
    started = time.monotonic()
    again = run(home, "import", str(big_notes))
    assert again.returncode == 0, again.stderr
    assert "is writing to" not in again.stderr
    assert time.monotonic() - started < 120
    # the killed writer's pid was left in the lock file: taken over with one line
    assert f"the library lock of pid {process.pid} was stale" in again.stderr
    assert again.stderr.count("\n") == 1


@pytest.mark.timeout(240)
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_import_stops_on_ctrl_c_and_sigterm_with_one_line(
    home: Path, big_notes: Path, sig: int, code: int
) -> None:
    process = start(home, "import", str(big_notes))
    signal_when_workers_run(process, sig, group=True)
    asked = time.monotonic()
    out, err = process.communicate(timeout=30)
    assert time.monotonic() - asked < 2.0
    assert process.returncode == code, err
    kept = interrupted_says(out, err)
    with Store(home) as store:
        assert kept == f"{store.note_count()} of 400 notes imported are kept"
    assert err.count("\n") == 1
    assert "Traceback" not in out + err
    assert leftovers(process.pid) == []
    resumed = run(home, "import", str(big_notes))  # carries on at once
    assert resumed.returncode == 0, resumed.stderr
    assert "stale" not in resumed.stderr  # a clean stop leaves no stale lock


@pytest.fixture
def rebuildable(home: Path, tmp_path: Path) -> Path:
    """A library big enough for its rebuild to start a second process."""
    notes = many_notes(tmp_path / "notes", notes=120, links=24)  # 2,880 links: two processes
    imported = run(home, "import", str(notes))
    assert imported.returncode == 0, imported.stderr
    return home


@pytest.mark.timeout(300)
@pytest.mark.parametrize("after", [0.0, 0.15, 0.4])
def test_ctrl_c_while_a_spawned_worker_starts_up_prints_one_line(
    rebuildable: Path, after: float
) -> None:
    """A worker still starting Python when Ctrl-C reaches the group prints no traceback."""
    process = start(rebuildable, "index", "--rebuild")
    wait_for(
        lambda: bool(children_of(process.pid)) or process.poll() is not None,
        60,
        "the rebuild's worker process",
    )
    time.sleep(after)
    os.killpg(process.pid, signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert err == (
        "interrupted: the search index is kept as it was last written; "
        "run the same command again to go on\n"
    )
    assert leftovers(process.pid) == []


@pytest.mark.timeout(300)
def test_rebuild_killed_leaves_no_worker_or_resource_tracker(rebuildable: Path) -> None:
    home = rebuildable
    process = start(home, "index", "--rebuild")
    wait_for(
        lambda: bool(children_of(process.pid)) or process.poll() is not None,
        60,
        "the rebuild's worker process",
    )
    assert process.poll() is None, "the rebuild finished before it could be killed"
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    assert leftovers(process.pid) == []
    check = run(home, "doctor")  # the old index stayed in place
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_forked_child_never_holds_the_library_lock(home: Path, tmp_path: Path) -> None:
    """A writer that dies while a forked child lives on leaves the lock free."""
    script = tmp_path / "holder.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, sys, time
            from pathlib import Path
            from linkindex.store import LibraryLock
            lock = LibraryLock(Path({str(home)!r}))
            lock.acquire()
            child = os.fork()
            if child == 0:
                os.close(1)
                os.close(2)
                time.sleep(60)
                os._exit(0)
            print(child, flush=True)
            os._exit(0)  # dies holding the lock, without releasing it
            """
        )
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=30)
    child = int(done.stdout.strip())
    try:
        assert process_fields(child) is not None  # the forked child lives on
        lock = LibraryLock(home)
        lock.acquire()  # free at once: the child never held it
        assert lock.stale_pid is not None
        lock.release()
        assert (home / "lock").read_text() == ""  # released cleanly: nothing stale
    finally:
        os.kill(child, signal.SIGKILL)


def test_a_worker_dies_with_its_parent(tmp_path: Path) -> None:
    """The pool's workers end when the process that started them is killed."""
    script = tmp_path / "parent.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, time
            from linkindex.workers import start_pool
            if __name__ == "__main__":
                pool = start_pool(2, method="spawn")
                pids = set()
                while len(pids) < 2:
                    pids = set(pool.submit(os.getpid).result() for _ in range(20))
                print(" ".join(map(str, pids)), flush=True)
                time.sleep(60)
            """
        )
    )
    process = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    pids = [int(p) for p in process.stdout.readline().split()]
    assert len(pids) == 2 and all(process_fields(p) for p in pids)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    assert leftovers(process.pid) == []


def test_stop_pool_kills_running_work_at_once() -> None:
    pool = workers.start_pool(1, method="spawn")
    pid = pool.submit(os.getpid).result(timeout=60)
    running = pool.submit(time.sleep, 30)
    started = time.monotonic()
    workers.stop_pool(pool, kill=True)
    assert time.monotonic() - started < 5
    assert running.cancelled() or running.done()
    assert process_fields(pid) is None or process_fields(pid)[0] == "Z"  # type: ignore[index]


def test_a_killed_pool_forgets_cancelled_work_without_breaking_its_manager() -> None:
    """Cancelled work is dropped from the pool's books before its workers are killed; the
    pool's manager thread, which goes on handing out work meanwhile, must not trip over
    it (it died on a KeyError, printing its traceback, when a stopped import killed its
    parsers)."""
    pool = workers.start_pool(1, method="spawn")
    try:
        pool.submit(os.getpid).result(timeout=60)  # the worker is up
        first = pool.submit(time.sleep, 1.0)
        pool.submit(time.sleep, 1.0)
        rest = [pool.submit(time.sleep, 0) for _ in range(10)]
        cancelled = [future for future in rest if future.cancel()]  # those still waiting
        assert cancelled
        workers._forget_finished_work(pool)
        first.result(timeout=60)  # the manager hands out the next work now
        time.sleep(0.5)
        manager = pool._executor_manager_thread  # type: ignore[attr-defined]
        assert manager is not None and manager.is_alive()
    finally:
        workers.stop_pool(pool, kill=True)


def test_a_pool_whose_worker_died_halfway_through_a_result_is_stopped_at_once(
    tmp_path: Path,
) -> None:
    """A worker killed while it wrote its result (a Ctrl-C or SIGTERM reaches the whole
    group; on a loaded machine the pool's manager thread reads the pipe late) leaves half
    a message in the result pipe. The manager thread waited for the rest for ever, and
    the stopped import hung instead of exiting: this process holds the pipe's other end.
    """
    script = tmp_path / "command.py"
    script.write_text(
        textwrap.dedent(
            """
            import gc, multiprocessing, os, signal, struct, time
            from multiprocessing.queues import SimpleQueue
            from linkindex.workers import worker_pool

            def killed_halfway():
                # the pool's result queue, as the worker forked with it
                results = next(o for o in gc.get_objects() if isinstance(o, SimpleQueue))
                fd = results._writer.fileno()
                os.write(fd, struct.pack("!i", 1_000_000) + b"half a result")
                os.kill(os.getpid(), signal.SIGKILL)

            if __name__ == "__main__":
                try:
                    with worker_pool(2, method="fork") as pool:
                        pool.submit(killed_halfway)
                        while len(multiprocessing.active_children()) > 1:
                            time.sleep(0.01)
                        raise KeyboardInterrupt  # the group's Ctrl-C, seen by the command
                except KeyboardInterrupt:
                    print("stopped", flush=True)
            """
        )
    )
    process = start_script(script)
    try:
        out, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AssertionError("the pool's stop hung on half a result") from None
    assert (out, err) == ("stopped\n", "")
    assert leftovers(process.pid) == []


def test_a_broken_pool_stopped_closes_its_work_queue_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The group's Ctrl-C or SIGTERM kills the workers while stop_pool runs: the pool's
    manager thread, finding them dead, closes the work queue's reader just as stop_pool
    does. Both closed the one descriptor: the second close failed in the manager thread
    (its traceback after the one ``interrupted`` line) or closed whatever file had been
    opened under that number meanwhile."""
    failed: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failed.append(args.exc_value))
    pool = workers.start_pool(2, method="fork")
    reader = pool._call_queue._reader  # type: ignore[attr-defined]
    closes: list[str] = []
    both = threading.Event()

    def close_when_both_close() -> None:  # Connection._close, waiting for a second one
        handle = reader._handle
        closes.append(threading.current_thread().name)
        if len(closes) == 2:
            both.set()
        both.wait(1.0)  # (closed once, as it should be, it waits in vain)
        os.close(handle)

    reader._close = close_when_both_close
    os.kill(next(iter(pool._processes)), signal.SIGKILL)  # type: ignore[attr-defined]
    workers.stop_pool(pool, kill=True)
    assert len(closes) == 1, closes
    assert failed == []


def test_a_ctrl_c_while_workers_start_leaves_none_starting(tmp_path: Path) -> None:
    """A Ctrl-C that waited, blocked, while a worker was started comes out of start_pool;
    the command then exits at once. The worker must not be left starting up: it printed
    a traceback when the semaphores it was given were gone with the command."""
    script = tmp_path / "command.py"
    script.write_text(
        textwrap.dedent(
            """
            from linkindex import workers

            real = workers._Pool._spawn_process

            def spawn_then_ctrl_c(pool):
                real(pool)
                raise KeyboardInterrupt  # the pending Ctrl-C, as SIGINT is unblocked

            if __name__ == "__main__":
                workers._Pool._spawn_process = spawn_then_ctrl_c
                try:
                    workers.start_pool(1, method="spawn")
                except KeyboardInterrupt:
                    print("stopped", flush=True)
            """
        )
    )
    process = start_script(script, preexec_fn=ctrl_c_back)
    out, err = process.communicate(timeout=60)
    assert (out, err) == ("stopped\n", "")
    assert leftovers(process.pid) == []


def test_a_lock_held_by_a_leftover_of_a_dead_writer_says_what_to_do(
    home: Path, tmp_path: Path
) -> None:
    """Locked by a process that is not the pid on record (gone): say so, and what to do."""
    from linkindex.errors import LockedError

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    home.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(home / 'lock')!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            f"os.write(fd, b{gone!r})\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(LockedError, match=f"left behind by pid {gone}, which is gone"):
            LibraryLock(home).acquire()
    finally:
        holder.kill()
        holder.wait()
