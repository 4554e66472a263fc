"""The shape of extracted text, shared by every site extractor."""

from __future__ import annotations

from linkindex.extract.document import block_text, first_paragraph, parse_html


def text_of(html: str) -> str:
    return block_text(parse_html(f"<html><body>{html}</body></html>").body)


def test_paragraphs_are_separated_by_blank_lines() -> None:
    assert text_of("<h2>标题</h2><p>第一段</p><p>第二段</p>") == "标题\n\n第一段\n\n第二段"


def test_list_items_and_rows_are_lines() -> None:
    html = (
        "<ul><li>甲</li><li>乙</li></ul>"
        "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"
    )
    assert text_of(html) == "甲\n乙\n\na b\nc"


def test_br_breaks_a_line_and_whitespace_is_collapsed() -> None:
    assert (
        text_of("<p>一行\n   还是一行<br>第二\u3000行&nbsp;&nbsp;尾</p>")
        == "一行 还是一行\n第二 行 尾"
    )


def test_inline_elements_do_not_split_words() -> None:
    assert (
        text_of("<p>使用<code>torch.no_grad()</code>与<b>amp</b></p>") == "使用torch.no_grad()与amp"
    )


def test_pre_keeps_lines_and_scripts_are_dropped() -> None:
    html = (
        "<pre>def f():\n    return 1</pre><script>var x = 1;</script><style>p{}</style><!-- c -->尾"
    )
    assert text_of(html) == "def f():\n    return 1\n\n尾"


def test_first_paragraph_skips_short_lines_and_shortens() -> None:
    text = "作者丨张三\n\n" + "显存" * 200
    description = first_paragraph(text, limit=50)
    assert len(description) == 50 and description.endswith("…")
