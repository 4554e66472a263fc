"""The notes parser on the bundled sample notes and on messy fixture notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkindex.models.notes import NoteLink, ParsedNote
from linkindex.notes import parse_note
from linkindex.printable import printable
from linkindex.urls import normalize

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "notes"
MESSY = Path(__file__).resolve().parent / "fixtures" / "notes" / "2021-12-5-messy.md"


def parsed(name: str) -> ParsedNote:
    path = SAMPLES / name
    return parse_note(path.read_text(encoding="utf-8"), str(path))


def by_url(note: ParsedNote, url: str) -> NoteLink:
    found = [link for link in note.links if link.url == url]
    assert len(found) == 1, (url, found)
    return found[0]


# -- the sample notes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "links", "title", "category", "date"),
    [
        ("2015-1-8-emacs.markdown", 26, "Emacs", "language", "2015-01-08"),
        (
            "2016-8-2-Machine_Learning_2.markdown",
            9,
            "机器学习（二）——分类与逻辑回归",
            "ML",
            "2016-08-02",
        ),
        (
            "2017-6-16-DL_resource.markdown",
            112,
            "DL参考资源（一）",
            "DL & NLP resource",
            "2017-06-16",
        ),
        ("2018-2-19-python_2.markdown", 22, "Python（二）", "language", "2018-02-19"),
        (
            "2018-3-1-DL_framework.markdown",
            92,
            "Pytorch, PaddlePaddle, MXNet, NN中间语言",
            "AI",
            "2018-03-01",
        ),
        ("2019-2-25-opencv_2.markdown", 107, "OpenCV（二）, Dlib, OpenVINO", "AI", "2019-02-25"),
        (
            "2020-9-26-math_16.markdown",
            25,
            "数学狂想曲（十六）——20世纪10大算法, 自相关&互相关&卷积, 马氏距离",
            "math",
            "2020-09-26",
        ),
    ],
)
def test_sample_note_counts_and_front_matter(
    name: str, links: int, title: str, category: str, date: str
) -> None:
    note = parsed(name)
    assert len(note.links) == links
    assert note.note.title == title
    assert note.note.category == category
    assert note.note.date == date
    assert note.skipped == {}
    assert all(normalize(link.url) for link in note.links)
    assert all(link.placement.note_path == str(SAMPLES / name) for link in note.links)


def test_dl_framework_all_92_links_with_titles_and_topics() -> None:
    note = parsed("2018-3-1-DL_framework.markdown")
    lines = [link.placement.line for link in note.links]
    assert lines == sorted(lines)
    assert len({link.url for link in note.links}) == 92

    memory = by_url(note, "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA")
    assert memory.placement.title == "显存不足？PyTorch显存使用分析与优化"
    assert memory.placement.topic == ("Pytorch", "参考")
    assert memory.placement.line == 209

    torch = by_url(note, "http://torch.ch/")
    assert torch.placement.label == "官网"
    assert torch.placement.title == ""
    assert torch.placement.description.startswith("Torch采用Lua语言编写")
    assert torch.placement.topic == ("Pytorch", "概述")

    assert by_url(note, "https://github.com/Cadene/pretrained-models.pytorch").placement.label == (
        "Model Zoo(非官方)"
    )
    assert by_url(
        note, "http://pytorch.org/tutorials/beginner/deep_learning_60min_blitz.html"
    ).placement.label == ("官网教程")
    segmentation = by_url(note, "https://github.com/CSAILVision/semantic-segmentation-pytorch")
    assert segmentation.placement.title == (
        "Semantic Segmentation PyTorch：PyTorch上最好的语义分割工具包"
    )
    assert segmentation.placement.topic == ("Pytorch", "项目")

    onnx_ref = by_url(note, "https://mp.weixin.qq.com/s/etSrI8Z3-NWbrqNWIbfzjw")
    assert onnx_ref.placement.topic == ("NN中间语言", "ONNX")
    assert onnx_ref.placement.label == "参考"
    assert onnx_ref.placement.title == "微软Facebook联手发布AI生态系统"
    # "…中间表示。官网：" at the end of a prose line still labels the next URL
    assert by_url(note, "https://github.com/dmlc/nnvm").placement.label == "官网"
    converter = by_url(note, "https://github.com/ysh329/deep-learning-model-convertor")
    assert converter.placement.title == ""
    assert converter.placement.description.startswith("这个网页包含了各种深度框架")
    assert by_url(note, "http://mp.weixin.qq.com/s/Z5X7Vamuw1BwtienhOrSvQ").placement.title == (
        "解构TensorFlow, 学习MXNet--新一代深度学习系统的核心思想"
    )
    assert note.headings[:4] == [
        ("Pytorch",),
        ("Pytorch", "概述"),
        ("Pytorch", "项目"),
        ("Pytorch", "op的C++实现"),
    ]
    assert ("NN中间语言", "Android NN") in note.headings
    assert {link.placement.topic[0] for link in note.links} == {
        "Pytorch",
        "PaddlePaddle",
        "MXNet",
        "NN中间语言",
        "DL参考资源",
    }


def test_emacs_code_blocks_are_not_headings_or_links() -> None:
    note = parsed("2015-1-8-emacs.markdown")
    urls = {link.url for link in note.links}
    assert "http://melpa.org/packages/" not in urls  # inside a ```lisp block
    assert "http://melpa.org/" in urls
    assert all(not heading[-1].startswith("(") for heading in note.headings)
    assert note.headings[0] == ("emacs学习心得",)
    assert ("Lazarus",) in note.headings
    assert ("R+",) in note.headings
    # a Markdown link whose text is the URL itself gives no title
    cscope = by_url(note, "http://sourceforge.net/p/cscope/patches/65/")
    assert cscope.placement.title == ""
    assert cscope.placement.line == 142
    assert by_url(note, "http://marmalade-repo.org/").placement.title == "这个没用过"
    melpa = by_url(note, "http://melpa.org/")
    assert melpa.placement.title == "这是目前最全的软件仓库，3000+的软件"
    assert melpa.placement.topic == ("emacs学习心得", "软件仓库")
    elpa = by_url(note, "http://elpa.gnu.org/")
    assert elpa.placement.label == "常见的软件仓库地址"
    assert elpa.placement.description.startswith("GNU官方的软件仓库")
    # "插件主要基于…项目，网址为：" labels both URLs after it
    assert by_url(note, "https://github.com/yoshizow/global-pygments-plugin").placement.label == (
        "网址为"
    )
    assert by_url(note, "http://ctags.sourceforge.net/").placement.label == "网址为"
    assert by_url(note, "https://www.lazarus-ide.org/").placement.label == "官网"
    assert by_url(note, "https://mp.weixin.qq.com/s/ceq4vn1GcGGw-Q26dAy2hw").placement.title == (
        "别迷失在森林里..."
    )
    plugins = [link for link in note.links if link.placement.topic[-1] == "有用的插件"]
    assert [link.placement.title for link in plugins] == ["", "", "Anything、Ivy、Helm、Snails"]


def test_machine_learning_math_and_anchors() -> None:
    note = parsed("2016-8-2-Machine_Learning_2.markdown")
    assert [link.placement.line for link in note.links] == [
        18,
        22,
        193,
        197,
        201,
        205,
        209,
        213,
        235,
    ]
    assert all(link.placement.label == "参考" for link in note.links)
    assert by_url(note, "https://zhuanlan.zhihu.com/p/27149706").placement.topic == (
        "分类与逻辑回归",
        "线性模型 vs. Logistic模型",
    )
    assert by_url(note, "https://mp.weixin.qq.com/s/Y1_smqwmLPQzJ202JVq7zw").placement.title == (
        "一文搞懂极大似然估计"
    )
    assert by_url(
        note,
        "https://www.graphcore.ai/posts/revisiting-small-batch-training-for-deep-neural-networks",
    ).placement.title == ("Revisiting Small Batch Training for Deep Neural Networks")
    assert ("线性回归", "R-squared") in note.headings
    assert len(note.headings) == 13


def test_math_numbered_markdown_links() -> None:
    note = parsed("2020-9-26-math_16.markdown")
    wiki = [link for link in note.links if "wikipedia" in link.url]
    assert len(wiki) == 10
    assert wiki[0].placement.title == "Metropolis Algorithm for Monte Carlo"
    assert wiki[0].placement.line == 28
    matrix = wiki[3]
    assert matrix.url == "http://en.wikipedia.org/wiki/Matrix_(mathematics)#Decomposition"
    assert normalize(matrix.url) == "http://en.wikipedia.org/wiki/Matrix_(mathematics)"
    assert matrix.placement.title == "The Decompositional Approach to Matrix Computations"
    assert all(link.placement.topic == ("20世纪10大算法",) for link in wiki)
    assert by_url(
        note, "http://blog.csdn.net/v_JULY_v/article/details/6127953"
    ).placement.label == ("中文版本")
    assert by_url(note, "https://www.zhihu.com/question/434836259").placement.title == (
        "2的π次方是啥东西？"
    )
    assert by_url(note, "https://www.zhihu.com/question/434836259").placement.topic == (
        "无理数指数",
    )
    assert [h[0] for h in note.headings] == [
        "Menelaus' Theorem（续）",
        "20世纪10大算法",
        "自相关&互相关&卷积",
        "马氏距离",
        "Hilbert Transform",
        "无理数指数",
    ]


def test_python_code_heavy_note() -> None:
    note = parsed("2018-2-19-python_2.markdown")
    assert by_url(note, "http://www.cnblogs.com/ifantastic/p/3768415.html").placement.title == (
        "dir()与__dict__，__slots__的区别"
    )
    init = by_url(note, "http://www.cnblogs.com/Lands-ljk/p/5880483.html")
    assert init.placement.topic == ("Python", "__init__.py的作用")
    assert init.placement.label == "参见"
    typer_link = by_url(note, "https://typer.tiangolo.com/")
    assert typer_link.placement.label == "官网"
    assert typer_link.placement.title == ""  # the sentence after it is a description
    assert typer_link.placement.description.startswith("它的设计参考了FastAPI")
    decorators = [link for link in note.links if link.placement.topic == ("Python", "@的用法")]
    assert len(decorators) == 7
    assert decorators[-1].placement.title == "一个已经存在10年，却被严重低估的库（decorator）"
    assert "# package" not in {h[-1] for h in note.headings}


def test_dl_resource_titles_and_descriptions() -> None:
    note = parsed("2017-6-16-DL_resource.markdown")
    canonical = {normalize(link.url) for link in note.links}
    assert len(canonical) == 110  # two links are listed twice
    girl = by_url(note, "http://blog.csdn.net/abcjennifer")
    assert girl.placement.title == "一个浙大妹子的blog，关注计算机视觉、机器学习"
    assert girl.placement.description == "现在百度深度学习实验室。"
    assert by_url(note, "http://kexue.fm/category/Big-Data/").placement.title == "苏剑林的blog"
    assert by_url(note, "https://github.com/rasbt/deeplearning-models").placement.title == (
        "Yann LeCun推荐的Github深度学习入门教程，2天1500+星，含80个TensorFlow/PyTorch示例"
    )
    assert by_url(
        note, "http://theorangeduck.com/page/neural-network-not-working"
    ).placement.title == ("My Neural Network isn't working! What should I do?")
    topics = {link.placement.topic for link in note.links}
    assert topics == {("DL参考资源", "blog"), ("DL参考资源", "项目集锦"), ("DL参考资源", "教程")}


def test_opencv_labels_in_a_row() -> None:
    note = parsed("2019-2-25-opencv_2.markdown")
    assert by_url(note, "http://dlib.net/").placement.label == "官网"
    assert by_url(note, "https://github.com/davisking/dlib").placement.label == "代码"
    dlib_refs = [link for link in note.links if link.placement.label == "参考"]
    assert len(dlib_refs) == 9
    assert {link.placement.topic for link in dlib_refs} == {("Dlib",)}
    assert by_url(note, "https://zhuanlan.zhihu.com/p/136891320").placement.title == "CardOCR"
    openvino = [link for link in note.links if link.placement.topic == ("OpenVINO",)]
    assert len(openvino) == 13
    assert openvino[0].placement.title == "英特尔重磅开源OpenVINO"


# -- messy notes ---------------------------------------------------------------------


@pytest.fixture
def messy() -> ParsedNote:
    return parse_note(MESSY.read_text(encoding="utf-8"), str(MESSY))


def test_messy_front_matter(messy: ParsedNote) -> None:
    assert messy.note.title == "Messy notes: every link shape"
    assert messy.note.category == "tools"
    assert messy.note.tags == ("markdown", "links")
    assert messy.note.date == "2021-12-05"


def test_messy_code_is_never_a_link_or_heading(messy: ParsedNote) -> None:
    assert not [link for link in messy.links if "code.example.com" in link.url]
    assert all("not a heading" not in heading[-1] for heading in messy.headings)


def test_messy_prose_urls_end_at_punctuation(messy: ParsedNote) -> None:
    prose = [link for link in messy.links if link.placement.topic == ("Shapes", "Prose")]
    assert [link.url for link in prose] == [
        "https://prose.example.com/a",
        "https://prose.example.com/b",
        "https://prose.example.com/c",
        "https://en.wikipedia.org/wiki/Matrix_(mathematics)#Decomposition",
        "https://prose.example.com/d",
    ]
    assert [link.placement.line for link in prose] == [26, 26, 26, 27, 27]
    assert prose[0].placement.description == "详见，很好。另见和"
    assert prose[0].placement.title == ""


def test_messy_markdown_links(messy: ParsedNote) -> None:
    found = {
        link.url: link.placement.title
        for link in messy.links
        if link.placement.topic == ("Shapes", "Markdown links")
    }
    assert found == {
        "https://auto.example.com/path": "",
        "https://inline.example.com/x?utm_source=feed": "中文标题",
        "https://ref.example.com/docs": "the ref",
        "https://html.example.com/page": "HTML 链接",
    }
    assert not [link for link in messy.links if "img.example.com" in link.url]


def test_messy_skipped_links_are_counted(messy: ParsedNote) -> None:
    assert messy.skipped == {
        "javascript": 1,
        "mailto": 1,
        "file": 1,
        "malformed": 2,
        "relative": 1,
    }


def test_messy_url_and_title_in_one_paragraph(messy: ParsedNote) -> None:
    repo = next(link for link in messy.links if link.url == "https://github.com/owner/repo")
    assert repo.placement.label == "代码"
    assert repo.placement.title == ""
    zhihu = next(link for link in messy.links if "zhihu" in link.url)
    assert zhihu.placement.title == "一个标题紧跟在网址下一行"
    assert zhihu.placement.line == 48
    wechat = messy.links[-1]
    assert wechat.placement.topic == ("Shapes", "Setext heading")
    assert wechat.placement.title == "微信长链接"
    assert normalize(wechat.url) == (
        "https://mp.weixin.qq.com/s?__biz=MzA3MzI4MjgzMw==&mid=2650&idx=1&sn=abc"
    )
    assert len(messy.links) == 12


@pytest.mark.parametrize(
    ("text", "url", "title", "description", "label"),
    [
        ("https://a.example/x\n\n短标题\n", "https://a.example/x", "短标题", "", ""),
        ("https://a.example/x 同一行的标题\n", "https://a.example/x", "同一行的标题", "", ""),
        ("官网：https://a.example/x\n", "https://a.example/x", "", "", "官网"),
        (
            "- [标题](https://a.example/x)：一些说明\n",
            "https://a.example/x",
            "标题",
            "一些说明",
            "",
        ),
        ("参考：\n\nhttps://a.example/x\n\n1.第一步\n", "https://a.example/x", "", "", "参考"),
        (
            "https://a.example/x\n\n" + "很长的一段话，" * 15 + "\n",
            "https://a.example/x",
            "",
            "很长的一段话，" * 15,
            "",
        ),
        (
            "<p><a href='https://a.example/x'>HTML <b>块</b></a></p>\n",
            "https://a.example/x",
            "HTML 块",
            "",
            "",
        ),
        ("# [PyTorch](https://pytorch.org)\n", "https://pytorch.org", "PyTorch", "", ""),
        ("见 https://a.example/x*y*z，好\n", "https://a.example/x*y*z", "", "见，好", ""),
        (
            "https://a.example/x\n\n**粗体**的`code`标题\n",
            "https://a.example/x",
            "粗体的code标题",
            "",
            "",
        ),
        ("1. [列表项](https://a.example/x)\n2. 第二项\n", "https://a.example/x", "列表项", "", ""),
        (
            "> https://a.example/x\n>\n> 引用里的标题\n",
            "https://a.example/x",
            "引用里的标题",
            "",
            "",
        ),
        ("https://a.example/x\n\n```\n代码不是标题\n```\n", "https://a.example/x", "", "", ""),
        (
            "https://a.example/x\n\n![](/img.png)\n\n图片后不是标题\n",
            "https://a.example/x",
            "",
            "",
            "",
        ),
    ],
)
def test_link_shapes(text: str, url: str, title: str, description: str, label: str) -> None:
    note = parse_note(text, "/notes/x.md")
    assert [link.url for link in note.links] == [url]
    placement = note.links[0].placement
    assert (placement.title, placement.description, placement.label) == (title, description, label)


def test_no_front_matter_title_falls_back() -> None:
    assert parse_note("# 顶层标题\n\ntext\n", "/n/2019-1-2-foo.md").note.title == "顶层标题"
    bare = parse_note("just text\n", "/n/2019-1-2-foo.md").note
    assert (bare.title, bare.date) == ("foo", "2019-01-02")
    crlf = parse_note(
        "\ufeff---\r\ntitle: T\r\ndate: 2020-02-30\r\n---\r\nhttps://x.example/\r\n", "/n/a.md"
    )
    assert crlf.note.title == "T"
    assert crlf.note.date is None  # an impossible date is no date
    assert crlf.links[0].placement.line == 5


def test_headings_made_of_links_or_nothing() -> None:
    note = parse_note(
        "# A\n\n## https://github.com/o/r\n\nhttps://x.example/1\n\n#\n\nhttps://x.example/2\n",
        "/n/h.md",
    )
    assert [link.url for link in note.links] == [
        "https://github.com/o/r",
        "https://x.example/1",
        "https://x.example/2",
    ]
    assert note.links[0].placement.topic == ("A", "https://github.com/o/r")
    assert note.links[0].placement.title == ""
    assert note.links[1].placement.topic == ("A", "https://github.com/o/r")
    assert note.links[2].placement.topic == ()
    assert note.headings == [("A",), ("A", "https://github.com/o/r")]


@pytest.mark.parametrize("path", [*sorted(SAMPLES.iterdir()), MESSY], ids=lambda p: p.name)
def test_every_placement_line_holds_its_url(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    note = parse_note(text, str(path))
    for link in note.links:
        line = lines[link.placement.line - 1]
        if link.url == "https://ref.example.com/docs":
            assert "[the ref][docs]" in line  # a reference link stands where it is used
            continue
        assert link.url in line, (link.url, link.placement.line)


# -- odd notes: nothing lost ------------------------------------------------------------


def nested_list(depth: int) -> str:
    """A list ``depth`` levels deep, each item with a link, then a heading and a link."""
    items = "".join("  " * i + f"- 第{i}层 https://deep.example/{i}\n" for i in range(depth))
    return f"# 开头\n\n{items}\n# 后面\n\nhttps://after.example/x\n\n后面的标题\n"


@pytest.mark.parametrize("depth", [10, 12, 49])
def test_a_deep_list_keeps_the_rest_of_the_note(depth: int) -> None:
    # markdown-it's CommonMark preset stopped at ten levels and dropped everything after.
    note = parse_note(nested_list(depth), "/notes/deep.md")
    assert [link.url for link in note.links] == [
        *(f"https://deep.example/{i}" for i in range(depth)),
        "https://after.example/x",
    ]
    after = note.links[-1].placement
    assert (after.topic, after.title, after.line) == (("后面",), "后面的标题", depth + 6)
    assert note.headings == [("开头",), ("后面",)]
    assert note.warnings == []


def test_a_list_too_deep_for_markdown_is_read_as_lines_with_one_warning() -> None:
    note = parse_note(nested_list(80), "/notes/deep.md")
    assert [link.url for link in note.links] == [
        *(f"https://deep.example/{i}" for i in range(80)),
        "https://after.example/x",
    ]
    assert all(link.placement.topic == ("开头",) for link in note.links[:-1])
    assert note.links[49].placement.line == 52  # the 50th level starts the plain lines
    assert note.links[-1].placement.title == "后面的标题"
    assert note.warnings == [
        "line 52: nested too deep for Markdown (50 lists or 100 quotes); read as plain lines"
    ]


def test_quotes_too_deep_for_markdown_keep_the_rest() -> None:
    text = "> " * 150 + "https://quoted.example/x\n\n# 后面\n\nhttps://after.example/x\n\n标题\n"
    note = parse_note(text, "/notes/quotes.md")
    assert [link.url for link in note.links] == [
        "https://quoted.example/x",
        "https://after.example/x",
    ]
    assert note.links[-1].placement.title == "标题"
    assert len(note.warnings) == 1


@pytest.mark.parametrize("ending", ["?", "?\n", "."])
def test_a_url_line_ending_in_a_question_mark_keeps_the_title_below(ending: str) -> None:
    # WeChat's app copies links with an empty query string: "…/s/ID?".
    note = parse_note(
        f"# 参考\n\nhttps://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA{ending}\n"
        "显存不足？PyTorch显存使用分析与优化\n",
        "/notes/q.md",
    )
    assert len(note.links) == 1
    placement = note.links[0].placement
    assert (placement.title, placement.description) == ("显存不足？PyTorch显存使用分析与优化", "")
    assert normalize(note.links[0].url) == "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA"


@pytest.mark.parametrize(
    "ending",
    [
        "？",
        "！",
        "）",
        ")",
        "…",
        "」",
        "”",
        "]",
        ">",
        " >",
        "\u200b",
        "\u200e",
        "\ufeff",
        "?\u200b",
    ],
)
def test_a_url_line_ending_in_any_mark_keeps_the_title_below(ending: str) -> None:
    note = parse_note(
        f"https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA{ending}\n显存不足的标题\n", "/n.md"
    )
    assert [(link.placement.title, link.placement.description) for link in note.links] == [
        ("显存不足的标题", "")
    ]
    assert note.links[0].url == "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA"


@pytest.mark.parametrize(
    "line",
    [
        "(https://example.com/a)",
        "（https://example.com/a）",
        '"https://example.com/a"',
        "“https://example.com/a”",
        "「https://example.com/a」",
        "<https://example.com/a>",
        "[https://example.com/a]",
        "'https://example.com/a'",
        "\u200bhttps://example.com/a\u200b",
        "- (https://example.com/a)",
        "官网：（https://example.com/a）",
    ],
)
def test_a_url_line_wrapped_in_brackets_or_quotes_keeps_the_title_below(line: str) -> None:
    note = parse_note(f"# T\n\n{line}\n标题在这里\n\nhttps://example.com/b\n第二个\n", "/n.md")
    assert [(link.url, link.placement.title) for link in note.links] == [
        ("https://example.com/a", "标题在这里"),
        ("https://example.com/b", "第二个"),
    ]


def test_a_title_line_loses_the_invisible_characters_at_its_edges() -> None:
    note = parse_note("https://example.com/a\n\ufeff标题\u200b\n", "/n.md")
    assert note.links[0].placement.title == "标题"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>\nhttps://x.example/p1<br>\n标题P\n</p>\n", [("https://x.example/p1", "标题P")]),
        ("<center>https://x.example/c1</center>\n标题C\n", [("https://x.example/c1", "标题C")]),
        ("<div>\nhttps://x.example/d1\n标题D\n</div>\n", [("https://x.example/d1", "标题D")]),
        (
            "<table><tr><td>https://x.example/td</td><td>Title of it</td></tr></table>\n",
            [("https://x.example/td", "Title of it")],
        ),
        (
            '<ul>\n<li><a href="https://x.example/a1">甲</a></li>\n'
            "<li>https://x.example/a2 乙</li>\n</ul>\n",
            [("https://x.example/a1", "甲"), ("https://x.example/a2", "乙")],
        ),
        ('<!-- <a href="https://x.example/old">old</a> -->\n', []),
        ("<!--\nhttps://x.example/old2\n标题\n-->\n", []),
        ("<div>\n<!-- https://x.example/old3 -->\n</div>\n", []),
        ("<script>var u = 'https://x.example/js';</script>\n", []),
        ("<pre>\nhttps://x.example/pre\n</pre>\n", []),
        ("<div><code>https://x.example/code</code></div>\n", []),
    ],
)
def test_links_in_html_blocks(html: str, expected: list[tuple[str, str]]) -> None:
    note = parse_note(f"# H\n\n{html}\n# After\n\nhttps://after.example/x\n之后\n", "/n.md")
    found = [(link.url, link.placement.title) for link in note.links]
    assert found == [*expected, ("https://after.example/x", "之后")]
    assert note.skipped == {}
    for link in note.links:  # every placement's line holds its URL
        assert (
            link.url
            in f"# H\n\n{html}\n# After\n\nhttps://after.example/x\n".split("\n")[
                link.placement.line - 1
            ]
        )


@pytest.mark.parametrize(
    ("line", "url", "title"),
    [
        ("https://中文.中国/x", "https://中文.中国/x", "标题"),
        ("https://ｅｘａｍｐｌｅ.com/x", "https://example.com/x", "标题"),
        ("https://ｅｘａｍｐｌｅ．ｃｏｍ/x", "https://example.com/x", "标题"),
        ("https://example。com/x", "https://example.com/x", "标题"),
        ("https://中文。中国/x", "https://中文.中国/x", "标题"),
    ],
)
def test_chinese_and_full_width_hosts(line: str, url: str, title: str) -> None:
    note = parse_note(f"{line}\n{title}\n", "/n.md")
    assert [(link.url, link.placement.title) for link in note.links] == [(url, title)]
    assert normalize(url) is not None and note.skipped == {}


@pytest.mark.parametrize(
    ("line", "url", "description"),
    [
        ("看https://a.example/x的文章", "https://a.example/x", "看 的文章"),
        ("看https://a.example的文章", "https://a.example", "看 的文章"),
        ("访问https://example.com。然后再说", "https://example.com", "访问。然后再说"),
        ("见https://中文.中国/x，很好", "https://中文.中国/x", "见，很好"),
    ],
)
def test_a_bare_url_in_chinese_prose_ends_where_the_prose_starts(
    line: str, url: str, description: str
) -> None:
    note = parse_note(f"{line}\n", "/n.md")
    assert [(link.url, link.placement.description) for link in note.links] == [(url, description)]


@pytest.mark.parametrize(
    ("line", "url", "key"),
    [
        ("https://bücher.de/x", "https://bücher.de/x", "https://xn--bcher-kva.de/x"),
        (
            "https://ru.wikipedia.org/wiki/Москва",
            "https://ru.wikipedia.org/wiki/Москва",
            "https://ru.wikipedia.org/wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0",
        ),
        ("详见https://bücher.de/x，很好", "https://bücher.de/x", "https://xn--bcher-kva.de/x"),
        ("https://x.example/a中文标题", "https://x.example/a", "https://x.example/a"),
    ],
)
def test_internationalised_urls_are_kept_whole(line: str, url: str, key: str) -> None:
    note = parse_note(f"{line}\n\n标题\n", "/notes/idn.md")
    assert [link.url for link in note.links] == [url]
    assert normalize(note.links[0].url) == key


def test_control_characters_and_terminal_escapes_are_stripped() -> None:
    text = (
        "---\ntitle: 笔记\x1b]0;owned\x07标题\n---\n"
        "# 主题\x1b[31m一\x1b[0m\n\n"
        "标签\x00：\n"
        "https://a.example/x\n"
        "标\x1b[2J题\x07\ufffe好\x85\x9b1m\n"
        "\nhttps://a.example/y 说\x7f明\U0010ffff\ttab\n"
    )
    note = parse_note(text, "/notes/ctl.md")
    assert note.note.title == "笔记标题"
    first, second = (link.placement for link in note.links)
    assert first.topic == ("主题一",)
    # a lone control character or noncharacter leaves a space (it may stand between two
    # URLs); NEL ends the line; an escape sequence goes without a trace
    assert (first.label, first.title, first.description) == ("标签", "标题  好", "1m")
    assert second.title == "说 明 \ttab"
    assert [link.url for link in note.links] == ["https://a.example/x", "https://a.example/y"]
    for placement in (first, second):
        texts = (placement.title, placement.description, placement.label, *placement.topic)
        assert all(printable(text) == text for text in texts)


@pytest.mark.parametrize(
    "between",
    [
        "\x00",
        "\x07",
        "\x0b",
        "\x0c",
        "\x7f",
        "\x85",
        "\x9b",
        "\ufffe",
        "\x1b",
        "\u2028",
        "\u2029",
        "\x1b[0m",
        "\x1b]0;t\x07",
        "\U0010ffff",
    ],
)
def test_a_control_character_between_two_urls_keeps_them_apart(between: str) -> None:
    note = parse_note(f"# H\n\nhttps://a.example/x{between}https://b.example/y\n", "/n.md")
    assert [link.url for link in note.links] == ["https://a.example/x", "https://b.example/y"]


@pytest.mark.parametrize("escape", ["\x1b", "\x1b[", "\x1b]", "\x1b(", "\x9b"])
def test_removing_an_escape_never_removes_url_text(escape: str) -> None:
    note = parse_note(f"# H\n\n看{escape}https://d.example/w 好\n", "/n.md")
    assert [link.url for link in note.links] == ["https://d.example/w"]
    assert printable(note.links[0].placement.description) == note.links[0].placement.description


@pytest.mark.parametrize("end", ["\x85", "\x0b", "\x0c", "\u2028", "\u2029"])
def test_nel_and_other_line_separators_end_lines(end: str) -> None:
    text = (
        f"# A{end}{end}https://a.example/x{end}{end}Title A{end}{end}"
        f"# B{end}{end}https://b.example/y{end}Title B\n"
    )
    note = parse_note(text, "/n.md")
    placed = [(link.url, link.placement.topic, link.placement.title) for link in note.links]
    assert placed == [
        ("https://a.example/x", ("A",), "Title A"),
        ("https://b.example/y", ("B",), "Title B"),
    ]


IGNORABLES = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u200e", "\u2060", "\ufeff", "\ufe0f"]


@pytest.mark.parametrize("invisible", [*IGNORABLES, "\u034f", "\u180e", "\U000e0001"])
@pytest.mark.parametrize(
    ("written", "url"),
    [
        ("https://exam{}ple.com/x", "https://example.com/x"),
        ("https://bücher.de{}/x", "https://bücher.de/x"),
        ("https://a.com/pa{}th?q=1", "https://a.com/path?q=1"),
        ("https://中文{}.中国/x", "https://中文.中国/x"),
        ("https://a.com/x{}", "https://a.com/x"),
        ("ht{}tps://a.com/x", "https://a.com/x"),
        ("https:/{}/a.com/x", "https://a.com/x"),
    ],
)
def test_invisible_characters_inside_a_url_are_removed(
    invisible: str, written: str, url: str
) -> None:
    line = written.format(invisible)
    for text in (line, f"<{line}>", f"[{line}]({line})"):
        note = parse_note(f"# H\n\n{text}\n\n真正的标题\n", "/n.md")
        assert [(link.url, link.placement.title) for link in note.links] == [(url, "真正的标题")]


@pytest.mark.parametrize("invisible", IGNORABLES)
def test_an_invisible_character_before_a_url_still_separates_it(invisible: str) -> None:
    note = parse_note(f"https://a.com/x{invisible}https://b.com/y\n", "/n.md")
    assert [link.url for link in note.links] == ["https://a.com/x", "https://b.com/y"]
    note = parse_note(f"看https://a.com{invisible}的文章\n", "/n.md")
    assert [link.url for link in note.links] == ["https://a.com"]


@pytest.mark.parametrize(
    ("line", "urls", "title"),
    [
        ("https://zh.wikipedia.org/wiki/深度学习", ["https://zh.wikipedia.org/wiki/深度学习"], ""),
        (
            "https://baike.baidu.com/item/卷积神经网络/17541100",
            ["https://baike.baidu.com/item/卷积神经网络/17541100"],
            "",
        ),
        ("https://www.baidu.com/s?wd=深度学习", ["https://www.baidu.com/s?wd=深度学习"], ""),
        ("https://x.example/a?q=1&名=值", ["https://x.example/a?q=1&名=值"], ""),
        ("https://x.example/doc#安装", ["https://x.example/doc#安装"], ""),
        ("https://x.example/?中文", ["https://x.example/?中文"], ""),
        (
            "- https://zh.wikipedia.org/wiki/深度学习。",
            ["https://zh.wikipedia.org/wiki/深度学习"],
            "",
        ),
        ("https://x.example/wiki/书名（第二版）", ["https://x.example/wiki/书名（第二版）"], ""),
        (
            "**https://zh.wikipedia.org/wiki/深度学习**",
            ["https://zh.wikipedia.org/wiki/深度学习"],
            "",
        ),
        (
            "https://x.example/wiki/深度https://y.example/z",
            ["https://x.example/wiki/深度", "https://y.example/z"],
            "",
        ),
        # glued to ASCII in the middle of a segment: the title, as before
        ("https://mp.weixin.qq.com/s/abc显存优化", ["https://mp.weixin.qq.com/s/abc"], "显存优化"),
        # not a line of only a URL: prose goes on after it, as before
        ("详见https://zh.wikipedia.org/wiki/深度学习", ["https://zh.wikipedia.org/wiki/"], None),
        ("https://x.example/wiki/深度 学习", ["https://x.example/wiki/"], "深度 学习"),
    ],
)
def test_a_url_line_keeps_a_path_that_starts_with_chinese(
    line: str, urls: list[str], title: str | None
) -> None:
    note = parse_note(f"# H\n\n{line}\n\n真正的标题\n", "/n.md")
    assert [link.url for link in note.links] == urls
    if title is not None:
        assert note.links[-1].placement.title == (title or "真正的标题")


@pytest.mark.parametrize(
    ("line", "url", "key"),
    [
        ("~~https://mp.weixin.qq.com/s/AbCdEf~~", "https://mp.weixin.qq.com/s/AbCdEf", None),
        ("~https://a.example/x~", "https://a.example/x", None),
        ("- ~~https://a.example/x.~~", "https://a.example/x", None),
        ("**~~https://a.example/x~~**", "https://a.example/x", None),
        ("https://a.example/~user/~", "https://a.example/~user/~", None),  # no strikethrough
        ("https://example。com。/x", None, "https://example.com/x"),
        ("https://example。com。?q=1", None, "https://example.com/?q=1"),
        ("https://example．com．/x#a", None, "https://example.com/x"),
        ("https://中文。中国。/x", None, "https://xn--fiq228c.xn--fiqs8s/x"),
    ],
)
def test_strikethrough_and_a_final_wide_dot_around_a_url_line(
    line: str, url: str | None, key: str | None
) -> None:
    note = parse_note(f"# H\n\n{line}\n\n真正的标题\n", "/n.md")
    assert len(note.links) == 1
    link = note.links[0]
    if url is not None:
        assert link.url == url
    if key is not None:
        assert normalize(link.url) == key
    assert link.placement.title == "真正的标题"


def test_a_wide_dot_after_a_host_in_prose_still_ends_the_sentence() -> None:
    note = parse_note("详见https://example.com。\n", "/n.md")
    assert [link.url for link in note.links] == ["https://example.com"]
