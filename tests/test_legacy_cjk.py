"""Legacy CJK encodings: the codec each label is read with, and Big5 as browsers read it."""

from __future__ import annotations

import pytest

from linkindex import legacy_cjk
from linkindex.legacy_cjk import BIG5

#: Every two-byte code of Big5's space: lead 0x81-0xFE, second byte 0x40-0x7E or 0xA1-0xFE.
CODES = [
    bytes((lead, second))
    for lead in range(0x81, 0xFF)
    for second in (*range(0x40, 0x7F), *range(0xA1, 0xFF))
]


def reading(code: bytes, codec: str) -> str | None:
    """What a codec reads a whole code as, or None."""
    try:
        return legacy_cjk.decode(code, codec)
    except UnicodeDecodeError:
        return None


@pytest.mark.parametrize(
    # The WHATWG Encoding Standard's labels for Big5, and Python's names for its variants
    "label",
    ["big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5", "big5hkscs", "cp950"],
)
def test_every_big5_label_is_one_reading(label: str) -> None:
    assert legacy_cjk.codec_for(label) == BIG5


@pytest.mark.parametrize(
    ("code", "text"),
    [
        # Taiwan's punctuation and the euro sign, as Windows (CP950) and browsers read them
        (b"\xa1\xe3", "～"),  # big5hkscs: ∼ (U+223C)
        (b"\xa1\x45", "‧"),  # big5hkscs: • (U+2022)
        (b"\xa1\x4e", "﹑"),  # big5hkscs: ､ (U+FF64)
        (b"\xa2\x44", "￥"),  # big5hkscs: ¥
        (b"\xa3\xe1", "€"),  # big5hkscs: none
        # ETEN's rows, as Big5-2003, Big5-HKSCS and browsers read them
        (b"\xc6\xa1", "①"),  # cp950: ヾ
        (b"\xc7\xf3", "А"),  # cp950: ⑴
        (b"\xf9\xfe", "￭"),  # cp950: ▓
        # Cantonese: 佢 is Big5's own, 哋 嘅 嘢 Hong Kong's, which CP950 has not
        (b"\xca\x5c", "佢"),
        (b"\x92\x5d", "哋"),
        (b"\x9d\xef", "嘅"),
        (b"\x9d\xcf", "嘢"),
        # a code that reads as a letter and a combining mark
        (b"\x88\x62", "\u00ca\u0304"),
        # ordinary traditional text
        ("顯存優化".encode("cp950"), "顯存優化"),
    ],
)
def test_big5_reads_as_browsers_do(code: bytes, text: str) -> None:
    assert legacy_cjk.decode(code, BIG5) == text


def test_big5_is_windows_in_the_symbol_rows_and_hong_kong_elsewhere() -> None:
    # The rule the reading keeps for all 19,782 codes (scripts/big5_table.py checks it
    # against the Standard's index): in rows A1-A3 what CP950 reads, elsewhere what
    # Big5-HKSCS reads; A241 and A242 as Big5-HKSCS reads them (／ ＼, not ∕ ﹨).
    for code in CODES:
        windows, hong_kong = reading(code, "cp950"), reading(code, "big5hkscs")
        symbols = 0xA1 <= code[0] <= 0xA3 and code not in (b"\xa2\x41", b"\xa2\x42")
        expected = windows if symbols else hong_kong
        assert reading(code, BIG5) == expected, code.hex()


@pytest.mark.parametrize(
    ("data", "errors", "text"),
    [
        # A code neither table has (HKSCS-2008's 𥣞) costs its two bytes, not the next
        # character too: big5hkscs reports its first byte alone, and A1 A4 would be ﹞.
        (b"\x87\xa1\xa4\x40", "replace", "\ufffd一"),
        (b"\x87\xa1\xa4\x40", "surrogateescape", "\udc87\udca1一"),
        # ... but an ASCII byte after a lead byte is read as ASCII, as browsers do
        (b"\x87\x7a\xa4\x40", "replace", "\ufffdz一"),
        (b"\x81\x41", "surrogateescape", "\udc81A"),
        # bytes that start no character, and a character cut at the end
        (b"\x80\xa4\x40\xff", "replace", "\ufffd一\ufffd"),
        (b"\xa4\x40\xa4", "replace", "一\ufffd"),
        (b"\xa4\x40\xa4", "ignore", "一"),
    ],
)
def test_bytes_big5_cannot_read_go_to_the_error_handler(
    data: bytes, errors: str, text: str
) -> None:
    assert legacy_cjk.decode(data, BIG5, errors) == text


def test_big5_errors_are_those_of_bytes_decode() -> None:
    with pytest.raises(UnicodeDecodeError):
        legacy_cjk.decode(b"\xa4\x40\x87\xa1", BIG5)
    with pytest.raises(LookupError):
        legacy_cjk.decode(b"\xa4\x40", BIG5, "no-such-handler")
    with pytest.raises(LookupError):
        legacy_cjk.decode(b"\xa4\x40", "no-such-codec")


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("gbk", "gb18030"),
        ("gb2312", "gb18030"),
        ("csgb2312", "gb18030"),
        ("x-gbk", "gb18030"),
        ("shift_jis", "cp932"),
        ("windows-31j", "cp932"),
        ("x-sjis", "cp932"),
        ("euc-kr", "cp949"),
        ("ks_c_5601-1987", "cp949"),
        ("windows-949", "cp949"),
        ("euc-jp", "euc_jp"),
        ("iso-2022-jp", "iso2022_jp"),
    ],
)
def test_legacy_labels_are_read_with_their_supersets(label: str, codec: str) -> None:
    assert legacy_cjk.codec_for(label) == codec


def test_other_labels_are_none_of_its_business() -> None:
    assert legacy_cjk.codec_for("utf-8") is None
    assert legacy_cjk.codec_for("iso-8859-1") is None
