"""What an image file is: its type by its magic bytes, and its size from its header.

linkindex keeps PNG, JPEG, GIF and WebP figures. The type comes from the bytes, never
from the ``Content-Type`` an image host sent (hosts send ``application/octet-stream``,
or ``image/png`` for a JPEG, or ``text/html`` for an error page served with 200). Width
and height are read from the header each format puts first, without decoding anything
(no Pillow); a header too short or too odd to read leaves them unknown.

SVG is refused, not sanitised: an SVG is a document (scripts, event attributes, external
references, CSS that fetches) rather than pixels, a sanitiser for it is a second HTML
sanitiser with its own history of bypasses, and technical articles ship their diagrams
as PNG or JPEG all but always. ``is_svg`` tells that refusal apart from unknown bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

#: The content types linkindex keeps, as it stores and serves them.
KEPT_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")

#: File name suffixes for each kept type (EPUB items, downloads).
SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}

_PNG = b"\x89PNG\r\n\x1a\n"
#: JPEG start-of-frame markers (the ones that carry the picture's size); C4, C8 and CC
#: share the range but are tables, not frames.
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
#: JPEG markers that stand alone, without a length.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xDA)})


@dataclass(frozen=True, slots=True)
class ImageFile:
    """A recognised image: its type and, when the header tells, its size in pixels."""

    content_type: str
    width: int | None = None
    height: int | None = None


def read_image(body: bytes) -> ImageFile | None:
    """The kind and size of an image, or None when the bytes are not PNG/JPEG/GIF/WebP."""
    if body.startswith(_PNG):
        return _png(body)
    if body.startswith(b"\xff\xd8\xff"):
        return _jpeg(body)
    if body.startswith((b"GIF87a", b"GIF89a")):
        return _sized("image/gif", *_unpack("<HH", body, 6))
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return _webp(body)
    return None


def is_svg(body: bytes) -> bool:
    """Whether the bytes are an SVG document (which linkindex refuses)."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<svg") or (head.startswith((b"<?xml", b"<!--")) and b"<svg" in head)


def _unpack(layout: str, body: bytes, offset: int) -> tuple[int, ...]:
    size = struct.calcsize(layout)
    if len(body) < offset + size:
        return ()
    return struct.unpack_from(layout, body, offset)


def _sized(content_type: str, width: int | None = None, height: int | None = None) -> ImageFile:
    if not width or not height:  # a zero or missing side is a header we could not read
        return ImageFile(content_type)
    return ImageFile(content_type, width, height)


def _png(body: bytes) -> ImageFile:
    # The first chunk is IHDR: length, b"IHDR", width, height (big-endian).
    if body[12:16] != b"IHDR":
        return ImageFile("image/png")
    return _sized("image/png", *_unpack(">II", body, 16))


def _webp(body: bytes) -> ImageFile:
    chunk = body[12:16]
    if chunk == b"VP8X":  # extended: 24-bit canvas width-1 and height-1
        if len(body) >= 30:
            width = int.from_bytes(body[24:27], "little") + 1
            height = int.from_bytes(body[27:30], "little") + 1
            return _sized("image/webp", width, height)
    elif chunk == b"VP8 " and body[23:26] == b"\x9d\x01\x2a":  # lossy key frame
        found = _unpack("<HH", body, 26)
        if found:
            return _sized("image/webp", found[0] & 0x3FFF, found[1] & 0x3FFF)
    elif chunk == b"VP8L" and body[20:21] == b"\x2f":  # lossless: 14 bits each, minus one
        found = _unpack("<I", body, 21)
        if found:
            bits = found[0]
            return _sized("image/webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    return ImageFile("image/webp")


def _jpeg(body: bytes) -> ImageFile:
    """Walk the markers to the start of frame, which holds height and width."""
    offset = 2
    while offset + 4 <= len(body):
        if body[offset] != 0xFF:
            break
        marker = body[offset + 1]
        if marker == 0xFF:  # fill byte before a marker
            offset += 1
            continue
        if marker in _JPEG_STANDALONE:
            offset += 2
            continue
        if marker == 0xDA:  # start of scan: the frame header would have come before
            break
        (length,) = _unpack(">H", body, offset + 2) or (0,)
        if marker in _JPEG_FRAMES:
            found = _unpack(">BHH", body, offset + 4)
            if found:
                return _sized("image/jpeg", found[2], found[1])
            break
        if length < 2:
            break
        offset += 2 + length
    return ImageFile("image/jpeg")
