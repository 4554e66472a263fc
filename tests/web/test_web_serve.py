"""The ``serve`` command: its refusals, and a real server answering over HTTP."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from web_server import Server

from linkindex.cli import app


def test_serve_refuses_a_public_address_without_a_token(runner: CliRunner, web_home: Path) -> None:
    result = runner.invoke(app, ["serve", "--home", str(web_home), "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "--token" in result.output


def test_serve_refuses_a_short_token(runner: CliRunner, web_home: Path) -> None:
    result = runner.invoke(
        app, ["serve", "--home", str(web_home), "--host", "192.168.1.5", "--token", "abc"]
    )
    assert result.exit_code == 1
    assert "too short" in result.output


def test_serve_without_a_library_says_how_to_make_one(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--home", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "linkindex import" in result.output
    assert not (tmp_path / "empty" / "linkindex.db").exists()


def test_serve_on_a_port_in_use_says_so(runner: CliRunner, web_home: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", "--home", str(web_home), "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: cannot listen on 127.0.0.1:{port} (")
    assert "another --port" in result.output


def test_serve_help_has_an_example(runner: CliRunner) -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "linkindex serve --open" in result.output
    assert "--token" in result.output


def test_a_real_server_answers_on_loopback_and_demands_the_token_beyond(web_home: Path) -> None:
    local = Server(web_home)
    try:
        with urllib.request.urlopen(local.url + "/api/topics", timeout=10) as response:
            assert response.status == 200
            assert "default-src 'self'" in response.headers["Content-Security-Policy"]
            assert response.headers.get("Server") is None
    finally:
        local.stop()
    exposed = Server(web_home, "--host", "0.0.0.0", "--token", "a-long-enough-token")
    try:
        try:
            urllib.request.urlopen(exposed.url + "/api/topics", timeout=10)
            raise AssertionError("a request without the token was answered")
        except urllib.error.HTTPError as refused:
            assert refused.code == 401
        request = urllib.request.Request(
            exposed.url + "/api/topics",
            headers={"Authorization": "Bearer a-long-enough-token"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
    finally:
        exposed.stop()


def test_serve_hands_the_app_to_uvicorn_and_opens_the_browser(
    runner: CliRunner, web_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import webbrowser

    import uvicorn

    served: dict[str, Any] = {}
    opened = threading.Event()
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(options, app=app))
    monkeypatch.setattr(webbrowser, "open", lambda url: served.update(url=url) or opened.set())
    result = runner.invoke(
        app,
        [
            "serve",
            "--home",
            str(web_home),
            "--host",
            "0.0.0.0",
            "--port",
            "9876",
            "--token",
            "a-long-enough-token",
            "--open",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("0.0.0.0", 9876)
    assert served["app"].state.home == web_home
    assert "http://127.0.0.1:9876/" in result.output
    assert opened.wait(5)
    assert served["url"] == "http://127.0.0.1:9876/?token=a-long-enough-token"
