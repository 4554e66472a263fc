"""Raw fetched bodies on disk, compressed and named by their content hash.

``HOME/snapshots/ab/abcdef….gz`` holds the gzip of a body whose sha256 is ``abcdef…``.
Identical bodies are stored once. A file is written to a temporary name and renamed into
place, so a crash never leaves a half-written snapshot under a real name; the store's
``snapshots`` table says which ones a link's history uses. ``zcat`` reads them.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from linkindex.errors import NotFoundError, StoreError

SNAPSHOTS_DIR = "snapshots"
#: gzip level 6 is zlib's default: most of level 9's ratio on HTML at a third of the cost.
COMPRESS_LEVEL = 6


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One stored body."""

    hash: str  # sha256 hex of the raw body
    size: int  # raw bytes
    stored_size: int  # compressed bytes on disk
    created: bool  # False when an identical body was already stored


def content_hash(body: bytes) -> str:
    """The sha256 hex digest that names a body."""
    return hashlib.sha256(body).hexdigest()


class Snapshots:
    """The snapshot folder of a library home."""

    def __init__(self, home: Path) -> None:
        self.root = home / SNAPSHOTS_DIR

    def path(self, digest: str) -> Path:
        """Where the snapshot ``digest`` lives (whether or not it exists)."""
        if len(digest) < 3 or not all(c in "0123456789abcdef" for c in digest):
            raise NotFoundError(f"not a snapshot hash: {digest!r}")
        return self.root / digest[:2] / f"{digest}.gz"

    def exists(self, digest: str) -> bool:
        """Whether the snapshot is on disk."""
        return self.path(digest).exists()

    def missing(self, digests: Iterable[str]) -> list[str]:
        """The snapshots among ``digests`` whose files are gone, in the order given."""
        return [digest for digest in digests if not self.exists(digest)]

    def put(self, body: bytes, *, digest: str | None = None) -> Snapshot:
        """Store a body (once per distinct content) and describe it."""
        digest = digest or content_hash(body)
        target = self.path(digest)
        if target.exists():
            return Snapshot(digest, len(body), target.stat().st_size, created=False)
        data = gzip.compress(body, compresslevel=COMPRESS_LEVEL, mtime=0)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".gz")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StoreError(f"cannot write snapshot {target}: {exc}") from exc
        return Snapshot(digest, len(body), len(data), created=True)

    def get(self, digest: str) -> bytes:
        """The raw body of a snapshot; NotFoundError if it is not there."""
        target = self.path(digest)
        try:
            return gzip.decompress(target.read_bytes())
        except FileNotFoundError:
            raise NotFoundError(f"snapshot {digest} is missing from {self.root}") from None
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise StoreError(f"snapshot {target} is damaged: {exc}") from exc

    def verify(self, digest: str) -> bool:
        """Whether the snapshot is there and its content still hashes to its name."""
        try:
            return content_hash(self.get(digest)) == digest
        except (NotFoundError, StoreError):
            return False
