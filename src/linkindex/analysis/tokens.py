"""What the words of a jieba cut become: tokens, compounds and mixed tokens.

A code compound (``torch.cuda``) is indexed whole and by its parts at consecutive
positions, and one of two parts joined between letters (``wi-fi``) also as it is often
written, without the joint (``wifi``); a mixed token (``gpt4``, ``b超``, ``yolov8``, and
``8比特`` where jieba cuts ``8`` ``比特``) whole and by its parts at one position; a word of
the plain cut with the dictionary words that search mode finds inside it at its
position; punctuation not at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from linkindex.analysis.characters import CJK_RUN

Token = tuple[str, int, int, int]  # folded word, position, start char, end char


def is_word(token: str) -> bool:
    """Whether a token carries meaning (has a letter, digit or ideograph)."""
    return any(ch.isalnum() for ch in token)


COMPOUND_PART = re.compile(r"[0-9a-z+#]+")


def is_compound(word: str) -> bool:
    """An English/code run that jieba-rs keeps whole: ``torch.cuda``, ``x_1``, ``2016-2017``."""
    return word.isascii() and any(c in "._-" for c in word) and len(COMPOUND_PART.findall(word)) > 1


def compound_parts(word: str) -> list[str]:
    """The parts of a code compound, in order (``torch.cuda`` -> ``torch`` ``cuda``)."""
    return COMPOUND_PART.findall(word)


def catenation(word: str) -> str | None:
    """What a code compound of two parts joined between letters is also indexed as: the
    parts written together, as many write it (``wi-fi`` -> ``wifi``, ``node.js`` ->
    ``nodejs``, ``k-means`` -> ``kmeans``, ``yolo-v5`` -> ``yolov5``). None for other words:
    ``gpt-4`` is found as ``gpt4`` by its parts already, and a longer compound is mostly a
    module path (``torch.nn.functional``) nobody writes together."""
    if not is_compound(word):
        return None
    pieces = compound_parts(word)
    if len(pieces) == 2 and pieces[0][-1].isalpha() and pieces[1][0].isalpha():
        return pieces[0] + pieces[1]
    return None


def in_parts(words: Sequence[str]) -> list[str]:
    """Words with each code compound replaced by its parts: the words of a phrase, which
    the index holds at consecutive positions."""
    return [
        part for word in words for part in (compound_parts(word) if is_compound(word) else [word])
    ]


#: Runs of Latin letters and digits in a word (captured: a split keeps them); a mixed
#: token's other runs are ideographs (``CJK_RUN``, whose class is not compiled twice: a
#: class of the ideographs takes a process ~2 ms to compile).
_LATIN_RUN = re.compile("([0-9a-z]+)")
#: Runs of letters or of digits in a Latin word.
_LETTERS_OR_DIGITS = re.compile(r"[a-z]+|[0-9]+")
#: A name of two letters or more, then a version: ``v`` and digits (``yolov8``, ``ipv6``,
#: ``mobilenetv3``): the name is ``yolo``, not ``yolov``.
_VERSIONED = re.compile(r"([a-z]{2,})(v[0-9]+)")
#: An ideograph where a match begins (a run of them matches where one does).
CJK_START = CJK_RUN


Span = tuple[str, int, int]  # a piece of a word and its offsets in the word


def _runs(word: str, offset: int = 0) -> list[Span]:
    return [
        (m.group(), offset + m.start(), offset + m.end()) for m in _LETTERS_OR_DIGITS.finditer(word)
    ]


def _latin_parts(word: str) -> list[Span]:
    """A Latin word's letters and digits apart, a version after a name as one part
    (``yolov8n`` -> ``yolo`` ``v8`` ``n``)."""
    pieces: list[Span] = []
    at = 0
    for match in _VERSIONED.finditer(word):
        pieces += _runs(word[at : match.start()], at)
        pieces += [(match.group(1), *match.span(1)), (match.group(2), *match.span(2))]
        at = match.end()
    return pieces + _runs(word[at:], at)


def _script_runs(word: str) -> list[Span] | None:
    """A word's runs of one script, Latin letters and digits or ideographs, with their
    offsets in it; None if it holds any other character."""
    runs: list[Span] = []
    at = 0
    for index, piece in enumerate(_LATIN_RUN.split(word)):  # other, Latin, other, ...
        if not piece:
            continue
        if index % 2 == 0 and CJK_RUN.fullmatch(piece) is None:
            return None
        runs.append((piece, at, at + len(piece)))
        at += len(piece)
    return runs


def _part_spans(word: str) -> list[Span]:
    """The parts of a mixed token with their offsets in it (see ``parts``)."""
    runs = _script_runs(word)
    if runs is not None and len(runs) > 1:
        return runs
    if runs is not None and len(runs) == 1 and word.isascii():
        pieces = _latin_parts(word)
        if len(pieces) > 1:
            return pieces
    if word[-1:] == "%" and word[:-1].isdigit() and word.isascii():
        return [(word[:-1], 0, len(word) - 1)]  # 50%: the number, as 3.5% is 3 and 5
    return []


def parts(word: str) -> list[str]:
    """The words a mixed token is also indexed by, at its own position ([] for others):
    a query for it finds them all, where they are not written together.

    A folded word of Latin letters or digits and ideographs splits by script (``8比特``
    -> ``8`` ``比特``, ``b超`` -> ``b`` ``超``), a Latin word by letters and digits
    (``gpt4`` -> ``gpt`` ``4``), a version after a name apart (``yolov8`` -> ``yolo``
    ``v8``); a part can be mixed itself (``gpt4模型`` -> ``gpt4`` ``模型``, and ``gpt4`` ->
    ``gpt`` ``4``). A percentage is its number too (``50%`` -> ``50``).
    """
    return [part for part, _, _ in _part_spans(word)]


def mixed_pieces(word: str) -> list[Span]:
    """Every part of a mixed token, parts of parts included, with offsets in it, once
    each; a versioned name's letters and digits too (``csv2json``'s ``csv`` as well as
    ``cs`` and ``v2``)."""
    found: list[Span] = []
    for part, begin, end in _part_spans(word):
        found.append((part, begin, end))
        found.extend((inner, begin + b, begin + e) for inner, b, e in mixed_pieces(part))
    if found and word.isascii() and _VERSIONED.search(word) is not None:
        found += _runs(word)
    return list(dict.fromkeys(found))


def joins(first: str, second: str) -> bool:
    """Whether two words of a cut form one mixed token (``8`` ``比特``, ``3d`` ``打印``):
    Latin letters and digits with a digit among them, written straight before ideographs.
    """
    return (
        first.isascii()
        and first.isalnum()
        and not first.isalpha()
        and CJK_START.match(second) is not None
    )


def query_words(words: Sequence[str]) -> list[str]:
    """Meaningful words of a cut: a number or code written straight before ideographs
    joined to them (``8比特``); code compounds whole (``in_parts`` splits them)."""
    found: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if index + 1 < len(words) and joins(word, words[index + 1]):
            found.append(word + words[index + 1])
            index += 2
            continue
        if is_word(word):
            found.append(word)
        index += 1
    return found


#: A token of a word: (token, position shift, start, end in the word).
Piece = tuple[str, int, int, int]
#: The tokens of a word of the cut besides the word itself at its place, and the step
#: from its position to the next word's (the word itself is a token unless it is 0).
Pieces = tuple[tuple[Piece, ...], int]
#: How a word of the plain cut is indexed: True, as itself at one position (the common
#: case: letters, digits or ideographs and nothing inside); False, not at all
#: (punctuation); else as itself and by its pieces (``c++``: no pieces, step 1).
Expansion = Pieces | bool

#: A word whose tokens are another's pieces: the second of a joined pair (``8`` ``比特``).
NOTHING: Pieces = ((), 0)


def search_tokens(
    word: str, start: int, inside: Sequence[tuple[str, int, int]], position: int
) -> tuple[list[Token], int]:
    """The tokens of one word of the cut at ``start`` and ``position``, given the
    dictionary words search mode found inside it; and the step to the next word.

    A code compound is itself and its parts at consecutive positions (and written
    together, ``catenation``, at its position, with the compound's offsets); any other
    word is the words inside it, itself and, for a mixed token, its parts, at its
    position; punctuation is nothing.
    """
    if not (word.isalnum() or is_word(word)):
        return [], 0
    end = start + len(word)
    if word.isascii() and not word.isalnum() and is_compound(word):
        tokens = [(word, position, start, end)]
        joined = catenation(word)
        if joined is not None:
            tokens.append((joined, position, start, end))
            # with a version after the joint, the name written together too: wi-fi6
            # (wifi6) is wifi, mobile-netv3 mobilenet (yolo-v5's yolo is a part already)
            name = _part_spans(joined)[:1]
            if name and not word.startswith(name[0][0]):
                tokens.append((name[0][0], position, start, end))
        step = 0
        for step, piece in enumerate(COMPOUND_PART.finditer(word), 1):
            at, begin = position + step - 1, start + piece.start()
            tokens.append((piece.group(), at, begin, start + piece.end()))
            # a mixed part is also its own parts, at its position: qwen2.5 -> qwen2 -> qwen
            tokens += [(w, at, begin + s, begin + e) for w, s, e in mixed_pieces(piece.group())]
        return tokens, step
    tokens = [(w, position, s, e) for w, s, e in inside if is_word(w)]
    tokens.append((word, position, start, end))
    pieces = mixed_pieces(word)
    if pieces:
        seen = {(w, s, e) for w, _, s, e in tokens}
        for part, begin, stop in pieces:
            if (part, start + begin, start + stop) not in seen:
                seen.add((part, start + begin, start + stop))
                tokens.append((part, position, start + begin, start + stop))
    return tokens, 1
