"""Checking a library: the search index against the store, the snapshot files on disk.

``checkup`` is ``linkindex doctor``: it reports what disagrees and, asked to repair,
rebuilds the index (the one part that can be rebuilt from the store; a missing snapshot
comes back when its link is crawled again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from linkindex import indexing
from linkindex.snapshots import Snapshots

if TYPE_CHECKING:
    from linkindex.store import Store


@dataclass(slots=True)
class Checkup:
    """What ``checkup`` found (after the repair, if one was made)."""

    index: indexing.IndexCheck
    missing_snapshots: list[str] = field(default_factory=list)
    repaired: bool = False  # the index was rebuilt

    @property
    def problems(self) -> list[str]:
        """Every problem in words: the index's, then the snapshots'."""
        problems = list(self.index.problems)
        if self.missing_snapshots:
            problems.append(
                f"{len(self.missing_snapshots)} snapshot files are missing (re-crawl restores them)"
            )
        return problems


def checkup(store: Store, home: Path, *, repair: bool = False) -> Checkup:
    """Check the library at ``home``; with ``repair`` rebuild an index that disagrees.

    The rebuild takes the library lock (LockedError while another writer runs).
    """
    from linkindex.store import LibraryLock

    found = Checkup(indexing.check(store, home))
    if repair and not found.index.ok:
        with LibraryLock(home):
            indexing.refresh(store, home, rebuild=True)
        found.repaired = True
        found.index = indexing.check(store, home)
    found.missing_snapshots = Snapshots(home).missing(store.snapshot_hashes())
    return found
