"""Checking a library: the search index against the store, snapshot and image files on disk.

``checkup`` is ``linkindex doctor``: it reports what disagrees and, asked to repair,
rebuilds the index (the one part that can be rebuilt from the store) and forgets image
files that are missing or damaged, so that the next crawl fetches their figures again (a
missing snapshot comes back when its link is crawled again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from linkindex import indexing
from linkindex.snapshots import Images, Snapshots

if TYPE_CHECKING:
    from linkindex.store import Store


@dataclass(slots=True)
class Checkup:
    """What ``checkup`` found (after the repair, if one was made)."""

    index: indexing.IndexCheck
    missing_snapshots: list[str] = field(default_factory=list)
    bad_images: list[str] = field(default_factory=list)  # missing, or not their sha256
    repaired: bool = False  # the index was rebuilt
    images_to_fetch_again: int = 0  # bad image files forgotten by the repair

    @property
    def problems(self) -> list[str]:
        """Every problem in words: the index's, then the snapshots'."""
        problems = list(self.index.problems)
        if self.missing_snapshots:
            problems.append(
                f"{len(self.missing_snapshots)} snapshot files are missing (re-crawl restores them)"
            )
        if self.bad_images:
            problems.append(
                f"{len(self.bad_images)} image files are missing or damaged "
                "(`linkindex doctor --repair` sends their figures back to the next crawl)"
            )
        return problems


def checkup(store: Store, home: Path, *, repair: bool = False) -> Checkup:
    """Check the library at ``home``; with ``repair`` rebuild an index that disagrees and
    send figures whose image file is lost back to the next crawl.

    A repair takes the library lock (LockedError while another writer runs).
    """
    from linkindex.store import LibraryLock

    found = Checkup(indexing.check(store, home))
    if repair and not found.index.ok:
        with LibraryLock(home):
            indexing.refresh(store, home, rebuild=True)
        found.repaired = True
        found.index = indexing.check(store, home)
    found.missing_snapshots = Snapshots(home).missing(store.snapshot_hashes())
    images = Images(home)
    found.bad_images = [d for d in store.image_hashes() if not images.verify(d)]
    if repair and found.bad_images:
        with LibraryLock(home):
            store.refetch_images(found.bad_images)
            for digest in found.bad_images:
                images.remove(digest)
        found.images_to_fetch_again = len(found.bad_images)
        found.bad_images = [d for d in store.image_hashes() if not images.verify(d)]
    return found
