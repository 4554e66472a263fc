"""The analyzer: jieba search mode, case folding, positions, offsets, the query dictionary."""

from __future__ import annotations

import itertools
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from linkindex import analysis
from linkindex.analysis import characters, extension
from linkindex.index import folder

SAMPLE_NOTES = Path(__file__).resolve().parent.parent / "data" / "notes"


@pytest.fixture(scope="module")
def segmenter() -> analysis.Segmenter:
    return folder.segmenter(["nn中间语言"])


@pytest.fixture(scope="module")
def query_segmenter(segmenter: analysis.Segmenter) -> analysis.QuerySegmenter:
    base, total = analysis.base_dictionary(folder.jieba_dictionary_path().read_text("utf-8"))
    lines = segmenter.dictionary_lines(base, total)
    return analysis.QuerySegmenter("".join(lines).encode("utf-8"))


def words(segmenter: analysis.Segmenter, text: str) -> list[str]:
    return [word for word, *_ in segmenter.tokens(text)]


def test_fold_keeps_offsets() -> None:
    assert analysis.fold("PyTorch ＣＵＤＡ　顯存，Ｃ＋＋") == "pytorch cuda\u3000显存，c++"
    assert len(analysis.fold("İstanbul")) == len("İstanbul")
    # a character folds to one beyond the basic plane: still one character
    assert analysis.fold("㗲") == "\U00020d7e" and len(analysis.fold("勣" * 300)) == 300
    # text all of ASCII (code, English) folds by its case alone, long or short
    assert analysis.fold("Self.CUDA_Device = 'X'\n" * 20) == "self.cuda_device = 'x'\n" * 20


def test_traditional_characters_fold_to_simplified() -> None:
    assert analysis.fold("顯存優化、知識蒸餾、協同過濾") == "显存优化、知识蒸馏、协同过滤"
    # long text is scanned for the characters to fold instead of translated whole
    long = "PyTorch顯存優化，繁體與简体混排。𠵾" * 40
    assert len(long) >= characters._SCAN_FROM
    assert analysis.fold(long) == "".join(analysis.fold(ch) for ch in long)
    assert analysis.fold(analysis.fold(long)) == analysis.fold(long)


def test_one_to_many_characters_take_openccs_first_candidate() -> None:
    # 乾 is 干 (dry) and 乾 (乾隆, 乾坤): OpenCC's first candidate 干 wins, on both sides
    assert analysis.fold("乾燥") == "干燥" and analysis.fold("乾隆") == "干隆"
    # candidates led by the character itself are left alone: 瞭望 is not 了望
    assert analysis.fold("瞭望 藉口 沈陽 覆蓋") == "瞭望 藉口 沈阳 覆盖"
    assert analysis.fold("於是 然後 什麼 什麽 頭髮 發展") == "于是 然后 什么 什么 头发 发展"
    assert analysis.fold("薴") == "苎"  # 薴 -> 苧 -> 苎: the chain is followed to its end
    table = characters._fold_table()
    assert all(target not in table for target in table.values())  # folding twice: no change


def test_hong_kong_and_taiwan_forms_fold_as_the_standard_ones() -> None:
    """OpenCC's Hong Kong and Taiwan variant tables come before its character table, as
    in its hk2s and tw2s conversions: 衞 (Hong Kong's 衛) and 著 (Taiwan's 着) match."""
    assert analysis.fold("衞星 衛星 卫星") == "卫星 卫星 卫星"
    assert analysis.fold("著色器、意味著、睡著") == "着色器、意味着、睡着"
    assert analysis.fold("枱 粧 敍 痺 睪 簷 衹") == "台 妆 叙 痹 睾 檐 只"
    # Taiwan writes 么 for 幺, but 么 is what 麼 folds to (什麼 is 什么): it stays
    assert analysis.fold("什麼 什么 幺") == "什么 什么 幺"
    # 顎 is 颚 by the character table; Taiwan's reading 齶 does not move it
    assert analysis.fold("顎") == "颚"
    # a compatibility ideograph is the unified one, folded on: U+F902 is 車, so 车
    assert analysis.fold("\uf902\uf90a") == "车金"


def test_simplified_characters_fold_with_the_traditional_forms_opencc_writes_for_them() -> None:
    """Text converted to traditional by OpenCC (s2t, s2tw, s2hk) folds back to the text:
    s2t writes 昵 as 暱, which its character table keeps as it is, and 谘 as 諮, which it
    makes 咨 (simplified text writes both 谘询 and 咨询)."""
    assert analysis.fold("暱稱 昵称") == "昵称 昵称"
    assert analysis.fold("諮詢 谘询 咨询") == "咨询 咨询 咨询"
    assert analysis.fold("鉅額 钜额 鍾錶 锺表 餘數 馀数") == "巨额 巨额 钟表 钟表 余数 余数"
    assert analysis.fold("上顎 上腭 上颚 鯰魚 鲇鱼") == "上颚 上颚 上颚 鲶鱼 鲶鱼"
    # a form simplified text writes for itself stays: 么 is 麼 (什么), not Taiwan's 幺
    assert analysis.fold("幺 么") == "幺 么"


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("顯存優化實戰", "zh-Hant"),
        ("显存优化实战", "zh-Hans"),
        ("深度學習框架的显存", "zh-Hant"),  # more traditional-only characters than not
        ("臺灣", "zh-Hant"),
        ("台湾", "zh-Hans"),
        ("中文", ""),  # the same in both scripts
        ("PyTorch", ""),
        ("", ""),
    ],
)
def test_script_tells_traditional_from_simplified_text(text: str, tag: str) -> None:
    assert characters.script(text) == tag


def test_radicals_copied_from_pdf_files_fold_to_the_ideographs() -> None:
    """Kangxi radicals look like ideographs and come with text copied from PDF files."""
    assert analysis.fold("\u2f64\u6237\u2f3f\u518c") == "用户手册"  # ⽤户⼿册
    assert analysis.fold("\u2fa8") == "门"  # ⾨ is 門


def test_a_folded_word_weighs_its_most_frequent_spelling(segmenter: analysis.Segmenter) -> None:
    """显著 folds to 显着, which jieba also lists as a rare old spelling: the folded word
    takes 显著's frequency, so simplified text keeps its words."""
    assert segmenter.cut("显著提升") == segmenter.cut("顯著提升") == ["显着", "提升"]
    assert segmenter.cut("著名的著作") == ["着名", "的", "着作"]
    assert segmenter.cut("随着模型变大") == segmenter.cut("隨著模型變大")


def test_traditional_text_segments_like_simplified(segmenter: analysis.Segmenter) -> None:
    traditional = "顯存優化與知識蒸餾，協同過濾的演算法"
    assert segmenter.cut(traditional) == segmenter.cut("显存优化与知识蒸馏，协同过滤的演算法")
    assert "显存" in segmenter.cut("顯存")  # a bundled word, found in its traditional form
    for word, _, start, end in segmenter.tokens(traditional):
        assert analysis.fold(traditional[start:end]) == word
    # jieba's entries fold too: 乾嘉学派 (乾 as simplified text writes it) stays one word,
    # where the folded text would be cut in two with jieba's own words alone
    assert segmenter.cut("乾嘉學派") == segmenter.cut("乾嘉学派") == ["干嘉学派"]
    assert analysis._rjieba().Jieba().cut("干嘉学派") == ["干嘉", "学派"]
    assert analysis.heading_words(["NN中間語言", "機器學習"]) == ["nn中间语言", "机器学习"]


def test_the_folded_dictionary_entries_are_every_entry_folding_changes() -> None:
    """``folded_entries`` reads only the lines ``characters.changes`` points at."""
    text = folder.jieba_dictionary_path().read_text(encoding="utf-8")
    expected: dict[str, int] = {}
    for line in text.splitlines():
        word, freq, *_ = line.split(" ")
        folded = analysis.fold(word)
        if folded != word:
            expected[folded] = max(expected.get(folded, 0), int(freq))  # 閱 62, 閲 1174
    assert sorted(analysis.folded_entries(text)) == sorted(expected.items())
    # a last line without its newline, and a line that folding leaves alone
    assert analysis.folded_entries("B超 3 n\nabc 2\n顯示 5") == [("b超", 3), ("显示", 5)]
    assert len(expected) > 1000  # capitals (B超) and traditional characters (乾嘉學派)
    assert sorted(characters.changes("aB顯c")) == [1, 2]


def test_characters_beyond_the_basic_plane_fold_one_by_one() -> None:
    """An emoji or a rare ideograph beside text to fold: the ideographs beyond the basic
    plane that fold (𠁞 is 𠀾), each of them, and the emoji as it is, in a long text (the
    scanning path) and a short one."""
    for filler in ("", "显存优化" * 60):
        text = filler + "😀𠁞𠗣顯存𝐀Ab"
        at = len(filler)
        assert analysis.fold(text) == filler + "😀𠀾㓆显存𝐀ab"
        assert sorted(characters.changes(text)) == [at + 1, at + 2, at + 3, at + 6]


def test_telltales_cover_every_spelling() -> None:
    assert sorted(analysis.telltales("显存")) == ["显存", "顯存"]
    assert analysis.telltales("PyTorch") == ["pytorch"]
    spellings = analysis.telltales("发发发发发发")  # 發 and 髮 fold to 发: too many to list
    assert 1 < len(spellings) <= characters._SPELLINGS_KEPT
    assert all(analysis.fold(piece) in "发发发发发发" for piece in spellings)


def test_spellings_are_every_character_that_folds_to_one() -> None:
    """``search.snippet`` finds a folded word by its characters' spellings in the text
    as written: a character missing here would be a match the snippet misses."""
    expected: dict[str, set[str]] = {}
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue  # surrogates
        char = chr(code)
        folded = analysis.fold(char)
        if len(folded) == 1 and (folded.isascii() or analysis.has_cjk(folded)):
            expected.setdefault(folded, set()).add(char)
    assert expected["k"] == {"k", "K", "ｋ", "Ｋ", "\u212a"}  # KELVIN SIGN
    assert expected["学"] == {"学", "學"}
    for folded, chars in expected.items():
        assert set(analysis.spellings(folded) or "") == chars, folded
    assert analysis.spellings("σ") is None  # not listed: found by folding
    assert analysis.spellings("A") == ""  # nothing folds to a capital


def test_english_and_code_terms_stay_whole_and_folded(segmenter: analysis.Segmenter) -> None:
    found = words(segmenter, "PyTorch的C++扩展用CUDA写，ResNet和word2vec，8比特量化")
    for term in ("pytorch", "c++", "cuda", "resnet", "word2vec", "8", "比特", "8比特", "量化"):
        assert term in found
    assert not any(w != w.lower() for w in found)


def test_no_stemming(segmenter: analysis.Segmenter) -> None:
    assert words(segmenter, "programs programming") == ["programs", "programming"]


def test_user_words_and_heading_words(segmenter: analysis.Segmenter) -> None:
    found = words(segmenter, "显存不足与NN中间语言")
    assert "显存" in found  # bundled in data/userdict.txt
    assert "nn中间语言" in found  # a heading of the notes
    assert folder.segmenter(()).cut("NN中间语言") != ["nn中间语言"]


def test_heading_words_are_short_terms() -> None:
    headings = ["NN中间语言", "显存", "Pytorch", "op的C++实现", "一个很长的标题不是术语", "参考"]
    assert analysis.heading_words(headings) == ["nn中间语言", "参考", "显存"]
    # a code term beside ideographs stays a code term (its parts, its catenation)
    coded = ["C++实现", "Node.js入门", "Top-K采样", "1.5B模型", "AI绘画", "ES6语法"]
    assert analysis.heading_words(coded) == ["ai绘画", "es6语法"]


def test_search_mode_positions_and_offsets(segmenter: analysis.Segmenter) -> None:
    text = "看 深度学习框架 PyTorch"
    tokens = segmenter.tokens(text)
    for word, _, start, end in tokens:
        assert analysis.fold(text[start:end]) == word
    position = {word: pos for word, pos, *_ in tokens}
    # words inside 深度学习 share its position, so 学习 框架 is a phrase too
    assert position["深度"] == position["学习"] == position["深度学习"]
    assert position["框架"] == position["深度学习"] + 1
    assert position["pytorch"] == position["框架"] + 1


def test_cjk_grams() -> None:
    assert analysis.cjk_grams("大灯a灯") == ["大灯", "灯"]
    assert analysis.cjk_grams("大灯", unigrams=True) == ["大", "灯", "大灯"]


def test_query_dictionary_cuts_like_the_full_one(
    segmenter: analysis.Segmenter, query_segmenter: analysis.QuerySegmenter
) -> None:
    rng = random.Random(7)
    lines = [
        line
        for path in sorted(SAMPLE_NOTES.glob("*.markdown"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    pieces = [
        line[start : start + rng.randint(1, 30)]
        for line in rng.sample(lines, 600)
        for start in [rng.randrange(len(line))]
    ]
    pieces += ["显存优化", "NN中间语言 ONNX", "B超和T恤", "深度学习框架"]
    for piece in pieces:
        assert query_segmenter.cut(piece) == segmenter.cut(piece), piece


def test_a_long_word_apart_is_the_words_it_is_made_of(
    query_segmenter: analysis.QuerySegmenter,
) -> None:
    assert query_segmenter.cut("卷积神经网络") == ["卷积神经网络"]
    assert query_segmenter.apart("卷积神经网络") == ["卷积", "神经网络"]
    assert query_segmenter.apart("卷積神經網絡") == ["卷积", "神经网络"]  # folded
    assert query_segmenter.apart("中华人民共和国") == ["中华", "人民共和国"]
    # words no smaller words make up
    for word in ["显存", "pytorch", "c++", "gpt4", "的"]:
        assert query_segmenter.apart(word) == [], word


def test_code_compounds_are_indexed_whole_and_in_parts(segmenter: analysis.Segmenter) -> None:
    tokens = segmenter.tokens("调用 torch.cuda.memory_allocated() 看 2016-2017")
    position = {word: pos for word, pos, *_ in tokens}
    assert position["torch"] + 1 == position["cuda"] == position["memory"] - 1
    assert "torch.cuda.memory_allocated" in position
    assert position["2016"] + 1 == position["2017"]
    # a query keeps a compound whole; its parts are the words of a phrase
    assert segmenter.cut("torch.cuda 用法") == ["torch.cuda", "用法"]
    assert analysis.in_parts(["torch.cuda", "用法"]) == ["torch", "cuda", "用法"]


def test_a_compounds_mixed_parts_are_split_too(segmenter: analysis.Segmenter) -> None:
    """``Qwen2.5-72B``: the parts ``qwen2`` ``5`` ``72b`` follow each other, and a mixed
    part is also its letters and digits at its place (``qwen``), as a mixed word is."""
    text = "部署Qwen2.5-72B与Python3.11"
    tokens = segmenter.tokens(text)
    at = {(word, pos) for word, pos, *_ in tokens}
    position = {word: pos for word, pos, *_ in tokens}
    first = position["qwen2.5-72b"]
    assert {("qwen2", first), ("qwen", first), ("2", first), ("5", first + 1)} <= at
    assert {("72b", first + 2), ("72", first + 2), ("b", first + 2)} <= at
    assert position["与"] == first + 3  # after the compound's three parts
    assert position["python"] == position["python3"] == position["python3.11"] == first + 4
    assert position["11"] == first + 5
    for word, _, start, end in tokens:
        assert analysis.fold(text[start:end]) == word


def test_mixed_tokens_are_indexed_whole_and_by_their_parts(
    segmenter: analysis.Segmenter,
) -> None:
    text = "8比特量化、GPT4模型、3D打印和B超"
    tokens = segmenter.tokens(text)
    position = {word: pos for word, pos, *_ in tokens}
    assert position["8比特"] == position["8"] == position["比特"] == position["量化"] - 1
    assert position["gpt4模型"] == position["gpt4"] == position["gpt"] == position["模型"]
    assert position["3d打印"] == position["3d"] == position["打印"]
    assert position["b超"] == position["b"] == position["超"]
    for word, _, start, end in tokens:
        assert analysis.fold(text[start:end]) == word
    # the query side cuts the same way, and knows the parts
    assert segmenter.cut("8比特 gpt4") == ["8比特", "gpt4"]
    assert segmenter.cut("8 比特") == ["8", "比特"]
    assert analysis.parts("8比特") == ["8", "比特"]
    assert analysis.parts("gpt4") == ["gpt", "4"] and analysis.parts("gpt4模型") == ["gpt4", "模型"]
    assert analysis.parts("比特") == analysis.parts("pytorch") == analysis.parts("c++") == []


def test_a_number_keeps_its_word_before_ideographs_that_are_no_word(
    segmenter: analysis.Segmenter,
) -> None:
    """jieba's HMM glued a number to the ideographs after it when they are no word
    (``在128核上部署``: ``128核上``); without its guesses the dictionary cuts them
    (``128`` ``核`` ``上``: ``128核`` and ``上``; ``3`` ``天`` ``内``: the rare word ``天内``
    weighs less than its characters), so ``128核``, ``核``, ``3天`` and ``32位`` find the
    text."""
    text = "在128核上部署，3天内完成，我们在32位上跑模型，GPT4写代码"
    assert segmenter.cut(text)[1:3] == ["128核", "上"]
    tokens = segmenter.tokens(text)
    at = {(word, pos) for word, pos, *_ in tokens}
    position = {word: pos for word, pos, *_ in tokens}
    assert ("上", position["128核"] + 1) in at
    for glued, words in [
        ("128核", ["核", "128"]),
        ("3天", ["天", "3"]),
        ("32位", ["位", "32"]),
        ("gpt4写", ["gpt4", "gpt", "写"]),
    ]:
        for word in words:
            assert (word, position[glued]) in at, (glued, word)
    for word, _, start, end in tokens:
        assert analysis.fold(text[start:end]) == word
    assert sorted(segmenter.analyze(text)) == sorted(tokens)


def test_a_version_after_a_name_is_its_own_part(segmenter: analysis.Segmenter) -> None:
    """``yolov8`` is ``yolo`` and ``v8`` (and ``v``, ``8``); its letters ``yolov`` stay a
    token too, so ``csv2json`` is still found by ``csv``. A name of one letter is not cut."""
    text = "YOLOv8n与MobileNetV3、csv2json和kv8"
    tokens = segmenter.tokens(text)
    at = {(word, pos) for word, pos, *_ in tokens}
    first = dict((word, pos) for word, pos, *_ in tokens)["yolov8n"]
    for word in ("yolo", "v8", "v", "8", "n", "yolov"):
        assert (word, first) in at, word
    found = {word for word, *_ in tokens}
    assert {"mobilenet", "v3", "csv", "cs", "v2", "json", "kv", "8"} <= found
    assert "k" not in found
    for word, _, start, end in tokens:
        assert analysis.fold(text[start:end]) == word
    assert analysis.parts("yolov8") == ["yolo", "v8"] and analysis.parts("ipv6") == ["ip", "v6"]
    assert analysis.parts("yolov8n") == ["yolo", "v8", "n"] and analysis.parts("kv8") == ["kv", "8"]


def test_a_two_part_compound_is_also_its_parts_written_together(
    segmenter: analysis.Segmenter,
) -> None:
    """``wi-fi`` is also ``wifi`` at its place, as people write it; a compound with a
    number at the joint (``gpt-4``: ``gpt4`` is found by its parts) or of more parts (a
    module path) is not."""
    text = "Wi-Fi 6与Node.js，k-means和GPT-4，torch.nn.functional"
    tokens = segmenter.tokens(text)
    position = {word: pos for word, pos, *_ in tokens}
    assert position["wifi"] == position["wi-fi"] == position["wi"] == position["fi"] - 1
    assert position["nodejs"] == position["node"] and position["kmeans"] == position["k"]
    assert "gpt4" not in position and "torchnnfunctional" not in position
    for word, _, start, end in tokens:  # written together: the compound as written
        written = analysis.fold(text[start:end])
        assert word in (written, written.replace("-", "").replace(".", ""))
    assert analysis.catenation("yolo-v5") == "yolov5" and analysis.catenation("e-mail") == "email"
    assert analysis.catenation("gpt-4") is analysis.catenation("x86_64") is None


def test_a_compound_with_a_version_after_the_joint_is_also_its_name_written_together(
    segmenter: analysis.Segmenter,
) -> None:
    """``Wi-Fi6`` is ``wifi6`` written together, and so ``wifi`` as well (a search for
    ``wifi`` finds it), at its place and with its offsets; ``yolo-v5``'s name is its
    first part already."""
    text = "Wi-Fi6路由器，YOLO-v5"
    tokens = segmenter.tokens(text)
    found = {(word, pos, text[start:end]) for word, pos, start, end in tokens}
    assert {("wifi6", 0, "Wi-Fi6"), ("wifi", 0, "Wi-Fi6"), ("wi", 0, "Wi")} <= found
    assert [word for word, *_ in tokens].count("yolo") == 1
    assert sorted(segmenter.analyze(text)) == sorted(tokens)


def test_a_percentage_is_also_its_number(segmenter: analysis.Segmenter) -> None:
    position = {word: pos for word, pos, *_ in segmenter.tokens("提升50%，误差3.5%")}
    assert position["50%"] == position["50"] and position["3"] + 1 == position["5"]
    assert analysis.parts("50%") == ["50"] and analysis.parts("c++") == []


#: Text of every kind the analyzer meets: prose, traditional characters, code, mixed
#: tokens, symbols, characters beyond the basic plane, odd spacing and punctuation.
VARIED = [
    "显存不足？PyTorch显存使用分析与优化，用torch.cuda.memory_allocated()看",
    "顯存優化與知識蒸餾：協同過濾的演算法（繁體）",
    "8比特量化、GPT4模型、3D打印、B超和T恤，2019年3月第3章，x86架构，resnet50。",
    "C++11标准与c#，.NET，v1.5版本，3.5亿，gpt-4o，a1b2比特，ab12c，13d打印",
    "Qwen2.5-72B、Python3.11、ChatGLM3-6B、llama-3.1-8b-instruct与yolov8n.pt",
    "word2vec ... --- \r\n\t  \u3000 ！！ ?? 𠵾𠵾显存 㗲勣 İstanbul ＧＰＴ４ Ｃ＋＋",
    "深度学习框架：卷积神经网络、循环神经网络、图神经网络与NN中间语言",
    "YOLOv8n与MobileNetV3、csv2json、IPv6、kv8，Wi-Fi 6与Node.js、k-means、t-SNE、yolo-v5",
    "提升50%和3.5%，5%的RTX 4090与RTX4090，美图秀秀上手，衞星與著色器，显著提升，枱",
    "南汉刘䶮.与刘䶮-南汉，+𠮷与𠀀.，Version 𠮷.",  # ideographs jieba does not know
    "在128核上部署，3天内完成，在32位上跑，iPhone15的评测，x86架构上，4090上",  # glued
]


def test_the_fast_path_gives_the_reference_tokens(segmenter: analysis.Segmenter) -> None:
    """``analyze`` and ``positions`` (indexing) give exactly the tokens of ``tokens``."""
    rng = random.Random(11)
    lines = [
        line
        for path in sorted(SAMPLE_NOTES.glob("*.markdown"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    texts = [*VARIED, "".join(VARIED), "\n".join(rng.sample(lines, 400))]
    pieces = [piece for text in VARIED for piece in text.split("、")]
    texts += ["".join(rng.choices(pieces, k=rng.randint(1, 8))) for _ in range(200)]
    texts += [text[rng.randrange(len(text)) :] for text in texts[:50]]
    for text in texts:
        expected = segmenter.tokens(text)
        assert sorted(segmenter.analyze(text)) == sorted(expected), text
        assert sorted(segmenter.analyze(text, 7)) == sorted(
            (w, p + 7, s, e) for w, p, s, e in expected
        )
        grouped: dict[str, list[int]] = {}
        for word, position, _, _ in expected:
            grouped.setdefault(word, []).append(position + 3)
        assert segmenter.positions(text, 3) == {w: sorted(p) for w, p in grouped.items()}


def test_punctuation_the_edge_scan_passes_by_is_never_in_a_word(
    segmenter: analysis.Segmenter,
) -> None:
    """The Latin-edge scan passes by ``_NEVER_IN_WORDS`` (``word,`` is no edge): sound
    only while the cut keeps each of those characters a word of its own, beside
    letters, digits, the symbols jieba keeps in words and ideographs alike."""
    never = re.compile(f"[{analysis._NEVER_IN_WORDS}]")
    marks = [chr(code) for code in range(0x3100) if never.match(chr(code))]
    assert {",", "(", "…", "“", "、", "《"} <= set(marks)
    sides = ["a", "1", "c++", "gpt4", "+", ".", "%", "中", "学习", "𠮷", ""]
    for mark in marks:
        for left in sides:
            for right in sides:
                words = segmenter._plain_cut(f"{left}{mark}{right}{mark}{mark}{left}")
                assert all(mark not in word or word == mark for word in words), (mark, words)


def _latin_edge(text: str, at: int) -> bool:
    """Whether ``text[at]`` is a Latin edge (``analysis._LATIN_EDGE``), said plainly: a
    letter, digit or kept symbol beside a character of another kind that is neither a
    space nor never in words; a symbol only beside one that is none of those kinds."""
    never = re.compile(f"[{analysis._NEVER_IN_WORDS}]")

    def kind(index: int) -> str:
        if not 0 <= index < len(text) or text[index].isspace() or never.match(text[index]):
            return "none"
        char = text[index]
        for name, chars in [("letter", "abcdefghijklmnopqrstuvwxyz"), ("digit", "0123456789")]:
            if char in chars:
                return name
        return "symbol" if char in "+-._&#%" else "other"

    here, before, after = kind(at), kind(at - 1), kind(at + 1)
    if here in ("letter", "digit"):
        return after not in ("none", here) or before in ("symbol", "other")
    return here == "symbol" and "other" in (before, after)


def test_the_latin_edge_scan_finds_every_edge_and_only_those() -> None:
    """The scan's quick refusals (a letter among letters, spaces and punctuation) leave
    its matches those of the plain definition, on every short string of the kinds."""
    chars = "ab1.+ \n,、中𠮷"
    for size in range(1, 5):
        for combo in itertools.product(chars, repeat=size):
            text = "".join(combo)
            found = [match.start() for match in analysis._LATIN_EDGE.finditer(text)]
            assert found == [at for at in range(size) if _latin_edge(text, at)], text


def test_the_fast_path_keeps_a_bounded_memory_of_words(
    segmenter: analysis.Segmenter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The words' expansions and the joined pairs the fast path remembers are forgotten
    past a bound (a long indexing run meets millions), and the tokens stay the
    reference's meanwhile."""
    monkeypatch.setattr(analysis, "_EXPANSIONS_KEPT", 5)
    monkeypatch.setattr(analysis, "_JOINED_KEPT", 5)
    segmenter._expansions.clear()
    for text in VARIED:
        assert sorted(segmenter.analyze(text)) == sorted(segmenter.tokens(text)), text
        assert len(segmenter._expansions) <= 5
    monkeypatch.setattr(analysis, "_EXPANSIONS_KEPT", 1000)
    joins = "，".join(f"{number}比特" for number in range(40))  # 40 joined pairs
    assert sorted(segmenter.analyze(joins)) == sorted(segmenter.tokens(joins))
    assert len(segmenter._joined) <= 5
    monkeypatch.undo()
    segmenter._expansions.clear()


def test_rjieba_gives_jieba_tokens(segmenter: analysis.Segmenter, tmp_path: Path) -> None:
    """rjieba with our words segments prose exactly like pure-Python jieba with them,
    neither guessing words with its HMM (see ``query.dictionary_cut``).

    (jieba-rs keeps code compounds such as ``x_1`` whole where jieba splits them; the
    tokenizer indexes those by their parts as well, see the test above.)
    """
    import jieba

    from linkindex.extract import extract_page

    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(tmp_path)
    for word, freq in segmenter.added:
        tokenizer.add_word(word, freq)
    article = (Path(__file__).parent / "fixtures" / "pages" / "wechat_article.html").read_bytes()
    texts = [extract_page(article, url="https://mp.weixin.qq.com/s/x").text]
    for path in sorted(SAMPLE_NOTES.glob("*.markdown")):
        texts += path.read_text(encoding="utf-8").splitlines()
    compared = 0
    for text in map(analysis.fold, texts):
        ours = sorted((w, s, e) for w, _, s, e in segmenter.tokens(text))
        if any(analysis.is_compound(w) or analysis.parts(w) for w, _, _ in ours):
            continue  # jieba has no mixed tokens, and cuts compounds otherwise
        theirs = tokenizer.tokenize(text, mode="search", HMM=False)
        assert ours == sorted((w, s, e) for w, s, e in theirs if analysis.is_word(w)), text
        compared += 1
    assert compared > 800


def test_a_missing_jieba_is_an_install_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from linkindex.errors import InstallError, LinkindexError

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InstallError, match="jieba package is not installed") as raised:
        folder.jieba_dictionary_path()
    assert isinstance(raised.value, LinkindexError)
    with pytest.raises(InstallError, match="rjieba"):
        extension.load()


PURE_RUN = """
import builtins, io, os, pathlib, sys
jieba_text = pathlib.Path(sys.argv[1]).read_text(encoding="utf-8")
user_text = pathlib.Path(sys.argv[2]).read_text(encoding="utf-8")

def refuse(*args, **kwargs):
    raise AssertionError(f"analysis read a file: {args[:1]}")

builtins.open = io.open = os.open = refuse
pathlib.Path.open = pathlib.Path.read_text = pathlib.Path.read_bytes = refuse
from linkindex import analysis

bundled = analysis.user_words(user_text)
segmenter = analysis.Segmenter(
    ["nn中间语言"], bundled=bundled, folded=analysis.folded_entries(jieba_text)
)
base, total = analysis.base_dictionary(jieba_text)
query = analysis.QuerySegmenter("".join(segmenter.dictionary_lines(base, total)).encode())
text = "顯存優化与NN中間語言，PyTorch的8比特量化"
assert segmenter.analyze(text) and segmenter.positions(text) and segmenter.tokens(text)
assert query.cut("顯存優化") == segmenter.cut("顯存優化") == ["显存", "优化"]
assert analysis.telltales("显存") and analysis.fold("ＡＢ顯") == "ab显"
print("pure")
"""


def test_analysis_reads_no_file(tmp_path: Path) -> None:
    """The analyzer works from the texts it is given: in a fresh process whose every way
    of opening a file fails, it still folds, segments and builds a query dictionary."""
    from importlib import resources

    user_text = resources.files("linkindex").joinpath("data/userdict.txt")
    run = subprocess.run(
        [sys.executable, "-c", PURE_RUN, str(folder.jieba_dictionary_path()), str(user_text)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.stdout.strip() == "pure", run.stderr[-2000:]


@pytest.mark.parametrize(
    ("query", "mainland"),
    [
        ("記憶體洩漏", "内存泄漏"),
        ("視訊記憶體優化", "显存优化"),
        ("伺服器 記憶體", "服务器 内存"),  # what lies between the words stays
        ("程式設計師", "程序员"),
        ("旅行程序", None),  # 行程 is not whole words of the cut (旅行 程序)
        ("程序", None),  # the mainland writes it too, for something else
        ("顯存優化", None),
        # the ideographs of a mixed token are words of the cut too (rtx4090 显示卡)
        ("RTX4090顯示卡", "rtx4090显卡"),
        ("32GB記憶體", "32gb内存"),
        ("b肝", "乙肝"),  # a mixed token that is a regional word whole
    ],
)
def test_regional_words_are_written_as_the_mainland_writes_them(
    segmenter: analysis.Segmenter, query: str, mainland: str | None
) -> None:
    folded = analysis.fold(query)
    assert analysis.other_wording(folded, segmenter.cut(folded)) == mainland


def test_a_regional_word_inside_a_longer_word_of_the_cut_counts_by_its_words() -> None:
    """A heading of the notes is a word of the dictionary (虛擬記憶體): the words it is
    made of (``apart``) are words of the cut, so 記憶體 in it is still 内存; a word of
    the table whole stays whole (視訊記憶體: 显存, not 视讯内存)."""
    pieces = {"虚拟记忆体": ["虚拟", "记忆体"], "视讯记忆体": ["视讯", "记忆体"]}
    apart = pieces.get
    assert analysis.other_wording("虚拟记忆体", ["虚拟记忆体"]) is None
    assert analysis.other_wording("虚拟记忆体", ["虚拟记忆体"], apart=apart) == "虚拟内存"
    assert analysis.other_wording("视讯记忆体", ["视讯记忆体"], apart=apart) == "显存"
    trip = ["旅行", "程序"]  # 行程 is no whole words of it
    assert analysis.other_wording("旅行程序", ["旅行程序"], apart=lambda w: trip) is None
