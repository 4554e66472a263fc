"""Legacy Chinese, Japanese and Korean encodings: the codec each is read with, and Big5.

Pure: labels and bytes in, codec names and text out. Both readers of legacy text use it: a
web page's declared or detected charset (``extract.charset``) and a note's likeliest
encoding (``notes.decoding``), so a Big5 title reads the same in a note and on the page it
links to.

Each encoding is read as browsers read it (the WHATWG Encoding Standard), with the
superset its label stands for in practice: GBK and GB2312 as GB18030 (pages labelled
gb2312 hold GBK's 堃 and 镕), Shift_JIS as Windows's CP932, EUC-KR as Windows's CP949
(Unified Hangul Code: the syllables EUC-KR lacks).

Big5 has no such codec in Python. Browsers read every Big5 label (big5, big5-hkscs,
cn-big5, csbig5, x-x-big5) with one decoder: Big5 with the Hong Kong Supplementary
Character Set and Windows's additions. Python's ``cp950`` is Windows's Big5: without Hong
Kong's 4,700 characters (佢 哋 嘅 嘢), and with an old table's kana and Cyrillic in the
ETEN rows, C6A1-C7FE, where Big5 has ① ② ⑴ ⅰ and radicals (it reads ① as ヾ).
``big5hkscs`` reads those rows right, but reads nine of Taiwan's punctuation marks as
look-alikes (～ as ∼, ‧ as •, ﹑ as ､, ￥ as ¥) and has no €. ``BIG5`` is ``big5hkscs``
with Windows's € and punctuation (``_decode_big5``).

Over the 19,782 two-byte codes, against the Standard's index (``scripts/big5_table.py``),
``BIG5`` reads 18,401 as browsers do; 2 as look-alikes (A241 and A242, ／ and ＼ for ∕
and ﹨: ``big5hkscs`` reads A1FE and A240 so too, and the text cannot tell them apart);
and cannot read 191 that browsers read (HKSCS-2008's 68 additions, 84 compatibility
codes for characters Big5 has elsewhere, 33 control pictures, 6 of ETEN's radicals and
marks). CP950 with Big5-HKSCS for what CP950 cannot read (the notes' reading before) read
250 codes otherwise than browsers, all in the ETEN rows.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from functools import cache, partial

__all__ = [
    "BIG5",
    "CODECS",
    "EUC_JP",
    "EUC_KR",
    "GB18030",
    "ISO_2022_JP",
    "SHIFT_JIS",
    "codec_for",
    "decode",
]

#: The codecs each encoding is read with (``decode`` takes them).
GB18030 = "gb18030"
BIG5 = "big5-web"  # no Python codec: ``decode`` reads it (``_decode_big5``)
SHIFT_JIS = "cp932"
EUC_JP = "euc_jp"
ISO_2022_JP = "iso2022_jp"
EUC_KR = "cp949"

#: Each encoding's labels: the WHATWG Encoding Standard's (what pages declare), then the
#: names Python's codecs give the same encodings (``codecs.lookup(label).name``, which
#: catches their other aliases: ms950, sjis, ksc5601…).
_LABELS = {
    GB18030: (
        *("chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk"),
        *("iso-ir-58", "x-gbk", "gb18030"),
        # Browsers refuse HZ (the Standard's replacement encoding); read as before, as the
        # ASCII it is written in.
        "hz-gb-2312",
    ),
    BIG5: ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5", "big5hkscs", "cp950"),
    SHIFT_JIS: (
        *("csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j"),
        *("x-sjis", "cp932"),
    ),
    EUC_JP: ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp", "euc_jp"),
    ISO_2022_JP: ("csiso2022jp", "iso-2022-jp", "iso2022_jp"),
    EUC_KR: (
        *("cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987"),
        *("ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949", "euc_kr", "cp949"),
    ),
}
_CODEC_BY_LABEL = {label: codec for codec, labels in _LABELS.items() for label in labels}

#: The codecs legacy CJK labels are read with.
CODECS = frozenset(_LABELS)


def codec_for(label: str) -> str | None:
    """The codec a legacy CJK charset label (lower case) is read with, or None if it names
    none of these encodings."""
    return _CODEC_BY_LABEL.get(label)


def decode(data: bytes, codec: str, errors: str = "strict") -> str:
    """``data`` read with ``codec``: ``BIG5`` here, any other as ``bytes.decode`` reads it.

    ``errors`` is ``bytes.decode``'s (``replace``, ``surrogateescape``…); an unknown codec
    raises LookupError, as there.
    """
    if codec == BIG5:
        return _decode_big5(data, errors)
    return data.decode(codec, errors)


# Big5 as browsers read it (see the module docstring).

#: Windows's euro sign (CP950 A3E1, €), which Big5-HKSCS does not have.
_EURO = b"\xa3\xe1"

#: Taiwan's punctuation as Windows (CP950) and browsers read it, by what ``big5hkscs`` reads
#: instead: each of these is its reading of one code only (A145 A14E A1C2 A1E3 A1F2 A1F3
#: A244 A246 A247), so the text says which code it was. (Its ／ and ＼ are also its reading
#: of A241 and A242, browsers' ∕ and ﹨: left as they are.)
_WEB_PUNCTUATION = {
    "\u2022": "\u2027",  # • -> ‧ (hyphenation point: 約翰‧史密斯)
    "\uff64": "\ufe51",  # ､ -> ﹑
    "\u203e": "\u00af",  # ‾ -> ¯
    "\u223c": "\uff5e",  # ∼ -> ～ (1～3)
    "\u2641": "\u2295",  # ♁ -> ⊕
    "\u2609": "\u2299",  # ☉ -> ⊙
    "\u00a5": "\uffe5",  # ¥ -> ￥
    "\u00a2": "\uffe0",  # ¢ -> ￠
    "\u00a3": "\uffe1",  # £ -> ￡
}
# A pattern finds the few, where str.translate would look up every character (15 times
# slower on a page of Chinese).
_LOOKALIKES = re.compile("[" + "".join(_WEB_PUNCTUATION) + "]")


def _decode_big5(data: bytes, errors: str) -> str:
    """Big5 as browsers read it: ``big5hkscs`` with Windows's € and punctuation.

    A code neither reads goes to ``errors`` as browsers size it: the lead byte with its
    second byte unless that is ASCII (``big5hkscs`` reports the lead byte alone, and its
    second byte then starts a character of its own: 嫙 out of A3 E1 7A).
    """
    text = data.decode("big5hkscs", _handler(errors))
    return _LOOKALIKES.sub(_web_punctuation, text)


def _web_punctuation(match: re.Match[str]) -> str:
    """The punctuation mark browsers read where ``big5hkscs`` read a look-alike."""
    return _WEB_PUNCTUATION[match[0]]


@cache
def _handler(errors: str) -> str:
    """The name of the error handler ``_decode_big5`` reads with, for caller's ``errors``
    (registered once: Python's codecs take error handlers by name)."""
    otherwise = codecs.lookup_error(errors)  # LookupError for an unknown one, as decode's
    name = f"linkindex.big5.{errors}"
    codecs.register_error(name, partial(_euro_or, otherwise))
    return name


_Handler = Callable[[UnicodeError], tuple[str | bytes, int]]


def _euro_or(otherwise: _Handler, error: UnicodeError) -> tuple[str | bytes, int]:
    """A code ``big5hkscs`` cannot read: Windows's €, else ``otherwise`` on its bytes."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    data, start = error.object, error.start
    if data.startswith(_EURO, start):
        return "\u20ac", start + 2
    lead_and_byte = 0x81 <= data[start] <= 0xFE and start + 1 < len(data)
    end = start + 2 if lead_and_byte and data[start + 1] >= 0x80 else start + 1
    failed = UnicodeDecodeError(error.encoding, data, start, end, error.reason)
    return otherwise(failed)
