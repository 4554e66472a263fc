"""A note's bytes read as written, whichever legacy CJK encoding its editor saved it in."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkindex.notes.decoding import decode

SAMPLE_NOTES = sorted((Path(__file__).parent.parent / "data" / "notes").iterdir())

#: A Taiwanese note: Jekyll front matter, topic headings, URL lines each followed by its
#: title, in traditional characters, with Taiwan's punctuation (「」、～ and ‧).
TAIWAN = """\
---
layout: post
title: 深度學習筆記
category: AI
---

# 顯存優化

https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA
顯存優化技巧～訓練大模型不再爆顯存

https://zhuanlan.zhihu.com/p/31558973
梯度檢查點與混合精度訓練

# 知識蒸餾

https://github.com/haitongli/knowledge-distillation-pytorch
知識蒸餾入門：從「教師」到「學生」

# 推薦系統

https://www.cnblogs.com/pinard/p/6351319.html
協同過濾演算法‧矩陣分解篇
"""

#: A Hong Kong note: standard written Chinese with Cantonese in its titles (嘅 佢哋 冇 嚟 are
#: in Big5-HKSCS only) and a place name (邨).
HONG_KONG = """\
---
title: 香港嘅機器學習資源
---

# 課程

https://www.cse.cuhk.edu.hk/course/
中大嘅深度學習課程，佢哋冇收費

https://hkust.edu.hk/ai
嚟緊嘅人工智能講座：石硤尾邨社區中心
"""

JAPANESE = """\
---
layout: post
title: 機械学習の入門
---

# メモリ最適化

https://qiita.com/items/0123456789abcdef
PyTorchでGPUメモリを節約する方法

# 深層学習

https://zenn.dev/articles/transformer
トランスフォーマーの注意機構を図解する
"""

KOREAN = """\
---
title: 머신러닝 입문
---

# 메모리 최적화

https://velog.io/@ml/gpu-memory
파이토치 GPU 메모리 최적화 기법

# 추천 시스템

https://brunch.co.kr/@ml/collaborative-filtering
협업 필터링 알고리즘 정리
"""

SIMPLIFIED = """\
---
title: 深度学习笔记
---

# 显存优化

https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA
显存不足？PyTorch显存使用分析与优化

https://zhuanlan.zhihu.com/p/31558973
模型压缩综述
"""


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        (TAIWAN, "cp950"),  # Big5 as Windows in Taiwan saves it
        (HONG_KONG, "big5hkscs"),
        (JAPANESE, "cp932"),  # Shift_JIS with Windows' extensions
        (JAPANESE, "shift_jis"),
        (JAPANESE, "euc_jp"),
        (KOREAN, "euc_kr"),
        (KOREAN, "cp949"),
        (SIMPLIFIED, "gbk"),
        (SIMPLIFIED, "gb18030"),
    ],
)
def test_a_note_is_read_as_written(text: str, codec: str) -> None:
    assert decode(text.encode(codec)) == decode(text.encode())  # the text, with no warning


@pytest.mark.parametrize(
    ("title", "codec"),
    [
        ("顯存優化技巧", "cp950"),
        ("知識蒸餾入門", "cp950"),
        ("協同過濾演算法", "cp950"),
        ("顯存優化技巧", "big5hkscs"),
        ("機械学習の入門", "cp932"),
        ("メモリ最適化", "cp932"),
        ("機械学習の入門", "euc_jp"),
        ("メモリ最適化", "euc_jp"),
        ("메모리 최적화 기법", "euc_kr"),
        ("협업 필터링 알고리즘", "euc_kr"),
        ("显存优化技巧", "gbk"),
        ("知识蒸馏入门", "gbk"),
        ("协同过滤算法", "gbk"),
        ("模型压缩综述", "gbk"),
        # traditional characters saved as GBK (which has them) are GBK all the same
        ("顯存優化技巧", "gbk"),
        # as EUC-JP, 神经网络 reads 舞将利大 and 推断引擎 as EUC-KR 股뙤多헐: real characters,
        # which only their language's odds (few kanji among kana, few hanja) rule out
        ("神经网络介绍", "gbk"),
        ("推断引擎", "gbk"),
        # bytes that are partly valid UTF-8: 学习 in GBK is ѧϰ in UTF-8, 參考 in Big5 ѦҸ
        ("emacs学习心得", "gbk"),
        ("DL參考資源", "cp950"),
    ],
)
def test_a_note_of_one_title_is_read_as_written(title: str, codec: str) -> None:
    note = f"https://example.com/x\n{title}\n"
    assert decode(note.encode(codec)).text == note


@pytest.mark.parametrize("path", SAMPLE_NOTES, ids=lambda path: path.name)
def test_gbk_notes_stay_gbk(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert decode(text.encode("gb18030")).text == text


@pytest.mark.parametrize(
    ("codec", "titles"),
    [
        ("cp950", ["顯存優化", "知識蒸餾"]),
        ("gbk", ["显存优化", "知识蒸馏"]),
        ("cp932", ["機械学習", "メモリ"]),
        ("euc_kr", ["메모리 최적화", "추천"]),
    ],
)
def test_a_note_of_links_with_a_few_titles_is_read_as_written(
    codec: str, titles: list[str]
) -> None:
    links = "".join(f"- https://github.com/owner/repo{n}\n" for n in range(30))
    note = (
        f"# Links\n\n{links}\nhttps://a.example/\n{titles[0]}\n\nhttps://b.example/\n{titles[1]}\n"
    )
    assert decode(note.encode(codec)).text == note


def test_a_stray_byte_in_a_big5_note_is_named_in_big5_terms() -> None:
    decoded = decode(TAIWAN.encode("cp950") + b"\xff\n")
    assert decoded.text == TAIWAN + "\ufffd\n"
    assert decoded.warning == (
        "1 byte that is not Big5 text replaced with U+FFFD, the rest imported; "
        "save the note as UTF-8 to keep them"
    )


#: A note in Big5 as Taiwan's and Hong Kong's editors write it: Windows's ～ ‧ €, ETEN's ①
#: (C6A1, which Python's cp950 reads as ヾ) and Hong Kong's Cantonese.
BIG5_NOTE = """\
# 顯存優化

https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA
① 梯度檢查點：節省 30～50% 顯存，雲端 GPU 每小時約 €2.5

https://www.cse.cuhk.edu.hk/course/
約翰‧陳：佢哋話用咗梯度累積之後，批次大小可以開大好多
"""


def big5(text: str) -> bytes:
    """``text`` in Big5: Big5-HKSCS's codes, and Windows's (CP950) for ～ ‧ € it lacks."""
    encoded = bytearray()
    for char in text:
        try:
            encoded += char.encode("big5hkscs")
        except UnicodeEncodeError:
            encoded += char.encode("cp950")
    return bytes(encoded)


def test_a_big5_note_is_read_as_browsers_read_big5() -> None:
    assert decode(big5(BIG5_NOTE)) == decode(BIG5_NOTE.encode())  # the text, with no warning


def test_a_big5_character_python_lacks_costs_its_own_two_bytes() -> None:
    # HKSCS-2008's 𥣞 (87 A1), in no table of Python's: its two bytes are replaced and the
    # text after it is read as written (with 87 alone replaced, A1 paired with 約's first
    # byte, and 約翰‧ came out as ′钂哄E).
    name = "約翰".encode("cp950")
    decoded = decode(big5(BIG5_NOTE).replace(name, b"\x87\xa1" + name))
    assert decoded.text == BIG5_NOTE.replace("約翰", "\ufffd\ufffd約翰")
    assert decoded.warning.startswith("2 bytes that are not Big5 text replaced with U+FFFD")


def test_a_stray_byte_in_a_shift_jis_note_is_named_in_shift_jis_terms() -> None:
    decoded = decode(JAPANESE.encode("cp932") + "の".encode("cp932")[:1])  # a cut character
    assert decoded.text == JAPANESE + "\ufffd"
    assert decoded.warning.startswith("1 byte that is not Shift_JIS text replaced with U+FFFD")


@pytest.mark.parametrize(
    "data",
    [
        "naïve https://example.com/a".encode() + b" caf\xe9s\n",
        "Ελληνικά https://example.com/a".encode() + b" caf\xe9s\n",
        "Café crème https://example.com/a".encode() + b" d\xe9j\xe0\n",
    ],
    ids=["latin", "greek", "two-bytes"],
)
def test_a_utf8_note_with_stray_bytes_stays_utf8(data: bytes) -> None:
    """A stray Latin-1 byte does not make a UTF-8 note's other characters CJK: a legacy
    reading of ``caf\\xe9s`` would take the ``s`` as half of 閟."""
    decoded = decode(data)
    assert decoded.text is not None
    good = data.decode("utf-8", "replace")
    assert decoded.text == good
    assert "not UTF-8 text replaced with U+FFFD" in decoded.warning


@pytest.mark.parametrize(
    "data",
    [
        "Links: “https://example.com/a” and “https://example.org/b”\n".encode("cp1252"),
        b"see \xe9https://example.com/a\xe9b\n",
    ],
    ids=["cp1252-quotes", "stray-before-link"],
)
def test_no_reading_takes_a_links_first_letter(data: bytes) -> None:
    """Bytes before a link that no CJK encoding reads as written: a reading that takes
    the link's ``h`` as half of a character would lose the link; the note keeps it."""
    decoded = decode(data)
    assert decoded.text is not None
    assert decoded.text.count("https://example.") == data.count(b"https://example.")
