"""Bodies compressed without saying so: undone, within the size cap.

httpx undoes the ``Content-Encoding`` a server declares. Some servers compress without
declaring it: a pre-compressed ``page.html.gz`` served as ``text/html``, a proxy or CDN
that drops the header, or a body compressed twice of which the header names one layer.
Such a body would be read as text and give a page without a word in it. Crawlers cope
(Scrapy's HttpCompressionMiddleware, wget and curl as ArchiveBox runs them); so does
this module, for bodies whose type declares text (``sniffing.is_text_type``):

* gzip, zstd and zlib-wrapped deflate are recognised by their magic numbers;
* raw deflate and brotli have none: they are tried only on bytes that are not text
  (``sniffing.is_binary``);
* a layer counts only when it decompresses whole (the stream ends, nothing but
  another member of it or NUL/whitespace padding after it), and layers are undone
  ``MAX_LAYERS`` times at most; the result is taken only when it is text. Anything else
  is left as it came, so a binary file with a wrong text type is never mangled: the
  extractor says it is unreadable.

Decompression is bounded: output beyond the cap (``crawl.max_bytes``, the one that
bounds a body as sent) raises ``TooLarge``, however small the input (a gzip bomb).
brotli and zstd are read when their modules are installed (``brotli`` or
``brotlicffi`` 1.2+, whose decoders can bound their output; ``zstandard``), the modules
httpx uses for declared encodings. Pure: bytes in, bytes out.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable
from functools import cache
from types import ModuleType

from linkindex.extract.sniffing import (
    GZIP_MAGIC,
    ZSTD_MAGIC,
    is_binary,
    is_text_type,
    is_zlib_header,
)

__all__ = ["TooLarge", "compressed", "uncompressed"]

#: Layers undone at most: two are seen (a pre-compressed file gzipped again by a server
#: that declares only its own layer); more is a pathological body, left as it is.
MAX_LAYERS = 3
#: Streams (gzip members, zstd frames) one after the other in a layer, at most: a page
#: is one or a few; more is a body built to make the decompression slow, left as it came.
MAX_STREAMS = 16
#: Output produced per decompression step, so the cap is checked as the output grows.
STEP = 256 * 1024
#: Input handed to zlib at a time.
IN_STEP = 64 * 1024
#: Input handed to the zstd decoder at a time: its decoder cannot bound its output, and
#: 256 bytes expand to at most ~8 MB (a 4-byte RLE block is 128 KB).
ZSTD_SLICE = 256
#: The largest zstd window accepted: RFC 8878 asks HTTP decoders for 8 MB; a frame that
#: asks for more (up to 2 GB) is refused rather than given the memory.
ZSTD_WINDOW = 8 * 1024 * 1024
#: What may follow a compressed stream and still count as the whole body.
_PADDING = b"\x00 \t\r\n"

_GZIP = zlib.MAX_WBITS | 16
_ZLIB = zlib.MAX_WBITS
_RAW_DEFLATE = -zlib.MAX_WBITS


class TooLarge(Exception):
    """A body over the size cap: as it came, or once its compression is undone."""


def _over(cap: int, method: str) -> TooLarge:
    return TooLarge(
        f"body is over the {cap}-byte limit once its undeclared {method} compression is undone"
    )


def compressed(body: bytes, content_type: str) -> bool:
    """Whether a body its type calls text may hold compressed data (cheap: magic numbers
    and a sample of its bytes); ``uncompressed`` then tells."""
    if not body or not is_text_type(content_type):
        return False
    return body.startswith((GZIP_MAGIC, ZSTD_MAGIC)) or is_zlib_header(body) or is_binary(body)


def uncompressed(body: bytes, *, cap: int) -> bytes:
    """The body with its undeclared compression undone, or ``body`` itself when it has
    none (or what it has does not decompress whole to text).

    Args:
        body: a body whose type declares text, as the HTTP library handed it over.
        cap: the most bytes the result may have (0: no limit).

    Raises:
        TooLarge: a layer decompresses to more than ``cap`` bytes.
    """
    current = body
    for _layer in range(MAX_LAYERS):
        inner = _one_layer(current, cap)
        if inner is None:
            break
        current = inner
    if current is body or is_binary(current):
        return body
    return current


def _one_layer(data: bytes, cap: int) -> bytes | None:
    """One layer of compression undone, or None when ``data`` is not compressed data."""
    if data.startswith(GZIP_MAGIC):
        return _inflate(data, _GZIP, cap)
    if data.startswith(ZSTD_MAGIC):
        return _zstd(data, cap)
    if is_zlib_header(data):
        found = _inflate(data, _ZLIB, cap)
        if found is not None:
            return found
    if not is_binary(data):
        return None  # text: neither raw deflate nor brotli (no magic to go by) is tried
    found = _inflate(data, _RAW_DEFLATE, cap)
    return found if found is not None else _brotli(data, cap)


class _Output:
    """Decompressed chunks, counted against the cap as they come."""

    def __init__(self, cap: int, method: str) -> None:
        self.cap = cap
        self.method = method
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.cap and self.size > self.cap:
            raise _over(self.cap, self.method)
        self.chunks.append(chunk)

    def joined(self) -> bytes:
        return b"".join(self.chunks)


def _inflate(data: bytes, wbits: int, cap: int) -> bytes | None:
    """gzip (all its members), zlib or raw deflate, decompressed whole; None if it is not."""
    method = {_GZIP: "gzip", _ZLIB: "zlib"}.get(wbits, "deflate")
    output = _Output(cap, method)

    def stream(data: bytes) -> bytes | None:
        try:
            return _inflate_stream(data, wbits, output)
        except zlib.error:
            return None

    # A gzip file may hold several members, one after the other.
    return _whole(data, stream, GZIP_MAGIC if wbits == _GZIP else None, output)


def _whole(
    data: bytes,
    stream: Callable[[bytes], bytes | None],
    magic: bytes | None,
    output: _Output,
) -> bytes | None:
    """The output of ``data`` decompressed whole: its streams one after the other (gzip
    members, zstd frames: each starting with ``magic``), with nothing after the last but
    padding. ``stream`` decompresses one stream into ``output`` and returns what follows
    it, or None when the input ends before the stream does."""
    rest = stream(data)
    streams = 1
    while rest is not None and magic is not None and rest.startswith(magic):
        if streams == MAX_STREAMS:
            return None  # thousands of tiny streams: each one's rest is a copy (a bomb)
        rest = stream(rest)
        streams += 1
    if rest is None or rest.strip(_PADDING):
        return None
    return output.joined()


def _inflate_stream(data: bytes, wbits: int, output: _Output) -> bytes | None:
    """One deflate stream decompressed into ``output``; what follows it, or None if the
    input ends before the stream does.

    The input goes in slices (zlib hands back what it did not take as a copy: the whole
    body, at every step, would be a copy too many), the output comes ``STEP`` at a time.
    """
    decoder = zlib.decompressobj(wbits)
    view = memoryview(data)
    taken = 0
    tail = b""
    while not decoder.eof:
        if tail:
            given: bytes | memoryview = tail
        else:
            given = view[taken : taken + IN_STEP]
            taken += len(given)
        chunk = decoder.decompress(given, STEP)
        tail = decoder.unconsumed_tail
        if not chunk and (not given or len(tail) == len(given)):
            return None  # the input ended (or stalled) before the stream did
        output.add(chunk)
    return decoder.unused_data + bytes(view[taken:])


def _brotli(data: bytes, cap: int) -> bytes | None:
    """brotli decompressed whole, when a module that can bound its output is installed."""
    module = _module("brotli") or _module("brotlicffi")
    if module is None or not hasattr(module.Decompressor, "can_accept_more_data"):
        return None  # before 1.2 a decoder hands all its output at once: a bomb's too
    decoder = module.Decompressor()
    output = _Output(cap, "brotli")
    try:
        output.add(decoder.process(data, output_buffer_limit=STEP))
        # The input given once, the output is asked for until the stream is over.
        # (``can_accept_more_data`` cannot say when: brotli 1.2.1's says True while
        # output is still held.) Nothing more, and not over: the stream was cut.
        while not decoder.is_finished():
            chunk = decoder.process(b"", output_buffer_limit=STEP)
            if not chunk:
                return None
            output.add(chunk)
    except module.error:
        return None
    return output.joined()


def _zstd(data: bytes, cap: int) -> bytes | None:
    """zstd frames decompressed whole, when ``zstandard`` is installed."""
    module = _module("zstandard")
    if module is None:
        return None
    output = _Output(cap, "zstd")

    def frame(data: bytes) -> bytes | None:
        try:
            if cap and module.frame_content_size(data) > cap:
                raise _over(cap, "zstd")  # said by the frame: refused before decompressing
            return _zstd_frame(module, data, output)
        except module.ZstdError:
            return None

    return _whole(data, frame, ZSTD_MAGIC, output)


def _zstd_frame(module: ModuleType, data: bytes, output: _Output) -> bytes | None:
    """One zstd frame decompressed into ``output``; what follows it, or None if it is cut."""
    decoder = module.ZstdDecompressor(max_window_size=ZSTD_WINDOW).decompressobj()
    end = 0
    while not decoder.eof:
        if end >= len(data):
            return None
        output.add(decoder.decompress(data[end : end + ZSTD_SLICE]))
        end += ZSTD_SLICE
    return bytes(decoder.unused_data) + data[end:]


@cache
def _module(name: str) -> ModuleType | None:
    """An optional decoder module, or None when it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None
