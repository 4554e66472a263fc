"""Figures through the command line: crawl, show, stats, doctor, and removed links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Response

from image_bytes import jpeg_header, png
from linkindex.cli import app
from linkindex.snapshots import Images, content_hash

CONFIG = """
[crawl]
allow_private_networks = true
per_host_interval = 0
timeout = 2
retries = 0
obey_robots = false

[archive]
enabled = false

[images]
per_host_interval = 0
"""
WORDS = "<p>" + "Activation checkpointing trades compute for memory in every layer. " * 4 + "</p>"
DIAGRAM = png(320, 180, (20, 80, 160))
CURVE = jpeg_header(640, 360)


def article(title: str, *figures: str) -> Response:
    images = "".join(f'<p><img src="{path}" alt="{path}"></p>{WORDS}' for path in figures)
    body = (
        f"<html><head><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{WORDS}{images}</article></body></html>"
    )
    return Response(body, content_type="text/html; charset=utf-8")


@pytest.fixture
def urls(home: Path, tmp_path: Path, server: HTTPServer, runner: CliRunner) -> dict[str, str]:
    """Notes with two articles that share a diagram (one also has a curve), imported."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(CONFIG, encoding="utf-8")
    server.expect_request("/one").respond_with_response(
        article("One", "/img/diagram.png", "/img/curve.jpg")
    )
    server.expect_request("/two").respond_with_response(article("Two", "/img/diagram.png"))
    server.expect_request("/img/diagram.png").respond_with_data(DIAGRAM, content_type="image/png")
    server.expect_request("/img/curve.jpg").respond_with_data(CURVE, content_type="image/jpeg")
    found = {"one": server.url_for("/one"), "two": server.url_for("/two")}
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "2024-1-1-memory.md").write_text(
        f"# 显存\n\n{found['one']}\n\n第一篇\n\n{found['two']}\n\n第二篇\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["import", str(notes), "--home", str(home)])
    assert result.exit_code == 0, result.output
    found["notes"] = str(notes)
    return found


def test_crawl_show_and_stats_tell_of_figures(
    runner: CliRunner, home: Path, urls: dict[str, str]
) -> None:
    crawled = runner.invoke(app, ["crawl", "--home", str(home)])
    assert crawled.exit_code == 0, crawled.output
    new = len(DIAGRAM) + len(CURVE)
    assert (
        f"figures: 3 kept ({new / 1000:.0f} KB new), 0 failed (tried again next time), 0 refused"
        in crawled.output.splitlines()
    )

    shown = runner.invoke(app, ["show", urls["one"], "--home", str(home)]).output
    assert f"  images:     2 ({new / 1000:.0f} KB)" in shown.splitlines()

    data = json.loads(runner.invoke(app, ["show", urls["one"], "--json"]).output)
    base = urls["one"].rsplit("/", 1)[0]
    assert data["images"] == [
        {"url": f"{base}/img/diagram.png", "sha256": content_hash(DIAGRAM),
         "content_type": "image/png", "bytes": len(DIAGRAM), "width": 320, "height": 180},
        {"url": f"{base}/img/curve.jpg", "sha256": content_hash(CURVE),
         "content_type": "image/jpeg", "bytes": len(CURVE), "width": 640, "height": 360},
    ]  # fmt: skip
    assert data["images_not_kept"] == []

    stats = runner.invoke(app, ["stats", "--home", str(home)]).output
    assert f"images:      2 ({new / 1000:.0f} KB), shown by 3 figures" in stats.splitlines()
    numbers = json.loads(runner.invoke(app, ["stats", "--json"]).output)
    assert (numbers["images"], numbers["image_bytes"], numbers["figures"]) == (2, new, 3)


def test_doctor_finds_lost_images_and_the_next_crawl_restores_them(
    runner: CliRunner, home: Path, urls: dict[str, str]
) -> None:
    runner.invoke(app, ["crawl", "--home", str(home)])
    assert runner.invoke(app, ["doctor", "--home", str(home)]).exit_code == 0
    images = Images(home)
    images.path(content_hash(CURVE)).write_bytes(b"\xff\xd8\xff damaged")
    images.remove(content_hash(DIAGRAM))

    checked = runner.invoke(app, ["doctor", "--json", "--home", str(home)])
    assert checked.exit_code == 1
    report = json.loads(checked.output)
    assert sorted(report["bad_images"]) == sorted([content_hash(CURVE), content_hash(DIAGRAM)])
    assert "2 image files are missing or damaged" in report["problems"][0]

    repaired = runner.invoke(app, ["doctor", "--repair", "--home", str(home)])
    assert repaired.exit_code == 0, repaired.output
    assert "forgot 2 missing or damaged images" in repaired.output
    shown = json.loads(runner.invoke(app, ["show", urls["two"], "--json"]).output)
    assert shown["images"] == []
    assert [row["state"] for row in shown["images_not_kept"]] == ["pending"]

    again = runner.invoke(app, ["crawl", "--home", str(home)])  # nothing is due…
    assert "nothing is due" in again.output and "figures: 3 kept" in again.output  # …but these
    assert images.verify(content_hash(CURVE)) and images.verify(content_hash(DIAGRAM))
    assert runner.invoke(app, ["doctor", "--home", str(home)]).exit_code == 0


def test_a_removed_link_leaves_the_images_others_use(
    runner: CliRunner, home: Path, urls: dict[str, str]
) -> None:
    runner.invoke(app, ["crawl", "--home", str(home)])
    note = Path(urls["notes"]) / "2024-1-1-memory.md"
    note.write_text(f"# 显存\n\n{urls['two']}\n\n第二篇\n", encoding="utf-8")  # "one" leaves
    imported = runner.invoke(app, ["import", urls["notes"], "--home", str(home)])
    assert "1 removed" in imported.output
    assert Images(home).verify(content_hash(DIAGRAM))
    kept = json.loads(
        runner.invoke(app, ["show", urls["two"], "--json", "--home", str(home)]).output
    )
    assert [image["sha256"] for image in kept["images"]] == [content_hash(DIAGRAM)]
    assert runner.invoke(app, ["doctor", "--home", str(home)]).exit_code == 0
    stats = json.loads(runner.invoke(app, ["stats", "--json", "--home", str(home)]).output)
    assert (stats["images"], stats["figures"]) == (2, 1)  # files kept; one link still shows one
