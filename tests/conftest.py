"""Shared fixtures: a temporary library home per test, the CLI runner, the sample notes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_NOTES = ROOT / "data" / "notes"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty library home; $LINKINDEX_HOME points at it too."""
    path = tmp_path / "home"
    monkeypatch.setenv("LINKINDEX_HOME", str(path))
    return path


@pytest.fixture
def runner() -> CliRunner:
    """A CLI runner for ``linkindex.cli.app``."""
    return CliRunner()


@pytest.fixture
def sample_notes() -> Path:
    """The bundled sample notes (read-only: copy before changing)."""
    return SAMPLE_NOTES


@pytest.fixture
def store(home: Path) -> Iterator[object]:
    """An open Store in the temporary home."""
    from linkindex.store import Store

    s = Store(home)
    yield s
    s.close()
