"""Raw bodies on disk: content-addressed, compressed, stored once, written atomically."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from linkindex.errors import NotFoundError, StoreError
from linkindex.snapshots import Snapshots, content_hash


def test_put_and_get_round_trip(tmp_path: Path) -> None:
    snapshots = Snapshots(tmp_path)
    body = "<html>显存优化</html>".encode() * 100
    stored = snapshots.put(body)
    assert stored.hash == hashlib.sha256(body).hexdigest() == content_hash(body)
    assert stored.created and stored.size == len(body)
    assert stored.stored_size < stored.size  # compressed
    path = snapshots.path(stored.hash)
    assert path == tmp_path / "snapshots" / stored.hash[:2] / f"{stored.hash}.gz"
    assert gzip.decompress(path.read_bytes()) == body  # zcat reads it
    assert snapshots.get(stored.hash) == body
    assert snapshots.verify(stored.hash)


def test_identical_bodies_are_stored_once(tmp_path: Path) -> None:
    snapshots = Snapshots(tmp_path)
    first = snapshots.put(b"same")
    second = snapshots.put(b"same")
    assert first.hash == second.hash
    assert not second.created
    files = [p for p in (tmp_path / "snapshots").rglob("*") if p.is_file()]
    assert len(files) == 1


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    snapshots = Snapshots(tmp_path)
    for n in range(5):
        snapshots.put(f"body {n}".encode())
    names = [p.name for p in (tmp_path / "snapshots").rglob("*") if p.is_file()]
    assert len(names) == 5
    assert not [name for name in names if name.startswith(".tmp-")]


def test_missing_damaged_and_bad_names(tmp_path: Path) -> None:
    snapshots = Snapshots(tmp_path)
    missing = content_hash(b"never stored")
    with pytest.raises(NotFoundError):
        snapshots.get(missing)
    assert not snapshots.verify(missing)
    stored = snapshots.put(b"to be damaged")
    snapshots.path(stored.hash).write_bytes(b"not gzip")
    with pytest.raises(StoreError):
        snapshots.get(stored.hash)
    assert not snapshots.verify(stored.hash)
    with pytest.raises(NotFoundError):
        snapshots.path("../../etc/passwd")


# -- figures --------------------------------------------------------------------------------


def test_images_are_stored_once_as_they_came(tmp_path: Path) -> None:
    from image_bytes import png
    from linkindex.snapshots import Images

    images = Images(tmp_path)
    body = png(10, 10)
    digest = content_hash(body)
    assert images.put(body) is True
    assert images.put(body, digest=digest) is False  # already there: not written again
    path = tmp_path / "images" / digest[:2] / digest
    assert images.path(digest) == path and path.read_bytes() == body  # not compressed
    assert [p.name for p in path.parent.iterdir()] == [digest]  # no temporary file left
    assert images.get(digest) == body and images.verify(digest)
    path.write_bytes(body[:-1] + b"\x00")
    assert not images.verify(digest)  # the bytes no longer match their name
    images.remove(digest)
    assert not images.exists(digest) and not images.verify(digest)
    with pytest.raises(NotFoundError):
        images.get(digest)
    with pytest.raises(NotFoundError):
        images.path("../../etc/passwd")
