"""The one cleaning of shown text: controls, terminal escapes and noncharacters out."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkindex.printable import printable


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("显存\x1b[2J优化", "显存优化"),  # CSI: clear the screen
        ("a\x1b[1;31mred\x1b[0m", "ared"),  # colours
        ("x\x1b]0;window title\x07y", "xy"),  # OSC ended by BEL
        ("x\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\y", "xlinky"),  # OSC 8, ST
        ("p\x1bcq", "pq"),  # ESC c: reset the terminal
        ("bell\x07 nul\x00 del\x7f", "bell nul del"),
        ("nel\x85 csi\x9b31m", "nel csi31m"),  # C1 controls go one by one
        ("mojibake â€\x9d kept", "mojibake â€ kept"),
        ("\ufffe\uffff\ufdd0x\U0001fffe\U0010ffff", "x"),  # noncharacters
        ("lone \udc80 surrogate", "lone  surrogate"),
        ("CJK Ext B 𠀀 and emoji 😀 stay", "CJK Ext B 𠀀 and emoji 😀 stay"),
        ("tab\tand\nnewline stay", "tab\tand\nnewline stay"),
        ("windows\r\nmac\rlines", "windows\nmac\nlines"),
        ("unterminated \x1b[", "unterminated "),
    ],
)
def test_printable(text: str, clean: str) -> None:
    assert printable(text) == clean


def test_clean_text_is_returned_as_it_is() -> None:
    text = "显存不足？PyTorch显存使用分析与优化"
    assert printable(text) is text


@given(st.text())
def test_anything_cleaned_is_valid_xml_and_has_no_escape(text: str) -> None:
    clean = printable(text)
    assert "\x1b" not in clean and "\r" not in clean
    assert not any(_control(ch) and ch not in "\t\n" for ch in clean)
    element = ET.Element("t", a=clean)
    element.text = clean
    ET.fromstring(ET.tostring(element))  # a well-formed document whatever the text
    assert printable(clean) == clean


def _control(ch: str) -> bool:
    return ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F
