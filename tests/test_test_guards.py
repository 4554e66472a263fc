"""The tests' own guards: no test, and no process a test starts, reaches the internet."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import pytest
from pytest_httpserver import HTTPServer

from children import child_env, closed_port
from crawl_servers import fast_settings
from linkindex.fetch import Fetcher
from linkindex.models.pages import FetchResult


@pytest.mark.parametrize("name", ["example.com", "mp.weixin.qq.com", "site-a.test"])
def test_names_are_not_looked_up(name: str) -> None:
    async def in_a_loop() -> object:
        return await asyncio.get_running_loop().getaddrinfo(name, 80)

    for look_up in (
        lambda: socket.getaddrinfo(name, 443),
        lambda: socket.gethostbyname(name),
        lambda: socket.gethostbyname_ex(name),
        lambda: asyncio.run(in_a_loop()),
    ):
        with pytest.raises(socket.gaierror, match="tests may not look up names"):
            look_up()


def test_loopback_and_numeric_addresses_still_resolve() -> None:
    for host in ("localhost", "127.0.0.1", "127.1", "::1", None):
        assert socket.getaddrinfo(host, 80, type=socket.SOCK_STREAM)


def test_a_direct_fetch_of_a_public_name_fails_without_leaving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(variable, raising=False)
        monkeypatch.delenv(variable.lower(), raising=False)

    async def run() -> FetchResult:
        async with Fetcher(fast_settings(retries=0)) as fetcher:
            return await fetcher.fetch("http://example.com/")

    result = asyncio.run(run())
    assert result.outcome == "error"
    assert "tests may not look up names" in result.error


def test_child_processes_can_reach_loopback_only(server: HTTPServer) -> None:
    env = child_env()
    proxy = f"http://127.0.0.1:{closed_port()}"
    assert (env["HTTP_PROXY"], env["https_proxy"], env["ALL_PROXY"]) == (proxy, proxy, proxy)
    assert env["NO_PROXY"] == env["no_proxy"] == "127.0.0.1,localhost"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", closed_port()), timeout=2)
    server.expect_request("/local").respond_with_data("here")
    script = (
        "import sys, urllib.request\n"
        "print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())\n"
        "try:\n"
        "    urllib.request.urlopen('http://example.com/', timeout=5)\n"
        "except OSError as exc:\n"
        "    print('refused' if 'refused' in str(exc).lower() else exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, server.url_for("/local")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.splitlines() == ["here", "refused"]
