"""Chinese for every reader: traditional and simplified characters match each other in
titles, page text and topics, highlights fall on the characters as written, and mixed
tokens (``8比特``, ``GPT4``, ``3D打印``) are found whole and by their parts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from linkindex import importer, indexing, search
from linkindex.store import Store

NOTES = Path(__file__).parent / "fixtures" / "search" / "chinese"
SIMPLIFIED_PAGE = "https://example.com/memory/simplified-page"
TRADITIONAL_PAGE = "https://example.com/memory/traditional-page"
SHADER_PAGE = "https://example.com/variants/shader"
MEITU_PAGE = "https://example.com/inner/meitu"
RIGHTS_PAGE = "https://example.com/inner/rights"
PATHS_PAGE = "https://example.com/inner/paths"
PAGES = {
    MEITU_PAGE: "深扒美图秀秀中的AI修图秘籍，如何上手。",
    RIGHTS_PAGE: "本文讨论数据隐私与公民的政治权利。",
    # jieba cuts 最 短 路径 and 早 停 here, 最短 路径 and 早停 in a query
    PATHS_PAGE: "這篇文章詳細介紹了最短路徑，本文講了早停的原理。",
    SIMPLIFIED_PAGE: "本文介绍训练大模型时的显存优化技巧，包括梯度检查点与混合精度。",
    TRADITIONAL_PAGE: "本文介紹推論服務的顯存優化經驗，以及模型並行的設定。",
    SHADER_PAGE: "這篇介紹著色器的原理，意味著你能自己寫渲染管線。",  # Taiwan's 著 for 着
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("library")
    with Store(home) as store:
        importer.import_paths(store, [NOTES])
    _with_pages(home, PAGES)
    yield home


def _with_pages(home: Path, pages: dict[str, str]) -> None:
    """Give links of the library at ``home`` their pages' text (by URL), and index it."""
    store = Store(home)
    with store.transaction():
        for url, text in pages.items():
            (link_id,) = [r["id"] for r in store.query("SELECT id FROM links WHERE url=?", (url,))]
            store.conn.execute(
                "INSERT INTO pages(link_id, title, text) VALUES(?, '', ?)", (link_id, text)
            )
            store.touch([link_id])
    indexing.refresh(store, home)
    store.close()


def urls(home: Path, query: str, **options: object) -> list[str]:
    return [hit.url for hit in search.search(home, query, limit=50, **options).hits]


def test_a_traditional_query_finds_simplified_titles_and_the_reverse(library: Path) -> None:
    both = {"https://example.com/distill/traditional", "https://example.com/distill/simplified"}
    assert set(urls(library, "知識蒸餾")) == both
    assert set(urls(library, "知识蒸馏")) == both
    cf = {"https://example.com/cf/traditional", "https://example.com/cf/simplified"}
    assert set(urls(library, "協同過濾")) == set(urls(library, "协同过滤")) == cf
    assert urls(library, "title:矩阵分解") == ["https://example.com/cf/traditional"]
    assert urls(library, '"模型压缩"') == ["https://example.com/distill/traditional"]


def test_a_traditional_query_finds_simplified_page_text_and_the_reverse(library: Path) -> None:
    assert urls(library, "混合精度") == [SIMPLIFIED_PAGE]
    assert set(urls(library, "顯存優化")) == {SIMPLIFIED_PAGE, TRADITIONAL_PAGE}
    assert set(urls(library, "显存优化")) == {SIMPLIFIED_PAGE, TRADITIONAL_PAGE}
    assert urls(library, "模型并行") == [TRADITIONAL_PAGE]
    assert urls(library, "梯度檢查點") == [SIMPLIFIED_PAGE]


def test_the_character_fallback_keeps_the_words_jieba_cut_alike(library: Path) -> None:
    """Where the text's cut leaves a query word's characters single (``了最短路徑`` cut
    ``最`` ``短`` ``路徑``), the fallback looks for them in a row with the query's other
    words whole (``最`` ``短`` ``路径``: its characters all in a row never matched, 路徑
    being one word); and a quoted phrase has the fallback as the words unquoted do
    (``"早停"`` missed ``講了早停的``, which ``早停`` found)."""
    for query in ("最短路径", "最短路徑", '"最短路径"', "早停", '"早停"', '"早停的原理"'):
        assert urls(library, query) == [PATHS_PAGE], query
    (hit,) = search.search(library, '"最短路径"').hits
    assert "介紹了«最短路徑»，" in hit.snippet
    assert urls(library, "最短路径 -早停") == urls(library, '最短路径 -"早停"') == []


def test_highlights_mark_the_characters_as_written(library: Path) -> None:
    hits = {hit.url: hit for hit in search.search(library, "显存优化").hits}
    assert "推論服務的«顯存優化»經驗" in hits[TRADITIONAL_PAGE].snippet
    assert "大模型时的«显存优化»技巧" in hits[SIMPLIFIED_PAGE].snippet
    (hit,) = search.search(library, "協同過濾 算法").hits
    assert hit.snippet == "«协同过滤算法»详解"
    assert search.snippet("這是顯存的優化筆記", ["显存", "优化"]) == "這是«顯存»的«優化»筆記"


def test_a_quoted_phrase_marks_its_one_character_words_only_inside_it(library: Path) -> None:
    """A phrase's words of one character (的, 与) are marked where the phrase stands, not
    wherever they occur: «的» alone all over a snippet says nothing."""
    (hit,) = search.search(library, '"模型並行的設定"').hits
    assert hit.snippet == "本文介紹推論服務的顯存優化經驗，以及«模型並行的設定»。"
    cut = indexing.segmenter().cut
    terms = search.query_terms(search.parse_query('"模型并行的设定" 本文'), cut)
    assert "的" not in terms and "模型并行的设定" in terms and "本文" in terms


def test_a_query_typed_in_full_width_keeps_its_syntax(library: Path) -> None:
    """A Chinese input method in full-width mode types ``ｔｉｔｌｅ：``, ``－``, ``ＯＲ`` and
    Chinese quotation marks: they are the query language's field, minus, OR and quotes
    (``－矩陣`` had required 矩陣, ``title：`` the word title)."""
    distill = {"https://example.com/distill/traditional", "https://example.com/distill/simplified"}
    cf_traditional = "https://example.com/cf/traditional"
    assert (
        urls(library, "title：矩陣分解")
        == urls(library, "ｔｉｔｌｅ：矩陣分解")
        == [cf_traditional]
    )
    assert urls(library, "協同過濾 －矩陣") == ["https://example.com/cf/simplified"]
    assert set(urls(library, "知識蒸餾　ＯＲ　矩陣分解")) == distill | {cf_traditional}
    assert set(urls(library, "topic：機器學習")) == distill
    for quoted in ("“模型壓縮”", "「模型壓縮」", "『模型压缩』", "＂模型壓縮＂"):
        assert urls(library, quoted) == ["https://example.com/distill/traditional"], quoted


def test_a_topic_heading_in_traditional_characters(library: Path) -> None:
    distill = ["https://example.com/distill/traditional", "https://example.com/distill/simplified"]
    assert sorted(urls(library, "topic:機器學習")) == sorted(distill)
    assert sorted(urls(library, "topic:机器学习")) == sorted(distill)
    assert sorted(urls(library, "知识", topic="機器學習 > 知識蒸餾")) == sorted(distill)
    assert sorted(urls(library, "topic:协同過濾")) == [
        "https://example.com/cf/simplified",
        "https://example.com/cf/traditional",
    ]
    (hit,) = search.search(library, "矩陣").hits
    assert hit.topics == [["推荐系统", "协同过滤"]]  # shown as the notes write them


def test_or_between_topics_is_either_topic(library: Path) -> None:
    """``topic:A OR topic:B`` (in either script) finds the links under either heading,
    and the OR joins the two topics, not the word before them with a topic."""
    distill = {"https://example.com/distill/traditional", "https://example.com/distill/simplified"}
    cf = {"https://example.com/cf/simplified", "https://example.com/cf/traditional"}
    assert set(urls(library, "topic:機器學習 OR topic:推薦系統")) == distill | cf
    assert urls(library, "(topic:知识蒸馏 OR topic:協同過濾) 矩陣") == [
        "https://example.com/cf/traditional"
    ]
    assert set(urls(library, "知識 topic:机器学习 OR topic:推薦系統")) == distill


def test_hong_kong_and_taiwan_forms_match_the_standard_ones(library: Path) -> None:
    """衞 (Hong Kong's 衛) and 著 (Taiwan's 着) are found by the simplified and the standard
    traditional forms, in titles, topics and page text, and are marked as written."""
    satellite = "https://example.com/variants/satellite"
    assert urls(library, "卫星图像") == urls(library, "衛星圖像") == [satellite]
    assert urls(library, "topic:卫星通信") == [satellite, SHADER_PAGE]
    assert urls(library, "着色器") == urls(library, "意味着") == [SHADER_PAGE]
    (hit,) = search.search(library, "着色器").hits
    assert hit.snippet == "這篇介紹«著色器»的原理，意味著你能自己寫渲染管線。"
    (hit,) = search.search(library, "卫星图像").hits
    assert hit.snippet == "«衞星圖像»的語義分割"


def test_mixed_tokens_are_found_whole_and_by_their_parts(library: Path) -> None:
    eight = "https://example.com/quant/8bit"
    apart = "https://example.com/quant/apart"
    # 8比特 written together first; 8 and 比特 apart in one title after it
    assert urls(library, "8比特") == [eight, apart]
    assert eight in urls(library, "比特") and eight in urls(library, "8")
    assert urls(library, '"8比特量化"') == [eight]
    gpt4 = "https://example.com/gpt/4"
    assert urls(library, "GPT4") == [gpt4]
    assert set(urls(library, "gpt")) == {gpt4, "https://example.com/gpt/2"}
    assert urls(library, "3D打印") == urls(library, "3d") == ["https://example.com/print/3d"]
    (hit,) = search.search(library, "gpt4").hits
    assert hit.snippet == "«GPT4»技术报告解读"


def test_the_character_fallback_keeps_the_number_of_a_mixed_token(library: Path) -> None:
    """The title character fallback stands in for a mixed token's ideographs only:
    ``H100显卡`` is not found by any ``显卡`` (``RTX4090显卡``), ``4比特`` not by ``8比特``,
    nor does ``-H100显卡`` exclude every ``显卡``."""
    gpu = "https://example.com/gpu/4090"
    assert urls(library, "H100显卡") == urls(library, "title:H100显卡") == []
    assert urls(library, "4090显卡") == [gpu]
    assert urls(library, "4比特") == ["https://example.com/quant/apart"]
    assert urls(library, "显卡 -H100显卡") == [gpu]


def test_versioned_names_are_found_by_name_and_by_version(library: Path) -> None:
    """``Qwen2.5``, ``Python3.11``: a code compound whose parts are mixed tokens is
    found by the name alone, with or without a space before the version."""
    qwen, python = "https://example.com/model/qwen", "https://example.com/lang/python"
    for query in ("qwen", "Qwen2.5", "qwen2", "qwen 2.5", "72b", "72B部署"):
        assert urls(library, query) == [qwen], query
    for query in ("python", "python3", "Python3.11", "python 3.11"):
        assert urls(library, query) == [python], query
    assert urls(library, "python 3.12") == []
    (hit,) = search.search(library, "qwen").hits
    assert hit.snippet == "«Qwen»2.5-72B本地部署"


def test_a_quoted_token_finds_its_letters_and_digits_written_apart(library: Path) -> None:
    """A quoted mixed token or versioned name finds a text that writes its letters and
    digits apart, in sequence (``"24GB显存"``: ``24 GB 显存``; ``"Ubuntu22.04"``:
    ``Ubuntu 22.04``), as unquoted it does; not its parts anywhere."""
    memory, ubuntu = "https://example.com/gpu/memory", "https://example.com/os/ubuntu"
    for query in ("24GB显存", '"24GB显存"', '"24gb 显存"', 'title:"24GB显存"'):
        assert urls(library, query) == [memory], query
    for query in ("Ubuntu22.04", '"Ubuntu22.04"', '"ubuntu22.04 安装"'):
        assert urls(library, query) == [ubuntu], query
    assert urls(library, '"24GB显卡"') == urls(library, '"GB24显存"') == []
    (hit,) = search.search(library, '"24GB显存"').hits
    assert hit.snippet == "单卡 «24 GB 显存»够用吗"


def test_a_quoted_phrase_finds_a_heading_word_that_mixes_letters_and_ideographs(
    library: Path,
) -> None:
    """A heading is a word of the dictionary (``AI绘画``), so text that writes it is
    indexed by it and its parts at one position: ``"AI 绘画"`` quoted finds it written
    together, as ``"8 比特"`` finds ``8比特`` (the parts in sequence never matched)."""
    both = {"https://example.com/heading/sd", "https://example.com/heading/tools"}
    for query in ('"AI 绘画"', '"AI绘画"', "AI 绘画", "ai绘画", "绘画"):
        assert set(urls(library, query)) == both, query
    assert urls(library, '"AI 绘画工具"') == ["https://example.com/heading/tools"]


def test_a_heading_with_a_code_term_does_not_hide_it(library: Path) -> None:
    """A heading such as ``Top-K采样`` is no word of the dictionary: as one, text that
    writes it held the whole only (``top-k采样``), and ``top-k``, ``topk`` and ``top``
    found neither the links under it nor a title that says it."""
    for query in ("top-k", "topk", "top", "Top-K采样", '"top-k 采样"', "topic:top-k采样"):
        assert urls(library, query) == ["https://example.com/heading/topk"], query


def test_highlights_cover_the_parts_of_a_mixed_token() -> None:
    cut = indexing.segmenter().cut
    terms = search.query_terms(search.parse_query("8比特 GPT4"), cut)
    assert terms == ["gpt4", "8比特", "gpt", "比特"]  # not a lone 8 or 4
    # a lone 4 or 8 is not marked; beside the rest of its token, the token is
    assert search.snippet("GPT 4 与 8 比特", terms) == "«GPT 4» 与 «8 比特»"
    assert search.snippet("共 4 张卡，8 个人", terms) == "共 4 张卡，8 个人"


def test_a_name_and_its_version_are_marked_together_however_joined() -> None:
    """``GPT3.5`` marks ``GPT-3.5`` whole, ``gpt4`` ``ＧＰＴ－４``, ``python3.12``
    ``Python 3.12``, ``gpt-4`` ``GPT4``: the index finds them all, and the snippet had
    marked the name alone (``«GPT»-3.5``, ``«Python» 3.«12»``)."""
    cut = indexing.segmenter().cut
    cases = {
        "GPT3.5": ("GPT-3.5接口", "«GPT-3.5»接口"),
        "gpt4": ("ＧＰＴ－４技術報告", "«ＧＰＴ－４»技術報告"),
        "gpt-4": ("GPT4技术", "«GPT4»技术"),
        "python3.12": ("Python 3.12的新特性", "«Python 3.12»的新特性"),
        "qwen2.5": ("Qwen_2.5发布", "«Qwen_2.5»发布"),
        "rtx4090": ("RTX 4090与RTX 3090", "«RTX 4090»与«RTX» 3090"),
    }
    for query, (text, shown) in cases.items():
        terms = search.query_terms(search.parse_query(query), cut)
        assert search.snippet(text, terms) == shown, query


def test_a_version_after_a_name_is_a_part(library: Path) -> None:
    """``YOLOv8`` is ``yolo`` and ``v8``, not ``yolov`` and ``8``: ``yolo`` finds it, and
    ``yolov8`` finds ``YOLO v8`` written apart."""
    v8, v5 = "https://example.com/yolo/v8", "https://example.com/yolo/apart"
    assert set(urls(library, "yolo")) == {v8, v5}
    assert urls(library, "yolov8") == urls(library, "yolo v8") == [v8]
    assert urls(library, "YOLOv5") == [v5]
    assert urls(library, '"yolo v8"') == urls(library, 'title:"yolo v8"') == [v8]
    hits = {hit.url: hit.snippet for hit in search.search(library, "yolo").hits}
    assert hits[v8] == "«YOLO»v8目标检测实战"
    assert search.snippet("YOLOv8与YOLOv5", ["v8"]) == "YOLO«v8»与YOLOv5"


def test_a_compound_is_found_written_together_and_the_reverse(library: Path) -> None:
    """``Wi-Fi`` is found by ``wifi``, ``Node.js`` by ``nodejs``; ``k-means`` finds
    ``KMeans``; the snippet marks the word as written."""
    wifi = "https://example.com/join/wifi"
    kmeans = "https://example.com/join/kmeans"
    nodejs = "https://example.com/join/nodejs"
    assert urls(library, "wifi") == urls(library, "WiFi6") == urls(library, "wi-fi") == [wifi]
    assert urls(library, "k-means") == urls(library, "kmeans") == [kmeans]
    assert urls(library, "nodejs") == urls(library, "node.js") == [nodejs]
    (hit,) = search.search(library, "wifi").hits
    assert hit.snippet == "«Wi-Fi» 6路由器选购"
    (hit,) = search.search(library, "k-means").hits
    assert hit.snippet == "«KMeans»聚类算法的实现"
    # two English words typed apart find them written as one
    springboot = "https://example.com/join/springboot"
    assert urls(library, "spring boot") == urls(library, "Spring Boot 缓存") == [springboot]
    (hit,) = search.search(library, "spring boot").hits
    assert hit.snippet == "«SpringBoot»整合Redis缓存"
    (hit,) = search.search(library, '"spring boot"').hits  # quoted: the same marks
    assert hit.snippet == "«SpringBoot»整合Redis缓存"
    # and one English word typed finds two written apart (words the index has, of
    # three letters or more each)
    tensorflow = "https://example.com/join/tensorflow"
    assert urls(library, "tensorflow") == urls(library, "TensorFlow") == [tensorflow]
    (hit,) = search.search(library, "tensorflow").hits
    assert hit.snippet == "«Tensor Flow»入门笔记"
    (hit,) = search.search(library, '"tensorflow"').hits
    assert hit.snippet == "«Tensor Flow»入门笔记"
    assert urls(library, "tensorflow -flow") == []
    assert tensorflow in urls(library, "入门")
    assert tensorflow not in urls(library, "入门 -tensorflow")
    # a lone letter of a compound is no word to mark elsewhere (k-means: not every «k»)
    cut = indexing.segmenter().cut
    assert "k" not in search.query_terms(search.parse_query("k-means"), cut)
    assert search.snippet("top k of k-means", ["k-means", "kmeans", "means"]) == (
        "top k of «k-means»"
    )


def test_a_quoted_name_and_number_find_them_written_together(library: Path) -> None:
    """A phrase whose words a text writes as one token (``"rtx 4090"``: ``RTX4090``,
    ``"qwen 2.5"``: ``Qwen2.5``, ``"8 比特"``: ``8比特``) finds it."""
    assert (
        urls(library, '"rtx 4090"')
        == urls(library, 'title:"RTX 4090"')
        == ["https://example.com/gpu/4090"]
    )
    assert urls(library, '"qwen 2.5"') == ["https://example.com/model/qwen"]
    assert urls(library, '"8 比特"') == ["https://example.com/quant/8bit"]


def test_a_word_inside_a_longer_one_is_found_alone(library: Path) -> None:
    """jieba cuts ``美图``, ``上手`` and ``政治权`` apart when they stand alone, while search
    mode indexes them inside a longer word (``美图秀秀``): the query finds them as one."""
    for query in ("美图", '"美图"', "上手"):
        assert urls(library, query) == [MEITU_PAGE], query
    assert urls(library, "政治权") == [RIGHTS_PAGE]  # 政治 权 alone, inside 政治权利
    (hit,) = search.search(library, "美图").hits
    assert hit.snippet == "深扒«美图»秀秀中的AI修图秘籍，如何上手。"


def test_a_percentage_is_found_by_its_number(library: Path) -> None:
    fifty = "https://example.com/percent/50"
    assert urls(library, "50") == urls(library, "50%") == [fifty]


def test_radicals_from_a_pdf_are_marked_as_written() -> None:
    """Text copied from a PDF file may carry Kangxi radicals (⽤ for 用): the snippet
    finds the word through them."""
    assert search.snippet("⽤户⼿册下载", ["用户手册"]) == "«⽤户⼿册»下载"


def test_a_long_page_shows_the_passage_with_the_words_written_together() -> None:
    """Of two passages with the query's words, the snippet shows the one where they are
    written together (顯存優化, 3D打印, GPT4), not an earlier one where they stand apart or
    only a part of the token is (GPT-3)."""
    cut = indexing.segmenter().cut
    filler = "无关的段落讲别的事情。" * 30
    cases = {
        "显存优化": ("显存不够时，先别急着优化代码。", "本文的主題是«顯存優化»。"),
        "3D打印": ("3D建模之後再打印出來。", "桌面«3D打印»機評測。"),
        "gpt4": ("GPT-3和4個模型", "«GPT4»的能力"),
    }
    for query, (apart, together) in cases.items():
        terms = search.query_terms(search.parse_query(query), cut)
        text = filler + apart + filler + together.replace("«", "").replace("»", "") + filler
        assert together in search.snippet(text, terms), query


def test_a_one_character_word_typed_between_words_is_marked_only_among_them() -> None:
    """``衛星的軌道`` typed together: its ``的`` is marked where the words stand together
    (``«衞星的軌道»``), not at every ``的`` of the page, whose marks had filled the snippet
    and pushed the passage with the words to its end (as a quoted phrase's one-character
    words are only marked inside it)."""
    cut = indexing.segmenter().cut
    filler = "别的事情，另外的段落。" * 30
    text = filler + "這篇文章講述了衞星的軌道與通訊協定。" + filler
    for query in ("衛星的軌道", "卫星的轨道"):
        terms = search.query_terms(search.parse_query(query), cut)
        assert "的" not in terms, query
        shown = search.snippet(text, terms)
        assert shown.count("«") == 1 and "講述了«衞星的軌道»與通訊協定" in shown, query
    terms = search.query_terms(search.parse_query("衛星的軌道"), cut)
    assert search.snippet("衞星在軌道上的位置", terms) == "«衞星»在«軌道»上的位置"
    # nor is one of a mixed token (年 of 2024年, 的 of GPT4的, which the cut joins)
    for query, together in (("2024年", "«2024年»回顧"), ("GPT4的能力", "«GPT4的能力»很強")):
        terms = search.query_terms(search.parse_query(query), cut)
        text = "前年的事。" * 30 + together.replace("«", "").replace("»", "")
        shown = search.snippet(text, terms)
        assert shown.count("«") == 1 and shown.endswith(together), query
    # a word of one character typed alone, or among other such words, is still marked
    assert search.snippet("一隻貓", search.query_terms(search.parse_query("猫"), cut)) == (
        "一隻«貓»"
    )


def test_a_highlight_keeps_the_marks_on_its_last_character() -> None:
    """A variation selector (an ideographic variant, U+E0100) or a combining accent on
    the last character of a match stays inside the highlight, not after its «»."""
    assert search.snippet("葛\U000e0100城的用户", ["葛"]) == "«葛\U000e0100»城的用户"
    assert search.snippet("顯存\ufe00優化", ["显存"]) == "«顯存\ufe00»優化"
    assert search.snippet("cafe\u0301 au lait", ["cafe"]) == "«cafe\u0301» au lait"


def test_a_query_of_radicals_from_a_pdf_is_searched(library: Path) -> None:
    """A query copied from a PDF file may be Kangxi radicals alone (``⼊⾨`` for 入门):
    it is searched as the ideographs they fold to, not refused, nor dropped beside
    other words, as if it said nothing."""
    both = {"https://example.com/distill/traditional", "https://example.com/join/tensorflow"}
    assert set(urls(library, "入门")) == both
    assert set(urls(library, "\u2f0a\u2fa8")) == both  # ⼊⾨
    assert urls(library, "\u2f0a\u2fa8 蒸馏") == ["https://example.com/distill/traditional"]
    assert urls(library, "tensor -\u2fa8") == []  # ⾨, excluded


def test_a_quoted_mixed_token_is_the_token_or_its_parts_in_sequence(tmp_path: Path) -> None:
    """``"4比特"`` quoted finds the token, or ``4 比特`` written apart in sequence (ranked
    below); not ``比特`` and ``4`` anywhere, as the token unquoted does."""
    home = _library(
        tmp_path,
        "---\ntitle: 量化\n---\n\n# 量化\n\n"
        "https://example.com/whole\n4比特量化实战\n\n"
        "https://example.com/sequence\n用 4 比特整数做推理\n\n"
        "https://example.com/anywhere\n比特币暴跌，4家交易所暂停提现\n\n"
        "https://example.com/gpt\nGPT-4 Turbo发布\n",
    )
    whole, sequence = "https://example.com/whole", "https://example.com/sequence"
    assert urls(home, '"4比特"') == [whole, sequence]
    assert set(urls(home, "4比特")) == {whole, sequence, "https://example.com/anywhere"}
    assert urls(home, '"gpt4"') == ["https://example.com/gpt"]
    assert urls(home, '"50%"') == []  # a token of one part: only the token


def test_a_quoted_token_finds_a_text_that_joins_two_of_its_parts(tmp_path: Path) -> None:
    """``"gpt4o"`` quoted finds ``GPT-4o`` and ``GPT 4o``, as it does unquoted: such a text
    holds ``gpt`` and ``4o`` in sequence (``4`` and ``o`` at ``4o``'s position), not the
    three parts one after another, so the quoted token found nothing."""
    home = _library(
        tmp_path,
        "---\ntitle: 模型\n---\n\n# 模型\n\n"
        "https://example.com/dash\nGPT-4o 多模态\n\n"
        "https://example.com/space\n试用 GPT 4o 的语音模式\n\n"
        "https://example.com/four\nGPT-4 技术报告\n",
    )
    found = {"https://example.com/dash", "https://example.com/space"}
    for query in ('"gpt4o"', "gpt4o", '"GPT4o 多模态"', 'title:"gpt4o"'):
        assert found >= set(urls(home, query)) >= {"https://example.com/dash"}, query
    assert set(urls(home, '"gpt4o"')) == found


def test_a_quoted_mixed_token_ranks_the_token_above_its_parts_apart(tmp_path: Path) -> None:
    """The token whole ranks above its parts written apart, however short the title
    with them apart is (the parts in sequence weigh half; the token whole counts its
    parts too, as unquoted)."""
    home = _library(
        tmp_path,
        "---\ntitle: 量化\n---\n\n# 量化\n\n"
        "https://example.com/whole\n4比特量化在手机端大模型部署中的实践与思考总结\n\n"
        "https://example.com/apart\n4 比特\n",
    )
    ranked = ["https://example.com/whole", "https://example.com/apart"]
    assert urls(home, '"4比特"') == urls(home, 'title:"4比特"') == ranked


def test_words_typed_apart_rank_their_sequence_in_a_title_first(tmp_path: Path) -> None:
    """``rtx 4090`` and ``显存 优化``, typed apart, rank a title with the words in that
    sequence (or written as one: ``RTX4090``) above one with them scattered, as
    ``显存优化`` typed together does."""
    home = _library(
        tmp_path,
        "---\ntitle: 显卡\n---\n\n# 显卡\n\n"
        "https://example.com/scattered\nRTX 3090与4090对比评测\n\n"
        "https://example.com/together\nRTX4090显卡评测报告\n\n"
        "https://example.com/memory/apart\n显存使用与模型优化\n\n"
        "https://example.com/memory/sequence\n模型训练的显存优化\n",
    )
    assert urls(home, "rtx 4090") == [
        "https://example.com/together",
        "https://example.com/scattered",
    ]
    assert urls(home, "显存 优化") == [
        "https://example.com/memory/sequence",
        "https://example.com/memory/apart",
    ]


def test_a_compound_with_a_version_after_the_joint_is_found_by_its_name(tmp_path: Path) -> None:
    """``Wi-Fi6`` is found by ``wifi`` (and ``wifi6``, ``wi-fi``), as ``Wi-Fi 6`` is."""
    home = _library(
        tmp_path,
        "---\ntitle: 网络\n---\n\n# 网络\n\nhttps://example.com/wifi6\nWi-Fi6路由器怎么选\n",
    )
    for query in ("wifi", "WiFi6", "wi-fi", "wifi 6", "Wi-Fi6"):
        assert urls(home, query) == ["https://example.com/wifi6"], query


def _library(tmp_path: Path, note: str) -> Path:
    """A library of one note (its text), imported and indexed: its home."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "2024-1-1-note.markdown").write_text(note, encoding="utf-8")
    home = tmp_path / "home"
    store = Store(home)
    importer.import_paths(store, [notes])
    indexing.refresh(store, home)
    store.close()
    return home


def test_a_versioned_name_is_found_in_sequence_not_by_digits_anywhere(tmp_path: Path) -> None:
    """``gpt-3.5`` finds ``GPT-3.5``, ``GPT3.5`` and ``GPT 3.5``, not a ``GPT-4`` page that
    has a 3 and a 5 somewhere (a page of any length has); nor ``llama3.1`` ``Llama 2``
    with a 3 and a 1; and ``-gpt-3.5`` leaves those in."""
    home = _library(
        tmp_path,
        "---\ntitle: 模型\n---\n\n# 模型\n\n"
        "https://example.com/dash\nGPT-3.5接口调用\n\n"
        "https://example.com/together\nGPT3.5微调\n\n"
        "https://example.com/apart\n用GPT 3.5写代码\n\n"
        "https://example.com/turbo\nGPT-3.5-turbo的价格\n\n"
        "https://example.com/gpt4\nGPT-4发布：3月15日的5个要点\n\n"
        "https://example.com/llama31\nLlama 3.1本地部署\n\n"
        "https://example.com/llama2\nLlama 2的3种量化与1个坑\n\n"
        "https://example.com/python\nPython 3.11发布，12项改进\n",
    )
    gpt35 = {f"https://example.com/{name}" for name in ("dash", "together", "apart", "turbo")}
    for query in ("gpt-3.5", "GPT3.5", "gpt 3.5", "ＧＰＴ－３．５"):
        assert set(urls(home, query)) == gpt35, query
    assert urls(home, "llama3.1") == urls(home, "llama-3.1") == ["https://example.com/llama31"]
    assert urls(home, "python3.12") == urls(home, "python-3.12") == []
    kept = {"https://example.com/gpt4", "https://example.com/python"}
    assert set(urls(home, "发布 -gpt-3.5")) == kept


def test_taiwan_and_hong_kong_words_find_the_mainland_s(tmp_path: Path) -> None:
    """A query in traditional characters looks for the mainland's word for Taiwan's or
    Hong Kong's too (記憶體: 内存, 視訊記憶體: 显存, 伺服器: 服务器), and marks it as the
    page writes it; its own word still counts (a Taiwan title is found as well). A query
    in simplified characters is left as typed: 行程 (an itinerary) is no 进程."""
    home = _library(
        tmp_path,
        "---\ntitle: 系统\n---\n\n# 系统\n\n"
        "https://example.com/leak\nPyTorch内存泄漏排查\n\n"
        "https://example.com/vram\n大模型推理的显存优化\n\n"
        "https://example.com/tw\n記憶體洩漏的除錯心得\n\n"
        "https://example.com/server\n服务器运维手册\n\n"
        "https://example.com/process\nLinux进程调度详解\n\n"
        "https://example.com/trip\n杭州三日行程推荐\n",
    )
    leak, taiwan = "https://example.com/leak", "https://example.com/tw"
    assert set(urls(home, "記憶體洩漏")) == {leak, taiwan}
    assert set(urls(home, "記憶體 洩漏")) == {leak, taiwan}
    assert urls(home, "視訊記憶體優化") == ["https://example.com/vram"]
    assert urls(home, "伺服器運維") == ["https://example.com/server"]
    hits = {hit.url: hit.snippet for hit in search.search(home, "記憶體洩漏").hits}
    assert "«内存泄漏»" in hits[leak] or "«内存»«泄漏»" in hits[leak]
    # excluded in either wording
    assert urls(home, "洩漏 -記憶體") == []
    # a simplified query is searched as typed
    assert urls(home, "行程") == ["https://example.com/trip"]
    assert urls(home, "内存泄漏") == [leak]
    # what to try instead is made of the words as typed, and found as searched
    loosened = search.search(home, "伺服器 記憶體")
    assert loosened.total == 0
    assert loosened.suggestions == ["伺服器 OR 記憶體"]
    assert set(urls(home, "伺服器 OR 記憶體")) == {"https://example.com/server", leak, taiwan}


def test_a_word_only_taiwan_writes_finds_the_mainland_s_typed_in_shared_characters(
    tmp_path: Path,
) -> None:
    """伺服器, 硬碟, 滑鼠 and 函式 are written with characters both scripts share: a query of
    them alone was taken for a simplified one, searched as typed, and found nothing of
    the mainland's 服务器, 硬盘, 鼠标, 函数. The mainland never writes them, so they look
    for its words in either script; a word it writes too stays as typed (程式: 程序 is
    the mainland's program, and its 程式 is in 方程式 and 程式化), and so does a word
    Taiwan writes in its own characters, typed in the mainland's (进阶, 進階 in Taiwan)."""
    home = _library(
        tmp_path,
        "# 硬件\n\n"
        "https://example.com/server\n服务器硬盘选购指南\n\n"
        "https://example.com/mouse\n鼠标与键盘的人体工学\n\n"
        "https://example.com/func\nPython内置函数大全\n\n"
        "https://example.com/program\n我的第一个程序\n\n"
        "https://example.com/style\n程式化的代码风格\n\n"
        "https://example.com/advanced\nPython高级特性\n\n"
        "https://example.com/next\nPython进阶教程\n",
    )
    server = "https://example.com/server"
    assert urls(home, "伺服器") == urls(home, "硬碟") == urls(home, "伺服器硬碟") == [server]
    assert urls(home, "滑鼠") == ["https://example.com/mouse"]
    assert urls(home, "函式") == ["https://example.com/func"]
    (hit,) = search.search(home, "伺服器").hits
    assert "«服务器»" in hit.snippet
    assert urls(home, "程式") == ["https://example.com/style"]
    # Taiwan writes 進階 for 高级: 进阶 in simplified characters is the mainland's own
    assert urls(home, "进阶") == ["https://example.com/next"]
    assert set(urls(home, "進階")) == {"https://example.com/next", "https://example.com/advanced"}


def test_a_regional_word_in_a_mixed_token_finds_the_mainland_s(tmp_path: Path) -> None:
    """Taiwan's word written straight after a number or model (``RTX4090顯示卡``, one
    mixed token of the query's cut) looks for the mainland's (``RTX4090显卡``) as the
    word alone does (``顯示卡``: ``显卡``); it found nothing."""
    home = _library(
        tmp_path,
        "# 硬件\n\n"
        "https://example.com/gpu\nRTX4090显卡深度评测\n\n"
        "https://example.com/ram\n32GB内存够用吗\n\n"
        "https://example.com/other\nRTX3090显卡拆解\n",
    )
    assert urls(home, "顯示卡") == urls(home, "显卡") != []
    assert urls(home, "RTX4090顯示卡") == urls(home, "RTX4090显卡") == ["https://example.com/gpu"]
    assert urls(home, '"RTX4090顯示卡"') == ["https://example.com/gpu"]
    assert urls(home, "32GB記憶體") == ["https://example.com/ram"]
    (hit,) = search.search(home, "RTX4090顯示卡").hits
    assert hit.snippet == "«RTX4090显卡»深度评测"
    assert urls(home, "顯示卡 -RTX4090顯示卡") == ["https://example.com/other"]


def test_a_heading_that_holds_a_regional_word_still_finds_the_mainland_s(
    tmp_path: Path,
) -> None:
    """A Taiwan heading (``# 虛擬記憶體``) becomes a word of the dictionary, so the query
    虛擬記憶體 is cut as that one word; it still looks for the mainland's 虚拟内存, as it
    did before the heading was written (it then found only the links under the heading)."""
    home = _library(
        tmp_path,
        "---\ntitle: 筆記\n---\n\n# 虛擬記憶體\n\n"
        "https://example.com/tw\n分頁與置換\n\n"
        "# 系统\n\n"
        "https://example.com/cn\nLinux虚拟内存详解\n\n"
        "https://example.com/other\n内存泄漏排查\n",
    )
    both = {"https://example.com/tw", "https://example.com/cn"}
    assert set(urls(home, "虛擬記憶體")) == both
    assert set(urls(home, '"虛擬記憶體"')) == both
    assert urls(home, "虛擬記憶體 -詳解") == ["https://example.com/tw"]
    hits = {hit.url: hit.snippet for hit in search.search(home, "虛擬記憶體").hits}
    assert hits["https://example.com/cn"] == "Linux«虚拟内存»详解"


def test_taiwan_s_words_typed_apart_rank_as_the_mainland_s_do(tmp_path: Path) -> None:
    """A run of words typed apart ranks titles with them in sequence first; written in
    Taiwan's words (視訊記憶體 最佳化 for 显存 优化) it ranks the same links the same way,
    the sequence looked for in the mainland's wording as well as the typed one."""
    home = _library(
        tmp_path,
        "---\ntitle: 显存\n---\n\n# 显存\n\n"
        "https://example.com/apart\n显存不够时先看显存占用，再做模型优化和速度优化\n\n"
        "https://example.com/together\n大模型推理的显存优化\n",
    )
    typed = search.search(home, "显存 优化").hits
    assert typed[0].url == "https://example.com/together"
    for query in ("視訊記憶體 最佳化", "視訊記憶體 優化", "顯存 最佳化"):
        taiwan = search.search(home, query).hits
        assert [(hit.url, hit.score) for hit in taiwan] == [
            (hit.url, hit.score) for hit in typed
        ], query


def test_a_title_converted_to_traditional_by_opencc_is_found_by_the_simplified(
    tmp_path: Path,
) -> None:
    """OpenCC's s2t writes 昵称 as 暱稱 and 谘询 as 諮詢: each script finds the other, and
    the snippet marks the characters as written."""
    home = _library(
        tmp_path,
        "---\ntitle: 微信\n---\n\n# 微信\n\n"
        "https://example.com/nickname\n修改微信昵称的方法\n\n"
        "https://example.com/tw\n微信暱稱與頭像設定\n\n"
        "https://example.com/ask\n技术谘询服务\n",
    )
    both = {"https://example.com/nickname", "https://example.com/tw"}
    assert set(urls(home, "暱稱")) == set(urls(home, "昵称")) == both
    (hit,) = search.search(home, "修改微信暱稱").hits
    assert hit.snippet == "«修改微信昵称»的方法"
    assert urls(home, "諮詢") == urls(home, "咨询") == ["https://example.com/ask"]


def test_a_word_the_mainland_writes_too_is_searched_as_typed_in_traditional(
    tmp_path: Path,
) -> None:
    """Taiwan writes 執行 for 运行, 向量 for 矢量 and 序列 for 串行, but the mainland writes
    them too, for its own meaning (执行脚本, 词向量, 时间序列): a query in traditional
    characters finds what the same query in simplified characters finds, not the
    mainland's other word as well. Taiwan's own words still find the mainland's."""
    home = _library(
        tmp_path,
        "---\ntitle: 程序\n---\n\n# 程序\n\n"
        "https://example.com/vector\n为向量数据库建立索引\n\n"
        "https://example.com/raster\n创建矢量图层的教程\n\n"
        "https://example.com/serial\n串行通信协议详解\n\n"
        "https://example.com/run\n程序运行时间分析\n\n"
        "https://example.com/software\n开源软件推荐\n",
    )
    for simplified in ("创建 向量", "序列 协议", "执行时间", "时间 执行", "向量"):
        traditional = simplified.translate(str.maketrans("创协执时间", "創協執時間"))
        assert urls(home, traditional) == urls(home, simplified), traditional
    assert urls(home, "軟體") == ["https://example.com/software"]


def test_words_spelled_otherwise_in_traditional_script_find_each_other(tmp_path: Path) -> None:
    """OpenCC's s2t spells 了解 as 瞭解, 回复 as 回覆 and 坐标 as 座標, with characters that
    are simplified ones too (瞭望, 覆盖, 座位), so folding leaves them: either spelling,
    typed in either script, finds both, and the snippet marks the one written."""
    home = _library(
        tmp_path,
        "---\ntitle: 入门\n---\n\n# 入门\n\n"
        "https://example.com/mainland\n深入了解PyTorch的坐标变换\n\n"
        "https://example.com/taiwan\n深入瞭解TensorFlow的座標變換\n\n"
        "https://example.com/reply\n如何回覆審稿意見\n\n"
        "https://example.com/cover\n测试覆盖率与代码质量\n",
    )
    both = {"https://example.com/mainland", "https://example.com/taiwan"}
    for query in ("了解", "瞭解", "深入了解", "深入瞭解", "坐标变换", "座標變換", "了解 坐标"):
        assert set(urls(home, query)) == both, query
    assert urls(home, "回复") == urls(home, "回覆") == ["https://example.com/reply"]
    # the characters alone are still themselves: 覆盖 is no 复盖
    assert urls(home, "覆盖") == ["https://example.com/cover"]
    hits = {hit.url: hit.snippet for hit in search.search(home, "了解").hits}
    assert "«瞭解»" in hits["https://example.com/taiwan"]
    assert "«了解»" in hits["https://example.com/mainland"]
    # excluded in either spelling
    assert urls(home, "深入 -了解") == []


def test_page_text_is_found_by_words_jieba_s_hmm_joined_to_a_neighbour(tmp_path: Path) -> None:
    """jieba's HMM guessed words of the characters its dictionary leaves single, across
    words: ``本文讲半监督学习`` was cut ``讲半`` ``监督`` ``学习``, ``用分布式锁来`` ``锁来``, so
    ``半监督学习`` and ``分布式锁`` missed the page text (a title has its bigrams besides).
    Text and query are both cut without it; a name the dictionary does not know is single
    characters on both sides, found in sequence, not by its characters anywhere."""
    pages = {
        "https://example.com/semi": "本文讲半监督学习的基本方法。",
        "https://example.com/lock": "我们用分布式锁来实现互斥。",
        "https://example.com/name": "作者李明写的骁龙评测。",
        "https://example.com/apart": "明天李老师会来讲骁勇的龙。",
    }
    note = "---\ntitle: 页面\n---\n\n# 页面\n\n" + "".join(
        f"{url}\n页面{index}\n\n" for index, url in enumerate(pages)
    )
    home = _library(tmp_path, note)
    _with_pages(home, pages)
    assert urls(home, "半监督学习") == ["https://example.com/semi"]
    assert urls(home, "分布式锁") == ["https://example.com/lock"]
    assert urls(home, "李明") == ["https://example.com/name"]
    assert urls(home, "骁龙") == ["https://example.com/name"]


def test_a_token_of_letters_and_digits_is_found_whole_or_in_sequence(tmp_path: Path) -> None:
    """``win10``, ``iphone15``, ``gpt4``, ``1x1``: a model or version name is found
    written whole (``Win10``) or by its parts in sequence (``Win 10``, ``iPhone-15``,
    ``GPT-4``), as quoted; not by its parts anywhere (a ``Win11`` page with a 10 in it,
    ``iPhone 14`` at 15万日元, a Win10 page running Python3.11 for ``win11``). A token
    with ideographs is still its parts anywhere (``8比特``: ``8 位``…``比特``)."""
    pages = {
        "https://example.com/text/win10": "本机系统是 Win10，装了 Python3.11。",
        "https://example.com/text/win11": "升级到 Win11 的第10步是重启。",
    }
    home = _library(
        tmp_path,
        "---\ntitle: 型号\n---\n\n# 型号\n\n"
        "https://example.com/win10\n驱动更新记录 系统是 Win10\n\n"
        "https://example.com/win-10\nWin 10 注册表修改\n\n"
        "https://example.com/win11\nWin11 安装指南 第10步\n\n"
        "https://example.com/text/win10\n驱动笔记\n\n"
        "https://example.com/text/win11\n系统笔记\n\n"
        "https://example.com/iphone14\niPhone 14 评测 售价 15 万日元\n\n"
        "https://example.com/iphone15\niPhone-15 上手\n\n"
        "https://example.com/gpt3\nGPT-3 论文 第4节\n\n"
        "https://example.com/gpt4\nGPT-4 技术报告\n\n"
        "https://example.com/conv\n1x1卷积的作用\n\n"
        "https://example.com/x86\nx86 汇编 第1课\n\n"
        "https://example.com/bits\n量化到 8 位还是 4 位：比特数的取舍\n",
    )
    _with_pages(home, pages)
    # the token whole (in a title, in page text) above its parts in sequence
    win10 = [f"https://example.com/{name}" for name in ("win10", "text/win10", "win-10")]
    assert urls(home, "win10") == urls(home, '"win10"') == win10
    win11 = {"https://example.com/win11", "https://example.com/text/win11"}
    assert set(urls(home, "win11")) == win11
    assert urls(home, "iphone15") == ["https://example.com/iphone15"]
    assert urls(home, "gpt4") == ["https://example.com/gpt4"]
    assert set(urls(home, "gpt")) == {"https://example.com/gpt3", "https://example.com/gpt4"}
    assert urls(home, "1x1") == ["https://example.com/conv"]
    # excluded as found: a Win11 page with a 10 stays
    assert set(urls(home, "笔记 -win10")) == {"https://example.com/text/win11"}
    # a token with ideographs: its parts anywhere
    assert urls(home, "8比特") == ["https://example.com/bits"]


def test_a_token_of_letters_and_digits_finds_a_longer_one_that_begins_with_it(
    tmp_path: Path,
) -> None:
    """``gpt4`` finds ``GPT4o`` and ``GPT4V``, ``yolov5`` ``YOLOv5s``, ``rtx4090``
    ``RTX4090D``: the index holds a token's parts at its position, and the query's parts
    are looked for at one position too (they found nothing once the parts were no longer
    looked for anywhere); below the token itself, and still not ``GPT-3 第4节``."""
    home = _library(
        tmp_path,
        "---\ntitle: 型号\n---\n\n# 型号\n\n"
        "https://example.com/gpt4o\nGPT4o 接口文档\n\n"
        "https://example.com/gpt4v\nGPT4V 论文解读\n\n"
        "https://example.com/gpt4\nGPT4 技术报告\n\n"
        "https://example.com/gpt3\nGPT-3 论文 第4节\n\n"
        "https://example.com/yolo\nYOLOv5s 部署\n\n"
        "https://example.com/rtx\nRTX4090D 评测\n\n"
        "https://example.com/win\nWin11 安装指南 第10步\n",
    )
    found = urls(home, "gpt4")
    assert found[0] == "https://example.com/gpt4"
    assert set(found) == {f"https://example.com/{name}" for name in ("gpt4", "gpt4o", "gpt4v")}
    assert urls(home, '"gpt4"') == found
    assert urls(home, "yolov5") == ["https://example.com/yolo"]
    assert urls(home, "rtx4090") == ["https://example.com/rtx"]
    assert urls(home, "win10") == []
    assert urls(home, "论文 -gpt4") == ["https://example.com/gpt3"]
