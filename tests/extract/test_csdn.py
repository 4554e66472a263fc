from __future__ import annotations

from collections.abc import Callable

from linkindex.extract import extract_page

URL = "https://blog.csdn.net/qq_38156052/article/details/106093545"
Read = Callable[[str], bytes]


def test_article(page_bytes: Read) -> None:
    page = extract_page(page_bytes("csdn_article.html"), url=URL)
    assert page.extractor == "csdn"
    assert page.verdict == "ok"
    assert page.title == "ONNX模型转换与onnxruntime推理加速实践"
    assert page.author == "算法工程师小周"
    assert page.published_at == "2020-05-13T01:21:47Z"  # 于 2020-05-13 09:21:47 发布
    assert page.extra["tags"] == ["模型部署", "onnx", "pytorch"]
    assert page.text.startswith("1. 为什么要转ONNX")
    assert 'torch.onnx.export(model, dummy, "resnet50.onnx", opset_version=13,' in page.text


def test_code_line_numbers_and_copyright_are_not_text(page_bytes: Read) -> None:
    text = extract_page(page_bytes("csdn_article.html"), url=URL).text
    assert "\n1\n2\n3" not in text
    assert "版权声明" not in text


def test_404_is_dead(page_bytes: Read) -> None:
    page = extract_page(page_bytes("csdn_404.html"), url=URL)
    assert page.verdict == "dead"
    assert page.reason == "文章不存在"


def test_csdn_markup_on_another_host(page_bytes: Read) -> None:
    page = extract_page(page_bytes("csdn_article.html"), url="http://127.0.0.1:8000/csdn")
    assert page.extractor == "csdn"
