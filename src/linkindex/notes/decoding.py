"""A note file's bytes to its text (pure: bytes in, text or the reason there is none out).

Notes come from many editors and systems: UTF-8 (with or without a BOM), GBK/GB18030 from
older Chinese Windows, UTF-16 from Notepad's "Unicode", a stray byte pasted from
elsewhere. ``decode`` reads each of them without losing a note to one odd byte, and
tells a binary file (an image saved as ``.md``) from a note with a stray NUL.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["ESCAPED", "Decoded", "decode"]

#: Bytes looked at to tell a binary file from text.
_SNIFF = 8192

#: How binary files start (images, archives, documents, executables, databases): a note
#: with one of these and a NUL byte is no note.
_BINARY_SIGNATURES = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
    b"MZ",
    b"SQLite format 3",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"\xd0\xcf\x11\xe0",
    b"\x00\x00\x01\x00",
)

#: Control bytes that text does not hold (tab, newlines, form feed and ESC aside). Random
#: or compressed bytes are about 10 % of them, UTF-16 text without a BOM half NULs; a
#: note with a stray NUL or two is far below 1/32.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")

#: Byte order marks that say a file is UTF-32 or UTF-16 (UTF-32 LE first: its mark starts
#: with UTF-16 LE's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


@dataclass(frozen=True, slots=True)
class Decoded:
    """A note file's text, or why there is none."""

    text: str | None
    problem: str = ""  # why the file is skipped (text is None)
    warning: str = ""  # what was replaced to read it (text is not None)


def decode(data: bytes) -> Decoded:
    """The text of a note file: UTF-8, else GB18030; bytes neither fits become U+FFFD.

    A UTF-16 or UTF-32 byte order mark (Windows Notepad's "Unicode") decides the
    encoding. One stray byte (a Latin-1 ``é`` pasted into a UTF-8 note, a character cut
    at the end, a NUL) must not cost the note its links. GB18030 is chosen only when the
    bytes read as UTF-8 are mostly broken while GB18030 reads them with fewer breaks:
    GBK text read as UTF-8 breaks on nearly every Chinese character, UTF-8 text with a
    stray byte breaks once; and it must read some Chinese (two characters or more), not
    one odd character in ASCII text. A binary file (``_binary``) is skipped.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_with_bom(data, encoding)
    if _binary(data[:_SNIFF]):
        return Decoded(None, "it looks like a binary file, not Markdown")
    data = data.removeprefix(codecs.BOM_UTF8)
    as_utf8 = data.decode("utf-8", "surrogateescape")
    utf8_broken = _escaped_bytes(as_utf8)
    if not utf8_broken:
        return Decoded(as_utf8)
    utf8_read = sum(1 for char in as_utf8 if char > "\x7f") - utf8_broken
    as_gb = data.decode("gb18030", "surrogateescape")
    gb_broken = _escaped_bytes(as_gb)
    gb_read = sum(1 for char in as_gb if char > "\x7f") - gb_broken
    if utf8_read < utf8_broken and gb_broken < utf8_broken and gb_read >= 2:
        text, broken, encoding = as_gb, gb_broken, "GB18030"
    else:
        text, broken, encoding = as_utf8, utf8_broken, "UTF-8"
    if not broken:
        return Decoded(text)
    what = "1 byte that is not" if broken == 1 else f"{broken} bytes that are not"
    return Decoded(
        ESCAPED.sub("\ufffd", text),
        warning=(
            f"{what} {encoding} text replaced with U+FFFD, the rest imported; "
            "save the note as UTF-8 to keep them"
        ),
    )


def _binary(head: bytes) -> bool:
    """Whether a file's first bytes are a binary file's, not a note with a stray NUL.

    A NUL is needed, and then a binary signature or many control bytes: 1/32 of the bytes
    looked at, and either at least 4 or not only NULs (a few NULs are what a stray copy
    leaves in a short note; ``\\x01\\x02`` are in no text).
    """
    if b"\x00" not in head:
        return False
    if head.startswith(_BINARY_SIGNATURES):
        return True
    controls = len(_CONTROL_BYTES.findall(head))
    many = controls >= 4 or controls > head.count(b"\x00")
    return many and controls * 32 >= len(head)


def _decode_with_bom(data: bytes, encoding: str) -> Decoded:
    """A note whose byte order mark says UTF-16 or UTF-32 (the codec drops the mark)."""
    codec = encoding.lower().replace("-", "")
    try:
        return Decoded(data.decode(codec))
    except UnicodeDecodeError:
        return Decoded(
            data.decode(codec, "replace"),
            warning=(
                f"bytes that are not {encoding} text replaced with U+FFFD, the rest "
                "imported; save the note as UTF-8 to keep them"
            ),
        )


#: The lone surrogates ``surrogateescape`` stands undecodable bytes in for.
ESCAPED = re.compile("[\udc80-\udcff]")


def _escaped_bytes(text: str) -> int:
    """How many bytes a ``surrogateescape`` decoding could not read."""
    return len(ESCAPED.findall(text))
