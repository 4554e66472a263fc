"""The local web UI (``linkindex serve``): search, topics, link pages, link health.

A surface like ``cli``: it only reads the library and calls the operations. What the
``serve`` command needs to start it is here (the one door from ``cli`` into ``web``).
"""

from __future__ import annotations

from linkindex.web.app import create_app
from linkindex.web.safety import is_loopback

__all__ = ["create_app", "is_loopback"]
