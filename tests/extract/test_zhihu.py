from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from linkindex.extract import extract_page, zhihu

ARTICLE = "https://zhuanlan.zhihu.com/p/43210987"
QUESTION = "https://www.zhihu.com/question/567890123"
Read = Callable[[str], bytes]


def test_article_from_initial_data(page_bytes: Read) -> None:
    page = extract_page(page_bytes("zhihu_article.html"), url=ARTICLE)
    assert page.extractor == "zhihu"
    assert page.verdict == "ok"
    assert page.title == "从NNVM和ONNX看AI芯片的基础运算算子"
    assert page.author == "陈天启"
    assert page.account == "AI芯片与编译器"
    assert page.published_at == "2018-09-03T18:40:00Z"
    assert page.extra["updated_at"] == "2018-09-06T18:40:00Z"
    assert page.extra["votes"] == 1287
    assert page.description.startswith("以 NNVM 和 ONNX 为线索")
    assert "一、NNVM 的算子分级" in page.text.split("\n\n")
    # list items stay on consecutive lines
    assert "张量运算：MatMul、Gemm、Conv、ConvTranspose\n逐元素运算" in page.text


def test_article_from_markup_without_initial_data(page_bytes: Read) -> None:
    html = page_bytes("zhihu_article.html").decode().replace('id="js-initialData"', 'id="x"')
    page = zhihu.extract(html, url=ARTICLE)
    assert page.title == "从NNVM和ONNX看AI芯片的基础运算算子"
    assert page.author == "陈天启"
    assert page.account == "AI芯片与编译器"
    assert page.published_at == "2018-09-07T00:00:00Z"  # 编辑于 2018-09-07 08:00, Beijing
    assert "ONNX 以 opset 版本的方式维护算子集合" in page.text


def test_question_with_answers_from_markup(page_bytes: Read) -> None:
    page = extract_page(page_bytes("zhihu_question.html"), url=QUESTION)
    assert page.verdict == "ok"  # the login modal beside real content is not a wall
    assert page.title == "如何评价 PyTorch 2.0 的 torch.compile？"
    assert page.published_at == "2022-12-03T02:15:40Z"
    assert page.text.startswith("PyTorch 2.0 发布了 torch.compile")
    assert "王小川的回答：" in page.text and "李思的回答：" in page.text
    assert "TorchInductor" in page.text


def _state_page(state: Mapping[str, object]) -> str:
    blob = json.dumps({"initialState": state}, ensure_ascii=False)
    return f'<html><body><script id="js-initialData" type="text/json">{blob}</script></body></html>'


def test_answer_from_initial_data() -> None:
    state = {
        "entities": {
            "questions": {"1": {"id": 1, "title": "显存优化有哪些技巧？", "created": 1600000000}},
            "answers": {
                "7": {
                    "content": "<p>第一，梯度累积。</p><p>第二，混合精度。</p>",
                    "author": {"name": "赵六"},
                    "createdTime": 1600003600,
                    "question": {"id": 1},
                },
                "8": {"content": "<p>另一个回答</p>", "question": {"id": 1}},
            },
        }
    }
    page = zhihu.extract(_state_page(state), url="https://www.zhihu.com/question/1/answer/7")
    assert page.title == "显存优化有哪些技巧？"
    assert page.author == "赵六"
    assert page.text == "第一，梯度累积。\n\n第二，混合精度。"
    assert page.published_at == "2020-09-13T13:26:40Z"
    question = zhihu.extract(_state_page(state), url="https://www.zhihu.com/question/1")
    assert "赵六的回答：" in question.text and "另一个回答" in question.text


def test_abnormal_request_json_is_blocked(page_bytes: Read) -> None:
    page = extract_page(
        page_bytes("zhihu_40362.json"),
        url=ARTICLE,
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert page.verdict == "blocked"
    assert page.reason.startswith("您当前请求存在异常")


def test_abnormal_request_json_without_content_type(page_bytes: Read) -> None:
    assert extract_page(page_bytes("zhihu_40362.json"), url=ARTICLE).verdict == "blocked"


def test_wasteland_404_is_dead(page_bytes: Read) -> None:
    page = extract_page(page_bytes("zhihu_404.html"), url=ARTICLE)
    assert (page.verdict, page.reason) == ("dead", "你似乎来到了没有知识存在的荒原")


def test_verification_wall_is_blocked(page_bytes: Read) -> None:
    page = extract_page(page_bytes("zhihu_signin.html"), url=QUESTION)
    assert page.verdict == "blocked"


def test_login_modal_alone_is_blocked() -> None:
    html = '<html><body><div class="Modal signFlowModal">登录</div></body></html>'
    assert zhihu.extract(html, url=ARTICLE).verdict == "blocked"


def test_unhuman_redirect_is_blocked() -> None:
    url = "https://www.zhihu.com/account/unhuman?type=unhuman&need_login=false"
    assert extract_page(b"<html><body></body></html>", url=url).verdict == "blocked"


def test_zhihu_markup_on_another_host(page_bytes: Read) -> None:
    page = extract_page(page_bytes("zhihu_article.html"), url="http://127.0.0.1:9000/p/43210987")
    assert page.extractor == "zhihu"
    assert page.author == "陈天启"


def test_abnormal_request_json_on_another_host(page_bytes: Read) -> None:
    page = extract_page(page_bytes("zhihu_40362.json"), url="http://127.0.0.1:8000/api")
    assert (page.extractor, page.verdict) == ("zhihu", "blocked")
