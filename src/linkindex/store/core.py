"""The SQLite database of a library: opening, migrations, transactions, the writer lock.

This package is the only user of sqlite-utils. Every write happens inside
``Store.transaction()`` so that a crash or a kill leaves the database as it was
before the transaction or after it, never in between (SQLite in WAL mode).
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from linkindex.errors import LockedError, SchemaError, StoreError
from linkindex.store.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import sqlite_utils

DB_NAME = "linkindex.db"
LOCK_NAME = "lock"


#: The lock files this process holds open, closed in every forked child (see LibraryLock).
_HELD_LOCKS: set[int] = set()


def _close_held_locks() -> None:
    """In a forked child: let go of the parent's lock files without unlocking them.

    ``flock`` belongs to the open file, which a fork shares: a worker that kept the
    descriptor would hold the library lock after its parent died. Closing the child's
    copy leaves the parent's lock in place.
    """
    for fd in _HELD_LOCKS:
        with suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_locks)

logger = logging.getLogger("linkindex")


class LibraryLock:
    """An exclusive, non-blocking lock on the library home, held by one writer at a time.

    Uses ``flock`` on ``HOME/lock``: the kernel drops it when the process that took it
    is gone (forked children never keep it, see ``_close_held_locks``). The file names
    the holder's pid while it is held and is emptied on release; a pid left behind by a
    killed writer is stale, and taking over from it is logged as one warning.
    """

    def __init__(self, home: Path) -> None:
        self.path = home / LOCK_NAME
        self._fd: int | None = None
        self.stale_pid: int | None = None  # the killed writer this lock was taken over from

    def acquire(self) -> None:
        """Take the lock or raise LockedError at once (never waits)."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _pid_in(os.read(fd, 64))
            os.close(fd)
            raise LockedError(_locked_message(holder, self.path.parent)) from None
        _HELD_LOCKS.add(fd)
        previous = _pid_in(os.pread(fd, 64, 0))
        if previous is not None and previous != os.getpid():
            self.stale_pid = previous
            logger.warning(
                "the library lock of pid %d was stale (no process holds it any more); "
                "taking it over",
                previous,
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Let the lock go (safe to call twice)."""
        if self._fd is not None:
            import fcntl

            fd, self._fd = self._fd, None
            _HELD_LOCKS.discard(fd)
            try:
                os.ftruncate(fd, 0)  # an empty file: nobody's lock, nothing stale
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def __enter__(self) -> LibraryLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _pid_in(data: bytes) -> int | None:
    text = data.decode(errors="replace").strip()
    return int(text) if text.isdigit() else None


def _locked_message(holder: int | None, home: Path) -> str:
    who = f"pid {holder}" if holder is not None else "another process"
    if holder is not None and not process_alive(holder):
        return (
            f"the library {home} is locked by a process left behind by {who}, which is gone; "
            f"stop the leftover linkindex processes (`pkill -f linkindex`) and run the "
            "command again"
        )
    return (
        f"another linkindex ({who}) is writing to {home}; "
        "wait for it to finish and run the command again"
    )


def process_alive(pid: int) -> bool:
    """Whether a process of that pid exists (someone else's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StoreBase:
    """Connection, schema and transactions; the query mixins build on it."""

    def __init__(self, home: Path, *, create: bool = True) -> None:
        self.home = home
        self.path = home / DB_NAME
        if not create and not self.path.exists():
            from linkindex.errors import EmptyLibraryError

            raise EmptyLibraryError(
                f"no library at {home}; fill it with `linkindex import NOTES_DIR`"
            )
        try:
            home.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=10000")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the library database {self.path}: {exc}") from exc
        self.conn = conn
        self._depth = 0
        self._migrate()

    @functools.cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection (imported on first use: `search` never
        pays for it)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions --------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block atomically; nested calls join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self.conn.execute("COMMIT")

    # -- schema --------------------------------------------------------------------

    def schema_version(self) -> int:
        """How many migrations this database has had."""
        exists = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        if not exists:
            return 0
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        try:
            version = self.schema_version()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path} is not a linkindex database ({exc}); move it away and re-import"
            ) from exc
        if version > SCHEMA_VERSION:
            raise SchemaError(
                f"{self.path} was written by a newer linkindex (schema {version}, this one "
                f"knows {SCHEMA_VERSION}); upgrade linkindex"
            )
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                for statement in _statements(MIGRATIONS[number]):
                    self.conn.execute(statement)
                self.set_meta("schema_version", str(number + 1))

    # -- meta and the change sequence ----------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """A value from the meta table."""
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        """Store a value in the meta table."""
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def touch(self, link_ids: Any) -> None:
        """Mark links as changed so the index picks them up (call inside a transaction)."""
        ids = list(link_ids)
        if not ids:
            return
        seq = int(self.get_meta("change_seq", "0") or 0) + 1
        self.set_meta("change_seq", str(seq))
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(f"UPDATE links SET change_seq=? WHERE id IN ({marks})", (seq, *chunk))

    def change_seq(self) -> int:
        """The latest change sequence number handed out."""
        return int(self.get_meta("change_seq", "0") or 0)

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """Rows of a read-only query as dicts (for the store's own modules)."""
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside our strings)."""
    cleaned = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    return [s.strip() for s in cleaned.split(";") if s.strip()]


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
