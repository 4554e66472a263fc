"""The ``linkindex`` command line: thin typer commands over the library.

Each command module registers its commands on ``app``; they import the operations
they need inside the command so that a short command pays only for itself.
"""

from __future__ import annotations

from linkindex.cli import crawling, exporting, freshness, library, searching, serving  # noqa: F401
from linkindex.cli.app import app


def main() -> None:
    """Entry point of the ``linkindex`` console script."""
    app()
