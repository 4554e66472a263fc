"""Shared helpers for the extractor tests: the saved pages under tests/fixtures/pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"


@pytest.fixture
def page_bytes() -> Callable[[str], bytes]:
    """Read a fixture page's raw bytes by file name."""

    def read(name: str) -> bytes:
        return (PAGES / name).read_bytes()

    return read
