"""Keeping the search index current with the store, and checking that it is.

The operations that change the store call ``refresh`` when they are done: ``import``
(``importer.import_notes``), ``crawl`` and ``update``; ``linkindex index`` calls it
alone. A refresh rewrites only the links whose ``change_seq`` moved since the index last
caught up (and the links a new dictionary word re-segments); it is cheap to call
often, so a long crawl may call it every few hundred pages. ``check`` compares the index
with the store for ``linkindex doctor``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkindex import analysis
from linkindex.errors import UserError
from linkindex.index import documents, folder, writing

if TYPE_CHECKING:
    from linkindex.store import Store


def refresh(
    store: Store,
    home: Path,
    *,
    rebuild: bool = False,
    chunk: int | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> int:
    """Bring HOME/index up to date with the store; returns how many documents were written.

    Only links whose ``change_seq`` moved since the last run are rewritten; removed links
    leave the index. When the notes' headings add (or drop) dictionary words, the links
    whose text contains one of those words are re-segmented too, in the same commit that
    records the new dictionary. The whole index is rebuilt (into a new folder, swapped
    in) with ``rebuild``, when there is none, when the analyzer or the documents' form
    changed, or when the changed words touch most links anyway.

    With ``chunk``, changed links are written ``chunk`` at a time in the order they
    changed, each chunk its own commit that records how far the index got, and
    ``keep_going()`` is asked before each: a refresh that must end soon (a crawl being
    stopped) stops between two commits, and the next refresh does the rest.
    """
    words = heading_words(store)
    seq = store.change_seq()
    if not rebuild and folder.exists(home):
        with folder.LinkIndex(folder.index_dir(home)) as ix:
            # An index written by another version of linkindex is rebuilt below.
            current = ix.is_current()
            state = ix.state() if current else folder.IndexState()
            current = current and state.made_here
            if current and state.vocabulary == folder.fingerprint(words):
                if chunk is not None and state.words is not None:
                    return _update_in_chunks(store, ix, words, state, seq, chunk, keep_going)
                return _update(store, ix, words, state, seq)
            if current and state.analyzer == analysis.ANALYZER_VERSION and state.words is not None:
                changed = analysis.changed_words(state.words, segmenter(words).words)
                affected = store.link_ids_containing(
                    piece for word in changed for piece in analysis.telltales(word)
                )
                if len(affected) * 2 <= store.count_links():
                    return _update(store, ix, words, state, seq, also=affected)
    return _rebuild(store, home, segmenter(words), seq)


#: A long run indexes what it changed at least this often: a batch every this many changed
#: links or this many seconds, whichever comes first. A polite crawl (WeChat: a page every
#: 5 s) sends a batch every two minutes, which is how long a page waits to become
#: searchable.
BATCH_LINKS = 250
BATCH_SECONDS = 120.0
#: A batch is written this many links a commit (a commit of 50 pages of ~3,000 characters
#: takes a few tenths of a second), so a stopped run waits for at most one of them.
CHUNK_LINKS = 50
#: How long a stopped run goes on indexing what it recorded (it must exit within a
#: couple of seconds of Ctrl-C); whatever is left is indexed by the next command that
#: writes, before anything else.
STOP_BUDGET = 1.0

logger = logging.getLogger("linkindex")


class Batches:
    """Index a long run's changes while it runs, a batch at a time, beside its work.

    ``changed()`` is called after each change the run committed; when a batch is due it
    is indexed in a thread of its own, with its own connection to the store (SQLite's
    WAL lets it read while the run writes), one batch at a time. ``finish()`` waits for
    that thread and indexes the rest, so the index holds everything the run recorded,
    whether it ended, failed or was stopped.

    Args:
        home: the library home.
        links: changed links that make a batch due (default ``BATCH_LINKS``).
        seconds: time after which a batch is due, if anything changed (``BATCH_SECONDS``).
        clock: a monotonic clock (tests pass a fake one).
    """

    def __init__(
        self,
        home: Path,
        *,
        links: int | None = None,
        seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.home = home
        self.links = BATCH_LINKS if links is None else links
        self.seconds = BATCH_SECONDS if seconds is None else seconds
        self.clock = clock
        self.pending = 0
        self.batches = 0  # batches indexed while the run went on
        self.written = 0  # documents those batches wrote
        self._since = clock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()  # the run is ending: the batch stops between chunks

    def changed(self, count: int = 1) -> None:
        """Note committed changes; start indexing a batch when one is due."""
        self.pending += count
        due = self.pending >= self.links or self.clock() - self._since >= self.seconds
        if due and self.pending and not self.running():
            self.pending = 0
            self._since = self.clock()
            self._thread = threading.Thread(target=self._index, name="index-batch", daemon=True)
            self._thread.start()

    def running(self) -> bool:
        """Whether a batch is being indexed now."""
        return self._thread is not None and self._thread.is_alive()

    def _index(self) -> None:
        from linkindex.store import Store

        try:
            with Store(self.home, create=False) as store:
                self.written += refresh(
                    store,
                    self.home,
                    chunk=CHUNK_LINKS,
                    keep_going=lambda: not self._stopping.is_set(),
                )
            self.batches += 1
        except Exception as exc:  # the run goes on; its final refresh tries again
            logger.warning("indexing a batch of the crawl failed (%s); it is retried", exc)

    def wait(self) -> None:
        """Let the batch being indexed finish."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def finish(self, store: Store, *, stopped: bool = False) -> int:
        """Index the rest of the run's changes; documents written in all.

        ``stopped``: the run was stopped (Ctrl-C, SIGTERM) and must end soon. The batch
        being written stops after its chunk, and the rest is written chunk by chunk for
        ``STOP_BUDGET`` seconds; what is left then waits for the next refresh.
        """
        if stopped:
            self._stopping.set()
        self.wait()
        self.pending = 0
        if not stopped:
            return self.written + refresh(store, self.home)
        deadline = self.clock() + STOP_BUDGET
        return self.written + refresh(
            store, self.home, chunk=CHUNK_LINKS, keep_going=lambda: self.clock() < deadline
        )


def heading_words(store: Store) -> list[str]:
    """The notes' headings that the dictionary adds as words (``analysis.heading_words``)."""
    names: list[str] = []
    stack = list(store.topic_tree())
    while stack:
        node = stack.pop()
        names.append(node.name)
        stack.extend(node.children)
    return analysis.heading_words(names)


#: Indexing segmenters kept by this process, by their extra words (a rebuild's workers
#: and a long-lived process reuse them; building one costs ~0.3 s).
_SEGMENTERS: dict[tuple[str, ...], analysis.Segmenter] = {}


def segmenter(extra_words: tuple[str, ...] | list[str] = ()) -> analysis.Segmenter:
    """The process's indexing segmenter for these extra words (built once, then reused)."""
    key = tuple(extra_words)
    found = _SEGMENTERS.pop(key, None)
    if found is None:
        found = folder.segmenter(key)
    _SEGMENTERS[key] = found  # most recently used last
    while len(_SEGMENTERS) > 2:  # a new word list (new headings) retires the oldest
        del _SEGMENTERS[next(iter(_SEGMENTERS))]
    return found


def _state(seq: int, segmenter: analysis.Segmenter) -> folder.IndexState:
    """What the index records about itself after writing with ``segmenter`` up to ``seq``."""
    return folder.IndexState(
        seq,
        segmenter.fingerprint,
        analyzer=analysis.ANALYZER_VERSION,
        words=segmenter.words,
        documents=documents.FORMAT,
    )


def _update(
    store: Store,
    ix: folder.LinkIndex,
    words: list[str],
    state: folder.IndexState,
    seq: int,
    *,
    also: list[int] | None = None,
) -> int:
    """Rewrite the changed links (and ``also``); switch dictionaries if it is a new one.

    The new dictionary file is written before the commit whose meta document names
    it, and the old one removed after: a crash in between leaves a stray file, never
    an index without its dictionary.
    """
    vocabulary = folder.fingerprint(words)
    old_dictionary = ix.dictionary_path(state)
    dictionary = folder.dictionary_path(ix.folder, vocabulary)
    new_state = vocabulary != state.vocabulary or state.words is None
    alive = sorted(set(store.changed_link_ids(state.change_seq)) | set(also or ()))
    removed = store.removed_link_ids(state.change_seq)
    if not alive and not removed and not new_state and dictionary.exists():
        return 0
    chosen = segmenter(words)
    if not dictionary.exists():
        folder.write_dictionary(dictionary, chosen)
    if not alive and not removed and not new_state:
        return 0
    writer = ix.writer()
    try:
        written = writing.write_documents(writer, store.iter_link_records(ids=alive), chosen)
        writing.write_documents(writer, [], chosen, removed=removed)  # removed last
        folder.write_state(writer, _state(seq, chosen))
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    if old_dictionary != dictionary:
        old_dictionary.unlink(missing_ok=True)
    return written


def _update_in_chunks(
    store: Store,
    ix: folder.LinkIndex,
    words: list[str],
    state: folder.IndexState,
    seq: int,
    chunk: int,
    keep_going: Callable[[], bool] | None,
) -> int:
    """Rewrite the changed links ``chunk`` at a time, oldest change first (see ``refresh``).

    A commit records the change sequence up to which every change is in (all links
    sharing the last sequence number of a chunk go into it), never beyond ``seq``, read
    before the changes: a change made meanwhile is written again by the next refresh,
    never lost.
    """
    changes = store.changes_since(state.change_seq)
    chosen = segmenter(words)
    written = 0
    begin = 0
    while begin < len(changes):
        if keep_going is not None and not keep_going():
            break
        end = min(begin + max(chunk, 1), len(changes))
        while end < len(changes) and changes[end][0] == changes[end - 1][0]:
            end += 1
        part = changes[begin:end]
        upto = seq if end == len(changes) else min(part[-1][0], seq)
        alive = sorted(link_id for _, link_id, removed in part if not removed)
        removed = [link_id for _, link_id, gone in part if gone]
        writer = ix.writer()
        try:
            written += writing.write_documents(writer, store.iter_link_records(ids=alive), chosen)
            writing.write_documents(writer, [], chosen, removed=removed)
            folder.write_state(writer, _state(upto, chosen))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        begin = end
    return written


#: A rebuild writes a segment each time the postings held reach this much memory
#: (shared among the processes that build it). With what a process holds besides
#: (the dictionary, the store, writing a segment) each peaks at ~410 MB, well under
#: 500 MB: a 25,000-link rebuild writes two segments a process. (At 600 MiB each
#: peaked at 484 MB, in the same time: the budget buys no speed.)
REBUILD_MEMORY = 500_000_000
#: Rebuilds of this many links or more are split among processes, one per core (2 at most:
#: each holds a share of the postings in memory).
PARALLEL_FROM = 2000
REBUILD_PROCESSES = max(1, min(2, os.cpu_count() or 1))


def _rebuild(store: Store, home: Path, chosen: analysis.Segmenter, seq: int) -> int:
    """Write every link into a new index folder, then swap it in.

    The links are split into runs of ids, one per process (this one takes the last);
    each process writes its own segments and this one lists them all, with the meta
    document, in one commit. An index folder without that commit is never swapped in.
    """
    import shutil

    built = folder.built_dir(home)
    shutil.rmtree(built, ignore_errors=True)
    folder.create(built)
    folder.write_dictionary(folder.dictionary_path(built, chosen.fingerprint), chosen)
    ids = sorted(store.alive_link_ids())
    processes = REBUILD_PROCESSES if len(ids) >= PARALLEL_FROM else 1
    share = max(1, -(-len(ids) // processes))
    runs = [ids[start : start + share] for start in range(0, len(ids), share)] or [[]]
    memory = REBUILD_MEMORY // len(runs)
    segments: list[Any] = []
    if len(runs) > 1:
        from linkindex.workers import worker_pool

        with worker_pool(len(runs) - 1, method="spawn") as pool:
            others = [
                pool.submit(_build_run, home, built, run, list(chosen.extra), memory)
                for run in runs[:-1]
            ]
            mine = writing.write_segments(
                built, store.iter_link_records(ids=runs[-1]), chosen, memory=memory
            )
            for future in others:
                segments += future.result()
        segments += mine
    else:
        segments = writing.write_segments(
            built, store.iter_link_records(ids=runs[0]), chosen, memory=memory
        )
    with folder.LinkIndex(built) as ix:
        writer = ix.writer()
        try:
            folder.write_state(writer, _state(seq, chosen))
        except BaseException:
            writer.cancel()
            raise
        writing.commit_segments(writer, segments)
    folder.swap_in(home, built)
    return len(ids)


def _build_run(home: Path, built: Path, ids: list[int], words: list[str], memory: int) -> list[Any]:
    """A rebuild's share in another process: segments for ``ids`` (see ``_rebuild``)."""
    from linkindex.store import Store

    with Store(home, create=False) as store:
        return writing.write_segments(
            built, store.iter_link_records(ids=ids), segmenter(words), memory=memory
        )


# -- checking --------------------------------------------------------------------------


@dataclass(slots=True)
class IndexCheck:
    """How the index compares with the store."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    store_links: int = 0
    index_links: int = 0
    store_seq: int = 0
    index_seq: int = 0
    behind: int = 0  # links changed since the index caught up (a stopped or killed run)

    @property
    def only_behind(self) -> bool:
        """Whether catching up (a refresh, not a rebuild) mends the index."""
        return self.behind > 0 and len(self.problems) == 1


def check(store: Store, home: Path) -> IndexCheck:
    """Compare the index with the store: missing, damaged, behind, or different links."""
    alive = store.alive_link_ids()
    found = IndexCheck(ok=True, store_links=len(alive), store_seq=store.change_seq())
    if not folder.exists(home):
        if alive:
            found.problems.append("there is no search index")
        found.ok = not found.problems
        return found
    try:
        with folder.LinkIndex(folder.index_dir(home)) as ix:
            state = ix.state()
            indexed = ix.indexed_ids()
            dictionary = ix.dictionary_path(state)
    except UserError as exc:
        found.problems.append(str(exc))
        found.ok = False
        return found
    except Exception as exc:  # a damaged index raises whatever whoosh meets
        found.problems.append(f"the index cannot be read: {exc}")
        found.ok = False
        return found
    found.index_links, found.index_seq = len(indexed), state.change_seq
    if not state.made_here:
        found.problems.append(
            "the index's documents were made by another version of linkindex; "
            "`linkindex index` rebuilds it"
        )
    elif state.analyzer and state.analyzer != analysis.ANALYZER_VERSION:
        found.problems.append(
            "the index was segmented by an older linkindex (some words are not found); "
            "`linkindex index` re-segments it"
        )
    if not dictionary.exists():
        found.problems.append(f"the query dictionary {dictionary.name} is missing")
    if state.change_seq > found.store_seq:
        found.problems.append(
            f"the index is ahead of the store (seq {state.change_seq} > {found.store_seq})"
        )
    missing, extra = alive - indexed, indexed - alive
    pending = set(store.changed_link_ids(state.change_seq))
    pending.update(store.removed_link_ids(state.change_seq))
    if missing - pending:
        found.problems.append(f"{len(missing - pending)} links of the store are not indexed")
    if extra - pending:
        found.problems.append(f"{len(extra - pending)} indexed links are not in the store")
    if pending:
        found.behind = len(pending)
        found.problems.append(
            f"{len(pending)} links changed since the index last caught up (a run that was "
            "stopped or killed); `linkindex index` indexes them"
        )
    found.ok = not found.problems
    return found


#: A search brings an index this many changed links behind (or fewer) up to date before
#: it searches; more (an import killed half-way) is left to ``linkindex index``, said once.
CATCH_UP_LINKS = 1000


def catch_up(store: Store, home: Path, indexed_seq: int) -> int:
    """Index what a stopped or killed run recorded but did not index, before a search.

    ``indexed_seq`` is the change the index has caught up with. When the store has moved
    on, no other process is writing (a running crawl indexes its own pages, a batch at a
    time) and the index needs no rebuild, the changed links are indexed now, under the
    library's lock; returns how many were written (0: nothing to do, or left as it is).
    """
    seq = store.change_seq()
    if indexed_seq >= seq:
        return 0
    from linkindex.errors import LockedError
    from linkindex.store import LibraryLock

    lock = LibraryLock(home)
    try:
        lock.acquire()
    except LockedError:
        return 0  # a writer runs: it indexes what it records
    try:
        changed = store.changed_link_ids(indexed_seq)
        if len(changed) > CATCH_UP_LINKS:
            logger.warning(
                "the search index is %d links behind the library (a run was stopped or "
                "killed); `linkindex index` adds them",
                len(changed),
            )
            return 0
        with folder.LinkIndex(folder.index_dir(home)) as ix:
            state = ix.state()
            words = heading_words(store)
            if not state.made_here or state.vocabulary != folder.fingerprint(words):
                return 0  # a rebuild: `linkindex index` (search says so) or the next run
            try:
                return _update(store, ix, words, state, store.change_seq())
            except LockedError:
                return 0  # a run that did not take the library's lock (a program) writes
    finally:
        lock.release()
