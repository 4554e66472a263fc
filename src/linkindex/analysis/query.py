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
from collections.abc import Mapping

from linkindex.analysis.characters import fold
from linkindex.analysis.extension import rjieba
from linkindex.analysis.tokens import query_words

#: A word that never occurs in folded text; its frequency carries the dictionary total.
_TOTAL_CARRIER = "\ue000"
#: The query segmenter's first stride from its last place, in bytes (a few lines).
_FIRST_STRIDE = 32


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
        ``卷积`` ``神经网络``), as jieba cuts it without the word itself; [] if none."""
        folded = fold(word).replace(_TOTAL_CARRIER, " ")
        words = self.words_in(folded)
        words.pop(folded, None)  # (the total stays: the rest carries its frequency)
        found = self._cut(folded, words)
        return found if len(found) > 1 else []

    def _cut(self, folded: str, words: dict[str, int]) -> list[str]:
        """The plain cut of folded text with ``words`` and the dictionary's total."""
        jieba = rjieba().Jieba.empty()
        for word, freq in words.items():
            jieba.add_word(word, freq, None)
        rest = self._total - sum(words.values())
        if rest > 0:
            jieba.add_word(_TOTAL_CARRIER, rest, None)
        return query_words(jieba.cut(folded))
