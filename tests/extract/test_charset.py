from __future__ import annotations

import codecs
from collections.abc import Callable

from linkindex.extract import decode_body, extract_page

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
