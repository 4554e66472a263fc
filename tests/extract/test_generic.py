from __future__ import annotations

from collections.abc import Callable

from linkindex.extract import extract_page

Read = Callable[[str], bytes]
BLOG = "https://laowang.dev/2022/04/18/cuda-unified-memory/"


def test_blog_article(page_bytes: Read) -> None:
    page = extract_page(page_bytes("blog_article.html"), url=BLOG)
    assert page.extractor == "web"
    assert page.verdict == "ok"
    assert page.title == "深入理解 CUDA 统一内存"
    assert page.author == "王建国"
    assert page.account == "老王的技术小站"
    assert page.published_at == "2022-04-18T12:30:00Z"
    assert page.language == "zh"
    assert page.description.startswith("统一内存（Unified Memory）让 CPU 和 GPU")
    assert "页迁移机制" in page.text.split("\n\n")
    assert "cudaMemPrefetchAsync" in page.text
    # navigation, comments and footer are not main text
    for noise in ("归档", "评论加载中", "强力驱动", "NCCL AllReduce 原理"):
        assert noise not in page.text


def test_gbk_page_declared_in_meta(page_bytes: Read) -> None:
    page = extract_page(
        page_bytes("gbk_meta.html"), url="http://bbs.example.cn/thread-1024-1-1.html"
    )
    assert page.title == "卷积算法实现对比：im2col、FFT与Winograd"
    assert "Winograd 算法以 F(2x2, 3x3) 为例" in page.text
    assert page.published_at == "2019-11-02T00:00:00Z"  # not the footer's copyright year


def test_gbk_page_declared_only_in_the_header(page_bytes: Read) -> None:
    page = extract_page(
        page_bytes("gbk_header.html"),
        url="http://bbs.example.cn/thread-1025-1-1.html",
        headers={"Content-Type": "text/html; charset=GBK"},
    )
    assert page.title == "Winograd卷积在ARM上的优化"
    assert "深度可分离卷积则用专门手写的汇编内核" in page.text


def test_binary_body_gets_a_title_from_the_url() -> None:
    page = extract_page(
        b"\x89PNG\r\n\x1a\n\x00\x00",
        url="https://example.com/img/arch%20diagram.png",
        headers={"content-type": "image/png"},
    )
    assert page.extractor == "binary"
    assert page.title == "arch diagram.png"
    assert page.text == ""
    assert page.extra["content_type"] == "image/png"


def test_json_from_other_sites_is_not_read_as_a_page() -> None:
    page = extract_page(
        b'{"ok": true}',
        url="https://api.example.com/v1/items",
        headers={"content-type": "application/json"},
    )
    assert page.extractor == "binary"


def test_plain_text() -> None:
    body = "显存优化笔记\n\n1. 梯度累积\n2. 混合精度\n".encode()
    page = extract_page(
        body,
        url="https://example.com/notes.txt",
        headers={"content-type": "text/plain; charset=utf-8"},
    )
    assert page.title == "显存优化笔记"
    assert "2. 混合精度" in page.text


def test_html_without_content_type_is_sniffed() -> None:
    body = b"<!DOCTYPE html><html><head><title>Hello</title></head><body><p>x</p></body></html>"
    page = extract_page(
        body, url="https://example.com/", headers={"content-type": "application/octet-stream"}
    )
    assert page.title == "Hello"


def test_empty_body() -> None:
    page = extract_page(b"", url="https://example.com/empty", headers={"content-type": "text/html"})
    assert page.title == "empty"
    assert page.text == ""
