"""The plain cut of short queries, from the dictionary file the index keeps.

A search process cuts its query with a tiny jieba dictionary holding only the words that
occur inside the query, looked up in the sorted dictionary ``dictionary_lines`` gives
(``index.folder`` keeps it as a file next to the index and maps it into memory). jieba's
choice between segmentations only depends on the frequencies of the words inside the
text and on the dictionary's total, so the cut is the one the full dictionary gives,
without the ~0.15-0.9 s it takes to load 350,000 words.
"""

from __future__ import annotations

import mmap
import re
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from itertools import accumulate
from typing import Any

from linkindex.analysis.characters import fold
from linkindex.analysis.extension import rjieba
from linkindex.analysis.tokens import query_words

#: A word that never occurs in folded text; its frequency carries the dictionary total.
_TOTAL_CARRIER = "\ue000"
#: The query segmenter's first stride from its last place, in bytes (a few lines).
_FIRST_STRIDE = 32


#: A run of Latin letters, digits and the symbols jieba keeps inside English and code
#: words, with such a symbol beside one of them (``torch.cuda``, ``3.5``, ``50%``, ``c++``,
#: ``-%``): jieba's cut without its HMM splits it at the symbols, the HMM keeps it whole.
#: (A match begins where the run does: the letters and digits before its first symbol
#: are taken possessively, so the scan never backtracks into a word; the pattern begins
#: with one class, which the scan skips to in C, ~3x faster than two branches. A letter
#: or digit after another is never where a match begins, which the look behind says at
#: once: without it, a scan tried every letter of an English word to its end, a third of
#: the scan's time on English text.)
CODE_RUN = re.compile(
    r"[0-9a-z+#&._%\-](?<![0-9a-z][0-9a-z])"
    r"(?:(?<=[0-9a-z])[0-9a-z]*+[+#&._%\-]|(?<=[+#&._%\-])[0-9a-z+#&._%\-])"
    r"[0-9a-z+#&._%\-]*+"
)


def code_spans(folded: str, starts: Sequence[int], at: int = 0) -> list[tuple[int, int, int, int]]:
    """The code runs of folded text (``CODE_RUN``) that are two whole words or more of a
    cut whose words begin at ``starts`` (and end at the last): each run's offsets and the
    indexes of its first word and of the word after it, last run first; from character
    ``at`` on (0, or where a run begins). (A run that is one word is a word of the
    dictionary, which the HMM keeps too: ``c++``.)"""
    spans: list[tuple[int, int, int, int]] = []
    for run in CODE_RUN.finditer(folded, at):
        begin, end = run.span()
        first, after = bisect_left(starts, begin), bisect_left(starts, end)
        # (a word of the dictionary may join a run to ideographs: b超.)
        if after < len(starts) and starts[first] == begin and starts[after] == end > first + 1:
            spans.append((begin, end, first, after))
    return spans[::-1]


def dictionary_cut(jieba: Any, folded: str, code_words: Callable[[str], list[str]]) -> list[str]:
    """jieba's plain cut of folded text without its HMM, but English and code terms as the
    HMM keeps them (``dictionary_words``)."""
    return dictionary_words(jieba, folded, code_words)[0]


def dictionary_words(
    jieba: Any, folded: str, code_words: Callable[[str], list[str]]
) -> tuple[list[str], list[int], list[int] | None]:
    """jieba's plain cut of folded text without its HMM, but English and code terms as the
    HMM keeps them (``code_words``: jieba's cut of a code run, ``CODE_RUN``); each word's
    length; and where each word begins (and the text ends), if that was worked out (else
    None).

    The HMM guesses words of the characters the dictionary leaves single: it joined
    characters across words (``本文讲半监督学习``: ``讲半``, which hid ``半监督学习``;
    ``用分布式锁来``: ``锁来``), and a query, being short, was guessed otherwise than a
    text. Without it, what the dictionary does not know is single characters on both
    sides (``李`` ``明``); a query looks for those in sequence.
    """
    words: list[str] = jieba.cut(folded, False)
    # (the lengths first, summed after: a pass over the cut fewer than summing the
    # lengths and taking them again, ~8 ms of 120 on the benchmark's pages)
    lens = list(map(len, words))
    run = CODE_RUN.search(folded)
    if run is None:
        return words, lens, None
    starts = list(accumulate(lens, initial=0))
    for begin, end, first, after in code_spans(folded, starts, run.start()):  # (last first)
        code = code_words(folded[begin:end])
        words[first:after] = code
        lens[first:after] = map(len, code)
        starts[first:after] = accumulate(lens[first : first + len(code) - 1], initial=begin)
    return words, lens, starts


def dictionary_lines(words: Mapping[str, int], total: int) -> list[str]:
    """A dictionary as ``QuerySegmenter`` reads it: a total line, then ``word<TAB>
    frequency`` lines sorted by word."""
    lines = [f"{word}\t{freq}\n" for word, freq in sorted(words.items())]
    return [f"{_TOTAL_CARRIER}total\t{total}\n", *lines]


class QuerySegmenter:
    """The plain cut of short queries, from a dictionary written by ``Segmenter``.

    ``data`` holds ``Segmenter.dictionary_lines()`` as UTF-8 bytes: bytes, or a memory
    map of the file (``index.folder.query_segmenter``), searched in place.
    """

    def __init__(self, data: bytes | mmap.mmap) -> None:
        self._map = data
        header_end = data.find(b"\n")
        header = bytes(data[:header_end]).decode("utf-8")
        self._total = int(header.split("\t")[1])
        self._start = header_end + 1

    def _line_at(self, offset: int) -> tuple[bytes, int, int]:
        """The line containing ``offset``: (its word, where it begins, where the next
        begins)."""
        data = self._map
        begin = data.rfind(b"\n", self._start - 1, offset) + 1
        end = data.find(b"\n", begin)
        return data[begin:end].partition(b"\t")[0], begin, end + 1

    def _ceiling(self, key: bytes, low: int) -> int:
        """Where the first line whose word is >= ``key`` begins (the data's length: none),
        given a line's beginning ``low`` that every line before has a word below ``key``
        (UTF-8 byte order is code point order).

        After the query's shorter piece, its next longer one is usually a few lines on:
        the search first steps ahead from ``low`` by doubling strides, then halves the
        stride it overshot (where there is no shorter piece, it halves the whole file).
        """
        data = self._map
        high = size = len(data)
        stride = _FIRST_STRIDE if low > self._start else size
        while low + stride < size:
            word, begin, after = self._line_at(low + stride)
            if word >= key:
                high = begin
                break
            low = after
            stride *= 2
        while low < high:
            word, begin, after = self._line_at((low + high) // 2)
            if word < key:
                low = after
            else:
                high = begin
        return low

    def words_in(self, text: str) -> dict[str, int]:
        """Every dictionary word that occurs in ``text``, with its frequency."""
        found: dict[str, int] = {}
        data = self._map
        for begin in range(len(text)):
            at = self._start
            for end in range(begin + 1, len(text) + 1):
                piece = text[begin:end]
                key = piece.encode("utf-8")
                at = self._ceiling(key, at)  # (a longer piece's words come later)
                if at >= len(data):
                    break
                word, _, after = self._line_at(at)
                if not word.startswith(key):
                    break  # no word starts with this piece: longer pieces neither
                if word == key:
                    found[piece] = int(data[at : after - 1].partition(b"\t")[2])
        return found

    def cut(self, text: str) -> list[str]:
        """The same cut as ``Segmenter.cut`` gives, meaningful words only."""
        folded = fold(text).replace(_TOTAL_CARRIER, " ")
        return self._cut(folded, self.words_in(folded))

    def apart(self, word: str) -> list[str]:
        """The smaller dictionary words one word of a cut is made of (``卷积神经网络`` ->
        ``卷积`` ``神经网络``), as jieba cuts it without the word itself; [] if none or
        only single characters."""
        folded = fold(word).replace(_TOTAL_CARRIER, " ")
        words = self.words_in(folded)
        words.pop(folded, None)  # (the total stays: the rest carries its frequency)
        found = self._cut(folded, words)
        # (single characters all: no smaller words, as 显存 is 显 存)
        return found if len(found) > 1 and max(map(len, found)) > 1 else []

    def _cut(self, folded: str, words: dict[str, int]) -> list[str]:
        """The plain cut of folded text with ``words`` and the dictionary's total."""
        jieba = rjieba().Jieba.empty()
        for word, freq in words.items():
            jieba.add_word(word, freq, None)
        rest = self._total - sum(words.values())
        if rest > 0:
            jieba.add_word(_TOTAL_CARRIER, rest, None)
        return query_words(dictionary_cut(jieba, folded, jieba.cut))
