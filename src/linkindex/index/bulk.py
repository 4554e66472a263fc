"""A whoosh segment writer that gathers postings in memory and writes them a block at a time.

whoosh's own ``SegmentWriter`` pickles every posting into sorted runs on disk, merges
the runs back and hands each posting to the codec one call at a time, looking up the
document's field length for each: about 20 us a posting, and a 3,000-character page
has about a thousand. This writer keeps, per field and term, the postings' document
numbers, weights and values together (16-byte records for the words fields, a flat list
for the others; documents arrive in order, so they are already sorted), and at commit
writes each term's blocks in the W3 codec's own format (``blocks``: the block tuples,
block info and term info that ``W3PostingsWriter`` writes, pickled with a newer
protocol) and the term index in large pieces, so whoosh reads the segment like any
other. Deletions, merging of small segments, the table of contents and the write lock
stay whoosh's.
"""

from __future__ import annotations

import struct
import sys
from array import array
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from hashlib import md5
from itertools import accumulate, chain, compress, islice, repeat
from operator import add, is_, itemgetter, methodcaller, ne, not_, sub
from typing import Any

from whoosh.filedb.filetables import HashWriter, OrderedHashWriter
from whoosh.system import pack_uint, pack_ushort
from whoosh.writing import SegmentWriter, UnknownFieldError

from linkindex.index import layout
from linkindex.index.blocks import Blocks, pickled_numbers, term_info

#: Rough bytes of memory one posting takes here and one term (its key, dict entry and
#: container), measured with the process's resident size on CPython 3.11 (a listed
#: posting: three list slots and its value bytes; a recorded one: 16 bytes, and for
#: several positions their bytes in the pool's blob).
LISTED_BYTES = 90
RECORDED_BYTES = 26
TERM_BYTES = 170

#: A recorded posting of a words field: document number, weight, then either its
#: value (``documents.CompactPositions``: the count 1, big-endian, and the position) or,
#: for several positions, the value's size and its offset in the pool's blob.
_RECORD = struct.Struct("=IfII")
_RECORD_SIZE = _RECORD.size
#: The count 1 of a one-position value as the native integer with its bytes.
_ONE_COUNT = pack_uint(1)
_ONE_NATIVE = int.from_bytes(_ONE_COUNT, sys.byteorder)
_RECORD_HEAD = struct.Struct("=If")
#: How ``struct.iter_unpack`` reads records back: number, weight, the value's 8 bytes;
#: and the values alone (the numbers and weights are read as arrays).
_READ_RECORD = struct.Struct("=If8s")
_READ_VALUE = struct.Struct("=8x8s").iter_unpack
_first = itemgetter(0)
#: Byte of a record that is 1 for a value in place (the last byte of its count 1) and
#: never 1 for a value in the blob (a byte of its size, a multiple of 4 under 16 MB).
_INLINE_FLAG = 11
#: The size and offset of a value in the blob, as the last 8 bytes of its record.
_SPAN = struct.Struct("=II")


class MemoryPool:
    """Postings by field and term (text), in document order, until the segment is written.

    The words fields (titles and text, ``add_positions``: most postings) keep each
    term's postings as fixed 16-byte records, in ``bytes`` while there is one and a
    ``bytearray`` after (``_RECORD``), several positions' values in one blob: some
    24 bytes a posting instead of ~80 as Python objects, so a segment holds about three
    times the documents in the same memory. The other fields keep a flat list per term,
    ``[docnum, weight, value, docnum, ...]``.
    """

    def __init__(self, recorded_fields: Iterable[str] = ()) -> None:
        self.recorded_fields = frozenset(recorded_fields)  # fields added by add_positions
        self.fields: dict[str, dict[str, Any]] = {}
        self.blob = bytearray()  # values of several positions, see _RECORD
        self.listed = 0  # postings held in lists
        self.recorded = 0  # postings held in records
        self.terms = 0  # terms held (of all fields)

    @property
    def count(self) -> int:
        """Postings held."""
        return self.listed + self.recorded

    def _terms(self, fieldname: str) -> dict[str, Any]:
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        return terms

    def add_terms(
        self, fieldname: str, docnum: int, items: Iterable[tuple[bytes, int, float, bytes]]
    ) -> int:
        """Add one document's postings of one field; returns the field's length (frequencies)."""
        terms = self._terms(fieldname)
        length = added = 0
        for tbytes, freq, weight, vbytes in items:
            term = tbytes.decode("utf-8")
            postings = terms.get(term)
            if postings is None:
                terms[term] = [docnum, weight, vbytes or b""]
                self.terms += 1
            else:
                postings += (docnum, weight, vbytes or b"")
            length += freq
            added += 1
        self.listed += added
        return length

    def add_positions(
        self,
        fieldname: str,
        docnum: int,
        positions: dict[str, list[int]],
        weights: dict[str, float] | None,
        encode: Callable[[list[int]], bytes],
    ) -> int:
        """Add one document's words with their positions (the hot path of indexing).

        A word weighs its number of positions unless ``weights`` says otherwise.
        """
        terms = self._terms(fieldname)
        weight_of = weights.get if weights else None
        blob = self.blob
        record = _RECORD.pack
        length = new = 0
        for word, found in positions.items():
            count = len(found)
            weight = count if weight_of is None else weight_of(word, count)
            if count == 1:
                posting = record(docnum, weight, _ONE_NATIVE, found[0])
            else:
                value = encode(found)
                posting = record(docnum, weight, len(value), len(blob))
                blob += value
            postings = terms.get(word)
            if postings is None:
                terms[word] = posting
                new += 1
            elif postings.__class__ is bytes:
                terms[word] = bytearray(postings) + posting
            else:
                postings += posting
            length += count
        self.recorded += len(positions)
        self.terms += new
        return length

    def add(self, item: tuple[str, bytes, int, float, bytes]) -> None:
        """One posting of a segment being merged in (whoosh's pool interface)."""
        fieldname, tbytes, docnum, weight, vbytes = item
        if fieldname not in self.recorded_fields:
            self.add_terms(fieldname, docnum, [(tbytes, 0, weight, vbytes)])
            return
        if vbytes[:4] == _ONE_COUNT:
            posting = _RECORD_HEAD.pack(docnum, weight) + vbytes
        else:
            posting = _RECORD.pack(docnum, weight, len(vbytes), len(self.blob))
            self.blob += vbytes
        terms = self._terms(fieldname)
        word = tbytes.decode("utf-8")
        postings = terms.get(word)
        if postings is None:
            terms[word] = posting
            self.terms += 1
        elif postings.__class__ is bytes:
            terms[word] = bytearray(postings) + posting
        else:
            postings += posting
        self.recorded += 1

    def postings(self, held: Any) -> tuple[Sequence[int], Sequence[float], Sequence[bytes]]:
        """A term's document numbers, weights and values, from its list or records."""
        if held.__class__ is list:
            return held[0::3], held[1::3], held[2::3]
        if held.__class__ is bytes:  # one record
            docnum, weight, value = self.one(held)
            return (docnum,), (weight,), (value,)
        return self.records(held)

    def records(self, held: Any) -> tuple[list[int], Sequence[float], list[bytes]]:
        """The document numbers, weights and values of records (bytes or bytearray)."""
        # each column read straight out of the records (no tuple per record)
        ids = memoryview(held).cast("I")[0::4].tolist()
        weights = memoryview(held).cast("f")[1::4].tolist()
        values: list[bytes] = list(map(_first, _READ_VALUE(held)))
        flags = held[_INLINE_FLAG::_RECORD_SIZE]
        if flags.count(1) == len(flags):
            return ids, weights, values
        # some values are in the blob: take them out and put them in place, in bulk
        elsewhere = list(compress(range(len(flags)), map(ne, flags, repeat(1))))
        spans = array("I", b"".join(map(values.__getitem__, elsewhere)))
        starts, sizes = spans[1::2], spans[0::2]
        blob = memoryview(self.blob)
        pieces = map(blob.__getitem__, map(slice, starts, map(add, starts, sizes)))
        deque(map(values.__setitem__, elsewhere, map(bytes, pieces)), 0)
        return ids, weights, values

    def one(self, held: bytes) -> tuple[int, float, bytes]:
        """The document number, weight and value of a term's one record."""
        docnum, weight, value = _READ_RECORD.unpack(held)
        if value[3] != 1:  # its value is in the blob
            size, at = _SPAN.unpack(value)
            value = bytes(self.blob[at : at + size])
        return docnum, weight, value

    @property
    def memory(self) -> int:
        """Approximate bytes held."""
        return self.listed * LISTED_BYTES + self.recorded * RECORDED_BYTES + self.terms * TERM_BYTES

    def cleanup(self) -> None:
        self.fields.clear()
        self.blob = bytearray()
        self.listed = self.recorded = self.terms = 0


class BulkWriter(SegmentWriter):
    """whoosh's ``SegmentWriter`` with the in-memory pool and block writer above.

    Document and field boosts (``_boost`` keys) and term vectors are not supported:
    linkindex's schema uses neither.
    """

    pool: MemoryPool

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.pool.cleanup()
        self.pool = MemoryPool(
            name for name, field in self.schema.items() if hasattr(field, "positions_of")
        )
        if self.writelock is None:
            # Writers of one rebuild share the index's temporary folder (whoosh names
            # it after the index); only the writer that commits may remove it.
            self._tempstorage = _KeptStorage()

    def add_document(self, **fields: Any) -> None:
        self._check_state()
        schema, perdoc, docnum = self.schema, self.perdocwriter, self.docnum
        names = sorted(name for name in fields if not name.startswith("_"))
        for name in names:
            if name not in schema:
                raise UnknownFieldError(f"no field named {name!r} in {schema}")
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if hasattr(field, "positions_of"):
                    positions, weights = field.positions_of(value)
                    encode = field.format.encode
                    length = self.pool.add_positions(name, docnum, positions, weights, encode)
                elif field.indexed:
                    length = self.pool.add_terms(name, docnum, field.index(value))
                    if not field.scorable:
                        length = 0
                perdoc.add_field(name, field, value if field.stored else None, length)
                if field.column_type and value is not None:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        except BaseException:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def finish_segment(self) -> Any:
        """Write the segment's files and return it, without listing it in the index's
        table of contents (``commit(mergetype=...)`` in another writer does that)."""
        self._check_state()
        segment = self._finalize_segment()
        self._finish()
        return segment

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = self.per_document_reader()
        try:
            common = write_postings(self.fieldwriter, self.schema, lengths, self.pool)
        finally:
            self.fieldwriter.close()
            lengths.close()
        write_common(self.newsegment, self.storage, common)


class _KeptStorage:
    """A temporary storage that another writer destroys."""

    def destroy(self) -> None:
        pass


def write_postings(
    fieldwriter: Any, schema: Any, lengths: Any, pool: MemoryPool
) -> dict[tuple[str, str], tuple[bytes, bytes]]:
    """Write every term of the pool, field by field and term by term in byte order.

    The blocks and the term index (whoosh's ordered hash file) go out in large writes,
    their offsets counted here rather than asked of the file for each term. Returns the
    document numbers and weights (as array bytes) of the common terms of scorable
    fields, for ``write_common``.
    """
    postings_out = _Output(fieldwriter._postfile)
    terms_out = _TermIndex(fieldwriter._tindex)
    common: dict[tuple[str, str], tuple[bytes, bytes]] = {}
    numbers = pickled_numbers(lengths.doc_count_all())
    for fieldname in sorted(pool.fields):
        terms = pool.fields[fieldname]
        fieldobj = schema[fieldname]
        fieldwriter.start_field(fieldname, fieldobj)
        codes = layout.length_codes(lengths, fieldname) if fieldobj.scorable else None
        out = Blocks(postings_out, codes, fieldobj.format.fixed_value_size(), numbers)
        single, several, read, one = out.single, out.term, pool.postings, pool.one
        prefix = pack_ushort(fieldwriter._fieldid)
        ordered = sorted(terms)  # code point order is UTF-8 byte order
        for begin in range(0, len(ordered), _TermIndex.CHUNK):
            texts = ordered[begin : begin + _TermIndex.CHUNK]
            if fieldname in pool.recorded_fields:
                keep = None if codes is None else layout.COMMON_FROM
                helds = list(map(terms.__getitem__, texts))
                recorded = _recorded_terms(out, pool, texts, helds, keep)
                if recorded is not None:
                    infos, kept = recorded
                    for index, listed in kept:
                        common[(fieldname, texts[index])] = listed
                    terms_out.add(prefix, texts, infos)
                    continue
            infos = []
            for term, held in zip(texts, map(terms.__getitem__, texts), strict=True):
                if held.__class__ is bytes:  # one record: a word of one document (most words)
                    infos.append(single(*one(held)))
                    continue
                ids, weights, values = read(held)
                if len(ids) == 1:
                    infos.append(single(ids[0], weights[0], values[0]))
                    continue
                infos.append(several(ids, weights, values))
                if codes is not None and len(ids) >= layout.COMMON_FROM:
                    common[(fieldname, term)] = (
                        array("I", ids).tobytes(),
                        array("f", weights).tobytes(),
                    )
            terms_out.add(prefix, texts, infos)
        fieldwriter.finish_field()
    postings_out.flush()
    terms_out.flush()
    pool.cleanup()
    return common


def _recorded_terms(
    out: Blocks, pool: MemoryPool, texts: Sequence[str], helds: list[Any], keep: int | None
) -> tuple[list[bytes], list[tuple[int, tuple[bytes, bytes]]]] | None:
    """Write the blocks of terms of a words field (``texts``, whose records are
    ``helds``) in order; return their term infos, and the index, document numbers and
    weights (as arrays' bytes) of each term of ``keep`` postings or more (none if
    ``keep`` is None). None if ``Blocks.singles`` cannot make the one-posting terms'
    blocks (nothing is written then).

    The terms of one posting (most) are read and written together: their records
    joined and read as columns (``MemoryPool.records``), their blocks made by
    ``Blocks.singles`` and their term infos packed by ``map``.
    """
    ones = list(map(is_, map(type, helds), repeat(bytes)))  # one record: bytes
    docnums, weights, values = pool.records(b"".join(compress(helds, ones)))
    written: list[Any] = helds[:]
    made = out.singles(docnums, weights, values)
    if made is None:
        return None
    places = list(compress(range(len(helds)), ones))
    deque(map(written.__setitem__, places, made), 0)
    several: list[tuple[int, tuple[Any, ...]]] = []
    kept: list[tuple[int, tuple[bytes, bytes]]] = []
    # the other terms' records too, read a group of terms at once (up to READ_AT_ONCE
    # bytes of records, or one term) and cut at each term's
    others = list(compress(range(len(helds)), map(not_, ones)))
    ends = list(accumulate(map(len, map(helds.__getitem__, others)), initial=0))
    first = 0
    while first < len(others):
        last = max(bisect_right(ends, ends[first] + READ_AT_ONCE, first + 1) - 1, first + 1)
        group = others[first:last]
        all_ids, all_weights, all_values = pool.records(b"".join(map(helds.__getitem__, group)))
        cuts = list(map(_RECORDS, map(sub, ends[first : last + 1], repeat(ends[first]))))
        for index, begin, end in zip(group, cuts, islice(cuts, 1, None), strict=False):
            ids, weighs = all_ids[begin:end], all_weights[begin:end]
            block, info = out.term_blocks(ids, weighs, all_values[begin:end])
            written[index] = block
            several.append((index, info))
            if keep is not None and len(ids) >= keep:
                kept.append((index, (array("I", ids).tobytes(), array("f", weighs).tobytes())))
        first = last
    sizes = list(map(len, written))
    offsets = list(accumulate(sizes, initial=out.out.offset))
    out.out.write_all(written, offsets[-1])
    infos: list[Any] = written  # (reused: the blocks were handed over)
    codes = [0] * len(docnums) if out.codes is None else bytes(map(out.codes.__getitem__, docnums))
    deque(
        map(
            infos.__setitem__,
            places,
            map(
                term_info,
                repeat(False),
                weights,
                repeat(1),
                codes,
                codes,
                weights,
                docnums,
                docnums,
                compress(offsets, ones),
                compress(sizes, ones),
            ),
        ),
        0,
    )
    for index, info in several:
        infos[index] = term_info(*info, offsets[index], sizes[index])
    return infos, kept


#: Records in so many bytes of them.
_RECORDS = _RECORD_SIZE.__rfloordiv__
#: Bytes of records of several terms read at once when a segment is written (as Python
#: objects, some 8 times as much).
READ_AT_ONCE = 1 << 18


class _Output:
    """Writes to a whoosh file in large pieces, counting the offset itself."""

    #: Bytes gathered before they are written.
    CHUNK = 1 << 20

    def __init__(self, dbfile: Any) -> None:
        self.dbfile = dbfile
        self.offset: int = dbfile.tell()
        self._pieces: list[bytes] = []
        self._held = 0

    def write(self, data: bytes) -> int:
        """Queue ``data``; returns the offset it will have in the file."""
        at = self.offset
        self._pieces.append(data)
        self.offset += len(data)
        self._held += len(data)
        if self._held >= self.CHUNK:
            self.flush()
        return at

    def write_all(self, pieces: list[bytes], end: int) -> None:
        """Queue ``pieces`` one after the other; ``end``: the offset after the last."""
        self._pieces += pieces
        self._held += end - self.offset
        self.offset = end
        if self._held >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if self._pieces:
            self.dbfile.write(b"".join(self._pieces))
            self._pieces.clear()
            self._held = 0


_pack_lengths = struct.Struct("!ii").pack  # filetables._lengths: key and value lengths
_pack_pointer = struct.Struct("!Iq").pack  # filetables._pointer: hash and key position
_EMPTY_SLOT = _pack_pointer(0, 0)


class _TermIndex:
    """Adds terms to whoosh's ``OrderedHashWriter`` (the segment's term index) in bulk.

    The records, their positions (the ordered index) and their hash buckets are what
    ``OrderedHashWriter.add`` makes of each term, one Python call and three file writes
    per term there; here a field's terms at a time (records joined, positions summed,
    hashes taken by ``map``), positions and hashes kept in arrays (12 bytes a term, not
    a tuple and two integers), and the hash tables written a table at a time
    (``_HashTables``).
    """

    #: Terms added at a time (their records are joined before they are written).
    CHUNK = 4096

    def __init__(self, tindex: Any) -> None:
        if not isinstance(tindex, OrderedHashWriter) or tindex.hashtype != 0:
            raise TypeError(f"not a term index this writer knows: {tindex!r}")
        self.tindex = tindex
        self.out = _Output(tindex.dbfile)
        self.positions = array("q")
        self.codes = [array("I") for _ in range(256)]
        self.places = [array("q") for _ in range(256)]
        self.last = tindex.lastkey

    def add(self, prefix: bytes, terms: Sequence[str], infos: Sequence[bytes]) -> None:
        """Add terms of a field (in order, after those added before) with their term
        infos; ``prefix`` is the field's number, which starts each term's key."""
        keys = list(map(prefix.__add__, map(str.encode, terms)))
        if not keys:
            return
        heads = map(_pack_lengths, map(len, keys), map(len, infos))
        records = b"".join(chain.from_iterable(zip(heads, keys, infos, strict=True)))
        # a record's position: where the previous one ended (lengths, key, value)
        sizes = map(add, map(len, keys), map(len, infos))
        start = self.out.write(records)
        places = array("q", accumulate(map(add, sizes, repeat(8)), initial=start))
        places.pop()
        self.positions.extend(places)
        # filetables.md5_hash: the low 32 bits of the key's MD5 digest
        digests = array("I", b"".join(map(_DIGEST, map(_md5, keys))))
        if sys.byteorder == "little":
            digests.byteswap()
        codes = digests[3::4]
        buckets = bytes(map(_LOW_BYTE, codes))
        deque(map(array.append, map(self.codes.__getitem__, buckets), codes), 0)
        deque(map(array.append, map(self.places.__getitem__, buckets), places), 0)
        self.last = keys[-1]

    def flush(self) -> None:
        self.out.flush()
        tindex = self.tindex
        if any(tindex.buckets) or len(tindex.index):
            raise ValueError("terms were added to the term index by another writer")
        if self.positions:
            index = tindex.index
            index.append(self.positions[-1])  # the largest: the array takes its final type
            index.array.pop()
            index.array.extend(iter(self.positions))
        tindex.buckets = list(zip(self.codes, self.places, strict=True))
        tindex.lastkey = self.last
        tindex.__class__ = _HashTables


_md5 = partial(md5, usedforsecurity=False)
_DIGEST = methodcaller("digest")
_LOW_BYTE = (255).__and__


class _HashTables(OrderedHashWriter):
    """``OrderedHashWriter`` writing each of its 256 hash tables in one piece, from
    buckets of (hashes, positions) arrays.

    The same tables: each entry in slot (hash >> 8) % slots, moving on to the next free
    slot, twice as many slots as entries; an empty slot is (0, 0).
    """

    def _write_hashes(self) -> None:
        dbfile = self.dbfile
        for codes, places in self.buckets:
            count = 2 * len(codes)
            self.directory.append((dbfile.tell(), count))
            slots = [_EMPTY_SLOT] * count
            for code, at in zip(codes, places, strict=True):
                slot = (code >> 8) % count
                while slots[slot] is not _EMPTY_SLOT:
                    slot = (slot + 1) % count
                slots[slot] = _pack_pointer(code, at)
            dbfile.write(b"".join(slots))


def write_common(
    segment: Any, storage: Any, common: dict[tuple[str, str], tuple[bytes, bytes]]
) -> None:
    """The segment's common terms' postings without their positions (``layout.COMMON_EXT``).

    A word on most pages has its positions decoded with its postings by whoosh's
    format (a pickled tuple per 128 documents); a search for it only needs the
    documents and weights, which ``engine`` reads from here as two arrays, looked up
    in whoosh's on-disk hash table by ``layout.common_key``. The file is named after the
    segment, so whoosh deletes it with the segment.
    """
    if not common:
        return
    table = HashWriter(segment.create_file(storage, layout.COMMON_EXT))
    for (fieldname, term), (ids, weights) in common.items():
        table.add(layout.common_key(fieldname, term), ids + weights)
    table.close()
