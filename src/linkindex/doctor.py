"""Checking a library: the search index against the store, snapshot and image files on disk.

``checkup`` is ``linkindex doctor``: it reports what disagrees and, asked to repair,
rebuilds the index (the one part that can be rebuilt from the store), deals with lost
snapshots, and forgets image files that are missing or damaged, so that the next crawl
fetches their figures again. A snapshot is lost when its file is gone, or when its
bytes no longer hash to the sha256 it is named by (overwritten or damaged); an image
file likewise.

A lost snapshot that a link in the notes still uses is sent back to the crawl: its
links are made due for a full re-fetch. Until that crawl has run, it is *waiting for a
re-crawl* — reported, but no problem (``doctor`` exits 0). One that no link uses (an
older version of a page, the body of a removed link), or that the re-crawl could not
bring back (the page is dead now, or changed), is forgotten by the repair; the pages'
extracted text stays (``store.lost``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from linkindex import indexing
from linkindex.models import Clock, to_iso, utc_now
from linkindex.snapshots import Images, Snapshots

if TYPE_CHECKING:
    from linkindex.store import Store

_RESTORE = (
    "`linkindex doctor --repair` has their links fetched again, or forgets those no link "
    "can bring back"
)


@dataclass(slots=True)
class Checkup:
    """What ``checkup`` found (after the repair, if one was made)."""

    index: indexing.IndexCheck
    snapshots_checked: int = 0
    missing_snapshots: list[str] = field(default_factory=list)  # no file
    damaged_snapshots: list[str] = field(default_factory=list)  # bytes do not hash to the name
    bad_images: list[str] = field(default_factory=list)  # missing, or not their sha256
    repaired: bool = False  # the index was rebuilt
    refetch: list[int] = field(default_factory=list)  # links the repair made due
    waiting_snapshots: list[str] = field(default_factory=list)  # lost, links due again
    forgotten_snapshots: list[str] = field(default_factory=list)  # lost for good: forgotten
    images_to_fetch_again: int = 0  # bad image files forgotten by the repair

    @property
    def problems(self) -> list[str]:
        """Every problem in words: the index's, the lost snapshots' (unless waiting for a
        re-crawl or forgotten), the images'."""
        problems = list(self.index.problems)
        settled = {*self.waiting_snapshots, *self.forgotten_snapshots}
        missing = [digest for digest in self.missing_snapshots if digest not in settled]
        damaged = [digest for digest in self.damaged_snapshots if digest not in settled]
        if missing:
            problems.append(f"{len(missing)} snapshot files are missing ({_RESTORE})")
        if damaged:
            problems.append(
                f"{len(damaged)} snapshot files do not match their sha256 name, "
                f"overwritten or damaged ({_RESTORE})"
            )
        if self.bad_images:
            problems.append(
                f"{len(self.bad_images)} image files are missing or damaged "
                "(`linkindex doctor --repair` sends their figures back to the next crawl)"
            )
        return problems


def checkup(store: Store, home: Path, *, repair: bool = False, clock: Clock = utc_now) -> Checkup:
    """Check the library at ``home``; with ``repair`` mend what can be mended.

    The repair rebuilds an index that disagrees, deletes damaged snapshot files, makes
    the links of lost snapshots still in use due for a full re-fetch
    (``Store.refetch_snapshot_links``: the next crawl stores their bodies again) and
    forgets the lost ones nothing can bring back (``Store.forget_snapshots``), and sends
    figures whose image file is lost back to the next crawl. It takes the library lock
    (LockedError while another writer runs). Every snapshot body is read and hashed once.
    """
    from linkindex.store import LibraryLock

    found = Checkup(indexing.check(store, home))
    if repair and not found.index.ok:
        with LibraryLock(home):
            # behind only: catching up is enough; anything else rebuilds from the store
            indexing.refresh(store, home, rebuild=not found.index.only_behind)
        found.repaired = True
        found.index = indexing.check(store, home)
    snapshots = Snapshots(home)
    hashes = store.snapshot_hashes()
    found.snapshots_checked = len(hashes)
    found.missing_snapshots = snapshots.missing(hashes)
    found.damaged_snapshots = snapshots.damaged(hashes)
    states = store.lost_states([*found.missing_snapshots, *found.damaged_snapshots])
    found.waiting_snapshots = [d for d, state in states.items() if state == "waiting"]
    if repair and len(found.waiting_snapshots) < len(states):
        send = [d for d, state in states.items() if state == "restorable"]
        forget = [d for d, state in states.items() if state == "unrestorable"]
        with LibraryLock(home):
            for digest in found.damaged_snapshots:
                snapshots.discard(digest)
            found.refetch = store.refetch_snapshot_links(send, at=to_iso(clock()))
            store.forget_snapshots(forget)
        found.waiting_snapshots += send
        found.forgotten_snapshots = forget
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
