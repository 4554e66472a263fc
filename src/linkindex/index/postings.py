"""A term's postings as whoosh's W3 codec writes them, and the arrays ``bulk`` adds.

whoosh's own matchers read postings a document at a time; ``engine`` reads them a block
at a time (one ``zlib``/``pickle`` call per 128 documents) or, for a word in many
documents, from the arrays of documents and weights ``bulk.write_common`` writes
beside the segment (``layout.COMMON_EXT``). A term's information (where its postings
are, in how many documents it is) is looked up in the segment's term index mapped in
memory (``TermIndex``).
"""

from __future__ import annotations

import io
import mmap
import pickle
import struct
import zlib
from array import array
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any

from linkindex.index import layout

#: One block of a term's postings: its last document number and how to decode it.
Block = tuple[int, Callable[[], tuple[list[int], list[float], list[Any]]]]
#: A segment's common-term table, or (None, {}) if it has none.
Common = tuple[Any, Any]

_BLOCK_LENGTH = struct.Struct("!i")
_MAGIC_SIZE = 4
#: whoosh's hash file (``filetables.HashWriter``): a slot of a hash table (the key's
#: hash, where its entry is: 0 for an empty slot), an entry's key and value lengths,
#: and the field number a W3 term key begins with.
_SLOT = struct.Struct("!Iq")
_ENTRY = struct.Struct("!ii")
_FIELD_NUMBER = struct.Struct("!H")
_HASH_MAGIC = b"HSH3"


def blocks(postfile: Any, info: Any, fixed: int | None) -> Iterator[Block]:
    """A term's postings (``info``: whoosh's information on it; ``fixed``: its field's
    value size) a block at a time: the block's last document, and a function that
    decodes its documents, weights and values (one zlib/pickle call)."""
    if info.is_inlined():
        inline_ids, inline_weights, inline_values = info.inlined_postings()
        inlined = list(inline_ids), list(inline_weights), list(inline_values)
        if inlined[0]:
            yield inlined[0][-1], lambda: inlined
        return
    offset, length = info.extent()
    if isinstance(length, tuple):  # whoosh unpacks the stored length as a 1-tuple
        (length,) = length
    raw = postfile.get(offset, length)
    stream = io.BytesIO(raw)
    position = _MAGIC_SIZE
    while True:
        (size,) = _BLOCK_LENGTH.unpack_from(raw, position)
        start = position + _BLOCK_LENGTH.size
        end = start + abs(size)
        stream.seek(start)
        count, last_id, _maxweight, compression, _low, _high = pickle.load(stream)
        data = raw[stream.tell() : end]
        yield last_id, _decoder(data, count, compression, fixed)
        if size < 0:
            break
        position = end


def _decoder(
    data: bytes, count: int, compression: int, fixed: int | None
) -> Callable[[], tuple[list[int], list[float], list[Any]]]:
    """A function decoding one block's documents, weights and values."""

    def decode() -> tuple[list[int], list[float], list[Any]]:
        raw = zlib.decompress(data) if compression else data
        block_ids, block_weights, block_values = pickle.loads(raw)
        ids = list(accumulate(block_ids))
        if block_weights is None:
            weights = [1.0] * count
        elif isinstance(block_weights, float):
            weights = [block_weights] * count
        else:
            weights = list(block_weights)
        if fixed is None or fixed < 0:
            values = list(block_values)
        elif fixed == 0:
            values = [None] * count
        else:
            values = [block_values[i : i + fixed] for i in range(0, count * fixed, fixed)]
        return ids, weights, values

    return decode


class HashFile:
    """A whoosh hash file (``filetables.HashWriter``'s: a segment's term index, its
    common-term table) looked up in a memory map.

    whoosh looks a key up by seek and read on the file: a system call and a buffer fill
    for each of the 3-5 reads one look-up takes, ~35 µs, and a search looks up each of
    its words in every segment (~40 look-ups). The same walk of the same hash table over
    the mapped file takes ~7 µs. The table's directory and hash function are the ones
    whoosh read when it opened the file.
    """

    def __init__(self, table: Any, data: mmap.mmap) -> None:
        self._map = data
        self._tables: list[tuple[int, int]] = table.tables
        self._hash: Callable[[bytes], int] = table.hashfn

    def get(self, key: bytes) -> bytes | None:
        """The value stored under ``key``; None: not there."""
        keyhash = self._hash(key)
        start, slots = self._tables[keyhash & 255]
        if not slots:
            return None
        data = self._map
        end = start + slots * _SLOT.size
        position = start + ((keyhash >> 8) % slots) * _SLOT.size
        for _ in range(slots):
            slothash, entry = _SLOT.unpack_from(data, position)
            if not entry:
                return None
            if slothash == keyhash:
                keylength, valuelength = _ENTRY.unpack_from(data, entry)
                begin = entry + _ENTRY.size
                if keylength == len(key) and data[begin : begin + keylength] == key:
                    begin += keylength
                    return data[begin : begin + valuelength]
            position += _SLOT.size
            if position == end:  # (the table wraps around)
                position = start
        return None

    def close(self) -> None:
        """Unmap the file."""
        self._map.close()


def mapped(table: Any) -> HashFile | None:
    """A whoosh ``HashReader``'s file mapped in memory; None where it is not a file of
    its own (a compound segment's files are inside another: whoosh reads them)."""
    dbfile = table.dbfile
    if table.startoffset or not dbfile.is_real:
        return None
    try:
        data = mmap.mmap(dbfile.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    if data[: len(_HASH_MAGIC)] != _HASH_MAGIC or len(data) < table.endofdata:
        data.close()
        return None
    return HashFile(table, data)


class TermIndex:
    """A segment's term index (whoosh's W3 ``.trm`` hash file) in a memory map."""

    def __init__(self, terms: Any, file: HashFile) -> None:
        from whoosh.codec.whoosh3 import W3TermInfo

        self._file = file
        self._fields: dict[str, int] = terms._fieldmap
        self._read_info: Callable[[bytes], Any] = W3TermInfo.from_bytes

    def info(self, fieldname: str, term: bytes) -> Any:
        """whoosh's information on ``term`` (its bytes) in ``fieldname``; None: not here."""
        key = _FIELD_NUMBER.pack(self._fields.get(fieldname, 65535)) + term
        value = self._file.get(key)
        return None if value is None else self._read_info(value)

    def close(self) -> None:
        """Unmap the file."""
        self._file.close()


def open_terms(reader: Any) -> TermIndex | None:
    """The term index of a segment reader; None where the segment's terms are not a W3
    hash file of their own (whoosh looks them up)."""
    from whoosh.codec.whoosh3 import W3TermsReader

    terms = getattr(reader, "_terms", None)
    if not isinstance(terms, W3TermsReader):
        return None
    file = mapped(terms._tindex)
    return None if file is None else TermIndex(terms, file)


def open_common(reader: Any) -> Common:
    """A segment's common-term arrays (``bulk.write_common``), or (None, {}) if it has
    none: the table, and what looks its keys up (the table mapped in memory, or whoosh's
    reader of it)."""
    from whoosh.filedb.filetables import HashReader

    try:
        storage, segment = reader._storage, reader._segment
        name = segment.make_filename(layout.COMMON_EXT)
        if not storage.file_exists(name):
            return None, {}
        table = HashReader.open(storage, name)
    except (AttributeError, OSError):
        return None, {}
    return table, mapped(table) or table


def common(table: Common, key: tuple[str, str]) -> tuple[array[int], array[float]] | None:
    """A term's documents and weights from a common-term table (None: not there)."""
    value = table[1].get(layout.common_key(*key))
    if value is None:
        return None
    half = len(value) // 2
    ids, weights = array("I"), array("f")
    ids.frombytes(value[:half])
    weights.frombytes(value[half:])
    return ids, weights


def close_common(table: Common | None) -> None:
    """Close a common-term table ``open_common`` opened (None: none was)."""
    if table is not None and table[0] is not None:
        if isinstance(table[1], HashFile):
            table[1].close()
        table[0].close()
