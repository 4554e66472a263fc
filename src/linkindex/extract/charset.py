"""Bytes to text: the character set from a BOM, the header, ``<meta>``, then detection.

The order follows the HTML standard's encoding sniffing (BOM, transport layer, meta
prescan) with charset-normalizer standing in for the browser's locale guess. Labels that
the standard maps to a superset are decoded with the superset: GBK and GB2312 pages
routinely contain characters only GB18030 defines, and "latin-1" pages are windows-1252.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

from charset_normalizer import from_bytes

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

#: Labels decoded with a superset, as browsers do.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "hz-gb-2312": "gb18030",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "euc-kr": "cp949",
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

#: Detection reads this much: enough for a confident guess, cheap on big pages.
_DETECT = 64 * 1024


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
    """The Python codec to decode a declared charset label with, or None if unknown."""
    label = label.strip().strip("\"'").lower()
    if not label:
        return None
    label = _SUPERSETS.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def declared_charset(body: bytes, headers: Mapping[str, str] | None = None) -> str | None:
    """The codec named by a BOM, the Content-Type header or a ``<meta>`` tag, in that order."""
    for bom, bom_codec in _BOMS:
        if body.startswith(bom):
            return bom_codec
    from_header = None
    match = _HEADER_CHARSET.search(header(headers, "content-type").encode("latin-1", "replace"))
    if match:
        from_header = codec_for(match.group(1).decode("ascii", "replace"))
    if from_header and from_header != _SERVER_DEFAULT:
        return from_header
    from_meta = None
    match = _META_CHARSET.search(body[:_PRESCAN])
    if match:
        from_meta = codec_for(match.group(1).decode("ascii", "replace"))
    if from_header and not from_meta and _is_utf8_text(body):
        return "utf-8"
    return from_meta or from_header


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


def detect_charset(body: bytes) -> str:
    """Guess the codec of undeclared bytes: UTF-8 if they are valid UTF-8, else detection."""
    sample = body[:_DETECT]
    if sample.isascii() or _is_utf8_text(body):
        return "utf-8"
    best = from_bytes(sample).best()
    if best is None:
        return "utf-8"
    return codec_for(best.encoding) or "utf-8"


def decode_body(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    """Decode a fetched body to text.

    The charset comes from a BOM, then the Content-Type header, then ``<meta charset>`` /
    ``<meta http-equiv>``, then detection. GBK/GB2312 decode as GB18030. Bytes that do not
    fit the charset become U+FFFD rather than an error.
    """
    codec = declared_charset(body, headers) or detect_charset(body)
    for bom, bom_codec in _BOMS:
        if codec == bom_codec and body.startswith(bom):
            body = body[len(bom) :]
            break
    return body.decode(codec, errors="replace")
