"""Characters as the analyzer sees them: ideographs, and the form text is matched in.

Folding maps each character to one character (``str.translate``), so a folded text has
the original's length and offsets into it are offsets into the original: results,
snippets and highlights show the text as written with the right characters marked.
Traditional characters fold to simplified ones by OpenCC's character table (its first
candidate of each), after its Hong Kong and Taiwan variant tables (``衞`` is ``衛``, so
``卫``; Taiwan's ``著`` is ``着``, and simplified text's ``著`` folds with it on both sides)
and its compatibility ideographs; Kangxi radicals (text copied from PDF files) to the
ideographs they look like; full-width letters and digits to ASCII, everything to lower
case.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from itertools import product, repeat

from linkindex.analysis.fold_pairs import PAIRS

#: CJK ideographs: the unified blocks, extension A, the compatibility block and the
#: supplementary planes (extensions B-H, where some of OpenCC's simplified forms live).
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
#: A run of them (compiling a class this large takes ~2 ms: the analyzer shares this one).
CJK_RUN = re.compile(f"[{CJK_CHARS}]+")

#: Full-width letters and digits, and the symbols jieba keeps inside English and code
#: words (＋ ＃ ＆ ． ＿ ％ －), fold to ASCII. Other full-width punctuation (，！？：) is
#: cut alone either way, and leaving it keeps most Chinese text from needing a
#: translation at all.
_FULL_WIDTH = {
    code: code - 0xFEE0
    for code in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
    + [ord(symbol) for symbol in "＋＃＆．＿％－"]
}

#: Texts this long or longer are scanned for the characters that fold (few in most
#: text) instead of being translated whole: ``str.translate`` looks up every
#: character in a dict (~0.15 us each), the scan is a regular expression in C.
_SCAN_FROM = 200
#: Text with more than one run of characters to fold in this many characters is
#: translated whole (a traditional page): one call per run then costs more than a
#: lookup per character. jieba's dictionary (3 MB, ~3,000 runs) is folded run by run.
_CHARS_PER_RUN = 8

#: Characters beyond the basic plane (emoji, rare ideographs): ``fold`` takes them in
#: runs with those that fold and looks them up in the table. The few of them that fold
#: (~600) are not a class of their own: a class of those is scanned ~20x slower than
#: this range, which made folding a page with one emoji 20x slower.
_BEYOND_BASIC_PLANE = "\U00010000-\U0010ffff"


#: Kangxi radicals (and the two supplement radicals with a compatibility form), which
#: text copied from PDF files carries for the ideographs they look like (``⽤户`` for
#: ``用户``): they fold to those ideographs, as Unicode's NFKC has them, and on.
_RADICALS = range(0x2E80, 0x2FE0)


@cache
def _fold_table() -> dict[int, int]:
    """Code point to code point: full-width ASCII, radicals and traditional characters.

    The traditional-to-simplified pairs are OpenCC's character tables as derived by
    ``scripts/fold_table.py`` into ``fold_pairs`` (its first candidate per character;
    Apache-2.0, see ``data/OpenCC-LICENSE.txt``).
    """
    table = dict(_FULL_WIDTH)
    table.update(zip(map(ord, PAIRS[0::2]), map(ord, PAIRS[1::2]), strict=True))
    for code in _RADICALS:
        ideograph = ord(unicodedata.normalize("NFKC", chr(code)))
        if ideograph != code:
            table[code] = table.get(ideograph, ideograph)  # ⾨ is 門, so 门
    return table


@cache
def _foldable() -> re.Pattern[str]:
    """Runs of the characters of the basic plane that fold to others and of those
    beyond it (``_BEYOND_BASIC_PLANE``), captured: ``fold`` splits text at them, in one
    scan (a scan for those beyond took a third of the time of folding Chinese text, as
    long as the scan for the others; in this class they add a tenth to it). Compiled on
    first use (~6 ms)."""
    basic = "".join(ch for ch in map(chr, sorted(_fold_table())) if ch <= "\uffff")
    return re.compile(f"([{re.escape(basic)}{_BEYOND_BASIC_PLANE}]+)")


@cache
def _cased() -> re.Pattern[str]:
    """Characters of the basic plane that lower-casing changes."""
    cased = "".join(ch for ch in map(chr, range(0x10000)) if ch.lower() != ch)
    return re.compile(f"[{re.escape(cased)}]")


def changes(text: str) -> list[int]:
    """Where folding changes a character of ``text`` (offsets, unordered): far quicker
    than folding a large text whose characters mostly stay (jieba's dictionary)."""
    found: list[int] = []
    table = _fold_table()
    for run in _foldable().finditer(text):
        begin, chars = run.start(), run.group()
        if max(chars) <= "\uffff":  # (each of them folds)
            found.append(begin)
        else:  # characters beyond the basic plane: only a few fold
            found += [
                begin + at for at, ch in enumerate(chars) if ch.translate(table).lower() != ch
            ]
    found += [m.start() for m in _cased().finditer(text)]
    return found


def fold(text: str) -> str:
    """The form text is matched in: traditional characters as simplified, full-width
    letters and digits as ASCII, lower case; the same length, so offsets into the
    folded text are offsets into the original.
    """
    if text.isascii():  # (nothing but the case folds: English text, code)
        return text.lower()
    if len(text) < _SCAN_FROM:
        folded = text.translate(_fold_table()).lower()
    else:
        pieces = _foldable().split(text)  # the text between runs that fold, and those runs
        runs = len(pieces) // 2
        if runs * _CHARS_PER_RUN > len(text):  # traditional text: translated whole
            folded = text.translate(_fold_table())
        else:
            if runs:
                pieces[1::2] = map(str.translate, pieces[1::2], repeat(_fold_table()))
            folded = "".join(pieces) if runs else text
        folded = folded.lower()
    if len(folded) == len(text):
        return folded
    # A few characters (U+0130 İ) grow when lower-cased: keep those as they are.
    table = _fold_table()
    return "".join(low if len(low := ch.translate(table).lower()) == 1 else ch for ch in text)


def cjk_grams(text: str, *, unigrams: bool = False) -> list[str]:
    """Overlapping character bigrams of the CJK runs of ``text`` (and single characters).

    A run of one character yields that character; with ``unigrams`` every character
    of a run is yielded as well.
    """
    grams: list[str] = []
    for match in CJK_RUN.finditer(text):
        run = match.group()
        if len(run) == 1 or unigrams:
            grams.extend(run)
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def cjk_runs(text: str) -> list[str]:
    """The runs of CJK ideographs in ``text``."""
    return CJK_RUN.findall(text)


@cache
def _script_marks() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Ideographs only traditional text writes, and those only simplified text writes:
    the unified ideographs Big5 has and GB 2312 lacks (``顯``, ``臺``), and those GB 2312
    has and Big5 lacks (``显``, ``湾``); the rest are written alike (``中``, ``台``, ``后``).
    Made on first use (~20 ms)."""
    chars = [chr(code) for code in range(0x4E00, 0xA000)]
    big5 = list(map(_encodes, chars, repeat("big5")))
    gb2312 = list(map(_encodes, chars, repeat("gb2312")))
    traditional = [c for c, b, g in zip(chars, big5, gb2312, strict=True) if b and not g]
    simplified = [c for c, b, g in zip(chars, big5, gb2312, strict=True) if g and not b]
    return _one_of(traditional), _one_of(simplified)


def _encodes(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _one_of(chars: list[str]) -> re.Pattern[str]:
    return re.compile(f"[{re.escape(''.join(chars))}]")


#: How much of a text ``script`` reads: enough to tell, quick for a page.
_SCRIPT_SAMPLE = 3000


def script(text: str) -> str:
    """The language tag of Chinese text by the script it is written in: ``zh-Hant`` when
    more of its ideographs are traditional-only than simplified-only (``顯存優化``),
    ``zh-Hans`` when fewer; ``""`` when as many (``PyTorch``, ``中文``), so a page
    can say which glyphs to draw (a font's traditional forms differ from its simplified
    ones: Taiwan's and Hong Kong's readers would read traditional text in mainland
    glyphs otherwise)."""
    sample = text[:_SCRIPT_SAMPLE]
    if not has_cjk(sample):
        return ""
    traditional, simplified = _script_marks()
    old, new = len(traditional.findall(sample)), len(simplified.findall(sample))
    if old == new:
        return ""
    return "zh-Hant" if old > new else "zh-Hans"


def traditional(text: str) -> bool:
    """Whether ``text`` writes an ideograph in a traditional or variant form (one that
    folds to another: ``記``, not ``记`` or ``中``); quick for a query, unlike ``script``."""
    return any(ch != low and CJK_RUN.match(ch) for ch, low in zip(text, fold(text), strict=False))


def has_cjk(text: str) -> bool:
    """Whether the text contains a CJK ideograph."""
    return CJK_RUN.search(text) is not None


@cache
def _spellings() -> dict[str, str]:
    """Each folded ideograph with every character that folds to it, itself first."""
    forms: dict[str, str] = {}
    for code, target in _fold_table().items():
        char = chr(target)
        forms[char] = forms.get(char, char) + chr(code)
    return forms


#: A telltale run of ideographs is looked up in at most this many spellings.
_SPELLINGS_KEPT = 16
#: KELVIN SIGN lower-cases to ``k``: the one character beyond ASCII that lower-cases to
#: a single ASCII character (U+0130 İ lower-cases to two, and folding keeps it).
_KELVIN = "\u212a"


def spellings(char: str) -> str | None:
    """Every character that folds to ``char`` (in code point order): a folded word is
    found in text as written by matching each of its characters' spellings, without
    folding the text (``search.snippet``). None for a character other than ASCII and
    the ideographs, whose spellings are not listed here.
    """
    if not (char.isascii() or CJK_RUN.fullmatch(char)):
        return None
    forms = _spellings()
    upper = char.upper()
    candidates = {char, upper, *forms.get(char, ""), *forms.get(upper, "")}
    if char == "k":
        candidates.add(_KELVIN)
    return "".join(sorted(c for c in candidates if fold(c) == char))


def telltales(word: str) -> list[str]:
    """Pieces of ``word``, one of which any text whose fold contains the word contains as is.

    The longest run of ideographs serves, in every spelling that folds to it (``显存``:
    ``显存`` ``顯存``), shortened where it has too many spellings. A word without
    ideographs is returned lower-cased (to be matched case-insensitively).
    """
    runs = cjk_runs(word)
    if not runs:
        return [word.lower()]
    forms = _spellings()
    best = ""
    for run in runs:
        for begin in range(len(run)):
            count = 1
            for end in range(begin + 1, len(run) + 1):
                count *= len(forms.get(run[end - 1], "."))
                if count > _SPELLINGS_KEPT:
                    break
                if end - begin > len(best):
                    best = run[begin:end]
    return ["".join(chars) for chars in product(*(forms.get(ch, ch) for ch in best))]
