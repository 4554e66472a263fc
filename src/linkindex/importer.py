"""Importing notes into the store: files and folders in, links and placements out.

Re-importing is idempotent and cheap: a file whose size and mtime are unchanged is not
read at all, one whose bytes hash the same is not parsed. A changed note replaces its
placements; a link no note places any more is marked removed (never deleted, so its
crawl history and snapshots stay), and gets its ``removed_at`` cleared if it comes back.
Notes are written a batch per transaction, and the final sweep that marks links
removed is idempotent, so a killed import leaves a consistent library that the next
import completes. Ctrl-C (or SIGTERM, which the CLI turns into one) stops an import
between two batches: it returns what it wrote, ``interrupted`` set, without the sweep.
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing as mp
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, Any

from linkindex.errors import NotFoundError
from linkindex.models import Clock, to_iso, utc_now
from linkindex.models.notes import Note, ParsedNote
from linkindex.notes import parse_note
from linkindex.notes.decoding import ESCAPED, decode
from linkindex.store.library import PlacementRow
from linkindex.store.rows import NoteWrite
from linkindex.urls import normalize, split_canonical
from linkindex.workers import worker_pool

if TYPE_CHECKING:
    from linkindex.store import Store

#: What a folder import reads (a file named explicitly is read whatever its name).
NOTE_SUFFIXES = (".md", ".markdown")

#: Notes written per transaction. One commit per note is safe but slow (a commit costs
#: about as much as writing a whole note); a batch of notes is just as atomic.
BATCH = 50

#: Changed notes from which parsing is spread over worker processes: starting them
#: costs ~50 ms, parsing a note ~5 ms.
PARALLEL_MIN = 64


@dataclass(slots=True)
class ImportSummary:
    """What one import did."""

    notes_read: int = 0  # new or changed notes parsed and written
    notes_unchanged: int = 0
    notes_failed: int = 0  # unreadable, binary or undecodable files
    notes_removed: int = 0  # vanished from an imported folder
    links_new: int = 0
    links_updated: int = 0  # existing links whose placements changed
    links_removed: int = 0  # no placement left: marked removed
    links_restored: int = 0  # placed again after being removed
    placements: int = 0  # placements written by this import
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> links not imported
    warnings: list[str] = field(default_factory=list)  # a file that failed, a part not read
    roots: list[str] = field(default_factory=list)
    indexed: int | None = None  # documents the index refresh wrote (None: not refreshed)
    notes_found: int = 0  # note files in the paths, whether read, unchanged or failed
    interrupted: bool = False  # Ctrl-C stopped it: the counts say what was written

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return dataclasses.asdict(self)


def import_notes(
    store: Store,
    home: Path,
    paths: Sequence[Path],
    *,
    clock: Clock = utc_now,
    workers: int | None = None,
) -> ImportSummary:
    """Import notes (``import_paths``), then bring the library's search index up to date.

    ``summary.indexed`` says how many documents the refresh wrote. A stopped import
    (``summary.interrupted``) leaves the index to the next command that writes, which
    catches it up first.
    """
    from linkindex import indexing

    summary = import_paths(store, paths, clock=clock, workers=workers)
    if not summary.interrupted:
        summary.indexed = indexing.refresh(store, home)
    return summary


def import_paths(
    store: Store, paths: Sequence[Path], *, clock: Clock = utc_now, workers: int | None = None
) -> ImportSummary:
    """Import note files and folders (folders recursively for ``.md``/``.markdown``).

    A file named in ``paths`` is read as Markdown whatever its extension. Text is read
    as UTF-8, else GB18030; bytes that fit neither are replaced (U+FFFD) with one line
    in ``summary.warnings`` saying how many; a binary or unreadable file is skipped with
    one such line, and the rest is imported. ``workers`` parse
    processes are used when many notes changed (default: one per CPU; 1 = none).

    Ctrl-C stops it between two batches of notes: the summary then says what was
    written, with ``interrupted`` set, and the next import goes on from there.

    Raises:
        NotFoundError: a path does not exist (nothing is imported then).
    """
    roots = resolve_paths(paths)
    job = _Import(store, to_iso(clock()), roots)
    try:
        listed = [(root, _note_files(root) if root.is_dir() else [root]) for root in roots]
        job.summary.notes_found = len({file for _root, files in listed for file in files})
        with store.transaction():  # a folder without notes is not one `update` should re-read
            store.add_import_roots(stored_path(root) for root, files in listed if files)
        for root, files in listed:
            with _parsed(job.read(files), workers) as prepared:
                job.write(prepared)
            if root.is_dir():
                job.remove_vanished(root)
    except KeyboardInterrupt:  # the batches written are kept; the sweep waits for next time
        job.summary.interrupted = True
        return job.finish(sweep=False)
    return job.finish()


def resolve_paths(paths: Sequence[Path]) -> list[Path]:
    """The absolute paths to import; NotFoundError for one that does not exist."""
    return [_resolve(Path(path)) for path in paths]


def known_roots(store: Store) -> list[Path]:
    """The files and folders imported before (for ``update``), those still there."""
    found = (disk_path(root) for root in store.import_roots())
    return [path for path in found if path is not None]


def stored_path(path: Path) -> str:
    """The text a note file's (or folder's) path is stored and shown as.

    A file name is bytes; most are UTF-8. One that is not (GBK names as an unzipped
    Windows archive leaves them) has each such part read as GB18030 when it is valid
    GB18030, like a note's text, else with the bytes UTF-8 cannot read written
    ``\\xNN``; the store then holds text it can write, and ``disk_path`` finds the file
    again. It looks at no disk: the same path always gives the same text.
    """
    text = str(path)
    if not ESCAPED.search(text):  # a UTF-8 name: the common case
        return text
    return os.sep.join(_readable_name(os.fsencode(part)) for part in text.split(os.sep))


def disk_path(stored: str) -> Path | None:
    """The file or folder that ``stored_path`` gave ``stored`` for, if it is still there."""
    path = Path(stored)
    if path.exists():
        return path
    found = Path(path.anchor)
    for part in path.parts[1:] if path.anchor else path.parts:
        candidates = [found / part]
        for encoded in (_gb18030(part), _unescaped(part)):
            if encoded is not None:
                candidates.append(found / os.fsdecode(encoded))
        found = next((c for c in candidates if os.path.lexists(c)), candidates[0])
    return found if found.exists() else None


def _readable_name(name: bytes) -> str:
    try:
        return name.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return name.decode("gb18030")
    except UnicodeDecodeError:
        return name.decode("utf-8", "backslashreplace")


def _gb18030(name: str) -> bytes | None:
    try:
        return name.encode("gb18030")
    except UnicodeEncodeError:
        return None


def _unescaped(name: str) -> bytes | None:
    if "\\x" not in name:
        return None
    try:
        return name.encode("utf-8").decode("unicode_escape").encode("latin-1")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return None


@dataclass(slots=True)
class _Changed:
    """A note file whose bytes changed since the last import."""

    path: str
    text: str
    size: int
    mtime_ns: int
    sha256: str


@dataclass(slots=True)
class _Prepared:
    """A parsed note, ready to write: what the parse processes send back."""

    file: _Changed
    note: Note
    skipped: dict[str, int]
    rows: list[PlacementRow]
    warnings: list[str]


@dataclass(slots=True)
class _Written:
    """What writing one note did, for the counts (not its text: a run keeps one a note)."""

    placements: int
    skipped: dict[str, int]
    warnings: list[str]  # said of the note's file
    links: NoteWrite


class _Import:
    """One import run: reads files, writes notes, keeps the counts."""

    def __init__(self, store: Store, now: str, roots: list[Path]) -> None:
        self.store = store
        self.now = now
        self.summary = ImportSummary(roots=[stored_path(root) for root in roots])
        self.states = store.note_states()
        self.seen: set[str] = set()
        self.new: set[int] = set()
        self.changed: set[int] = set()
        self.restored: set[int] = set()
        #: Each note written, by path, with what writing it did (``_write_batch``),
        #: committed or not: ``finish`` counts those the store kept.
        self.written: dict[str, _Written] = {}

    def read(self, files: list[Path]) -> list[_Changed]:
        """The files whose content changed; unchanged ones are only counted.

        A file whose size and mtime match is not opened; one whose bytes hash the
        same only gets its new mtime remembered.
        """
        changed: list[_Changed] = []
        touched: list[tuple[int, int, int]] = []
        for file in files:
            path = stored_path(file)
            if path in self.seen:
                continue
            self.seen.add(path)
            state = self.states.get(path)
            current = state if state is not None and not state.removed else None
            try:
                stat = file.stat()
                if not S_ISREG(stat.st_mode):  # a device or a pipe would never end
                    self.failed(file, "it is not a regular file")
                    continue
                if current and (current.size, current.mtime_ns) == (
                    stat.st_size,
                    stat.st_mtime_ns,
                ):
                    self.summary.notes_unchanged += 1
                    continue
                data = file.read_bytes()
            except OSError as exc:
                self.failed(file, f"cannot read it ({exc.strerror or exc})")
                continue
            digest = hashlib.sha256(data).hexdigest()
            if current and current.sha256 == digest:
                touched.append((current.id, stat.st_size, stat.st_mtime_ns))
                self.summary.notes_unchanged += 1
                continue
            decoded = decode(data)
            if decoded.text is None:
                self.failed(file, decoded.problem)
                continue
            if path != str(file):
                self.summary.warnings.append(
                    f"{path}: its name is not UTF-8, so it is imported under the name "
                    "shown here; give it a UTF-8 name to keep the two the same"
                )
            if decoded.warning:
                self.summary.warnings.append(f"{path}: {decoded.warning}")
            changed.append(_Changed(path, decoded.text, stat.st_size, stat.st_mtime_ns, digest))
        if touched:
            with self.store.transaction():
                for note_id, size, mtime_ns in touched:
                    self.store.note_seen(note_id, size=size, mtime_ns=mtime_ns)
        return changed

    def write(self, prepared: Iterable[_Prepared]) -> None:
        """Write parsed notes, BATCH per transaction."""
        batch: list[_Prepared] = []
        for item in prepared:
            batch.append(item)
            if len(batch) >= BATCH:
                self._write_batch(batch)
                batch = []
        if batch:
            self._write_batch(batch)

    def _write_batch(self, batch: list[_Prepared]) -> None:
        store = self.store
        with store.transaction():
            for item in batch:
                note, file = item.note, item.file
                note_id = store.save_note(
                    path=note.path,
                    title=note.title,
                    category=note.category,
                    tags=note.tags,
                    date=note.date,
                    size=file.size,
                    mtime_ns=file.mtime_ns,
                    sha256=file.sha256,
                    at=self.now,
                )
                links = store.write_placements(note_id, item.rows, at=self.now)
                warnings = [f"{file.path} {warning}" for warning in item.warnings]
                self.written[note.path] = _Written(len(item.rows), item.skipped, warnings, links)

    def _kept(self, interrupted: bool) -> list[_Written]:
        """The notes written that the store kept: all of them, unless a Ctrl-C or SIGTERM
        stopped the run, which may have come during a batch (rolled back) or just after
        its commit (kept, though the run went no further): then those the store holds
        as this run wrote them."""
        if not interrupted:
            return list(self.written.values())
        held = self.store.notes_imported_at(self.now)
        return [done for path, done in self.written.items() if path in held]

    def remove_vanished(self, root: Path) -> None:
        """Notes once imported from ``root`` whose file is gone: removed, placements dropped."""
        prefix = stored_path(root) + os.sep
        for path, state in self.states.items():
            if state.removed or path in self.seen or not path.startswith(prefix):
                continue
            if disk_path(path) is not None:
                continue  # still there: a hidden or non-Markdown file imported by name
            with self.store.transaction():
                self.changed.update(self.store.remove_note(state.id, at=self.now))
            self.summary.notes_removed += 1

    def failed(self, file: Path, why: str) -> None:
        """Count a file that could not be imported, with one line saying why."""
        self.summary.notes_failed += 1
        self.summary.warnings.append(f"skipped {stored_path(file)}: {why}")

    def finish(self, *, sweep: bool = True) -> ImportSummary:
        """Mark links no note places any more as removed (with ``sweep``); settle the counts."""
        removed: set[int] = set()
        if sweep:
            with self.store.transaction():
                removed = set(self.store.sweep_removed_links(at=self.now))
        summary = self.summary
        for written in self._kept(summary.interrupted):
            summary.notes_read += 1
            summary.placements += written.placements
            for reason, count in written.skipped.items():
                summary.skipped[reason] = summary.skipped.get(reason, 0) + count
            summary.warnings.extend(written.warnings)
            self.new.update(written.links.new_links)
            self.changed.update(written.links.changed_links)
            self.restored.update(written.links.restored_links)
        summary.links_new = len(self.new - removed)
        summary.links_removed = len(removed)
        summary.links_restored = len(self.restored - removed)
        summary.links_updated = len(self.changed - self.new - removed)
        return summary


# -- parsing, in parallel when it pays -----------------------------------------------


@contextmanager
def _parsed(files: list[_Changed], workers: int | None) -> Iterator[Iterator[_Prepared]]:
    """Parse changed notes, in worker processes when there are many of them.

    The workers live as long as the block: when it fails (Ctrl-C, SIGTERM) they are
    killed at once rather than left to finish notes nobody will write.
    """
    count = workers if workers is not None else (os.cpu_count() or 1)
    # fork: the workers start at once with everything imported, and never touch the
    # parent's database connection (they only parse text). Forking a process that runs
    # other threads could copy a lock one of them holds, so then we parse here instead.
    if (
        count <= 1
        or len(files) < PARALLEL_MIN
        or "fork" not in mp.get_all_start_methods()
        or threading.active_count() > 1
    ):
        yield map(_prepare, files)
        return
    with worker_pool(min(count, 8), method="fork") as pool:
        yield pool.map(_prepare, files, chunksize=16)


def _prepare(file: _Changed) -> _Prepared:
    parsed = parse_note(file.text, file.path)
    rows = _placement_rows(parsed)
    file.text = ""  # not needed any more: don't send it back
    return _Prepared(file, parsed.note, parsed.skipped, rows, parsed.warnings)


def _placement_rows(parsed: ParsedNote) -> list[PlacementRow]:
    rows: list[PlacementRow] = []
    for link in parsed.links:
        canonical = normalize(link.url)
        if canonical is None:  # the parser already skipped these; stay safe
            continue
        place = link.placement
        host, site = split_canonical(canonical)
        rows.append(
            PlacementRow(
                canonical_url=canonical,
                url=link.url,
                site=site,
                host=host,
                line=place.line,
                topic=place.topic,
                title=place.title,
                description=place.description,
                label=place.label,
            )
        )
    return rows


# -- folders -------------------------------------------------------------------------


def _resolve(path: Path) -> Path:
    resolved = path.expanduser().resolve()
    if not resolved.exists():
        raise NotFoundError(
            f"{stored_path(path)} does not exist; give a notes folder or a Markdown file "
            "(for example `linkindex import ~/notes`)"
        )
    if not (resolved.is_dir() or resolved.is_file()):
        raise NotFoundError(
            f"{stored_path(path)} is neither a folder nor a file (a device or a pipe); "
            "give a notes folder or a Markdown file"
        )
    return resolved


def _note_files(root: Path) -> list[Path]:
    """Markdown files under ``root``, recursively, skipping hidden folders, sorted."""
    return sorted(_walk(root))


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.lower().endswith(NOTE_SUFFIXES) and not name.startswith("."):
                yield Path(folder) / name
