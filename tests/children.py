"""The environment of every process a test starts: it may not leave the machine either.

The socket guard in ``conftest`` holds only inside the test process. A child (``linkindex
crawl``, ``serve``, a browser) gets ``HTTP(S)_PROXY`` and ``ALL_PROXY`` pointing at a
loopback port where nothing listens, with ``NO_PROXY`` only for 127.0.0.1 and localhost:
a request to the local test servers goes straight there, and any other fails at once
(connection refused) instead of reaching the internet. linkindex never resolves a
proxied name itself, so no DNS look-up leaves the child either.
"""

from __future__ import annotations

import os
import socket

#: The proxy variables, in both spellings: the lower-case ones win for most programs.
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")

_closed: socket.socket | None = None


def closed_port() -> int:
    """A loopback port that refuses connections for the whole test session.

    The socket is bound (so no one else gets the port) but never listens.
    """
    global _closed
    if _closed is None:
        _closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        _closed.bind(("127.0.0.1", 0))
    return int(_closed.getsockname()[1])


def child_env(**extra: str) -> dict[str, str]:
    """``os.environ`` with the proxies of a child that must stay on this machine."""
    env = {name: value for name, value in os.environ.items() if name.upper() not in PROXY_VARIABLES}
    proxy = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = proxy
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env
