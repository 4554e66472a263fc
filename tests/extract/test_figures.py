"""Figures: each site's extractor finds the images of its main content, in order, with
absolute addresses, and says after which paragraph of the text each one stood."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkindex.extract import extract_page
from linkindex.extract.document import block_text, by_id, parse_html
from linkindex.extract.figures import figure_url, mark, place
from linkindex.extract.github import page_from_api
from linkindex.models import paragraphs
from linkindex.models.pages import Page
from linkindex.printable import printable

FIGURES = Path(__file__).resolve().parents[1] / "fixtures" / "figures"
HTML = {"content-type": "text/html; charset=utf-8"}


def extract(name: str, url: str) -> Page:
    return extract_page((FIGURES / name).read_bytes(), url=url, headers=HTML)


def assert_follows(page: Page, starts: list[str]) -> None:
    """Assert how the paragraph each figure follows begins ('' before the first)."""
    blocks = paragraphs(page.text)
    found = [blocks[figure.after - 1] if figure.after else "" for figure in page.figures]
    assert len(found) == len(starts), found
    for block, start in zip(found, starts, strict=True):
        assert block.startswith(start), (block, start)


def test_wechat_figures_come_from_data_src_of_the_article_body() -> None:
    page = extract("wechat.html", "https://mp.weixin.qq.com/s/Fig123")
    assert page.extractor == "wechat"
    assert [figure.url for figure in page.figures] == [
        "http://mmbiz.qpic.cn/mmbiz_png/Zq3kArch01/640?wx_fmt=png&from=appmsg",
        "https://mmbiz.qpic.cn/mmbiz_jpg/Zq3kACache02/640?wx_fmt=jpeg",  # //… on an https page
        "http://mmbiz.qpic.cn/mmbiz_gif/Zq3kAFlash03/640?wx_fmt=gif",
    ]
    # the avatar and the QR code stand outside #js_content: not the article's figures
    assert_follows(page, ["大模型推理的延迟主要花", "自回归生成时，第 t 步", "FlashAttent"])
    assert "图 2：KV Cache 的显存随序列长度增长" in paragraphs(page.text)


def test_zhihu_figures_prefer_the_full_size_address() -> None:
    page = extract("zhihu.html", "https://zhuanlan.zhihu.com/p/3456789")
    assert page.extractor == "zhihu"
    # data-original (full size) before data-actualsrc; the <noscript> copies and the
    # TeX formula (eeimg) are not figures; the column's avatar is outside the article
    assert [figure.url for figure in page.figures] == [
        "https://pic1.zhimg.com/v2-loss0001_r.jpg",
        "https://pic3.zhimg.com/v2-scale002_b.png",
    ]
    assert_follows(page, ["混合精度训练用 FP16", "关键在于损失缩放：把损"])
    blocks = paragraphs(page.text)
    assert blocks[page.figures[0].after] == "FP16 与 FP32 训练的损失曲线几乎重合"


def test_zhihu_answers_from_the_page_state_count_the_authors_line() -> None:
    picture = '<img src="https://pic4.zhimg.com/v2-a_b.jpg" data-original="https://pic4.zhimg.com/v2-a_r.jpg">'
    answers = {
        "11": {
            "question": {"id": 7},
            "author": {"name": "王小川"},
            "content": f"<p>先看显存占用。</p><figure>{picture}</figure><p>再看吞吐。</p>",
        },
        "12": {
            "question": {"id": 7},
            "author": {"name": "李思"},
            "content": '<p><img src="/v2-b_b.png">编译之后快了一倍。</p>',
        },
    }
    state = {
        "initialState": {
            "entities": {
                "questions": {"7": {"id": 7, "title": "如何评价 torch.compile？", "detail": ""}},
                "answers": answers,
            }
        }
    }
    html = (
        '<html><body><script id="js-initialData" type="text/json">'
        f"{json.dumps(state, ensure_ascii=False)}</script></body></html>"
    )
    page = extract_page(html.encode(), url="https://www.zhihu.com/question/7", headers=HTML)
    assert [figure.url for figure in page.figures] == [
        "https://pic4.zhimg.com/v2-a_r.jpg",
        "https://www.zhihu.com/v2-b_b.png",
    ]
    # the second picture opens its paragraph: it stands before it, after the author's line
    assert_follows(page, ["先看显存占用。", "李思的回答："])
    assert "编译之后快了一倍。" in paragraphs(page.text)


def test_csdn_figures_are_the_article_images_only() -> None:
    page = extract("csdn.html", "https://blog.csdn.net/zhou_algo/article/details/117456789")
    assert page.extractor == "csdn"
    assert [(figure.url, figure.alt) for figure in page.figures] == [
        ("https://img-blog.csdnimg.cn/20210601093001123.png", "导出的计算图"),
        ("https://img-blog.csdnimg.cn/img_convert/5f0e6d2b1c4a.jpeg", "构建日志"),
    ]
    assert_follows(page, ["导出时固定输入尺寸为 6", "用 trtexec 构建"])


def test_cnblogs_relative_figures_resolve_against_the_post() -> None:
    page = extract("cnblogs.html", "https://www.cnblogs.com/zhanggong/p/15123456.html")
    assert page.extractor == "cnblogs"
    assert [figure.url for figure in page.figures] == [
        "https://img2020.cnblogs.com/blog/1234567/202103/1234567-20210312100501234-1029384756.png",
        "https://www.cnblogs.com/images/cnblogs_com/zhanggong/padding.png",
    ]
    assert_follows(page, ["共享内存被分成 32 个", "最常见的解决办法是给二"])


def test_github_readme_figures_skip_badges_and_read_raw_files() -> None:
    page = extract("github.html", "https://github.com/mit-han-lab/llm-awq")
    assert page.extractor == "github"
    assert [figure.url for figure in page.figures] == [
        "https://github.com/mit-han-lab/llm-awq/raw/main/figures/overview.png",
        "https://camo.githubusercontent.com/4f2a9c/68747470733a2f2f",
    ]
    assert_follows(page, ["AWQ keeps th", "It runs on c"])


def test_github_api_readme_pictures_resolve_to_raw_githubusercontent() -> None:
    readme = "# AWQ\n\nQuantize to 4 bits.\n\n![overview](figures/overview.png)\n\nDone.\n"
    repo = {"full_name": "mit-han-lab/llm-awq", "default_branch": "main"}
    page = page_from_api(repo, readme)
    assert [figure.url for figure in page.figures] == [
        "https://raw.githubusercontent.com/mit-han-lab/llm-awq/main/figures/overview.png"
    ]
    assert_follows(page, ["Quantize to "])
    assert page.text == "AWQ\n\nQuantize to 4 bits.\n\nDone."


def test_generic_page_figures_are_the_main_contents() -> None:
    page = extract("blog.html", "https://blog.example.com/posts/loss-curves")
    assert page.extractor == "web"
    # data-src over the placeholder in src, the widest srcset candidate, an address
    # without a file extension; the logo, the sidebar ad and the footer are not content
    assert [(figure.url, figure.alt) for figure in page.figures] == [
        ("https://blog.example.com/images/2022/healthy-run.png", "健康的训练曲线"),
        ("https://blog.example.com/images/2022/overfit-1080.jpg", "过拟合"),
        ("https://cdn.example.org/charts/underfit", "欠拟合"),
    ]
    assert_follows(
        page, ["读曲线之前先确认两件事", "当验证损失开始上升而训", "如果两条曲线都降不下去"]
    )
    assert "figure.invalid" not in page.text and "![" not in page.text


@pytest.mark.parametrize(
    ("name", "element"),
    [
        ("wechat.html", "js_content"),
        ("csdn.html", "content_views"),
        ("cnblogs.html", "cnblogs_post_body"),
    ],
)
def test_finding_figures_leaves_the_text_as_it_was(name: str, element: str) -> None:
    doc = parse_html((FIGURES / name).read_text(encoding="utf-8"))
    images: list = []
    marked = block_text(by_id(doc, element), figures=images)
    assert images and marked != block_text(by_id(doc, element))
    text, figures = place(marked, images, base_url="https://example.com/")
    assert text == block_text(by_id(doc, element))
    assert len(figures) == len(images)


def test_place_puts_a_figure_before_the_paragraph_it_opens() -> None:
    doc = parse_html('<img src="/a.png"><img src="/b.png"><img src="data:image/gif;base64,R0">')
    a, b, placeholder = doc.body
    text = f"{mark(0)}First line\n\nSecond {mark(1)} line\n\n{mark(2)}\n\nThird"
    clean, figures = place(text, [a, b, placeholder], base_url="https://example.com/post")
    assert clean == "First line\n\nSecond line\n\nThird"
    assert [(f.url, f.after) for f in figures] == [
        ("https://example.com/a.png", 0),
        ("https://example.com/b.png", 2),
    ]


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<img src="a.png" data-src="b.png">', "https://example.com/p/b.png"),
        ('<img src="data:image/svg+xml,x" data-actualsrc="c.jpg">', "https://example.com/p/c.jpg"),
        ('<img srcset="s.jpg 1x, l.jpg 2x">', "https://example.com/p/l.jpg"),
        # a comma inside an address (Cloudinary's transformations) does not end it
        (
            '<img srcset="https://res.example.net/w_300,h_200,c_fill/d.jpg 300w, '
            'https://res.example.net/w_900,h_600,c_fill/d.jpg 900w">',
            "https://res.example.net/w_900,h_600,c_fill/d.jpg",
        ),
        (
            '<img srcset="/d.jpg?w=900,h=600 900w,/d.jpg?w=300,h=200 300w">',
            "https://example.com/d.jpg?w=900,h=600",
        ),
        ('<img srcset="e.png, e@3x.png 3x, e@2x.png 2x">', "https://example.com/p/e@3x.png"),
        ('<img srcset="a.png,, b.png 2x,">', "https://example.com/p/b.png"),
        # a candidate whose descriptor is not valid is dropped, as browsers drop it
        ('<img srcset="big.png 2y, small.png 1x">', "https://example.com/p/small.png"),
        ('<img srcset="f.png 100w (wide), g.png 50w">', "https://example.com/p/g.png"),
        ('<img src="//cdn.example.com/x.webp">', "https://cdn.example.com/x.webp"),
        ('<img src="/pixel.gif" width="1" height="1">', None),
        ('<img src="https://img.shields.io/badge/ci-passing-green">', None),
        ('<img src="diagram.svg">', None),
        ('<img src="javascript:alert(1)">', None),
        ("<img>", None),
    ],
)
def test_figure_url(markup: str, expected: str | None) -> None:
    image = parse_html(markup).body[0]
    assert figure_url(image, "https://example.com/p/post.html") == expected


def test_an_archive_copys_relative_figures_resolve_against_the_original_page() -> None:
    copy = (
        "https://web.archive.org/web/20220418123000id_/https://blog.example.com/posts/loss-curves"
    )
    page = extract("blog.html", copy)
    assert page.figures[0].url == "https://blog.example.com/images/2022/healthy-run.png"
    cnblogs = extract(
        "cnblogs.html",
        "http://127.0.0.1:8080/web/2021id_/https://www.cnblogs.com/zhanggong/p/1.html",
    )
    assert cnblogs.extractor == "cnblogs"
    assert (
        cnblogs.figures[1].url == "https://www.cnblogs.com/images/cnblogs_com/zhanggong/padding.png"
    )


def test_a_paragraph_of_control_characters_moves_no_figure() -> None:
    """lxml keeps ``&#x1b;`` and friends; the page text leaves without them, and each
    figure still follows the paragraph the reader shows before it."""
    source = (FIGURES / "wechat.html").read_text(encoding="utf-8")
    heading = '<h2><span style="color: rgb(0, 112, 192);">一、'
    noise = "<p>&#x1b;[0m</p><p>&#x7;</p><p>&#xfffe;</p><p>\u200b</p>"
    page = extract_page(
        source.replace(heading, noise + heading).encode(),
        url="https://mp.weixin.qq.com/s/Fig123",
        headers=HTML,
    )
    assert "\x1b" not in page.text and "[0m" not in page.text
    assert_follows(page, ["大模型推理的延迟主要花", "自回归生成时，第 t 步", "FlashAttent"])


def test_place_counts_the_paragraphs_of_the_cleaned_text() -> None:
    doc = parse_html('<img src="/a.png"><img src="/b.png">')
    a, b = doc.body
    text = f"One\n\n\x1b[0m\x07\n\nTwo\r\rThree {mark(0)}\n\n\ufffe\n\nFour {mark(1)}"
    clean, figures = place(text, [a, b], base_url="https://example.com/post")
    assert paragraphs(clean) == ["One", "Two", "Three", "Four"]
    assert clean == printable(clean)
    assert [(f.url, f.after) for f in figures] == [
        ("https://example.com/a.png", 3),
        ("https://example.com/b.png", 4),
    ]


BASE_PAGE = (
    "<html><head>{head}<title>Loss curves</title></head><body><article><h1>Loss curves</h1>"
    + "<p>"
    + "Reading a loss curve starts with the axes and the smoothing window used. " * 4
    + '</p><p><img src="img/b.png" alt="B"></p><p>'
    + "Overfitting shows as a validation loss that rises while training loss falls. " * 4
    + "</p></article></body></html>"
)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("", "https://blog.example.com/posts/img/b.png"),
        (
            '<base href="https://static.example.net/posts/">',
            "https://static.example.net/posts/img/b.png",
        ),
        ('<base href="/static/v2/">', "https://blog.example.com/static/v2/img/b.png"),
        # the first <base> with an href counts; a target-only one does not
        (
            '<base target="_blank"><base href="//cdn.example.org/a/"><base href="/z/">',
            "https://cdn.example.org/a/img/b.png",
        ),
        # a base that is no web address leaves the page's own
        ('<base href="javascript:void(0)">', "https://blog.example.com/posts/img/b.png"),
    ],
)
def test_figures_resolve_against_the_documents_base(head: str, expected: str) -> None:
    page = extract_page(
        BASE_PAGE.format(head=head).encode(), url="https://blog.example.com/posts/p1", headers=HTML
    )
    assert [figure.url for figure in page.figures] == [expected]


def test_site_figures_resolve_against_the_documents_base_too() -> None:
    source = (FIGURES / "cnblogs.html").read_text(encoding="utf-8")
    based = source.replace("<head>", '<head><base href="https://mirror.example.net/zg/">', 1)
    page = extract_page(
        based.encode(), url="https://www.cnblogs.com/zhanggong/p/1.html", headers=HTML
    )
    assert page.extractor == "cnblogs"
    assert (
        page.figures[1].url == "https://mirror.example.net/images/cnblogs_com/zhanggong/padding.png"
    )
    wechat = (FIGURES / "wechat.html").read_text(encoding="utf-8")
    based = wechat.replace("<head>", '<head><base href="http://mp.weixin.qq.com/">', 1)
    page = extract_page(based.encode(), url="https://mp.weixin.qq.com/s/Fig123", headers=HTML)
    # a protocol-relative figure takes the base's scheme
    assert page.figures[1].url == "http://mmbiz.qpic.cn/mmbiz_jpg/Zq3kACache02/640?wx_fmt=jpeg"


def test_a_readme_from_the_api_keeps_its_pictures_in_the_repository() -> None:
    readme = (
        '# T\n\n![a](docs/a.png)\n\n<img src="./img/b.png" width=300>\n\n'
        "![d](/abs/d.png)\n\n![e](../e.png)\n\n![f](/docs/../../f.png?v=2)\n\n"
        "![g](<img/my pic.png>)\n\n![h](https://user-images.githubusercontent.com/1/h.png)\n"
    )
    page = page_from_api({"full_name": "o/r", "default_branch": "dev"}, readme)
    raw = "https://raw.githubusercontent.com/o/r/dev/"
    assert [figure.url for figure in page.figures] == [
        raw + "docs/a.png",
        raw + "img/b.png",
        raw + "abs/d.png",  # a leading / is the repository's root, as GitHub reads it
        raw + "e.png",  # nothing leaves the repository
        raw + "f.png?v=2",
        raw + "img/my%20pic.png",
        "https://user-images.githubusercontent.com/1/h.png",
    ]
