"""Figures in the web UI: the reader shows them where they stood, served by the library."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from web_library import WECHAT_FIGURES

from linkindex.snapshots import content_hash
from linkindex.web.safety import CONTENT_SECURITY_POLICY

if TYPE_CHECKING:
    from starlette.testclient import TestClient

WECHAT = "https://mp.weixin.qq.com/s/Abc123PyTorchMemory"
SHAS = [content_hash(body) for _url, _after, body, _alt in WECHAT_FIGURES]


def test_the_reader_shows_each_figure_after_its_paragraph(
    client: TestClient, library: dict[str, int]
) -> None:
    page = client.get(f"/link/{library[WECHAT]}/read").text
    text = page[page.index('<div class="text"') :]
    blocks = re.findall(r'<p>([^<]{0,12})|<img src="([^"]+)"', text)
    order = [f"img {src}" if src else words for words, src in blocks][:5]
    assert order == [
        f"img /image/{SHAS[0]}",  # before the first paragraph
        "训练大模型时经常遇到 C",
        "优化方法：混合精度训练、",
        f"img /image/{SHAS[1]}",  # after the second
        "&lt;script&g",
    ]
    # the pictures come from the library, never from the host they were found on
    assert "mmbiz.qpic.cn" not in page
    assert 'alt="显存占用示意图" width="480" height="270"' in page
    assert 'alt="&#34;&gt;&lt;script&gt;alert(3)&lt;/script&gt;"' in page
    assert "<script>alert(3)" not in page


def test_an_image_is_served_with_its_type_and_a_long_cache(client: TestClient) -> None:
    response = client.get(f"/image/{SHAS[0]}")
    assert response.status_code == 200
    assert response.content == WECHAT_FIGURES[0][2]
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "img-src 'self' data:" in response.headers["content-security-policy"]
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert client.head(f"/image/{SHAS[0]}").status_code == 200


def test_only_images_the_library_shows_are_served(client: TestClient) -> None:
    unknown = content_hash(b"never stored")
    assert client.get(f"/image/{unknown}").status_code == 404
    assert client.get("/image/../../linkindex.db").status_code == 404
    assert client.get("/image/" + SHAS[0].upper()).status_code == 404
    assert client.get("/api/link/1").json()  # (the library is there)


def test_the_api_lists_a_links_figures(client: TestClient, library: dict[str, int]) -> None:
    data = client.get(f"/api/link/{library[WECHAT]}").json()
    assert [(image["sha256"], image["paragraph"], image["src"]) for image in data["images"]] == [
        (SHAS[0], 0, f"/image/{SHAS[0]}"),
        (SHAS[1], 2, f"/image/{SHAS[1]}"),
    ]
    assert data["images"][0]["url"] == WECHAT_FIGURES[0][0]
    assert (data["images"][0]["width"], data["images"][0]["height"]) == (480, 270)
