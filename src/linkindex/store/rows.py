"""The rows the crawl's and the import's store methods take and give: due links, fetch
records, snapshots, figures, stored images; note states and what writing a note did.

Plain data, in a module of its own: a search process opens the store without these
rows (a dataclass costs ~0.5-1 ms to make when its module loads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linkindex.models.pages import FetchResult, Figure, Page


@dataclass(slots=True)
class DueLink:
    """A link the crawler is about to fetch, with what it knows from last time."""

    id: int
    url: str
    canonical_url: str
    site: str
    host: str
    status: str
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    fail_count: int
    unchanged_count: int
    dead_count: int
    archive_url: str | None
    fetched_at: str | None
    has_page: bool
    page_from_archive: bool


@dataclass(slots=True)
class SnapshotRow:
    """A stored body, as the ``snapshots`` table describes it."""

    hash: str
    size: int
    stored_size: int
    content_type: str = ""


@dataclass(slots=True)
class FetchRecord:
    """Everything one fetch changes; ``record_fetch`` writes it in one transaction.

    ``status`` and the counters are the link's values after this fetch. ``page`` and
    ``snapshot`` are written when the fetch produced them; ``archive`` holds the
    Wayback Machine fetch that recovered a lost page, if one was made. ``figures``, when
    not None, become the link's figures (``FiguresMixin.save_figures``).
    """

    link_id: int
    started_at: str
    result: FetchResult
    status: str
    next_fetch_at: str
    fail_count: int
    unchanged_count: int
    dead_count: int
    content_hash: str | None = None
    page: Page | None = None
    snapshot: SnapshotRow | None = None
    archive: ArchiveRecord | None = None
    touch: bool = True
    figures: list[Figure] | None = None
    figures_from_archive: bool = False


@dataclass(slots=True)
class ArchiveRecord:
    """A page recovered from the Wayback Machine."""

    archive_url: str
    result: FetchResult | None = None  # the fetch of the archived copy, if made
    page: Page | None = None
    snapshot: SnapshotRow | None = None


@dataclass(frozen=True, slots=True)
class StoredImage:
    """A picture kept in ``HOME/images``, as the ``images`` table describes it."""

    sha256: str
    content_type: str
    bytes: int
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class FigureTask:
    """A figure of a link's page to fetch, with what the fetch needs of its link."""

    link_id: int
    position: int
    url: str
    site: str = "web"  # the page's site (its ``image_referer``)
    from_archive: bool = False  # the page came from an archive copy…
    archive_url: str | None = None  # …here


@dataclass(frozen=True, slots=True)
class SnapshotPage:
    """A stored page and the snapshot it was extracted from."""

    link_id: int
    url: str  # the address it was extracted at (the archive copy's, for one from there)
    snapshot: str
    content_type: str
    from_archive: bool


@dataclass(frozen=True, slots=True)
class FigureOutcome:
    """What fetching one figure came to: ``stored`` (with its image), ``failed`` or
    ``refused`` (with the reason)."""

    position: int
    url: str
    state: str
    image: StoredImage | None = None
    error: str = ""


@dataclass(slots=True)
class NoteState:
    """What the store remembers of a note file, to tell whether it changed."""

    id: int
    path: str
    size: int | None
    mtime_ns: int | None
    sha256: str | None
    removed: bool


@dataclass(slots=True)
class NoteWrite:
    """The outcome of writing one note's placements."""

    note_id: int
    new_links: list[int] = field(default_factory=list)
    changed_links: list[int] = field(default_factory=list)  # existing links, placements changed
    restored_links: list[int] = field(default_factory=list)  # were removed, placed again
