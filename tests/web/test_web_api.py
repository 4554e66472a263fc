"""The JSON API under /api/: every route, its shapes and its answers to bad parameters."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from web_library import HOSTILE_TITLE, WECHAT_TITLE, build, make_client

from linkindex.export import FORMATS

if TYPE_CHECKING:
    from starlette.testclient import TestClient

WECHAT = "https://mp.weixin.qq.com/s/Abc123PyTorchMemory"


def test_browsing_without_a_query_lists_every_link_newest_first(client: TestClient) -> None:
    data = client.get("/api/search").json()
    assert data["total"] == 37  # 7 hand-made links and 30 bulk ones
    assert data["pages"] == 2
    ids = [hit["link_id"] for hit in data["hits"]]
    assert ids == sorted(ids, reverse=True)
    assert data["facets"]["sites"] == {
        "wechat": 1,
        "zhihu": 1,
        "github": 1,
        "csdn": 1,
        "cnblogs": 1,
        "web": 32,
    }
    assert data["facets"]["statuses"] == {"new": 31, "ok": 4, "dead": 1, "blocked": 1}
    pytorch = next(t for t in data["facets"]["topics"] if t["name"] == "Pytorch")
    assert pytorch["count"] == 3
    assert {c["topic"]: c["count"] for c in pytorch["children"]} == {
        "Pytorch > 参考": 1,
        "Pytorch > 教程": 1,
    }
    assert all(hit["page"] == f"/link/{hit['link_id']}" for hit in data["hits"])


def test_filters_narrow_the_results_and_the_facets(client: TestClient) -> None:
    data = client.get("/api/search", params={"topic": "Pytorch", "status": "ok"}).json()
    assert data["total"] == 3
    assert {hit["site"] for hit in data["hits"]} == {"wechat", "zhihu", "github"}
    assert data["facets"]["statuses"] == {"ok": 3}
    assert data["query"]["topic"] == "Pytorch"
    deeper = client.get("/api/search", params={"topic": "Pytorch>参考"}).json()
    assert [hit["title"] for hit in deeper["hits"]] == [WECHAT_TITLE]
    assert client.get("/api/search", params={"site": "csdn"}).json()["total"] == 1


def test_pages_of_results(client: TestClient) -> None:
    first = client.get("/api/search", params={"limit": 3}).json()
    last = client.get("/api/search", params={"limit": 3, "page": 13}).json()
    assert first["pages"] == 13
    assert len(first["hits"]) == 3
    assert len(last["hits"]) == 1
    assert not {h["link_id"] for h in first["hits"]} & {h["link_id"] for h in last["hits"]}
    beyond = client.get("/api/search", params={"limit": 3, "page": 14}).json()
    assert beyond["hits"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page": "0"}, "page must be between"),
        ({"page": "two"}, "page must be a whole number"),
        ({"limit": "1000"}, "limit must be between"),
        ({"limit": "-1"}, "limit must be between"),
        ({"site": "myspace"}, "unknown site"),
        ({"status": "alive"}, "unknown status"),
        ({"q": "x" * 501}, "longer than"),
    ],
)
def test_bad_search_parameters_are_400_with_a_reason(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get("/api/search", params=params)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_a_chinese_query_finds_the_article_with_its_terms_highlighted(client: TestClient) -> None:
    data = client.get("/api/search", params={"q": "显存优化"}).json()
    assert data["total"] >= 1
    first = data["hits"][0]
    assert first["title"] == WECHAT_TITLE
    assert (
        "<mark>" in first["snippet"] or "<strong>" in first["snippet"] or "<b>" in first["snippet"]
    )
    assert "wechat" in data["facets"]["sites"]


def test_a_link_with_placements_page_text_and_fetches(
    client: TestClient, library: dict[str, int]
) -> None:
    data = client.get(f"/api/link/{library[WECHAT]}").json()
    assert data["title"] == WECHAT_TITLE
    assert data["site"] == "wechat"
    assert data["placements"][0]["topic"] == ["Pytorch", "参考"]
    assert data["placements"][0]["note_title"] == "深度学习框架"
    assert "显存" in data["text"]
    assert [f["outcome"] for f in data["fetches"]] == ["ok"]
    assert isinstance(data["related"], list)
    assert all(hit["link_id"] != library[WECHAT] for hit in data["related"])


def test_a_link_found_by_any_form_of_its_address(
    client: TestClient, library: dict[str, int]
) -> None:
    shared = WECHAT + "?scene=21#wechat_redirect"
    data = client.get("/api/link", params={"url": shared}).json()
    assert data["id"] == library[WECHAT]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/link/999", 404),
        ("/api/link?url=https://nowhere.example/", 404),
        ("/api/link", 400),
        ("/api/link?url=not%20a%20url", 400),
        ("/api/link/abc", 404),
        ("/api/nothing", 404),
    ],
)
def test_bad_link_requests(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.json()["status"] == status
    assert response.json()["error"]


def test_topics_tree_and_one_topics_links(client: TestClient) -> None:
    tree = client.get("/api/topics").json()["topics"]
    assert {node["name"]: node["count"] for node in tree} == {
        "Pytorch": 3,
        "NN中间语言": 1,
        "线性代数": 1,
        "工具": 2,
        "批量": 30,
    }
    one = client.get("/api/topics", params={"topic": "工具"}).json()
    assert one["topic"]["count"] == 2
    assert {link["title"] for link in one["links"]} == {HOSTILE_TITLE, "Emacs 快捷键"}
    missing = client.get("/api/topics", params={"topic": "没有这个"})
    assert missing.status_code == 404


def test_health_figures_and_the_latest_update(client: TestClient) -> None:
    data = client.get("/api/health").json()
    assert data["outcome_by_site"]["csdn"] == {"dead": 1}
    assert data["outcome_by_site"]["web"] == {"new": 31, "ok": 1}
    years = {row["year"]: row for row in data["dead_by_note_year"]}
    assert years["2018"]["dead"] == 1
    assert years["2018"]["checked"] == 4
    assert years["2018"]["share"] == pytest.approx(0.25)
    assert years["2023"]["checked"] == 1  # the never-fetched link says nothing about rot
    latest = data["latest_update"]
    assert latest["counts"]["dead"] == 1
    assert latest["dead"][0]["title"] == "ONNX 模型转换踩坑"


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_a_topic_in_every_format(client: TestClient, fmt: str) -> None:
    response = client.get("/api/export", params={"topic": "Pytorch > 参考", "format": fmt})
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''linkindex-Pytorch-%E5%8F%82%E8%80%83" in disposition
    assert response.content


def test_export_as_markdown_holds_the_topics_links(client: TestClient) -> None:
    response = client.get("/api/export", params={"topic": "Pytorch", "format": "md"})
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert WECHAT_TITLE in text
    assert "PyTorch 入门教程" in text
    assert "ONNX" not in text


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"topic": "Pytorch", "format": "docx"}, 400),
        ({"topic": "没有这个", "format": "md"}, 404),
        ({"site": "nowhere", "format": "md"}, 400),
    ],
)
def test_bad_export_requests(client: TestClient, params: dict[str, str], status: int) -> None:
    assert client.get("/api/export", params=params).status_code == status


def test_an_empty_home_explains_what_to_do(tmp_path: Path) -> None:
    with make_client(tmp_path / "nothing", "http://127.0.0.1:8765") as client:
        response = client.get("/api/search")
        assert response.status_code == 503
        assert "linkindex import" in response.json()["error"]
        page = client.get("/")
        assert page.status_code == 503
        assert "linkindex import" in page.text
    assert not (tmp_path / "nothing" / "linkindex.db").exists()


def test_pages_follow_the_library_as_it_changes(tmp_path: Path) -> None:
    """A running server shows what an import or crawl changed without a restart."""
    from linkindex.store import Store

    home = tmp_path / "home"
    ids = build(home)
    with make_client(home, "http://127.0.0.1:8765") as client:
        assert client.get("/api/search").json()["total"] == 7
        store = Store(home)
        try:
            with store.transaction():
                store.conn.execute("UPDATE links SET status='dead' WHERE id=?", (ids[WECHAT],))
                store.touch([ids[WECHAT]])
        finally:
            store.close()
        data = client.get("/api/search", params={"status": "dead"}).json()
        assert {hit["link_id"] for hit in data["hits"]} >= {ids[WECHAT]}
        assert client.get("/api/topics").json()["topics"]
