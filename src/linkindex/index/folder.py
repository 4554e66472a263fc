"""The index on disk (HOME/index/): every file's name, opening it, its state, its files;
and the dictionaries the analyzer is given (jieba's, the bundled words), read here.

One place names each file of the index: the folder (``index_dir``), a rebuild's folder
beside it (``built_dir``) and the one it replaces (``old_dir``), and the query dictionary
written with the documents (``dictionary_path``). The dictionary is written here
(``write_dictionary``, fsync'd, renamed into place) and memory-mapped for a search
(``query_segmenter``); ``analysis`` only says what it holds. The meta document
(``META_ID``) records what the index has caught up with (``IndexState``): read and
written here, in the same commit as the links.
"""

from __future__ import annotations

import importlib.util
import json
import mmap
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from whoosh import index as whoosh_index
from whoosh import scoring

from linkindex import analysis
from linkindex.errors import EmptyLibraryError, InstallError, LockedError, StoreError
from linkindex.index.documents import FORMAT, schema

INDEX_DIR = "index"
DICTIONARY_PREFIX = "dictionary-"
META_ID = "meta"


# -- the files ---------------------------------------------------------------------------


def index_dir(home: Path) -> Path:
    """Where a library keeps its index."""
    return home / INDEX_DIR


def built_dir(home: Path) -> Path:
    """Where a rebuild writes the new index before it is swapped in."""
    return home / (INDEX_DIR + ".new")


def old_dir(home: Path) -> Path:
    """Where the replaced index waits, for a moment, while a rebuilt one is swapped in."""
    return home / (INDEX_DIR + ".old")


def dictionary_path(folder: Path, fingerprint: str) -> Path:
    """The query dictionary of the documents segmented with dictionary ``fingerprint``."""
    return folder / f"{DICTIONARY_PREFIX}{fingerprint}.txt"


def exists(home: Path) -> bool:
    """Whether the library has a readable index."""
    folder = index_dir(home)
    return folder.is_dir() and whoosh_index.exists_in(str(folder))


# -- the dictionaries the analyzer segments with --------------------------------------


def jieba_dictionary_path() -> Path:
    """jieba's ``dict.txt`` (the dictionary built into rjieba), read as data: importing the
    jieba package costs ~0.3 s (it pulls in pkg_resources) and its segmenter is not used."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise InstallError("the jieba package is not installed; reinstall linkindex")
    return Path(next(iter(spec.submodule_search_locations))) / "dict.txt"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InstallError(f"cannot read {path} ({exc.strerror}); reinstall linkindex") from exc


@cache
def bundled_words() -> Mapping[str, int | None]:
    """The field's terms shipped in ``linkindex/data/userdict.txt`` (read once a process)."""
    from importlib import resources  # here: ~2.5 ms to load, and a search does not read it

    text = resources.files("linkindex").joinpath("data/userdict.txt").read_text("utf-8")
    return MappingProxyType(analysis.user_words(text))


@cache
def _folded_entries() -> tuple[tuple[str, int], ...]:
    # Kept: every segmenter a process builds (new headings, a rebuild's worker) needs them.
    return tuple(analysis.folded_entries(_read(jieba_dictionary_path())))


def fingerprint(extra_words: Sequence[str]) -> str:
    """The name of the dictionary with ``extra_words`` (``analysis.fingerprint``)."""
    return analysis.fingerprint(bundled_words(), extra_words)


def segmenter(extra_words: Sequence[str]) -> analysis.Segmenter:
    """A new indexing segmenter: jieba's dictionary, folded, the bundled words and
    ``extra_words`` (``indexing.segmenter`` keeps the process's)."""
    return analysis.Segmenter(extra_words, bundled=bundled_words(), folded=_folded_entries())


def write_dictionary(path: Path, segmenter: analysis.Segmenter) -> None:
    """Write the segmenter's whole dictionary for ``query_segmenter`` (atomically).

    Written to a temporary name, flushed to the disk, then renamed: a crash leaves the
    old file or the new one, never half of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        base, total = analysis.base_dictionary(_read(jieba_dictionary_path()))
        out.writelines(segmenter.dictionary_lines(base, total))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


@contextmanager
def query_segmenter(path: Path) -> Iterator[analysis.QuerySegmenter]:
    """A query segmenter reading the dictionary file at ``path`` (memory-mapped).

    Mapping it costs nothing up front: a query reads only the few pages its words
    fall on, instead of loading 350,000 words into a short search process.
    """
    with path.open("rb") as handle:
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        yield analysis.QuerySegmenter(data)
    finally:
        data.close()


def create(folder: Path) -> None:
    """Create an empty index in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    whoosh_index.create_in(str(folder), schema())


def swap_in(home: Path, built: Path) -> None:
    """Replace the library's index with a freshly built one (a crash leaves one or none)."""
    import shutil  # here: a search process has no use for it (~3 ms with its archivers)

    folder = index_dir(home)
    release_readers()
    old = old_dir(home)
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.replace(folder, old)
    os.replace(built, folder)
    shutil.rmtree(old, ignore_errors=True)


# -- an open index -----------------------------------------------------------------------


class LinkIndex:
    """An open index: read its state, search it, write to it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            self._ix = _whoosh_index(folder)
        except (whoosh_index.EmptyIndexError, OSError) as exc:
            raise EmptyLibraryError(
                f"no search index in {folder} yet; run `linkindex index`"
            ) from exc
        except Exception as exc:  # whoosh raises plain exceptions on damaged files
            raise StoreError(
                f"the search index in {self.folder} is damaged ({exc}); "
                "run `linkindex index --rebuild`"
            ) from exc

    def is_current(self, searcher: Any = None) -> bool:
        """Whether the index has this linkindex's fields (an older version's has not);
        with ``searcher``, the fields of the index it reads (whoosh's ``schema`` of the
        index reads its table of contents again: ~0.2 ms of a search)."""
        fields = searcher.schema if searcher is not None else self._ix.schema
        return sorted(fields.names()) == _field_names()

    def close(self) -> None:
        """Release the index files."""
        self._ix.close()

    def __enter__(self) -> LinkIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def state(self) -> IndexState:
        """The change sequence and dictionary the index has, and its number of links."""
        with self._ix.searcher() as searcher:
            return read_state(searcher)

    def dictionary_path(self, state: IndexState | None = None) -> Path:
        """The query dictionary written with the index's documents."""
        return dictionary_path(self.folder, (state or self.state()).vocabulary)

    def indexed_ids(self) -> set[int]:
        """The link ids the index holds."""
        with self._ix.searcher() as searcher:
            return {
                int(fields_["id"])
                for fields_ in searcher.all_stored_fields()
                if fields_.get("id") != META_ID
            }

    @contextmanager
    def searcher(self) -> Iterator[Any]:
        """A BM25F searcher over the current documents.

        Its reader stays open for the next search of this process (the web UI, a
        benchmark): opening one costs about a millisecond a segment. It is reopened when
        the index folder or its table of contents changes. whoosh reads its files by
        seek and read, so the searches of a process take turns.
        """
        from whoosh.searching import Searcher

        with _SHARED_LOCK:
            reader = _shared_reader(self.folder, self._ix)
            searcher = Searcher(
                reader, weighting=scoring.BM25F(), closereader=False, fromindex=self._ix
            )
            try:
                yield searcher
            finally:
                searcher.close()

    def writer(self, *, lock: bool = True) -> Any:
        """A writer (commit or cancel it); its ``pool.memory`` tells what it holds.

        Without ``lock`` it may only ``finish_segment()``: writers of one rebuild
        write their segments side by side, and one writer lists them all.
        """
        # Separate files (not compound) are opened in place by a search instead of
        # being copied.
        from whoosh.codec.whoosh3 import W3Codec
        from whoosh.index import LockError

        from linkindex.index.blocks import BLOCK, COMPRESSION
        from linkindex.index.bulk import BulkWriter

        codec = W3Codec(blocklimit=BLOCK, compression=COMPRESSION, inlinelimit=1)
        try:
            return BulkWriter(self._ix, codec=codec, compound=False, _lk=lock)
        except LockError:
            raise LockedError(
                f"the search index in {self.folder} is being written by another run; "
                "wait for it to finish and run the command again"
            ) from None


@cache
def _field_names() -> list[str]:
    return sorted(schema().names())


#: Readers kept open between searches, by index folder: (what identifies the index's
#: current state, reader).
_SHARED: dict[str, tuple[tuple[int, ...], Any]] = {}
_SHARED_KEPT = 2
_SHARED_LOCK = threading.RLock()


#: whoosh's index object of each folder a process searched, and the table of contents
#: its reader was opened at: whoosh reads the table again whenever it opens an index
#: (~0.2 ms of a search), and the object holds nothing else (its reader, schema and
#: writer read the table anew), so a process searching again reuses it while the table
#: is unchanged.
_OPENED: dict[str, tuple[tuple[int, ...], Any]] = {}


def _whoosh_index(folder: Path) -> Any:
    """whoosh's index in ``folder`` (raises as ``whoosh.index.open_dir``)."""
    with _SHARED_LOCK:
        kept = _OPENED.get(str(folder))
    if kept is not None:
        try:
            if _stamp(folder, kept[1]) == kept[0]:
                return kept[1]
        except OSError:
            pass  # gone or changing: opened again below, which says what is wrong
    return whoosh_index.open_dir(str(folder))


def _stamp(folder: Path, ix: Any) -> tuple[int, ...]:
    """What identifies the state of the index in ``folder``: its generation's table of
    contents (raises OSError when there is none)."""
    generation = ix.latest_generation()
    toc = os.stat(folder / f"_{ix.indexname}_{generation}.toc")
    # a rebuilt folder may get the old one's inode back and restarts at generation 1:
    # the table of contents' own inode and time tell them apart
    return (os.stat(folder).st_ino, generation, toc.st_ino, toc.st_mtime_ns)


def _shared_reader(folder: Path, ix: Any) -> Any:
    """The open reader of ``folder``'s current generation (call with ``_SHARED_LOCK``)."""
    stamp = _stamp(folder, ix)
    key = str(folder)
    kept = _SHARED.pop(key, None)
    if kept is not None and kept[0] == stamp:
        reader = kept[1]
    else:
        if kept is not None:
            _close_reader(kept[1])
        reader = ix.reader()
    _SHARED[key] = (stamp, reader)  # (most recently used last)
    while len(_SHARED) > _SHARED_KEPT:
        _close_reader(_SHARED.pop(next(iter(_SHARED)))[1])
    _OPENED.pop(key, None)
    _OPENED[key] = (stamp, ix)  # (its table of contents read: the index may be reused)
    while len(_OPENED) > _SHARED_KEPT:
        _OPENED.pop(next(iter(_OPENED)))
    return reader


def _close_reader(reader: Any) -> None:
    from linkindex.index import engine

    for leaf, _ in reader.leaf_readers():
        engine.release(leaf)
    reader.close()


def release_readers() -> None:
    """Close the readers kept open between searches (before a folder is removed)."""
    with _SHARED_LOCK:
        while _SHARED:
            _close_reader(_SHARED.popitem()[1][1])


# -- the meta document -------------------------------------------------------------------


@dataclass(slots=True)
class IndexState:
    """What the index says about itself."""

    change_seq: int = 0
    vocabulary: str = ""  # fingerprint of the dictionary the documents were segmented with
    links: int = 0
    analyzer: str = ""  # analysis.ANALYZER_VERSION of the segmentation
    words: dict[str, int] | None = None  # the words added to jieba's (None: not recorded)
    documents: str = ""  # documents.FORMAT of the documents ("": before it was recorded)

    @property
    def made_here(self) -> bool:
        """Whether its documents are made the way this linkindex makes them (``FORMAT``).

        An index whose documents were made another way answers some queries differently
        (a topic's key, say): it is searched only after a refresh rebuilt it.
        """
        return self.documents == FORMAT


#: Where a reader keeps the state read through it (a search process keeps its reader
#: open between searches, and the state is the same until the reader is replaced).
_STATE_KEPT = "_linkindex_state"


def read_state(searcher: Any) -> IndexState:
    """The index's own record of what it holds, read through an open searcher."""
    reader = searcher.reader()
    kept = reader.__dict__.get(_STATE_KEPT)
    if kept is None:
        kept = reader.__dict__[_STATE_KEPT] = _read_state(searcher)
    return replace(kept, words=None if kept.words is None else dict(kept.words))


def _read_state(searcher: Any) -> IndexState:
    docnum = searcher.document_number(id=META_ID)
    info = searcher.stored_fields(docnum).get("info") if docnum is not None else None
    links = searcher.doc_count() - (1 if docnum is not None else 0)
    meta = json.loads(info) if info else {}
    words = meta.get("words")
    return IndexState(
        change_seq=int(meta.get("change_seq", 0)),
        vocabulary=str(meta.get("vocabulary", "")),
        links=links,
        analyzer=str(meta.get("analyzer", "")),
        words={str(w): int(f) for w, f in words.items()} if isinstance(words, dict) else None,
        documents=str(meta.get("documents", "")),
    )


def write_state(writer: Any, state: IndexState) -> None:
    """Record the store's change sequence, the dictionary and the documents' form.

    Written in the same commit as the documents. The added words and their frequencies
    are recorded too, so that new headings re-index only the links whose text contains a
    word that changed.
    """
    meta: dict[str, Any] = {"change_seq": state.change_seq, "vocabulary": state.vocabulary}
    if state.words is not None:
        meta |= {"analyzer": state.analyzer, "words": state.words}
    if state.documents:
        meta["documents"] = state.documents
    info = json.dumps(meta, ensure_ascii=False, sort_keys=True)
    writer.update_document(id=META_ID, kind=["meta"], info=info)
