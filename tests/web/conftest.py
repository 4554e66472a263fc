"""Fixtures of the web tests: one small library (the UI never writes) and test clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from web_library import build, make_client

if TYPE_CHECKING:
    from starlette.testclient import TestClient

LOOPBACK = "http://127.0.0.1:8765"


@pytest.fixture(scope="session")
def library_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The test library, built once: its home and ``{url: link_id}``.

    Shared by every web test because the web UI only reads; a test that wrote to it
    would show up as other tests failing.
    """
    home = tmp_path_factory.mktemp("web-library") / "home"
    return home, build(home, extra=30)


@pytest.fixture
def library(library_home: tuple[Path, dict[str, int]]) -> dict[str, int]:
    """``{url: link_id}`` of the test library."""
    return library_home[1]


@pytest.fixture
def web_home(library_home: tuple[Path, dict[str, int]]) -> Path:
    """The test library's home."""
    return library_home[0]


@pytest.fixture
def client(web_home: Path) -> Iterator[TestClient]:
    """A client of the app over the test library, as a browser on this machine sees it."""
    with make_client(web_home, LOOPBACK) as test_client:
        yield test_client
