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
_CLEAN = re.compile(f"{_ESCAPE}|{_UNFIT_CHAR}")


def _drop(match: re.Match[str]) -> str:
    found = match.group()
    if len(found) == 1 and ord(found) > 0xFFFF and ord(found) & 0xFFFE != 0xFFFE:
        return found  # an ordinary character of a later plane
    return ""


def printable(text: str) -> str:
    """``text`` without control characters, terminal escapes and noncharacters.

    Tab and newline stay; a carriage return becomes a newline (``\\r\\n`` one newline).
    Everything else is unchanged, so already clean text comes back as it was.

    >>> printable("显存\\x1b[2J优化\\x07\\ufffe")
    '显存优化'
    """
    if _FIND.search(text) is None:  # the common case, and fast
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CLEAN.sub(_drop, text)


#: The bidirectional controls that reorder the text after them: embeddings and overrides
#: (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI).
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: str) -> str:
    """``printable(text)`` with its bidirectional controls escaped visibly (``\\u202e``).

    >>> terminal_text("bidi\\u202egpj.md")
    'bidi\\\\u202egpj.md'
    """
    return _BIDI.sub(lambda found: f"\\u{ord(found.group()):04x}", printable(text))
