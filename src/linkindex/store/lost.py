"""Snapshots lost from disk: sending their links back to the crawl, or forgetting them.

``doctor`` finds snapshot files that are missing or no longer hash to their name. What
can be done depends on who uses the snapshot, which this module judges (``lost_states``):

- ``waiting``: ``doctor --repair`` sent its links back to the crawl (``lost_at`` is set)
  and one of them is still due: the next crawl fetches it again. Nothing to do.
- ``restorable``: a link still in the notes has it as its current body or page; its
  links can be fetched again (``refetch_snapshot_links``).
- ``unrestorable``: no link in the notes uses it (an older version of a page, a body
  of a removed link), or the crawl already fetched its links again and did not bring it
  back (the page is dead now, or changed): it can only be forgotten
  (``forget_snapshots``), which keeps the pages' extracted text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from linkindex.store.core import StoreBase, _chunks

LostState = Literal["waiting", "restorable", "unrestorable"]


class LostSnapshotsMixin(StoreBase):
    """What can be done about snapshots whose files are lost."""

    def lost_states(self, hashes: Iterable[str]) -> dict[str, LostState]:
        """How each lost snapshot stands (see the module docstring)."""
        wanted = sorted(set(hashes))
        sent: set[str] = set()
        waiting: set[str] = set()
        used: set[str] = set()
        for chunk in _chunks(wanted, 500):
            marks = ", ".join("?" * len(chunk))
            sent.update(
                str(row[0])
                for row in self.conn.execute(
                    f"SELECT hash FROM snapshots WHERE lost_at IS NOT NULL AND hash IN ({marks})",
                    chunk,
                )
            )
            waiting.update(  # a link sent back that the crawl has not fetched yet
                str(row[0])
                for row in self.conn.execute(
                    "SELECT used.hash FROM (SELECT link_id, hash FROM link_snapshots UNION "
                    "SELECT link_id, snapshot_hash FROM pages) used JOIN links l "
                    "ON l.id = used.link_id WHERE l.removed_at IS NULL "
                    f"AND l.next_fetch_at IS NULL AND used.hash IN ({marks})",
                    chunk,
                )
            )
            used.update(
                str(row[0])
                for row in self.conn.execute(
                    "SELECT content_hash FROM links WHERE removed_at IS NULL "
                    f"AND content_hash IN ({marks}) UNION SELECT p.snapshot_hash FROM pages p "
                    "JOIN links l ON l.id = p.link_id WHERE l.removed_at IS NULL "
                    f"AND p.snapshot_hash IN ({marks})",
                    [*chunk, *chunk],
                )
            )
        states: dict[str, LostState] = {}
        for digest in wanted:
            if digest in sent:
                states[digest] = "waiting" if digest in waiting else "unrestorable"
            else:
                states[digest] = "restorable" if digest in used else "unrestorable"
        return states

    def refetch_snapshot_links(self, hashes: Iterable[str], *, at: str) -> list[int]:
        """Make every link that had one of these bodies due now, for a full fetch.

        For snapshots lost from disk (``doctor --repair``): the conditional validators are
        cleared (a 304 would bring no body), and so is the content hash of a link whose
        current body is one of them (an unchanged body would not be stored again); the
        snapshots are marked as sent back (``lost_at``). Returns the ids of the links marked.
        """
        wanted = sorted(set(hashes))
        marked: set[int] = set()
        with self.transaction():
            for chunk in _chunks(wanted, 500):
                marks = ", ".join("?" * len(chunk))
                marked.update(
                    int(row[0])
                    for row in self.conn.execute(
                        "SELECT id FROM links WHERE removed_at IS NULL AND id IN ("
                        f"SELECT link_id FROM link_snapshots WHERE hash IN ({marks}) "
                        f"UNION SELECT link_id FROM pages WHERE snapshot_hash IN ({marks}))",
                        [*chunk, *chunk],
                    )
                )
                self.conn.execute(
                    f"UPDATE links SET content_hash=NULL WHERE content_hash IN ({marks})", chunk
                )
                self.conn.execute(
                    f"UPDATE snapshots SET lost_at=? WHERE hash IN ({marks})", [at, *chunk]
                )
            ids = sorted(marked)
            for chunk in _chunks(ids, 500):
                self.conn.execute(
                    "UPDATE links SET next_fetch_at=NULL, etag=NULL, last_modified=NULL "
                    f"WHERE id IN ({', '.join('?' * len(chunk))})",
                    chunk,
                )
        return ids

    def forget_snapshots(self, hashes: Iterable[str]) -> None:
        """Forget snapshots whose bodies are lost for good: their rows, the versions that
        name them, and the pages' and links' references (the extracted text stays)."""
        wanted = sorted(set(hashes))
        with self.transaction():
            for chunk in _chunks(wanted, 500):
                marks = ", ".join("?" * len(chunk))
                self.conn.execute(
                    f"UPDATE pages SET snapshot_hash=NULL WHERE snapshot_hash IN ({marks})", chunk
                )
                self.conn.execute(
                    f"UPDATE links SET content_hash=NULL WHERE content_hash IN ({marks})", chunk
                )
                self.conn.execute(f"DELETE FROM link_snapshots WHERE hash IN ({marks})", chunk)
                self.conn.execute(f"DELETE FROM snapshots WHERE hash IN ({marks})", chunk)
