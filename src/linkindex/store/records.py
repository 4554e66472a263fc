"""The read model every surface shares: a link with its placements and page."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from linkindex.store.core import StoreBase, _chunks


@dataclass(slots=True)
class PlacementRecord:
    """A placement joined with its note."""

    note_path: str
    note_title: str
    note_date: str | None
    category: str
    line: int
    topic: list[str]
    title: str
    description: str
    label: str


@dataclass(slots=True)
class PageRecord:
    """The extracted page of a link."""

    title: str
    author: str
    account: str
    published_at: str | None
    description: str
    text: str
    language: str
    extractor: str
    from_archive: bool
    snapshot_hash: str | None
    extracted_at: str | None
    extra: dict[str, Any]
    engine: str = "http"  # which fetch engine got the body it was extracted from


@dataclass(slots=True)
class ImageRecord:
    """A stored figure of a link's page: where it came from, what it is, where it stood."""

    url: str
    sha256: str
    content_type: str
    bytes: int
    width: int | None
    height: int | None
    paragraph: int  # paragraphs of the page text before it (models.pages.Figure.after)
    alt: str

    def to_json(self) -> dict[str, Any]:
        """The figure as ``show --json`` and the API list it."""
        return {
            "url": self.url,
            "sha256": self.sha256,
            "content_type": self.content_type,
            "bytes": self.bytes,
            "width": self.width,
            "height": self.height,
        }


@dataclass(slots=True)
class LinkRecord:
    """Everything the library knows about one link."""

    id: int
    url: str
    canonical_url: str
    site: str
    host: str
    status: str
    first_seen_at: str
    removed_at: str | None
    final_url: str | None
    http_status: int | None
    fetched_at: str | None
    checked_at: str | None
    next_fetch_at: str | None
    error: str | None
    archive_url: str | None
    change_seq: int
    placements: list[PlacementRecord] = field(default_factory=list)
    page: PageRecord | None = None
    images: list[ImageRecord] = field(default_factory=list)  # stored figures, in order

    @property
    def title(self) -> str:
        """The best title: the notes' own title, else the page's, else the URL."""
        for placement in self.placements:
            if placement.title:
                return placement.title
        if self.page and self.page.title:
            return self.page.title
        return self.url

    @property
    def topics(self) -> list[list[str]]:
        """Distinct heading paths of the placements, in note order."""
        seen: list[list[str]] = []
        for placement in self.placements:
            if placement.topic not in seen:
                seen.append(placement.topic)
        return seen

    @property
    def published_at(self) -> str | None:
        """When the page says it was published, if known."""
        return self.page.published_at if self.page else None


_LINK_COLUMNS = (
    "id, url, canonical_url, site, host, status, first_seen_at, removed_at, final_url, "
    "http_status, fetched_at, checked_at, next_fetch_at, error, archive_url, change_seq"
)


class RecordsMixin(StoreBase):
    """Reading links as LinkRecords, in batches, in a stable order (by id)."""

    def link_records(self, ids: Iterable[int]) -> list[LinkRecord]:
        """The records of the given link ids, in the order given (missing ids skipped)."""
        wanted = list(ids)
        found: dict[int, LinkRecord] = {}
        for chunk in _chunks(wanted, 500):
            found.update({r.id: r for r in self._load(chunk)})
        return [found[i] for i in wanted if i in found]

    def iter_link_records(
        self,
        *,
        include_removed: bool = False,
        batch: int = 1000,
        ids: Iterable[int] | None = None,
    ) -> Iterator[LinkRecord]:
        """Every link (or those of ``ids``, in their order), loaded in batches: flat memory."""
        if ids is None:
            where = "" if include_removed else "WHERE removed_at IS NULL"
            ids = [r[0] for r in self.conn.execute(f"SELECT id FROM links {where} ORDER BY id")]
        for chunk in _chunks(list(ids), batch):
            yield from self.link_records(chunk)

    def find_link(self, address: str) -> int | None:
        """The id of the link at ``address``, or None: every command and page that takes
        a URL finds its link here.

        The address may be written as any note wrote it (its canonical key is looked up),
        be a canonical key itself, or be where the link ended after redirects.
        """
        # Imported here: most processes (a search) never look a link up by its address.
        from linkindex.urls import normalize

        text = address.strip()
        for key in dict.fromkeys(k for k in (normalize(text), text) if k):
            link_id = self.link_id_for(key)
            if link_id is not None:
                return link_id
        return self.link_id_by_address(text)

    def link_id_for(self, canonical_url: str) -> int | None:
        """The id of a link by its canonical URL."""
        row = self.conn.execute(
            "SELECT id FROM links WHERE canonical_url=?", (canonical_url,)
        ).fetchone()
        return int(row[0]) if row else None

    def link_id_by_address(self, address: str) -> int | None:
        """A link by an address as written in a note or where it ended after redirects.

        For addresses whose canonical key is unknown (``link_id_for`` is the fast path).
        """
        row = self.conn.execute(
            "SELECT id FROM links WHERE url=? OR final_url=? ORDER BY id LIMIT 1",
            (address, address),
        ).fetchone()
        return int(row[0]) if row else None

    def _load(self, ids: list[int]) -> list[LinkRecord]:
        marks = ",".join("?" * len(ids))
        records = {
            row[0]: LinkRecord(*row)
            for row in self.conn.execute(
                f"SELECT {_LINK_COLUMNS} FROM links WHERE id IN ({marks})", ids
            )
        }
        for row in self.conn.execute(
            "SELECT p.link_id, n.path, n.title, n.date, n.category, p.line, p.topic, p.title, "
            "p.description, p.label FROM placements p JOIN notes n ON n.id = p.note_id "
            f"WHERE p.link_id IN ({marks}) ORDER BY n.path, p.line",
            ids,
        ):
            record = records.get(row[0])
            if record is not None:
                record.placements.append(
                    PlacementRecord(
                        note_path=row[1],
                        note_title=row[2],
                        note_date=row[3],
                        category=row[4],
                        line=row[5],
                        topic=json.loads(row[6]),
                        title=row[7],
                        description=row[8],
                        label=row[9],
                    )
                )
        for row in self.conn.execute(
            "SELECT link_id, title, author, account, published_at, description, text, language, "
            f"extractor, from_archive, snapshot_hash, extracted_at, extra, engine FROM pages "
            f"WHERE link_id IN ({marks})",
            ids,
        ):
            record = records.get(row[0])
            if record is not None:
                record.page = PageRecord(
                    title=row[1],
                    author=row[2],
                    account=row[3],
                    published_at=row[4],
                    description=row[5],
                    text=row[6],
                    language=row[7],
                    extractor=row[8],
                    from_archive=bool(row[9]),
                    snapshot_hash=row[10],
                    extracted_at=row[11],
                    extra=json.loads(row[12] or "{}"),
                    engine=row[13],
                )
        for row in self.conn.execute(
            "SELECT li.link_id, li.url, i.sha256, i.content_type, i.bytes, i.width, i.height, "
            "li.paragraph, li.alt FROM link_images li JOIN images i ON i.sha256 = li.sha256 "
            f"WHERE li.link_id IN ({marks}) AND li.state = 'stored' "
            "ORDER BY li.link_id, li.position",
            ids,
        ):
            record = records.get(row[0])
            if record is not None:
                record.images.append(ImageRecord(*row[1:]))
        return list(records.values())

    def changed_link_ids(self, since_seq: int) -> list[int]:
        """Links (not removed) whose ``change_seq`` is above ``since_seq``, by id."""
        return [
            int(row[0])
            for row in self.conn.execute(
                "SELECT id FROM links WHERE change_seq > ? AND removed_at IS NULL ORDER BY id",
                (since_seq,),
            )
        ]

    def changes_since(self, since_seq: int) -> list[tuple[int, int, bool]]:
        """Links whose ``change_seq`` is above ``since_seq``: (change_seq, id, removed),
        in the order they changed."""
        return [
            (int(seq), int(link_id), removed is not None)
            for seq, link_id, removed in self.conn.execute(
                "SELECT change_seq, id, removed_at FROM links WHERE change_seq > ? "
                "ORDER BY change_seq, id",
                (since_seq,),
            )
        ]

    def removed_link_ids(self, since_seq: int) -> list[int]:
        """Removed links whose ``change_seq`` is above ``since_seq``, by id."""
        return [
            int(row[0])
            for row in self.conn.execute(
                "SELECT id FROM links WHERE change_seq > ? AND removed_at IS NOT NULL ORDER BY id",
                (since_seq,),
            )
        ]

    def alive_link_ids(self) -> set[int]:
        """Every link that is not removed."""
        return {
            int(row[0])
            for row in self.conn.execute("SELECT id FROM links WHERE removed_at IS NULL")
        }

    def snapshot_hashes(self) -> list[str]:
        """The content hash of every stored body the library records (for the doctor)."""
        return [str(row[0]) for row in self.conn.execute("SELECT hash FROM snapshots")]

    def count_links(self, *, include_removed: bool = False) -> int:
        """How many links the library holds (removed ones only when asked)."""
        where = "" if include_removed else " WHERE removed_at IS NULL"
        return int(self.conn.execute(f"SELECT count(*) FROM links{where}").fetchone()[0])

    def link_ids_containing(self, pieces: Iterable[str]) -> list[int]:
        """Links (not removed) whose indexed text contains one of ``pieces``, by id.

        Looks in the placements' title, description, label and topic headings, their
        notes' titles, and the pages' title, description, account, author and text.
        Pieces with ASCII letters match those letters case-insensitively; anything
        else (CJK) matches as is. A full scan of the text: meant for a few pieces.
        """
        wanted = sorted({p for p in pieces if p})
        if not wanted:
            return []
        found: set[int] = set()
        for table, key, columns in _TEXT_SOURCES:
            tests, params = _contains(columns, wanted)
            found.update(
                int(row[0])
                for row in self.conn.execute(f"SELECT {key} FROM {table} WHERE {tests}", params)
            )
        tests, params = _contains(("n.title",), wanted)
        found.update(
            int(row[0])
            for row in self.conn.execute(
                "SELECT p.link_id FROM placements p JOIN notes n ON n.id = p.note_id "
                f"WHERE {tests}",
                params,
            )
        )
        alive = self.alive_link_ids()
        return sorted(found & alive)

    # -- summaries for browsing, charts and selections --------------------------------

    def link_topic_rows(
        self, *, site: str | None = None, status: str | None = None, newest_first: bool = False
    ) -> list[tuple[int, str, str, list[str] | None]]:
        """``(id, site, status, topic)`` per placement of the links still in the notes.

        A link without placements gives one row with topic None. Ordered by link id (and
        placement), oldest or newest first.
        """
        where = ["l.removed_at IS NULL"]
        params: list[str] = []
        if site is not None:
            where.append("l.site = ?")
            params.append(site)
        if status is not None:
            where.append("l.status = ?")
            params.append(status)
        order = "DESC" if newest_first else "ASC"
        rows = self.conn.execute(
            "SELECT l.id, l.site, l.status, p.topic FROM links l "
            "LEFT JOIN placements p ON p.link_id = l.id "
            f"WHERE {' AND '.join(where)} ORDER BY l.id {order}, p.id",
            params,
        )
        return [(r[0], r[1], r[2], json.loads(r[3]) if r[3] else None) for r in rows]

    def status_counts_by_site(self) -> dict[str, dict[str, int]]:
        """``{site: {status: links}}`` over the links still in the notes."""
        table: dict[str, dict[str, int]] = {}
        for site, status, count in self.conn.execute(
            "SELECT site, status, COUNT(*) FROM links WHERE removed_at IS NULL "
            "GROUP BY site, status"
        ):
            table.setdefault(site, {})[status] = int(count)
        return table

    def dead_by_note_year(self, checked: tuple[str, ...]) -> list[dict[str, Any]]:
        """Per year of the notes: ``year``, ``links``, ``checked`` (status in ``checked``)
        and ``dead`` distinct links; a link in notes of several years counts in each."""
        marks = ",".join("?" * len(checked))
        return self.query(
            "SELECT substr(n.date, 1, 4) AS year, COUNT(DISTINCT l.id) AS links, "
            f"COUNT(DISTINCT CASE WHEN l.status IN ({marks}) THEN l.id END) AS checked, "
            "COUNT(DISTINCT CASE WHEN l.status = 'dead' THEN l.id END) AS dead "
            "FROM placements p JOIN notes n ON n.id = p.note_id "
            "JOIN links l ON l.id = p.link_id "
            "WHERE l.removed_at IS NULL AND n.date IS NOT NULL AND n.date != '' "
            "GROUP BY year ORDER BY year",
            checked,
        )


#: The text columns a link's search document is made of (see ``index.document``).
_TEXT_SOURCES = (
    ("placements", "link_id", ("title", "description", "label", "topic")),
    ("pages", "link_id", ("title", "description", "account", "author", "text")),
)


def _contains(columns: Iterable[str], pieces: list[str]) -> tuple[str, list[str]]:
    """An SQL test that one of the columns contains one of the pieces, and its parameters."""
    tests: list[str] = []
    params: list[str] = []
    for column in columns:
        for piece in pieces:
            if any(c.isascii() and c.isalpha() for c in piece):
                tests.append(f"instr(lower({column}), ?) > 0")
                params.append(piece.lower())
            else:
                tests.append(f"instr({column}, ?) > 0")
                params.append(piece)
    return " OR ".join(tests), params
