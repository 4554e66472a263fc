"""Which extractor reads a body: the bytes before the label, a site's text or the generic one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from linkindex.extract import extract_page
from linkindex.models.pages import Figure

Read = Callable[[str], bytes]
ZVIDEO = "https://www.zhihu.com/zvideo/1623456789012345678"
FIGURES = Path(__file__).resolve().parents[1] / "fixtures" / "figures"
HTML = {"content-type": "text/html; charset=utf-8"}


@pytest.mark.parametrize(
    "content_type", ["application/pdf", "application/octet-stream", "application/json", "image/png"]
)
def test_an_html_page_served_as_something_else_is_read_as_html(
    page_bytes: Read, content_type: str
) -> None:
    page = extract_page(
        page_bytes("blog_article.html"),
        url="https://blog.example.com/cuda-unified-memory.pdf",
        headers={"content-type": content_type},
    )
    assert (page.verdict, page.extractor) == ("ok", "web")
    assert page.title == "深入理解 CUDA 统一内存"
    assert "cudaMallocManaged" in page.text


@pytest.mark.parametrize(
    "start",
    [b"<!DOCTYPE html>", b"\xef\xbb\xbf  <html lang='zh'>", b"<!-- saved -->\n<div>", b"<p>"],
)
def test_html_is_sniffed_by_how_it_starts(start: bytes) -> None:
    body = start + "<title>登录</title><p>请先登录再下载这篇论文。</p>".encode()
    page = extract_page(
        body, url="https://x.example/paper.pdf", headers={"content-type": "application/pdf"}
    )
    assert page.extractor != "pdf"
    assert "请先登录再下载这篇论文" in page.text


def test_text_plain_and_real_pdfs_keep_their_extractors(page_bytes: Read) -> None:
    source = extract_page(
        b"<html><body><p>source</p></body></html>",
        url="https://x.example/page.html.txt",
        headers={"content-type": "text/plain"},
    )
    assert source.text == "<html><body><p>source</p></body></html>"
    pdf = extract_page(
        page_bytes("paper.pdf"), url="https://x.example/a", headers={"content-type": "text/html"}
    )
    assert pdf.extractor == "pdf"
    assert (
        extract_page(
            b"<xml-ish>", url="https://x.example/a.pdf", headers={"content-type": "application/pdf"}
        ).extractor
        == "pdf"
    )


def test_a_site_page_without_main_text_falls_back_to_the_generic_extractor(
    page_bytes: Read,
) -> None:
    page = extract_page(
        page_bytes("zhihu_zvideo.html"),
        url=ZVIDEO,
        headers={"content-type": "text/html; charset=utf-8"},
    )
    assert page.verdict == "ok"
    assert page.title == "十分钟看懂 FlashAttention 的显存优化"
    assert "FlashAttention 的做法是分块" in page.text
    assert "在线 softmax" in page.text
    assert page.extractor == "web"
    assert page.extra["text_fallback_from"] == "zhihu"
    # the figures come with the text they stand in: after its second paragraph
    assert page.figures == [
        Figure("https://pic1.zhimg.com/v2-flashattention-tiling_720w.jpg", 2, "分块计算示意图")
    ]


def test_a_post_made_only_of_pictures_keeps_the_site_page_and_its_figures() -> None:
    page = extract_page(
        (FIGURES / "wechat_pictures.html").read_bytes(),
        url="https://mp.weixin.qq.com/s/Pic9k",
        headers=HTML,
    )
    assert (page.verdict, page.extractor) == ("ok", "wechat")
    assert "text_fallback_from" not in page.extra
    # the site found its article: neither the frame around it (title, author, account,
    # date, the QR code's 微信扫一扫 / 关注该公众号) nor the related articles below it (one
    # quoting 链接已过期, a message of gone articles) replace it or judge it
    assert page.text == ""
    assert (page.title, page.author, page.account) == (
        "一图看懂 GPU 的存储层次",
        "王磊",
        "大模型推理笔记",
    )
    assert page.figures == [
        Figure("http://mmbiz.qpic.cn/mmbiz_png/Pic9kLayers01/640?wx_fmt=png&from=appmsg", 0),
        Figure("http://mmbiz.qpic.cn/mmbiz_png/Pic9kSram02/640?wx_fmt=png", 0),
        Figure("http://mmbiz.qpic.cn/mmbiz_jpg/Pic9kHbm03/640?wx_fmt=jpeg", 0),
    ]


def test_a_zhihu_article_of_pictures_is_no_login_wall() -> None:
    page = extract_page(
        (FIGURES / "zhihu_pictures.html").read_bytes(),
        url="https://zhuanlan.zhihu.com/p/4567890",
        headers=HTML,
    )
    assert (page.verdict, page.extractor, page.text) == ("ok", "zhihu", "")
    assert page.title == "混合精度训练速查表（长图）"
    assert [figure.url for figure in page.figures] == [
        "https://pic1.zhimg.com/v2-cheat001_r.jpg",
        "https://pic3.zhimg.com/v2-cheat002_b.png",
    ]


def test_the_sites_frame_is_no_text() -> None:
    """A WeChat video post: ``#js_content`` holds neither text nor figures, and all the
    generic extractor finds is the frame around it, which is not the page's text."""
    page = extract_page(
        (FIGURES / "wechat_video.html").read_bytes(),
        url="https://mp.weixin.qq.com/s/Vid3k",
        headers=HTML,
    )
    assert (page.verdict, page.extractor, page.text, page.figures) == ("ok", "wechat", "", [])
    assert "text_fallback_from" not in page.extra
    assert page.title == "三分钟看懂 KV Cache（视频）"


def test_the_site_extractor_keeps_pages_it_reads_and_pages_it_judges(page_bytes: Read) -> None:
    article = extract_page(
        page_bytes("zhihu_article.html"), url="https://zhuanlan.zhihu.com/p/43210987"
    )
    assert article.extractor == "zhihu"
    assert "text_fallback_from" not in article.extra
    wall = extract_page(page_bytes("zhihu_signin.html"), url="https://www.zhihu.com/question/1")
    assert (wall.verdict, wall.extractor, wall.text) == ("blocked", "zhihu", "")


def test_fields_from_outside_html_are_printable(page_bytes: Read) -> None:
    plain = extract_page(
        "标题\x1b[2J\x07\n正文\x00内容\ufffe".encode(),
        url="https://x.example/a.txt",
        headers={"content-type": "text/plain; charset=utf-8"},
    )
    assert (plain.title, plain.text) == ("标题", "标题\n正文内容")
    binary = extract_page(b"\x89PNG\r\n", url="https://x.example/%1B%5B2Jlogo.png")
    assert binary.title == "logo.png"
    refusal = json.dumps({"title": "t\x1b]0;x\x07itle"}).encode()
    assert (
        extract_page(
            refusal, url="https://www.zhihu.com/api", headers={"content-type": "application/json"}
        ).title
        == "title"
    )
