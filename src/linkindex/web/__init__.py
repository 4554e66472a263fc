"""The local web UI (``linkindex serve``): search, topics, link pages, link health.

A surface like ``cli``: it only reads the library and calls the operations.
"""

from __future__ import annotations

from linkindex.web.app import create_app

__all__ = ["create_app"]
