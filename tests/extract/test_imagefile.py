"""Image files: the type from the magic bytes, the size from the header, SVG refused."""

from __future__ import annotations

import pytest

from image_bytes import gif, jpeg_header, png, webp_extended, webp_lossless, webp_lossy
from linkindex.extract.imagefile import ImageFile, is_svg, read_image


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (png(640, 480), ImageFile("image/png", 640, 480)),
        (gif(16, 9), ImageFile("image/gif", 16, 9)),
        (jpeg_header(1080, 720), ImageFile("image/jpeg", 1080, 720)),
        (webp_lossy(300, 200), ImageFile("image/webp", 300, 200)),
        (webp_lossless(17, 5), ImageFile("image/webp", 17, 5)),
        (webp_extended(4000, 3000), ImageFile("image/webp", 4000, 3000)),
    ],
)
def test_type_and_size_from_the_header(body: bytes, expected: ImageFile) -> None:
    assert read_image(body) == expected


def test_a_jpeg_frame_after_other_segments_and_fill_bytes() -> None:
    exif = b"\xff\xe1\x00\x10" + b"Exif\x00\x00" + bytes(8)
    table = b"\xff\xdb\x00\x05\x00\x01\x02"  # a (tiny) quantisation table segment
    body = jpeg_header(800, 600)
    body = body[:2] + exif + b"\xff" + table + body[2:]
    assert read_image(body) == ImageFile("image/jpeg", 800, 600)


def test_truncated_headers_keep_the_type_without_a_size() -> None:
    assert read_image(png()[:20]) == ImageFile("image/png")
    assert read_image(b"\xff\xd8\xff\xe0\x00") == ImageFile("image/jpeg")
    assert read_image(b"GIF89a\x01") == ImageFile("image/gif")
    assert read_image(webp_lossy()[:24]) == ImageFile("image/webp")


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>404 not found</body></html>",
        b"",
        b"BM\x36\x00",  # BMP: not a type linkindex keeps
        b"\x00\x00\x00\x18ftypavif",  # AVIF
        b'<svg xmlns="http://www.w3.org/2000/svg"/>',
    ],
)
def test_other_bytes_are_not_images_it_keeps(body: bytes) -> None:
    assert read_image(body) is None


def test_svg_is_recognised_to_be_refused() -> None:
    assert is_svg(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    assert is_svg(b'\xef\xbb\xbf<?xml version="1.0"?>\n<!DOCTYPE svg><svg></svg>')
    assert not is_svg(png())
    assert not is_svg(b"<html><body><svg></svg></body></html>")
