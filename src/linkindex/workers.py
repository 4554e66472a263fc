"""Worker processes that never outlive the command that started them.

A command may hand CPU work to a pool of processes (parsing notes, extracting pages,
building the index). Whatever way the command ends, its workers end with it:

* each worker asks the kernel to kill it when its parent dies (``PR_SET_PDEATHSIG`` on
  Linux), and also watches its parent from a thread, which covers other systems and the
  moment before the request was made;
* workers ignore SIGINT: a Ctrl-C reaches the whole process group, and only the command
  decides what to do with it (stop the workers, keep what is done, say one line);
* a pool left by an exception (Ctrl-C, SIGTERM turned into one, an error) kills its
  workers at once instead of waiting for their queued work, and ends even when one
  died halfway through sending a result;
* forked workers never hold the library lock: ``store.core`` closes its lock file in
  every forked child, so the lock is free the moment the command is gone.

Spawned workers import the main module again: a program that uses a pool through the
library must guard its entry point with ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any, Literal

#: Seconds between a worker's checks that its parent is still there (the kernel's death
#: signal usually ends it first).
PARENT_CHECK = 0.5

#: ``prctl`` option number of PR_SET_PDEATHSIG (linux/prctl.h).
_PR_SET_PDEATHSIG = 1

StartMethod = Literal["fork", "spawn"]


def _die_with(parent: int) -> None:
    """Make this process die when ``parent`` does (the kernel's signal, else a watcher)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
            pass
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start_worker(
    parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    """Run first in every worker: die with the parent, leave signals to the parent.

    The worker was started with SIGINT blocked (``_Pool._spawn_process``), so a Ctrl-C
    that came while it was starting up (a spawned one re-imports the command, which
    takes a while) waits, pending; ignoring SIGINT before unblocking it drops that one.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the command's own SIGTERM handler; the pool stops
    # workers with SIGTERM/SIGKILL, which must simply end them.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _die_with(parent)
    if initializer is not None:
        initializer(*initargs)


class _Pool(ProcessPoolExecutor):
    """A process pool whose workers are born with SIGINT blocked.

    A worker ignores Ctrl-C from its initializer on; before that, a spawned worker
    spends most of a second starting Python and importing the command's modules, and a
    Ctrl-C to the process group then would print its traceback. Blocked, the signal
    waits until the initializer ignores it. (``_spawn_process`` is where the pool starts
    each worker in CPython 3.9 to 3.13.)

    Its work queue's reader is closed once, whichever threads close it: ``stop_pool``
    does, and so do the pool's manager thread when it finds its workers dead (gh-94777)
    and the queue's feeder thread when the queue is closed. Two that pass its check at
    once closed the descriptor twice: the second failed (a traceback from the manager
    after the command's one line) or closed a file opened meanwhile under that number.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set before the feeder thread starts: it takes the reader's close when it does.
        reader = getattr(getattr(self, "_call_queue", None), "_reader", None)
        if reader is not None:
            reader.close = _one_at_a_time(reader.close)

    def _spawn_process(self) -> None:
        if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
            super()._spawn_process()  # type: ignore[misc]
            return
        before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            super()._spawn_process()  # type: ignore[misc]
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _one_at_a_time(close: Callable[[], None]) -> Callable[[], None]:
    """``close`` run by one thread at a time (a second finds it closed and does nothing)."""
    lock = threading.Lock()

    def closed_once() -> None:
        with lock:
            close()

    return closed_once


def start_pool(
    workers: int,
    *,
    method: StartMethod,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process; every worker starts now.

    Starting them all at once, from this thread, matters: the kernel's death signal
    follows the thread that started a worker. A Ctrl-C while they start (it waits, blocked,
    until a worker is started) kills those already started: a spawned one still reading
    what it was started with would otherwise outlive the command for a moment and print
    a traceback when the semaphores it was given are gone.
    """
    pool = _Pool(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )
    try:
        for _ in range(workers):
            pool.submit(_nothing)
    except BaseException:
        stop_pool(pool, kill=True)
        raise
    return pool


def _nothing() -> None:
    """A task that makes the pool start a worker."""


def stop_pool(pool: ProcessPoolExecutor, *, kill: bool = False) -> None:
    """Shut a pool down: let the workers finish (or, with ``kill``, end them at once).

    Killing drops queued and running work; the callers only ever lose work whose result
    was not recorded yet, which the next run does again.
    """
    if not kill:
        pool.shutdown(wait=True, cancel_futures=True)
        return
    # ProcessPoolExecutor has no public way to end its workers before Python 3.14
    # (terminate_workers); its ``_processes`` map has been there since 3.2.
    _forget_finished_work(pool)
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with suppress(OSError, ValueError):  # already gone, or already closed
            process.kill()
    # Nobody reads the work queue now: its feeder thread, blocked writing to the pipe,
    # must get an error rather than block the exit (CPython's own repair, gh-94777).
    call_queue = getattr(pool, "_call_queue", None)
    with suppress(AttributeError, OSError):
        call_queue._reader.close()  # type: ignore[union-attr]
    for process in processes:
        with suppress(OSError, ValueError, AssertionError):
            process.join(timeout=2)
    # A worker killed halfway through writing a result (the group's Ctrl-C or SIGTERM
    # kills it too, and on a loaded machine the manager thread reads late) leaves half a
    # message in the result pipe, and the manager thread waits for the rest for ever:
    # this process holds the pipe's writing end as well. Closed, the pipe ends, and the
    # manager takes the pool as broken. (Nothing in this process writes results.)
    result_queue = getattr(pool, "_result_queue", None)
    with suppress(AttributeError, OSError):
        result_queue._writer.close()  # type: ignore[union-attr]
    # With its workers gone the pool's manager thread marks the work left as failed
    # (BrokenProcessPool), closes the queues and ends; waiting for it here keeps it from
    # being woken at interpreter exit through a pipe already closed. Not cancel_futures:
    # CPython 3.11's manager then fails on the futures already cancelled and leaves the
    # queue's feeder thread blocked on a pipe nobody reads, which hangs the exit.
    pool.shutdown(wait=True)


def _forget_finished_work(pool: ProcessPoolExecutor) -> None:
    """Drop work already cancelled or done from the pool's books before killing it.

    When its workers die, the pool marks the work it still holds as failed; CPython 3.11
    then raises on a future that was cancelled meanwhile (``Executor.map`` cancels what
    its caller no longer waits for, asyncio what a stopped task awaited), its manager
    thread dies, a traceback is printed and the exit hangs. (3.12 checks first.)

    A cancelled item is dropped together with its id in the queue of work the manager
    thread has yet to hand out, under that queue's lock: an id left there made the
    manager look the item up, fail with a KeyError and print its traceback. An id the
    manager has taken already is left to it (it drops cancelled work itself).
    """
    pending = getattr(pool, "_pending_work_items", None)
    lock = getattr(pool, "_shutdown_lock", None)
    ids = getattr(pool, "_work_ids", None)
    if not isinstance(pending, dict) or lock is None or not isinstance(ids, queue.Queue):
        return
    with lock, ids.mutex:
        for work_id, item in list(pending.items()):
            if item.future.done() and work_id in ids.queue:
                ids.queue.remove(work_id)
                del pending[work_id]


@contextmanager
def worker_pool(
    workers: int,
    *,
    method: StartMethod,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[ProcessPoolExecutor]:
    """``start_pool`` for a block: workers finish with it, or are killed if it fails."""
    pool = start_pool(workers, method=method, initializer=initializer, initargs=initargs)
    try:
        yield pool
    except BaseException:
        stop_pool(pool, kill=True)
        raise
    stop_pool(pool)
