"""The store's frame: schema, transactions, the writer lock."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkindex.errors import EmptyLibraryError, LockedError, SchemaError
from linkindex.store import LibraryLock, Store
from linkindex.store.schema import SCHEMA_VERSION


def test_new_store_has_current_schema_and_wal(home: Path) -> None:
    store = Store(home)
    assert store.schema_version() == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_missing_library_is_a_user_error(home: Path) -> None:
    with pytest.raises(EmptyLibraryError, match="linkindex import"):
        Store(home, create=False)


def test_newer_schema_is_refused(home: Path) -> None:
    store = Store(home)
    with store.transaction():
        store.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    store.close()
    with pytest.raises(SchemaError, match="newer"):
        Store(home)


def test_transaction_rolls_back_on_error(home: Path) -> None:
    store = Store(home)
    with pytest.raises(RuntimeError), store.transaction():
        store.set_meta("x", "1")
        raise RuntimeError("boom")
    assert store.get_meta("x") is None
    store.close()


def test_touch_bumps_change_seq(home: Path) -> None:
    store = Store(home)
    with store.transaction():
        store.conn.execute(
            "INSERT INTO links(canonical_url, url, site, host, first_seen_at) "
            "VALUES('https://a.example/', 'https://a.example/', 'web', 'a.example', 'now')"
        )
        store.touch([1])
    assert store.change_seq() == 1
    assert store.link_records([1])[0].change_seq == 1
    store.close()


def test_lock_is_exclusive_and_released(home: Path) -> None:
    first = LibraryLock(home)
    first.acquire()
    with pytest.raises(LockedError, match="another linkindex"):
        LibraryLock(home).acquire()
    first.release()
    with LibraryLock(home):
        pass
