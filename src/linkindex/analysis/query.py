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
        """The entry of the line containing ``offset``: (word, frequency, next offset)."""
        data = self._map
        begin = data.rfind(b"\n", self._start - 1, offset) + 1
        end = data.find(b"\n", begin)
        word, _, freq = data[begin:end].partition(b"\t")
        return word, int(freq), end + 1

    def _ceiling(self, key: bytes) -> tuple[bytes, int] | None:
        """The first entry whose word is >= key (UTF-8 byte order is code point order)."""
        low, high = self._start, len(self._map)
        while low < high:
            middle = (low + high) // 2
            word, _, after = self._line_at(middle)
            if word < key:
                low = after
            else:
                high = self._map.rfind(b"\n", self._start - 1, middle) + 1
        if low >= len(self._map):
            return None
        word, freq, _ = self._line_at(low)
        return word, freq

    def words_in(self, text: str) -> dict[str, int]:
        """Every dictionary word that occurs in ``text``, with its frequency."""
        found: dict[str, int] = {}
        for begin in range(len(text)):
            for end in range(begin + 1, len(text) + 1):
                piece = text[begin:end]
                entry = self._ceiling(piece.encode("utf-8"))
                if entry is None or not entry[0].startswith(piece.encode("utf-8")):
                    break  # no word starts with this piece: longer pieces neither
                if entry[0] == piece.encode("utf-8"):
                    found[piece] = entry[1]
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
