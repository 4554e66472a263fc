from __future__ import annotations

from collections.abc import Callable

import pytest

from linkindex.extract import extract_page, github

Read = Callable[[str], bytes]


def test_repo_page(page_bytes: Read) -> None:
    page = extract_page(page_bytes("github_repo.html"), url="https://github.com/Tencent/ncnn")
    assert page.extractor == "github"
    assert page.verdict == "ok"
    assert page.title == "Tencent/ncnn"
    assert page.account == "Tencent"
    assert page.description == (
        "ncnn is a high-performance neural network inference framework optimized for the "
        "mobile platform"
    )
    assert page.extra["topics"] == [
        "android",
        "ios",
        "deep-learning",
        "vulkan",
        "inference",
        "onnx",
    ]
    assert page.extra["stars"] == 20123
    assert page.extra["forks"] == 4102
    assert page.extra["archived"] is False
    assert "ncnn 是一个为手机端极致优化的高性能神经网络前向计算框架" in page.text
    assert "git submodule update --init\nmkdir -p build && cd build" in page.text
    assert "Sign in" not in page.text and "Pricing" not in page.text


def test_archived_repo(page_bytes: Read) -> None:
    page = extract_page(page_bytes("github_archived.html"), url="https://github.com/dmlc/nnvm")
    assert page.extra["archived"] is True
    assert page.extra["stars"] == 1652
    assert page.description == "[DEPRECATED] Moved to apache/tvm"


def test_github_404_is_dead(page_bytes: Read) -> None:
    page = extract_page(page_bytes("github_404.html"), url="https://github.com/gone/repo")
    assert page.verdict == "dead"


def test_description_from_meta_when_about_box_is_missing() -> None:
    html = """<html><head><meta name="octolytics-dimension-repository_nwo" content="a/b">
    <meta property="og:description" content="Fast ONNX inference - a/b"></head>
    <body><article class="markdown-body"><p>readme</p></article></body></html>"""
    page = github.extract(html, url="https://github.com/a/b")
    assert page.description == "Fast ONNX inference"
    assert page.text == "readme"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/apache/tvm", ("apache", "tvm")),
        ("https://github.com/apache/tvm/", ("apache", "tvm")),
        ("https://github.com/apache/tvm.git", ("apache", "tvm")),
        ("https://www.github.com/apache/tvm#readme", ("apache", "tvm")),
        ("https://github.com/apache/tvm/tree/main", ("apache", "tvm")),
        ("https://github.com/apache/tvm/issues/1", None),
        ("https://github.com/apache/tvm/blob/main/README.md", None),
        ("https://github.com/apache", None),
        ("https://github.com/topics/onnx", None),
        ("https://github.com/orgs/apache/repositories", None),
        ("https://gitlab.com/apache/tvm", None),
        ("not a url", None),
    ],
)
def test_repo_of(url: str, expected: tuple[str, str] | None) -> None:
    assert github.repo_of(url) == expected


def test_page_from_api() -> None:
    repo = {
        "full_name": "onnx/onnx",
        "owner": {"login": "onnx"},
        "description": "Open standard for machine learning interoperability",
        "stargazers_count": 17000,
        "forks_count": 3600,
        "archived": False,
        "topics": ["deep-learning", "onnx"],
        "pushed_at": "2026-11-20T08:00:00Z",
        "created_at": "2017-09-07T04:53:45Z",
        "language": "Python",
        "license": {"spdx_id": "Apache-2.0"},
        "html_url": "https://github.com/onnx/onnx",
    }
    readme = "# ONNX\n\nOpen Neural Network Exchange.\n\n- 算子标准\n- 模型格式\n"
    page = github.page_from_api(repo, readme)
    assert page.title == "onnx/onnx"
    assert page.account == "onnx"
    assert page.extractor == "github"
    assert page.published_at == "2017-09-07T04:53:45Z"
    assert page.text == "ONNX\n\nOpen Neural Network Exchange.\n\n算子标准\n模型格式"
    assert page.extra["stars"] == 17000
    assert page.extra["archived"] is False
    assert page.extra["pushed_at"] == "2026-11-20T08:00:00Z"
    assert page.extra["topics"] == ["deep-learning", "onnx"]
    assert page.extra["license"] == "Apache-2.0"


def test_page_from_api_without_readme_uses_the_description() -> None:
    page = github.page_from_api({"full_name": "a/b", "description": "tool", "archived": True}, None)
    assert page.text == "tool"
    assert page.extra["archived"] is True
