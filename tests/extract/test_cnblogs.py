from __future__ import annotations

from collections.abc import Callable

from linkindex.extract import extract_page

URL = "https://www.cnblogs.com/zhanggong-ai/p/14523866.html"
Read = Callable[[str], bytes]


def test_post(page_bytes: Read) -> None:
    page = extract_page(page_bytes("cnblogs_article.html"), url=URL)
    assert page.extractor == "cnblogs"
    assert page.verdict == "ok"
    assert page.title == "TensorRT INT8量化原理与校准实践"
    assert page.author == "张工的AI部署笔记"
    assert page.account == "张工的AI部署笔记"
    assert page.published_at == "2021-03-12T10:05:00Z"  # 2021-03-12 18:05 Beijing
    assert page.description.startswith("TensorRT 的 INT8 量化依赖校准")
    assert "二、熵校准" in page.text.split("\n\n")
    assert "校准数据 500 到 1000 张即可，要覆盖真实场景的分布；\n把校准缓存写到文件" in page.text
    assert "posted @" not in page.text and "公告" not in page.text


def test_404_is_dead(page_bytes: Read) -> None:
    page = extract_page(page_bytes("cnblogs_404.html"), url=URL)
    assert page.verdict == "dead"


def test_cnblogs_markup_on_another_host(page_bytes: Read) -> None:
    page = extract_page(page_bytes("cnblogs_article.html"), url="http://127.0.0.1:8000/post")
    assert page.extractor == "cnblogs"
