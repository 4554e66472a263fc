"""``linkindex crawl`` and ``linkindex show`` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Response

from crawl_servers import LOCAL_CONFIG, add_links, fixture
from linkindex.cli import app
from linkindex.store import LibraryLock, Store


@pytest.fixture
def library(home: Path, server: HTTPServer) -> dict[str, str]:
    """A library with one good link placed in a note and one dead link."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(LOCAL_CONFIG, encoding="utf-8")
    server.expect_request("/good").respond_with_data(
        fixture("article.html"), content_type="text/html"
    )
    server.expect_request("/gone").respond_with_data("no", status=404)
    urls = {"good": server.url_for("/good"), "gone": server.url_for("/gone")}
    with Store(home) as store:
        good, _gone = add_links(store, urls.values())
        with store.transaction():
            note = store.conn.execute(
                "INSERT INTO notes(path, title) VALUES('/notes/2024-1-1-dl.md', 'DL notes')"
            ).lastrowid
            store.conn.execute(
                "INSERT INTO placements(link_id, note_id, line, topic, title, label, description) "
                "VALUES(?, ?, 12, '[\"Pytorch\", \"参考\"]', '梯度检查点', '教程', '用算力换显存')",
                (good, note),
            )
    return urls


def test_crawl_prints_lines_and_a_summary_table(
    runner: CliRunner, home: Path, library: dict[str, str]
) -> None:
    result = runner.invoke(app, ["crawl", "--home", str(home)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"ok           web      {library['good']}" in lines
    assert f"dead         web      {library['gone']}  HTTP 404" in lines  # and why
    assert any(line.split() == ["site", "ok", "dead", "total"] for line in lines)
    assert any(line.split() == ["web", "1", "1", "2"] for line in lines)
    assert any(line.startswith("crawled 2 of 2 links") for line in lines)
    again = runner.invoke(app, ["crawl", "--home", str(home)])
    assert "nothing is due" in again.output


def test_crawl_json(runner: CliRunner, home: Path, library: dict[str, str]) -> None:
    result = runner.invoke(app, ["crawl", "--home", str(home), "--json", "--status", "new"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["counts"] == {"ok": 1, "dead": 1}
    assert data["by_site"] == {"web": {"ok": 1, "dead": 1}}
    assert data["interrupted"] is False
    again = runner.invoke(app, ["crawl", "--home", str(home), "--json", "--all", "--limit", "1"])
    assert json.loads(again.output)["done"] == 1


def test_crawl_rejects_bad_options_and_empty_libraries(runner: CliRunner, home: Path) -> None:
    empty = runner.invoke(app, ["crawl", "--home", str(home)])
    assert empty.exit_code == 1
    assert "linkindex import" in empty.output
    bad = runner.invoke(app, ["crawl", "--home", str(home), "--site", "myspace"])
    assert bad.exit_code == 1
    assert "unknown site 'myspace'" in bad.output


def test_crawl_selections_that_match_nothing(
    runner: CliRunner, home: Path, library: dict[str, str]
) -> None:
    unknown = runner.invoke(app, ["crawl", "--home", str(home), "--topic", "Rust > 参考"])
    assert unknown.exit_code == 1
    assert "no heading matches the topic 'Rust > 参考'" in unknown.output
    assert "linkindex topics" in unknown.output
    none = runner.invoke(app, ["crawl", "--home", str(home), "--all", "--status", "dead"])
    assert none.exit_code == 0
    assert none.output.startswith("no link matches;")
    under = runner.invoke(app, ["crawl", "--home", str(home), "--topic", "pytorch > 参考"])
    assert under.exit_code == 0, under.output
    assert "crawled 1 of 1 links" in under.output


def test_crawl_in_a_mistyped_home_leaves_no_folder(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-library"
    result = runner.invoke(app, ["crawl", "--home", str(missing)])
    assert result.exit_code == 1
    assert "linkindex import" in result.output
    assert not missing.exists()


def test_a_bad_ca_file_stops_the_crawl_before_any_link_fails(
    runner: CliRunner, home: Path, library: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(home / "missing.pem"))
    result = runner.invoke(app, ["crawl", "--home", str(home)])
    assert result.exit_code == 1
    assert result.output.startswith("error: SSL_CERT_FILE=")
    assert len(result.output.splitlines()) == 1
    with Store(home) as store:
        assert store.library_stats()["by_status"] == {"new": 2}  # nothing recorded as failed


def test_crawl_refuses_while_another_writer_runs(
    runner: CliRunner, home: Path, library: dict[str, str]
) -> None:
    with LibraryLock(home):
        result = runner.invoke(app, ["crawl", "--home", str(home)])
    assert result.exit_code == 1
    assert "another linkindex" in result.output


def test_show_page_placements_and_history(
    runner: CliRunner, home: Path, library: dict[str, str]
) -> None:
    runner.invoke(app, ["crawl", "--home", str(home)])
    result = runner.invoke(app, ["show", library["good"], "--home", str(home)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.splitlines()[0] == library["good"]
    assert "status:     ok (HTTP 200)" in out
    assert "/notes/2024-1-1-dl.md:12  [Pytorch > 参考]" in out
    assert "    教程: 梯度检查点\n    用算力换显存\n" in out  # label: title, then description
    assert "title:      Gradient checkpointing explained" in out
    assert "recomputes the rest" in out
    assert "fetch history (1 latest):" in out
    assert out.rstrip().splitlines()[-1].endswith("ms  1 try")
    data = json.loads(runner.invoke(app, ["show", library["good"], "--json"]).output)
    assert data["status"] == "ok"
    assert data["page"]["title"] == "Gradient checkpointing explained"
    assert data["placements"][0]["topic"] == ["Pytorch", "参考"]
    assert [f["outcome"] for f in data["fetches"]] == ["ok"]
    assert len(data["snapshots"]) == 1
    dead = runner.invoke(app, ["show", library["gone"], "--home", str(home)]).output
    assert "status:     dead (HTTP 404)" in dead
    assert "page: none stored yet" in dead


def test_show_says_which_extractor_produced_the_text(
    runner: CliRunner, home: Path, server: HTTPServer, library: dict[str, str]
) -> None:
    # A Zhihu page of a kind the Zhihu extractor has no text for: the generic one reads it.
    page = (Path(__file__).parent / "fixtures" / "pages" / "zhihu_zvideo.html").read_bytes()
    server.expect_request("/zvideo/1623456789012345678").respond_with_data(
        page, content_type="text/html; charset=utf-8"
    )
    url = server.url_for("/zvideo/1623456789012345678")
    with Store(home) as store:
        add_links(store, [url])
    assert runner.invoke(app, ["crawl"]).exit_code == 0
    out = runner.invoke(app, ["show", url]).output.splitlines()
    [line] = [line for line in out if line.startswith("page (")]
    assert line.startswith("page (text by web, after zhihu found none, ")
    assert "  title:      十分钟看懂 FlashAttention 的显存优化" in out
    assert any("FlashAttention 的做法是分块" in line for line in out)
    good = runner.invoke(app, ["show", library["good"]]).output
    assert "\npage (web, " in good  # a page its own extractor read says just that
    data = json.loads(runner.invoke(app, ["show", url, "--json"]).output)
    assert (data["page"]["extractor"], data["page"]["extra"]["text_fallback_from"]) == (
        "web",
        "zhihu",
    )


@pytest.mark.parametrize("damage", ["overwritten", "truncated", "deleted"])
def test_doctor_checks_snapshot_bytes_and_repair_refetches_them(
    runner: CliRunner, home: Path, server: HTTPServer, library: dict[str, str], damage: str
) -> None:
    import gzip

    from linkindex.snapshots import Snapshots

    server.clear_all_handlers()  # the same page, now with an ETag (a 304 would bring no body)
    server.expect_request("/good").respond_with_data(
        fixture("article.html"), content_type="text/html", headers={"ETag": '"v1"'}
    )
    server.expect_request("/gone").respond_with_data("no", status=404)
    assert runner.invoke(app, ["crawl"]).exit_code == 0
    assert runner.invoke(app, ["doctor"]).output.splitlines()[-1] == "ok"
    with Store(home) as store:
        [digest] = store.snapshot_hashes()
        etag = store.conn.execute("SELECT etag FROM links WHERE url=?", (library["good"],))
        assert etag.fetchone()[0] == '"v1"'
    snapshots = Snapshots(home)
    stored = snapshots.path(digest)
    if damage == "overwritten":  # still a valid gzip, of other bytes
        stored.write_bytes(gzip.compress(b"<html>something else</html>"))
    elif damage == "truncated":
        stored.write_bytes(stored.read_bytes()[:20])
    else:
        stored.unlink()

    found = runner.invoke(app, ["doctor"])
    assert found.exit_code == 1
    kind = "are missing" if damage == "deleted" else "do not match their sha256 name"
    assert f"problem: 1 snapshot files {kind}" in found.output
    data = json.loads(runner.invoke(app, ["doctor", "--json"]).output)
    assert data["missing_snapshots" if damage == "deleted" else "damaged_snapshots"] == [digest]

    repaired = runner.invoke(app, ["doctor", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "marked 1 link for a re-fetch" in repaired.output
    assert not stored.exists()  # a damaged file is gone, so the re-fetch writes it again
    waiting = runner.invoke(app, ["doctor"])  # until the crawl: waiting, no problem
    assert waiting.exit_code == 0, waiting.output
    assert waiting.output.splitlines()[-2:] == [
        "waiting for a re-crawl: 1 lost snapshot (the next `linkindex crawl` fetches their "
        "links again)",
        "ok",
    ]

    assert runner.invoke(app, ["crawl"]).exit_code == 0  # due again, fetched in full
    requests = [entry[0] for entry in server.log if entry[0].path == "/good"]
    assert len(requests) == 2
    assert "If-None-Match" not in requests[-1].headers
    assert snapshots.verify(digest)
    assert runner.invoke(app, ["doctor"]).output.splitlines()[-1] == "ok"


def test_show_finds_a_link_by_where_it_redirected(
    runner: CliRunner, home: Path, server: HTTPServer, library: dict[str, str]
) -> None:
    server.expect_request("/old").respond_with_response(
        Response(status=301, headers={"Location": "/new"})
    )
    server.expect_request("/new").respond_with_data(
        fixture("article.html"), content_type="text/html"
    )
    with Store(home) as store:
        add_links(store, [server.url_for("/old")])
    runner.invoke(app, ["crawl", "--home", str(home)])
    result = runner.invoke(app, ["show", server.url_for("/new")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == server.url_for("/old")
    assert f"final url:  {server.url_for('/new')}" in result.output


def test_show_unknown_url_exits_1_with_a_hint(
    runner: CliRunner, home: Path, library: dict[str, str]
) -> None:
    result = runner.invoke(app, ["show", "https://example.com/nothing", "--home", str(home)])
    assert result.exit_code == 1
    assert "not in the library" in result.output
    assert "linkindex search" in result.output


def test_help_has_examples(runner: CliRunner) -> None:
    for name in ("crawl", "show"):
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output


def test_command_line_overrides_interval_and_concurrency() -> None:
    from linkindex.cli.crawling import _overrides
    from linkindex.config import Settings

    settings = _overrides(Settings(), concurrency=4, interval=0.5)
    assert settings.crawl.concurrency == 4
    assert settings.crawl.per_host_interval == 0.5
    assert settings.site("wechat").per_host_interval is None  # --interval is for every site
    assert settings.site("wechat").per_host_concurrency == 1
    assert _overrides(Settings(), None, None) == Settings()
