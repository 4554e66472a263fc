"""Raw fetched bodies and figures on disk, named by their content hash.

``HOME/snapshots/ab/abcdef….gz`` holds the gzip of a body whose sha256 is ``abcdef…``;
``HOME/images/ab/abcdef…`` holds a figure's bytes as they came (pictures are compressed
already, and the web UI serves the file as it is). Identical contents are stored once.
A file is written to a temporary name and renamed into place, so a crash never leaves a
half-written file under a real name; the store's ``snapshots`` and ``images`` tables say
which ones the links use. ``zcat`` reads snapshots.
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
IMAGES_DIR = "images"
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


def _checked(digest: str, what: str) -> str:
    if len(digest) < 3 or not all(c in "0123456789abcdef" for c in digest):
        raise NotFoundError(f"not a {what} hash: {digest!r}")
    return digest


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader (or a crash) sees the old file or the new one, never half of it. Raises
    OSError (the caller says what it was writing).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _write_atomic(target: Path, data: bytes, what: str) -> None:
    try:
        write_atomic(target, data)
    except OSError as exc:
        raise StoreError(f"cannot write {what} {target}: {exc}") from exc


class Snapshots:
    """The snapshot folder of a library home."""

    def __init__(self, home: Path) -> None:
        self.root = home / SNAPSHOTS_DIR

    def path(self, digest: str) -> Path:
        """Where the snapshot ``digest`` lives (whether or not it exists)."""
        _checked(digest, "snapshot")
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
        _write_atomic(target, data, "snapshot")
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

    def damaged(self, digests: Iterable[str]) -> list[str]:
        """The snapshots among ``digests`` that are on disk but no longer what was stored.

        A file overwritten, truncated or not gzip any more: its bytes do not hash to its
        name. Reads and hashes every body (about as fast as the disk reads them).
        """
        return [digest for digest in digests if self.exists(digest) and not self.verify(digest)]

    def discard(self, digest: str) -> None:
        """Delete a snapshot file (a damaged one: the next fetch of its body writes it again,
        which ``put`` would not do while a file of that name is there)."""
        self.path(digest).unlink(missing_ok=True)


class Images:
    """The figure folder of a library home: each picture once, by the sha256 of its bytes."""

    def __init__(self, home: Path) -> None:
        self.root = home / IMAGES_DIR

    def path(self, digest: str) -> Path:
        """Where the image ``digest`` lives (whether or not it exists)."""
        _checked(digest, "image")
        return self.root / digest[:2] / digest

    def exists(self, digest: str) -> bool:
        """Whether the image is on disk."""
        return self.path(digest).exists()

    def put(self, body: bytes, *, digest: str | None = None) -> bool:
        """Store a picture (once per distinct content); True when it was not there yet."""
        digest = digest or content_hash(body)
        target = self.path(digest)
        if target.exists():
            return False
        _write_atomic(target, body, "image")
        return True

    def get(self, digest: str) -> bytes:
        """The bytes of an image; NotFoundError if it is not there."""
        target = self.path(digest)
        try:
            return target.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"image {digest} is missing from {self.root}") from None
        except OSError as exc:
            raise StoreError(f"image {target} cannot be read: {exc}") from exc

    def verify(self, digest: str) -> bool:
        """Whether the image is there and its bytes still hash to its name."""
        try:
            return content_hash(self.get(digest)) == digest
        except (NotFoundError, StoreError):
            return False

    def remove(self, digest: str) -> None:
        """Delete an image file (the caller has made sure no link uses it)."""
        self.path(digest).unlink(missing_ok=True)
