"""The figures an export carries: read from the library's image folder, within a cap.

An EPUB holds each picture once, as an item of the book, wherever its links show it; an
HTML reading list embeds each link's first figure as a ``data:`` URI, so the page stays
one self-contained file. Both stop adding pictures once ``max_bytes`` of them are in:
the figures are taken in reading order, and a picture that would pass the cap is left
out (a later, smaller one may still fit), so the same library gives the same file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from linkindex.errors import LinkindexError
from linkindex.snapshots import Images
from linkindex.store.records import ImageRecord

#: The default cap on the bytes of pictures one export adds (``--images-max-bytes``).
DEFAULT_MAX_BYTES = 100_000_000


@dataclass(slots=True)
class Pictures:
    """The image folder an export reads, and the bytes of pictures it may still add."""

    images: Images
    max_bytes: int = DEFAULT_MAX_BYTES
    taken: dict[str, tuple[ImageRecord, bytes]] = field(default_factory=dict)  # by sha256
    used: int = 0  # bytes of the pictures taken so far

    def over_cap(self, image: ImageRecord) -> bool:
        """Whether taking this picture would pass the cap."""
        return image.sha256 not in self.taken and self.used + image.bytes > self.max_bytes

    def take(self, image: ImageRecord) -> bytes | None:
        """The picture's bytes if it fits under the cap (once taken, always), else None.

        A picture whose file is missing or no longer matches its hash is left out too.
        """
        if image.sha256 in self.taken:
            return self.taken[image.sha256][1]
        if self.over_cap(image):
            return None
        try:
            body = self.images.get(image.sha256)
        except LinkindexError:
            return None
        if len(body) != image.bytes:
            return None
        self.taken[image.sha256] = (image, body)
        self.used += len(body)
        return body
