"""The whole flow through the CLI: notes -> import -> crawl -> search, index kept current."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from linkindex.cli import app

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"

CONFIG = """
[crawl]
allow_private_networks = true
per_host_interval = 0
timeout = 5
retries = 0
obey_robots = false

[archive]
enabled = false
"""


def test_crawled_text_is_searchable_without_an_explicit_index_run(
    home: Path, runner: CliRunner, server: HTTPServer, tmp_path: Path
) -> None:
    server.expect_request("/s/KNaFelqk9UO6JYjbPTQohA").respond_with_data(
        (PAGES / "wechat_article.html").read_bytes(), content_type="text/html; charset=utf-8"
    )
    server.expect_request("/gone").respond_with_data("not here", status=404)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "2018-3-1-DL_framework.markdown").write_text(
        "---\ntitle: 框架\ncategory: AI\n---\n\n# Pytorch\n\n## 参考\n\n"
        f"{server.url_for('/s/KNaFelqk9UO6JYjbPTQohA')}\n\n显存不足？\n\n"
        f"{server.url_for('/gone')}\n\n一篇消失的文章\n",
        encoding="utf-8",
    )
    home.mkdir(parents=True)
    (home / "config.toml").write_text(CONFIG, encoding="utf-8")

    assert runner.invoke(app, ["import", str(notes)]).exit_code == 0
    # 梯度累积 is only in the page's text: nothing matches before the crawl.
    before = runner.invoke(app, ["search", "梯度累积", "--json"])
    assert before.exit_code == 1, before.output  # (nothing matches)
    assert json.loads(before.stdout)["total"] == 0

    crawled = runner.invoke(app, ["crawl"])
    assert crawled.exit_code == 0, crawled.output
    assert "index: 2 links written" in crawled.stdout

    after = runner.invoke(app, ["search", "梯度累积", "--json"])
    assert after.exit_code == 0, after.output
    hits = json.loads(after.stdout)["hits"]
    assert [hit["url"] for hit in hits] == [server.url_for("/s/KNaFelqk9UO6JYjbPTQohA")]
    assert hits[0]["status"] == "ok"
    assert "«梯度累积»" in hits[0]["snippet"]

    dead = runner.invoke(app, ["search", "status:dead", "--json"])
    assert [hit["url"] for hit in json.loads(dead.stdout)["hits"]] == [server.url_for("/gone")]
