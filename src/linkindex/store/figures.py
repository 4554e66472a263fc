"""Figures: which pictures a link's page holds, which are stored, and the ones refused.

A page's figures are written with the page (``save_figures``, called by ``record_fetch``)
as ``pending`` rows, except those whose address the link already had: a changed page
fetches only the pictures it did not have (and one another link stored costs no
fetch). The crawl then fetches what ``figures_to_fetch`` lists and writes the outcomes
with ``record_figures``. Bytes an image host answers instead of a figure (a hotlink
placeholder) are remembered in ``image_placeholders`` and never kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from linkindex.store.core import StoreBase

if TYPE_CHECKING:
    from linkindex.models.pages import Figure
    from linkindex.store.rows import FigureOutcome, FigureTask, SnapshotPage, StoredImage

#: Figure states: to fetch; kept; failed in a way a later crawl may mend; refused for good.
FIGURE_STATES = ("pending", "stored", "failed", "refused")


class FiguresMixin(StoreBase):
    """Figures of the links' pages and the images they use."""

    def save_figures(self, link_id: int, figures: Sequence[Figure], *, archived: bool) -> None:
        """Make ``figures`` the link's figures (call inside a transaction).

        A figure whose address the link had before keeps what it had (stored, or
        refused for good); the rest are ``pending`` until the crawl fetches them (or
        finds another link has stored the same address).
        """
        held = {
            url: (sha, state, error)
            for url, sha, state, error in self.conn.execute(
                "SELECT url, sha256, state, error FROM link_images WHERE link_id=?", (link_id,)
            )
            if state in ("stored", "refused")
        }
        self.conn.execute("DELETE FROM link_images WHERE link_id=?", (link_id,))
        rows = []
        for position, figure in enumerate(figures):
            sha, state, error = held.get(figure.url) or (None, "pending", "")
            rows.append(
                (link_id, position, figure.url, figure.after, figure.alt, sha, state, error,
                 int(archived))
            )  # fmt: skip
        self.conn.executemany(
            "INSERT INTO link_images(link_id, position, url, paragraph, alt, sha256, state, "
            "error, from_archive) VALUES(?,?,?,?,?,?,?,?,?)",
            rows,
        )
        self.conn.execute("UPDATE pages SET figures_seen=1 WHERE link_id=?", (link_id,))

    def pages_without_figures(self) -> list[SnapshotPage]:
        """Pages whose figures were never looked for (stored before linkindex kept
        figures, or while it was told not to), with the snapshot they came from."""
        from linkindex.store.rows import SnapshotPage

        return [
            SnapshotPage(int(link_id), str(url), str(digest), str(kind or ""), bool(archived))
            for link_id, url, digest, kind, archived in self.conn.execute(
                "SELECT p.link_id, CASE WHEN p.from_archive THEN COALESCE(l.archive_url, l.url) "
                "ELSE COALESCE(l.final_url, l.url) END, p.snapshot_hash, s.content_type, "
                "p.from_archive FROM pages p JOIN links l ON l.id = p.link_id "
                "JOIN snapshots s ON s.hash = p.snapshot_hash "
                "WHERE p.figures_seen = 0 AND l.removed_at IS NULL ORDER BY p.link_id"
            )
        ]

    def backfill_figures(self, page: SnapshotPage, figures: Sequence[Figure] | None) -> bool:
        """Give a page found by ``pages_without_figures`` the figures of its snapshot
        (None: the snapshot could not be read), unless a fetch recorded the page again
        meanwhile. Returns whether it did."""
        with self.transaction():
            row = self.conn.execute(
                "SELECT figures_seen, snapshot_hash FROM pages WHERE link_id=?", (page.link_id,)
            ).fetchone()
            if row is None or row[0] or row[1] != page.snapshot:
                return False
            if figures is None:
                self.conn.execute(
                    "UPDATE pages SET figures_seen=1 WHERE link_id=?", (page.link_id,)
                )
                return False
            self.save_figures(page.link_id, figures, archived=page.from_archive)
            return True

    def stored_image_for_url(self, url: str) -> str | None:
        """The image some link already stored for this address, if any."""
        row = self.conn.execute(
            "SELECT sha256 FROM link_images WHERE url=? AND state='stored' LIMIT 1", (url,)
        ).fetchone()
        return str(row[0]) if row else None

    def figures_to_fetch(self, link_id: int, *, retry_failed: bool = True) -> list[FigureTask]:
        """The link's figures still to fetch, in order (``failed`` ones too, if asked)."""
        states = ("pending", "failed") if retry_failed else ("pending",)
        marks = ",".join("?" * len(states))
        from linkindex.store.rows import FigureTask

        return [
            FigureTask(link_id, position, url, site, bool(archived), archive_url)
            for position, url, archived, site, archive_url in self.conn.execute(
                "SELECT li.position, li.url, li.from_archive, l.site, l.archive_url "
                "FROM link_images li JOIN links l ON l.id = li.link_id "
                f"WHERE li.link_id=? AND li.state IN ({marks}) ORDER BY li.position",
                (link_id, *states),
            )
        ]

    def links_with_pending_figures(self) -> list[int]:
        """Links whose figures an interrupted crawl left unfetched."""
        return [
            int(row[0])
            for row in self.conn.execute(
                "SELECT DISTINCT link_id FROM link_images WHERE state='pending' ORDER BY link_id"
            )
        ]

    def record_figures(self, link_id: int, outcomes: Sequence[FigureOutcome], *, at: str) -> None:
        """Write what fetching a link's figures came to, in one transaction.

        An outcome only lands on the row it was fetched for (same position and address):
        a page re-extracted meanwhile keeps its new figures.
        """
        with self.transaction():
            for outcome in outcomes:
                image = outcome.image
                if image is not None:
                    self.conn.execute(
                        "INSERT OR IGNORE INTO images(sha256, content_type, bytes, width, "
                        "height, created_at) VALUES(?,?,?,?,?,?)",
                        (image.sha256, image.content_type, image.bytes, image.width,
                         image.height, at),
                    )  # fmt: skip
                self.conn.execute(
                    "UPDATE link_images SET sha256=?, state=?, error=? "
                    "WHERE link_id=? AND position=? AND url=?",
                    (image.sha256 if image else None, outcome.state, outcome.error, link_id,
                     outcome.position, outcome.url),
                )  # fmt: skip

    # -- hotlink placeholders ------------------------------------------------------------

    def image_uses(self, sha256: str) -> list[tuple[int, str]]:
        """``(link id, address)`` of every figure stored as this image."""
        return [
            (int(link_id), str(url))
            for link_id, url in self.conn.execute(
                "SELECT link_id, url FROM link_images WHERE sha256=? AND state='stored'",
                (sha256,),
            )
        ]

    def placeholder_hashes(self) -> set[str]:
        """The images found to be hotlink placeholders."""
        return {str(row[0]) for row in self.conn.execute("SELECT sha256 FROM image_placeholders")}

    def forget_placeholder(self, sha256: str, *, host: str, at: str, reason: str) -> None:
        """Remember ``sha256`` as a placeholder and take it from every figure that had it.

        The image's file is the caller's to delete: after this no figure uses it.
        """
        with self.transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO image_placeholders(sha256, host, found_at, reason) "
                "VALUES(?,?,?,?)",
                (sha256, host, at, reason),
            )
            self.conn.execute(
                "UPDATE link_images SET sha256=NULL, state='refused', error=? WHERE sha256=?",
                (f"hotlink placeholder ({reason})", sha256),
            )
            self.conn.execute("DELETE FROM images WHERE sha256=?", (sha256,))

    def refetch_images(self, digests: Sequence[str]) -> None:
        """Forget images whose files are lost: their figures go back to ``pending``."""
        with self.transaction():
            for digest in digests:
                self.conn.execute(
                    "UPDATE link_images SET sha256=NULL, state='pending', error='' WHERE sha256=?",
                    (digest,),
                )
                self.conn.execute("DELETE FROM images WHERE sha256=?", (digest,))

    # -- reading ---------------------------------------------------------------------------

    def figures_not_kept(self, link_id: int) -> list[dict[str, Any]]:
        """The link's figures without a stored image: address, state and why, in order."""
        return self.query(
            "SELECT url, state, error FROM link_images WHERE link_id=? AND state != 'stored' "
            "ORDER BY position",
            (link_id,),
        )

    def image(self, sha256: str) -> StoredImage | None:
        """An image some figure uses, or None (unknown, or no longer used by any)."""
        row = self.conn.execute(
            "SELECT i.sha256, i.content_type, i.bytes, i.width, i.height FROM images i "
            "WHERE i.sha256=? AND EXISTS (SELECT 1 FROM link_images li "
            "WHERE li.sha256 = i.sha256 AND li.state='stored')",
            (sha256,),
        ).fetchone()
        from linkindex.store.rows import StoredImage

        return StoredImage(*row) if row else None

    def image_hashes(self) -> list[str]:
        """The hash of every image the library records (for the doctor)."""
        return [str(row[0]) for row in self.conn.execute("SELECT sha256 FROM images")]

    def image_stats(self) -> dict[str, int]:
        """How many distinct images the library keeps, their bytes, and the figures
        (of links still in the notes) that show them."""
        images, size = self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM images"
        ).fetchone()
        (figures,) = self.conn.execute(
            "SELECT COUNT(*) FROM link_images li JOIN links l ON l.id = li.link_id "
            "WHERE li.state='stored' AND l.removed_at IS NULL"
        ).fetchone()
        return {"images": int(images), "image_bytes": int(size), "figures": int(figures)}
