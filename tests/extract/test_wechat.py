from __future__ import annotations

from collections.abc import Callable

import pytest

from linkindex.extract import extract_page, wechat

URL = "https://mp.weixin.qq.com/s?__biz=MzI4MDYzNzg4Mw==&mid=2247548123&idx=2&sn=5f8a0d7c"
Read = Callable[[str], bytes]


def test_article_fields(page_bytes: Read) -> None:
    page = extract_page(page_bytes("wechat_article.html"), url=URL)
    assert page.extractor == "wechat"
    assert page.verdict == "ok"
    assert page.title == "显存不足？PyTorch显存使用分析与优化"
    assert page.account == "深度学习工坊"
    assert page.author == "李明"
    assert page.published_at == "2023-07-21T02:30:00Z"  # var ct = "1689906600"
    assert page.description.startswith("从torch.cuda.memory_allocated到梯度检查点")
    assert page.language == "zh"
    assert page.figures[0].url.startswith("https://mmbiz.qpic.cn/")


def test_article_text_is_the_hidden_body_as_paragraphs(page_bytes: Read) -> None:
    text = extract_page(page_bytes("wechat_article.html"), url=URL).text
    assert len(text) > 1500
    assert "三、常用的显存优化手段" in text.split("\n\n")
    assert "torch.cuda.memory_allocated()" in text
    assert "梯度累积" in text and "checkpointing" in text
    # code blocks keep their lines and indentation
    assert "\n    loss.backward()\n" in text
    # scripts and page furniture are not text
    assert "__wxgspeeds" not in text and "微信扫一扫" not in text
    assert "  " not in text.replace("    ", "")  # whitespace normalised outside code


def test_publish_time_from_create_time_when_ct_is_missing() -> None:
    html = """<html><body><h1 id="activity-name">标题</h1>
    <div id="js_content"><p>正文内容足够长，长到可以算作一篇文章的正文了。</p></div>
    <script>var createTime = '2023-07-21 10:30';</script></body></html>"""
    page = wechat.extract(html, url=URL)
    assert page.published_at == "2023-07-21T02:30:00Z"  # Beijing time to UTC


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("wechat_deleted.html", "该内容已被发布者删除"),
        ("wechat_violation.html", "此内容因违规无法查看"),
        ("wechat_moved.html", "该公众号已迁移"),
    ],
)
def test_gone_articles_are_dead(page_bytes: Read, name: str, reason: str) -> None:
    page = extract_page(page_bytes(name), url=URL)
    assert page.verdict == "dead"
    assert page.reason == reason
    assert page.text == ""


def test_moved_account_points_at_the_new_article(page_bytes: Read) -> None:
    page = extract_page(page_bytes("wechat_moved.html"), url=URL)
    assert page.moved_to == (
        "https://mp.weixin.qq.com/s?__biz=MzkyNjQ3MTk0Nw==&mid=2247483761&idx=1"
        "&sn=2c6f8e1a9d0b7c3e5f4a6b8d1e2f3a4b"
    )


def test_moved_link_from_script_when_the_page_has_no_button() -> None:
    html = (
        '<html><body><div class="weui-msg"><h2 class="weui-msg__title">该公众号已迁移</h2></div>'
        '<script>var transferTargetLink = "https:\\/\\/mp.weixin.qq.com\\/s'
        '?__biz=QQ==\\x26amp;mid=1";'
        "</script></body></html>"
    )
    page = wechat.extract(html, url=URL)
    assert page.moved_to == "https://mp.weixin.qq.com/s?__biz=QQ==&mid=1"


@pytest.mark.parametrize(
    "message",
    [
        "此帐号已被屏蔽, 内容无法查看",
        "此内容被投诉且经审核涉嫌侵权，无法查看",
        "该内容因违规无法查看",
        "此账号已自主注销，内容无法查看",
        "参数错误",
    ],
)
def test_other_dead_messages(message: str) -> None:
    html = f'<html><body><div class="weui-msg"><h2 class="weui-msg__title">{message}</h2></div>'
    page = wechat.extract(html + "</body></html>", url=URL)
    assert (page.verdict, page.reason) == ("dead", message)


def test_verification_page_is_blocked(page_bytes: Read) -> None:
    page = extract_page(page_bytes("wechat_verify.html"), url=URL)
    assert page.verdict == "blocked"
    assert page.reason == "环境异常"


def test_captcha_redirect_is_blocked() -> None:
    url = "https://mp.weixin.qq.com/mp/wappoc_appmsgcaptcha?poc_token=HPb6&target_url=x"
    page = extract_page(b"<html><body><div id='app'></div></body></html>", url=url)
    assert page.verdict == "blocked"


def test_article_quoting_a_dead_message_is_not_dead(page_bytes: Read) -> None:
    body = page_bytes("wechat_article.html").replace(
        "四、小结".encode(), "四、小结：报错“参数错误”或“环境异常”时怎么办".encode()
    )
    page = extract_page(body, url=URL)
    assert page.verdict == "ok"


def test_repost_keeps_the_comment_and_the_reposted_article(page_bytes: Read) -> None:
    page = extract_page(page_bytes("wechat_repost.html"), url=URL)
    assert page.verdict == "ok"
    assert page.title == "TVM编译器入门：从Relay到TIR"
    assert page.account == "AI编译器笔记"
    assert page.text.startswith("推荐一篇讲 TVM 编译流程的好文")
    assert "Relay IR" in page.text
    assert page.extra["repost_of"] == "https://mp.weixin.qq.com/s/8JxYq2bR4tVnL0cWmKd3aQ"
    assert page.published_at == "2022-04-15T05:20:00Z"


def test_wechat_markup_on_another_host_is_recognised(page_bytes: Read) -> None:
    page = extract_page(
        page_bytes("wechat_article.html"),
        url="http://127.0.0.1:8080/mirror/article.html",
        headers={"Content-Type": "text/html"},
    )
    assert page.extractor == "wechat"
    assert page.account == "深度学习工坊"


def test_wayback_copy_uses_the_original_site(page_bytes: Read) -> None:
    url = "https://web.archive.org/web/20230801000000/https://mp.weixin.qq.com/s/Xb8Hd3M0pQ"
    page = extract_page(page_bytes("wechat_deleted.html"), url=url)
    assert (page.extractor, page.verdict) == ("wechat", "dead")


def test_raw_archive_copy_on_a_local_archive(page_bytes: Read) -> None:
    url = "http://127.0.0.1:8001/web/20230801000000id_/https://mp.weixin.qq.com/s/Xb8Hd3M0pQ"
    page = extract_page(page_bytes("wechat_verify.html"), url=url)
    assert (page.extractor, page.verdict) == ("wechat", "blocked")
