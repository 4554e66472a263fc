"""The web UI's safety: loopback only without a token, the token, headers, read-only."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from web_library import make_client

from linkindex.web.safety import CONTENT_SECURITY_POLICY, host_name, is_loopback

if TYPE_CHECKING:
    from starlette.testclient import TestClient

TOKEN = "s3cret-token-123"
LOOPBACK = "http://127.0.0.1:8765"
OUTSIDE = "http://192.168.1.20:8765"


def client_for(home: Path, base_url: str, token: str | None = None) -> TestClient:
    return make_client(home, base_url, token=token)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.5.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("192.168.1.20", False),
        ("::", False),
        ("example.com", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_host_header_names() -> None:
    assert host_name("127.0.0.1:8765") == "127.0.0.1"
    assert host_name("[::1]:8765") == "::1"
    assert host_name("localhost") == "localhost"


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/health", "/api/topics", "/static/style.css", "/nowhere"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY


def test_the_ui_is_read_only(client: TestClient) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = client.request(method, "/api/search")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD"


def test_without_token_only_loopback_names_are_answered(web_home: Path) -> None:
    """A page on another name (DNS rebinding, a LAN address) is refused."""
    assert client_for(web_home, "http://localhost:8765").get("/").status_code == 200
    refused = client_for(web_home, OUTSIDE).get("/api/topics")
    assert refused.status_code == 403
    assert "--token" in refused.text
    assert client_for(web_home, "http://attacker.example").get("/").status_code == 403


def test_beyond_loopback_a_request_without_the_token_is_refused(web_home: Path) -> None:
    client = client_for(web_home, OUTSIDE, token=TOKEN)
    for path in ("/", "/api/search?q=x", "/static/app.js", "/link/1"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "content-security-policy" in response.headers
    assert client.get("/", headers={"Authorization": "Bearer wrong-token"}).status_code == 401
    client.cookies.set("linkindex_token", "wrong")
    assert client.get("/").status_code == 401


def test_the_token_as_bearer_header(web_home: Path) -> None:
    client = client_for(web_home, OUTSIDE, token=TOKEN)
    response = client.get("/api/topics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.json()["topics"]


def test_the_token_in_the_address_sets_a_cookie_and_is_dropped(web_home: Path) -> None:
    client = client_for(web_home, OUTSIDE, token=TOKEN)
    first = client.get(f"/topics?token={TOKEN}&topic=Pytorch")
    assert first.status_code == 303
    assert first.headers["location"] == "/topics?topic=Pytorch"
    cookie = first.headers["set-cookie"]
    assert "linkindex_token=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower()
    # the browser now carries the cookie on every request
    assert client.get("/topics?topic=Pytorch").status_code == 200
    assert client.get("/static/style.css").status_code == 200


def test_the_api_takes_the_token_in_the_address_without_redirecting(web_home: Path) -> None:
    client = client_for(web_home, OUTSIDE, token=TOKEN)
    assert client.get(f"/api/topics?token={TOKEN}").status_code == 200
    assert client.get("/api/topics?token=nope").status_code == 401


def test_an_unexpected_failure_is_a_500_with_the_headers(
    web_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkindex.web import views

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "current_links", broken)
    client = make_client(web_home, LOOPBACK, raise_server_exceptions=False)
    response = client.get("/api/topics")
    assert response.status_code == 500
    assert response.json()["error"].startswith("internal error: RuntimeError")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page = client.get("/topics")
    assert page.status_code == 500
    assert "content-security-policy" in page.headers


def test_a_search_in_the_ui_writes_not_even_the_index(tmp_path: Path) -> None:
    """A library whose index is behind (a crawl stopped before it indexed its last pages):
    the UI searches the index as it is and takes no lock, so it is safe beside `update`;
    the command line's search catches the index up."""
    from web_library import build, make_client

    from linkindex import indexing, search
    from linkindex.store import LibraryLock, Store

    home = tmp_path / "home"
    build(home)
    with Store(home) as store:
        link_id = store.find_link("https://mp.weixin.qq.com/s/Abc123PyTorchMemory")
        assert link_id is not None
        with store.transaction():
            store.conn.execute("UPDATE links SET status='blocked' WHERE id=?", (link_id,))
            store.touch([link_id])
    with make_client(home, "http://127.0.0.1:8765") as client:
        found = client.get("/api/search", params={"q": "pytorch", "status": "blocked"})
        assert link_id not in [hit["link_id"] for hit in found.json()["hits"]]
        assert client.get(f"/link/{link_id}").status_code == 200  # its related links too
        with Store(home) as store:
            assert indexing.check(store, home).behind == 1  # the UI left the index as it was
        with LibraryLock(home):  # as `update` holds it: the UI does not need it
            assert client.get("/api/search", params={"q": "pytorch"}).status_code == 200
    assert link_id in [hit.link_id for hit in search.search(home, "pytorch status:blocked").hits]
