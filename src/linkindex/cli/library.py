"""Commands: (to be written)."""

from __future__ import annotations

from linkindex.cli.app import app, command  # noqa: F401
