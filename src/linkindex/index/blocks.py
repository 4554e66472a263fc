"""A term's postings as whoosh's W3 codec stores them: its blocks and its term info.

``W3PostingsWriter`` writes each block of up to 128 postings as two pickles, a block
info ``(count, last id, max weight, compression, min length, max length)`` and the
block ``(id deltas, weights, values)``, and a term info (``W3TermInfo``) that points at
the term's blocks. ``Blocks`` writes the same, pickled with protocol 5. Most terms of a
segment have one posting, and pickling their two tiny tuples is most of their cost, so
``Blocks.single`` fills in the bytes ``pickle.dumps`` would give instead, from a
template per shape (the posting's opcodes, whose lengths vary with the size of the
document number and whether the weight is 1). The tests hold them to ``pickle.dumps``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from itertools import chain
from operator import sub
from pickle import dumps
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo

from linkindex.memo import Memo

#: Pickle protocol of blocks. whoosh writes protocol 2, which stores each bytes value
#: as a call to ``codecs.encode`` (slow to write and to read); whoosh reads any protocol.
PICKLE = 5
#: Postings per block, as ``W3Codec(blocklimit=...)``.
BLOCK = 128
#: zlib level for block data (whoosh's default is 3; 1 is a good share faster).
COMPRESSION = 1
#: Blocks of fewer pickled bytes are stored as they are (too small for zlib to pay).
COMPRESS_FROM = 512

_pack_int = struct.Struct("!i").pack  # StructFile.write_int: a block's length
_pack_double = struct.Struct(">d").pack  # pickle's BINFLOAT
_pack_frame = struct.Struct("<Q").pack  # pickle's FRAME length
#: A term info (``W3TermInfo.to_bytes``): flags, weight, doc frequency, lengths, max
#: weight, first and last id, then the extent of its blocks (offset, length).
_pack_term_info = struct.Struct(W3TermInfo._struct.format + "qi").pack
#: (``Blocks.term_blocks`` gives the fields of a term info but its extent.)
term_info = _pack_term_info

# Pickle opcodes (protocol 5) of the shapes ``Blocks`` fills in itself.
_HEAD = b"\x80\x05\x95"  # PROTO 5, FRAME (then the frame's length, 8 bytes)
_TUPLE1, _TUPLE3, _TUPLE = b"\x85\x94", b"\x87\x94", b"t\x94"  # each MEMOIZEd
_MARK, _NONE, _FLOAT, _STOP = b"(", b"N", b"G", b"."
_SHORT_BYTES_MAX = 255  # SHORT_BINBYTES ("C", one length byte)


def pickled_int(number: int) -> bytes:
    """A non-negative int (below 2**31) as pickle writes it: BININT1, BININT2 or BININT."""
    if number < 256:
        return b"K" + bytes((number,))
    if number < 65536:
        return b"M" + number.to_bytes(2, "little")
    return b"J" + number.to_bytes(4, "little")


def pickled_numbers(documents: int) -> list[bytes]:
    """``pickled_int`` of every document number of a segment of ``documents``: looked
    up by ``Blocks`` rather than made for each term."""
    return [pickled_int(number) for number in range(documents)]


class Blocks:
    """Writes the terms of one field to a segment's postings (an ``_Output``).

    ``codes`` are the documents' length bytes (None: the field keeps no lengths),
    ``fixed`` the format's value size (``fixed_value_size()``: None or negative, a
    tuple of values; 0, no values; else the values joined), ``numbers`` every
    document number's pickled bytes (``pickled_numbers``).
    """

    def __init__(
        self, out: Any, codes: bytes | None, fixed: int | None, numbers: Sequence[bytes]
    ) -> None:
        self.out = out
        self.codes = codes
        self.fixed = fixed
        self.numbers = numbers
        self._singles: dict[tuple[int, bool, int], bytes] = {}
        self._uniform: Memo[tuple[int, bool, int], bytes] = Memo(self._uniform_template)

    def single(self, docnum: int, weight: float, value: bytes) -> bytes:
        """Write a term with one posting; return its term info (``W3TermInfo.to_bytes``)."""
        if len(value) > _SHORT_BYTES_MAX:
            return self.term((docnum,), (weight,), (value,))
        code = 0 if self.codes is None else self.codes[docnum]
        number = self.numbers[docnum]
        weighs_one = weight == 1
        shape = (len(number), weighs_one, len(value))
        template = self._singles.get(shape)
        if template is None:
            template = self._singles[shape] = self._single_template(*shape)
        packed = _pack_double(weight)
        fields: tuple[Any, ...] = (number, packed, code, code, number)
        if not weighs_one:
            fields += (packed,)
        if self.fixed != 0:  # 0: the format keeps no values
            fields += (len(value), value)
        written = template % fields
        offset = self.out.write(written)
        return _pack_term_info(
            False, weight, 1, code, code, weight, docnum, docnum, offset, len(written)
        )

    def _uniform_template(self, shape: tuple[int, bool, int]) -> bytes:
        """``_single_template`` filled by the same eight fields whatever the shape:
        number, weight, code, code, number, weight, value size, value (``singles``;
        formats with a tuple of values)."""
        return self._single_template(*shape, uniform=True)

    def _single_template(
        self, number_size: int, weighs_one: bool, value_size: int, *, uniform: bool = False
    ) -> bytes:
        """The bytes of a one-posting term's block, as a ``bytes % (...)`` template:
        ``pickle.dumps((1, id, weight, 0, code, code))`` (the block info) and
        ``pickle.dumps(((id,), weight or None, values))`` (the block). ``uniform``: a
        weight of 1 takes its field too, as nothing (``%.0b``)."""

        def literal(data: bytes) -> bytes:
            return data.replace(b"%", b"%%")

        info = [(_MARK + b"K\x01", 0), (b"%b", number_size), (_FLOAT + b"%b", 9)]
        info += [(b"K\x00", 0), (b"K%c", 2), (b"K%c", 2), (_TUPLE + _STOP, 0)]
        data = [(b"%b", number_size), (_TUPLE1, 0)]
        if not weighs_one:
            data.append((_FLOAT + b"%b", 9))
        elif uniform:
            data.append((_NONE + b"%.0b", 1))
        else:
            data.append((_NONE, 0))
        if self.fixed is None or self.fixed < 0:
            data += [(b"C%c%b\x94", 2 + value_size + 1), (_TUPLE1, 0)]
        elif self.fixed == 0:
            data.append((_NONE, 0))
        else:
            data.append((b"C%c%b\x94", 2 + value_size + 1))
        data.append((_TUPLE3 + _STOP, 0))
        parts = []
        total = 0
        for pieces in (info, data):
            # a piece's size: its literal bytes, or what its %-fields become
            size = sum(filled or len(piece) for piece, filled in pieces)
            parts.append(literal(_HEAD + _pack_frame(size)))
            parts += [piece if filled else literal(piece) for piece, filled in pieces]
            total += len(_HEAD) + 8 + size
        return literal(WHOOSH3_HEADER_MAGIC + _pack_int(-total)) + b"".join(parts)

    def term(self, ids: Sequence[int], weights: Sequence[float], values: Sequence[bytes]) -> bytes:
        """Write a term's blocks as ``W3PostingsWriter`` does; return its term info bytes
        (``W3TermInfo.to_bytes``). Weights may be int or float."""
        written, info = self.term_blocks(ids, weights, values)
        return _pack_term_info(*info, self.out.write(written), len(written))

    def term_blocks(
        self, ids: Sequence[int], weights: Sequence[float], values: Sequence[bytes]
    ) -> tuple[bytes, tuple[Any, ...]]:
        """A term's blocks (``term``) and its term info's fields but its blocks' extent."""
        total = len(ids)
        if total <= BLOCK:  # one block (most terms of several postings)
            written, low, high, top = self._block(ids, weights, values, True, WHOOSH3_HEADER_MAGIC)
            return written, (False, sum(weights), total, low, high, top, ids[0], ids[-1])
        chunks = []
        low, high = 255, 0
        head = WHOOSH3_HEADER_MAGIC
        for begin in range(0, total, BLOCK):
            end = begin + BLOCK
            block, block_low, block_high, _ = self._block(
                ids[begin:end], weights[begin:end], values[begin:end], end >= total, head
            )
            chunks.append(block)
            low, high = min(low, block_low), max(high, block_high)
            head = b""
        written = b"".join(chunks)
        return written, (False, sum(weights), total, low, high, max(weights), ids[0], ids[-1])

    def singles(
        self, docnums: Sequence[int], weights: Sequence[float], values: Sequence[bytes]
    ) -> list[bytes] | None:
        """The blocks ``single`` writes for each of these one-posting terms, made in a few
        passes in C (a template per shape filled by ``map``); None if a value is too
        long for ``single``'s templates (it writes such a term with ``term``).

        Their term infos are ``single``'s: ``term_info`` of each with its extent.
        """
        if not (self.fixed is None or self.fixed < 0):
            return None  # (for formats with a tuple of values: the words fields')
        sizes = list(map(len, values))
        if sizes and max(sizes) > _SHORT_BYTES_MAX:
            return None
        numbers = list(map(self.numbers.__getitem__, docnums))
        if self.codes is None:
            codes: Any = [0] * len(docnums)
        else:
            codes = list(map(self.codes.__getitem__, docnums))
        packed = list(map(_pack_double, weights))
        shapes = zip(map(len, numbers), map(_IS_ONE, weights), sizes, strict=True)
        templates = map(self._uniform.__getitem__, shapes)
        fields = zip(numbers, packed, codes, codes, numbers, packed, sizes, values, strict=True)
        return list(map(bytes.__mod__, templates, fields))

    def _block(
        self,
        ids: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes],
        last: bool,
        head: bytes,
    ) -> tuple[bytes, int, int, float]:
        """One block after ``head``: its length, block info and data; and its lowest and
        highest length byte and its highest weight."""
        count = len(ids)
        if self.codes is None:
            low = high = 0
        else:
            codes = bytes(map(self.codes.__getitem__, ids))
            low, high = min(codes), max(codes)
        first = weights[0]
        if weights.count(first) == count:
            top = float(first)
            mini_weights: Any = None if first == 1 else top
        else:
            mini_weights = tuple(map(float, weights))
            top = max(mini_weights)
        fixed = self.fixed
        if fixed is None or fixed < 0:
            mini_values: Any = tuple(values)
        elif fixed == 0:
            mini_values = None
        else:
            mini_values = b"".join(values)
        mini_ids = tuple(map(sub, ids, chain((0,), ids)))
        data = dumps((mini_ids, mini_weights, mini_values), PICKLE)
        compression = COMPRESSION if len(data) >= COMPRESS_FROM else 0
        if compression:
            data = zlib.compress(data, compression)
        number = self.numbers[ids[-1]]
        info = _BLOCK_INFO[len(number)] % (count, number, _pack_double(top), compression, low, high)
        size = len(info) + len(data)
        return b"".join((head, _pack_int(-size if last else size), info, data)), low, high, top


#: Whether a weight is 1 (a one-posting block then stores None for its weights).
_IS_ONE = (1.0).__eq__


def _block_info(number_size: int) -> bytes:
    """``pickle.dumps((count, last id, max weight, compression, low, high))`` as a
    ``bytes % (...)`` template, for a last id of ``number_size`` pickled bytes."""
    body = _MARK + b"K%c%bG%bK%cK%cK%c" + _TUPLE + _STOP
    size = len(body) - 12 + 1 + number_size + 8 + 3  # what the six %-fields become
    return (_HEAD + _pack_frame(size)).replace(b"%", b"%%") + body


#: Block info templates by the size of the pickled last id (``pickled_int``).
_BLOCK_INFO = {size: _block_info(size) for size in (2, 3, 5)}
