"""Fixtures of the web tests: a small library and a test client bound to loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from web_library import build, make_client

if TYPE_CHECKING:
    from starlette.testclient import TestClient

LOOPBACK = "http://127.0.0.1:8765"


@pytest.fixture
def library(home: Path) -> dict[str, int]:
    """The test library in ``home``; ``{url: link_id}``."""
    return build(home)


@pytest.fixture
def client(home: Path, library: dict[str, int]) -> Iterator[TestClient]:
    """A client of the app over the test library, as a browser on this machine sees it."""
    with make_client(home, LOOPBACK) as test_client:
        yield test_client
