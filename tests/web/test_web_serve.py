"""The ``serve`` command: its refusals, and a real server answering over HTTP."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

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
