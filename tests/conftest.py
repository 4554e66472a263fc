"""Shared fixtures: a temporary library home per test, the CLI runner, the sample notes."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from linkindex.fetch.network import ipv4_address

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_NOTES = ROOT / "data" / "notes"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo
_real_gethostbyname = socket.gethostbyname
_real_gethostbyname_ex = socket.gethostbyname_ex
_real_gethostbyaddr = socket.gethostbyaddr


def _loopback_only(address: Any) -> None:
    """Refuse a connection that would leave the machine: tests talk to 127.0.0.0/8 only."""
    if isinstance(address, tuple) and address:
        host = str(address[0])
        try:
            local = ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            local = host == "localhost"
        if not local:
            raise ConnectionRefusedError(f"tests may not leave the machine (tried {host})")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _loopback_only(address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _loopback_only(address)
    return _real_connect_ex(self, address)


def _needs_no_dns(host: Any) -> bool:
    """Whether looking ``host`` up stays on the machine: localhost or a numeric address."""
    if host is None:
        return True  # the wildcard address of a server socket
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name.split("%")[0])
        return True
    except ValueError:
        return ipv4_address(name) is not None  # 127.1, 2130706433: read without DNS


def _no_dns(host: Any) -> None:
    if not _needs_no_dns(host):
        raise socket.gaierror(socket.EAI_NONAME, f"tests may not look up names (tried {host})")


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    _no_dns(host)
    return _real_getaddrinfo(host, *args, **kwargs)


def _guarded_gethostbyname(host: str) -> str:
    _no_dns(host)
    return _real_gethostbyname(host)


def _guarded_gethostbyname_ex(host: str) -> Any:
    _no_dns(host)
    return _real_gethostbyname_ex(host)


def _guarded_gethostbyaddr(host: str) -> Any:
    _no_dns(host)
    return _real_gethostbyaddr(host)


_GUARDS = {
    "getaddrinfo": (_real_getaddrinfo, _guarded_getaddrinfo),
    "gethostbyname": (_real_gethostbyname, _guarded_gethostbyname),
    "gethostbyname_ex": (_real_gethostbyname_ex, _guarded_gethostbyname_ex),
    "gethostbyaddr": (_real_gethostbyaddr, _guarded_gethostbyaddr),
}


@pytest.fixture(autouse=True, scope="session")
def no_internet() -> Iterator[None]:
    """Every test runs with outbound connections limited to loopback and no DNS look-ups.

    Names other than localhost are refused as a resolver refuses an unknown name
    (``socket.gaierror``), so code under test sees what an offline machine shows it.
    Processes a test starts get ``children.child_env()``.
    """
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    for name, (_real, guarded) in _GUARDS.items():
        setattr(socket, name, guarded)
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
    for name, (real, _guarded) in _GUARDS.items():
        setattr(socket, name, real)


@pytest.fixture(autouse=True)
def signals_as_they_were() -> Iterator[None]:
    """Ctrl-C and SIGTERM are handled after each test as before it: a command run in
    this process (``CliRunner``) installs its own handling and, once stopped, ignores
    both, which every later test's children would inherit (a Python child started with
    Ctrl-C ignored keeps it ignored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in kept.items():
        if handler is not None and signal.getsignal(number) is not handler:
            signal.signal(number, handler)


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    """A threaded local HTTP server on 127.0.0.1."""
    srv = HTTPServer(host="127.0.0.1", threaded=True)
    srv.start()
    yield srv
    srv.clear()
    srv.stop()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty library home; $LINKINDEX_HOME points at it too."""
    path = tmp_path / "home"
    monkeypatch.setenv("LINKINDEX_HOME", str(path))
    return path


@pytest.fixture
def runner() -> CliRunner:
    """A CLI runner for ``linkindex.cli.app`` (every command)."""
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI (``LINKINDEX_REQUIRE_BROWSER=1``) a browser test that skips is a failure.

    A developer's machine without chromium skips the browser tests, saying why; CI
    installs chromium, so a skip there means the browser could not be used.
    """
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and item.get_closest_marker("browser") is not None
        and os.environ.get("LINKINDEX_REQUIRE_BROWSER") == "1"
    ):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"a browser test skipped where chromium is required: {reason}"
