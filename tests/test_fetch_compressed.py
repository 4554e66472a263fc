"""The downloader's undoing of undeclared compression: what it takes (whole streams of
text), what it leaves as sent (binary files, cut or padded-with-junk streams, text that
only looks compressed), and the bound on what it produces."""

from __future__ import annotations

import asyncio
import gzip
import io
import random
import tarfile
import tracemalloc
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from crawl_servers import fast_settings
from linkindex.fetch import Fetcher
from linkindex.fetch import compressed as compressed_module
from linkindex.fetch.compressed import TooLarge, uncompressed
from linkindex.models.pages import FetchResult

PAGE = (Path(__file__).resolve().parent / "fixtures" / "pages" / "blog_article.html").read_bytes()


def fetch(
    server: HTTPServer, body: bytes, content_type: str = "text/html", **crawl: object
) -> FetchResult:
    server.expect_request("/p").respond_with_response(Response(body, content_type=content_type))

    async def run() -> FetchResult:
        async with Fetcher(fast_settings(**crawl)) as fetcher:
            return await fetcher.fetch(server.url_for("/p"))

    return asyncio.run(run())


def tar_gz() -> bytes:
    """A real .tar.gz holding the page: gzip whose content is an archive, not text."""
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as archive:
        entry = tarfile.TarInfo("blog/index.html")
        entry.size = len(PAGE)
        archive.addfile(entry, io.BytesIO(PAGE))
    return packed.getvalue()


@pytest.mark.parametrize(
    "content_type",
    ["text/html; charset=utf-8", "text/plain", "application/xhtml+xml", "application/json"],
)
def test_text_types_get_their_body_decompressed(server: HTTPServer, content_type: str) -> None:
    result = fetch(server, gzip.compress(PAGE), content_type)
    assert result.outcome == "ok"
    assert result.body == PAGE
    assert result.bytes == len(PAGE)


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("tar.gz as text", tar_gz(), "text/plain"),
        ("gzip file as a file", gzip.compress(PAGE), "application/gzip"),
        ("gzip file, no type", gzip.compress(PAGE), ""),
        ("cut gzip", gzip.compress(PAGE)[:-40], "text/html"),
        ("gzip and junk", gzip.compress(PAGE) + b"<junk>", "text/html"),
        ("noise", random.Random(3).randbytes(30_000), "text/html"),
        ("text that starts like zlib", b"x^2 + y^2 = r^2 <p>circle</p>" * 20, "text/plain"),
    ],
)
def test_what_is_not_compressed_text_is_left_as_it_came(
    server: HTTPServer, name: str, body: bytes, content_type: str
) -> None:
    result = fetch(server, body, content_type)
    assert result.outcome == "ok", name  # the extractor judges what it is
    assert result.body == body, name


def test_layers_are_undone_a_bounded_number_of_times() -> None:
    """Three layers are undone (MAX_LAYERS); a body in four is left as it came."""
    body = PAGE
    for _layer in range(3):
        body = gzip.compress(body)
    assert uncompressed(body, cap=0) == PAGE
    deeper = gzip.compress(body)
    assert uncompressed(deeper, cap=0) is deeper


def test_gzip_members_and_padding() -> None:
    members = gzip.compress(PAGE[:2000]) + gzip.compress(PAGE[2000:])
    assert uncompressed(members, cap=0) == PAGE
    assert uncompressed(gzip.compress(PAGE) + b"\x00\x00\r\n", cap=0) == PAGE


def test_a_body_of_countless_streams_is_left_as_it_came() -> None:
    """A few members are a page; thousands of tiny ones (each stream's rest was copied:
    minutes of CPU for 10 MB) are a body built to be slow, left as it came, at once."""
    few = gzip.compress(PAGE[:100]) * compressed_module.MAX_STREAMS
    assert uncompressed(few, cap=0) == PAGE[:100] * compressed_module.MAX_STREAMS
    for body in (
        gzip.compress(PAGE[:100]) * (compressed_module.MAX_STREAMS + 1),
        gzip.compress(b"") * 500_000,  # 10 MB of empty members
    ):
        assert uncompressed(body, cap=10 << 20) is body


def test_a_gzip_bomb_stops_at_the_cap_in_bounded_memory(server: HTTPServer) -> None:
    """200 KB of gzip that would be 200 MB: the fetch ends at the 2 MB cap, without ever
    holding much more than the cap."""
    bomb = gzip.compress(b"\x20" * 200_000_000, compresslevel=9)
    assert len(bomb) < 400_000
    tracemalloc.start()
    try:
        result = fetch(server, bomb, max_bytes=2_000_000)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.outcome == "error"
    assert result.error == (
        "body is over the 2000000-byte limit once its undeclared gzip compression is undone"
    )
    assert result.attempts == 1  # the same body again would be as big
    assert result.body is None
    assert peak < 12_000_000


@pytest.mark.parametrize("method", ["gzip", "brotli", "zstandard"])
def test_the_cap_bounds_every_method(method: str) -> None:
    # 3 MB of page: 300 KB of noise (so that brotli's stream, which has no magic number,
    # is told from text by its bytes) said ten times.
    page = random.Random(5).randbytes(300_000) * 10
    if method == "gzip":
        body = gzip.compress(page)
    elif method == "brotli":
        body = pytest.importorskip("brotli").compress(page)
    else:
        body = pytest.importorskip("zstandard").ZstdCompressor().compress(page)
    name = {"zstandard": "zstd"}.get(method, method)
    with pytest.raises(TooLarge, match=f"^body is over the 1000000-byte limit .* {name} "):
        uncompressed(body, cap=1_000_000)
