"""A fetched body is data: no body, header or URL makes extraction raise."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from linkindex.extract import extract_page

URLS = st.sampled_from(
    [
        "https://mp.weixin.qq.com/s/abc",
        "https://zhuanlan.zhihu.com/p/1",
        "https://www.zhihu.com/question/1/answer/2",
        "https://github.com/a/b",
        "https://blog.csdn.net/a/article/details/1",
        "https://www.cnblogs.com/a/p/1.html",
        "http://127.0.0.1:8000/page",
        "",
    ]
)
TYPES = st.sampled_from(
    [
        None,
        "text/html",
        "text/html; charset=gbk",
        "application/json",
        "application/pdf",
        "text/plain; charset=nonsense",
        "image/png",
    ]
)
MARKUP = st.lists(
    st.sampled_from(
        [
            "<div id='js_content'>",
            "<p>",
            "</p>",
            "<br>",
            "<pre>",
            "<li>",
            "显存",
            "参数错误",
            "<script id='js-initialData'>",
            '{"initialState":',
            "</script>",
            "<meta charset='gbk'>",
            "<h1 class='Post-Title'>",
            "<article class='markdown-body'>",
            "&amp;",
            "\x00",
            "\n",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=100, deadline=None)
@given(body=st.binary(max_size=2000), url=URLS, content_type=TYPES)
def test_any_bytes(body: bytes, url: str, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else None
    page = extract_page(body, url=url, headers=headers)
    assert page.verdict in ("ok", "dead", "blocked", "error")
    if page.verdict == "error":  # bytes that are not the text their type declares
        assert page.reason.startswith("unreadable body: served as "), page.reason


@settings(max_examples=100, deadline=None)
@given(markup=MARKUP, url=URLS)
def test_any_markup(markup: str, url: str) -> None:
    page = extract_page(
        markup.encode("utf-8", "replace"), url=url, headers={"content-type": "text/html"}
    )
    assert isinstance(page.text, str)
