"""The crawl with both engines, through the CLI: a Zhihu-like challenge served over TLS
through the tests' CONNECT proxy, with a CA the browser trusts only through
SSL_CERT_FILE; pages written by script; the host's turn and robots.txt kept by the
browser; and what happens without Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from browser_sites import (
    SCRIPTED_POST,
    ZHIHU_TITLE,
    ChallengeSite,
    needs_chromium,
    serve_scripted,
    tls_server,
)
from crawl_servers import Proxy, Recorder, add_links, assert_interval_kept
from linkindex.cli import app
from linkindex.store import Store

ZHIHU = "https://zhuanlan.zhihu.com"
BLOG = "https://blog.example.com"
CONFIG = """
[crawl]
allow_private_networks = false
per_host_interval = 0
timeout = 5
retries = 0
obey_robots = true

[sites.zhihu]
per_host_interval = 0
engine = "{engine}"

[archive]
enabled = false

[browser]
timeout = 20
"""


@dataclass
class Web:
    """The sites of these tests, behind one TLS server and the tests' proxy.

    Its certificate names zhuanlan.zhihu.com and blog.example.com; other.example.org
    reaches the same server, whose certificate is not for it.
    """

    server: HTTPServer
    zhihu: ChallengeSite
    inside: HTTPServer  # a private address a page's script reaches for


@pytest.fixture
def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Web]:
    server, ca_file = tls_server(tmp_path, "zhuanlan.zhihu.com", "blog.example.com")
    inside = HTTPServer(host="127.0.0.1", threaded=True)
    inside.expect_request("/secret").respond_with_data("secret")
    zhihu = ChallengeSite()
    zhihu.serve(server, "/p/1", "/p/2", "/p/3")
    serve_scripted(server, "/post")
    leaky = (
        '<html><head><meta charset="utf-8"><title>内网探测</title></head>'
        '<body><div id="app"></div><script>'
        f'fetch("{inside.url_for("/secret")}").catch(function () {{}});'
        'document.getElementById("app").innerHTML = "<article><p>"'
        ' + "页面的正文由脚本写出，脚本还试图访问内网地址。".repeat(8) + "</p></article>";'
        "</script></body></html>"
    )
    server.expect_request("/leaky").respond_with_data(leaky, content_type="text/html")
    server.start()
    inside.start()
    port = server.port
    names = {
        name: f"127.0.0.1:{port}"
        for name in ("zhuanlan.zhihu.com", "blog.example.com", "other.example.org")
    }
    with Proxy(names) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        for name in ("HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "no_proxy", "SSL_CERT_DIR"):
            monkeypatch.delenv(name, raising=False)
        yield Web(server, zhihu, inside)
    inside.stop()
    server.stop()


def configure(home: Path, engine: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(CONFIG.format(engine=engine), encoding="utf-8")


def cli(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.browser
@needs_chromium
def test_a_challenge_is_blocked_over_http_and_read_in_the_browser(
    home: Path, runner: CliRunner, web: Web
) -> None:
    zhihu = [f"{ZHIHU}/p/{n}" for n in (1, 2, 3)]
    with Store(home) as store:
        ids = add_links(store, [*zhihu, f"{BLOG}/post", f"{BLOG}/leaky"])
        with store.transaction():
            note = store.conn.execute("INSERT INTO notes(path) VALUES('/notes/ai.md')").lastrowid
            for line, link_id in enumerate(ids, 1):
                store.conn.execute(
                    "INSERT INTO placements(link_id, note_id, line) VALUES(?, ?, ?)",
                    (link_id, note, line),
                )

    configure(home, "http")
    first = json.loads(cli(runner, "crawl", "--json"))
    assert first["by_site"] == {"zhihu": {"blocked": 3}, "web": {"ok": 2}}
    assert first["by_engine"] == {"http": 3, "browser": 2}
    assert first["cooled_hosts"] == []  # three challenges in a row are no refusals
    shown = json.loads(cli(runner, "show", zhihu[0], "--json"))
    assert shown["status"] == "blocked"
    assert shown["fetches"][0]["error"] == "JavaScript challenge (zh-zse-ck) (HTTP 403)"
    assert web.zhihu.served == {"challenge": 3}

    configure(home, "auto")
    web.zhihu.served.clear()
    second = cli(runner, "crawl", "--all")
    assert "fetched by: browser 5" in second.splitlines()
    assert not (home / "browser").exists()  # Chromium's scratch folder went with it
    for url in zhihu:
        assert f"ok           zhihu    {url}" in second.splitlines()
    # Plain HTTP met the challenge once, the browser solved it once: the next pages of
    # the host went straight to the browser, with the cookie it had earned.
    assert web.zhihu.served == {"challenge": 2, "script": 1, "article": 3}

    shown = json.loads(cli(runner, "show", zhihu[1], "--json"))
    assert shown["page"]["title"] == ZHIHU_TITLE
    assert shown["page"]["engine"] == "browser"
    assert [f["engine"] for f in shown["fetches"]] == ["browser", "http"]
    lines = cli(runner, "show", zhihu[1]).splitlines()
    assert any(line.startswith("page (zhihu, via browser, ") for line in lines)
    assert any(line.endswith("1 try [browser]") for line in lines)

    hits = json.loads(cli(runner, "search", "NNVM", "--json"))["hits"]
    assert sorted(hit["url"] for hit in hits) == zhihu
    post = json.loads(cli(runner, "show", f"{BLOG}/post", "--json"))
    assert post["page"]["engine"] == "browser"
    assert SCRIPTED_POST["paragraphs"][1] in post["page"]["text"]
    leaky = json.loads(cli(runner, "show", f"{BLOG}/leaky", "--json"))
    assert "脚本还试图访问内网地址" in leaky["page"]["text"]
    assert web.inside.log == []  # the script's request to a private address never left
    assert "fetched by:  browser 5" in cli(runner, "stats").splitlines()


@pytest.mark.browser
@needs_chromium
def test_the_browser_checks_tls_as_strictly_as_http(
    home: Path, runner: CliRunner, web: Web
) -> None:
    # Chromium waives its checks for a chain that presents a CA of SSL_CERT_FILE, host
    # name included; linkindex checks the origin itself first.
    with Store(home) as store:
        add_links(store, [f"{BLOG}/post", "https://other.example.org/post"])
    home.mkdir(parents=True, exist_ok=True)
    config = CONFIG.format(engine="auto") + '\n[sites.web]\nengine = "browser"\n'
    (home / "config.toml").write_text(config, encoding="utf-8")
    summary = json.loads(cli(runner, "crawl", "--json"))
    assert summary["by_engine"] == {"browser": 2}
    post = json.loads(cli(runner, "show", f"{BLOG}/post", "--json"))
    other = json.loads(cli(runner, "show", "https://other.example.org/post", "--json"))
    assert post["status"] == "ok"
    assert other["status"] == "error"
    assert other["error"].startswith("TLS: Hostname mismatch"), other["error"]


def test_without_chromium_a_challenge_says_how_to_get_one(
    home: Path, runner: CliRunner, web: Web, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    zhihu = [f"{ZHIHU}/p/{n}" for n in (1, 2, 3)]
    with Store(home) as store:
        add_links(store, zhihu)
    configure(home, "auto")
    summary = json.loads(cli(runner, "crawl", "--json"))
    assert summary["counts"] == {"blocked": 3}
    assert summary["cooled_hosts"] == []
    error = json.loads(cli(runner, "show", zhihu[2], "--json"))["error"]
    assert error == (
        "JavaScript challenge (zh-zse-ck) (HTTP 403); no Chromium on this machine "
        "(run scripts/install-browser, or set [browser] executable in config.toml)"
    )


def test_engine_browser_without_chromium_stops_at_start(
    home: Path, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    with Store(home) as store:
        add_links(store, [f"{ZHIHU}/p/1"])
    configure(home, "browser")
    result = runner.invoke(app, ["crawl"])
    assert result.exit_code == 1
    assert result.stderr == (
        'error: config.toml: sites.zhihu.engine = "browser" needs Chromium, which this '
        "machine does not have; run scripts/install-browser, or set [browser] executable "
        "in config.toml\n"
    )
    with Store(home) as store:
        assert store.query("SELECT COUNT(*) AS n FROM fetches")[0]["n"] == 0


BROWSER_ONLY = """
[crawl]
allow_private_networks = true
per_host_interval = {interval}
per_host_concurrency = 2
obey_robots = true
timeout = 5
retries = 0

[sites.web]
engine = "browser"

[archive]
enabled = false
"""


@pytest.mark.browser
@needs_chromium
def test_the_browser_keeps_the_hosts_turn_and_robots_txt(
    home: Path, runner: CliRunner, server: HTTPServer
) -> None:
    interval = 0.4
    seen = Recorder()

    def page(request: Request) -> Response:
        seen.add(request.path, {})
        body = f"<html><title>p</title><body><article><p>{'word ' * 80}</p></article>"
        return Response(body, content_type="text/html")

    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private\n")
    server.expect_request("/p").respond_with_handler(page)
    server.expect_request("/private/p").respond_with_handler(page)
    home.mkdir(parents=True)
    (home / "config.toml").write_text(BROWSER_ONLY.format(interval=interval), encoding="utf-8")
    with Store(home) as store:
        ids = add_links(
            store, [*(server.url_for(f"/p?n={n}") for n in range(5)), server.url_for("/private/p")]
        )
    summary = json.loads(cli(runner, "crawl", "--json"))
    assert summary["counts"] == {"ok": 5, "skipped": 1}
    assert summary["by_engine"] == {"browser": 6}
    assert [s.path for s in seen.seen] == ["/p"] * 5  # /private/p never asked for
    assert_interval_kept([s.at for s in seen.seen], interval)
    with Store(home) as store:
        private = store.query("SELECT status, error FROM links WHERE id=?", (ids[-1],))[0]
    assert private == {"status": "skipped", "error": "robots.txt disallows it"}
