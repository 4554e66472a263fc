"""Bytes to text: the character set from a BOM, the header, ``<meta>``, then detection.

The order follows the HTML standard's encoding sniffing (BOM, transport layer, meta
prescan) with charset-normalizer standing in for the browser's locale guess. Labels that
the standard maps to a superset are decoded with the superset: "latin-1" pages are
windows-1252, and legacy CJK labels are read as ``legacy_cjk`` reads them, for notes too:
GBK and GB2312 pages routinely contain characters only GB18030 defines, and every Big5
label (big5, big5-hkscs, cp950…) is Big5 with Hong Kong's characters and Windows's
punctuation (1～3, 佢哋, €).

Two labels are weighed against the bytes, since Chinese servers get them wrong:

* a single-byte label (ISO-8859-1, windows-1252, ASCII) fits any bytes, so it proves
  nothing: bytes that are UTF-8 text, or that read as Chinese in GB18030, are that;
* a legacy CJK label (GBK, Big5, Shift_JIS…) on bytes that are valid UTF-8 with
  multibyte characters, whose reading with the label looks like mojibake, is wrong: the
  page is UTF-8. Legacy CJK text is all but never valid UTF-8 by chance.

"Reads as Chinese" (``chinese_share``): nearly all its non-ASCII characters are GB2312's
hanzi or punctuation — the 6,763 everyday characters. Chinese pages score 0.99 and more;
UTF-8, Big5 or Latin text read as GB18030 scores 0.3 or less (mostly characters from
GBK's rare extensions).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

from charset_normalizer import from_bytes

from linkindex import legacy_cjk

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

#: Labels decoded with a superset, as browsers do (legacy CJK ones: ``legacy_cjk``).
_SUPERSETS = {
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    # A page cannot really be UTF-16 if an ASCII meta tag could be read from it.
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
}

_HEADER_CHARSET = re.compile(rb"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)

#: ISO-8859-1 in a Content-Type header is most often a server's default (Tomcat, old
#: Apache), not the page's choice: Chinese pages served so declare their real charset
#: in <meta> or are plain UTF-8. A page's own declaration wins over this one label.
_SERVER_DEFAULT = "cp1252"

#: The meta prescan looks at the first 1024 bytes in the standard; pages with long
#: inline scripts before their meta (seen on Chinese portals) need a little more.
_PRESCAN = 4096

#: Undecodable spots a page may have and still be in its declared charset (see
#: ``_decode_if_it_fits``). Two: a cut character at the end and one stray byte; a guess
#: from so few bytes would be wrong more often than the page's own label.
MISFITS_TOLERATED = 3

#: Detection reads this much: enough for a confident guess, cheap on big pages.
_DETECT = 64 * 1024

#: Labels that fit any bytes (every byte is a character in them).
_SINGLE_BYTE = frozenset({"cp1252", "latin_1", "iso8859-1", "ascii"})

#: Legacy multibyte CJK codecs (as ``codec_for`` names them).
_LEGACY_CJK = legacy_cjk.CODECS

#: The share of common Chinese characters (``chinese_share``) from which GB18030 text is
#: taken for Chinese: pages score 0.99+, a title full of rare names ~0.8, mojibake <= 0.3.
CHINESE_SHARE = 0.7

#: Characters of everyday Chinese in GB18030 (``chinese_share``) that make a page labelled
#: Big5 GBK text (a GBK page's bytes are nearly all Big5 codes too, read as rare
#: characters). Fewer can be chance: Big5 text reads as GB2312's common hanzi for ~40 % of
#: its characters, all of them now and then in a line of a few (12: no page of 3,000
#: traditional test lines of 1-20 titles taken for GBK, ~85 % of their GBK versions read).
_GBK_AS_BIG5_EVIDENCE = 12

#: Multibyte UTF-8 characters that make valid UTF-8 outweigh a legacy CJK label with no
#: Chinese reading to compare (Big5, Shift_JIS…): three such characters in a row of valid
#: UTF-8 happen by chance once in tens of thousands of legacy texts.
_UTF8_EVIDENCE = 3

_ASCII_RUNS = re.compile(rb"[\x00-\x7f]+")
_ASCII_TEXT = re.compile("[\x00-\x7f]+")


def header(headers: Mapping[str, str] | None, name: str) -> str:
    """A header's value by case-insensitive name, or ``""``."""
    if not headers:
        return ""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def codec_for(label: str) -> str | None:
    """The codec to decode a declared charset label with, or None if unknown: a Python
    codec's name, or ``legacy_cjk.BIG5``, which only ``legacy_cjk.decode`` reads (as it
    reads the others)."""
    label = label.strip().strip("\"'").lower()
    if not label:
        return None
    label = legacy_cjk.codec_for(label) or _SUPERSETS.get(label, label)
    if label in legacy_cjk.CODECS:  # its Big5 is no codec of Python's
        return label
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return legacy_cjk.codec_for(name) or _SUPERSETS.get(name, name)


def declared_charset(body: bytes, headers: Mapping[str, str] | None = None) -> str | None:
    """The codec named by a BOM, the Content-Type header or a ``<meta>`` tag, in that
    order (as ``codec_for`` names it: decode with ``legacy_cjk.decode``)."""
    candidates = _declared(body, headers)
    return candidates[0] if candidates else None


def _declared(body: bytes, headers: Mapping[str, str] | None) -> list[str]:
    """The codecs the page declares, the one to try first first.

    A BOM is the whole answer. Then the header, unless it only says ISO-8859-1 (a server's
    default, see ``_SERVER_DEFAULT``): then the page's own ``<meta>`` comes first, and
    undeclared UTF-8 text is UTF-8.
    """
    for bom, bom_codec in _BOMS:
        if body.startswith(bom):
            return [bom_codec]
    from_header = None
    match = _HEADER_CHARSET.search(header(headers, "content-type").encode("latin-1", "replace"))
    if match:
        from_header = codec_for(match.group(1).decode("ascii", "replace"))
    from_meta = None
    match = _META_CHARSET.search(body[:_PRESCAN])
    if match:
        from_meta = codec_for(match.group(1).decode("ascii", "replace"))
    if from_header and from_header != _SERVER_DEFAULT:
        found = [from_header, from_meta]
    elif from_header and not from_meta and _is_utf8_text(body):
        found = ["utf-8", from_header]
    else:
        found = [from_meta, from_header]
    return list(dict.fromkeys(codec for codec in found if codec))


def _is_utf8_text(body: bytes) -> bool:
    """Whether the bytes are UTF-8 with some non-ASCII text (ASCII fits any charset)."""
    sample = body[:_DETECT]
    if sample.isascii():
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(sample) - 3 and len(body) > len(sample)
    return True


def chinese_share(text: str) -> float:
    """The share of ``text``'s non-ASCII characters that are everyday Chinese.

    Everyday Chinese: GB2312's hanzi (rows B0-F7) and its punctuation and full-width
    forms (rows A1-A3). 0.0 for text without non-ASCII characters.
    """
    rest = _ASCII_TEXT.sub("", text)
    if not rest:
        return 0.0
    encoded = rest.encode("gb2312", errors="ignore")
    common = sum(1 for lead in encoded[::2] if lead >= 0xB0 or lead <= 0xA3)
    return common / len(rest)


def _reads_as_chinese(body: bytes, least: int = 0) -> bool:
    """Whether the bytes are GB18030 text: they fit it and read as everyday Chinese (in
    ``least`` non-ASCII characters at least)."""
    text = _decode_if_it_fits(body[:_DETECT], "gb18030")
    if text is None or chinese_share(text) < CHINESE_SHARE:
        return False
    return not least or len(_ASCII_TEXT.sub("", text)) >= least


def _multibyte_text(body: bytes) -> str | None:
    """The multibyte codec the bytes are clearly written in (UTF-8, GB18030), or None."""
    if _is_utf8_text(body):
        return "utf-8"
    if _reads_as_chinese(body):
        return "gb18030"
    return None


def _misread(body: bytes, codec: str) -> bool:
    """Whether valid UTF-8 ``body`` read with the legacy CJK ``codec`` is mojibake."""
    sample = body[:_DETECT]
    if codec == "gb18030":
        text = sample.decode(codec, errors="replace")
        return chinese_share(text) < CHINESE_SHARE
    multibyte = sum(len(run) for run in _ASCII_RUNS.split(sample))  # non-ASCII bytes
    return multibyte >= 2 * _UTF8_EVIDENCE


def detect_charset(body: bytes) -> str:
    """Guess the codec of undeclared bytes.

    Valid UTF-8 is UTF-8; bytes that read as Chinese in GB18030 are GB18030; only then
    charset-normalizer guesses (it needs more text than a short Chinese page holds: a
    140-byte GBK page came out as Mac Roman).
    """
    sample = body[:_DETECT]
    if sample.isascii() or _is_utf8_text(body):
        return "utf-8"
    if _reads_as_chinese(body):
        return "gb18030"
    best = from_bytes(sample).best()
    if best is None:
        return "utf-8"
    return codec_for(best.encoding) or "utf-8"


def decode_body(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    """Decode a fetched body to text.

    The charset comes from a BOM, then the Content-Type header, then ``<meta charset>`` /
    ``<meta http-equiv>``, then detection. A declared charset the bytes do not fit is a
    wrong label (a GBK page served as ``charset=utf-8``): the next declaration is tried,
    then detection. GBK/GB2312 decode as GB18030, Big5 as browsers read it. A single-byte
    label on UTF-8 or Chinese GB18030 text, and a legacy CJK label on UTF-8 text it would
    garble, give way to what the bytes are (see the module docstring). When nothing fits
    cleanly, the first declared charset (else the detected one) is used, and bytes that do
    not fit it become U+FFFD rather than an error.
    """
    declared = _declared(body, headers)
    for bom, bom_codec in _BOMS:
        if declared == [bom_codec] and body.startswith(bom):
            return body[len(bom) :].decode(bom_codec, errors="replace")
    for label in declared:
        codec = label
        if label in _SINGLE_BYTE:  # fits any bytes: proves nothing against multibyte text
            codec = _multibyte_text(body) or label
        elif label in _LEGACY_CJK and _is_utf8_text(body) and _misread(body, label):
            codec = "utf-8"
        elif label == legacy_cjk.BIG5 and _reads_as_chinese(body, _GBK_AS_BIG5_EVIDENCE):
            codec = "gb18030"  # GBK served as Big5
        text = _decode_if_it_fits(body, codec)
        if text is not None:
            return text
    detected = detect_charset(body)
    text = _decode_if_it_fits(body, detected)
    if text is not None:
        return text
    # Nothing fits: the page's own word wins over a guess.
    return legacy_cjk.decode(body, declared[0] if declared else detected, "replace")


def _decode_if_it_fits(body: bytes, codec: str) -> str | None:
    """``body`` decoded with ``codec`` (misfits as U+FFFD) if the bytes fit it, else None.

    A few bytes that do not fit are broken bytes (a character cut at the size cap, a
    stray byte in a UTF-8 page): fewer than MISFITS_TOLERATED, or one in a hundred
    non-ASCII characters. A wrong label breaks nearly every character: GBK text read as
    UTF-8 fails on most of its two-byte characters.
    """
    try:
        text = legacy_cjk.decode(body, codec, "replace")
    except LookupError:
        return None
    broken = text.count("\ufffd")
    if broken < MISFITS_TOLERATED:
        return text
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return text if broken * 100 <= non_ascii else None
