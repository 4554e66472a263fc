"""What ``bulk`` writes and ``engine`` reads besides whoosh's own files, in one place.

Kept apart from ``bulk`` so that a search does not import whoosh's writing machinery.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

#: Terms in at least this many documents of a segment also get ``COMMON_EXT`` arrays.
COMMON_FROM = 512
#: A segment's common terms: document numbers and weights as two arrays, in a whoosh
#: hash file named after the segment (so whoosh deletes it with the segment).
COMMON_EXT = ".lkc"


def common_key(fieldname: str, term: str) -> bytes:
    """The key of a term in a ``COMMON_EXT`` file."""
    return f"{fieldname}\x00{term}".encode()


def length_codes(perdoc: Any, fieldname: str) -> bytes | None:
    """Every document's field-length byte in one segment, padded to the segment's size.

    ``perdoc`` is the segment's per-document reader. None: the field keeps no lengths.
    Raises ValueError for a segment that keeps them in another form than whoosh's W3.
    """
    try:
        if not perdoc.has_column(_lenfield(fieldname)):
            return None
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None or column._fixedlen != 1:
            raise ValueError(f"no one-byte length column for {fieldname}")
        raw: bytes = column._dbfile.get(column._basepos, column._count)
    except AttributeError as exc:
        raise ValueError(f"not a W3 segment: {exc}") from exc
    return raw + bytes(perdoc.doc_count_all() + 1 - len(raw))
