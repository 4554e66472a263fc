"""Image files made in the tests, byte by byte (no imaging library).

``png`` and ``gif`` are real pictures a browser draws; ``jpeg_header`` and the ``webp_*``
makers write just the headers a format begins with (what linkindex reads), followed by
filler: enough to be recognised, not meant to be drawn.
"""

from __future__ import annotations

import struct
import zlib


def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    """A solid-colour RGB PNG of this size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(colour) * width  # filter type 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def gif(width: int = 16, height: int = 8, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A solid-colour GIF, LZW-coded without compression (a clear code every two pixels,
    so the code size never grows)."""
    clear, end = 4, 5
    codes: list[int] = []
    for index in range(width * height):
        if index % 2 == 0:
            codes.append(clear)
        codes.append(1)  # colour 1 of the palette
    codes.append(end)
    bits = 0
    count = 0
    data = bytearray()
    for code in codes:
        bits |= code << count
        count += 3
        while count >= 8:
            data.append(bits & 0xFF)
            bits >>= 8
            count -= 8
    if count:
        data.append(bits & 0xFF)
    blocks = b"".join(
        bytes([len(data[i : i + 255])]) + bytes(data[i : i + 255]) for i in range(0, len(data), 255)
    )
    palette = bytes([255, 255, 255]) + bytes(colour) + bytes(6)  # four entries
    screen = struct.pack("<HHBBB", width, height, 0b10000001, 0, 0)
    image = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0)
    return b"GIF89a" + screen + palette + image + b"\x02" + blocks + b"\x00;"


def jpeg_header(width: int = 640, height: int = 360, filler: int = 2000) -> bytes:
    """SOI, a JFIF APP0 segment and a baseline start-of-frame, then filler."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    frame = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + bytes(9)
    return b"\xff\xd8" + app0 + frame + b"\x00" * filler + b"\xff\xd9"


def _riff(chunk: bytes, payload: bytes) -> bytes:
    body = b"WEBP" + chunk + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


def webp_lossy(width: int = 300, height: int = 200) -> bytes:
    """A ``VP8 `` (lossy) WebP header."""
    frame = b"\x9d\x01\x2a" + struct.pack("<HH", width, height)
    return _riff(b"VP8 ", b"\x00\x00\x00" + frame + bytes(64))


def webp_lossless(width: int = 300, height: int = 200) -> bytes:
    """A ``VP8L`` (lossless) WebP header."""
    bits = (width - 1) | ((height - 1) << 14)
    return _riff(b"VP8L", b"\x2f" + struct.pack("<I", bits) + bytes(64))


def webp_extended(width: int = 4000, height: int = 3000) -> bytes:
    """A ``VP8X`` (extended) WebP header."""
    sides = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return _riff(b"VP8X", b"\x00\x00\x00\x00" + sides + bytes(64))
