"""Text fit to print: control characters, terminal escapes and noncharacters taken out.

Titles, descriptions and page text come from notes and pages nobody vetted. A title
carrying ``\\x1b[2J`` clears the screen of whoever runs ``linkindex show``; a ``\\x01`` or a
U+FFFE makes an XML export (OPML, EPUB) unreadable. ``printable`` is the one cleaning
every such text goes through: the notes parser at import, the extractors for crawled
pages, and the exports where they write XML. Pure, no I/O.

``terminal_text`` is what the CLI prints: printable, and with the bidirectional
overrides, embeddings and isolates (U+202A..U+202E, U+2066..U+2069) shown as ``\\u202e``:
they are text (kept in the library and in exports), but on a terminal they reorder what
follows, so a note ``bidi\\u202egpj.md`` would read ``bidimd.jpg``.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["printable", "terminal_text"]

#: One character that has no place in shown text: C0 controls but tab and newline, DEL,
#: C1 controls, lone surrogates (XML forbids them, UTF-8 cannot write them), and the
#: noncharacters Unicode keeps for internal use: U+FDD0..U+FDEF and U+nFFFE, U+nFFFF in
#: every plane. Past the first plane the class takes every character from U+1FFFE on
#: (one range is much faster for the regex engine than 32 single characters) and
#: ``_drop`` keeps those that are not noncharacters (CJK Extension B and later).
_UNFIT_CHAR = (
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    r"\U0001fffe-\U0010ffff]"
)

#: Terminal escape sequences (ECMA-48), removed whole so that no ``[2J`` is left behind:
#: CSI (ESC [ parameters, intermediates, final byte), the string commands OSC, DCS, SOS,
#: PM and APC up to BEL or ST (never past the line: an unterminated one ends there), and
#: any other ESC sequence. A C1 control (U+009B is CSI too) is removed on its own, without
#: what follows: mojibake (UTF-8 read as Latin-1) puts U+0080..U+009F in ordinary text.
_ESCAPE = (
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)?"
    r"|\x1b[ -/]*[0-~]?"
)

_FIND = re.compile(_UNFIT_CHAR)
#: What is taken out: escape sequences whole, unfit characters.
_CLEAN = f"{_ESCAPE}|{_UNFIT_CHAR}"

#: What ``separate`` looks for: the escape sequences that have a whole structure (CSI up
#: to a final byte that does not start a bare URL's scheme, a string command up to its
#: terminator), the unfit characters (a lone ESC among them), and the line and paragraph
#: separators, which are fit but which Markdown does not read as the line breaks they are.
_SEPARATE = (
    r"\x1b\[[0-?]*[ -/]*(?!(?:https?|file)://)[@-~]"
    r"|\x1b[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)"
    rf"|{_UNFIT_CHAR}|[\u2028\u2029]"
)
_FIND_SEPARATE = rf"{_UNFIT_CHAR}|[\u2028\u2029]"


@cache
def _pattern(source: str) -> re.Pattern[str]:
    """A pattern compiled when first needed: most text is clean (``_FIND`` tells), and a
    process that only prints (``linkindex search``) would spend ~4 ms compiling the
    patterns that clean text or keep notes' words apart."""
    return re.compile(source)


#: Characters that end a line where they stand: NEL (U+0085, a line end in EBCDIC and
#: in some editors), vertical tab, form feed, and Unicode's line and paragraph separators.
_LINE_ENDS = frozenset("\x0b\x0c\x85\u2028\u2029")

#: A URL's scheme: text that must not be glued to what comes before it.
_SCHEME_NEXT = r"[A-Za-z][A-Za-z0-9+.-]*://"


def _drop(match: re.Match[str]) -> str:
    found = match.group()
    if len(found) == 1 and ord(found) > 0xFFFF and ord(found) & 0xFFFE != 0xFFFE:
        return found  # an ordinary character of a later plane
    return ""


def _separator(match: re.Match[str]) -> str:
    found = match.group()
    if len(found) > 1:  # an escape sequence: formatting inside a word (``主题\x1b[31m一``)
        return " " if _pattern(_SCHEME_NEXT).match(match.string, match.end()) else ""
    if found in _LINE_ENDS:
        return "\n"
    return _drop(match) or " "


def printable(text: str, *, separate: bool = False) -> str:
    """``text`` without control characters, terminal escapes and noncharacters.

    Tab and newline stay; a carriage return becomes a newline (``\\r\\n`` one newline).
    Everything else is unchanged, so already clean text comes back as it was.

    ``separate`` is for text whose words and links must stay apart (a note at import):
    an unfit character becomes a space rather than nothing, so that
    ``https://a.example/x\\x07https://b.example/y`` stays two URLs; NEL, vertical tab,
    form feed and U+2028/U+2029 become a newline; an escape sequence with a structure
    (CSI, OSC…) still goes without a trace (a space before a URL), but a lone ESC goes
    alone, never with the character after it (``\\x1bhttps://…`` keeps its ``h``).

    >>> printable("显存\\x1b[2J优化\\x07\\ufffe")
    '显存优化'
    >>> printable("a\\x07b\\x85c\\x1bd", separate=True)
    'a b\\nc d'
    """
    finder = _pattern(_FIND_SEPARATE) if separate else _FIND
    if finder.search(text) is None:  # the common case, and fast
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if separate:
        return _pattern(_SEPARATE).sub(_separator, text)
    return _pattern(_CLEAN).sub(_drop, text)


#: The bidirectional controls that reorder the text after them: embeddings and overrides
#: (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI).
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: str) -> str:
    """``printable(text)`` with its bidirectional controls escaped visibly (``\\u202e``).

    >>> terminal_text("bidi\\u202egpj.md")
    'bidi\\\\u202egpj.md'
    """
    return _BIDI.sub(lambda found: f"\\u{ord(found.group()):04x}", printable(text))
