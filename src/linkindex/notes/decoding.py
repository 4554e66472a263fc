"""A note file's bytes to its text (pure: bytes in, text or the reason there is none out).

Notes come from many editors and systems: UTF-8 (with or without a BOM), GBK/GB18030 from
older Chinese Windows, Big5 from Taiwan's and Hong Kong's, Shift_JIS or EUC-JP from
Japanese ones, EUC-KR from Korean ones, UTF-16 from Notepad's "Unicode", a stray byte
pasted from elsewhere. ``decode`` reads each of them without losing a note to one odd
byte, and tells a binary file (an image saved as ``.md``) from a note with a stray NUL.

Which legacy encoding a note is in cannot be told from decoding errors: GB18030 reads
nearly any bytes without one, so a Big5 note read as GB18030 is a string of real but
random characters. It is told by what the text reads as (``_likeliest``): the right
reading is made of common characters of its language, a wrong one of characters picked
nearly at random from a code page, rare ones for the most part. Each character costs
bits, -log2 of its share of text in the language the encoding is for (the table of
``char_frequency``), and the reading that costs the fewest bits wins.

Measured by ``scripts/bench_decoding.py`` on the lines of ``data/notes`` with two CJK
characters or more, in GBK (716) and in Big5 in traditional characters (605), and on 43
Japanese titles in Shift_JIS and EUC-JP and 43 Korean ones in EUC-KR: every line is read
right but three of two to four characters (替換 in Big5 as EUC-KR; 機械翻訳 and 画像認識
in EUC-JP, whose kanji rows are GB2312's hanzi rows, as GBK). Of fragments of the same
text cut at random, two characters are read wrong 1-3 % of the time in GBK, Big5 and
Shift_JIS, 13 % in EUC-KR, 27 % in EUC-JP; four characters 0 %, 1 % and 8 %; six or more
all but never. charset-normalizer's guess is wrong for 22 % of the GBK and of the Big5
lines of 10-40 characters, 50 % of the EUC-JP ones, and 69 % of the GBK lines of 6-9
characters: its language checks need more text than a title.
"""

from __future__ import annotations

import codecs
import math
import re
from dataclasses import dataclass
from functools import cache, partial
from operator import itemgetter

from linkindex import legacy_cjk
from linkindex.memo import Memo

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
    """The text of a note file: UTF-8, else a legacy CJK encoding; bytes neither fits become U+FFFD.

    A UTF-16 or UTF-32 byte order mark (Windows Notepad's "Unicode") decides the
    encoding. One stray byte (a Latin-1 ``é`` pasted into a UTF-8 note, a character cut
    at the end, a NUL) must not cost the note its links. Bytes that are not all UTF-8 may
    be in a legacy encoding (GB18030, Big5, Shift_JIS, EUC-JP or EUC-KR: the one whose
    reading is likeliest text, ``_likeliest``). It is chosen only when its reading is
    likelier text than the UTF-8 one, with fewer breaks: GBK or Big5 text read as UTF-8
    breaks on most characters (a few of its byte pairs happen to be UTF-8: Cyrillic,
    Greek), UTF-8 text with a stray byte breaks once and reads as gibberish in any legacy
    encoding; and it must read some text (two characters or more), not one odd character
    in ASCII text. A binary file (``_binary``) is skipped.
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
    text, broken, encoding = as_utf8, utf8_broken, "UTF-8"
    reading = _legacy_reading(_sample(data))
    if reading:
        as_legacy = legacy_cjk.decode(data, reading.codec, "surrogateescape")
        legacy_broken = _escaped_bytes(as_legacy)
        # A reading that takes a link's first letter as half of a character ("\x93https"
        # from cp1252's quotes) would cost the note that link; genuine legacy text never
        # does (its lead bytes are followed by their own second byte).
        keeps_links = len(_LINK_STARTS.findall(as_legacy)) == len(_LINK_BYTES.findall(data))
        if legacy_broken < utf8_broken and keeps_links:
            text, broken, encoding = as_legacy, legacy_broken, reading.name
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


def _characters_read(text: str) -> int:
    """How many non-ASCII characters a decoding read as text.

    Escaped bytes are not, nor control or private-use characters: CP932 reads any byte,
    ``\\x80`` as a control character and ``\\xff`` as a private-use one.
    """
    return sum(map(_READ.__getitem__, _ASCII.sub("", text)))


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


# Which legacy encoding: the likeliest reading (see the module docstring).

#: Bytes of a note weighed to choose its encoding, from its first that is not ASCII: up
#: to 500 characters, or half a dozen URL lines with their titles, where ten characters
#: decide. A long note is not weighed whole: weighing costs 0.1 ms a reading per KiB, and
#: 1 KiB keeps a GBK note as quick to read as before readings were weighed.
_WEIGHED = 1024

_NOT_ASCII = re.compile(rb"[\x80-\xff]")
#: ASCII letters and digits, in bytes and in a reading's text.
_ALNUM_BYTES = re.compile(rb"[0-9A-Za-z]")
_ALNUM = re.compile("[0-9A-Za-z]")
#: Where links start, in bytes and in a reading's text.
_LINK_BYTES = re.compile(rb"(?i)(?:https?|ftp)://")
_LINK_STARTS = re.compile(r"(?i)(?:https?|ftp)://")


@dataclass(frozen=True, slots=True)
class _Reading:
    """A legacy encoding a note may be in, and the language of text written in it."""

    name: str  # as a warning names it
    #: As web pages are read (``legacy_cjk``): GBK, Shift_JIS and EUC-KR with their
    #: supersets, Big5 as browsers read it (Taiwan's ～ ‧ €, Hong Kong's 佢 哋 嘅 嘢).
    codec: str
    language: str  # whose text it is: how its characters are weighed (_EXTRA_BITS)
    #: Bits against it before any character is read: Chinese notes are this tool's
    #: common case, so a tie goes to GB18030, then to Big5.
    prior: float


_READINGS = (
    _Reading("GB18030", legacy_cjk.GB18030, "zh", 0.0),
    _Reading("Big5", legacy_cjk.BIG5, "zh", 1.0),
    _Reading("Shift_JIS", legacy_cjk.SHIFT_JIS, "ja", 2.0),
    _Reading("EUC-JP", legacy_cjk.EUC_JP, "ja", 3.0),
    _Reading("EUC-KR", legacy_cjk.EUC_KR, "ko", 3.0),
)

#: The bits a character costs in each language's text, by kind, on top of its own (a
#: hanzi's or a Hangul syllable's, from how common it is; none for the other kinds).
#: Kanji are about a third of Japanese text (1.5 bits), hanja a few per cent of Korean
#: (5 bits); kana are half of Japanese text, spread over some 90 (7.5 bits); punctuation
#: is an eighth of CJK text over a dozen marks (6 bits). Kana in Chinese or Korean text,
#: Hangul in Chinese or Japanese, letters of other scripts, symbols and half-width
#: katakana are what wrong readings are made of (14-16 bits: a rare hanzi); a byte the
#: reading cannot read costs more than any character.
_EXTRA_BITS = {
    "zh": {"hanzi": 0.0, "hangul": 8.0, "kana": 14.0, "punctuation": 6.0},
    "ja": {"hanzi": 1.5, "hangul": 8.0, "kana": 7.5, "punctuation": 6.0},
    "ko": {"hanzi": 5.0, "hangul": 0.0, "kana": 14.0, "punctuation": 6.0},
}
_OTHER_BITS = 16.0
_BROKEN_BITS = 24.0


def _sample(data: bytes) -> bytes:
    """The bytes weighed: ``_WEIGHED`` of them from the first that is not ASCII.

    No byte before it belongs to a multibyte character, so every reading starts in step.
    """
    first = _NOT_ASCII.search(data)
    return data[first.start() : first.start() + _WEIGHED] if first else b""


def _legacy_reading(sample: bytes) -> _Reading | None:
    """The legacy encoding ``sample`` is in rather than UTF-8 (``decode``), or None.

    Mostly broken as UTF-8, it is legacy text (the common case, and the quick one); else
    only if the legacy reading is likelier text than the UTF-8 one (a short GBK title, of
    which some byte pairs are UTF-8; not a UTF-8 note with a stray byte).
    """
    bits, reading, text = _likeliest(sample)
    if _characters_read(text) < 2:
        return None
    as_utf8 = sample.decode("utf-8", "surrogateescape")
    if _characters_read(as_utf8) < _escaped_bytes(as_utf8):
        return reading
    # Mostly UTF-8: a legacy reading must not take ASCII letters or digits as halves of
    # characters (a stray Latin-1 byte in "caf\xe9s" would make 閟 of "\xe9s").
    if len(_ALNUM_BYTES.findall(sample)) > len(_ALNUM.findall(text)):
        return None
    return reading if bits < min(_text_bits(as_utf8, language) for language in _LANGUAGES) else None


def _likeliest(sample: bytes) -> tuple[float, _Reading, str]:
    """The legacy reading of ``sample`` that is likeliest text (the fewest bits): its bits,
    itself and its text. A tie goes to the first reading (``_READINGS``' order).
    """
    weighed = []
    for reading in _READINGS:
        text = legacy_cjk.decode(sample, reading.codec, "surrogateescape")
        weighed.append((reading.prior + _text_bits(text, reading.language), reading, text))
    return min(weighed, key=itemgetter(0))


def _text_bits(text: str, language: str) -> float:
    """What ``text``'s characters cost in bits as text of ``language`` (ASCII costs none)."""
    return sum(map(_BITS[language].__getitem__, _ASCII.sub("", text)))


def _kind(char: str) -> str:
    """Which kind of character ``char`` is, as ``_EXTRA_BITS`` weighs them."""
    code = ord(char)
    if code < 0x80:
        return "ascii"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x3FFFF:
        return "hanzi"
    if 0xAC00 <= code <= 0xD7A3:
        return "hangul"
    if 0x3041 <= code <= 0x30FF:
        return "kana"
    if (
        0x3000 <= code <= 0x303F
        or 0xFF01 <= code <= 0xFF5E
        or 0x2010 <= code <= 0x203B
        or code == 0xB7
    ):
        return "punctuation"
    if (
        code <= 0x9F  # control characters
        or 0xDC80 <= code <= 0xDCFF  # escaped bytes
        or 0xE000 <= code <= 0xF8FF  # private use
        or code == 0xFFFD
        or code >= 0xF0000
    ):
        return "broken"
    return "other"


_KINDS = Memo(_kind)
_READ: Memo[str, int] = Memo(lambda char: int(_KINDS[char] not in ("ascii", "broken")))

#: Runs of ASCII, left out of the weighing: ASCII costs no bits.
_ASCII = re.compile("[\x00-\x7f]+")


def _char_bits(char: str, language: str) -> float:
    """What one character costs in bits in text of ``language``."""
    kind = _KINDS[char]
    if kind == "hanzi":
        return _hanzi_bits().get(char, _RARE_HANZI_BITS) + _EXTRA_BITS[language][kind]
    if kind == "hangul":
        return _syllable_bits(ord(char) - 0xAC00) + _EXTRA_BITS[language][kind]
    if kind in ("kana", "punctuation"):
        return _EXTRA_BITS[language][kind]
    if kind == "ascii":
        return 0.0
    return _BROKEN_BITS if kind == "broken" else _OTHER_BITS


_LANGUAGES = tuple(_EXTRA_BITS)
_BITS = {language: Memo(partial(_char_bits, language=language)) for language in _LANGUAGES}


#: What a hanzi left out of the table costs: more than its last band (the table keeps the
#: hanzi up to 21 bits, ``RARE_BITS`` in scripts/char_frequency.py).
_RARE_HANZI_BITS = 22


@cache
def _hanzi_bits() -> dict[str, int]:
    """Each common hanzi's cost in bits (``char_frequency.HANZI_BITS``)."""
    # Imported here: the table is needed only for notes that are not UTF-8.
    from linkindex.notes.char_frequency import HANZI_BITS

    return {char: bits for bits, chars in enumerate(HANZI_BITS) for char in chars}


@cache
def _jamo_bits() -> tuple[list[float], ...]:
    """The bits of each initial, vowel and final of a Hangul syllable, half a count smoothed."""
    from linkindex.notes.char_frequency import JAMO_COUNTS

    return tuple(
        [-math.log2((count + 0.5) / (sum(counts) + 0.5 * len(counts))) for count in counts]
        for counts in JAMO_COUNTS
    )


def _syllable_bits(index: int) -> float:
    """A Hangul syllable's cost: its initial's, vowel's and final's (Unicode orders them)."""
    initials, vowels, finals = _jamo_bits()
    return initials[index // 588] + vowels[index // 28 % 21] + finals[index % 28]
