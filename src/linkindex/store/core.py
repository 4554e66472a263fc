"""The SQLite database of a library: opening, migrations, transactions, the writer lock.

This package is the only user of sqlite-utils. Every write happens inside
``Store.transaction()`` so that a crash or a kill leaves the database as it was
before the transaction or after it, never in between (SQLite in WAL mode).
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from linkindex.errors import LockedError, SchemaError, StoreError
from linkindex.store.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import sqlite_utils

DB_NAME = "linkindex.db"
LOCK_NAME = "lock"


class LibraryLock:
    """An exclusive, non-blocking lock on the library home, held by one writer at a time.

    Uses ``flock`` on ``HOME/lock``: the kernel drops it when the process dies, so a
    killed writer never leaves a stale lock behind.
    """

    def __init__(self, home: Path) -> None:
        self.path = home / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise LockedError at once (never waits)."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise LockedError(
                f"another linkindex (pid {holder}) is writing to {self.path.parent}; "
                "wait for it to finish and run the command again"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        """Let the lock go (safe to call twice)."""
        if self._fd is not None:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> LibraryLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


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
