"""The library home: which folder a command works on.

``--home DIR``, else ``$LINKINDEX_HOME``, else the platform's user data dir. Apart from
``config`` (whose settings dataclasses a short ``linkindex search`` has no use for: ~10 ms
of its start), so that finding the folder costs nothing.
"""

from __future__ import annotations

import os
from pathlib import Path


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The library home: ``home`` if given, else ``$LINKINDEX_HOME``, else the user data dir."""
    if home:
        return Path(home).expanduser().resolve()
    env = os.environ.get("LINKINDEX_HOME")
    if env:
        return Path(env).expanduser().resolve()
    from platformdirs import user_data_dir

    return Path(user_data_dir("linkindex", appauthor=False))
