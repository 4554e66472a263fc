from __future__ import annotations

import codecs
import re
from collections.abc import Callable

import pytest

from linkindex import legacy_cjk
from linkindex.extract import decode_body, extract_page
from linkindex.extract.charset import chinese_share, detect_charset

Read = Callable[[str], bytes]
# 堃 and 镕 are in GBK but not in GB2312: real "gb2312" pages contain them all the time.
TEXT = "显存优化：陈堃、朱镕基"


def test_header_charset_wins() -> None:
    body = f"<html><meta charset='utf-8'><p>{TEXT}</p></html>".encode("gbk")
    assert TEXT in decode_body(body, {"Content-Type": "text/html; charset=GBK"})


def test_header_name_is_case_insensitive() -> None:
    body = TEXT.encode("gbk")
    assert decode_body(body, {"content-type": 'text/html; charset="gbk"'}) == TEXT


def test_gb2312_label_decodes_as_gb18030() -> None:
    body = TEXT.encode("gb18030") + "䶮".encode("gb18030")  # a four-byte GB18030 character
    assert decode_body(body, {"Content-Type": "text/html; charset=gb2312"}) == TEXT + "䶮"


def test_meta_charset(page_bytes: Read) -> None:
    text = decode_body(page_bytes("gbk_meta.html"))
    assert "卷积算法实现对比：im2col、FFT与Winograd" in text
    assert "陈堃" in text


def test_meta_http_equiv() -> None:
    body = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        f"</head><body>{TEXT}</body></html>"
    ).encode("gbk")
    assert TEXT in decode_body(body)


def test_charset_only_in_the_header(page_bytes: Read) -> None:
    body = page_bytes("gbk_header.html")
    assert b"charset" not in body.lower()
    text = decode_body(body, {"Content-Type": "text/html; charset=gbk"})
    assert "Winograd卷积在ARM上的优化" in text


def test_undeclared_gbk_is_detected(page_bytes: Read) -> None:
    text = decode_body(page_bytes("gbk_header.html"))
    assert "Winograd卷积在ARM上的优化" in text


def test_undeclared_utf8() -> None:
    assert decode_body(TEXT.encode()) == TEXT


def test_boms() -> None:
    assert (
        decode_body(codecs.BOM_UTF8 + TEXT.encode(), {"content-type": "text/html; charset=gbk"})
        == TEXT
    )
    assert decode_body(codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le")) == TEXT
    assert decode_body(codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be")) == TEXT


def test_unknown_label_falls_back_to_meta_then_detection() -> None:
    body = f"<meta charset='gbk'><p>{TEXT}</p>".encode("gbk")
    assert TEXT in decode_body(body, {"content-type": "text/html; charset=x-nonsense"})


def test_latin1_label_is_windows_1252() -> None:
    body = "“quoted” café".encode("cp1252")
    assert decode_body(body, {"content-type": "text/html; charset=iso-8859-1"}) == "“quoted” café"


def test_bad_bytes_become_replacement_characters() -> None:
    body = b"<meta charset='utf-8'>ok \xff\xfe end"
    assert decode_body(body).endswith("ok \ufffd\ufffd end")


def test_a_server_default_latin1_header_yields_to_the_page() -> None:
    latin1 = {"content-type": "text/html; charset=ISO-8859-1"}
    gbk_page = f"<meta charset='gb2312'><p>{TEXT}</p>".encode("gbk")
    assert TEXT in decode_body(gbk_page, latin1)
    assert decode_body(TEXT.encode(), latin1) == TEXT  # undeclared but valid UTF-8


UTF8_HEADER = {"content-type": "text/html; charset=utf-8"}


def test_a_gbk_page_served_as_utf8_falls_back_to_its_meta_charset(page_bytes: Read) -> None:
    body = page_bytes("gbk_meta.html")
    text = decode_body(body, UTF8_HEADER)
    assert "卷积算法实现对比：im2col、FFT与Winograd" in text
    assert "\ufffd" not in text
    page = extract_page(body, url="https://bbs.example.cn/t/1", headers=UTF8_HEADER)
    assert page.title == "卷积算法实现对比：im2col、FFT与Winograd"


def test_a_gbk_page_served_as_utf8_without_meta_is_detected(page_bytes: Read) -> None:
    body = page_bytes("gbk_header.html")
    assert b"charset" not in body.lower()
    text = decode_body(body, UTF8_HEADER)
    assert "Winograd卷积在ARM上的优化" in text
    assert "\ufffd" not in text


def test_a_utf8_page_with_a_few_broken_bytes_stays_utf8() -> None:
    body = f"<p>{TEXT * 3}</p>".encode() + b"\xff" + f"<p>{TEXT}</p>".encode()
    truncated = body + TEXT.encode()[:-1]  # cut inside the last character at the size cap
    assert decode_body(truncated, UTF8_HEADER) == (
        f"<p>{TEXT * 3}</p>\ufffd<p>{TEXT}</p>{TEXT[:-1]}\ufffd"
    )


#: A short page from a Chinese forum: 140-odd bytes in GBK, too little for detection.
SHORT = (
    "<html><head><title>显存优化</title></head><body><article><h1>显存优化</h1>"
    "<p>显存不足怎么办？本文介绍几种常见方法。</p></article></body></html>"
)


def test_a_gbk_page_under_a_latin1_header_without_meta_is_read_as_gbk(page_bytes: Read) -> None:
    # ISO-8859-1 fits any bytes, so it proves nothing against text that reads as Chinese.
    latin1 = {"content-type": "text/html; charset=iso-8859-1"}
    body = page_bytes("gbk_header.html")
    text = decode_body(body, latin1)
    assert "Winograd卷积在ARM上的优化" in text and "\ufffd" not in text
    page = extract_page(SHORT.encode("gbk"), url="http://bbs.example.cn/t/2", headers=latin1)
    assert (page.title, page.text.splitlines()[-1]) == (
        "显存优化",
        "显存不足怎么办？本文介绍几种常见方法。",
    )


@pytest.mark.parametrize("label", ["gbk", "gb2312", "big5", "shift_jis"])
def test_a_utf8_page_under_a_legacy_cjk_header_is_read_as_utf8(
    page_bytes: Read, label: str
) -> None:
    body = re.sub(rb"<meta charset=[^>]*>", b"", page_bytes("zhihu_article.html"), flags=re.I)
    assert b"charset" not in body.lower()  # only the header declares anything
    header = {"content-type": f"text/html; charset={label}"}
    assert decode_body(body, header) == body.decode("utf-8")
    page = extract_page(SHORT.encode(), url="http://news.example.cn/a", headers=header)
    assert page.title == "显存优化"


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "text/html; charset=utf-8"},
        {"content-type": "text/html"},
        {"content-type": "application/octet-stream"},
        {},
    ],
)
@pytest.mark.parametrize(("title", "words"), [("测试", "中文"), ("显存优化", "显存不足怎么办？")])
def test_a_short_gbk_page_with_a_wrong_or_missing_label(
    headers: dict[str, str], title: str, words: str
) -> None:
    html = (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{words}</p></article></body></html>"
    )
    body = html.encode("gbk")
    assert len(body) < 160
    assert decode_body(body, headers) == html
    page = extract_page(body, url="http://bbs.example.cn/t/3", headers=headers)
    assert page.title == title


def test_latin_pages_keep_their_single_byte_labels() -> None:
    latin1 = {"content-type": "text/html; charset=iso-8859-1"}
    for words in ("Über die Straße, für Grüße", "Ça va très bien. À bientôt, señor!"):
        body = f"<html><title>{words}</title><p>{words}</p></html>".encode("cp1252")
        assert words in decode_body(body, latin1)
        assert chinese_share(decode_body(body)) == 0.0  # undeclared: not read as GB18030


def test_a_correct_gbk_label_is_kept(page_bytes: Read) -> None:
    body = page_bytes("gbk_header.html")
    gbk = decode_body(body, {"content-type": "text/html; charset=gbk"})
    assert gbk == body.decode("gb18030")


def test_the_share_of_everyday_chinese_tells_text_from_mojibake(page_bytes: Read) -> None:
    utf8 = page_bytes("wechat_article.html")
    assert chinese_share(utf8.decode("utf-8")) > 0.95
    assert chinese_share(utf8.decode("gb18030", errors="replace")) < 0.4
    assert chinese_share(page_bytes("gbk_meta.html").decode("gb18030")) > 0.95
    assert chinese_share("plain ASCII") == 0.0


# Big5: one reading for every label (legacy_cjk.BIG5), as browsers read it.

#: What the Big5 fixture pages say: Taiwan's punctuation (～ ‧ ﹑), the euro sign, ETEN's
#: ①, Hong Kong's Cantonese (哋 咗 嘅 嘢 are Big5-HKSCS's), ordinary traditional text.
BIG5_META_TITLE = "顯存優化技巧～訓練大模型不再爆顯存"
BIG5_META_WORDS = [
    "作者：約翰‧陳",
    "梯度檢查點﹑混合精度﹑梯度累積",
    "① 梯度檢查點",
    "通常可以節省 30～50% 的顯存",
    "每小時約 €2.5",
    "「佢哋話用咗梯度累積之後",
]
BIG5_HEADER_TITLE = "深度學習入門課程心得～中大暑期班"
BIG5_HEADER_WORDS = [
    "上個暑假修咗中大嘅深度學習課程",
    "佢哋仲會提供 GPU 伺服器",
    "每星期有 3～4 小時實驗課",
    "教科書喺網上書店賣 €45",
    "呢啲嘢對初學者嚟講非常有用",
]


@pytest.mark.parametrize(
    "label", ["big5", "BIG5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5", "cp950"]
)
def test_a_big5_header_label_reads_taiwan_and_hong_kong_alike(page_bytes: Read, label: str) -> None:
    body = page_bytes("big5_header.html")
    assert b"charset" not in body.lower()
    headers = {"content-type": f"text/html; charset={label}"}
    text = decode_body(body, headers)
    assert all(words in text for words in BIG5_HEADER_WORDS) and "\ufffd" not in text
    page = extract_page(body, url="http://forum.example.hk/t/1", headers=headers)
    assert page.title == BIG5_HEADER_TITLE


@pytest.mark.parametrize("headers", [{}, {"content-type": "text/html"}, UTF8_HEADER])
def test_a_big5_meta_label_reads_as_browsers_do(page_bytes: Read, headers: dict[str, str]) -> None:
    # Also under a wrong utf-8 header: the page's own <meta charset="big5"> is tried next.
    body = page_bytes("big5_meta.html")
    text = decode_body(body, headers)
    assert all(words in text for words in BIG5_META_WORDS) and "\ufffd" not in text
    page = extract_page(body, url="http://blog.example.tw/p/1", headers=headers)
    assert page.title == BIG5_META_TITLE


def test_an_undeclared_page_detected_as_big5_is_read_as_browsers_do() -> None:
    # Taiwanese Big5 that charset-normalizer tells as "big5" (it tells none of the fixture
    # pages: no Python codec reads all of either, and ～ in a short page puts it off).
    text = (
        "<html><head><title>知識蒸餾入門：從教師到學生</title></head><body><article>"
        "<h1>知識蒸餾入門：從教師到學生</h1><p class='author'>作者：約翰‧陳</p>"
        "<p>知識蒸餾是一種模型壓縮方法：先訓練一個較大的教師模型，再讓較小的學生模型學習教師的"
        "輸出分佈。溫度參數通常設為二到五，學生模型的準確率往往只比教師低一兩個百分點。</p>"
        "<p>本文以影像分類為例，說明損失函數的設計、溫度的選擇，以及訓練時常見的問題與解決方法。"
        "</p></article></body></html>"
    )
    body = text.encode("cp950")
    assert detect_charset(body) == legacy_cjk.BIG5
    assert decode_body(body) == text  # 約翰‧陳, not 約翰•陳


def test_a_stray_byte_in_a_big5_page_is_one_replacement_character(page_bytes: Read) -> None:
    # A byte no character starts with, and a character Python's tables lack (HKSCS-2008's
    # 𥣞, 87 A1) cost one U+FFFD each: the page stays Big5 (MISFITS_TOLERATED), and the
    # character after them is read whole.
    body = page_bytes("big5_header.html")
    at = body.index("教科書".encode("cp950"))
    broken = body[:at] + b"\xff" + body[at:].replace("嘢".encode("big5hkscs"), b"\x87\xa1")
    text = decode_body(broken, {"content-type": "text/html; charset=big5"})
    expected = decode_body(body, {"content-type": "text/html; charset=big5"})
    assert text == expected.replace("教科書", "\ufffd教科書").replace("嘢", "\ufffd")


def test_a_gbk_page_served_as_big5_is_read_as_gbk() -> None:
    # GBK's bytes are nearly all Big5 codes too (rare characters, few misfits): its
    # GB18030 reading, everyday Chinese, tells it apart
    title = "OpenVINO视觉加速库使用六：模型量化与推理优化的实践经验"
    body = f"<html><body><p>{title}</p></body></html>".encode("gbk")
    assert decode_body(body, {"content-type": "text/html; charset=big5"}).count(title) == 1
    # a line of a few characters is no proof: Big5 text reads as common GB2312 hanzi
    # now and then; a Big5 page stays Big5 (the Big5 pages above, long and short)
    short = "<p>繁體中文</p>".encode("big5")
    assert "繁體中文" in decode_body(short, {"content-type": "text/html; charset=big5"})


@pytest.mark.parametrize(
    ("label", "text", "codec"),
    [
        # 똠 is a syllable of Windows's Unified Hangul Code (CP949), not of EUC-KR
        ("ks_c_5601-1987", "똠방각하의 메모리 최적화 기법", "cp949"),
        ("windows-949", "똠방각하의 메모리 최적화 기법", "cp949"),
        # ① is Windows's (CP932) in Shift_JIS; a short page, too short to detect
        ("windows-31j", "第①章 はじめに", "cp932"),
        ("x-sjis", "第①章 はじめに", "cp932"),
    ],
)
def test_legacy_cjk_labels_are_read_as_browsers_read_them(
    label: str, text: str, codec: str
) -> None:
    body = f"<html><title>{text}</title><p>{text}</p></html>".encode(codec)
    assert text in decode_body(body, {"content-type": f"text/html; charset={label}"})
